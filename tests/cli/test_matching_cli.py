"""`enroll834 matching train|models` through the CLI on SQLite and PostgreSQL: a model fitted
on the ledger's members is stored as a version, listed, audited, and every decision after
it names it (entries and review items, `review show`)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from desk834 import (
    ALICE,
    BOB,
    DAVE,
    FRED,
    GINA,
    Desk,
    Member,
    Person,
    desk_test_env,  # noqa: F401 - autouse fixture
    interchange,
)

from edi.records import MemberTransaction, decode_json
from ledger.store import get_model, load_people
from ledger.store import schema as t
from ledger.store.db import engine
from matching.person import enrollee_probes
from matching.score import score_candidates

TWIN = Person("TESTPERSON", "ALICE", ALICE.dob, "F", "555667777")
"""Alice's name and birth date with another SSN: held for review (conflict)."""
NEWCOMER = Person("FRESHFACE", "HUGO", dt.date(1991, 6, 7), "M", "666778888")


@pytest.fixture
def desk(db_url: str, tmp_path) -> Desk:
    d = Desk(db_url, tmp_path)
    d.add_user("ops", "operator")
    d.add_user("rita", "reviewer")
    d.add_user("aud", "auditor")
    roster = [Member(p, f"S{i}") for i, p in enumerate((ALICE, BOB, DAVE, FRED, GINA), 100)]
    assert d.ingest(roster)["members"]["new"] == 5
    return d


def _versions(url: str, table: sa.Table) -> list[int | None]:
    with engine(url).connect() as conn:
        return [r[0] for r in conn.execute(sa.select(table.c.model_version))]


def test_train_then_every_decision_names_the_version(desk: Desk) -> None:
    assert set(_versions(desk.url, t.entries)) == {0}  # before any fit: the prior
    res = desk.run("root", "matching", "train", "--json")
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)
    assert row["version"] == 1 and row["active"] is True and row["trained_by"] == "root"
    diag = row["diagnostics"]
    assert diag["roster_people"] == 5 and diag["random_pairs"] > 0 and diag["converged"]
    assert "TESTPERSON" not in res.stdout and "111223333" not in res.stdout  # no TF values

    listed = desk.run("aud", "matching", "models", "--json")
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(x) for x in listed.stdout.splitlines()]
    assert [(r["version"], r["active"]) for r in rows] == [(1, True), (0, False)]
    text = desk.run("aud", "matching", "models").stdout
    assert "* 1" in text and "prior (hand-set weights)" in text

    desk.ingest([Member(TWIN, "S500"), Member(NEWCOMER, "S600")])
    (item,) = desk.items()
    assert item["model_version"] == 1
    shown = desk.run("rita", "review", "show", str(item["id"]))
    assert "match model: version 1" in shown.stdout
    shown_json = json.loads(desk.run("rita", "review", "show", str(item["id"]), "--json").stdout)
    assert shown_json["model_version"] == 1
    assert _versions(desk.url, t.entries).count(1) == 1  # the newcomer's enrollment
    # a member the reviewer adds is scored with the item's model, like its candidates
    added = desk.run("rita", "review", "show", str(item["id"]), "--member", "M000000002",
                     "--json")
    (extra,) = [c for c in json.loads(added.stdout)["candidates"] if not c.get("listed", True)]
    with engine(desk.url).connect() as conn:
        row = conn.execute(sa.select(t.review_items).where(t.review_items.c.id == item["id"]))
        tx = decode_json(MemberTransaction, row.one().transaction)
        people = load_people(conn, ["M000000002"])
        fitted = get_model(conn, 1)
    assert fitted is not None
    by_model = score_candidates(enrollee_probes(tx), people, fitted)[0].score
    assert extra["score"] == by_model != score_candidates(enrollee_probes(tx), people)[0].score
    verify = desk.run("aud", "ledger", "verify")
    assert verify.exit_code == 0 and "chain intact" in verify.stdout

    again = desk.run("root", "matching", "train", "--no-activate", "--sample", "4", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["active"] is False
    assert json.loads(again.stdout)["diagnostics"]["roster_people"] == 4
    rows = [json.loads(x) for x in desk.run("aud", "matching", "models", "--json").stdout.splitlines()]
    assert [(r["version"], r["active"]) for r in rows] == [(2, False), (1, True), (0, False)]
    desk.ingest([Member(Person("LATECOMER", "IRIS", dt.date(1993, 3, 3), "F", "677889999"),
                        "S700")])
    assert _versions(desk.url, t.entries).count(1) == 2  # still the active version 1

    trained = [a for a in desk.audit() if a["action"] == "matching.train"]
    assert [(a["user"], a["target"], a["details"]["active"]) for a in trained] == [
        ("root", "model 1", True), ("root", "model 2", False)]
    assert any(a["action"] == "matching.models" and a["user"] == "aud" for a in desk.audit())


def test_train_refusals_and_usage(desk: Desk, tmp_path) -> None:
    refused = desk.run("rita", "matching", "train")
    assert refused.exit_code == 77 and refused.stdout == ""
    assert desk.run("rita", "matching", "models").exit_code == 77
    bad = desk.run("root", "matching", "train", "--sample", "1")
    assert bad.exit_code == 2 and "--sample" in bad.output
    fresh = Desk(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)
    empty = fresh.run("root", "matching", "train")
    assert empty.exit_code == 1 and "at least two people" in empty.output
    assert "Traceback" not in empty.output


def test_no_database_is_a_configuration_error(tmp_path) -> None:
    from click.testing import CliRunner

    from cli import main

    env = {"ENROLL834_USER": "root", "ENROLL834_ACCESS_CODE": "x"}
    for url in (f"sqlite:///{tmp_path / 'never-initialised.db'}",
                f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}"):
        for args in (["matching", "train"], ["matching", "models"]):
            res = CliRunner().invoke(main, ["--db", url, *args], env=env)
            assert res.exit_code == 78, (url, args, res.output)
            assert res.stdout == "" and "Traceback" not in res.output


def test_train_on_an_incoming_file_learns_from_the_pairs_it_finds(desk: Desk, tmp_path) -> None:
    """--file pairs an 834's members with the ledger's as ingest looks them up: the
    roster re-sent is where EM finds pairs of one person (the roster alone holds none)."""
    resent = tmp_path / "resent.834"
    resent.write_bytes(interchange([Member(p, f"S{i}") for i, p in
                                    enumerate((ALICE, BOB, DAVE, FRED, GINA), 100)],
                                   control=9))  # fmt: skip
    alone = json.loads(desk.run("root", "matching", "train", "--json").stdout)["diagnostics"]
    res = desk.run("root", "matching", "train", "--file", str(resent), "--json")
    assert res.exit_code == 0, res.output
    diag = json.loads(res.stdout)["diagnostics"]
    assert diag["incoming_people"] == 5 and alone["incoming_people"] == 0
    assert diag["blocked_pairs"] >= alone["blocked_pairs"] + 5
    assert diag["match_share"] > alone["match_share"]
    assert "TESTPERSON" not in res.stdout  # nothing of the file's people is printed
    (audited,) = [a for a in desk.audit() if a["target"] == "model 2"]
    assert audited["details"]["incoming_people"] == 5

    junk = tmp_path / "notes.txt"
    junk.write_text("not an 834\n")
    refused = desk.run("root", "matching", "train", "--file", str(junk))
    assert refused.exit_code == 1 and "notes.txt holds no member transaction" in refused.output
    assert "Traceback" not in refused.output
    missing = desk.run("root", "matching", "train", "--file", str(tmp_path / "nowhere.834"))
    assert missing.exit_code == 2


def test_activate_chooses_the_model_ingest_scores_with(desk: Desk) -> None:
    assert desk.run("root", "matching", "train", "--json").exit_code == 0  # version 1, active
    back = desk.run("root", "matching", "activate", "0", "--json")
    assert back.exit_code == 0, back.output
    assert json.loads(back.stdout)["version"] == 0 and json.loads(back.stdout)["active"]
    rows = [json.loads(x) for x in desk.run("aud", "matching", "models", "--json").stdout.splitlines()]
    assert [(r["version"], r["active"]) for r in rows] == [(1, False), (0, True)]
    desk.ingest([Member(NEWCOMER, "S600")])
    assert _versions(desk.url, t.entries).count(1) == 0  # the prior decided it
    assert desk.run("root", "matching", "activate", "1").exit_code == 0
    desk.ingest([Member(Person("LATECOMER", "IRIS", dt.date(1993, 3, 3), "F", "677889999"),
                        "S700")])
    assert _versions(desk.url, t.entries).count(1) == 1
    activated = [a for a in desk.audit() if a["action"] == "matching.activate"]
    assert [(a["target"], a["details"]) for a in activated] == [
        ("model 0", {"version": 0, "replaced": 1}), ("model 1", {"version": 1, "replaced": 0})]

    missing = desk.run("root", "matching", "activate", "7")
    assert missing.exit_code == 1 and "no model version 7" in missing.output
    assert "Traceback" not in missing.output
    assert desk.run("rita", "matching", "activate", "0").exit_code == 77
    assert desk.run("root", "matching", "activate", "-1").exit_code == 2
    rows = [json.loads(x) for x in desk.run("aud", "matching", "models", "--json").stdout.splitlines()]
    assert [(r["version"], r["active"]) for r in rows] == [(1, True), (0, False)]
