"""`enroll834 ledger verify` finds tampering: a flipped byte, a deleted row, two swapped rows."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from ledger_helpers import RECEIVED, M, interchange, simple_decide, transaction_set, write

from cli import main
from ledger.ingest import ingest_file
from ledger.store import schema as t
from ledger.store.db import engine
from ledger.store.queries import verify_chain

PEOPLE = [M(sub=f"SUB{i}", first=f"PERSON{i}") for i in range(1, 5)]


def _untrigger(conn: sa.Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TRIGGER entries_no_update")
        conn.exec_driver_sql("DROP TRIGGER entries_no_delete")
    else:
        conn.exec_driver_sql("ALTER TABLE entries DISABLE TRIGGER entries_append_only")


def _flip(conn: sa.Connection) -> None:
    after = conn.execute(sa.select(t.entries.c.after).where(t.entries.c.seq == 2)).scalar_one()
    i = after.index("PPO1")
    conn.execute(t.entries.update().where(t.entries.c.seq == 2)
                 .values(after=after[:i] + "PPO2" + after[i + 4:]))  # fmt: skip


def _delete(conn: sa.Connection) -> None:
    conn.execute(t.entries.delete().where(t.entries.c.seq == 2))


def _swap(conn: sa.Connection) -> None:
    rows = {r.seq: dict(r._mapping) for r in conn.execute(sa.select(t.entries).where(t.entries.c.seq.in_([2, 3])))}
    for seq, other in ((2, 3), (3, 2)):
        values = {k: v for k, v in rows[other].items() if k != "seq"}
        conn.execute(t.entries.update().where(t.entries.c.seq == seq).values(**values))


@pytest.mark.parametrize("tamper", [_flip, _delete, _swap], ids=["flipped", "deleted", "swapped"])
def test_verify_names_the_first_bad_entry(ledger_url: str, tmp_path: Path, tamper) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, "four.edi", interchange([transaction_set(PEOPLE)]))
    ingest_file(ledger_url, path, decide=simple_decide, received_at=RECEIVED)
    runner = CliRunner()
    ok = runner.invoke(main, ["--db", ledger_url, "ledger", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "entries: 4 records, chain intact" in ok.output
    with engine(ledger_url).begin() as conn:
        _untrigger(conn)
        tamper(conn)
    with engine(ledger_url).connect() as conn:
        report = verify_chain(conn)
    assert report.first_bad == 2
    bad = runner.invoke(main, ["--db", ledger_url, "ledger", "verify"])
    assert bad.exit_code == 1
    assert "entries: record 2:" in bad.output
    for phi in ("PERSON", "TESTER", "SUB1"):
        assert phi not in bad.output


def test_deleting_the_last_entry_is_caught_by_the_head(ledger_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "four.edi", interchange([transaction_set(PEOPLE)]))
    ingest_file(ledger_url, path, decide=simple_decide, received_at=RECEIVED)
    with engine(ledger_url).begin() as conn:
        _untrigger(conn)
        conn.execute(t.entries.delete().where(t.entries.c.seq == 4))
    with engine(ledger_url).connect() as conn:
        assert verify_chain(conn).first_bad == 4
