"""Tables for employer-group clients and their online submissions (migration 0009_client_accounts).

- `clients`: a client (one employer group, or a family of groups it administers) with its
  address of record (JSON: name, line1, line2, city, state, postal_code), where its
  mailed letters go.
- `client_sponsors`: which sponsors (N1*P5) belong to which client; a sponsor belongs to
  at most one client.
- `client_users`: every client user (a row of `users` too, so sign-in, sessions and
  lockout are the staff ones), bound to one client; whether it is the client's
  administrator, whether it must still choose a password (a mailed code is valid for
  that first sign-in only), who created it.
- `group_contacts`: a group's representative (name, phone) shown when a Medicare
  enrollment is referred.
- `client_submissions`: one row per online submission (the form's idempotency key is
  unique per client): who, when, which form, the 834 it became (the unit of work), its
  interchange and its outcome.

They live in their own MetaData so earlier migrations stay as they were.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

TS = sa.DateTime(timezone=True)

clients = sa.Table(
    "clients",
    metadata,
    sa.Column("client_id", sa.String(15), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, default=""),
    sa.Column("address", sa.Text, nullable=False, default="{}"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(80), nullable=False),
)

client_sponsors = sa.Table(
    "client_sponsors",
    metadata,
    sa.Column("sponsor_id", sa.String(80), primary_key=True),
    sa.Column("client_id", sa.String(15), sa.ForeignKey("clients.client_id"), nullable=False),
    sa.Index("ix_client_sponsors_client", "client_id"),
)

client_users = sa.Table(
    "client_users",
    metadata,
    sa.Column("user_id", sa.String(80), primary_key=True),
    sa.Column("client_id", sa.String(15), sa.ForeignKey("clients.client_id"), nullable=False),
    sa.Column("is_admin", sa.Boolean, nullable=False, default=False),
    sa.Column("must_set_password", sa.Boolean, nullable=False, default=True),
    sa.Column("code_issued_at", TS, nullable=True),
    sa.Column("password_set_at", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(80), nullable=False),
    sa.Index("ix_client_users_client", "client_id"),
)

group_contacts = sa.Table(
    "group_contacts",
    metadata,
    sa.Column("sponsor_id", sa.String(80), primary_key=True),
    sa.Column("representative_name", sa.String(200), nullable=False, default=""),
    sa.Column("representative_phone", sa.String(40), nullable=False, default=""),
    sa.Column("updated_at", TS, nullable=True),
    sa.Column("updated_by", sa.String(80), nullable=True),
)

client_submissions = sa.Table(
    "client_submissions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("client_id", sa.String(15), nullable=False),
    sa.Column("idempotency_key", sa.String(64), nullable=False),
    sa.Column("user_id", sa.String(80), nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("sponsor_id", sa.String(80), nullable=False),
    sa.Column("submitted_at", TS, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("interchange_control", sa.String(16), nullable=False, default=""),
    sa.Column("status", sa.String(16), nullable=False, default="received"),
    sa.Column("outcome", sa.Text, nullable=False, default="{}"),
    sa.Column("finished_at", TS, nullable=True),
    sa.UniqueConstraint("client_id", "idempotency_key", name="uq_client_submissions_key"),
    sa.Index("ix_client_submissions_user", "client_id", "user_id", "id"),
)
