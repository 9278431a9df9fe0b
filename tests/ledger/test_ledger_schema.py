"""Schema, migrations and the append-only triggers, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ledger.store.db import engine, upgrade
from ledger.store.schema import APPEND_ONLY, metadata

INSERTS = {
    "entries": "INSERT INTO entries (seq, kind, recorded_at, decided_by, prev_hash, hash) "
    "VALUES (1, 'enrolment', '2026-01-01 00:00:00', 'auto', '', 'x')",
    "coverage_versions": "INSERT INTO coverage_versions (version_id, member_id, insurance_line, "
    "plan, coverage_level, valid_from, recorded_at) "
    "VALUES (1, 'M1', 'HLT', 'P', 'EMP', '2026-01-01', '2026-01-01 00:00:00')",
    "supersessions": "INSERT INTO supersessions (version_id, superseded_at) "
    "VALUES (1, '2026-01-01 00:00:00')",
    "demographics_versions": "INSERT INTO demographics_versions (version_id, member_id, last, "
    "first, middle, suffix, gender, address_line1, address_line2, city, state, postal_code, "
    "recorded_at) VALUES (1, 'M1', 'A', 'B', '', '', '', '', '', '', '', '', '2026-01-01 00:00:00')",
    "member_identifiers": "INSERT INTO member_identifiers (member_id, type, value, first_seen_at) "
    "VALUES ('M1', 'subscriber_number', 'S1', '2026-01-01 00:00:00')",
    "audit_log": "INSERT INTO audit_log (seq, at, user_id, action, target, details, prev_hash, hash)"
    " VALUES (1, '2026-01-01 00:00:00', 'u', 'a', '', '{}', '', 'x')",
}
UPDATES = {
    "entries": "UPDATE entries SET kind = 'death'",
    "coverage_versions": "UPDATE coverage_versions SET valid_to = '2026-02-01'",
    "supersessions": "UPDATE supersessions SET superseded_by = 2",
    "demographics_versions": "UPDATE demographics_versions SET last = 'C'",
    "member_identifiers": "UPDATE member_identifiers SET value = 'S2'",
    "audit_log": "UPDATE audit_log SET action = 'b'",
}


def test_upgrade_creates_every_table_and_is_idempotent(ledger_url: str) -> None:
    upgrade(ledger_url)
    names = set(sa.inspect(engine(ledger_url)).get_table_names())
    assert set(metadata.tables) <= names
    assert "alembic_version" in names


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_append_only_tables_refuse_update_and_delete(ledger_url: str, table: str) -> None:
    eng = engine(ledger_url)
    with eng.begin() as conn:
        conn.exec_driver_sql(INSERTS[table])
    for stmt in (UPDATES[table], f"DELETE FROM {table}"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), eng.begin() as conn:
            conn.exec_driver_sql(stmt)
    with eng.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar() == 1


def test_registries_stay_updatable(ledger_url: str) -> None:
    with engine(ledger_url).begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO groups (sponsor_id, name, cobra_administration, billing) "
            "VALUES ('S', 'G', 'unknown', '{}')"
        )
        conn.exec_driver_sql("UPDATE groups SET cobra_administration = 'self'")
        assert conn.exec_driver_sql("SELECT cobra_administration FROM groups").scalar() == "self"
