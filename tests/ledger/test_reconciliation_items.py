"""Reconciliation work items: a verify full file's differences, one desk item per member,
decided through the ledger's apply path, audited, and shown in the run's reports.

SQLite and PostgreSQL (the `ledger_url` fixture). Every person is invented.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from test_reconcile import REPLACE, family, full, open_lines, rows, run, seed

from ledger.desk import decide_item, list_items, reconciliation_context
from ledger.desk.users import Actor, NotPermitted
from ledger.store import LedgerError, engine, load_people
from ledger.store import reconcile_tables as rt
from ledger.store import schema as t

RITA = Actor("rita", frozenset({"reviewer"}))
SAM = Actor("sam", frozenset({"supervisor"}))
AUD = Actor("aud", frozenset({"auditor"}))


def _items(url: str) -> dict[str, dict]:
    """Open reconciliation items by reason (one each here)."""
    out = {}
    for v in list_items(url, SAM, queue="reconciliation"):
        assert v.reason not in out
        out[v.reason] = v.to_json()
    return out


def _audits(url: str, action: str) -> list[dict]:
    return [json.loads(r["details"] or "{}") for r in rows(url, t.audit_log, action=action)]


def _verify_run(url: str, tmp: Path, **kw: object):  # type: ignore[no-untyped-def]
    """Four members; the verify file leaves out [1], renames [2] and changes its plan, and
    lists somebody new."""
    people = family(4)
    seed(url, tmp, people)
    newcomer = family(6)[5]
    listed = [full(people[0]), full(people[2], last="RENAMED", hds=(("021", "HLT", "PPO9",
                                                                      (("348", "20260201"),)),)),
              full(people[3]), full(newcomer)]  # fmt: skip
    rec, out = run(url, tmp, listed, **kw)
    return people, newcomer, rec, out


def test_a_verify_file_queues_one_item_per_member_without_phi(ledger_url: str,
                                                              tmp_path: Path) -> None:  # fmt: skip
    people, newcomer, rec, _ = _verify_run(ledger_url, tmp_path)
    assert rec.status == "verified" and rec.counts["work_items"] == 3
    items = _items(ledger_url)
    assert set(items) == {"missing_in_file", "missing_in_ledger", "field_mismatch"}
    mismatch = items["field_mismatch"]["transaction"]
    assert mismatch["run_id"] == rec.run_id and len(mismatch["ordinals"]) == 2  # name + plan
    assert mismatch["fields"] == ["last_name", "plan"] and mismatch["lines"] == ["HLT"]
    assert items["missing_in_file"]["due_at"] is not None
    text = json.dumps(items)
    for p in (*people, newcomer):
        assert p.last not in text and p.first not in text and p.ssn not in text
    assert "RENAMED" not in text
    # the file's loop is kept for the decisions that apply it; a missing member has none
    d = rows(ledger_url, rt.discrepancies, run_id=rec.run_id)
    assert {r["kind"] for r in d if r["member_tx"]} == {"field_mismatch", "missing_in_ledger"}


def test_each_decision_applies_through_the_ledger_and_is_audited_once(
    ledger_url: str, tmp_path: Path
) -> None:
    people, newcomer, rec, _ = _verify_run(ledger_url, tmp_path)
    items = _items(ledger_url)
    gone, new, diff = (items[k] for k in ("missing_in_file", "missing_in_ledger",
                                          "field_mismatch"))  # fmt: skip
    gone_id = gone["transaction"]["member_id"]
    assert gone_id in open_lines(ledger_url)
    # a decision of another kind's is refused; nothing changes
    with pytest.raises(LedgerError, match="decided by terminate or keep"):
        decide_item(ledger_url, RITA, gone["id"], "enrol")
    with pytest.raises(NotPermitted):
        decide_item(ledger_url, AUD, gone["id"], "keep")
    res = decide_item(ledger_url, RITA, gone["id"], "terminate", outbox=tmp_path / "out")
    assert res.resolution == "terminate" and res.status == "applied" and res.entries
    assert gone_id not in open_lines(ledger_url)
    with engine(ledger_url).connect() as conn:
        ends = {r.valid_to for r in conn.execute(sa.select(t.coverage_versions).where(
            t.coverage_versions.c.member_id == gone_id, t.coverage_versions.c.valid_to.is_not(None)))}
        (entry,) = conn.execute(sa.select(t.entries).where(
            t.entries.c.member_id == gone_id, t.entries.c.kind == "member_terminated")).all()
    assert ends == {dt.date(2026, 3, 1)} and entry.decided_by == "rita"
    with pytest.raises(LedgerError, match="already resolved"):
        decide_item(ledger_url, RITA, gone["id"], "keep")
    # enrol the newcomer from the file's loop
    res = decide_item(ledger_url, RITA, new["id"], "enrol")
    assert res.status == "new" and res.member_id
    with engine(ledger_url).connect() as conn:
        (person,) = load_people(conn, [res.member_id])
    assert (person.last, person.first) == (newcomer.last, newcomer.first)
    # apply the file's values to the renamed member
    res = decide_item(ledger_url, SAM, diff["id"], "apply_file")
    with engine(ledger_url).connect() as conn:
        (person,) = load_people(conn, [diff["transaction"]["member_id"]])
    assert person.last == "RENAMED"
    assert ("HLT", "PPO9") in open_lines(ledger_url)[person.member_id]
    audits = [a for a in _audits(ledger_url, "review.resolve")]
    assert sorted(a["resolution"] for a in audits) == ["apply_file", "enrol", "terminate"]
    assert all(a["run_id"] == rec.run_id for a in audits)
    assert not list_items(ledger_url, SAM, queue="reconciliation")
    status = {r["ordinal"]: r["status"] for r in rows(ledger_url, rt.discrepancies,
                                                       run_id=rec.run_id)}  # fmt: skip
    assert sorted(set(status.values())) == ["apply_file", "enrol", "terminate"]


def test_keep_ignore_and_the_reports_show_what_was_decided(ledger_url: str,
                                                           tmp_path: Path) -> None:  # fmt: skip
    people, newcomer, rec, _ = _verify_run(ledger_url, tmp_path, outbox=tmp_path / "out")
    items = _items(ledger_url)
    before = open_lines(ledger_url)
    decide_item(ledger_url, RITA, items["missing_in_file"]["id"], "keep")
    decide_item(ledger_url, RITA, items["field_mismatch"]["id"], "keep_ledger")
    res = decide_item(ledger_url, RITA, items["missing_in_ledger"]["id"], "ignore",
                      outbox=tmp_path / "out")  # fmt: skip
    assert open_lines(ledger_url) == before and res.status == "kept"
    assert any(n.startswith("report ") for n in res.notes)
    (ops,) = (tmp_path / "out").glob("*.recon-ops.txt")
    text = ops.read_text()
    decided = {line.rsplit("decided ", 1)[1] for line in text.splitlines() if "decided " in line}
    assert decided == {"keep", "keep_ledger", "ignore"}
    for p in (*people, newcomer):
        assert p.last not in text and p.ssn not in text
    data = json.loads(next((tmp_path / "out").glob("*.recon-ops.json")).read_text())
    assert {d["decided"] for d in data["discrepancies"]} == {"keep", "keep_ledger", "ignore"}


def test_the_item_context_shows_file_and_ledger_values_masked(ledger_url: str,
                                                              tmp_path: Path) -> None:  # fmt: skip
    people, _, _, _ = _verify_run(ledger_url, tmp_path)
    diff = _items(ledger_url)["field_mismatch"]
    ctx = reconciliation_context(ledger_url, RITA, diff["id"])
    assert ctx["file"]["name"]["last"] == "RENAMED"
    assert ctx["ledger"]["name"]["last"] == people[2].last
    assert people[2].ssn not in json.dumps(ctx, default=str)
    assert ctx["decisions"] == ("apply_file", "keep_ledger")


def test_a_replace_file_queues_nothing(ledger_url: str, tmp_path: Path) -> None:
    people = family(4)
    seed(ledger_url, tmp_path, people)
    rec, _ = run(ledger_url, tmp_path, [full(m) for m in people[:3]], policy=REPLACE,
                 bgn08="RX")  # fmt: skip
    assert rec.semantics == "replace" and "work_items" not in rec.counts
    assert not list_items(ledger_url, SAM, queue="reconciliation")


def test_work_items_written_in_batches_are_the_same_items(
    ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.fullfile import work

    monkeypatch.setattr(work, "_QUEUE_BATCH", 1)  # every item its own insert
    _, _, rec, _ = _verify_run(ledger_url, tmp_path)
    assert rec.counts["work_items"] == 3
    queued = [r for r in rows(ledger_url, t.review_items) if r["queue"] == "reconciliation"]
    assert [r["reason"] for r in sorted(queued, key=lambda r: r["id"])] == [
        "field_mismatch", "missing_in_ledger", "missing_in_file"]
    assert set(_items(ledger_url)) == {"missing_in_file", "missing_in_ledger", "field_mismatch"}
