"""The supervisors' dashboard: how the desk and the files are doing, in counts only.

`dashboard` reads, for the last `days` days (UTC):

- per day (the day the ledger processed the file), members received, applied automatically (matched or enrolled without a
  person), sent to review, referred (Medicare) and rejected — from the audit records
  each transaction set leaves (`ingest.transaction_set` with its member counts, and
  `ingest.set_rejected` for a set validation rejected whole);
- open review items by age since receipt, against the 48-hour SLA (`AGE_BUCKETS`);
- per ISO week (of the last `weeks`), the items resolved and how many by their due time;
- per trading partner (sender id), rejected members and rejected transaction sets.

Counts, dates, queue names and sender ids only: no PHI. Needs 'desk.dashboard'
(supervisors); audited as 'desk.dashboard'.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger.desk.users import Actor, require
from ledger.desk.views import OPEN_STATUSES, utc
from ledger.store import audit, engine, utcnow
from ledger.store import schema as t

SLA_HOURS = 48
AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("0-12 h", 12), ("12-24 h", 24), ("24-36 h", 36), ("36-48 h", 48), ("48-72 h", 72),
    ("3-7 d", 168), ("> 7 d", float("inf")),
)  # fmt: skip
"""Age of an open item since receipt: (label, upper bound in hours); past 48 h is late."""
DAY_SERIES = ("received", "applied", "review", "referred", "rejected")
AUTOMATIC = ("applied", "new")
"""Ingest member counts that mean 'applied without a person'."""


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The dashboard's four tables (lists of flat dicts: a chart each, a CSV each)."""

    now: dt.datetime
    days: tuple[dict[str, Any], ...]
    """{day, received, applied, review, referred, rejected}, oldest first, every day present."""
    ages: tuple[dict[str, Any], ...]
    """{age, open, late}: open items per age bucket; `late` when the bucket is past the SLA."""
    weeks: tuple[dict[str, Any], ...]
    """{week (its Monday), resolved, on_time, met_pct (None when nothing was resolved)}."""
    partners: tuple[dict[str, Any], ...]
    """{partner, rejected_members, rejected_sets}, most rejections first."""

    def table(self, name: str) -> tuple[dict[str, Any], ...]:
        """One of 'days', 'ages', 'weeks', 'partners' (KeyError otherwise)."""
        return {"days": self.days, "ages": self.ages, "weeks": self.weeks,
                "partners": self.partners}[name]  # fmt: skip


TABLES = ("days", "ages", "weeks", "partners")


def _partner(target: str) -> str:
    return (target or "").split("/", 1)[0] or "-"


def _counts(details: str) -> dict[str, int]:
    try:
        members = json.loads(details or "{}").get("members")
    except ValueError:
        return {}
    if isinstance(members, int):  # a rejected set: how many members it carried
        return {"rejected": members, "_set_rejected": 1}
    return {k: int(v) for k, v in (members or {}).items() if isinstance(v, int)}


def dashboard(
    target: str | Engine, actor: Actor, *, days: int = 14, weeks: int = 8,
    now: dt.datetime | None = None,
) -> Dashboard:  # fmt: skip
    """The dashboard as of `now` (default: now) over the last `days` days and `weeks` weeks."""
    eng = target if isinstance(target, Engine) else engine(target)
    require(eng, actor, "desk.dashboard")
    now = utc(now) or utcnow()
    today = now.date()
    first_day = today - dt.timedelta(days=days - 1)
    per_day = {first_day + dt.timedelta(days=i): dict.fromkeys(DAY_SERIES, 0) for i in range(days)}
    partners: dict[str, dict[str, int]] = defaultdict(lambda: {"rejected_members": 0,
                                                                "rejected_sets": 0})  # fmt: skip
    monday = today - dt.timedelta(days=today.weekday())
    first_week = monday - dt.timedelta(weeks=weeks - 1)
    per_week = {first_week + dt.timedelta(weeks=i): [0, 0] for i in range(weeks)}
    ages = dict.fromkeys((label for label, _ in AGE_BUCKETS), 0)
    a, ri = t.audit_log, t.review_items
    since = dt.datetime.combine(first_day, dt.time(), dt.UTC)
    with eng.begin() as conn:
        for r in conn.execute(sa.select(a.c.at, a.c.action, a.c.target, a.c.details).where(
                a.c.action.in_(("ingest.transaction_set", "ingest.set_rejected")),
                a.c.at >= since)):  # fmt: skip
            at = utc(r.at)
            assert at is not None
            day = per_day.get(at.date())
            if day is None:
                continue
            c = _counts(r.details)
            day["received"] += sum(v for k, v in c.items() if not k.startswith("_"))
            day["applied"] += sum(c.get(k, 0) for k in AUTOMATIC)
            for k in ("review", "referred", "rejected"):
                day[k] += c.get(k, 0)
            p = partners[_partner(r.target)]
            p["rejected_members"] += c.get("rejected", 0)
            p["rejected_sets"] += c.get("_set_rejected", 0)
        for (received,) in conn.execute(sa.select(ri.c.received_at)
                                        .where(ri.c.status.in_(OPEN_STATUSES))):  # fmt: skip
            hours = (now - (utc(received) or now)).total_seconds() / 3600
            ages[next(label for label, bound in AGE_BUCKETS if hours < bound)] += 1
        start = dt.datetime.combine(first_week, dt.time(), dt.UTC)
        for done, due in conn.execute(sa.select(ri.c.resolved_at, ri.c.due_at).where(
                ri.c.resolved_at >= start, ri.c.due_at.is_not(None))):  # fmt: skip
            done_at, due_at = utc(done), utc(due)
            assert done_at is not None and due_at is not None
            week = per_week.get(done_at.date() - dt.timedelta(days=done_at.weekday()))
            if week is not None:
                week[0] += 1
                week[1] += int(done_at <= due_at)
        audit(conn, actor.user_id, "desk.dashboard", details={"days": days, "weeks": weeks})
    bounds = dict(AGE_BUCKETS)
    return Dashboard(
        now=now,
        days=tuple({"day": d.isoformat(), **v} for d, v in per_day.items()),
        ages=tuple({"age": k, "open": v, "late": bounds[k] > SLA_HOURS} for k, v in ages.items()),
        weeks=tuple({"week": w.isoformat(), "resolved": n, "on_time": ok,
                     "met_pct": round(100.0 * ok / n, 1) if n else None}
                    for w, (n, ok) in per_week.items()),
        partners=tuple(sorted(({"partner": k, **v} for k, v in partners.items()
                               if v["rejected_members"] or v["rejected_sets"]),
                              key=lambda p: (-p["rejected_members"] - p["rejected_sets"],
                                             p["partner"]))),
    )  # fmt: skip


__all__ = ["AGE_BUCKETS", "SLA_HOURS", "TABLES", "Dashboard", "dashboard"]
