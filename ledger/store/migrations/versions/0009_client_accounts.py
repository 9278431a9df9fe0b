"""Employer-group clients, their users, group contacts and online submissions.

Revision ID: 0009_client_accounts
Revises: 0008_billing

Tables come from `ledger.store.client_tables`.
"""

from __future__ import annotations

from alembic import op

from ledger.store.client_tables import metadata

revision = "0009_client_accounts"
down_revision = "0008_billing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(bind=op.get_bind())


def downgrade() -> None:
    metadata.drop_all(bind=op.get_bind())
