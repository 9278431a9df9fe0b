"""Drop-folder claims: one row per file a `drops run` worker took from an inbox.

Revision ID: 0003_drop_claims
Revises: 0002_full_files

The table is described in `ledger.drops.claims`; it is mutable (a claim moves
through its states), so it gets no append-only trigger.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_drop_claims"
down_revision = "0002_full_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = sa.DateTime(timezone=True)
    op.create_table(
        "drop_claims",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("lock_key", sa.BigInteger, nullable=False),
        sa.Column("inbox", sa.String(600), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("work_name", sa.String(340), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("outcome", sa.Text, nullable=True),
        sa.Column("destination", sa.String(900), nullable=True),
        sa.Column("worker", sa.String(160), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
        sa.Column("claimed_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
    )
    op.create_index("ix_drop_claims_inbox_state", "drop_claims", ["inbox", "state"])


def downgrade() -> None:
    op.drop_index("ix_drop_claims_inbox_state", table_name="drop_claims")
    op.drop_table("drop_claims")
