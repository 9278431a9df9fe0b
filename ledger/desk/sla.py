"""Review desk SLA: how long open items have waited, and every item past its due time.

`sla_report` counts open review items by queue and age since receipt
(`AGE_BUCKETS`) and lists every breach: an item open past its due time, or
resolved after it. It reads ids, queues, reasons and times only, never the
held transaction. Audited as 'review.sla'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger.desk.users import Actor, require
from ledger.desk.views import OPEN_STATUSES, QUEUES, iso, utc
from ledger.store import audit, engine, utcnow
from ledger.store import schema as t

AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("0-24h", 24.0),
    ("24-48h", 48.0),
    ("48-72h", 72.0),
    (">72h", float("inf")),
)
"""Age of an open item since receipt: (label, upper bound in hours)."""


@dataclass(frozen=True, slots=True)
class SlaReport:
    """Open items by queue and age since receipt, and every breach."""

    now: dt.datetime
    by_age: dict[str, dict[str, int]]
    open: int
    overdue: int
    breaches: tuple[dict[str, Any], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "now": iso(self.now),
            "open": self.open,
            "overdue": self.overdue,
            "by_age": self.by_age,
            "breaches": list(self.breaches),
        }


def _bucket(age: dt.timedelta) -> str:
    hours = age.total_seconds() / 3600
    return next(label for label, bound in AGE_BUCKETS if hours < bound)


def sla_report(target: str | Engine, actor: Actor, *, now: dt.datetime | None = None) -> SlaReport:
    """Counts of open items by queue and age; breaches = open past due or resolved after due.

    Breaches are listed most late first. Audited as 'review.sla'.
    """
    eng = target if isinstance(target, Engine) else engine(target)
    require(eng, actor, "review.read")
    now = utc(now) or utcnow()
    ri = t.review_items
    cols = (ri.c.id, ri.c.queue, ri.c.reason, ri.c.status, ri.c.assignee, ri.c.received_at,
            ri.c.due_at, ri.c.resolved_at)  # fmt: skip
    by_age = {q: {label: 0 for label, _ in AGE_BUCKETS} for q in QUEUES}
    breaches: list[dict[str, Any]] = []
    open_count = overdue = 0
    with eng.begin() as conn:
        for r in conn.execute(sa.select(*cols).order_by(ri.c.id)):
            received, due, done = utc(r.received_at), utc(r.due_at), utc(r.resolved_at)
            assert received is not None
            is_open = r.status in OPEN_STATUSES
            if is_open:
                open_count += 1
                by_age.setdefault(r.queue, {label: 0 for label, _ in AGE_BUCKETS})
                by_age[r.queue][_bucket(now - received)] += 1
            if due is None:
                continue
            late_at = now if is_open else done
            if late_at is None or late_at <= due:
                continue
            overdue += int(is_open)
            breaches.append({
                "id": int(r.id), "queue": r.queue, "reason": r.reason, "status": r.status,
                "assignee": r.assignee, "due_at": iso(due), "resolved_at": iso(done),
                "late_by_seconds": int((late_at - due).total_seconds()),
            })  # fmt: skip
        breaches.sort(key=lambda b: -b["late_by_seconds"])
        audit(conn, actor.user_id, "review.sla",
                   details={"open": open_count, "breaches": len(breaches)})  # fmt: skip
    return SlaReport(now, by_age, open_count, overdue, tuple(breaches))
