"""Premium of members for a month, from their coverage spans (pure; no database).

A premium item is keyed by (member, month, insurance line, plan, level): the spans of
one member and line with the same plan and level are taken together, so a member who
changes level mid-month has two items, each prorated on its own days. `premium_items`
returns the items with a non-zero quantity; `adjustment_items` compares them with what
was billed for the same keys and returns the differences with a reason.

The rate of an item is the one in force on the first day of the month. A missing rate
is `MissingRate`, never a zero.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ledger.billing.money import Period, prorate
from ledger.billing.rates import plan_key
from ledger.store import Span

Key = tuple[str, str, str, str, str]
"""(member_id, period 'YYYY-MM', insurance line, plan key, level)."""


class MissingRate(Exception):
    """No rate for a covered plan and level (args: member id, period, line, plan, level)."""


@dataclass(frozen=True, slots=True)
class Item:
    """One member's premium (or its change) for one month, plan and level."""

    member_id: str
    period: str
    line: str
    plan: str
    level: str
    unit: str
    quantity: int
    rate_cents: int
    amount_cents: int
    member_months: int
    reason: str = ""

    @property
    def key(self) -> Key:
        return (self.member_id, self.period, self.line, self.plan, self.level)


RateOf = Callable[[str, str, dt.date], "int | None"]
PolicyOf = Callable[[Period], tuple[str, int]]


def premium_items(
    spans: Iterable[Span], periods: Iterable[Period], rate_of: RateOf, policy_of: PolicyOf
) -> list[Item]:
    """Items of every member in `spans` for each of `periods` (zero quantities left out)."""
    grouped: dict[tuple[str, str, str, str], list[tuple[dt.date, dt.date | None]]]
    grouped = defaultdict(list)
    for s in spans:
        grouped[(s.member_id, s.line, plan_key(s.line, s.plan), s.level)].append((s.begin, s.end))
    out: list[Item] = []
    for period in periods:
        policy, day = policy_of(period)
        for (mid, line, plan, level), ranges in grouped.items():
            if not any(b < period.end and (e is None or e > period.start) for b, e in ranges):
                continue
            rate = rate_of(plan, level, period.start)
            unit, qty, _ = prorate(0, ranges, period, policy, day)
            if qty == 0:
                continue
            if rate is None:
                raise MissingRate(mid, str(period), line, plan, level)
            unit, qty, amount = prorate(rate, ranges, period, policy, day)
            out.append(Item(mid, str(period), line, plan, level, unit, qty, rate, amount, 1))
    return out


@dataclass(slots=True)
class Billed:
    """What the bills issued so far charged for one key, all lines summed."""

    amount_cents: int = 0
    quantity: int = 0
    member_months: int = 0
    unit: str = ""


def adjustment_items(now: Iterable[Item], billed: Mapping[Key, Billed]) -> list[Item]:
    """For every key billed or premium-bearing now: premium now minus billed, when non-zero.

    Reasons: 'retro_added' (nothing was billed), 'retro_ended' (nothing is due now),
    'retro_changed' (days or months changed), 'rate_changed' (same quantity, other amount).
    """
    current = {i.key: i for i in now}
    out: list[Item] = []
    for key in sorted(set(current) | set(billed)):
        item, was = current.get(key), billed.get(key, Billed())
        amount = item.amount_cents if item else 0
        delta = amount - was.amount_cents
        if delta == 0:
            continue
        qty = item.quantity if item else 0
        if was.amount_cents == 0 and was.quantity == 0:
            reason = "retro_added"
        elif item is None:
            reason = "retro_ended"
        elif qty == was.quantity:
            reason = "rate_changed"
        else:
            reason = "retro_changed"
        mid, period, line, plan, level = key
        out.append(Item(
            mid, period, line, plan, level, item.unit if item else was.unit, qty - was.quantity,
            item.rate_cents if item else 0, delta, (1 if item else 0) - was.member_months,
            reason,
        ))  # fmt: skip
    return out
