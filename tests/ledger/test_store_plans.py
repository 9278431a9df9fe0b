"""The unit of work's look-ups by member are index look-ups however many rows its open
transaction wrote: on PostgreSQL the transaction refreshes the planner's statistics as it
grows (`unit.PG_ANALYZE_FIRST`), because autovacuum cannot see uncommitted rows and a
never-analyzed table was planned as a sequential scan per look-up. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger.store import schema as t
from ledger.store import unit
from ledger.store.db import engine, upgrade
from ledger.store.unit import UnitOfWork

NOW = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
MEMBERS = 6_000
LOOKED_UP = [f"M{i * 97 % MEMBERS:09d}" for i in range(34)]  # a candidate batch's size


def _plan(conn, dialect: str) -> str:  # type: ignore[no-untyped-def]
    """The plan of the identifiers look-up `load_people` runs, for LOOKED_UP."""
    marks = ", ".join(["?" if dialect == "sqlite" else "%s"] * len(LOOKED_UP))
    sql = unit._IDENTIFIERS_SQL.format(marks=marks)
    explain = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    rows = conn.exec_driver_sql(explain + sql, tuple(LOOKED_UP)).all()
    return "\n".join(str(r[-1]) for r in rows)


def _write_people(uow: UnitOfWork) -> None:
    for i in range(MEMBERS):
        mid = f"M{i:09d}"
        uow.add(t.members, {"member_id": mid, "sponsor_id": "S1", "subscriber_member_id": mid,
                            "subscriber_number": f"SUB{i}", "relationship": "18",
                            "birth_sequence": None, "created_at": NOW, "created_entry": None})
        for kind, value in (("ssn", f"{100_000_000 + i}"), ("subscriber_number", f"SUB{i}"),
                            ("member_number", f"N{i}")):
            uow.add(t.member_identifiers, {"member_id": mid, "type": kind, "value": value,
                                           "first_seen_at": NOW, "source_entry": None})
    uow.flush()


def test_the_identifiers_look_up_uses_the_index_inside_a_large_open_transaction(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(unit, "PG_ANALYZE_FIRST", 10_000)
    upgrade(db_url)
    eng = engine(db_url)
    dialect = eng.dialect.name
    with eng.begin() as conn:
        uow = UnitOfWork(conn, NOW)
        _write_people(uow)  # 24,000 rows, none committed
        plan = _plan(conn, dialect)
        if dialect == "sqlite":
            assert "USING PRIMARY KEY" in plan or "USING INDEX" in plan, plan
        else:
            assert "Seq Scan" not in plan and "member_identifiers_pkey" in plan, plan
        got = unit.load_people(conn, LOOKED_UP)
        assert sorted(p.member_id for p in got) == sorted(set(LOOKED_UP))
