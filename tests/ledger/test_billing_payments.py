"""Payments, 820 reading, commission (pmpm, retro refund clawback) and money helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from billing_helpers import SPONSOR, add_member, at, cover, end_cover, rates_csv
from test_billing_cli import remit_820

from edi.remit820 import read_820
from ledger.billing import (
    credit,
    load_commission,
    load_rates_csv,
    parse_dollars,
    record_payment,
    run_bills,
    run_commission,
    statement_lines,
)
from ledger.billing.commission import split
from ledger.store import LedgerError, engine


def test_money_helpers() -> None:
    assert parse_dollars("1,210.5") == 121050 and parse_dollars("7") == 700
    for bad in ("1.005", "abc", "1e3", ""):
        with pytest.raises(LedgerError):
            parse_dollars(bad)
    assert split(100, [1, 1, 1]) == [34, 33, 33] and sum(split(-7, [3, 5])) == -7


def test_read_820_validates_with_pyx12_and_structure() -> None:
    good = remit_820([("B-1", "10.00"), ("B-2", "5.50")], "15.50", "TR1")
    rems, found = read_820(good, "ok.820")
    assert not [f for f in found if f.rejects]
    assert [(i.reference, i.amount_cents) for i in rems[0].items] == [("B-1", 1000), ("B-2", 550)]
    assert (rems[0].payer, rems[0].trace, rems[0].total_cents) == (SPONSOR, "TR1", 1550)
    bad_code = good.replace(b"RMR*IK*B-1", b"RMR*ZZ*B-1")
    rems, found = read_820(bad_code, "bad.820")
    assert rems == [] and any(f.validator == "pyx12" and f.rejects for f in found)
    assert all("B-1" not in f.message for f in found)  # positions, never values


def _bill(url: str, tmp: Path) -> str:
    with engine(url).begin() as conn:
        load_rates_csv(conn, rates_csv(tmp, [f"{SPONSOR},PPO1,EMP,2027-01-01,,450.00",
                                             f"{SPONSOR},DEN1,EMP,2027-01-01,,50.00"]), user="a")
    m = add_member(url, "TESTER", "ALICE", at("2026-12-01"))
    n = add_member(url, "SAMPLE", "BOB", at("2026-12-01"))
    for mid in (m, n):
        cover(url, mid, "2026-12-01", None, at("2026-12-01"))
        cover(url, mid, "2026-12-01", None, at("2026-12-01"), line="DEN", plan="DEN1")
    res = run_bills(url, "2027-01", user="op", now=at("2027-01-01"))
    assert res[0].total_cents == 100000
    return n


def test_payments_duplicates_other_groups_and_credit(ledger_url: str, tmp_path: Path) -> None:
    _bill(ledger_url, tmp_path)
    bill = f"{SPONSOR}-202701"
    with engine(ledger_url).begin() as conn:
        r = record_payment(conn, SPONSOR, 120000, "CHK1", user="op", bills={bill: 120000})
        assert r.applied == ((bill, 100000),) and r.unapplied_cents == 20000
        assert record_payment(conn, SPONSOR, 120000, "CHK1", user="op").status == "duplicate"
        with pytest.raises(LedgerError, match="another amount"):
            record_payment(conn, SPONSOR, 1, "CHK1", user="op")
        other = record_payment(conn, "OTHER", 5000, "X1", user="op", bills={bill: 5000})
        assert other.applied == () and "not a bill of group OTHER" in other.notes[0]
        assert credit(conn, SPONSOR) == 20000 and credit(conn, "OTHER") == 5000


def test_commission_pmpm_and_retro_refund_clawback(ledger_url: str, tmp_path: Path) -> None:
    _bill(ledger_url, tmp_path)
    doc = {"brokers": [{"broker_id": "B1"}],
           "broker_of_record": [{"sponsor": SPONSOR, "broker": "B1", "from": "2027-01-01"}],
           "commission": [{"product": "PPO1", "percent": "10", "from": "2027-01-01"},
                          {"product": "DEN1", "pmpm": "2.00", "from": "2027-01-01"}]}
    with engine(ledger_url).begin() as conn:
        load_commission(conn, doc, "t", user="a")
        record_payment(conn, SPONSOR, 100000, "CHK1", user="op",
                       received_at=at("2027-01-10"))
        st = run_commission(conn, "2027-01", user="op")[0]
        lines = {x["product"]: x for x in statement_lines(conn, st.statement_id)}
    assert lines["PPO1"]["commission"] == "90.00" and lines["DEN1"]["commission"] == "4.00"
    # dental ended back-dated to January 1 for both: February refunds January's dental
    with engine(ledger_url).connect() as conn:
        members = [r[0] for r in conn.exec_driver_sql("SELECT member_id FROM members")]
    for mid in members:
        end_cover(ledger_url, mid, "2027-01-01", at("2027-01-15"), line="DEN")
    feb = run_bills(ledger_url, "2027-02", user="op", now=at("2027-02-01"))[0]
    assert (feb.premium_cents, feb.adjustments_cents, feb.total_cents) == (90000, -10000, 80000)
    with engine(ledger_url).begin() as conn:
        record_payment(conn, SPONSOR, 80000, "CHK2", user="op", received_at=at("2027-02-10"))
        st = run_commission(conn, "2027-02", user="op")[0]
        lines = {x["product"]: x for x in statement_lines(conn, st.statement_id)}
    assert (lines["DEN1"]["kind"], lines["DEN1"]["reason"], lines["DEN1"]["commission"]) == \
        ("clawback", "retro_refund", "-4.00")
    assert lines["PPO1"]["premium_paid"] == "900.00" and lines["PPO1"]["commission"] == "90.00"
