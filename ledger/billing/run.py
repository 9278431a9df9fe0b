"""The bill run: each group's bill for one coverage month, exactly once.

`run_group(conn, sponsor, period, user=..., now=...)` in the caller's transaction:

1. The registry: a bill for (sponsor, period) already there -> `already_issued`, nothing
   written. Periods are billed in order: a period before or after the group's next one
   is refused (an adjustment must be able to see every earlier billed month).
2. The cut-off: the ledger's entry high-water mark (chain head), then the clock. Coverage
   is read as known at the cut-off (`ledger.store.spans(..., known_at=cutoff)`), members
   in keyset pages of `PAGE` by `ix_members_sponsor`; no history is replayed.
3. Charges: per member and coverage of the period (`premium.premium_items`).
4. Adjustments (when the group has an earlier bill): for the members with a ledger entry
   after the previous bill's high-water mark (all members when a rate was loaded after
   its cut-off), every earlier billed month as known now minus as billed
   (`premium.adjustment_items`), itemised per member with a reason.
5. The bill row, its lines, totals per plan and level and an audit record
   ('billing.run') go in together; an issued bill is never changed.

A covered plan and level without a rate is a `LedgerError` naming the group, period,
member id, line, plan and level: nothing of that group's bill is written.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.billing.cycles import Cycle, cycle_for
from ledger.billing.money import Period, dollars
from ledger.billing.premium import Billed, Item, Key, MissingRate, adjustment_items, premium_items
from ledger.billing.rates import RateBook
from ledger.store import LedgerError, audit, billing_tables, bulk_insert, spans, utcnow
from ledger.store import schema as t

PAGE = 2000

_b = billing_tables.billing_bills
_l = billing_tables.billing_lines


@dataclass(frozen=True, slots=True)
class BillResult:
    """One group's outcome of a run (amounts in cents; `to_json` gives decimal strings)."""

    group: str
    period: str
    status: str
    bill_id: int | None = None
    bill_number: str = ""
    premium_cents: int = 0
    adjustments_cents: int = 0
    total_cents: int = 0
    due_date: str = ""
    members: int = 0
    lines: int = 0
    files: dict[str, str] = field(default_factory=dict)
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group, "period": self.period, "status": self.status,
            "bill": self.bill_number or None, "premium": dollars(self.premium_cents),
            "adjustments": dollars(self.adjustments_cents), "total": dollars(self.total_cents),
            "due_date": self.due_date or None, "members": self.members, "lines": self.lines,
            "pdf": self.files.get("pdf"), "csv": self.files.get("csv"),
            "json": self.files.get("json"), "mailroom": self.files.get("mailroom"),
            **({"error": self.error} if self.error else {}),
        }  # fmt: skip


def bill_number(sponsor_id: str, period: Period) -> str:
    return f"{sponsor_id}-{period.year:04d}{period.month:02d}"


def result_of(row: Any, status: str) -> BillResult:
    """A BillResult for a stored bill row."""
    return BillResult(
        row.sponsor_id, row.period, status, row.id, row.bill_number, row.premium_cents,
        row.adjustments_cents, row.total_cents, row.due_date.isoformat(), row.members,
        row.lines, json.loads(row.files or "{}"),
    )  # fmt: skip


def billed_sponsors(conn: Connection) -> list[str]:
    """Every sponsor a run without --group bills: with members, a group row or rates."""
    m, g, r = t.members, t.groups, billing_tables.billing_rates
    q = sa.union(sa.select(m.c.sponsor_id).distinct(), sa.select(g.c.sponsor_id),
                 sa.select(r.c.sponsor_id).distinct())  # fmt: skip
    return sorted(s for (s,) in conn.execute(q) if s)


def member_pages(conn: Connection, sponsor_id: str) -> Iterator[list[str]]:
    """The sponsor's member ids in pages of PAGE (keyset on ix_members_sponsor)."""
    m = t.members
    last = ""
    while True:
        ids = [r[0] for r in conn.execute(
            sa.select(m.c.member_id).where(m.c.sponsor_id == sponsor_id, m.c.member_id > last)
            .order_by(m.c.member_id).limit(PAGE)
        )]  # fmt: skip
        if not ids:
            return
        yield ids
        last = ids[-1]


def _changed_pages(conn: Connection, sponsor_id: str, since_seq: int) -> Iterator[list[str]]:
    """Members of the sponsor with a ledger entry after `since_seq` (entries by primary key)."""
    e, m = t.entries, t.members
    q = (sa.select(e.c.member_id).distinct().join(m, m.c.member_id == e.c.member_id)
         .where(e.c.seq > since_seq, m.c.sponsor_id == sponsor_id).order_by(e.c.member_id))
    ids = [r[0] for r in conn.execute(q)]
    for i in range(0, len(ids), PAGE):
        yield ids[i : i + PAGE]


class _Writer:
    """Buffers a bill's lines and keeps its totals per plan and level."""

    def __init__(self, conn: Connection, bill_id: int, sponsor_id: str) -> None:
        self.conn, self.bill_id, self.sponsor_id = conn, bill_id, sponsor_id
        self.rows: list[dict[str, Any]] = []
        self.ordinal = 0
        self.premium = 0
        self.adjustments = 0
        self.members: set[str] = set()
        self.totals: dict[tuple[str, str], dict[str, int]] = defaultdict(
            lambda: {"premium": 0, "adjustments": 0, "members": 0, "member_months": 0}
        )
        self._seen: set[tuple[str, str, str]] = set()

    def add(self, item: Item, kind: str) -> None:
        self.ordinal += 1
        self.rows.append({
            "bill_id": self.bill_id, "ordinal": self.ordinal, "sponsor_id": self.sponsor_id,
            "member_id": item.member_id, "period": item.period, "insurance_line": item.line,
            "plan": item.plan, "level": item.level, "kind": kind, "unit": item.unit,
            "quantity": item.quantity, "rate_cents": item.rate_cents,
            "amount_cents": item.amount_cents, "member_months": item.member_months,
            "reason": item.reason,
        })  # fmt: skip
        tot = self.totals[(item.plan, item.level)]
        tot["member_months"] += item.member_months
        if kind == "charge":
            self.premium += item.amount_cents
            tot["premium"] += item.amount_cents
            if (item.member_id, item.plan, item.level) not in self._seen:
                self._seen.add((item.member_id, item.plan, item.level))
                tot["members"] += 1
            self.members.add(item.member_id)
        else:
            self.adjustments += item.amount_cents
            tot["adjustments"] += item.amount_cents
        if len(self.rows) >= PAGE:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            bulk_insert(self.conn, _l, self.rows)
            self.rows = []

    def totals_json(self) -> list[dict[str, Any]]:
        return [{"plan": p, "level": lv, **v} for (p, lv), v in sorted(self.totals.items())]


def _located(exc: MissingRate, sponsor_id: str, period: Period) -> LedgerError:
    mid, month, line, plan, level = exc.args
    return LedgerError(
        f"group {sponsor_id} period {period}: no rate for plan '{plan}' level "
        f"'{level or '(none)'}' in {month} (member {mid}, line {line}); load one with "
        "'billing rates load'"
    )


def run_group(
    conn: Connection, sponsor_id: str, period: Period, *, user: str,
    now: dt.datetime | None = None,
) -> BillResult:  # fmt: skip
    """Issue the group's bill for `period` (see module docstring) in the caller's transaction."""
    existing = conn.execute(sa.select(_b).where(_b.c.sponsor_id == sponsor_id,
                                                _b.c.period == str(period))).first()  # fmt: skip
    if existing is not None:
        return result_of(existing, "already_issued")
    previous = conn.execute(
        sa.select(_b).where(_b.c.sponsor_id == sponsor_id).order_by(_b.c.period.desc()).limit(1)
    ).first()  # fmt: skip
    if previous is not None:
        expected = Period.parse(previous.period).next()
        if period != expected:
            raise LedgerError(f"group {sponsor_id}: periods are billed in order; the next "
                              f"one is {expected}, not {period}")  # fmt: skip
    hwm = conn.execute(sa.select(t.chain_heads.c.seq).where(t.chain_heads.c.name == "entries")
                       ).scalar_one()  # fmt: skip
    cutoff = now or utcnow()
    cycle = cycle_for(conn, sponsor_id, period)
    rates = RateBook(conn, sponsor_id)
    bill_id = conn.execute(_b.insert().values(
        bill_number=bill_number(sponsor_id, period), sponsor_id=sponsor_id, period=str(period),
        cutoff=cutoff, entries_seq=hwm, bill_date=cycle.bill_date(period),
        due_date=cycle.due_date(period), paper=cycle.paper, proration=cycle.proration,
        members=0, lines=0, premium_cents=0, adjustments_cents=0, total_cents=0, totals="[]",
        files="{}", issued_at=cutoff, issued_by=user,
    ).returning(_b.c.id)).scalar_one()  # fmt: skip
    out = _Writer(conn, bill_id, sponsor_id)
    policies: dict[Period, tuple[str, int]] = {period: (cycle.proration, cycle.proration_day)}

    def policy_of(p: Period) -> tuple[str, int]:
        if p not in policies:
            c: Cycle = cycle_for(conn, sponsor_id, p)
            policies[p] = (c.proration, c.proration_day)
        return policies[p]

    try:
        for ids in member_pages(conn, sponsor_id):
            known = spans(conn, member_ids=ids, known_at=cutoff)
            for item in premium_items(known, [period], rates.rate, policy_of):
                out.add(item, "charge")
        if previous is not None:
            _adjust(conn, sponsor_id, period, previous, cutoff, rates, policy_of, out)
    except MissingRate as exc:
        raise _located(exc, sponsor_id, period) from None
    out.flush()
    total = out.premium + out.adjustments
    conn.execute(_b.update().where(_b.c.id == bill_id).values(
        members=len(out.members), lines=out.ordinal, premium_cents=out.premium,
        adjustments_cents=out.adjustments, total_cents=total,
        totals=json.dumps(out.totals_json(), sort_keys=True),
    ))  # fmt: skip
    audit(conn, user, "billing.run", target=f"{sponsor_id}/{period}",
          details={"bill": bill_id, "lines": out.ordinal, "total": dollars(total)})  # fmt: skip
    row = conn.execute(sa.select(_b).where(_b.c.id == bill_id)).one()
    return result_of(row, "issued")


def _adjust(
    conn: Connection, sponsor_id: str, period: Period, previous: Any, cutoff: dt.datetime,
    rates: RateBook, policy_of: Any, out: _Writer,
) -> None:  # fmt: skip
    """Adjustment lines for earlier billed months (as known now minus as billed)."""
    billed_periods = [Period.parse(p) for (p,) in conn.execute(
        sa.select(_b.c.period).where(_b.c.sponsor_id == sponsor_id, _b.c.period < str(period))
    )]  # fmt: skip
    prev_cut = previous.cutoff if previous.cutoff.tzinfo else previous.cutoff.replace(
        tzinfo=dt.UTC)
    rates_changed = rates.newest_load is not None and rates.newest_load > prev_cut
    pages = (member_pages(conn, sponsor_id) if rates_changed
             else _changed_pages(conn, sponsor_id, previous.entries_seq))  # fmt: skip
    for ids in pages:
        known = spans(conn, member_ids=ids, known_at=cutoff)
        now_items = premium_items(known, billed_periods, rates.rate, policy_of)
        billed: dict[Key, Billed] = {}
        q = (sa.select(_l.c.member_id, _l.c.period, _l.c.insurance_line, _l.c.plan, _l.c.level,
                       sa.func.sum(_l.c.amount_cents), sa.func.sum(_l.c.quantity),
                       sa.func.sum(_l.c.member_months), sa.func.max(_l.c.unit))
             .where(_l.c.sponsor_id == sponsor_id, _l.c.member_id.in_(ids),
                    _l.c.period < str(period))
             .group_by(_l.c.member_id, _l.c.period, _l.c.insurance_line, _l.c.plan, _l.c.level))
        for r in conn.execute(q):
            billed[(r[0], r[1], r[2], r[3], r[4])] = Billed(int(r[5]), int(r[6]), int(r[7]), r[8])
        for item in adjustment_items(now_items, billed):
            out.add(item, "adjustment")
