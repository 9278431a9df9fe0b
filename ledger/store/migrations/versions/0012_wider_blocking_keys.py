"""Blocking keys of the kinds added for a search that cannot miss: built for stored members.

Revision ID: 0012_wider_blocking_keys
Revises: 0011_open_review_items

matching/blocking.py now indexes, besides the older kinds, `ssn_part` (the SSN with
one third masked), `sur3_year`, `street_year` (no ZIP needed) and the wider
search's `dob`, `name`, `surname_md`, `given_md`, `given_ym` and `street`. A
member written before this revision has none of them, so the wider search before
a NEW decision would not find them. This revision builds the keys of these kinds
for every stored member (`ledger.store.reindex.index_stored`; safe to run again).
Downgrade deletes the keys of these kinds (older code never looks them up).
"""

from __future__ import annotations

from alembic import op

from ledger.store.reindex import drop_kinds, index_stored

revision = "0012_wider_blocking_keys"
down_revision = "0011_open_review_items"
branch_labels = None
depends_on = None

NEW_KINDS = (
    "ssn_part",
    "sur3_year",
    "street_year",
    "dob",
    "name",
    "surname_md",
    "given_md",
    "given_ym",
    "street",
)


def upgrade() -> None:
    index_stored(op.get_bind(), NEW_KINDS)


def downgrade() -> None:
    drop_kinds(op.get_bind(), NEW_KINDS)
