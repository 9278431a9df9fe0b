"""Money as integer cents, coverage months ('YYYY-MM'), and the two proration policies.

- `parse_dollars("450.00")` -> 45000; at most two decimals, never a float.
- `dollars(45000)` -> "450.00" (the decimal string every output shows).
- `Period` is one coverage month; `Period.parse("2027-01")` refuses anything else.
- `prorate(rate, covered_days, period, policy, day)`: 'whole_month' charges the full
  rate when the set day is covered, else nothing; 'by_day' charges rate x covered days /
  days in the month, rounded half up to the cent. Deterministic: the same inputs always
  give the same cents, which is what makes "as known now minus as billed" exact.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ledger.store import LedgerError

PRORATIONS = ("whole_month", "by_day")
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
_DOLLARS = re.compile(r"^-?\d{1,12}(\.\d{1,2})?$")


def parse_dollars(text: str) -> int:
    """'450', '450.5', '450.00' -> cents; LedgerError for anything else (no floats)."""
    s = text.strip().replace(",", "")
    if not _DOLLARS.match(s):
        raise LedgerError("amount must be dollars with at most two decimals")
    try:
        return int((Decimal(s) * 100).to_integral_exact())
    except InvalidOperation:
        raise LedgerError("amount must be dollars with at most two decimals") from None


def dollars(cents: int) -> str:
    """Cents as a decimal string with two places ('-12.50')."""
    sign = "-" if cents < 0 else ""
    c = abs(int(cents))
    return f"{sign}{c // 100}.{c % 100:02d}"


@dataclass(frozen=True, order=True, slots=True)
class Period:
    """One coverage month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        m = _PERIOD.match(text.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise LedgerError(f"period '{text[:20]}' is not YYYY-MM")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Period:
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def end(self) -> dt.date:
        """The first day after the month (exclusive end)."""
        return self.next().start

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Period:
        return Period(self.year - (self.month == 1), 12 if self.month == 1 else self.month - 1)

    def day(self, n: int) -> dt.date:
        """Day `n` of the month (clamped to its last day)."""
        return dt.date(self.year, self.month, min(n, self.days))


def covered_days(spans: list[tuple[dt.date, dt.date | None]], period: Period) -> int:
    """Days of `period` inside the union of [begin, end) spans (end None = open)."""
    days: set[int] = set()
    for begin, end in spans:
        lo = max(begin, period.start)
        hi = min(end or period.end, period.end)
        days.update(range(lo.toordinal(), hi.toordinal()))
    return len(days)


def covers(spans: list[tuple[dt.date, dt.date | None]], day: dt.date) -> bool:
    return any(b <= day and (e is None or day < e) for b, e in spans)


def prorate(
    rate_cents: int,
    spans: list[tuple[dt.date, dt.date | None]],
    period: Period,
    policy: str,
    proration_day: int = 1,
) -> tuple[str, int, int]:
    """(unit, quantity, amount in cents) for one member's coverage of one plan and level.

    whole_month: ('month', 1, rate) when `proration_day` of the month is covered, else
    ('month', 0, 0). by_day: ('days', covered days, rate x days / days in month, half up).
    """
    if policy == "whole_month":
        on = covers(spans, period.day(proration_day))
        return "month", int(on), rate_cents if on else 0
    n = covered_days(spans, period)
    dim = period.days
    return "days", n, (2 * rate_cents * n + dim) // (2 * dim)
