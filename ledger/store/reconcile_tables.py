"""Tables for full-file reconciliation (created by migration 0002_full_files).

- `full_file_policies`: per trading partner, what a full file may change
  (`verify` | `replace`) and the guard's shares. Mutable configuration.
- `reconciliation_runs`: one row per full-file transaction set reconciled
  (not for dry runs), with its counts and outcome.
- `confirmations`: append-only; a member (insurance_line '') or one of its
  coverages agreed with a full file whose BGN date/time is `confirmed_at`.
- `discrepancies`: one row per difference found by a run; the review list
  for the operations team (`status` open until someone decides it: then the
  decision, e.g. 'terminate', 'keep'). Under the verify policy each member's
  discrepancies are a reconciliation work item (`ledger.fullfile.work`), and
  `member_tx` keeps the file's member loop it needs (revision 0010).

They live in their own MetaData so the initial migration stays as it was.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

TS = sa.DateTime(timezone=True)

full_file_policies = sa.Table(
    "full_file_policies",
    metadata,
    sa.Column("sender_qualifier", sa.String(4), primary_key=True),
    sa.Column("sender_id", sa.String(40), primary_key=True),
    sa.Column("policy", sa.String(8), nullable=False, default="verify"),
    sa.Column("max_termination_share", sa.Float, nullable=False, default=0.10),
    sa.Column("max_change_share", sa.Float, nullable=False, default=0.25),
    sa.Column("updated_at", TS, nullable=True),
    sa.Column("updated_by", sa.String(80), nullable=True),
)

reconciliation_runs = sa.Table(
    "reconciliation_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sponsor_id", sa.String(80), nullable=False, default=""),
    sa.Column("sender_qualifier", sa.String(4), nullable=False, default=""),
    sa.Column("sender_id", sa.String(40), nullable=False, default=""),
    sa.Column("interchange_control", sa.String(16), nullable=False, default=""),
    sa.Column("group_control", sa.String(16), nullable=False, default=""),
    sa.Column("set_control", sa.String(16), nullable=False, default=""),
    sa.Column("file_sha256", sa.String(64), nullable=True),
    sa.Column("source", sa.String(400), nullable=False, default=""),
    sa.Column("action_code", sa.String(4), nullable=False, default=""),
    sa.Column("semantics", sa.String(8), nullable=False, default="verify"),
    sa.Column("file_time", TS, nullable=True),
    sa.Column("effective_date", sa.Date, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("counts", sa.Text, nullable=False, default="{}"),
    sa.Column("guard", sa.Text, nullable=False, default=""),
    sa.Column("review_item_id", sa.Integer, nullable=True),
    sa.Column("actor", sa.String(80), nullable=False, default="system"),
    sa.Column("recorded_at", TS, nullable=False),
    sa.Index("ix_reconciliation_runs_sponsor", "sponsor_id", "id"),
)

confirmations = sa.Table(
    "confirmations",
    metadata,
    sa.Column("run_id", sa.Integer, primary_key=True),
    sa.Column("member_id", sa.String(24), primary_key=True),
    sa.Column("insurance_line", sa.String(8), primary_key=True),
    sa.Column("confirmed_at", TS, nullable=True),
    sa.Column("recorded_at", TS, nullable=False),
    sa.Index("ix_confirmations_member", "member_id", "insurance_line"),
)

discrepancies = sa.Table(
    "discrepancies",
    metadata,
    sa.Column("run_id", sa.Integer, primary_key=True),
    sa.Column("ordinal", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("severity", sa.String(8), nullable=False),
    sa.Column("member_id", sa.String(24), nullable=True),
    sa.Column("subscriber_number", sa.String(80), nullable=False, default=""),
    sa.Column("relationship", sa.String(4), nullable=False, default=""),
    sa.Column("insurance_line", sa.String(8), nullable=False, default=""),
    sa.Column("fields", sa.Text, nullable=False, default="[]"),
    sa.Column("action", sa.String(24), nullable=False, default="review"),
    sa.Column("member_ordinal", sa.Integer, nullable=True),
    sa.Column("position", sa.Integer, nullable=True),
    sa.Column("status", sa.String(16), nullable=False, default="open"),
    # revision 0010: the file's member loop (MemberTransaction JSON; PHI, like a review
    # item's transaction) of a discrepancy a person decides, and the decision taken
    sa.Column("member_tx", sa.Text, nullable=True),
)

APPEND_ONLY = ("confirmations",)
