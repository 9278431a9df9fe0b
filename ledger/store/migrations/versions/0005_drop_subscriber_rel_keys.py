"""Blocking keys of kind `subscriber_rel` are no longer written or looked up: delete them.

Revision ID: 0005_drop_subscriber_rel_keys
Revises: 0004_sqlite_key_tables

`subscriber_rel` (subscriber number | self/spouse/dependent) selected a subset
of what `subscriber` (the subscriber number: the whole family) selects, and a
candidate look-up is the union of every key's holders, so it never added a
candidate. Blocking keys are an index, not ledger history: the entries and
their hash chain are untouched. Downgrade leaves them gone (older code finds
the same candidates through `subscriber`).
"""

from __future__ import annotations

from alembic import op

revision = "0005_drop_subscriber_rel_keys"
down_revision = "0004_sqlite_key_tables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM blocking_keys WHERE kind = 'subscriber_rel'")


def downgrade() -> None:
    pass
