"""The ledger's tables (SQLAlchemy Core metadata): one schema for every package.

Append-only tables (entries, coverage_versions, supersessions,
demographics_versions, member_identifiers, audit_log) are protected by
database triggers created in the migration; application code only inserts
into them. Registries (interchanges, transaction_sets), counters and the
mutable configuration tables (groups, partners, users, review_items) may be
updated.

Timestamps are stored in UTC. JSON payloads are stored as canonical JSON text
so the hash chain is byte-stable across SQLite and PostgreSQL.

On SQLite, integer surrogate keys (entries.seq, the version ids, audit_log.seq)
are declared INTEGER, which makes them the rowid, and the text-keyed tables
(members, member_identifiers, blocking_keys) are WITHOUT ROWID: one b-tree per
row instead of two. PostgreSQL keeps BIGINT. Revision 0004 rebuilds older
SQLite ledgers into this form.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

TS = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
"""An integer surrogate key: BIGINT, but INTEGER on SQLite, where that makes it the rowid
(one b-tree instead of a rowid table plus a unique index)."""

members = sa.Table(
    "members",
    metadata,
    sa.Column("member_id", sa.String(24), primary_key=True),
    sa.Column("sponsor_id", sa.String(80), nullable=False, default=""),
    sa.Column("subscriber_member_id", sa.String(24), nullable=True),
    sa.Column("subscriber_number", sa.String(80), nullable=False, default=""),
    sa.Column("relationship", sa.String(4), nullable=False, default=""),
    sa.Column("birth_sequence", sa.Integer, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_entry", sa.BigInteger, nullable=True),
    sa.Index("ix_members_subscriber_number", "subscriber_number"),
    sqlite_with_rowid=False,  # SQLite: rows live in the primary-key b-tree
)

member_identifiers = sa.Table(
    "member_identifiers",
    metadata,
    sa.Column("member_id", sa.String(24), primary_key=True),
    sa.Column("type", sa.String(24), primary_key=True),
    sa.Column("value", sa.String(80), primary_key=True),
    sa.Column("first_seen_at", TS, nullable=False),
    sa.Column("source_entry", sa.BigInteger, nullable=True),
    sa.Index("ix_member_identifiers_type_value", "type", "value"),
    sqlite_with_rowid=False,  # SQLite: rows live in the primary-key b-tree
)

demographics_versions = sa.Table(
    "demographics_versions",
    metadata,
    sa.Column("version_id", SEQ, primary_key=True, autoincrement=False),
    sa.Column("member_id", sa.String(24), nullable=False),
    sa.Column("last", sa.String(80), nullable=False, default=""),
    sa.Column("first", sa.String(80), nullable=False, default=""),
    sa.Column("middle", sa.String(80), nullable=False, default=""),
    sa.Column("suffix", sa.String(20), nullable=False, default=""),
    sa.Column("birth_date", sa.Date, nullable=True),
    sa.Column("gender", sa.String(2), nullable=False, default=""),
    sa.Column("address_line1", sa.String(120), nullable=False, default=""),
    sa.Column("address_line2", sa.String(120), nullable=False, default=""),
    sa.Column("city", sa.String(80), nullable=False, default=""),
    sa.Column("state", sa.String(8), nullable=False, default=""),
    sa.Column("postal_code", sa.String(16), nullable=False, default=""),
    sa.Column("valid_from", sa.Date, nullable=True),
    sa.Column("recorded_at", TS, nullable=False),
    sa.Column("entry_seq", sa.BigInteger, nullable=True),
    sa.Index("ix_demographics_member", "member_id", "version_id"),
)

blocking_keys = sa.Table(
    "blocking_keys",
    metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(160), primary_key=True),
    sa.Column("member_id", sa.String(24), primary_key=True),
    sa.Index("ix_blocking_keys_member", "member_id"),
    sqlite_with_rowid=False,  # SQLite: rows live in the primary-key b-tree
)

groups = sa.Table(
    "groups",
    metadata,
    sa.Column("sponsor_id", sa.String(80), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, default=""),
    sa.Column("cobra_administration", sa.String(24), nullable=False, default="unknown"),
    sa.Column("representative", sa.String(200), nullable=True),
    sa.Column("billing", sa.Text, nullable=False, default="{}"),
    sa.Column("updated_at", TS, nullable=True),
    sa.Column("updated_by", sa.String(80), nullable=True),
)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("sender_qualifier", sa.String(4), primary_key=True),
    sa.Column("sender_id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, default=""),
    sa.Column("allowed_sponsors", sa.Text, nullable=False, default="[]"),
    sa.Column("duplicate_policy", sa.String(24), nullable=False, default="skip"),
    sa.Column("termination_date_rule", sa.String(24), nullable=False, default="bgn_date"),
    sa.Column("strict", sa.Boolean, nullable=False, default=False),
    sa.Column("retro_days", sa.Integer, nullable=True),
    sa.Column("future_days", sa.Integer, nullable=True),
    sa.Column("updated_at", TS, nullable=True),
    sa.Column("updated_by", sa.String(80), nullable=True),
)

coverage_versions = sa.Table(
    "coverage_versions",
    metadata,
    sa.Column("version_id", SEQ, primary_key=True, autoincrement=False),
    sa.Column("member_id", sa.String(24), nullable=False),
    sa.Column("insurance_line", sa.String(8), nullable=False),
    sa.Column("plan", sa.String(80), nullable=False, default=""),
    sa.Column("coverage_level", sa.String(8), nullable=False, default=""),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date, nullable=True),
    sa.Column("recorded_at", TS, nullable=False),
    sa.Column("entry_seq", sa.BigInteger, nullable=True),
    sa.Index("ix_coverage_member_line", "member_id", "insurance_line"),
    sa.Index("ix_coverage_roster", "valid_from", "valid_to"),
)

supersessions = sa.Table(
    "supersessions",
    metadata,
    sa.Column("version_id", SEQ, primary_key=True, autoincrement=False),
    sa.Column("superseded_at", TS, nullable=False),
    sa.Column("superseded_by", sa.BigInteger, nullable=True),
    sa.Column("entry_seq", sa.BigInteger, nullable=True),
)

entries = sa.Table(
    "entries",
    metadata,
    sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
    sa.Column("member_id", sa.String(24), nullable=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("before", sa.Text, nullable=True),
    sa.Column("after", sa.Text, nullable=True),
    sa.Column("valid_from", sa.Date, nullable=True),
    sa.Column("valid_to", sa.Date, nullable=True),
    sa.Column("recorded_at", TS, nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=True),
    sa.Column("sender_qualifier", sa.String(4), nullable=True),
    sa.Column("sender_id", sa.String(40), nullable=True),
    sa.Column("interchange_control", sa.String(16), nullable=True),
    sa.Column("group_control", sa.String(16), nullable=True),
    sa.Column("set_control", sa.String(16), nullable=True),
    sa.Column("first_position", sa.Integer, nullable=True),
    sa.Column("last_position", sa.Integer, nullable=True),
    sa.Column("member_ordinal", sa.Integer, nullable=True),
    sa.Column("decided_by", sa.String(80), nullable=False, default="auto"),
    sa.Column("score", sa.Float, nullable=True),
    sa.Column("notes", sa.Text, nullable=True),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("model_version", sa.Integer, nullable=True),
    # the match model whose weights decided (0: the prior); hashed when present (0013)
    sa.Index("ix_entries_member", "member_id", "seq"),
)

chain_heads = sa.Table(
    "chain_heads",
    metadata,
    sa.Column("name", sa.String(24), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

counters = sa.Table(
    "counters",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

ack_control_numbers = sa.Table(
    "ack_control_numbers",
    metadata,
    sa.Column("kind", sa.String(24), primary_key=True),
    sa.Column("next_value", sa.BigInteger, nullable=False),
)

interchanges = sa.Table(
    "interchanges",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_qualifier", sa.String(4), nullable=False),
    sa.Column("sender_id", sa.String(40), nullable=False),
    sa.Column("receiver_qualifier", sa.String(4), nullable=False),
    sa.Column("receiver_id", sa.String(40), nullable=False),
    sa.Column("control_number", sa.String(16), nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=True),
    sa.Column("source", sa.String(400), nullable=False, default=""),
    sa.Column("first_seen_at", TS, nullable=False),
    sa.Column("completed_at", TS, nullable=True),
    sa.UniqueConstraint(
        "sender_qualifier",
        "sender_id",
        "receiver_qualifier",
        "receiver_id",
        "control_number",
        name="uq_interchanges_key",
    ),
)

transaction_sets = sa.Table(
    "transaction_sets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("interchange_id", sa.Integer, sa.ForeignKey("interchanges.id"), nullable=False),
    sa.Column("group_control", sa.String(16), nullable=False),
    sa.Column("set_control", sa.String(16), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("purpose", sa.String(4), nullable=False, default=""),
    sa.Column("members", sa.Integer, nullable=False, default=0),
    sa.Column("applied_at", TS, nullable=True),
    sa.UniqueConstraint(
        "interchange_id", "group_control", "set_control", name="uq_transaction_sets_key"
    ),
)

review_items = sa.Table(
    "review_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("queue", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("explanation", sa.Text, nullable=False, default=""),
    sa.Column("sponsor_id", sa.String(80), nullable=False, default=""),
    sa.Column("transaction", sa.Text, nullable=False),
    sa.Column("header", sa.Text, nullable=False),
    sa.Column("candidates", sa.Text, nullable=False, default="[]"),
    sa.Column("suggested_member_id", sa.String(24), nullable=True),
    sa.Column("family_key", sa.String(120), nullable=False, default=""),
    sa.Column("transaction_set_id", sa.Integer, nullable=True),
    sa.Column("received_at", TS, nullable=False),
    sa.Column("due_at", TS, nullable=True),
    sa.Column("status", sa.String(16), nullable=False, default="open"),
    sa.Column("assignee", sa.String(80), nullable=True),
    sa.Column("resolution", sa.String(32), nullable=True),
    sa.Column("resolved_by", sa.String(80), nullable=True),
    sa.Column("resolved_at", TS, nullable=True),
    sa.Column("model_version", sa.Integer, nullable=True),
    sa.Index("ix_review_items_queue", "status", "queue", "due_at"),
    sa.Index("ix_review_items_family", "family_key"),
)

review_queue_counts = sa.Table(
    "review_queue_counts",
    metadata,
    sa.Column("queue", sa.String(16), primary_key=True),
    sa.Column("slot", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("open_items", sa.BigInteger, nullable=False, default=0),
)
"""Open and assigned review items per queue, in slots (an item counts in slot id % 256), kept
by triggers on review_items (revision 0011, `db.queue_count_statements`): a queue's count
is the sum of its slots, read instead of counting every open item."""

users = sa.Table(
    "users",
    metadata,
    sa.Column("user_id", sa.String(80), primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=False, default=""),
    sa.Column("code_hash", sa.String(300), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("created_by", sa.String(80), nullable=True),
)

user_roles = sa.Table(
    "user_roles",
    metadata,
    sa.Column("user_id", sa.String(80), sa.ForeignKey("users.user_id"), primary_key=True),
    sa.Column("role", sa.String(24), primary_key=True),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("user_id", sa.String(80), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("target", sa.String(200), nullable=False, default=""),
    sa.Column("details", sa.Text, nullable=False, default="{}"),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

match_models = sa.Table(
    "match_models",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("trained_by", sa.String(80), nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("diagnostics", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=False),
)
"""Fitted match models (revision 0013): `params` is the model as JSON (m/u per level, term
frequencies — PHI at rest — and the prior odds), `diagnostics` the fit's; at most one row is
active. No active row: the hand-set prior, version 0."""

APPEND_ONLY = (
    "entries",
    "coverage_versions",
    "supersessions",
    "demographics_versions",
    "member_identifiers",
    "audit_log",
)
"""Tables whose rows are never updated or deleted (the database refuses it)."""
