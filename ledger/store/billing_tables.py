"""Tables for premium billing (created by migration 0008_billing; used by `ledger.billing`).

Money is integer cents (BIGINT) everywhere; periods are coverage months 'YYYY-MM'.

- `billing_rates`: monthly premium per sponsor x plan (HD04, else HD03) x coverage level
  (HD05), effective [valid_from, valid_to) (valid_to NULL = open). Configuration.
- `billing_cycles`: append-only versions of a group's cycle (bill day, due day, paper,
  proration); a version applies to periods from `from_period` on, the newest wins.
- `billing_bills`: the registry, one row per sponsor and period (unique): cut-off (record
  time the coverage was read at), the ledger's entry high-water mark at the cut-off,
  dates, totals. An issued bill is never changed (only `files` is written after issue).
- `billing_lines`: append-only; per member and coverage, a charge for the bill's period or
  an adjustment of an earlier billed month (as known now minus as billed, with a reason).
- `billing_payments`, `billing_applications`: payments (CLI or 820; a reversal is a
  negative payment naming the reversed one) and how much of each went to which bill; the
  unapplied remainder is the sponsor's credit.
- `billing_reminders`: one row per bill and schedule step (sent or skipped), unique.
- `billing_brokers`, `billing_broker_of_record`, `billing_commission_schedules`,
  `billing_commission_statements` (unique per broker and period), `billing_commission_lines`.

They live in their own MetaData so the initial migration stays as it was.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

TS = sa.DateTime(timezone=True)
CENTS = sa.BigInteger

billing_rates = sa.Table(
    "billing_rates",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sponsor_id", sa.String(80), nullable=False),
    sa.Column("plan", sa.String(80), nullable=False),
    sa.Column("level", sa.String(8), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date, nullable=True),
    sa.Column("rate_cents", CENTS, nullable=False),
    sa.Column("loaded_at", TS, nullable=False),
    sa.Column("loaded_by", sa.String(80), nullable=False),
    sa.UniqueConstraint("sponsor_id", "plan", "level", "valid_from", name="uq_billing_rates_key"),
)

billing_cycles = sa.Table(
    "billing_cycles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sponsor_id", sa.String(80), nullable=False),
    sa.Column("from_period", sa.String(7), nullable=False),
    sa.Column("bill_day", sa.Integer, nullable=False),
    sa.Column("bill_in", sa.String(12), nullable=False),
    sa.Column("due_day", sa.Integer, nullable=False),
    sa.Column("paper", sa.Boolean, nullable=False),
    sa.Column("proration", sa.String(12), nullable=False),
    sa.Column("proration_day", sa.Integer, nullable=False),
    sa.Column("recorded_at", TS, nullable=False),
    sa.Column("recorded_by", sa.String(80), nullable=False),
    sa.Index("ix_billing_cycles_sponsor", "sponsor_id", "from_period"),
)

billing_bills = sa.Table(
    "billing_bills",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("bill_number", sa.String(100), nullable=False, unique=True),
    sa.Column("sponsor_id", sa.String(80), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("cutoff", TS, nullable=False),
    sa.Column("entries_seq", sa.BigInteger, nullable=False),
    sa.Column("bill_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("paper", sa.Boolean, nullable=False),
    sa.Column("proration", sa.String(12), nullable=False),
    sa.Column("members", sa.Integer, nullable=False),
    sa.Column("lines", sa.Integer, nullable=False),
    sa.Column("premium_cents", CENTS, nullable=False),
    sa.Column("adjustments_cents", CENTS, nullable=False),
    sa.Column("total_cents", CENTS, nullable=False),
    sa.Column("totals", sa.Text, nullable=False, default="[]"),
    sa.Column("files", sa.Text, nullable=False, default="{}"),
    sa.Column("issued_at", TS, nullable=False),
    sa.Column("issued_by", sa.String(80), nullable=False),
    sa.UniqueConstraint("sponsor_id", "period", name="uq_billing_bills_period"),
)

billing_lines = sa.Table(
    "billing_lines",
    metadata,
    sa.Column("bill_id", sa.Integer, primary_key=True),
    sa.Column("ordinal", sa.Integer, primary_key=True),
    sa.Column("sponsor_id", sa.String(80), nullable=False),
    sa.Column("member_id", sa.String(24), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("insurance_line", sa.String(8), nullable=False),
    sa.Column("plan", sa.String(80), nullable=False),
    sa.Column("level", sa.String(8), nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("unit", sa.String(8), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("rate_cents", CENTS, nullable=False),
    sa.Column("amount_cents", CENTS, nullable=False),
    sa.Column("member_months", sa.Integer, nullable=False, default=0),
    sa.Column("reason", sa.String(40), nullable=False, default=""),
    sa.Index("ix_billing_lines_member", "sponsor_id", "member_id", "period"),
)

billing_payments = sa.Table(
    "billing_payments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sponsor_id", sa.String(80), nullable=False),
    sa.Column("reference", sa.String(120), nullable=False),
    sa.Column("source", sa.String(12), nullable=False),
    sa.Column("amount_cents", CENTS, nullable=False),
    sa.Column("received_at", TS, nullable=False),
    sa.Column("reverses", sa.Integer, nullable=True),
    sa.Column("file_sha256", sa.String(64), nullable=True),
    sa.Column("recorded_by", sa.String(80), nullable=False),
    sa.UniqueConstraint("sponsor_id", "reference", name="uq_billing_payments_reference"),
)

billing_applications = sa.Table(
    "billing_applications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("payment_id", sa.Integer, nullable=False),
    sa.Column("bill_id", sa.Integer, nullable=False),
    sa.Column("amount_cents", CENTS, nullable=False),
    sa.Column("applied_at", TS, nullable=False),
    sa.Index("ix_billing_applications_bill", "bill_id"),
    sa.Index("ix_billing_applications_payment", "payment_id"),
)

billing_reminders = sa.Table(
    "billing_reminders",
    metadata,
    sa.Column("bill_id", sa.Integer, primary_key=True),
    sa.Column("step", sa.Integer, primary_key=True),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("on_date", sa.Date, nullable=False),
    sa.Column("balance_cents", CENTS, nullable=False),
    sa.Column("files", sa.Text, nullable=False, default="{}"),
    sa.Column("recorded_at", TS, nullable=False),
)

billing_brokers = sa.Table(
    "billing_brokers",
    metadata,
    sa.Column("broker_id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, default=""),
    sa.Column("address", sa.Text, nullable=False, default="[]"),
    sa.Column("updated_at", TS, nullable=False),
)

billing_broker_of_record = sa.Table(
    "billing_broker_of_record",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sponsor_id", sa.String(80), nullable=False),
    sa.Column("broker_id", sa.String(40), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date, nullable=True),
    sa.Column("recorded_at", TS, nullable=False),
    sa.UniqueConstraint("sponsor_id", "valid_from", name="uq_billing_bor_from"),
)

billing_commission_schedules = sa.Table(
    "billing_commission_schedules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("product", sa.String(80), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("basis_points", sa.Integer, nullable=False, default=0),
    sa.Column("pmpm_cents", CENTS, nullable=False, default=0),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date, nullable=True),
    sa.Column("recorded_at", TS, nullable=False),
    sa.UniqueConstraint("product", "valid_from", name="uq_billing_commission_from"),
)

billing_commission_statements = sa.Table(
    "billing_commission_statements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("broker_id", sa.String(40), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("total_cents", CENTS, nullable=False),
    sa.Column("lines", sa.Integer, nullable=False),
    sa.Column("files", sa.Text, nullable=False, default="{}"),
    sa.Column("issued_at", TS, nullable=False),
    sa.Column("issued_by", sa.String(80), nullable=False),
    sa.UniqueConstraint("broker_id", "period", name="uq_billing_commission_period"),
)

billing_commission_lines = sa.Table(
    "billing_commission_lines",
    metadata,
    sa.Column("statement_id", sa.Integer, primary_key=True),
    sa.Column("ordinal", sa.Integer, primary_key=True),
    sa.Column("sponsor_id", sa.String(80), nullable=False),
    sa.Column("bill_id", sa.Integer, nullable=False),
    sa.Column("application_id", sa.Integer, nullable=False),
    sa.Column("product", sa.String(80), nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("premium_paid_cents", CENTS, nullable=False),
    sa.Column("rate", sa.String(24), nullable=False),
    sa.Column("amount_cents", CENTS, nullable=False),
    sa.Column("reason", sa.String(40), nullable=False, default=""),
    sa.UniqueConstraint("application_id", "product", name="uq_billing_commission_application"),
)

APPEND_ONLY = ("billing_lines", "billing_cycles", "billing_commission_lines")
"""Billing tables whose rows are never updated or deleted (the database refuses it)."""

EXTRA_INDEXES = (("ix_members_sponsor", "members", ("sponsor_id", "member_id")),)
"""Indexes on store tables billing reads by (created by 0008 with op.create_index)."""
