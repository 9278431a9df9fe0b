"""The unit of work's look-ups by member are index look-ups however many rows its open
transaction wrote: on PostgreSQL the transaction refreshes the planner's statistics as it
grows (`unit.PG_ANALYZE_FIRST`), because autovacuum cannot see uncommitted rows and a
never-analyzed table was planned as a sequential scan per look-up. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from ledger.store import schema as t
from ledger.store import unit
from ledger.store.db import engine, upgrade
from ledger.store.unit import UnitOfWork

NOW = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
MEMBERS = 6_000
LOOKED_UP = [f"M{i * 97 % MEMBERS:09d}" for i in range(34)]  # a candidate batch's size


def _plans(conn, dialect: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The plans of `load_people`'s two statements (people, identifiers) for LOOKED_UP."""
    explain = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    plans = []
    for sql in unit._people_sql(dialect, len(LOOKED_UP)):
        rows = conn.exec_driver_sql(explain + sql, tuple(LOOKED_UP)).all()
        plans.append("\n".join(str(r[-1]) for r in rows))
    return plans


def _write_people(uow: UnitOfWork) -> None:
    for i in range(MEMBERS):
        mid = f"M{i:09d}"
        uow.add(t.members, {"member_id": mid, "sponsor_id": "S1", "subscriber_member_id": mid,
                            "subscriber_number": f"SUB{i}", "relationship": "18",
                            "birth_sequence": None, "created_at": NOW, "created_entry": None})
        uow.add(t.demographics_versions, {
            "version_id": i + 1, "member_id": mid, "last": f"LAST{i % 500}", "first": "ANN",
            "middle": "", "suffix": "", "birth_date": dt.date(1980, 1, 1 + i % 28),
            "gender": "F", "address_line1": f"{i} MAIN ST", "address_line2": "", "city": "X",
            "state": "IL", "postal_code": "62701", "valid_from": None, "recorded_at": NOW,
            "entry_seq": None})
        for kind, value in (("ssn", f"{100_000_000 + i}"), ("subscriber_number", f"SUB{i}"),
                            ("member_number", f"N{i}")):
            uow.add(t.member_identifiers, {"member_id": mid, "type": kind, "value": value,
                                           "first_seen_at": NOW, "source_entry": None})
    uow.flush()


def test_the_people_look_ups_use_the_indexes_inside_a_large_open_transaction(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setattr(unit, "PG_ANALYZE_FIRST", 10_000)
    upgrade(db_url)
    eng = engine(db_url)
    dialect = eng.dialect.name
    with eng.begin() as conn:
        uow = UnitOfWork(conn, NOW)
        _write_people(uow)  # 30,000 rows, none committed
        people, identifiers = _plans(conn, dialect)
        # the members by their key (how a table this small joins its newest demographics
        # is the planner's choice); the identifiers by theirs, which was the scan
        if dialect == "sqlite":
            assert "SEARCH m USING PRIMARY KEY" in people, people
            assert "SCAN" not in identifiers and "USING PRIMARY KEY" in identifiers, identifiers
        else:
            assert "Index Scan using members_pkey on members" in people, people
            assert "Seq Scan" not in identifiers, identifiers
            assert "member_identifiers_pkey" in identifiers, identifiers
        got = unit.load_people(conn, LOOKED_UP)
        assert sorted(p.member_id for p in got) == sorted(set(LOOKED_UP))


def test_the_units_analyze_skips_a_table_another_session_is_analyzing(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Autovacuum or an operator analyzing a table in an open transaction holds its lock
    until that ends: the unit's ANALYZE skips that table instead of waiting (one unit of
    work at a time writes anyway: each holds the chain head's row)."""
    monkeypatch.setattr(unit, "PG_ANALYZE_FIRST", 10_000)
    upgrade(pg_url)
    other, writer = sa.create_engine(pg_url).connect(), engine(pg_url).connect()
    try:
        with other.begin():
            other.exec_driver_sql("ANALYZE members")  # its lock is held until this ends
            with writer.begin():
                writer.exec_driver_sql("SET LOCAL lock_timeout = '3s'")  # a wait fails
                uow = UnitOfWork(writer, NOW)
                _write_people(uow)  # 30,000 rows: its ANALYZE ran
                assert uow._analyze_at is not None and uow._analyze_at > 20_000
                _, identifiers = _plans(writer, "postgresql")
                assert "Seq Scan" not in identifiers, identifiers  # the rest was analyzed
    finally:
        other.close()
        writer.close()
