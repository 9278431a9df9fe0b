"""Crash safety: SIGKILL an ingest at every write/commit point, re-run, compare with a clean run.

The kill hook is `ledger.store.db.crash_point` (ENROLL834_CRASH_AT=n kills the process
at the n-th point). The full sweep covers every point of a 3-transaction-set
file on SQLite and PostgreSQL; the fast variant kills at three of them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ledger_helpers import RECEIVED, M, interchange, simple_decide, transaction_set, write

from ledger.ingest import ingest_file
from ledger.store import schema as t
from ledger.store.db import crash_points_seen, dispose, engine, upgrade
from ledger.store.queries import verify_chain

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
VOLATILE = {
    "id", "interchange_id", "transaction_set_id", "recorded_at", "created_at", "first_seen_at",
    "superseded_at", "at", "applied_at", "completed_at", "hash", "prev_hash", "updated_at",
}  # fmt: skip


def _family(n: int) -> list[M]:
    return [
        M(sub=f"SUB{n}", first=f"HEAD{n}"),
        M(sub=f"SUB{n}", subscriber=False, rel="19", first=f"KID{n}", dob="20100101"),
    ]


def _file(tmp: Path) -> Path:
    sets = [transaction_set(_family(2 * i) + _family(2 * i + 1), f"000{i}") for i in range(1, 4)]
    sets[1] = transaction_set(
        _family(3) + [M(sub="SUB2", first="HEAD2", ins03="001", ins04="25", last="RENAMED",
                        member_dates=(), hds=())], "0002")  # fmt: skip
    return write(tmp, "three.edi", interchange(sets))


def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine(url).connect() as conn:
        for table in t.metadata.sorted_tables:
            cols = [c for c in table.columns if c.name not in VOLATILE]
            rows = conn.execute(sa.select(*cols)).all()
            out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
            if table is t.interchanges:
                done = conn.execute(sa.select(table.c.completed_at)).scalars().all()
                out["interchanges_done"] = [(d is not None,) for d in done]
    out.pop("chain_heads", None)
    out.pop("ack_control_numbers", None)  # a re-run of a finished file issues a TA1 025
    return out


def _run_clean(url: str, path: Path) -> None:
    ingest_file(url, path, decide=simple_decide, received_at=RECEIVED)


def _run_killed(url: str, path: Path, at: int) -> int:
    code = (
        "import sys, datetime as dt; sys.path[:0] = [sys.argv[1], sys.argv[2]];"
        "from ledger_helpers import simple_decide, RECEIVED;"
        "from ledger.ingest import ingest_file;"
        "ingest_file(sys.argv[3], sys.argv[4], decide=simple_decide, received_at=RECEIVED)"
    )
    env = dict(os.environ, ENROLL834_CRASH_AT=str(at))
    proc = subprocess.run(
        [sys.executable, "-c", code, str(HERE), str(ROOT), url, str(path)],
        env=env, capture_output=True, timeout=120,
    )  # fmt: skip
    return proc.returncode


def _fresh(url: str, tmp: Path, name: str) -> str:
    """A second empty database next to `url` (SQLite file / PostgreSQL schema)."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp / name}"
    base = url.split("options=")[0].rstrip("?&")
    schema = url.rsplit("%3D", 1)[1] + name.replace(".", "_")
    eng = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    eng.dispose()
    return url.rsplit("%3D", 1)[0] + "%3D" + schema


def _drop(url: str) -> None:
    dispose()
    if not url.startswith("sqlite"):
        base = url.split("options=")[0].rstrip("?&")
        eng = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{url.rsplit("%3D", 1)[1]}" CASCADE'))
        eng.dispose()


def _sweep(db_url: str, tmp_path: Path, pick: Any) -> int:
    path = _file(tmp_path)
    upgrade(db_url)
    before = crash_points_seen()
    _run_clean(db_url, path)
    points = crash_points_seen() - before
    reference = _dump(db_url)
    assert reference["members"] and reference["review_items"] == []
    killed = 0
    for at in pick(points):
        url = _fresh(db_url, tmp_path, f"k{at}.db")
        try:
            upgrade(url)
            dispose()
            rc = _run_killed(url, path, at)
            assert rc == -signal.SIGKILL, f"kill point {at} of {points}: exit {rc}"
            killed += 1
            _run_clean(url, path)
            assert _dump(url) == reference, f"kill point {at} of {points}"
            with engine(url).connect() as conn:
                assert verify_chain(conn).ok and verify_chain(conn, "audit").ok
        finally:
            _drop(url)
    return killed


@pytest.mark.slow
def test_kill_at_every_point_then_rerun_equals_clean_run(db_url: str, tmp_path: Path) -> None:
    killed = _sweep(db_url, tmp_path, lambda n: range(1, n + 1))
    assert killed >= 20


def test_kill_at_three_points_then_rerun_equals_clean_run(db_url: str, tmp_path: Path) -> None:
    assert _sweep(db_url, tmp_path, lambda n: [1, n // 2, n]) == 3
