"""Full-file reconciliation against the ledger (SQLite and PostgreSQL).

Every person here is invented. A ledger is built by ingesting a change file
(BGN08=2, INS03=021); full files (BGN08=4 verify / RX replace, INS03=HD01=030)
are then reconciled against it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ledger_helpers import RECEIVED, M, interchange, simple_decide, write

from ledger.fullfile.files import FileReconciliation, reconcile_file
from ledger.fullfile.held import held_runs
from ledger.fullfile.reconcile import Reconciliation
from ledger.ingest import ingest_file
from ledger.store import reconcile_tables as rt
from ledger.store import schema as t
from ledger.store.db import LedgerError, engine
from ledger.store.policies import FullFilePolicy, load_policies
from ledger.store.queries import spans

SPONSOR = "991234567"
HLT = (("348", "20260201"),)


def family(n: int) -> list[M]:
    """n single-subscriber families with distinct numbers, names and SSNs."""
    firsts = ["ALICE", "BRUNO", "CARMEN", "DMITRI", "EDITH", "FARID", "GRETA", "HUGO", "INES",
              "JONAS", "KIRA", "LUDO", "MARTA", "NILS", "OLGA", "PAVEL", "QUINN", "ROSA",
              "SVEN", "TILDA"]  # fmt: skip
    return [
        M(sub=f"SUB{1000 + i}", last=f"TESTER{chr(65 + i % 26)}", first=firsts[i % len(firsts)],
          ssn=f"9{i:08d}", dob=f"19{70 + i % 20}0{1 + i % 9}1{i % 9}",
          hds=(("021", "HLT", "PPO1", HLT),))  # fmt: skip
        for i in range(n)
    ]


def full(m: M, **changes: object) -> M:
    """The member as a full file carries it: INS03=030, every HD 030."""
    m = dataclasses.replace(m, **changes)  # type: ignore[arg-type]
    hds = tuple(("030", line, plan, dates) for _, line, plan, dates in m.hds)
    return dataclasses.replace(m, ins03="030", hds=hds)


def full_set(members: Sequence[M], *, bgn08: str = "4", st02: str = "0001",
             bgn_date: str = "20991231", bgn_time: str = "1200",
             bgn_zone: str = "") -> list[str]:  # fmt: skip
    """A full-file set effective 2026-03-01 (DTP*007), created (BGN03) after any record time."""
    segs = [f"ST*834*{st02}*005010X220A1",
            f"BGN*00*REF{st02}*{bgn_date}*{bgn_time}*{bgn_zone}***{bgn08}", "DTP*007*D8*20260301",
            f"N1*P5*ACME TOOL*FI*{SPONSOR}", "N1*IN*SYNTH PLAN*FI*990000001"]  # fmt: skip
    for m in members:
        segs += m.segments()
    segs.append(f"SE*{len(segs) + 1}*{st02}")
    return segs


def change_set(members: Sequence[M]) -> list[str]:
    segs = ["ST*834*0001*005010X220A1", "BGN*00*REF1*20260115*1200****2",
            f"N1*P5*ACME TOOL*FI*{SPONSOR}", "N1*IN*SYNTH PLAN*FI*990000001"]  # fmt: skip
    for m in members:
        segs += m.segments()
    segs.append(f"SE*{len(segs) + 1}*0001")
    return segs


def seed(url: str, tmp: Path, members: Sequence[M]) -> None:
    f = write(tmp, "enrol.edi", interchange([change_set(members)], isa13="000000001"))
    summary = ingest_file(url, f, decide=simple_decide, received_at=RECEIVED)
    assert summary.members["new"] == len(members)


def run(url: str, tmp: Path, members: Sequence[M], *, isa13: str = "000000200",
        policy: FullFilePolicy | None = None, **kw: Any) -> tuple[Reconciliation, FileReconciliation]:  # fmt: skip
    set_kw = {k: kw.pop(k) for k in ("bgn08", "bgn_date", "bgn_time", "bgn_zone") if k in kw}
    f = write(tmp, f"full{isa13}.edi", interchange([full_set(members, **set_kw)], isa13=isa13))
    out = reconcile_file(url, f, policy=policy, **kw)
    assert len(out.runs) == 1, out.notes
    return out.runs[0], out


def rows(url: str, table: sa.Table, **where: object) -> list[dict[str, Any]]:
    with engine(url).connect() as conn:
        q = sa.select(table)
        for k, v in where.items():
            q = q.where(table.c[k] == v)
        return [dict(r._mapping) for r in conn.execute(q)]


def open_lines(url: str) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    with engine(url).connect() as conn:
        for s in spans(conn):
            if s.end is None:
                out.setdefault(s.member_id, []).append((s.line, s.plan))
    return out


REPLACE = FullFilePolicy("replace", 0.5, 0.5)


# ------------------------------------------------------------------ verify


def test_identical_full_file_confirms_everything(ledger_url: str, tmp_path: Path) -> None:
    people = family(3)
    seed(ledger_url, tmp_path, people)
    rec, _ = run(ledger_url, tmp_path, [full(m) for m in people])
    assert rec.status == "verified" and rec.semantics == "verify"
    c = rec.counts
    assert (c["file_members"], c["matched"], c["confirmed_members"], c["confirmed_coverages"]) == (3, 3, 3, 3)
    assert not any(c.get(k) for k in ("missing_in_ledger", "missing_in_file", "field_mismatch"))
    conf = rows(ledger_url, rt.confirmations, run_id=rec.run_id)
    assert len(conf) == 6
    assert {r["insurance_line"] for r in conf} == {"", "HLT"}
    stamp = conf[0]["confirmed_at"]
    assert stamp.replace(tzinfo=None) == dt.datetime(2099, 12, 31, 12, 0)  # BGN03 + BGN04


def test_verify_reports_every_kind_and_changes_nothing(ledger_url: str, tmp_path: Path) -> None:
    people = family(4)
    seed(ledger_url, tmp_path, people)
    before = open_lines(ledger_url)
    listed = [
        full(people[0], last="RENAMED", street="9 ELM ST"),
        full(people[1], hds=(("030", "HLT", "HMO2", HLT),)),
        full(people[2]),
        full(M(sub="SUB9999", last="NEWCOMER", first="ZOE", ssn="987650001", dob="19950505")),
    ]  # people[3] is absent
    rec, _ = run(ledger_url, tmp_path, listed)
    c = rec.counts
    assert (c["missing_in_ledger"], c["missing_in_file"], c["field_mismatch"]) == (1, 1, 2)
    assert c["action_review"] == 4 and rec.status == "verified"
    found = {(d["kind"], d["insurance_line"]): d for d in rows(ledger_url, rt.discrepancies, run_id=rec.run_id)}
    assert json.loads(found[("field_mismatch", "")]["fields"]) == ["last_name", "address"]
    assert found[("field_mismatch", "")]["severity"] == "low"
    assert json.loads(found[("field_mismatch", "HLT")]["fields"]) == ["plan"]
    assert found[("missing_in_file", "")]["subscriber_number"] == "SUB1003"
    assert found[("missing_in_ledger", "")]["member_id"] is None
    assert open_lines(ledger_url) == before  # verify never changes coverage


def test_field_mismatch_kinds(ledger_url: str, tmp_path: Path) -> None:
    people = family(1)
    seed(ledger_url, tmp_path, people)
    m = full(people[0], gender="M", hds=(("030", "HLT", "PPO1", (("348", "20260210"),)),))
    rec, _ = run(ledger_url, tmp_path, [m])
    got = rows(ledger_url, rt.discrepancies, run_id=rec.run_id)
    assert sorted((d["insurance_line"], d["fields"]) for d in got) == [
        ("", '["gender"]'), ("HLT", '["begin_date"]')]
    ssn_change = full(people[0], ssn="900000999")
    rec2, _ = run(ledger_url, tmp_path, [ssn_change], isa13="000000201")
    got = rows(ledger_url, rt.discrepancies, run_id=rec2.run_id)
    assert [(d["fields"], d["severity"]) for d in got] == [('["ssn"]', "high")]


def test_dry_run_writes_nothing(ledger_url: str, tmp_path: Path) -> None:
    people = family(2)
    seed(ledger_url, tmp_path, people)
    rec, out = run(ledger_url, tmp_path, [full(people[0])], policy=REPLACE, bgn08="RX", dry_run=True,
                   outbox=tmp_path / "out")  # fmt: skip
    assert rec.status == "dry_run" and rec.counts["would_terminate"] == 1
    assert rows(ledger_url, rt.reconciliation_runs) == []
    assert rows(ledger_url, rt.confirmations) == []
    assert len(open_lines(ledger_url)) == 2
    ops = next(p for p in out.reports if p.endswith("recon-ops.json"))
    report = json.loads(Path(ops).read_text())
    assert [d["action"] for d in report["discrepancies"]] == ["apply"]


# ------------------------------------------------------------------ replace and the guard


def test_replace_terminates_absent_and_applies_changes(ledger_url: str, tmp_path: Path) -> None:
    people = family(4)
    seed(ledger_url, tmp_path, people)
    listed = [full(people[0], hds=(("030", "HLT", "HMO2", HLT),)), full(people[1]), full(people[2]),
              full(M(sub="SUB9999", last="NEWCOMER", first="ZOE", ssn="987650001", dob="19950505"))]  # fmt: skip
    rec, _ = run(ledger_url, tmp_path, listed, policy=REPLACE, bgn08="RX")
    assert rec.status == "applied", rec.guard
    c = rec.counts
    assert (c["terminated"], c["changed"], c["enrolled"]) == (1, 1, 1)
    with engine(ledger_url).connect() as conn:
        by_sub = {r.subscriber_number: r.member_id for r in conn.execute(sa.select(t.members))}
        absent = [s for s in spans(conn, member_ids=[by_sub["SUB1003"]])]
        assert [(s.line, s.end) for s in absent] == [("HLT", dt.date(2026, 3, 1))]
        kinds = [r.kind for r in conn.execute(sa.select(t.entries.c.kind, t.entries.c.decided_by)
                                               .where(t.entries.c.decided_by == "full_file"))]  # fmt: skip
    assert sorted(kinds) == ["coverage_changed", "coverage_terminated", "enrolment", "member_terminated"]
    assert open_lines(ledger_url)[by_sub["SUB1000"]] == [("HLT", "HMO2")]
    actions = {d["kind"]: d["action"] for d in rows(ledger_url, rt.discrepancies, run_id=rec.run_id)}
    assert actions == {"field_mismatch": "applied", "missing_in_file": "applied",
                       "missing_in_ledger": "applied"}  # fmt: skip
    # the same file again: nothing left to do, and the terminated member is not terminated twice
    rec2, _ = run(ledger_url, tmp_path, listed, policy=REPLACE, bgn08="RX", isa13="000000201",
                  bgn_time="1300")  # fmt: skip
    assert rec2.counts.get("terminated", 0) == 0 and rec2.counts.get("missing_in_file", 0) == 0
    assert rec2.counts["confirmed_members"] == 4


def test_replace_identifies_with_the_active_model_and_names_it(ledger_url: str,
                                                              tmp_path: Path) -> None:
    from ledger.store import train_model

    people = family(4)
    seed(ledger_url, tmp_path, people)
    with engine(ledger_url).begin() as conn:
        assert train_model(conn, "root", activate=True).version == 1
    listed = [full(people[0], hds=(("030", "HLT", "HMO2", HLT),)), full(people[1]), full(people[2]),
              full(M(sub="SUB9999", last="NEWCOMER", first="ZOE", ssn="987650001", dob="19950505"))]  # fmt: skip
    rec, _ = run(ledger_url, tmp_path, listed, policy=REPLACE, bgn08="RX")
    assert rec.status == "applied", rec.guard
    with engine(ledger_url).connect() as conn:
        decided = {r.kind: r.model_version for r in conn.execute(
            sa.select(t.entries.c.kind, t.entries.c.model_version)
            .where(t.entries.c.decided_by == "full_file"))}  # fmt: skip
    assert decided["coverage_changed"] == decided["enrolment"] == 1


def test_replace_policy_on_a_verify_file_only_verifies(ledger_url: str, tmp_path: Path) -> None:
    people = family(2)
    seed(ledger_url, tmp_path, people)
    rec, _ = run(ledger_url, tmp_path, [full(people[0])], policy=REPLACE, bgn08="4")
    assert rec.semantics == "verify" and rec.counts.get("terminated", 0) == 0
    assert len(open_lines(ledger_url)) == 2


def test_guard_holds_a_mass_termination(ledger_url: str, tmp_path: Path) -> None:
    people = family(10)
    seed(ledger_url, tmp_path, people)
    policy = FullFilePolicy("replace", 0.10, 0.5)
    rec, out = run(ledger_url, tmp_path, [full(m) for m in people[:7]], policy=policy, bgn08="RX")
    assert rec.status == "held"
    assert rec.guard == "would terminate 3 of 10 active members (limit 10%)"
    assert len(open_lines(ledger_url)) == 10  # nothing applied
    assert {d["action"] for d in rows(ledger_url, rt.discrepancies, run_id=rec.run_id)} == {"held"}
    assert rows(ledger_url, rt.reconciliation_runs)[0]["status"] == "held"
    with engine(ledger_url).connect() as conn:
        held = held_runs(conn, SPONSOR)
    assert [(h["run_id"], h["counts"]["would_terminate"]) for h in held] == [(rec.run_id, 3)]
    assert any("guard" in n for n in out.notes)
    # a supervisor's override applies it
    rec2, _ = run(ledger_url, tmp_path, [full(m) for m in people[:7]], policy=policy, bgn08="RX",
                  isa13="000000201", override_guard=True)  # fmt: skip
    assert rec2.status == "applied" and rec2.counts["terminated"] == 3


def test_guard_on_changes(ledger_url: str, tmp_path: Path) -> None:
    people = family(4)
    seed(ledger_url, tmp_path, people)
    policy = FullFilePolicy("replace", 0.5, 0.25)
    listed = [full(m, street="77 NEW RD") for m in people]
    rec, _ = run(ledger_url, tmp_path, listed, policy=policy, bgn08="RX")
    assert rec.status == "held" and "would change 4 of 4" in rec.guard


def test_stale_full_file_does_not_undo_a_newer_change(ledger_url: str, tmp_path: Path) -> None:
    people = family(3)
    seed(ledger_url, tmp_path, people)  # recorded now, after a BGN03 of 2026-01-10
    rec, _ = run(ledger_url, tmp_path, [full(people[0], last="OLDNAME"), full(people[1])],
                 policy=REPLACE, bgn08="RX", bgn_date="20260110")  # fmt: skip
    assert rec.counts.get("changed", 0) == 0 and rec.counts.get("terminated", 0) == 0
    actions = sorted(d["action"] for d in rows(ledger_url, rt.discrepancies, run_id=rec.run_id))
    assert actions == ["stale", "stale"]
    assert len(open_lines(ledger_url)) == 3


def test_pending_review_is_never_enrolled_or_terminated(ledger_url: str, tmp_path: Path) -> None:
    people = family(3)
    seed(ledger_url, tmp_path, people)
    newcomer = M(sub="SUB7777", last="WAITING", first="YVES", ssn="987650002", dob="19900101",
                 ins03="021", medicare="C")  # referred: an open review item  # fmt: skip
    f = write(tmp_path, "medicare.edi", interchange([change_set([newcomer])], isa13="000000002"))
    ingest_file(ledger_url, f, decide=simple_decide, received_at=RECEIVED)
    assert len(rows(ledger_url, t.review_items)) == 1
    listed = [full(people[0]), full(people[1]), full(people[2]), full(dataclasses.replace(newcomer, medicare=""))]
    rec, _ = run(ledger_url, tmp_path, listed, policy=REPLACE, bgn08="RX")
    assert rec.counts.get("enrolled", 0) == 0
    assert [d["action"] for d in rows(ledger_url, rt.discrepancies, run_id=rec.run_id)] == ["pending_review"]


def test_rejected_member_blocks_termination_by_absence(ledger_url: str, tmp_path: Path) -> None:
    people = family(3)
    seed(ledger_url, tmp_path, people)
    bad = dataclasses.replace(full(people[2]), ins05="Q")  # unknown INS05: the member is rejected
    rec, _ = run(ledger_url, tmp_path, [full(people[0]), full(people[1]), bad], policy=REPLACE,
                 bgn08="RX")  # fmt: skip
    assert rec.counts["rejected_members"] == 1
    assert rec.counts.get("terminated", 0) == 0
    assert len(open_lines(ledger_url)) == 3


def test_other_sponsors_are_not_missing(ledger_url: str, tmp_path: Path) -> None:
    people = family(2)
    seed(ledger_url, tmp_path, people)
    f = write(tmp_path, "other.edi", interchange(
        [[s.replace(f"FI*{SPONSOR}", "FI*880000000") for s in full_set([full(people[0])])]],
        isa13="000000300"))  # fmt: skip
    rec = reconcile_file(ledger_url, f).runs[0]
    assert rec.sponsor_id == "880000000"
    assert rec.counts["active_in_ledger"] == 0 and rec.counts["missing_in_ledger"] == 1


def test_change_files_are_skipped(ledger_url: str, tmp_path: Path) -> None:
    f = write(tmp_path, "c.edi", interchange([change_set(family(1))], isa13="000000400"))
    out = reconcile_file(ledger_url, f)
    assert out.runs == [] and "not a full file" in out.notes[0]


# ------------------------------------------------------------------ reports and policy


def test_reports_carry_ids_and_field_names_but_no_phi(ledger_url: str, tmp_path: Path) -> None:
    people = family(2)
    seed(ledger_url, tmp_path, people)
    listed = [full(people[0], ssn="900000777", dob="19600101", last="ZEBRAFINCH")]
    _, out = run(ledger_url, tmp_path, listed, outbox=tmp_path / "outbox")
    names = sorted(Path(p).name for p in out.reports)
    assert names == [f"full000000200.edi.000000200.0001.recon-{w}.{e}"
                     for w in ("ops", "sender") for e in ("json", "txt")]  # fmt: skip
    for p in out.reports:
        text = Path(p).read_text()
        for secret in ("900000777", "000000000", "1960", "19600101", "ZEBRAFINCH", "TESTER", "MAIN ST"):
            assert secret not in text, (p, secret)
    sender = json.loads(Path(next(p for p in out.reports if p.endswith("sender.json"))).read_text())
    assert sender["counts"]["missing_in_file"] == 1
    kinds = sorted((d["kind"], d["subscriber_number"], tuple(d["fields"])) for d in sender["discrepancies"])
    assert kinds == [("field_mismatch", "SUB1000", ("last_name", "birth_date", "ssn")),
                     ("missing_in_file", "SUB1001", ())]  # fmt: skip
    assert "severity" not in sender["discrepancies"][0]
    ops_txt = Path(next(p for p in out.reports if p.endswith("ops.txt"))).read_text()
    assert "severity high" in ops_txt and "action review" in ops_txt


def test_policies_load_from_the_partner_config(ledger_url: str) -> None:
    doc = {"partners": [
        {"sender_qualifier": "ZZ", "sender_id": "SENDER1", "full_file_policy": "replace",
         "max_termination_share": 0.05},
        {"sender_qualifier": "ZZ", "sender_id": "OTHER"},
    ]}  # fmt: skip
    from ledger.store.policies import get_policy

    with engine(ledger_url).begin() as conn:
        assert load_policies(conn, doc, user="admin") == 1
        assert get_policy(conn, "ZZ", "SENDER1") == FullFilePolicy("replace", 0.05, 0.25)
        assert get_policy(conn, "ZZ", "OTHER") == FullFilePolicy()
    with pytest.raises(LedgerError), engine(ledger_url).begin() as conn:
        load_policies(conn, {"partners": [{"sender_qualifier": "ZZ", "sender_id": "X",
                                           "full_file_policy": "wipe"}]}, user="admin")  # fmt: skip


# ------------------------------------------------------------------ ingest routes full files


def test_ingest_reconciles_full_files_exactly_once(ledger_url: str, tmp_path: Path) -> None:
    people = family(3)
    seed(ledger_url, tmp_path, people)
    with engine(ledger_url).begin() as conn:
        load_policies(conn, {"partners": [{"sender_qualifier": "ZZ", "sender_id": "SENDER1",
                                            "full_file_policy": "replace",
                                            "max_termination_share": 0.5}]}, user="admin")  # fmt: skip
    f = write(tmp_path, "rx.edi", interchange([full_set([full(people[0]), full(people[1])], bgn08="RX")],
                                              isa13="000000500"))  # fmt: skip
    summary = ingest_file(ledger_url, f, decide=simple_decide, received_at=RECEIVED)
    assert summary.transaction_sets["accepted"] == 1
    assert any("full file (replace) applied" in n for n in summary.notes), summary.notes
    assert len(open_lines(ledger_url)) == 2  # the absent member was terminated
    assert len(rows(ledger_url, rt.reconciliation_runs)) == 1
    again = ingest_file(ledger_url, f, decide=simple_decide, received_at=RECEIVED)
    assert again.transaction_sets["duplicate"] == 1
    assert len(rows(ledger_url, rt.reconciliation_runs)) == 1


def test_ingest_of_a_verify_file_adds_nobody(ledger_url: str, tmp_path: Path) -> None:
    people = family(2)
    seed(ledger_url, tmp_path, people)
    newcomer = full(M(sub="SUB9999", last="NEWCOMER", first="ZOE", ssn="987650001", dob="19950505"))
    f = write(tmp_path, "v.edi", interchange([full_set([full(people[0]), newcomer])], isa13="000000501"))
    summary = ingest_file(ledger_url, f, decide=simple_decide, received_at=RECEIVED)
    assert summary.members["new"] == 0
    assert len(rows(ledger_url, t.members)) == 2
    kinds = sorted(d["kind"] for d in rows(ledger_url, rt.discrepancies))
    assert kinds == ["missing_in_file", "missing_in_ledger"]


def test_cli_reconcile_exits_1_when_the_guard_holds(ledger_url: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli import main

    people = family(5)
    seed(ledger_url, tmp_path, people)
    with engine(ledger_url).begin() as conn:
        load_policies(conn, {"partners": [{"sender_qualifier": "ZZ", "sender_id": "SENDER1",
                                            "full_file_policy": "replace"}]}, user="admin")  # fmt: skip
    f = write(tmp_path, "rx.edi", interchange([full_set([full(m) for m in people[:3]], bgn08="RX")],
                                              isa13="000000600"))  # fmt: skip
    res = CliRunner().invoke(main, ["--db", ledger_url, "reconcile", str(f), "--json"])
    assert res.exit_code == 1, res.output
    run_ = json.loads(res.stdout)["runs"][0]
    assert run_["status"] == "held" and run_["counts"]["would_terminate"] == 2
    assert "guard: would terminate 2 of 5 active members (limit 10%)" in res.stderr
    assert len(open_lines(ledger_url)) == 5
