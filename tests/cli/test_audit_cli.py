"""`enroll834 audit list`: auditors (and supervisors, administrators) read the append-only
audit log, filtered by user, action and time; the log holds no PHI; an auditor reads but cannot
assign, resolve or ingest. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from desk834 import (
    ALICE,
    GINA,
    Desk,
    Member,
    Person,
    desk_test_env,  # noqa: F401 - autouse fixture
)

ALICIA = Person("TESTPERSON", "ALICIA", ALICE.dob, "F")
"""Alice's surname and birth date, no SSN: never a certain match, so held for review."""


@pytest.fixture
def desk(db_url: str, tmp_path) -> Desk:
    d = Desk(db_url, tmp_path)
    for name, role in (("ops", "operator"), ("rita", "reviewer"), ("aud", "auditor"),
                       ("sup", "supervisor")):
        d.add_user(name, role)
    d.ingest([Member(ALICE, "SUB900001")])
    d.ingest([Member(ALICIA, "SUB900002")])  # held for review
    return d


def _list(desk: Desk, user: str, *args: str) -> list[dict]:
    res = desk.run(user, "audit", "list", "--json", *args)
    assert res.exit_code == 0, res.output
    return [json.loads(line) for line in res.stdout.splitlines()]


def test_auditor_reads_the_log_with_filters(desk: Desk) -> None:
    everything = _list(desk, "aud")
    actions = [r["action"] for r in everything]
    assert actions[0] == "user.create" and "ingest.transaction_set" in actions
    assert [r["seq"] for r in everything] == sorted(r["seq"] for r in everything)
    assert {"seq", "at", "user", "action", "target", "details"} <= set(everything[0])

    by_ops = _list(desk, "aud", "--user", "ops")
    assert by_ops and {r["user"] for r in by_ops} == {"ops"}
    ingests = _list(desk, "aud", "--action", "ingest.transaction_set")
    assert len(ingests) == 2 and {r["action"] for r in ingests} == {"ingest.transaction_set"}
    users = _list(desk, "aud", "--action", "user.")
    assert users and all(r["action"].startswith("user.") for r in users)
    assert _list(desk, "aud", "--action", "user*") == users
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).strftime("%Y-%m-%d")
    assert _list(desk, "aud", "--since", tomorrow) == []
    assert len(_list(desk, "aud", "--since", "2000-01-01")) > len(everything)  # reads add records
    [newest] = _list(desk, "aud", "--limit", "1")
    assert newest["action"] == "audit.list"  # the previous read, audited

    reads = [a for a in desk.audit() if a["action"] == "audit.list"]
    assert reads and {a["user"] for a in reads} == {"aud"}

    text = desk.run("aud", "audit", "list")
    assert text.exit_code == 0 and text.stdout.startswith("SEQ\tAT\tUSER\tACTION")
    for phi in (ALICE.last, ALICE.first, ALICE.ssn, ALICE.dob.strftime("%Y%m%d"),
                ALICE.dob.isoformat(), "SUB900001"):
        assert phi not in text.stdout


def test_supervisors_and_administrators_read_reviewers_and_operators_do_not(desk: Desk) -> None:
    assert _list(desk, "sup") and _list(desk, "root")
    for user in ("rita", "ops"):
        res = desk.run(user, "audit", "list")
        assert res.exit_code == 77, res.output
        last = [a for a in desk.audit() if a["action"] == "auth.refused"][-1]
        assert (last["user"], last["details"]["action"]) == (user, "audit.read")


def test_an_auditor_cannot_change_anything(desk: Desk) -> None:
    [item] = desk.items("rita")
    item_id = str(item["id"])
    path = desk.tmp / "more.edi"
    from desk834 import interchange

    path.write_bytes(interchange([Member(GINA, "SUB900003")], control=9))
    attempts = {
        "review.assign": ("review", "assign", item_id, "aud"),
        "review.resolve": ("review", "resolve", item_id, "--new-member"),
        "ingest": ("ingest", str(path)),
        "users.manage": ("users", "add", "eve", "--role", "auditor"),
        "groups.manage": ("groups", "set", "991234567", "--cobra", "self"),
    }
    for action, args in attempts.items():
        res = desk.run("aud", *args)
        assert res.exit_code == 77, (action, res.output)
        last = [a for a in desk.audit() if a["action"] == "auth.refused"][-1]
        assert (last["user"], last["details"]["action"]) == ("aud", action)
    [still] = desk.items("rita")
    assert still["status"] == item["status"] and still["assignee"] == item["assignee"]
    # the refused ingest recorded nothing: only the two fixture files were ingested
    assert len(_list(desk, "aud", "--action", "ingest.transaction_set")) == 2
    # but the auditor may read the review desk
    assert desk.run("aud", "review", "list").exit_code == 0
