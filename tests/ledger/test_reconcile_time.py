"""BGN05: a full file's BGN03/BGN04 are read in its time zone before they are compared with the
ledger's record times (SQLite and PostgreSQL). Every person here is invented."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_reconcile import REPLACE, family, full, open_lines, rows, run, seed

from ledger.fullfile.bgn_time import bgn_instant
from ledger.store import reconcile_tables as rt
from ledger.store import schema as t
from ledger.store.db import engine

JULY, JANUARY = dt.date(2026, 7, 1), dt.date(2026, 1, 15)


@pytest.mark.parametrize(
    ("date", "code", "utc_hour"),
    [
        (JULY, "", 12), (JULY, "LT", 12), (JULY, "UT", 12), (JULY, "GM", 12),
        (JULY, "ET", 16), (JANUARY, "ET", 17), (JULY, "ES", 17), (JULY, "ED", 16),
        (JULY, "CT", 17), (JANUARY, "CT", 18), (JULY, "CD", 17), (JULY, "CS", 18),
        (JULY, "MT", 18), (JANUARY, "MT", 19), (JULY, "MD", 18), (JULY, "MS", 19),
        (JULY, "PT", 19), (JANUARY, "PT", 20), (JULY, "PD", 19), (JULY, "PS", 20),
        (JULY, "AT", 20), (JANUARY, "AT", 21), (JULY, "AD", 20), (JULY, "AS", 21),
        (JULY, "HT", 22), (JANUARY, "HT", 22), (JULY, "HD", 21), (JULY, "HS", 22),
        (JULY, "TT", 15), (JANUARY, "TS", 16), (JULY, "TD", 15),
        (JULY, "01", 11), (JULY, "12", 0), (JULY, "13", 0), (JULY, "24", 13),
        (JULY, "ZZ", 12),
    ],
)  # fmt: skip
def test_time_codes(date: dt.date, code: str, utc_hour: int) -> None:
    got = bgn_instant(date, "1200", code)
    assert got is not None and got.tzinfo is not None
    assert got.astimezone(dt.UTC).hour == utc_hour


def test_half_hour_zones_dates_and_seconds() -> None:
    assert bgn_instant(JULY, "1200", "NS") == dt.datetime(2026, 7, 1, 15, 30, tzinfo=dt.UTC)
    assert bgn_instant(JULY, "123045", "13") == dt.datetime(2026, 7, 2, 0, 30, 45, tzinfo=dt.UTC)
    assert bgn_instant(JULY, "0100", "12") == dt.datetime(2026, 6, 30, 13, 0, tzinfo=dt.UTC)
    assert bgn_instant(JULY, "9999", "ET") == dt.datetime(2026, 7, 1, 4, 0, tzinfo=dt.UTC)
    assert bgn_instant(None, "1200", "ET") is None


def _newest_entry(url: str) -> dt.datetime:
    with engine(url).connect() as conn:
        at = conn.execute(sa.select(sa.func.max(t.entries.c.recorded_at))).scalar_one()
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


def _wall(instant: dt.datetime, hours: float) -> dict[str, str]:
    """BGN03/BGN04 of `instant` as a clock `hours` from UTC reads it."""
    w = instant + dt.timedelta(hours=hours)
    return {"bgn_date": f"{w:%Y%m%d}", "bgn_time": f"{w:%H%M%S}"}


def test_a_file_from_ahead_of_utc_is_older_than_it_reads(ledger_url: str, tmp_path: Path) -> None:
    people = family(3)
    seed(ledger_url, tmp_path, people)
    last = _newest_entry(ledger_url)
    # written 6 hours before the ledger's newest change, by a clock at UTC+12 (BGN05 12):
    # read as UTC it would look 6 hours newer than that change and undo it
    rec, _ = run(ledger_url, tmp_path, [full(people[0], last="OLDNAME"), full(people[1])],
                 policy=REPLACE, bgn08="RX", bgn_zone="12", **_wall(last, 12 - 6))  # fmt: skip
    assert rec.file_time is not None and rec.file_time < last
    assert rec.counts.get("changed", 0) == 0 and rec.counts.get("terminated", 0) == 0
    actions = sorted(d["action"] for d in rows(ledger_url, rt.discrepancies, run_id=rec.run_id))
    assert actions == ["stale", "stale"]
    assert len(open_lines(ledger_url)) == 3


def test_a_file_from_behind_utc_is_newer_than_it_reads(ledger_url: str, tmp_path: Path) -> None:
    people = family(3)
    seed(ledger_url, tmp_path, people)
    last = _newest_entry(ledger_url)
    # written 2 hours after the newest change on a Pacific clock (UTC-8 or -7): read as UTC it
    # would look older than that change
    rec, _ = run(ledger_url, tmp_path, [full(people[0]), full(people[1])], policy=REPLACE,
                 bgn08="RX", bgn_zone="PS", **_wall(last, -8 + 2))  # fmt: skip
    assert rec.file_time is not None and rec.file_time > last
    assert (rec.status, rec.counts["terminated"]) == ("applied", 1)
    assert len(open_lines(ledger_url)) == 2


def test_confirmations_are_stamped_in_utc(ledger_url: str, tmp_path: Path) -> None:
    people = family(2)
    seed(ledger_url, tmp_path, people)
    rec, _ = run(ledger_url, tmp_path, [full(m) for m in people], bgn_date="20260301",
                 bgn_time="0900", bgn_zone="ET")  # fmt: skip
    assert rec.file_time == dt.datetime(2026, 3, 1, 14, 0, tzinfo=dt.UTC)
    stamps = {r["confirmed_at"] for r in rows(ledger_url, rt.confirmations, run_id=rec.run_id)}
    assert len(stamps) == 1
    [at] = stamps
    assert (at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at) == rec.file_time
