"""An index of the open review items only, in the order a queue page shows them.

Revision ID: 0011_open_review_items
Revises: 0010_reconciliation_items

`ix_review_items_open` is (queue, due_at, id) over the items whose status is 'open' or
'assigned' (a partial index, on SQLite and PostgreSQL). A queue page's ids, earliest due
first, are then the first rows of one index range instead of a sort of every open item,
and counting a queue reads the index alone; resolved items, the bulk of an old ledger,
are not in it. Safe to run again over its own result.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_open_review_items"
down_revision = "0010_reconciliation_items"
branch_labels = None
depends_on = None

NAME = "ix_review_items_open"
OPEN = sa.text("status IN ('open', 'assigned')")


def upgrade() -> None:
    indexes = {ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("review_items")}
    if NAME not in indexes:
        op.create_index(NAME, "review_items", ["queue", "due_at", "id"],
                        postgresql_where=OPEN, sqlite_where=OPEN)  # fmt: skip


def downgrade() -> None:
    op.drop_index(NAME, table_name="review_items")
