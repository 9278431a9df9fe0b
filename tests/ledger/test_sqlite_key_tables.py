"""SQLite key tables: integer keys are the rowid, text-keyed tables have none (revision 0004).

A ledger created before revision 0004 is rebuilt in place with its values,
indexes, append-only triggers and hash chain intact.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from ledger_helpers import RECEIVED, M, interchange, simple_decide, transaction_set, write

from ledger.ingest import ingest_file
from ledger.store import schema as t
from ledger.store.db import engine, upgrade
from ledger.store.queries import verify_chain

rev = importlib.import_module("ledger.store.migrations.versions.0004_sqlite_key_tables")
TABLES: tuple[sa.Table, ...] = rev.WITHOUT_ROWID + rev.INTEGER_KEYED
PEOPLE = [M(sub=f"SUB{i}", first=f"PERSON{i}") for i in range(1, 4)]


def _sql(conn: sa.Connection, name: str) -> str:
    return str(
        conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).scalar_one()
    )


def _pk_types(conn: sa.Connection, name: str) -> list[str]:
    return [r[2] for r in conn.exec_driver_sql(f'PRAGMA table_info("{name}")') if r[5]]


def _assert_new_form(conn: sa.Connection) -> None:
    for table in rev.WITHOUT_ROWID:
        assert "WITHOUT ROWID" in _sql(conn, table.name).upper(), table.name
    for table in rev.INTEGER_KEYED:
        assert _pk_types(conn, table.name) == ["INTEGER"], table.name


def _old_form(table: sa.Table) -> sa.Table:
    """`table` as revisions 0001-0003 created it: BIGINT keys, every table with a rowid."""
    old = table.to_metadata(sa.MetaData())
    for col in old.primary_key.columns:
        if isinstance(col.type, sa.Integer):
            col.type = sa.BigInteger()
    old.dialect_options["sqlite"]["with_rowid"] = True
    return old


def _contents(conn: sa.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {
        table.name: sorted((tuple(r) for r in conn.execute(sa.select(table))), key=repr)
        for table in TABLES
    }


def _ingest(url: str, tmp: Path, isa13: str, people: list[M]) -> None:
    data = interchange([transaction_set(people)], isa13=isa13)
    ingest_file(url, write(tmp, f"{isa13}.x12", data), decide=simple_decide, received_at=RECEIVED)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    upgrade(url)
    return url


def test_a_new_sqlite_ledger_has_rowid_keys_and_rowless_key_tables(sqlite_url: str) -> None:
    with engine(sqlite_url).connect() as conn:
        _assert_new_form(conn)


def test_an_old_sqlite_ledger_is_rebuilt_with_values_triggers_and_chain_intact(
    sqlite_url: str, tmp_path: Path
) -> None:
    _ingest(sqlite_url, tmp_path, "000000101", PEOPLE)
    with engine(sqlite_url).begin() as conn:
        for table in TABLES:
            rev._rebuild(conn, _old_form(table))
        assert all(rev._needs_rebuild(conn, table) for table in TABLES)
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0003_drop_claims'")
        before = _contents(conn)
        assert before["entries"] and before["blocking_keys"] and before["audit_log"]

    upgrade(sqlite_url)

    with engine(sqlite_url).begin() as conn:
        _assert_new_form(conn)
        assert _contents(conn) == before
        indexes = {
            r[0]
            for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
        assert {ix.name for table in TABLES for ix in table.indexes} <= indexes
        assert verify_chain(conn).ok
        assert verify_chain(conn, "audit").ok
        triggers = {
            r[0]
            for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
    guarded = [table.name for table in TABLES if table.name in t.APPEND_ONLY]
    assert {f"{n}_no_{op}" for n in guarded for op in ("update", "delete")} <= triggers
    for name in guarded:
        if before[name]:  # a trigger fires per row: an empty table deletes nothing
            with engine(sqlite_url).begin() as conn, pytest.raises(sa.exc.DatabaseError):
                conn.exec_driver_sql(f'DELETE FROM "{name}"')
    # the rebuilt ledger takes more entries on the same chain
    _ingest(sqlite_url, tmp_path, "000000102", [M(sub="SUB9", first="PERSONNINE")])
    with engine(sqlite_url).connect() as conn:
        report = verify_chain(conn)
        assert report.ok and report.checked == len(before["entries"]) + 1
