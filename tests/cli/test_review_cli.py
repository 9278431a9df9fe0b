"""`enroll834 review ...` through the CLI: output shapes, masking, refusals, audit records."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from desk834 import (
    ALICE,
    FRED,
    Desk,
    Member,
    Person,
    desk_test_env,  # noqa: F401 - autouse fixture
    interchange,
)

from ledger.ingest import ingest_file

NOPERM = 77
TWIN = Person("TESTPERSON", "ALICE", ALICE.dob, "F", "555667777")
"""Alice's name and birth date with another SSN: held for review (conflict)."""
ALICIA = Person("TESTPERSON", "ALICIA", ALICE.dob, "F")
KID = Person("TESTPERSON", "KIDDO", dt.date(2015, 4, 5), "M")


@pytest.fixture
def desk(db_url: str, tmp_path) -> Desk:
    d = Desk(db_url, tmp_path)
    d.add_user("ops", "operator")
    d.add_user("rita", "reviewer")
    d.add_user("sam", "supervisor")
    assert d.ingest([Member(ALICE, "S100")])["members"]["new"] == 1
    return d


def _actions(desk: Desk, user: str) -> list[str]:
    return [a["action"] for a in desk.audit() if a["user"] == user]


def test_list_json_shape_overdue_first_and_masked(desk: Desk) -> None:
    path = desk.tmp / "old.edi"
    path.write_bytes(interchange([Member(TWIN, "S500")], control=90))
    received = dt.datetime.now(dt.UTC) - dt.timedelta(hours=50)
    ingest_file(desk.url, path, actor="ops", received_at=received)
    desk.ingest([Member(FRED, "S300", ins06="C")])
    items = desk.items()
    assert [i["queue"] for i in items] == ["review", "medicare"]
    first = items[0]
    assert {"id", "queue", "reason", "due_at", "status", "transaction", "candidates"} <= set(first)
    assert first["overdue"] is True and first["time_left_seconds"] < 0
    assert first["reason"] == "conflict" and first["status"] == "open"
    tx = first["transaction"]
    assert tx["subscriber_number"] == "S500" and tx["maintenance_type"] == "021"
    assert tx["ssn"] == "***-**-7777"
    cands = first["candidates"]
    assert cands[0]["member_id"] == "M000000001" and "score" in cands[0]
    assert [c["score"] for c in cands] == sorted((c["score"] for c in cands), reverse=True)
    assert items[1]["reason"] == "medicare_referral" and items[1]["overdue"] is False
    assert [i["queue"] for i in desk.items("rita", "--queue", "medicare")] == ["medicare"]
    assert [i["id"] for i in desk.items("rita", "--overdue")] == [first["id"]]
    text = desk.run("rita", "review", "list")
    lines = text.stdout.splitlines()
    assert lines[0].startswith("ID\t") and "OVERDUE" in lines[1] and "OVERDUE" not in lines[2]
    assert "555667777" not in text.output


def test_show_text_json_and_show_phi(desk: Desk) -> None:
    desk.ingest([Member(TWIN, "S500")])
    (item,) = desk.items()
    res = desk.run("rita", "review", "show", str(item["id"]))
    assert res.exit_code == 0, res.output
    assert "***-**-7777" in res.stdout and "candidate M000000001" in res.stdout
    assert "555667777" not in res.stdout and "111223333" not in res.stdout
    shown = json.loads(desk.run("rita", "review", "show", str(item["id"]), "--json").stdout)
    assert shown["candidates"][0]["person"]["ssn"] == "***-**-3333"
    assert shown["candidates"][0]["comparisons"]
    refused = desk.run("rita", "review", "show", str(item["id"]), "--show-phi")
    assert refused.exit_code == NOPERM and refused.stdout == ""
    desk.run("root", "users", "grant", "rita", "show_phi")
    full = desk.run("rita", "review", "show", str(item["id"]), "--json", "--show-phi")
    assert json.loads(full.stdout)["transaction"]["ssn"] == "555667777"
    listed = desk.items("rita", "--show-phi")
    assert listed[0]["transaction"]["ssn"] == "555667777"
    actions = _actions(desk, "rita")
    assert actions.count("review.show") == 3
    assert "review.show_phi" in actions and "auth.refused" in actions
    phi_lists = [a for a in desk.audit() if a["action"] == "review.list" and a["details"]["show_phi"]]
    assert phi_lists and phi_lists[-1]["details"]["items"] == [item["id"]]
    missing = desk.run("rita", "review", "show", "999")
    assert missing.exit_code == 1 and "999" in missing.stderr and "Traceback" not in missing.output


def test_assign_and_resolve_forms(desk: Desk) -> None:
    desk.ingest([Member(TWIN, "S500")])
    desk.ingest([Member(ALICIA, "S600", hd=[("021", "DEN")])])
    desk.ingest([Member(Person("MOCKWELL", "IVY", dt.date(1990, 1, 1), "F", "777889999"),
                        "S700", ins05="C", ins04="09")])  # fmt: skip
    by_sub = {i["transaction"]["subscriber_number"]: i["id"] for i in desk.items()}
    twin, alicia, cobra = by_sub["S500"], by_sub["S600"], by_sub["S700"]
    assert desk.run("rita", "review", "assign", str(twin), "sam").exit_code == NOPERM
    assert desk.run("sam", "review", "assign", str(twin), "rita").exit_code == 0
    assert next(i for i in desk.items() if i["id"] == twin)["assignee"] == "rita"
    # usage errors: exit 2
    for bad in ([], ["--match", "M1", "--new-member"], ["--reject"], ["--new-member", "--reason", "x"]):
        res = desk.run("rita", "review", "resolve", str(twin), *bad)
        assert res.exit_code == 2, bad
    res = desk.run("rita", "review", "resolve", str(twin), "--new-member", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["resolution"] == "new_member" and out["status"] == "new" and out["member_id"]
    res = desk.run("rita", "review", "resolve", str(alicia), "--match", "M000000001")
    assert res.exit_code == 0 and "matched" in res.stdout
    res = desk.run("rita", "review", "resolve", str(cobra), "--reject", "--reason",
                   "COBRA administered elsewhere")  # fmt: skip
    assert res.exit_code == 0 and "rejected" in res.stdout
    again = desk.run("rita", "review", "resolve", str(cobra), "--new-member")
    assert again.exit_code == 1 and "already resolved" in again.stderr
    assert desk.items() == []
    history = json.loads("[" + ",".join(desk.run(
        "root", "ledger", "history", "M000000001", "--json").stdout.splitlines()) + "]")  # fmt: skip
    assert history[-1]["decided_by"] == "rita"
    assert _actions(desk, "rita").count("review.resolve") == 3
    assert _actions(desk, "sam").count("review.assign") == 1


def test_resolving_a_held_subscriber_releases_dependents(desk: Desk) -> None:
    out = desk.ingest([Member(ALICIA, "S500"), Member(KID, "S500", relationship="19")])
    assert out["members"]["review"] == 2
    items = desk.items()
    sub = next(i for i in items if i["transaction"]["subscriber"])
    kid = next(i for i in items if not i["transaction"]["subscriber"])
    assert kid["reason"] == "family_held"
    res = desk.run("rita", "review", "resolve", str(sub["id"]), "--new-member", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert [(r["id"], r["status"]) for r in out["released"]] == [(kid["id"], "new")]
    assert desk.items() == []
    release = [a for a in desk.audit() if a["action"] == "review.release"]
    assert [(a["user"], a["target"]) for a in release] == [("rita", str(kid["id"]))]


def test_sla_report_json(desk: Desk) -> None:
    path = desk.tmp / "old.edi"
    path.write_bytes(interchange([Member(TWIN, "S500")], control=91))
    ingest_file(desk.url, path, actor="ops",
                received_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=80))  # fmt: skip
    res = desk.run("sam", "review", "sla", "--json")
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert rep["open"] == 1 and rep["overdue"] == 1
    assert rep["by_age"]["review"][">72h"] == 1
    (breach,) = rep["breaches"]
    assert breach["status"] == "open" and breach["late_by_seconds"] >= 32 * 3600 - 60
    text = desk.run("sam", "review", "sla")
    assert "breach item" in text.stdout
    assert "review.sla" in _actions(desk, "sam")


def test_operators_cannot_touch_the_desk(desk: Desk) -> None:
    for args in (["review", "list"], ["review", "sla"], ["review", "resolve", "1", "--new-member"]):
        res = desk.run("ops", *args)
        assert res.exit_code == NOPERM, args
    assert _actions(desk, "ops").count("auth.refused") == 3


def test_every_review_command_has_help_with_an_example() -> None:
    from click.testing import CliRunner

    from cli import main

    runner = CliRunner()
    for cmd in ("list", "show", "assign", "resolve", "sla"):
        res = runner.invoke(main, ["review", cmd, "--help"])
        assert res.exit_code == 0 and "Example" in res.output, cmd


def test_uninitialised_database_is_a_configuration_error(tmp_path) -> None:
    from click.testing import CliRunner

    from cli import main

    res = CliRunner().invoke(
        main, ["--db", f"sqlite:///{tmp_path / 'empty.db'}", "review", "list", "--as", "x"],
        env={"ENROLL834_ACCESS_CODE": "whatever"},
    )
    assert res.exit_code == 78 and "enroll834 init" in res.stderr
    assert "Traceback" not in res.output


def test_match_to_an_unlisted_member_with_conflicts_needs_a_supervisor_override(desk: Desk) -> None:
    pat = Person("OTHERPERSON", "PAT", dt.date(1965, 8, 9), "F", "466553563")
    desk.ingest([Member(pat, "S900", ins03="024", ins04="07", hd=[("024", "HLT")])])
    (item,) = desk.items()
    iid = str(item["id"])
    shown = desk.run("rita", "review", "show", iid, "--member", "M000000001")
    assert shown.exit_code == 0, shown.output
    assert (
        "candidate M000000001" in shown.stdout and "not among the item's candidates" in shown.stdout
    )
    assert "conflicts: ssn_conflict, birth_date_conflict" in shown.stdout
    refused = desk.run("rita", "review", "resolve", iid, "--match", "M000000001")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert "ssn_conflict" in refused.stderr and "override" in refused.stderr
    assert "Traceback" not in refused.output
    not_sup = desk.run("rita", "review", "resolve", iid, "--match", "M000000001",
                       "--override-reason", "confirmed")  # fmt: skip
    assert not_sup.exit_code == NOPERM
    usage = desk.run("sam", "review", "resolve", iid, "--new-member", "--override-reason", "x")
    assert usage.exit_code == 2
    done = desk.run("sam", "review", "resolve", iid, "--match", "M000000001",
                    "--override-reason", "confirmed with HR", "--json")  # fmt: skip
    assert done.exit_code == 0, done.output
    out = json.loads(done.stdout)
    assert out["resolution"] == "matched" and out["match"]["listed"] is False
    assert out["match"]["conflicts"] == ["ssn_conflict", "birth_date_conflict"]
    (resolved,) = [a for a in desk.audit() if a["action"] == "review.resolve"]
    assert (
        resolved["user"] == "sam" and resolved["details"]["override_reason"] == "confirmed with HR"
    )
