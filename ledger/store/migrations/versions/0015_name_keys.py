"""Blocking keys of four more name kinds (0015): built for stored members.

Revision ID: 0015_name_keys
Revises: 0014_given_tail_key

matching/blocking.py's wider search now also looks up four name keys: the surname's
first three letters with the given name's sound and no date (a birth date left out
beside a surname typo or a second surname joined on), the surname less its first letter
with the birth year (a first-letter typo of the surname), the surname's letters in order
with the birth year (two letters transposed), and the given name's sound with the year
and day of birth (a month mistyped beside a surname changed). A member written before this revision has no
such keys; this revision builds them for every stored member
(`ledger.store.reindex.index_stored`; safe to run again). Downgrade deletes them.
"""

from __future__ import annotations

from alembic import op

from ledger.store.reindex import drop_kinds, index_stored

revision = "0015_name_keys"
down_revision = "0014_given_tail_key"
branch_labels = None
depends_on = None

NEW_KINDS = ("sur3_given", "surname_tail", "surname_letters", "given_yd")


def upgrade() -> None:
    index_stored(op.get_bind(), NEW_KINDS)


def downgrade() -> None:
    drop_kinds(op.get_bind(), NEW_KINDS)
