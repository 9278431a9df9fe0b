"""ledger.drops — drop folders: claims shared by many workers, the event tap between reader
and ledger, and what a run writes for people (sender reports, reason files).

Built on ledger.ingest and the rooms below it.
"""

from ledger.drops.claims import drop_claims, set_lock_timeout
from ledger.drops.folder import TemporaryFailure, run_drop, stop_on_signals
from ledger.drops.ingest_partners import ingest_files, ingest_with_partners
from ledger.drops.progress import MemberProgress, NoProgress, inbox_sizes, progress_bar
from ledger.drops.text import OUTCOME_HEADER, outcome_line, totals_line

__all__ = [
    "OUTCOME_HEADER",
    "MemberProgress",
    "NoProgress",
    "TemporaryFailure",
    "drop_claims",
    "inbox_sizes",
    "ingest_files",
    "ingest_with_partners",
    "outcome_line",
    "progress_bar",
    "run_drop",
    "set_lock_timeout",
    "stop_on_signals",
    "totals_line",
]
