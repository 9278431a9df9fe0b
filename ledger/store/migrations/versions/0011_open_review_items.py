"""Open review items: an index in the order a queue page shows them, and counts per queue.

Revision ID: 0011_open_review_items
Revises: 0010_reconciliation_items

`ix_review_items_open` is (queue, due_at, id) over the items whose status is 'open' or
'assigned' (a partial index, on SQLite and PostgreSQL). A queue page's ids, earliest due
first, are then the first rows of one index range instead of a sort of every open item,
and the overdue items of a queue are one range of it; resolved items, the bulk of an old
ledger, are not in it.

`review_queue_counts` holds the open items per queue in slots (an item counts in slot
id % 256), kept by triggers on review_items (`ledger.store.db.queue_count_statements`) and
filled here from the items already there, so a page's counts are a read of a few rows,
not a count of every open item. Safe to run again over its own result.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.store.db import OPEN_ITEM, QUEUE_COUNT_SLOTS, queue_count_statements

revision = "0011_open_review_items"
down_revision = "0010_reconciliation_items"
branch_labels = None
depends_on = None

INDEX = "ix_review_items_open"


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if INDEX not in {ix["name"] for ix in inspector.get_indexes("review_items")}:
        op.create_index(INDEX, "review_items", ["queue", "due_at", "id"],
                        postgresql_where=sa.text(OPEN_ITEM),
                        sqlite_where=sa.text(OPEN_ITEM))  # fmt: skip
    if "review_queue_counts" not in inspector.get_table_names():
        # the table as this revision made it (schema.review_queue_counts)
        op.create_table(
            "review_queue_counts",
            sa.Column("queue", sa.String(16), primary_key=True),
            sa.Column("slot", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("open_items", sa.BigInteger, nullable=False),
        )
    for stmt in queue_count_statements(bind.dialect.name):
        op.execute(stmt)
    op.execute("DELETE FROM review_queue_counts")
    op.execute(f"INSERT INTO review_queue_counts (queue, slot, open_items) "
               f"SELECT queue, id % {QUEUE_COUNT_SLOTS}, count(*) FROM review_items "
               f"WHERE {OPEN_ITEM} GROUP BY queue, id % {QUEUE_COUNT_SLOTS}")  # fmt: skip


def downgrade() -> None:
    bind = op.get_bind()
    for name in ("review_queue_count_insert", "review_queue_count_delete",
                 "review_queue_count_update"):  # fmt: skip
        on = " ON review_items" if bind.dialect.name == "postgresql" else ""
        op.execute(f"DROP TRIGGER IF EXISTS {name}{on}")
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS enroll834_review_queue_count()")
    op.drop_table("review_queue_counts")
    op.drop_index(INDEX, table_name="review_items")
