"""SQLite: integer surrogate keys become the rowid; text-keyed tables drop the rowid.

Revision ID: 0004_sqlite_key_tables
Revises: 0003_drop_claims

On SQLite a BIGINT primary key is a unique index beside a hidden rowid (two
b-trees per row); declared INTEGER it is the rowid itself. Tables keyed by
short text columns (members, member_identifiers, blocking_keys) store their
rows in the primary-key b-tree when declared WITHOUT ROWID. `ledger.store.schema`
declares both, so databases created from now on already have them; this
revision rebuilds the tables of older SQLite databases (new table, copy,
drop, rename, then the indexes and append-only triggers again). Values and
the hash chain are unchanged. PostgreSQL has neither distinction: no-op there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.store import schema
from ledger.store.db import trigger_statements

revision = "0004_sqlite_key_tables"
down_revision = "0003_drop_claims"
branch_labels = None
depends_on = None

WITHOUT_ROWID = (schema.members, schema.member_identifiers, schema.blocking_keys)
INTEGER_KEYED = (
    schema.entries,
    schema.demographics_versions,
    schema.coverage_versions,
    schema.supersessions,
    schema.audit_log,
)


def _needs_rebuild(conn: sa.Connection, table: sa.Table) -> bool:
    """True when the stored table is not yet in the form `ledger.store.schema` declares."""
    sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table.name,)
    ).scalar_one()
    if table in WITHOUT_ROWID:
        return "WITHOUT ROWID" not in sql.upper()
    info = conn.exec_driver_sql(f'PRAGMA table_info("{table.name}")').all()
    return any(row[5] and row[2].upper() != "INTEGER" for row in info)


def _rebuild(conn: sa.Connection, table: sa.Table) -> None:
    name = table.name
    stored = {row[1] for row in conn.exec_driver_sql(f'PRAGMA table_info("{name}")')}
    cols = ", ".join(f'"{c.name}"' for c in table.columns if c.name in stored)
    shadow = table.to_metadata(sa.MetaData(), name=f"{name}__rebuilt")
    shadow.indexes.clear()
    conn.execute(sa.schema.CreateTable(shadow))
    conn.exec_driver_sql(f'INSERT INTO "{shadow.name}" ({cols}) SELECT {cols} FROM "{name}"')
    conn.exec_driver_sql(f'DROP TABLE "{name}"')  # its indexes and triggers go with it
    conn.exec_driver_sql(f'ALTER TABLE "{shadow.name}" RENAME TO "{name}"')
    for index in table.indexes:
        index.create(conn)
    if name in schema.APPEND_ONLY:
        for stmt in trigger_statements("sqlite", (name,)):
            conn.exec_driver_sql(stmt)


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    for table in WITHOUT_ROWID + INTEGER_KEYED:
        if _needs_rebuild(conn, table):
            _rebuild(conn, table)


def downgrade() -> None:
    """Nothing to undo: the rebuilt tables hold the same values under compatible types."""
