"""What `drops run` prints: a line per finished file under `OUTCOME_HEADER`, then the totals.

Pure functions over a file's outcome and `RunSummary.totals()` (the dicts `--json` prints):
codes, counts and file names, never member data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OUTCOME_HEADER = "FILE\tRESULT\tREASON\tSETS OK/REJ/DUP\tMEMBERS NEW/APPLIED/REVIEW/REFERRED/REJ"


def outcome_line(f: Mapping[str, Any]) -> str:
    """One row under `OUTCOME_HEADER` for a finished file's outcome."""
    st, m = f["sets"], f["members"]
    return (f"{f['file']}\t{f['disposition']}\t{f['reason'] or '-'}\t"
            f"{st['accepted']}/{st['rejected']}/{st['duplicate']}\t"
            f"{m['new']}/{m['applied']}/{m['review']}/{m['referred']}/{m['rejected']}")


def totals_line(totals: Mapping[str, Any]) -> str:
    """The run's files, archived and quarantined (stderr, after the rows)."""
    return (f"files {totals['files']}  archived {totals['archived']}  "
            f"quarantined {totals['quarantined']}")
