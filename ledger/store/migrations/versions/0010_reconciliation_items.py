"""Reconciliation work items: the file's member loop kept with a discrepancy a person decides.

Revision ID: 0010_reconciliation_items
Revises: 0009_client_accounts

`discrepancies.member_tx` holds the full file's member loop (MemberTransaction JSON) of a
difference the verify policy leaves to a person, so deciding 'enrol' or 'apply the file's
value' applies what the file said. PHI at rest like a review item's transaction; never in
reports or logs. A ledger created at this revision has the column from revision 0002's
tables already; an upgraded one gets it here (safe to run again).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_reconciliation_items"
down_revision = "0009_client_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("discrepancies")}
    if "member_tx" not in columns:
        op.add_column("discrepancies", sa.Column("member_tx", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("discrepancies") as batch:
        batch.drop_column("member_tx")
