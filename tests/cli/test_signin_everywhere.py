"""Once users exist, every command that shows member data or changes state signs the user in:
`ledger history`, `ledger verify`, `members export`, `groups show` (and `groups set`). Every
refusal (no user, unknown user, wrong code, missing role or privilege) exits 77 and leaves an
'auth.refused' audit record; every read of member data is audited. SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from desk834 import (
    ALICE,
    Desk,
    Member,
    desk_test_env,  # noqa: F401 - autouse fixture
)

import cli
from ledger.store.db import upgrade

SSN_TAIL = ALICE.ssn[-4:]


@pytest.fixture
def desk(db_url: str, tmp_path) -> Desk:
    d = Desk(db_url, tmp_path)
    for name, role in (("ops", "operator"), ("rita", "reviewer"), ("aud", "auditor"),
                       ("sup", "supervisor")):
        d.add_user(name, role)
    d.ingest([Member(ALICE, "SUB900001")])
    return d


def _member_id(desk: Desk) -> str:
    res = desk.run("root", "members", "export")
    assert res.exit_code == 0, res.output
    [line] = res.stdout.splitlines()
    return str(json.loads(line)["member_id"])


def _refusals(desk: Desk) -> list[dict]:
    return [a for a in desk.audit() if a["action"] == "auth.refused"]


def _assert_refused(desk: Desk, res, action: str, user: str) -> None:
    assert res.exit_code == 77, res.output
    last = _refusals(desk)[-1]
    assert (last["user"], last["details"]["action"]) == (user, action)
    for phi in (ALICE.last, ALICE.first, ALICE.ssn):
        assert phi not in res.output and phi not in json.dumps(last)


def test_history_needs_a_member_data_role_and_is_audited(desk: Desk) -> None:
    mid = _member_id(desk)
    for user in ("rita", "aud", "sup", "root"):
        res = desk.run(user, "ledger", "history", mid, "--json")
        assert res.exit_code == 0, (user, res.output)
        entry = json.loads(res.stdout.splitlines()[0])
        assert entry["kind"] == "enrollment" and "before" not in entry and "after" not in entry
        assert ALICE.last not in res.stdout and ALICE.ssn not in res.stdout
    reads = [a for a in desk.audit() if a["action"] == "ledger.history"]
    assert [a["user"] for a in reads] == ["rita", "aud", "sup", "root"]
    assert all(a["target"] == mid and a["details"]["show_phi"] is False for a in reads)

    _assert_refused(desk, desk.run("ops", "ledger", "history", mid), "ledger.history", "ops")
    _assert_refused(desk, desk.run("rita", "ledger", "history", mid, code="wrong"),
                    "ledger.history", "rita")
    _assert_refused(desk, desk.run("nobody", "ledger", "history", mid, code="x"),
                    "ledger.history", "nobody")
    _assert_refused(desk, desk.run(None, "ledger", "history", mid), "ledger.history", "-")


def test_history_values_need_show_phi(desk: Desk) -> None:
    mid = _member_id(desk)
    res = desk.run("rita", "ledger", "history", mid, "--json", "--show-phi")
    _assert_refused(desk, res, "ledger.history", "rita")
    shown = desk.run("root", "ledger", "history", mid, "--json", "--show-phi")
    assert shown.exit_code == 0, shown.output
    entry = json.loads(shown.stdout.splitlines()[0])
    assert entry["after"]["demographics"]["last"] == ALICE.last
    audit = [a for a in desk.audit() if a["action"] == "ledger.history"][-1]
    assert (audit["user"], audit["details"]["show_phi"]) == ("root", True)


def test_verify_for_auditors_supervisors_operators(desk: Desk) -> None:
    for user in ("aud", "sup", "ops", "root"):
        res = desk.run(user, "ledger", "verify", "--json")
        assert res.exit_code == 0, (user, res.output)
        assert [r["ok"] for r in json.loads(res.stdout)] == [True, True]
    assert [a["user"] for a in desk.audit() if a["action"] == "ledger.verify"] == [
        "aud", "sup", "ops", "root"]
    _assert_refused(desk, desk.run("rita", "ledger", "verify"), "ledger.verify", "rita")
    # the refusals and reads above are chained too: the audit chain still verifies
    assert desk.run("aud", "ledger", "verify").exit_code == 0


def test_members_export_always_signs_in(desk: Desk) -> None:
    _assert_refused(desk, desk.run(None, "members", "export"), "members.export", "-")
    _assert_refused(desk, desk.run("ops", "members", "export"), "members.export", "ops")
    res = desk.run("rita", "members", "export")
    assert res.exit_code == 0, res.output
    ssn = next(i["value"] for i in json.loads(res.stdout)["identifiers"] if i["type"] == "ssn")
    assert ssn == "*****" + SSN_TAIL
    _assert_refused(desk, desk.run("rita", "members", "export", "--show-phi"),
                    "members.export", "rita")
    shown = desk.run("root", "members", "export", "--show-phi")
    assert shown.exit_code == 0 and ALICE.ssn in shown.stdout
    exports = [a for a in desk.audit() if a["action"] == "members.export"]
    assert [(a["user"], a["details"]["show_phi"]) for a in exports] == [
        ("rita", False), ("root", True)]


def test_groups_show_signs_in_and_groups_set_refusals_are_audited(desk: Desk) -> None:
    ok = desk.run("root", "groups", "set", "991234567", "--cobra", "self", "--as", "root")
    assert ok.exit_code == 0, ok.output
    for user in ("ops", "rita", "aud"):
        res = desk.run(user, "groups", "show", "991234567", "--json")
        assert res.exit_code == 0, res.output
        assert json.loads(res.stdout)["cobra_administration"] == "self"
    _assert_refused(desk, desk.run(None, "groups", "show"), "groups.read", "-")
    _assert_refused(desk, desk.run("ops", "groups", "show", code="wrong"), "groups.read", "ops")
    refused = desk.run("rita", "groups", "set", "991234567", "--cobra", "third_party")
    _assert_refused(desk, refused, "groups.manage", "rita")
    shown = desk.run("rita", "groups", "show", "991234567", "--json")
    assert json.loads(shown.stdout)["cobra_administration"] == "self"  # nothing changed


def test_before_any_user_exists_the_reads_stay_open(db_url: str) -> None:
    upgrade(db_url)
    runner = CliRunner(env={"ENROLL834_USER": "", "ENROLL834_ACCESS_CODE": ""})
    for args in (["ledger", "verify"], ["members", "export"], ["groups", "show"],
                 ["audit", "list", "--json"]):
        res = runner.invoke(cli.main, ["--db", db_url, *args])
        assert res.exit_code == 0, (args, res.output)
    # showing PHI always needs a user holding show_phi
    res = runner.invoke(cli.main, ["--db", db_url, "members", "export", "--show-phi"])
    assert res.exit_code == 77
    from ledger.store import schema as t
    from ledger.store.db import engine

    with engine(db_url).connect() as conn:
        actions = [r.action for r in conn.execute(sa.select(t.audit_log.c.action))]
    assert actions == ["auth.refused"]
