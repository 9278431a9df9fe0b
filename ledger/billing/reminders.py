"""Payment reminders and the aging report.

`send_reminders(conn, today, schedule, outbox, issuer, user)`: for every bill with an open
balance, the schedule's steps (days from the due date, e.g. -10, 0, 5, 15) that have come
by `today` and have no row yet: the latest one is sent — a notice as PDF and text in
`<outbox>/<group>/reminders/` — and earlier ones not sent in time are recorded as
`skipped`, so each step happens once per bill and a late run does not send a pile of
notices. A paid bill gets none. Audited ('billing.remind', counts).

`aging(conn, today)`: open balances per group by days past due: 0-30 (including not yet
due), 31-60, 61-90, 90+, with the group's unapplied credit; `aging_report` is the same
read in its own transaction, audited ('billing.aging', the number of groups).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.billing.documents import Issuer, bill_header, private_dir, write_bytes
from ledger.billing.money import dollars
from ledger.billing.payments import credit
from ledger.billing.pdf import notice_pdf
from ledger.store import audit, billing_tables, engine, utcnow

BUCKETS = ("0-30", "31-60", "61-90", "90+")
_b, _a, _r = billing_tables.billing_bills, billing_tables.billing_applications, \
    billing_tables.billing_reminders


@dataclass(frozen=True, slots=True)
class Reminder:
    bill: str
    group: str
    step: int
    status: str
    balance_cents: int
    files: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {"bill": self.bill, "group": self.group, "step": self.step, "status": self.status,
                "balance": dollars(self.balance_cents), **self.files}  # fmt: skip


def _open_bills(conn: Connection) -> list[Any]:
    paid = (sa.select(_a.c.bill_id, sa.func.sum(_a.c.amount_cents).label("paid"))
            .group_by(_a.c.bill_id).subquery())  # fmt: skip
    q = (sa.select(_b.c.id, _b.c.bill_number, _b.c.sponsor_id, _b.c.due_date, _b.c.total_cents,
                   (_b.c.total_cents - sa.func.coalesce(paid.c.paid, 0)).label("open"))
         .outerjoin(paid, paid.c.bill_id == _b.c.id).order_by(_b.c.sponsor_id, _b.c.period))
    return [r for r in conn.execute(q) if r.open > 0]


def _text(head: Any, step: int, balance: int) -> str:
    due = head.due_date.isoformat()
    if step < 0:
        when = f"is due in {-step} days, on {due}"
    elif step == 0:
        when = f"is due today, {due}"
    else:
        when = f"was due on {due}, {step} days ago"
    return (f"Our records show an open balance of ${dollars(balance)} on premium bill "
            f"{head.bill_number} for coverage month {head.period}, which {when}. If you have "
            "already paid, thank you - please disregard this notice.")


def send_reminders(conn: Connection, today: dt.date, schedule: Sequence[int], outbox: Path,
                   issuer: Issuer, *, user: str) -> list[Reminder]:  # fmt: skip
    """Send the reminders that are due (see module docstring)."""
    steps = sorted(set(schedule))
    out: list[Reminder] = []
    for bill in _open_bills(conn):
        done = {s for (s,) in conn.execute(sa.select(_r.c.step).where(_r.c.bill_id == bill.id))}
        due_steps = [s for s in steps if bill.due_date + dt.timedelta(days=s) <= today
                     and s not in done]  # fmt: skip
        if not due_steps:
            continue
        head = bill_header(conn, bill.id)
        now = utcnow()
        for s in due_steps[:-1]:
            conn.execute(_r.insert().values(bill_id=bill.id, step=s, status="skipped",
                                            on_date=today, balance_cents=bill.open, files="{}",
                                            recorded_at=now))  # fmt: skip
            out.append(Reminder(bill.bill_number, bill.sponsor_id, s, "skipped", bill.open, {}))
        step = due_steps[-1]
        text = _text(head, step, bill.open)
        folder = private_dir(outbox / bill.sponsor_id / "reminders")
        stem = f"{bill.bill_number}.reminder{step:+d}"
        files = {
            "pdf": str(write_bytes(folder / f"{stem}.pdf",
                                   notice_pdf(head, issuer, step, today, bill.open, text))),
            "text": str(write_bytes(folder / f"{stem}.txt", (text + "\n").encode())),
        }  # fmt: skip
        conn.execute(_r.insert().values(bill_id=bill.id, step=step, status="sent", on_date=today,
                                        balance_cents=bill.open, files=json.dumps(files),
                                        recorded_at=now))  # fmt: skip
        out.append(Reminder(bill.bill_number, bill.sponsor_id, step, "sent", bill.open, files))
    audit(conn, user, "billing.remind", details={
        "date": today.isoformat(), "sent": sum(r.status == "sent" for r in out),
        "skipped": sum(r.status == "skipped" for r in out)})  # fmt: skip
    return out


def aging(conn: Connection, today: dt.date) -> list[dict[str, Any]]:
    """Open balances per group by days past due (see module docstring), cents as strings."""
    rows: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BUCKETS, 0))
    for bill in _open_bills(conn):
        late = (today - bill.due_date).days
        bucket = "0-30" if late <= 30 else "31-60" if late <= 60 else "61-90" if late <= 90 \
            else "90+"
        rows[bill.sponsor_id][bucket] += bill.open
    groups = sorted(set(rows) | {s for (s,) in conn.execute(
        sa.select(billing_tables.billing_payments.c.sponsor_id).distinct())})  # fmt: skip
    out = []
    for g in groups:
        b = rows.get(g, dict.fromkeys(BUCKETS, 0))
        cr = credit(conn, g)
        if not any(b.values()) and not cr:
            continue
        out.append({"group": g, **{k: dollars(v) for k, v in b.items()},
                    "open": dollars(sum(b.values())), "credit": dollars(cr)})  # fmt: skip
    return out


def aging_report(target: str | Engine, today: dt.date, *, user: str) -> list[dict[str, Any]]:
    """`aging(conn, today)` in one transaction, audited as 'billing.aging' by `user`."""
    with (target if isinstance(target, Engine) else engine(target)).begin() as conn:
        rows = aging(conn, today)
        audit(conn, user, "billing.aging", details={"groups": len(rows)})
    return rows
