"""A full file held by the guard is ONE supervisor review item: listed with its counts (no
PHI), resolvable only by a supervisor, applied once by an override, or rejected (SQLite and
PostgreSQL). Every person here is invented."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from ledger_helpers import RECEIVED, interchange, simple_decide, write
from test_reconcile import SPONSOR, family, full, full_set, open_lines, seed

from ledger.desk import review as desk
from ledger.desk.auth import initialise
from ledger.desk.users import Actor, NotPermitted, add_user
from ledger.fullfile.files import reconcile_file
from ledger.ingest import ingest_file
from ledger.store import reconcile_tables as rt
from ledger.store import schema as t
from ledger.store.db import LedgerError, engine
from ledger.store.policies import load_policies

ROOT = Actor("root", frozenset({"administrator", "show_phi"}))
RITA = Actor("rita", frozenset({"reviewer"}))
SAM = Actor("sam", frozenset({"supervisor"}))
SECRETS = ("TESTER", "ALICE", "BRUNO", "900000001", "MAIN ST")


def _rows(url: str, table: sa.Table, *where: object) -> list:
    with engine(url).connect() as conn:
        return list(conn.execute(sa.select(table).where(*where)))  # type: ignore[arg-type]


@pytest.fixture
def held(ledger_url: str, tmp_path: Path) -> tuple[str, Path]:
    """10 active members, then a replace file (via ingest) listing 7: the guard holds it."""
    initialise(ledger_url, "root")
    for a in (RITA, SAM):
        add_user(ledger_url, ROOT, a.user_id, sorted(a.roles))
    people = family(10)
    seed(ledger_url, tmp_path, people)
    with engine(ledger_url).begin() as conn:
        load_policies(conn, {"partners": [{"sender_qualifier": "ZZ", "sender_id": "SENDER1",
                                            "full_file_policy": "replace"}]}, user="root")  # fmt: skip
    f = write(tmp_path, "rx.edi", interchange(
        [full_set([full(m) for m in people[:7]], bgn08="RX", st02="0007")], isa13="000000300"))  # fmt: skip
    summary = ingest_file(ledger_url, f, decide=simple_decide, received_at=RECEIVED)
    assert any("guard" in n for n in summary.notes), summary.notes
    return ledger_url, f


def test_guard_trip_is_one_supervisor_item_with_the_counts(held: tuple[str, Path]) -> None:
    url, _ = held
    [item] = desk.list_items(url, SAM, queue="supervisor")
    assert (item.queue, item.reason, item.sponsor_id) == ("supervisor", "full_file_guard", SPONSOR)
    tx = item.transaction
    assert (tx["active_members"], tx["would_terminate"], tx["would_change"]) == (10, 3, 0)
    assert (tx["termination_share"], tx["max_termination_share"]) == (0.3, 0.1)
    assert (tx["interchange_control"], tx["set_control"], tx["source"]) == ("000000300", "0007",
                                                                            "rx.edi")  # fmt: skip
    [run] = _rows(url, rt.reconciliation_runs, rt.reconciliation_runs.c.status == "held")
    assert run.review_item_id == item.id and tx["run_id"] == run.id
    assert desk.list_items(url, SAM, queue="review") == []  # the members were not queued
    shown = desk.show_item(url, RITA, item.id)
    text = json.dumps(shown) + item.explanation
    assert "would terminate 3 of 10" in text
    for secret in SECRETS:
        assert secret not in text


def test_a_reviewer_cannot_resolve_it(held: tuple[str, Path]) -> None:
    url, f = held
    [item] = desk.list_items(url, SAM, queue="supervisor")
    with pytest.raises(NotPermitted):
        desk.resolve(url, RITA, item.id, override_file=f)
    with pytest.raises(NotPermitted):
        desk.resolve(url, RITA, item.id, reject_reason="no")
    assert len(open_lines(url)) == 10
    assert _rows(url, t.review_items, t.review_items.c.id == item.id)[0].status == "open"
    refused = _rows(url, t.audit_log, t.audit_log.c.action == "auth.refused")
    assert any(r.user_id == "rita" for r in refused)


def test_a_supervisor_override_applies_the_file_once(held: tuple[str, Path]) -> None:
    url, f = held
    [item] = desk.list_items(url, SAM, queue="supervisor")
    with pytest.raises(LedgerError, match="overridden"):
        desk.resolve(url, SAM, item.id, match="M1")
    other = write(f.parent, "other.edi", f.read_bytes() + b"\n")
    with pytest.raises(LedgerError, match="SHA-256"):
        desk.resolve(url, SAM, item.id, override_file=other)
    res = desk.resolve(url, SAM, item.id, override_file=f)
    assert (res.resolution, res.status) == ("overridden", "applied")
    assert len(open_lines(url)) == 7  # the three absent members were terminated
    runs = {r.status: r for r in _rows(url, rt.reconciliation_runs)}
    assert set(runs) == {"overridden", "applied"}
    assert json.loads(runs["applied"].counts)["terminated"] == 3
    with pytest.raises(LedgerError, match="already resolved"):
        desk.resolve(url, SAM, item.id, override_file=f)
    assert len(open_lines(url)) == 7
    assert desk.list_items(url, SAM, queue="supervisor") == []
    [a] = _rows(url, t.audit_log, t.audit_log.c.action == "review.resolve")
    assert a.user_id == "sam" and json.loads(a.details)["resolution"] == "overridden"


def test_rejecting_closes_it_without_applying(held: tuple[str, Path]) -> None:
    url, _ = held
    [item] = desk.list_items(url, SAM, queue="supervisor")
    with pytest.raises(LedgerError, match="reason"):
        desk.resolve(url, SAM, item.id, reject_reason="  ")
    res = desk.resolve(url, SAM, item.id, reject_reason="sender sent a partial file")
    assert res.resolution == "rejected"
    assert len(open_lines(url)) == 10
    assert [r.status for r in _rows(url, rt.reconciliation_runs)] == ["rejected"]
    [row] = _rows(url, t.review_items, t.review_items.c.id == item.id)
    assert (row.status, row.resolution, row.resolved_by) == ("resolved", "rejected", "sam")


def test_reconcile_by_hand_also_queues_the_held_file(ledger_url: str, tmp_path: Path) -> None:
    from ledger.store.policies import FullFilePolicy

    people = family(4)
    seed(ledger_url, tmp_path, people)
    f = write(tmp_path, "rx.edi", interchange([full_set([full(people[0])], bgn08="RX")],
                                              isa13="000000301"))  # fmt: skip
    out = reconcile_file(ledger_url, f, policy=FullFilePolicy("replace", 0.1, 0.5))
    assert out.runs[0].status == "held"
    [row] = _rows(ledger_url, t.review_items)
    summary = json.loads(row.transaction)
    assert (row.queue, summary["would_terminate"], summary["max_termination_share"]) == (
        "supervisor", 3, 0.1)
    dry = reconcile_file(ledger_url, f, policy=FullFilePolicy("replace", 0.1, 0.5), dry_run=True)
    assert dry.runs[0].status == "dry_run" and len(_rows(ledger_url, t.review_items)) == 1


def test_the_cli_lists_shows_refuses_and_overrides(ledger_url: str, tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
    from desk834 import Desk

    d = Desk(ledger_url, tmp_path)
    d.add_user("rita", "reviewer")
    d.add_user("sam", "supervisor")
    people = family(5)
    seed(ledger_url, tmp_path, people)
    with engine(ledger_url).begin() as conn:
        load_policies(conn, {"partners": [{"sender_qualifier": "ZZ", "sender_id": "SENDER1",
                                            "full_file_policy": "replace"}]}, user="root")  # fmt: skip
    f = write(tmp_path, "rx.edi", interchange([full_set([full(people[0])], bgn08="RX")],
                                              isa13="000000302"))  # fmt: skip
    ingest_file(ledger_url, f, decide=simple_decide, received_at=RECEIVED)
    res = d.run("sam", "review", "list", "--queue", "supervisor", "--json")
    assert res.exit_code == 0, res.output
    [item] = [json.loads(line) for line in res.stdout.splitlines()]
    assert item["transaction"]["would_terminate"] == 4
    shown = d.run("rita", "review", "show", str(item["id"]))
    assert shown.exit_code == 0 and "would_terminate         4" in shown.stdout
    refused = d.run("rita", "review", "resolve", str(item["id"]), "--override", str(f))
    assert refused.exit_code == 77 and len(open_lines(ledger_url)) == 5
    done = d.run("sam", "review", "resolve", str(item["id"]), "--override", str(f), "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["resolution"] == "overridden"
    assert len(open_lines(ledger_url)) == 1
    for secret in SECRETS:
        assert secret not in res.stdout + shown.stdout + done.stdout


def test_a_by_hand_override_settles_the_item(held: tuple[str, Path]) -> None:
    url, f = held
    [item] = desk.list_items(url, SAM, queue="supervisor")
    out = reconcile_file(url, f, override_guard=True, actor="sam")
    assert out.runs[0].status == "applied" and len(open_lines(url)) == 7
    assert desk.list_items(url, SAM, queue="supervisor") == []
    [row] = _rows(url, t.review_items, t.review_items.c.id == item.id)
    assert (row.resolution, row.resolved_by) == ("overridden", "sam")
    assert sorted(r.status for r in _rows(url, rt.reconciliation_runs)) == ["applied", "overridden"]
