"""Blocking key `given_tail` (a first-letter typo of the given name): built for stored members.

Revision ID: 0014_given_tail_key
Revises: 0013_match_models

matching/blocking.py's wider search now also looks up `given_tail` — the surname's
Soundex with the given name less its first letter (JESSICA sent as TESSICA: every
Soundex key keeps the first letter, so no other key survived it together with a
changed birth date and a move). A member written before this revision has no such
key; this revision builds it for every stored member
(`ledger.store.reindex.index_stored`; safe to run again). Downgrade deletes them.
"""

from __future__ import annotations

from alembic import op

from ledger.store.reindex import drop_kinds, index_stored

revision = "0014_given_tail_key"
down_revision = "0013_match_models"
branch_labels = None
depends_on = None

NEW_KINDS = ("given_tail",)


def upgrade() -> None:
    index_stored(op.get_bind(), NEW_KINDS)


def downgrade() -> None:
    drop_kinds(op.get_bind(), NEW_KINDS)
