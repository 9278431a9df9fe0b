"""Conservation of money, under hypothesis, on SQLite and PostgreSQL.

For any sequence of coverage changes (enrolments, terminations, level changes, each
recorded later than the last and often back-dated) and bill runs, after a final run:

- for every billed month, the sum of that month's charges and adjustments over all bills
  equals the premium computed from the final ledger state by an independent day-by-day
  oracle (not `ledger.billing.money.prorate`);
- no member-month is charged twice, and a month is adjusted only on later bills.

Each example bills its own sponsor in the test's database (bills are per sponsor), so
examples do not need a database each. `ENROLL834_SOAK=1` runs more examples.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import sqlalchemy as sa
from billing_helpers import add_member, rates_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.billing import Period, load_rates_csv, run_bills, set_cycle
from ledger.store import UnitOfWork, billing_tables, engine, spans
from ledger.store.spans import Refused, SpanOp, place, terminate

EXAMPLES = 60 if os.environ.get("ENROLL834_SOAK") else 12
RATES = {"EMP": 45000, "ESP": 90075, "FAM": 121050}
DAY0 = dt.date(2027, 1, 1)
T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

op = st.one_of(
    st.tuples(st.just("enroll"), st.integers(0, 2), st.integers(0, 150), st.sampled_from(list(RATES))),
    st.tuples(st.just("end"), st.integers(0, 2), st.integers(1, 150), st.just("")),
    st.tuples(st.just("level"), st.integers(0, 2), st.integers(0, 150), st.sampled_from(list(RATES))),
    st.tuples(st.just("bill"), st.just(0), st.just(0), st.just("")),
)


def _oracle(url: str, members: list[str], month: Period, policy: str) -> dict[tuple[str, str], int]:
    """Premium per (member, level) of `month` from the final ledger, counted day by day."""
    with engine(url).connect() as conn:
        final = spans(conn, member_ids=members)
    days_in = (month.end - month.start).days
    covered: dict[tuple[str, str], set[dt.date]] = defaultdict(set)
    for s in final:
        day = month.start
        while day < month.end:
            if s.begin <= day and (s.end is None or day < s.end):
                covered[(s.member_id, s.level)].add(day)
            day += dt.timedelta(days=1)
    out: dict[tuple[str, str], int] = {}
    for key, days in covered.items():
        rate = RATES[key[1]]
        if policy == "whole_month":
            amount = rate if month.start in days else 0
        else:
            exact = rate * len(days) / days_in  # half up, by integers below
            amount = (2 * rate * len(days) + days_in) // (2 * days_in)
            assert abs(amount - exact) <= 0.5
        if amount:
            out[key] = amount
    return out


def _apply(url: str, mid: str, kind: str, offset: int, level: str, when: dt.datetime) -> None:
    day = DAY0 + dt.timedelta(days=offset)
    with engine(url).begin() as conn:
        uow = UnitOfWork(conn, recorded_at=when)
        seq = lambda: uow.entry(member_id=mid, kind="coverage")  # noqa: E731
        try:
            if kind == "end":
                terminate(uow, mid, "HLT", day, seq)
            else:
                place(uow, mid, SpanOp("add", "HLT", "PPO1", level, day, None), seq)
        except Refused:
            pass
        uow.finish()


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])  # fmt: skip


@SETTINGS
@given(ops=st.lists(op, min_size=1, max_size=14), policy=st.sampled_from(["whole_month", "by_day"]))
def test_bills_and_adjustments_conserve_premium(ledger_url: str, tmp_path: Path,
                                                ops: list[tuple[str, int, int, str]],
                                                policy: str) -> None:
    sponsor = f"P{uuid.uuid4().hex[:10]}"
    with engine(ledger_url).begin() as conn:
        load_rates_csv(conn, rates_csv(tmp_path, [f"{sponsor},PPO1,{lv},2026-01-01,,{c / 100:.2f}"
                                                  for lv, c in RATES.items()]), user="t")
        set_cycle(conn, sponsor, {"proration": policy}, user="t")
    clock = [T0]

    def tick() -> dt.datetime:
        clock[0] += dt.timedelta(hours=1)
        return clock[0]

    members = [add_member(ledger_url, "TESTER", f"N{i}", tick(), sponsor=sponsor)
               for i in range(3)]
    period = Period(2027, 1)
    for kind, who, offset, level in ops:
        if kind == "bill":
            res = run_bills(ledger_url, str(period), user="t", group=sponsor, now=tick())
            assert res[0].status == "issued", res[0].error
            period = period.next()
        else:
            _apply(ledger_url, members[who], kind, offset, level, tick())
    final = run_bills(ledger_url, str(period), user="t", group=sponsor, now=tick())
    assert final[0].status == "issued", final[0].error

    b, ln = billing_tables.billing_bills, billing_tables.billing_lines
    with engine(ledger_url).connect() as conn:
        rows = list(conn.execute(sa.select(ln.c.member_id, ln.c.period, ln.c.level, ln.c.kind,
                                           ln.c.amount_cents, b.c.period.label("billed_in"))
                                 .join(b, b.c.id == ln.c.bill_id)
                                 .where(ln.c.sponsor_id == sponsor)))
        billed_months = [Period.parse(p) for (p,) in conn.execute(
            sa.select(b.c.period).where(b.c.sponsor_id == sponsor))]
    charges = Counter((r.member_id, r.period, r.level) for r in rows if r.kind == "charge")
    assert all(n == 1 for n in charges.values()), "a member-month charged twice"
    assert all(r.period == r.billed_in for r in rows if r.kind == "charge")
    assert all(r.period < r.billed_in for r in rows if r.kind == "adjustment")
    for month in billed_months:
        got: dict[tuple[str, str], int] = defaultdict(int)
        for r in rows:
            if r.period == str(month):
                got[(r.member_id, r.level)] += r.amount_cents
        assert {k: v for k, v in got.items() if v} == _oracle(ledger_url, members, month, policy), \
            f"month {month}"
