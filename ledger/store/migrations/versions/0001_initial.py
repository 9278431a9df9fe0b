"""Initial schema: every ledger, registry, review and auth table, plus append-only triggers.

Revision ID: 0001
Revises:

The tables are created from `ledger.store.schema` as it stood for this revision;
later schema changes must come as new revisions using `op.*` calls.
"""

from __future__ import annotations

from alembic import op

from ledger.store.db import trigger_statements
from ledger.store.schema import APPEND_ONLY, metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind=bind)
    for stmt in trigger_statements(bind.dialect.name, APPEND_ONLY):
        op.execute(stmt)
    op.execute("INSERT INTO chain_heads (name, seq, hash) VALUES ('entries', 0, '')")
    op.execute("INSERT INTO chain_heads (name, seq, hash) VALUES ('audit', 0, '')")


def downgrade() -> None:
    metadata.drop_all(bind=op.get_bind())
