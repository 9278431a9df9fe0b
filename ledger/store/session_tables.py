"""Tables for signed-in browser sessions and desk notes (created by migration 0007_web_sessions).

- `web_sessions`: one row per browser session. The key is the SHA-256 of the
  session token (the token itself lives only in the browser's cookie), with the
  session's CSRF token, when it was created, last used and must end, and when
  (and by whom) it was revoked. Mutable: `last_seen_at` moves, `revoked_at` is set once.
- `review_notes`: free-text notes on a review item, oldest first; insert only.

They live in their own MetaData so earlier migrations stay as they were.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

TS = sa.DateTime(timezone=True)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(80), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("last_seen_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("revoked_at", TS, nullable=True),
    sa.Column("revoked_by", sa.String(80), nullable=True),
    sa.Column("ended", sa.String(16), nullable=True),
    sa.Index("ix_web_sessions_user", "user_id"),
)

review_notes = sa.Table(
    "review_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.Integer, nullable=False),
    sa.Column("user_id", sa.String(80), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Index("ix_review_notes_item", "item_id", "id"),
)

APPEND_ONLY = ("review_notes",)
