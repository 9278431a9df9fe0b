"""Broker commission: brokers of record, schedules per product, statements exactly once.

    [[brokers]]
    broker_id = "BRK1"
    name = "Prairie Benefits"
    address = ["2 Oak Ave", "Springfield, IL 62701"]

    [[broker_of_record]]              # effective-dated; `to` (last day) may be left out
    sponsor = "991234567"
    broker = "BRK1"
    from = "2027-01-01"

    [[commission]]                    # per product (the plan of the rate table)
    product = "PPO1"
    percent = "4.5"                   # of premium paid ... or: pmpm = "12.00"
    from = "2027-01-01"

Commission follows premium **paid**: every payment application (`payments`) not yet on a
statement and applied before the end of the period goes on the period's statement of
the broker of record of the bill's group on the first day of the bill's coverage month.
The application is spread over the bill's plans in proportion to each plan's total
(charges plus adjustments; largest remainder, so the shares add up to the application).
Per plan: percent -> share x percent; pmpm -> the plan's member-months on the bill x
amount x application / bill total. A negative application (a reversed payment) or a
negative plan share (a retro termination refunding premium) gives a **clawback** line.
`run_commission(conn, period, user)` writes one statement per broker and period
(unique): a re-run is `already_issued`; each application is commissioned once
(unique per application and product). Audited ('billing.commission').
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.billing.money import Period, dollars, parse_dollars
from ledger.store import LedgerError, audit, billing_tables, utcnow

_bt = billing_tables
ONE_DAY = dt.timedelta(days=1)


def _date(spec: Mapping[str, Any], key: str, where: str, required: bool = True) -> dt.date | None:
    text = str(spec.get(key) or "").strip()
    if not text:
        if required:
            raise LedgerError(f"{where}: missing {key}")
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise LedgerError(f"{where}: {key} is not an ISO date (YYYY-MM-DD)") from None


def load_commission(conn: Connection, doc: Mapping[str, Any], name: str, *, user: str
                    ) -> dict[str, int]:  # fmt: skip
    """Store `[[brokers]]`, `[[broker_of_record]]` and `[[commission]]` (see module docstring)."""
    now = utcnow()
    br, bor, cs = _bt.billing_brokers, _bt.billing_broker_of_record, _bt.billing_commission_schedules
    for i, b in enumerate(doc.get("brokers", []), 1):
        bid = str(b.get("broker_id") or "").strip()
        if not bid:
            raise LedgerError(f"{name}: brokers entry {i}: missing broker_id")
        conn.execute(br.delete().where(br.c.broker_id == bid))
        conn.execute(br.insert().values(broker_id=bid, name=str(b.get("name", "")),
                                        address=json.dumps([str(x) for x in b.get("address", [])]),
                                        updated_at=now))  # fmt: skip
    for i, r in enumerate(doc.get("broker_of_record", []), 1):
        where = f"{name}: broker_of_record entry {i}"
        sponsor, broker = str(r.get("sponsor") or "").strip(), str(r.get("broker") or "").strip()
        if not sponsor or not broker:
            raise LedgerError(f"{where}: missing sponsor or broker")
        begin = _date(r, "from", where)
        last = _date(r, "to", where, required=False)
        conn.execute(bor.delete().where(bor.c.sponsor_id == sponsor, bor.c.valid_from == begin))
        conn.execute(bor.insert().values(sponsor_id=sponsor, broker_id=broker, valid_from=begin,
                                         valid_to=last + ONE_DAY if last else None,
                                         recorded_at=now))  # fmt: skip
    for i, c in enumerate(doc.get("commission", []), 1):
        where = f"{name}: commission entry {i}"
        product = str(c.get("product") or "").strip()
        if not product or ("percent" in c) == ("pmpm" in c):
            raise LedgerError(f"{where}: needs product and one of percent, pmpm")
        begin = _date(c, "from", where)
        last = _date(c, "to", where, required=False)
        try:
            bp = int(Decimal(str(c["percent"])) * 100) if "percent" in c else 0
        except InvalidOperation:
            raise LedgerError(f"{where}: percent is not a number") from None
        pmpm = parse_dollars(str(c["pmpm"])) if "pmpm" in c else 0
        conn.execute(cs.delete().where(cs.c.product == product, cs.c.valid_from == begin))
        conn.execute(cs.insert().values(product=product, kind="percent" if "percent" in c
                                        else "pmpm", basis_points=bp, pmpm_cents=pmpm,
                                        valid_from=begin, valid_to=last + ONE_DAY if last else None,
                                        recorded_at=now))  # fmt: skip
    counts = {"brokers": len(doc.get("brokers", [])),
              "brokers_of_record": len(doc.get("broker_of_record", [])),
              "commission_schedules": len(doc.get("commission", []))}  # fmt: skip
    if any(counts.values()):
        audit(conn, user, "billing.commission_load", details=counts)
    return counts


def _in_force(rows: list[Any], day: dt.date) -> Any:
    return next((r for r in sorted(rows, key=lambda r: r.valid_from, reverse=True)
                 if r.valid_from <= day and (r.valid_to is None or day < r.valid_to)), None)


def _round(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero (denominator > 0)."""
    q, r = divmod(abs(numerator), denominator)
    q += 2 * r >= denominator
    return q if numerator >= 0 else -q


def split(amount: int, weights: list[int]) -> list[int]:
    """`amount` in proportion to `weights` (sum > 0), largest remainder: the parts add up."""
    total = sum(weights)
    parts = [amount * w // total for w in weights]
    rest = amount - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: -((amount * weights[i]) % total))
    for i in order[: abs(rest)]:
        parts[i] += 1 if rest > 0 else -1
    return parts


@dataclass(frozen=True, slots=True)
class Statement:
    broker: str
    period: str
    status: str
    statement_id: int
    total_cents: int
    lines: int

    def to_json(self) -> dict[str, Any]:
        return {"broker": self.broker, "period": self.period, "status": self.status,
                "statement": self.statement_id, "total": dollars(self.total_cents),
                "lines": self.lines}  # fmt: skip


def run_commission(conn: Connection, period: str, *, user: str) -> list[Statement]:
    """Every broker's statement for `period`, exactly once (see module docstring)."""
    p = Period.parse(period)
    st, cl = _bt.billing_commission_statements, _bt.billing_commission_lines
    a, b = _bt.billing_applications, _bt.billing_bills
    bor_rows: dict[str, list[Any]] = defaultdict(list)
    for r in conn.execute(sa.select(_bt.billing_broker_of_record)):
        bor_rows[r.sponsor_id].append(r)
    schedules: dict[str, list[Any]] = defaultdict(list)
    for r in conn.execute(sa.select(_bt.billing_commission_schedules)):
        schedules[r.product].append(r)
    brokers = sorted({r.broker_id for rows in bor_rows.values() for r in rows})
    done = {r.broker_id: r for r in conn.execute(sa.select(st).where(st.c.period == str(p)))}
    pending = conn.execute(
        sa.select(a.c.id, a.c.amount_cents, b.c.id.label("bill_id"), b.c.sponsor_id, b.c.period,
                  b.c.total_cents, b.c.totals)
        .join(b, b.c.id == a.c.bill_id)
        .where(a.c.applied_at < dt.datetime.combine(p.end, dt.time(), tzinfo=dt.UTC))
        .where(~sa.exists().where(cl.c.application_id == a.c.id))
        .order_by(a.c.id)
    ).all()  # fmt: skip
    lines: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for app in pending:
        start = Period.parse(app.period).start
        owner = _in_force(bor_rows.get(app.sponsor_id, []), start)
        if owner is None or owner.broker_id in done or app.total_cents <= 0:
            continue
        plans: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for x in json.loads(app.totals or "[]"):
            plans[x["plan"]][0] += x["premium"] + x["adjustments"]
            plans[x["plan"]][1] += x.get("member_months", 0)
        names = sorted(plans)
        shares = split(app.amount_cents, [plans[n][0] for n in names]) if names else []
        for product, share in zip(names, shares, strict=True):
            sched = _in_force(schedules.get(product, []), start)
            if sched is None or share == 0:
                continue
            if sched.kind == "percent":
                amount, rate = _round(share * sched.basis_points, 10000), \
                    f"{Decimal(sched.basis_points) / 100}%"
            else:
                mm = plans[product][1]
                amount = _round(mm * sched.pmpm_cents * app.amount_cents, app.total_cents)
                rate = f"{dollars(sched.pmpm_cents)} pmpm"
            claw = app.amount_cents < 0 or share < 0
            reason = ("payment_reversed" if app.amount_cents < 0 else "retro_refund") if claw else ""
            lines[owner.broker_id].append({
                "sponsor_id": app.sponsor_id, "bill_id": app.bill_id, "application_id": app.id,
                "product": product, "kind": "clawback" if claw else "commission",
                "premium_paid_cents": share, "rate": rate, "amount_cents": amount,
                "reason": reason})  # fmt: skip
    out: list[Statement] = []
    now = utcnow()
    for broker in brokers:
        if broker in done:
            r = done[broker]
            out.append(Statement(broker, str(p), "already_issued", r.id, r.total_cents, r.lines))
            continue
        rows = lines.get(broker, [])
        total = sum(x["amount_cents"] for x in rows)
        sid = conn.execute(st.insert().values(broker_id=broker, period=str(p), total_cents=total,
                                              lines=len(rows), files="{}", issued_at=now,
                                              issued_by=user).returning(st.c.id)).scalar_one()
        for i, x in enumerate(rows, 1):
            conn.execute(cl.insert().values(statement_id=sid, ordinal=i, **x))
        audit(conn, user, "billing.commission", target=f"{broker}/{p}",
              details={"statement": sid, "lines": len(rows), "total": dollars(total)})
        out.append(Statement(broker, str(p), "issued", sid, total, len(rows)))
    return out


def statement_lines(conn: Connection, statement_id: int) -> list[dict[str, Any]]:
    """A statement's lines (amounts as decimal strings)."""
    cl, b = _bt.billing_commission_lines, _bt.billing_bills
    q = (sa.select(cl, b.c.bill_number).join(b, b.c.id == cl.c.bill_id)
         .where(cl.c.statement_id == statement_id).order_by(cl.c.ordinal))  # fmt: skip
    return [{"group": r.sponsor_id, "bill": r.bill_number, "product": r.product,
             "kind": r.kind, "premium_paid": dollars(r.premium_paid_cents), "rate": r.rate,
             "commission": dollars(r.amount_cents), "reason": r.reason}
            for r in conn.execute(q)]  # fmt: skip


def commission_statements(conn: Connection, period: str, *, user: str) -> list[dict[str, Any]]:
    """`run_commission` for `period`, each statement's JSON with its lines under 'detail'."""
    return [{**s.to_json(), "detail": statement_lines(conn, s.statement_id)}
            for s in run_commission(conn, period, user=user)]  # fmt: skip
