"""A group's billing cycle: when its bill is produced, when it is due, paper or not, proration.

    billing = { bill_day = 15, bill_in = "previous", due_day = 5, paper = true,
                proration = "by_day" }                        # in [[groups]] of `groups load`

- `bill_day` (1-28) of the coverage month (`bill_in = "coverage"`, the default) or of the
  month before it (`"previous"`); the bill is due on the first `due_day` (1-28) on or
  after the bill date. Billed on the 1st, due on the 20th: bill_day 1, due_day 20; billed
  on the 15th, due on the 5th of the coverage month: bill_day 15, bill_in "previous",
  due_day 5.
- `paper`: the group also receives the PDF through the mail room.
- `proration`: "whole_month" (a member is billed the month when covered on
  `proration_day`, default 1) or "by_day" (covered days / days in the month).

Versions are append-only. `set_cycle` records a version effective from the next period
not yet billed for the group (the first period after its newest issued bill, or from the
start when it has none), so an issued bill and its period never change; audited as
'billing.cycle_set' with the fields. `cycle_for(conn, sponsor, period)` is the version in
force for a period (the newest recorded among those starting at or before it), or the
default (1st / 20th / no paper / whole month on day 1).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.billing.money import PRORATIONS, Period
from ledger.store import LedgerError, audit, billing_tables, utcnow

BILL_IN = ("coverage", "previous")
FIRST = "0001-01"


@dataclass(frozen=True, slots=True)
class Cycle:
    """One group's cycle settings (see module docstring)."""

    bill_day: int = 1
    bill_in: str = "coverage"
    due_day: int = 20
    paper: bool = False
    proration: str = "whole_month"
    proration_day: int = 1

    def __post_init__(self) -> None:
        for name in ("bill_day", "due_day", "proration_day"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 28:
                raise LedgerError(f"billing {name} must be a whole number from 1 to 28")
        if self.bill_in not in BILL_IN:
            raise LedgerError("billing bill_in must be 'coverage' or 'previous'")
        if self.proration not in PRORATIONS:
            raise LedgerError("billing proration must be 'whole_month' or 'by_day'")

    def bill_date(self, period: Period) -> dt.date:
        month = period if self.bill_in == "coverage" else period.previous()
        return month.day(self.bill_day)

    def due_date(self, period: Period) -> dt.date:
        billed = self.bill_date(period)
        month = Period.of(billed)
        due = month.day(self.due_day)
        return due if due >= billed else month.next().day(self.due_day)


CYCLE_KEYS = tuple(Cycle.__dataclass_fields__)


def cycle_from(spec: Mapping[str, Any], base: Cycle | None = None) -> Cycle:
    """A Cycle from a TOML/CLI mapping laid over `base` (unknown keys are ignored)."""
    values = asdict(base or Cycle())
    values.update({k: spec[k] for k in CYCLE_KEYS if k in spec and spec[k] is not None})
    if not isinstance(values["paper"], bool):
        raise LedgerError("billing paper must be true or false")
    return Cycle(**values)


def _newest_issued(conn: Connection, sponsor_id: str) -> str | None:
    b = billing_tables.billing_bills
    return conn.execute(sa.select(sa.func.max(b.c.period)).where(b.c.sponsor_id == sponsor_id)
                        ).scalar()  # fmt: skip


def cycle_for(conn: Connection, sponsor_id: str, period: Period) -> Cycle:
    """The cycle in force for `period` (default when none was set)."""
    c = billing_tables.billing_cycles
    row = conn.execute(
        sa.select(c).where(c.c.sponsor_id == sponsor_id, c.c.from_period <= str(period))
        .order_by(c.c.from_period.desc(), c.c.id.desc()).limit(1)
    ).first()  # fmt: skip
    if row is None:
        return Cycle()
    return Cycle(row.bill_day, row.bill_in, row.due_day, bool(row.paper), row.proration,
                 row.proration_day)  # fmt: skip


def set_cycle(conn: Connection, sponsor_id: str, spec: Mapping[str, Any], *, user: str
              ) -> tuple[str, Cycle]:  # fmt: skip
    """Record a cycle version from the next unbilled period; returns (from period, cycle).

    Keys not in `spec` keep their current value. Nothing is written when nothing changes.
    """
    newest = _newest_issued(conn, sponsor_id)
    start = str(Period.parse(newest).next()) if newest else FIRST
    current = cycle_for(conn, sponsor_id, Period.parse(start) if newest else Period(9999, 12))
    cycle = cycle_from(spec, current)
    if cycle == current and _has_versions(conn, sponsor_id):
        return start, cycle
    c = billing_tables.billing_cycles
    conn.execute(c.insert().values(sponsor_id=sponsor_id, from_period=start, **asdict(cycle),
                                   recorded_at=utcnow(), recorded_by=user))  # fmt: skip
    changed = sorted(k for k in CYCLE_KEYS if getattr(cycle, k) != getattr(current, k))
    audit(conn, user, "billing.cycle_set", target=sponsor_id,
          details={"from_period": start, "fields": changed})  # fmt: skip
    return start, cycle


def _has_versions(conn: Connection, sponsor_id: str) -> bool:
    c = billing_tables.billing_cycles
    return conn.execute(sa.select(c.c.id).where(c.c.sponsor_id == sponsor_id).limit(1)
                        ).first() is not None  # fmt: skip
