"""Ledger states for the billing tests, written through the store's own write path.

Members, demographics and coverage spans are written with `UnitOfWork` at a chosen
record time (`at`) and `spans.place` / `spans.terminate`, exactly as the pipeline writes
them, so "as known at T" is under the test's control. Every name and number is invented.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ledger.store import UnitOfWork, engine
from ledger.store import schema as t
from ledger.store.spans import SpanOp, place, terminate

SPONSOR = "991234567"


def at(day: str, hour: int = 12) -> dt.datetime:
    """A record time: noon UTC of an ISO day."""
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=dt.UTC)


def d(day: str) -> dt.date:
    return dt.date.fromisoformat(day)


def add_member(url: str, last: str, first: str, when: dt.datetime, *,
               sponsor: str = SPONSOR, sub: str = "") -> str:
    """A new member of `sponsor` (no coverage yet); returns its member id."""
    with engine(url).begin() as conn:
        uow = UnitOfWork(conn, recorded_at=when)
        mid = uow.new_member_id()
        seq = uow.entry(member_id=mid, kind="enrolment")
        uow.add(t.members, {"member_id": mid, "sponsor_id": sponsor, "subscriber_member_id": None,
                            "subscriber_number": sub or mid, "relationship": "18",
                            "birth_sequence": None, "created_at": when, "created_entry": seq})
        uow.add(t.demographics_versions, {
            "version_id": uow.next_id("demographics_version"), "member_id": mid, "last": last,
            "first": first, "middle": "", "suffix": "", "birth_date": dt.date(1980, 1, 1),
            "gender": "F", "address_line1": "", "address_line2": "", "city": "", "state": "",
            "postal_code": "", "valid_from": None, "recorded_at": when, "entry_seq": seq})
        uow.finish()
    return mid


def cover(url: str, mid: str, begin: str, end: str | None, when: dt.datetime, *,
          line: str = "HLT", plan: str = "PPO1", level: str = "EMP") -> None:
    """Coverage [begin, end) (end exclusive, None open) recorded at `when`."""
    with engine(url).begin() as conn:
        uow = UnitOfWork(conn, recorded_at=when)
        op = SpanOp("add", line, plan, level, d(begin), d(end) if end else None)
        place(uow, mid, op, lambda: uow.entry(member_id=mid, kind="coverage_added"))
        uow.finish()


def end_cover(url: str, mid: str, end: str, when: dt.datetime, *, line: str = "HLT") -> None:
    """End the open span of `line` at `end` (exclusive), recorded at `when`."""
    with engine(url).begin() as conn:
        uow = UnitOfWork(conn, recorded_at=when)
        terminate(uow, mid, line, d(end), lambda: uow.entry(member_id=mid, kind="coverage_ended"))
        uow.finish()


def rates_csv(tmp: Path, rows: list[str], name: str = "rates.csv") -> Path:
    path = tmp / name
    path.write_text("sponsor,plan,level,from,to,monthly_rate\n" + "\n".join(rows) + "\n")
    return path
