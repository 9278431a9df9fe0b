"""Whether two SQLite ledgers written by `enroll834 ingest` of the same file are the same.

    python tests/bench/compare_ledgers.py BEFORE.db AFTER.db

Every table's rows are compared with the clock's columns masked (names ending in `_at`,
the audit log's `at`, and the hashes that cover them); each ledger's entries chain is
verified as stored, then recomputed with one fixed `recorded_at` and the two chains
compared hash by hash; review items' candidates are compared as JSON. Exit 0 when all
agree. (A code change that should not change what an ingest writes: docs/benchmarks.md,
"The ledger's look-ups of people".)
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ledger.store.unit import chain_hash  # noqa: E402

FIXED = "2026-01-01T00:00:00.000000"


def rows(db: sqlite3.Connection, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cur = db.execute(f'SELECT * FROM "{table}"')
    cols = [d[0] for d in cur.description]
    keep = [i for i, n in enumerate(cols)
            if not n.endswith("_at") and n not in ("at", "hash", "prev_hash")]  # fmt: skip
    return [cols[i] for i in keep], sorted((tuple(r[i] for i in keep) for r in cur), key=repr)


def chain(db: sqlite3.Connection) -> tuple[bool, list[str]]:
    """(the stored chain verifies, the chain recomputed with a fixed recorded_at)."""
    cur = db.execute("SELECT * FROM entries ORDER BY seq")
    cols = [d[0] for d in cur.description]
    ok, fixed, prev = True, [], None
    for r in cur:
        row = dict(zip(cols, r, strict=True))
        row["recorded_at"] = dt.datetime.fromisoformat(row["recorded_at"])
        ok = ok and chain_hash(row) == row["hash"]
        row["recorded_at"] = FIXED
        if prev is not None:
            row["prev_hash"] = prev
        prev = chain_hash(row)
        fixed.append(prev)
    return ok, fixed


def main(argv: list[str]) -> int:
    a, b = (sqlite3.connect(p) for p in argv[1:3])
    tables = [r[0] for r in a.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
    different = 0
    for name in tables:
        same = rows(a, name) == rows(b, name)
        different += not same
        print(f"{name:32s} {'same' if same else 'DIFFERENT'}")
    ok_a, chain_a = chain(a)
    ok_b, chain_b = chain(b)
    print(f"stored chains verify: {ok_a} {ok_b}; entries {len(chain_a)} {len(chain_b)}")
    print(f"chains with a fixed recorded_at equal: {chain_a == chain_b}")
    items = "SELECT candidates FROM review_items ORDER BY id"
    cands_a = [json.loads(r[0]) for r in a.execute(items)]
    cands_b = [json.loads(r[0]) for r in b.execute(items)]
    print(f"review items {len(cands_a)} {len(cands_b)}; candidates equal: {cands_a == cands_b}")
    agree = not different and ok_a and ok_b and chain_a == chain_b and cands_a == cands_b
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
