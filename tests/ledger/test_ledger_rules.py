"""The ledger's apply rules, each through a real ingest, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from ledger_helpers import RECEIVED, M, interchange, simple_decide, transaction_set, write

from edi.records import MemberTransaction, TransactionSetHeader, decode_json
from ledger.ingest import IngestSummary, ingest_file
from ledger.store import schema as t
from ledger.store.apply import apply_decision
from ledger.store.db import engine
from ledger.store.queries import member_history, roster, spans, verify_chain
from matching.decisions import Decision, Outcome

LATER = dt.datetime(2026, 3, 15, 9, 0, tzinfo=dt.UTC)
_isa = itertools.count(201)


def run(url: str, tmp: Path, members: list[M], *, received: dt.datetime = RECEIVED,
        bgn_date: str = "20260115") -> IngestSummary:  # fmt: skip
    n = next(_isa)
    data = interchange([transaction_set(members, bgn_date=bgn_date)], isa13=f"{n:09d}")
    return ingest_file(url, write(tmp, f"f{n}.edi", data), decide=simple_decide, received_at=received)


def current(url: str, member_id: str = "M000000001") -> list[tuple[str, str, Any, Any]]:
    with engine(url).connect() as conn:
        return [(s.line, s.plan, s.begin, s.end) for s in spans(conn, member_ids=[member_id])]


def history(url: str, member_id: str = "M000000001") -> list[dict[str, Any]]:
    with engine(url).connect() as conn:
        return member_history(conn, member_id)


D = dt.date
TWO_LINES = (
    ("021", "HLT", "PPO1", (("348", "20260201"),)),
    ("021", "DEN", "DEN1", (("348", "20260201"),)),
)


def test_coverage_termination_then_again_is_a_noop(ledger_url: str, tmp_path: Path) -> None:
    run(ledger_url, tmp_path, [M()])
    term = M(ins03="001", ins04="AI", member_dates=(), hds=(("024", "HLT", "PPO1", (("349", "20260331"),)),))
    s1 = run(ledger_url, tmp_path, [term], received=LATER)
    assert s1.members["applied"] == 1
    assert current(ledger_url) == [("HLT", "PPO1", D(2026, 2, 1), D(2026, 4, 1))]
    s2 = run(ledger_url, tmp_path, [term], received=LATER)
    assert any("no open coverage; termination is a no-op" in n for n in s2.notes)
    assert [h["kind"] for h in history(ledger_url)] == ["enrolment", "coverage_terminated"]


def test_end_before_begin_is_refused(ledger_url: str, tmp_path: Path) -> None:
    run(ledger_url, tmp_path, [M()])
    bad = M(ins03="001", member_dates=(), hds=(("024", "HLT", "PPO1", (("349", "20260115"),)),))
    summary = run(ledger_url, tmp_path, [bad], received=LATER)
    assert summary.members["rejected"] == 1
    assert any("end date before begin date" in n for n in summary.notes)
    assert current(ledger_url) == [("HLT", "PPO1", D(2026, 2, 1), None)]
    new = M(sub="SUB9", first="ZED", hds=(("021", "HLT", "P", (("348", "20260301"), ("349", "20260201"))),))
    assert run(ledger_url, tmp_path, [new], received=LATER).members["rejected"] == 1


def test_termination_without_date_uses_bgn03_and_says_so(ledger_url: str, tmp_path: Path) -> None:
    run(ledger_url, tmp_path, [M()])
    term = M(ins03="024", ins04="07", member_dates=(), hds=())
    summary = run(ledger_url, tmp_path, [term], received=LATER, bgn_date="20260310")
    assert any("BGN03" in n for n in summary.notes)
    assert current(ledger_url) == [("HLT", "PPO1", D(2026, 2, 1), D(2026, 3, 11))]
    kinds = [h["kind"] for h in history(ledger_url)]
    assert kinds == ["enrolment", "coverage_terminated", "member_terminated"]


def test_partner_rule_reject_refuses_undated_termination(ledger_url: str, tmp_path: Path) -> None:
    with engine(ledger_url).begin() as conn:
        conn.execute(t.partners.insert().values(
            sender_qualifier="ZZ", sender_id="SENDER1", name="Acme", allowed_sponsors="[]",
            duplicate_policy="skip", termination_date_rule="reject", strict=False,
        ))  # fmt: skip
    run(ledger_url, tmp_path, [M()])
    summary = run(ledger_url, tmp_path, [M(ins03="024", member_dates=(), hds=())], received=LATER)
    assert summary.members["rejected"] == 1
    assert any("partner rule 'reject'" in n for n in summary.notes)
    assert current(ledger_url) == [("HLT", "PPO1", D(2026, 2, 1), None)]


def test_spans_never_overlap_and_past_knowledge_stays(ledger_url: str, tmp_path: Path) -> None:
    run(ledger_url, tmp_path, [M()])
    with engine(ledger_url).connect() as conn:
        between = conn.execute(sa.select(sa.func.max(t.entries.c.recorded_at))).scalar_one()
    change = M(ins03="001", ins04="22", member_dates=(), hds=(("021", "HLT", "PPO2", (("348", "20260301"),)),))
    run(ledger_url, tmp_path, [change], received=LATER)
    assert current(ledger_url) == [
        ("HLT", "PPO1", D(2026, 2, 1), D(2026, 3, 1)),
        ("HLT", "PPO2", D(2026, 3, 1), None),
    ]
    with engine(ledger_url).connect() as conn:
        now = [(s.plan) for s in roster(conn, D(2026, 3, 15))]
        then = [(s.plan) for s in roster(conn, D(2026, 3, 15), known_at=between)]
        before_any = roster(conn, D(2026, 3, 15), known_at=dt.datetime(2000, 1, 1))
    assert now == ["PPO2"] and then == ["PPO1"] and before_any == []
    assert history(ledger_url)[-1]["kind"] == "coverage_changed"


def test_plan_change_hd_001(ledger_url: str, tmp_path: Path) -> None:
    run(ledger_url, tmp_path, [M()])
    change = M(ins03="001", member_dates=(), hds=(("001", "HLT", "HMO9", (("303", "20260315"),)),))
    assert run(ledger_url, tmp_path, [change], received=LATER).members["applied"] == 1
    assert current(ledger_url) == [
        ("HLT", "PPO1", D(2026, 2, 1), D(2026, 3, 15)),
        ("HLT", "HMO9", D(2026, 3, 15), None),
    ]


def test_dates_outside_the_window_are_held(ledger_url: str, tmp_path: Path) -> None:
    old = M(member_dates=(), hds=(("021", "HLT", "P", (("348", "20250101"),)),))
    future = M(sub="SUB2", first="FUTURA", member_dates=(), hds=(("021", "HLT", "P", (("348", "20261201"),)),))
    summary = run(ledger_url, tmp_path, [old, future])
    assert summary.members["review"] == 2 and summary.members["new"] == 0
    with engine(ledger_url).connect() as conn:
        reasons = [r.reason for r in conn.execute(sa.select(t.review_items).order_by(t.review_items.c.id))]
        assert conn.execute(sa.select(sa.func.count()).select_from(t.entries)).scalar_one() == 0
    assert reasons == ["retro_date", "future_date"]


def test_demographic_change_records_before_and_after(ledger_url: str, tmp_path: Path) -> None:
    run(ledger_url, tmp_path, [M()])
    change = M(ins03="001", ins04="25", last="NEWNAME", old_last="TESTER", member_dates=(), hds=())
    assert run(ledger_url, tmp_path, [change], received=LATER).members["applied"] == 1
    h = history(ledger_url)[-1]
    assert h["kind"] == "demographic_change"
    assert h["before"]["last"] == "TESTER" and h["after"]["last"] == "NEWNAME"
    assert "first" not in h["after"]  # unchanged fields are not repeated


def test_member_termination_ends_every_line_and_records_death(ledger_url: str, tmp_path: Path) -> None:
    run(ledger_url, tmp_path, [M(hds=TWO_LINES)])
    term = M(ins03="024", ins04="03", member_dates=(), hds=(), death="20260305")
    run(ledger_url, tmp_path, [term], received=LATER)
    assert sorted(current(ledger_url)) == [
        ("DEN", "DEN1", D(2026, 2, 1), D(2026, 3, 6)),
        ("HLT", "PPO1", D(2026, 2, 1), D(2026, 3, 6)),
    ]
    kinds = [h["kind"] for h in history(ledger_url)]
    assert kinds == ["enrolment", "coverage_terminated", "coverage_terminated", "member_terminated", "death"]


def test_reinstatement_reopens_coverage(ledger_url: str, tmp_path: Path) -> None:
    run(ledger_url, tmp_path, [M()])
    run(ledger_url, tmp_path, [M(ins03="024", member_dates=(("357", "20260228"),), hds=())], received=LATER)
    back = M(ins03="025", ins04="41", member_dates=(("303", "20260310"),), hds=())
    assert run(ledger_url, tmp_path, [back], received=LATER).members["applied"] == 1
    assert current(ledger_url) == [
        ("HLT", "PPO1", D(2026, 2, 1), D(2026, 3, 1)),
        ("HLT", "PPO1", D(2026, 3, 10), None),
    ]
    assert history(ledger_url)[-1]["kind"] == "reinstatement"


def test_cobra_continuation_entry(ledger_url: str, tmp_path: Path) -> None:
    run(ledger_url, tmp_path, [M(ins05="C", ins04="09")])
    assert [h["kind"] for h in history(ledger_url)] == ["enrolment", "cobra_continuation"]


def test_reviewer_resolution_uses_the_same_apply_path(ledger_url: str, tmp_path: Path) -> None:
    old = M(member_dates=(), hds=(("021", "HLT", "P", (("348", "20250101"),)),))
    run(ledger_url, tmp_path, [old])
    with engine(ledger_url).connect() as conn:
        item = conn.execute(sa.select(t.review_items)).one()
    tx = decode_json(MemberTransaction, item.transaction)
    header = decode_json(TransactionSetHeader, item.header)
    res = apply_decision(ledger_url, header, Decision(Outcome.NEW_MEMBER, tx, decided_by="rev1"))
    assert res.status == "new"
    h = history(ledger_url, res.member_id or "")
    assert h[0]["decided_by"] == "rev1" and h[0]["set_control"] == "0001"
    assert current(ledger_url, res.member_id or "") == [("HLT", "P", D(2025, 1, 1), None)]
    with engine(ledger_url).connect() as conn:
        assert verify_chain(conn).ok
        actions = [r.action for r in conn.execute(sa.select(t.audit_log.c.action))]
    assert "ledger.apply_decision" in actions


def test_notes_carry_no_phi(ledger_url: str, tmp_path: Path) -> None:
    run(ledger_url, tmp_path, [M(ssn="900000001")])
    term = M(ins03="024", member_dates=(), hds=(), ssn="900000001")
    summary = run(ledger_url, tmp_path, [term], received=LATER)
    text = json.dumps(summary.to_json())
    for phi in ("TESTER", "ALICE", "900000001", "1980", "MAIN ST", "SUB1001"):
        assert phi not in text


def test_change_to_a_member_created_earlier_in_the_same_set(ledger_url: str, tmp_path: Path) -> None:
    change = M(ins03="001", ins04="25", last="LATERNAME", ssn="900000077", member_dates=(), hds=())
    summary = run(ledger_url, tmp_path, [M(), change, M(sub="SUB2", first="OTHER")])
    assert summary.members == {"applied": 1, "new": 2, "review": 0, "referred": 0, "rejected": 0}
    assert [h["kind"] for h in history(ledger_url)] == ["enrolment", "demographic_change"]
    with engine(ledger_url).connect() as conn:
        keys = conn.execute(sa.select(t.blocking_keys.c.kind, t.blocking_keys.c.value)
                            .where(t.blocking_keys.c.member_id == "M000000001")).all()
    assert len(keys) == len(set(keys))
    assert ("dob_surname", "1980-01-01|L365") in keys  # the new surname blocks too
