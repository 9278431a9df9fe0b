"""Reconciliation items on the command line: `review list --queue reconciliation`,
`review show`, `review decide` (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from desk834 import (
    ALICE,
    BOB,
    Desk,
    Member,
    desk_test_env,  # noqa: F401 - autouse fixture
    interchange,
)


def _full_file(members: list[Member], control: int) -> bytes:
    """The members as a verify full file (BGN08 4, INS03 and HD01 030)."""
    text = interchange(members, control=control).decode()
    text = text.replace("****2~", "****4~").replace("*021*28*", "*030*28*")
    return text.replace("HD*021*", "HD*030*").encode()


@pytest.fixture
def desk(db_url: str, tmp_path) -> Desk:
    d = Desk(db_url, tmp_path)
    d.add_user("ops", "operator")
    d.add_user("rita", "reviewer")
    d.add_user("aud", "auditor")
    assert d.ingest([Member(ALICE, "S100"), Member(BOB, "S200")])["members"]["new"] == 2
    path = tmp_path / "full.edi"
    path.write_bytes(_full_file([Member(ALICE, "S100")], control=50))
    res = d.run("ops", "reconcile", str(path), "--json")
    assert res.exit_code == 0, res.output
    (run,) = json.loads(res.stdout)["runs"]
    assert run["semantics"] == "verify" and run["counts"]["work_items"] == 1
    return d


def test_list_show_and_decide_a_reconciliation_item(desk: Desk) -> None:
    (item,) = desk.items("rita", "--queue", "reconciliation")
    assert item["queue"] == "reconciliation" and item["reason"] == "missing_in_file"
    assert item["transaction"]["member_id"] == "M000000002"
    assert desk.items("rita", "--queue", "review") == []
    res = desk.run("rita", "review", "show", str(item["id"]))
    assert res.exit_code == 0 and "missing_in_file" in res.stdout
    assert "terminate [--as-of DATE] | keep" in res.stdout and "TESTPERSON" not in res.stdout
    # the wrong kind of decision: one line, nothing changed
    res = desk.run("rita", "review", "decide", str(item["id"]), "enrol")
    assert res.exit_code != 0 and "decided by terminate or keep" in res.output
    assert "Traceback" not in res.output
    res = desk.run("aud", "review", "decide", str(item["id"]), "keep")
    assert res.exit_code != 0
    end = (dt.date.today() + dt.timedelta(days=40)).isoformat()
    res = desk.run("rita", "review", "decide", str(item["id"]), "terminate", "--as-of", end,
                   "--json")  # fmt: skip
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["resolution"] == "terminate" and out["member_id"] == "M000000002"
    assert out["entries"]
    resolves = [a for a in desk.audit() if a["action"] == "review.resolve"]
    assert len(resolves) == 1 and resolves[0]["details"]["as_of"] == end
    assert desk.items("rita", "--queue", "reconciliation") == []


def test_as_of_goes_with_terminate_only(desk: Desk) -> None:
    (item,) = desk.items("rita", "--queue", "reconciliation")
    res = desk.run("rita", "review", "decide", str(item["id"]), "keep", "--as-of", "2026-06-30")
    assert res.exit_code == 2 and "--as-of goes with terminate" in res.output
