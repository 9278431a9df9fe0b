"""Where a py-spy profile's time goes, by stage (README's "where the time goes").

    py-spy record -r 100 -f raw -o prof.txt -- enroll834 parse FILE --json > /dev/null
    python tests/bench/profile_split.py prof.txt [--members N]

Each sample is charged to the innermost project stage on its stack: json output,
validation (edi/ig, edi/validate), matching, ledger (store, ingest), records and loops
(edi/build*, edi/loops, edi/reader), tokenizing (edi/tokenize, edi/transport, edi/envelope),
the reading process's hand-over (ledger/pipeline), else "other" (start-up, imports, click).
With --members and --cpu (the profiled command's CPU seconds, e.g. from /usr/bin/time),
each share is also given in µs of CPU per member (py-spy samples wall time, which on a
loaded machine includes waiting for a core; shares of it are still the split).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("json output", ("edi/jsonout.py",)),  # the stdlib json counts for its caller
    ("pipeline hand-over", ("ledger/pipeline.py", "multiprocessing/")),
    ("ledger", ("ledger/store/", "ledger/ingest.py", "ledger/fullfile/", "sqlalchemy/",
                "sqlite3", "psycopg")),
    ("matching", ("matching/",)),
    ("validation", ("edi/ig/", "edi/validate.py", "edi/acks.py")),
    ("records and loops", ("edi/build.py", "edi/build_header.py", "edi/loops.py",
                           "edi/reader.py", "edi/records.py", "edi/findings.py")),
    ("tokenizing", ("edi/tokenize.py", "edi/transport.py", "edi/envelope.py",
                    "edi/segments.py")),
]
_FRAME = re.compile(r"\(([^)]*)\)")


def stage_of(stack: str) -> str:
    """The innermost frame's stage, walking out until a project stage matches."""
    for frame in reversed(stack.split(";")):
        m = _FRAME.search(frame)
        where = m.group(1) if m else frame
        for name, marks in STAGES:
            if any(mark in where for mark in marks):
                return name
    return "other"


def split(path: Path) -> Counter[str]:
    out: Counter[str] = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            out[stage_of(stack)] += int(count)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("profile", type=Path)
    ap.add_argument("--members", type=int, default=0)
    ap.add_argument("--cpu", type=float, default=0.0, help="CPU seconds of the profiled run")
    a = ap.parse_args(argv)
    counts = split(a.profile)
    total = sum(counts.values()) or 1
    per_member = bool(a.members and a.cpu)
    print(f"| stage | share | {'CPU µs per member |' if per_member else ''}")
    print(f"|---|---:|{'---:|' if per_member else ''}")
    for name, n in counts.most_common():
        per = f" {n / total * a.cpu / a.members * 1e6:.1f} |" if per_member else ""
        print(f"| {name} | {100 * n / total:.1f} % |{per}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
