"""Premium rates: sponsor x plan x coverage level, effective-dated, in integer cents.

`plan` is the HD04 plan text as the ledger stores it (HD03 insurance line when HD04 is
empty: `plan_key`), `level` the HD05 code (EMP, ESP, ECH, FAM, E1D ...).

- `load_rates_csv(conn, path, user)`: header `sponsor,plan,level,from,to,monthly_rate`
  (`to` is the last day the rate applies, may be empty; ISO dates; dollars with at most
  two decimals). Every problem is a `LedgerError` naming the file and line; nothing of a
  bad file is stored (the caller's transaction rolls back).
- `load_rates(conn, rows, user, where)`: the same from TOML `[[billing_rates]]` tables.
- A row with the same sponsor, plan, level and start replaces the stored one; a row
  overlapping another start of the same key is refused. Loads are audited
  ('billing.rates_load', counts only).
- `RateBook(conn, sponsor)`: the sponsor's rates in memory; `rate(plan, level, day)` is
  the rate in force on `day`, or None (a missing rate is the bill run's located error).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.billing.money import parse_dollars
from ledger.store import LedgerError, audit, billing_tables, utcnow

HEADER = ("sponsor", "plan", "level", "from", "to", "monthly_rate")
ONE_DAY = dt.timedelta(days=1)


def plan_key(insurance_line: str, plan: str) -> str:
    """The rate table's plan for a coverage: HD04 text, else the HD03 line."""
    return plan.strip() or insurance_line.strip()


def _date(text: str, where: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise LedgerError(f"{where}: {name} is not an ISO date (YYYY-MM-DD)") from None


def _row(spec: Mapping[str, Any], where: str) -> dict[str, Any]:
    missing = [k for k in ("sponsor", "plan", "level", "from", "monthly_rate")
               if not str(spec.get(k) or "").strip()]  # fmt: skip
    if missing:
        raise LedgerError(f"{where}: missing {', '.join(missing)}")
    begin = _date(str(spec["from"]), where, "from")
    to = str(spec.get("to") or "").strip()
    end = _date(to, where, "to") + ONE_DAY if to else None
    if end is not None and end <= begin:
        raise LedgerError(f"{where}: 'to' is before 'from'")
    try:
        cents = parse_dollars(str(spec["monthly_rate"]))
    except LedgerError as exc:
        raise LedgerError(f"{where}: monthly_rate: {exc}") from None
    if cents < 0:
        raise LedgerError(f"{where}: monthly_rate is negative")
    return {"sponsor_id": str(spec["sponsor"]).strip(), "plan": str(spec["plan"]).strip(),
            "level": str(spec["level"]).strip().upper(), "valid_from": begin, "valid_to": end,
            "rate_cents": cents}  # fmt: skip


def load_rates(
    conn: Connection, rows: Iterable[tuple[str, Mapping[str, Any]]], *, user: str
) -> int:
    """Store rate rows given as (where, spec) pairs; returns how many were stored."""
    r = billing_tables.billing_rates
    now = utcnow()
    n = 0
    for where, spec in rows:
        row = _row(spec, where)
        key = (r.c.sponsor_id == row["sponsor_id"], r.c.plan == row["plan"],
               r.c.level == row["level"])  # fmt: skip
        for other in conn.execute(sa.select(r).where(*key, r.c.valid_from != row["valid_from"])):
            if (row["valid_to"] is None or other.valid_from < row["valid_to"]) and (
                other.valid_to is None or row["valid_from"] < other.valid_to
            ):
                raise LedgerError(
                    f"{where}: overlaps the rate for {row['plan']}/{row['level']} "
                    f"from {other.valid_from.isoformat()}"
                )
        conn.execute(r.delete().where(*key, r.c.valid_from == row["valid_from"]))
        conn.execute(r.insert().values(**row, loaded_at=now, loaded_by=user))
        n += 1
    if n:
        audit(conn, user, "billing.rates_load", details={"rates": n})
    return n


def load_rates_csv(conn: Connection, path: Path, *, user: str) -> int:
    """Load the rates CSV at `path` (see module docstring); returns rows stored."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = tuple(h.strip().lower() for h in next(reader, []))
            if header != HEADER:
                raise LedgerError(f"{path.name}:1: header must be {','.join(HEADER)}")
            rows = []
            for i, rec in enumerate(reader, 2):
                if not any(c.strip() for c in rec):
                    continue
                if len(rec) != len(HEADER):
                    raise LedgerError(f"{path.name}:{i}: expected {len(HEADER)} columns")
                rows.append((f"{path.name}:{i}", dict(zip(HEADER, rec, strict=True))))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LedgerError(f"{path.name}: cannot read ({type(exc).__name__})") from None
    return load_rates(conn, rows, user=user)


class RateBook:
    """One sponsor's rates, read once (a bill run's look-ups never query per member)."""

    def __init__(self, conn: Connection, sponsor_id: str) -> None:
        r = billing_tables.billing_rates
        self._rates: dict[tuple[str, str], list[tuple[dt.date, dt.date | None, int]]]
        self._rates = defaultdict(list)
        self.newest_load: dt.datetime | None = None
        for row in conn.execute(sa.select(r).where(r.c.sponsor_id == sponsor_id)):
            self._rates[(row.plan, row.level)].append(
                (row.valid_from, row.valid_to, row.rate_cents)
            )
            at = row.loaded_at if row.loaded_at.tzinfo else row.loaded_at.replace(tzinfo=dt.UTC)
            self.newest_load = max(self.newest_load or at, at)

    def rate(self, plan: str, level: str, day: dt.date) -> int | None:
        """The monthly rate in cents in force on `day`, or None."""
        for begin, end, cents in self._rates.get((plan, level), ()):
            if begin <= day and (end is None or day < end):
                return cents
        return None
