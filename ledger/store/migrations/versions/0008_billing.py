"""Premium billing: rates, cycles, bills and their lines, payments, reminders, commission.

Revision ID: 0008_billing
Revises: 0007_web_sessions

Tables come from `ledger.store.billing_tables`; bill lines, cycle versions and
commission lines are append-only. Adds `ix_members_sponsor` (a group's members in
member-id order: the bill run pages through them). Idempotent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.store.billing_tables import APPEND_ONLY, EXTRA_INDEXES, metadata
from ledger.store.db import trigger_statements

revision = "0008_billing"
down_revision = "0007_web_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if sa.inspect(bind).has_table("billing_lines"):
        return  # already there (a ledger whose revision was set back re-runs later revisions)
    metadata.create_all(bind=bind)
    for stmt in trigger_statements(bind.dialect.name, APPEND_ONLY):
        op.execute(stmt)
    for name, table, columns in EXTRA_INDEXES:
        op.create_index(name, table, list(columns))


def downgrade() -> None:
    for name, table, _ in EXTRA_INDEXES:
        op.drop_index(name, table_name=table)
    metadata.drop_all(bind=op.get_bind())
