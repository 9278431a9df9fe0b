"""The payer's five rules, end to end through the CLI (ingest -> review desk -> ledger).

1 demographic changes and terminations of known members are applied at once;
2 enrollments are automatic only for a certain match or a certainly new person,
  otherwise held for review, due 48 hours after receipt;
3 COBRA only for self-administered groups: third party / bill-and-collect are
  rejected with a reason the sender sees, an unknown setting goes to review;
4 Medicare always goes to the group representative's queue;
5 a held subscriber holds its family's enrollments (released when resolved),
  and members rejected by validation never reach the ledger.
Each test runs on SQLite and PostgreSQL (db_url).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from desk834 import (
    ALICE,
    BOB,
    CARLA,
    FRED,
    GINA,
    Desk,
    Member,
    Person,
    desk_test_env,  # noqa: F401 - autouse fixture
)

from ledger.store import schema as t
from ledger.store.db import engine

SELF, THIRD, BILL, UNSET = "100000001", "100000002", "100000003", "100000004"
ALICIA = Person("TESTPERSON", "ALICIA", ALICE.dob, "F")
"""Alice's surname and birth date, another first name, no SSN: never certain."""
HANK = Person("NEWCOMER", "HANK", dt.date(1988, 8, 8), "M", "666778888")


@pytest.fixture
def desk(db_url: str, tmp_path) -> Desk:
    d = Desk(db_url, tmp_path)
    d.add_user("ops", "operator")
    d.add_user("rita", "reviewer")
    for sponsor, cobra, rep in ((SELF, "self", "rep-self"), (THIRD, "third_party", None),
                                (BILL, "bill_and_collect", None), (UNSET, None, "rep-unset")):
        args = ["groups", "set", sponsor, "--as", "root"]
        args += ["--cobra", cobra] if cobra else []
        args += ["--representative", rep] if rep else []
        res = d.run("root", *args)
        assert res.exit_code == 0, res.output
    return d


def _entries(desk: Desk, member_id: str) -> list[dict]:
    res = desk.run("root", "ledger", "history", member_id, "--json")
    assert res.exit_code == 0, res.output
    return [json.loads(line) for line in res.stdout.splitlines()]


def _members(desk: Desk) -> int:
    with engine(desk.url).connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t.members)).scalar_one())


def _family(desk: Desk) -> None:
    out = desk.ingest([Member(ALICE, "S100"), Member(BOB, "S100", relationship="01"),
                       Member(CARLA, "S100", relationship="19")], sponsor=SELF)  # fmt: skip
    assert out["members"] == {"applied": 0, "new": 3, "review": 0, "referred": 0, "rejected": 0}


def test_rule1_changes_and_terminations_of_known_members_apply_now(desk: Desk) -> None:
    _family(desk)
    moved = Member(ALICE, "S100", ins03="001", ins04="43", hd=[],
                   address=("99 OTHER STREET", "NEWTOWN", "PA", "17002"))  # fmt: skip
    ended = Member(CARLA, "S100", relationship="19", ins03="024", ins04="07",
                   hd=[("024", "HLT")], hd_end=dt.date.today())  # fmt: skip
    out = desk.ingest([moved, ended], sponsor=SELF)
    assert out["members"] == {"applied": 2, "new": 0, "review": 0, "referred": 0, "rejected": 0}
    alice, carla = _entries(desk, "M000000001"), _entries(desk, "M000000003")
    assert alice[-1]["kind"] == "demographic_change" and alice[-1]["decided_by"] == "auto"
    assert carla[-1]["kind"] in ("member_terminated", "coverage_terminated")
    assert "coverage_terminated" in [e["kind"] for e in carla]
    assert desk.items() == []


def test_rule2_enrollment_needs_certainty_else_review_due_in_48_hours(desk: Desk) -> None:
    _family(desk)
    out = desk.ingest([Member(ALICE, "S100", hd=[("021", "DEN")])], sponsor=SELF)
    assert out["members"]["applied"] == 1  # certain match: same person, new dental line
    assert _entries(desk, "M000000001")[-1]["decided_by"] == "auto"
    out = desk.ingest([Member(HANK, "S800")], sponsor=SELF)
    assert out["members"]["new"] == 1  # certainly nobody we know
    out = desk.ingest([Member(ALICIA, "S900")], sponsor=SELF)
    assert out["members"]["review"] == 1
    (item,) = desk.items()
    assert item["queue"] == "review" and item["reason"] in ("uncertain_match", "conflict")
    received = dt.datetime.fromisoformat(item["received_at"].replace("Z", "+00:00"))
    due = dt.datetime.fromisoformat(item["due_at"].replace("Z", "+00:00"))
    assert abs((due - received) - dt.timedelta(hours=48)) < dt.timedelta(seconds=2)
    assert 47 * 3600 < item["time_left_seconds"] <= 48 * 3600
    assert item["candidates"][0]["member_id"] == "M000000001"
    members = _members(desk)
    res = desk.run("rita", "review", "resolve", str(item["id"]), "--match", "M000000001")
    assert res.exit_code == 0, res.output
    assert _members(desk) == members
    assert desk.items() == []


def test_rule3_cobra_by_group_setting(desk: Desk) -> None:
    cobra = {"ins05": "C", "ins04": "09"}
    out = desk.ingest([Member(GINA, "S400", **cobra)], sponsor=SELF)
    assert out["members"]["new"] == 1
    before = _members(desk)
    for sponsor, words in ((THIRD, "third party"), (BILL, "bill-and-collect")):
        desk.files += 1
        path = desk.tmp / f"cobra{sponsor}.edi"
        from desk834 import interchange

        path.write_bytes(interchange([Member(HANK, "S401", **cobra)], control=desk.files,
                                     sponsor=sponsor))  # fmt: skip
        res = desk.run("ops", "ingest", str(path), "--json")
        assert res.exit_code == 1, res.output  # a member rejected: exit 1, as drops run
        assert json.loads(res.stdout)["members"]["rejected"] == 1
        assert words in res.stderr and "COBRA" in res.stderr  # the sender's report
        assert "NEWCOMER" not in res.stderr and "666778888" not in res.stderr
    assert _members(desk) == before
    out = desk.ingest([Member(HANK, "S402", **cobra)], sponsor=UNSET)
    assert out["members"]["review"] == 1
    (item,) = desk.items()
    assert item["reason"] == "cobra_setting_unknown"


def test_rule4_medicare_goes_to_the_representatives_queue(desk: Desk) -> None:
    out = desk.ingest([Member(FRED, "S300", ins06="C")], sponsor=UNSET)
    assert out["members"]["referred"] == 1
    out = desk.ingest([Member(HANK, "S301", refs=[("F6", "1EG4TE5MK73")])], sponsor=SELF)
    assert out["members"]["referred"] == 1
    medicare = desk.items("rita", "--queue", "medicare")
    assert [i["reason"] for i in medicare] == ["medicare_referral"] * 2
    assert "rep-unset" in medicare[0]["explanation"] + medicare[1]["explanation"]
    assert desk.items("rita", "--queue", "review") == []
    assert _members(desk) == 0
    res = desk.run("rita", "review", "resolve", str(medicare[0]["id"]), "--new-member")
    assert res.exit_code == 0, res.output
    assert _members(desk) == 1


def test_rule5_family_hold_and_validation_rejects(desk: Desk) -> None:
    spouse = Person("SAMPLEDOE", "JUNE", dt.date(1952, 6, 7), "F", "333446666")
    child = Person("SAMPLEDOE", "KIM", dt.date(2011, 1, 1), "F")
    bad = Person("SAMPLEDOE", "LOU", dt.date(2013, 3, 3), "M")
    out = desk.ingest([
        Member(FRED, "S300", ins06="C"),
        Member(spouse, "S300", relationship="01"),
        Member(child, "S300", relationship="19"),
        Member(bad, "S300", relationship="19", ins05="Z"),  # invalid INS05: rejected by edi
    ], sponsor=SELF)  # fmt: skip
    assert out["members"] == {"applied": 0, "new": 0, "review": 2, "referred": 1, "rejected": 1}
    assert _members(desk) == 0
    items = desk.items()
    held = [i for i in items if i["reason"] == "family_held"]
    assert len(held) == 2 and {i["transaction"]["relationship"] for i in held} == {"01", "19"}
    (ref,) = [i for i in items if i["queue"] == "medicare"]
    res = desk.run("rita", "review", "resolve", str(ref["id"]), "--new-member", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert sorted(r["id"] for r in out["released"]) == sorted(i["id"] for i in held)
    assert {r["status"] for r in out["released"]} == {"new"}
    assert _members(desk) == 3  # the validation-rejected child never reached the ledger
    with engine(desk.url).connect() as conn:
        subs = {r.subscriber_member_id for r in conn.execute(
            sa.select(t.members).where(t.members.c.relationship != "18"))}  # fmt: skip
    assert subs == {out["member_id"]}
    assert desk.items() == []
    actions = [a["action"] for a in desk.audit() if a["user"] == "rita"]
    assert actions.count("review.release") == 2 and "review.resolve" in actions


def test_rule5_ig_validation_rejects_only_the_bad_member(desk: Desk) -> None:
    """`ingest` validates against the implementation guide (compiled validator) by default:
    a COBRA member without its qualifying event (INS07) is rejected by edi and never recorded,
    while the valid member of the same set is applied."""
    good = Person("VALIDPERSON", "OLGA", dt.date(1975, 4, 4), "F", "444557777")
    cobra = Person("VALIDPERSON", "PAUL", dt.date(1970, 2, 2), "M", "444558888")
    out = desk.ingest([
        Member(good, "S800"),
        Member(cobra, "S810", ins05="C", ins04="09", ins07=" "),  # INS07 blank: situational error
    ], sponsor=SELF)  # fmt: skip
    assert out["members"]["rejected"] == 1 and out["members"]["new"] == 1
    assert out["transaction_sets"]["accepted"] == 1
    assert _members(desk) == 1
