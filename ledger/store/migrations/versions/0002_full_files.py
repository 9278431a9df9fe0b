"""Full-file reconciliation: partner full-file policies, runs, confirmations, discrepancies.

Revision ID: 0002_full_files
Revises: 0001

Tables come from `ledger.store.reconcile_tables`; confirmations are append-only.
"""

from __future__ import annotations

from alembic import op

from ledger.store.db import trigger_statements
from ledger.store.reconcile_tables import APPEND_ONLY, metadata

revision = "0002_full_files"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind=bind)
    for stmt in trigger_statements(bind.dialect.name, APPEND_ONLY):
        op.execute(stmt)


def downgrade() -> None:
    metadata.drop_all(bind=op.get_bind())
