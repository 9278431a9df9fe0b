"""Rates, cycles and the bill run: charges, the registry, adjustments, located errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from billing_helpers import SPONSOR, add_member, at, cover, end_cover, rates_csv

from ledger.billing import Cycle, Period, cycle_for, load_rates_csv, run_bills, set_cycle
from ledger.store import LedgerError, billing_tables, engine


def _rates(url: str, tmp: Path, rows: list[str] | None = None) -> None:
    rows = rows or [f"{SPONSOR},PPO1,EMP,2027-01-01,,450.00",
                    f"{SPONSOR},PPO1,FAM,2027-01-01,,1210.50",
                    f"{SPONSOR},DEN1,EMP,2027-01-01,2027-12-31,31.00"]
    with engine(url).begin() as conn:
        load_rates_csv(conn, rates_csv(tmp, rows), user="admin")


def _lines(url: str, bill: str) -> list[dict[str, object]]:
    b, ln = billing_tables.billing_bills, billing_tables.billing_lines
    with engine(url).connect() as conn:
        bid = conn.execute(sa.select(b.c.id).where(b.c.bill_number == bill)).scalar_one()
        return [dict(r._mapping) for r in conn.execute(
            sa.select(ln).where(ln.c.bill_id == bid).order_by(ln.c.ordinal))]


def test_rates_csv_errors_are_located(ledger_url: str, tmp_path: Path) -> None:
    bad = [
        (["991,PPO1,EMP,2027-13-01,,1.00"], "rates.csv:2: from is not an ISO date"),
        (["991,PPO1,EMP,2027-01-01,,4.505"], "rates.csv:2: monthly_rate"),
        (["991,PPO1,EMP,2027-01-01,,1.00", "991,PPO1,EMP,2027-06-01,,2.00"],
         "rates.csv:3: overlaps"),
        (["991,,EMP,2027-01-01,,1.00"], "rates.csv:2: missing plan"),
    ]
    for rows, message in bad:
        with pytest.raises(LedgerError, match=message), engine(ledger_url).begin() as conn:
            load_rates_csv(conn, rates_csv(tmp_path, rows), user="admin")
    (tmp_path / "h.csv").write_text("sponsor,plan,level,from,to,rate\n")
    with pytest.raises(LedgerError, match="h.csv:1: header"), engine(ledger_url).begin() as conn:
        load_rates_csv(conn, tmp_path / "h.csv", user="admin")
    with engine(ledger_url).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(
            billing_tables.billing_rates)).scalar_one() == 0


def test_bill_charges_once_per_member_and_coverage(ledger_url: str, tmp_path: Path) -> None:
    _rates(ledger_url, tmp_path)
    a = add_member(ledger_url, "TESTER", "ALICE", at("2026-12-01"))
    b = add_member(ledger_url, "SAMPLE", "BOB", at("2026-12-01"))
    cover(ledger_url, a, "2027-01-01", None, at("2026-12-01"))
    cover(ledger_url, a, "2027-01-01", None, at("2026-12-01"), line="DEN", plan="DEN1")
    cover(ledger_url, b, "2026-06-01", None, at("2026-12-01"), level="FAM")
    first = run_bills(ledger_url, "2027-01", user="op", now=at("2027-01-01", 6))
    assert [r.status for r in first] == ["issued"]
    r = first[0]
    assert (r.premium_cents, r.adjustments_cents, r.total_cents) == (45000 + 3100 + 121050, 0,
                                                                      169150)
    assert r.to_json()["total"] == "1691.50" and r.members == 2 and r.lines == 3
    assert r.due_date == "2027-01-20"
    again = run_bills(ledger_url, "2027-01", user="op", now=at("2027-01-02"))
    assert again[0].status == "already_issued" and again[0].bill_id == r.bill_id
    assert len(_lines(ledger_url, r.bill_number)) == 3


def test_missing_rate_is_a_located_error_and_writes_nothing(ledger_url: str,
                                                            tmp_path: Path) -> None:
    _rates(ledger_url, tmp_path)
    a = add_member(ledger_url, "TESTER", "ALICE", at("2026-12-01"))
    cover(ledger_url, a, "2027-01-01", None, at("2026-12-01"), level="ESP")
    res = run_bills(ledger_url, "2027-01", user="op", group=SPONSOR, now=at("2027-01-01"))
    assert res[0].status == "error"
    assert f"group {SPONSOR} period 2027-01: no rate for plan 'PPO1' level 'ESP'" in res[0].error
    assert f"member {a}" in res[0].error
    with engine(ledger_url).connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(billing_tables.billing_bills))
        assert n.scalar_one() == 0


def test_coverage_is_read_as_known_at_the_cutoff_and_retro_changes_adjust_next_bill(
    ledger_url: str, tmp_path: Path
) -> None:
    _rates(ledger_url, tmp_path)
    a = add_member(ledger_url, "TESTER", "ALICE", at("2026-12-01"))
    b = add_member(ledger_url, "SAMPLE", "BOB", at("2026-12-01"))
    cover(ledger_url, a, "2027-01-01", None, at("2026-12-01"))
    cover(ledger_url, b, "2026-12-01", None, at("2026-12-01"))
    jan = run_bills(ledger_url, "2027-01", user="op", now=at("2027-01-01"))[0]
    # recorded after January's cut-off: Bob's termination back-dated to Jan 1, Carol back-dated
    end_cover(ledger_url, b, "2027-01-01", at("2027-01-10"))
    c = add_member(ledger_url, "EXAMPLE", "CAROL", at("2027-01-10"))
    cover(ledger_url, c, "2027-01-01", None, at("2027-01-10"), level="FAM")
    assert jan.total_cents == 90000  # the issued bill does not change
    feb = run_bills(ledger_url, "2027-02", user="op", now=at("2027-02-01"))[0]
    assert feb.premium_cents == 45000 + 121050
    assert feb.adjustments_cents == -45000 + 121050
    adj = [x for x in _lines(ledger_url, feb.bill_number) if x["kind"] == "adjustment"]
    assert {(x["member_id"], x["period"], x["reason"], x["amount_cents"]) for x in adj} == {
        (b, "2027-01", "retro_ended", -45000), (c, "2027-01", "retro_added", 121050)}
    mar = run_bills(ledger_url, "2027-03", user="op", now=at("2027-03-01"))[0]
    assert mar.adjustments_cents == 0 and mar.premium_cents == 45000 + 121050


def test_by_day_proration_and_cycle_changes_from_the_next_period(ledger_url: str,
                                                                 tmp_path: Path) -> None:
    _rates(ledger_url, tmp_path)
    with engine(ledger_url).begin() as conn:
        start, cyc = set_cycle(conn, SPONSOR, {"proration": "by_day", "bill_day": 15,
                                               "bill_in": "previous", "due_day": 5}, user="admin")
    assert start == "0001-01" and cyc.proration == "by_day"
    a = add_member(ledger_url, "TESTER", "ALICE", at("2026-12-01"))
    cover(ledger_url, a, "2027-01-11", None, at("2026-12-01"))  # 21 of 31 days
    jan = run_bills(ledger_url, "2027-01", user="op", now=at("2026-12-15"))[0]
    assert jan.premium_cents == (2 * 45000 * 21 + 31) // 62 == 30484
    assert jan.due_date == "2027-01-05"
    with engine(ledger_url).begin() as conn:
        start, _ = set_cycle(conn, SPONSOR, {"proration": "whole_month", "due_day": 10},
                             user="admin")
        assert start == "2027-02"
        assert cycle_for(conn, SPONSOR, Period(2027, 1)).proration == "by_day"
        assert cycle_for(conn, SPONSOR, Period(2027, 2)) == Cycle(15, "previous", 10, False,
                                                                  "whole_month", 1)
        acts = [r[0] for r in conn.exec_driver_sql(
            "SELECT details FROM audit_log WHERE action = 'billing.cycle_set' ORDER BY seq")]
    assert json.loads(acts[-1]) == {"fields": ["due_day", "proration"], "from_period": "2027-02"}


def test_periods_are_billed_in_order(ledger_url: str, tmp_path: Path) -> None:
    _rates(ledger_url, tmp_path)
    a = add_member(ledger_url, "TESTER", "ALICE", at("2026-12-01"))
    cover(ledger_url, a, "2027-01-01", None, at("2026-12-01"))
    assert run_bills(ledger_url, "2027-01", user="op", now=at("2027-01-01"))[0].status == "issued"
    res = run_bills(ledger_url, "2027-03", user="op", now=at("2027-03-01"))[0]
    assert res.status == "error" and "the next one is 2027-02" in res.error


def test_cycle_dates() -> None:
    assert Cycle(1, "coverage", 20).due_date(Period(2027, 2)).isoformat() == "2027-02-20"
    c = Cycle(15, "previous", 5)
    assert (c.bill_date(Period(2027, 1)).isoformat(), c.due_date(Period(2027, 1)).isoformat()) \
        == ("2026-12-15", "2027-01-05")
    with pytest.raises(LedgerError, match="bill_day"):
        Cycle(bill_day=31)
