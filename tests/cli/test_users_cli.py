"""`enroll834 users ...` and signing in: codes shown once, hashed, refused with 77, audited."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from desk834 import (
    ALICE,
    Desk,
    Member,
    desk_test_env,  # noqa: F401 - autouse fixture
)

from ledger.store import schema as t
from ledger.store.db import engine

NOPERM = 77


@pytest.fixture
def desk(db_url: str, tmp_path) -> Desk:
    return Desk(db_url, tmp_path)


def _refusals(desk: Desk) -> list[dict]:
    return [a for a in desk.audit() if a["action"] == "auth.refused"]


def test_add_prints_code_once_and_stores_only_a_slow_salted_hash(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger.desk import auth

    monkeypatch.setattr(auth, "_N", 2**14)  # the production cost, for this one account
    res = desk.run("root", "users", "add", "carol", "--role", "reviewer", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) == {"user", "access_code"} and out["user"] == "carol"
    code = out["access_code"]
    assert len(code) >= 16
    with engine(desk.url).connect() as conn:
        stored = conn.execute(
            sa.select(t.users.c.code_hash).where(t.users.c.user_id == "carol")
        ).scalar_one()
    assert stored.startswith("scrypt$16384$") and code not in stored
    # Same code for another user hashes differently (salted).
    assert stored.split("$")[4] != "" and len(stored.split("$")[4]) == 32
    # The new user signs in with it: reviewers may read the desk.
    assert desk.run("carol", "review", "list", code=code).exit_code == 0
    # Plain output is the code alone on stdout; the message goes to stderr.
    res2 = desk.run("root", "users", "add", "dan", "--role", "auditor")
    assert res2.exit_code == 0
    assert res2.stdout.strip() and "\n" not in res2.stdout.strip()
    assert "shown once" in res2.stderr and res2.stdout.strip() not in res2.stderr


def test_list_grant_revoke(desk: Desk) -> None:
    desk.add_user("carol", "reviewer")
    assert desk.run("root", "users", "grant", "carol", "supervisor").exit_code == 0
    res = desk.run("root", "users", "list", "--json")
    users = {u["user"]: u for u in map(json.loads, res.stdout.splitlines())}
    assert users["carol"]["roles"] == ["reviewer", "supervisor"]
    assert users["root"]["roles"] == ["administrator", "show_phi"]
    assert "access_code" not in users["carol"] and "code_hash" not in res.stdout
    assert desk.run("root", "users", "revoke", "carol", "reviewer").exit_code == 0
    res = desk.run("root", "users", "list")
    assert "carol\t-\tsupervisor\tactive" in res.stdout  # no display name was given
    unknown = desk.run("root", "users", "grant", "carol", "wizard")
    assert unknown.exit_code == 1 and "unknown role" in unknown.stderr
    actions = [a["action"] for a in desk.audit() if a["user"] == "root"]
    assert {"user.create", "user.grant", "user.revoke", "user.list"} <= set(actions)


def test_reset_code_invalidates_the_old_code(desk: Desk) -> None:
    old = desk.add_user("carol", "reviewer")
    res = desk.run("root", "users", "reset-code", "carol", "--json")
    assert res.exit_code == 0
    new = json.loads(res.stdout)["access_code"]
    assert new != old
    assert desk.run("carol", "review", "list", code=old).exit_code == NOPERM
    assert desk.run("carol", "review", "list", code=new).exit_code == 0
    assert any(a["action"] == "user.reset_code" and a["target"] == "carol" for a in desk.audit())


def test_deactivated_user_can_do_nothing(desk: Desk) -> None:
    desk.add_user("carol", "reviewer", "administrator")
    assert desk.run("root", "users", "deactivate", "carol").exit_code == 0
    for args in (("review", "list"), ("users", "list"), ("review", "sla")):
        res = desk.run("carol", *args)
        assert res.exit_code == NOPERM, args
        assert "Traceback" not in res.output
    assert len([r for r in _refusals(desk) if r["user"] == "carol"]) == 3
    res = desk.run("root", "users", "list", "--json")
    carol = next(u for u in map(json.loads, res.stdout.splitlines()) if u["user"] == "carol")
    assert carol["active"] is False


def test_last_administrator_stays(desk: Desk) -> None:
    res = desk.run("root", "users", "deactivate", "root")
    assert res.exit_code == 1 and "last" in res.stderr
    res = desk.run("root", "users", "revoke", "root", "administrator")
    assert res.exit_code == 1


REFUSALS = [
    ("root", "wrong-code", ("users", "list")),
    ("nobody", "whatever", ("review", "list")),
    ("carol", None, ("users", "add", "eve", "--role", "reviewer")),
    ("carol", None, ("users", "reset-code", "root")),
    ("dan", None, ("review", "resolve", "1", "--new-member")),
    ("dan", None, ("review", "assign", "1", "dan")),
    ("carol", None, ("ingest", "x.edi")),
]
"""(user, code or None for the user's own, command) that must be refused."""


def test_refusals_exit_77_and_are_audited(desk: Desk) -> None:
    desk.add_user("carol", "reviewer")
    desk.add_user("dan", "auditor")
    (desk.tmp / "x.edi").write_bytes(b"ISA")
    for user, code, args in REFUSALS:
        if args[0] == "ingest":
            args = ("ingest", str(desk.tmp / "x.edi"))
        before = len(_refusals(desk))
        res = desk.run(user, *args, code=code)
        assert res.exit_code == NOPERM, (args, res.output)
        assert res.stdout == ""
        assert "Traceback" not in res.output
        if code:
            assert code not in res.output
        refusals = _refusals(desk)
        assert len(refusals) == before + 1, args
        assert refusals[-1]["user"] == user
        assert refusals[-1]["details"]["action"]
        assert code is None or code not in json.dumps(refusals[-1])


def test_no_user_given_is_refused(desk: Desk) -> None:
    res = desk.run(None, "review", "list")
    assert res.exit_code == NOPERM
    assert _refusals(desk)[-1]["user"] == "-"


def test_code_from_prompt_and_from_secrets_file(desk: Desk) -> None:
    code = desk.add_user("svc", "service")
    prompted = desk.run(None, "users", "list", "--as", "root", input=desk.codes["root"] + "\n")
    assert prompted.exit_code == 0, prompted.output
    assert "root\t" in prompted.stdout
    secret = desk.tmp / "svc.code"
    secret.write_text(code + "\n")
    path = desk.tmp / "f.edi"
    from desk834 import interchange

    path.write_bytes(interchange([Member(ALICE, "S100")]))
    res = desk.run(None, "ingest", str(path), "--json", "--as", "svc",
                   env={"ENROLL834_ACCESS_CODE_FILE": str(secret)})
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["members"]["new"] == 1
    ingests = [a for a in desk.audit() if a["action"] == "ingest.transaction_set"]
    assert [a["user"] for a in ingests] == ["svc"]


def test_ingest_needs_operator_or_service_and_is_attributed(desk: Desk) -> None:
    desk.add_user("ops", "operator")
    desk.add_user("rita", "reviewer")
    path = desk.tmp / "f.edi"
    from desk834 import interchange

    path.write_bytes(interchange([Member(ALICE, "S100")]))
    assert desk.run("rita", "ingest", str(path)).exit_code == NOPERM
    assert desk.run(None, "ingest", str(path)).exit_code == NOPERM
    res = desk.run("ops", "ingest", str(path), "--json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert set(summary) == {"files", "transaction_sets", "members", "rejections", "errors"}
    assert summary["members"]["new"] == 1
    ingests = [a for a in desk.audit() if a["action"] == "ingest.transaction_set"]
    assert [a["user"] for a in ingests] == ["ops"]


def test_every_users_command_has_help_with_an_example() -> None:
    from click.testing import CliRunner

    from cli import main

    runner = CliRunner()
    for cmd in ("add", "list", "grant", "revoke", "reset-code", "deactivate"):
        res = runner.invoke(main, ["users", cmd, "--help"])
        assert res.exit_code == 0 and "Example" in res.output, cmd
