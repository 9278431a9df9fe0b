"""Output a person reads (issue 14): a resolved item shows how it was resolved, history with
--show-phi shows values, one end-date convention, headers, display names, --quiet, one
spelling, every counter in the JSON contracts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from desk834 import (
    ALICE,
    TODAY,
    Desk,
    Member,
    Person,
    desk_test_env,  # noqa: F401 - autouse fixture
    interchange,
)

TWIN = Person("TESTPERSON", "ALICE", ALICE.dob, "F", "555667777")
"""Alice's name and birth date with another SSN: held for review (conflict)."""


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Desk:
    d = Desk(db_url, tmp_path)
    d.add_user("ops", "operator")
    d.add_user("rita", "reviewer", "show_phi")
    assert d.ingest([Member(ALICE, "S100")])["members"]["new"] == 1
    return d


def test_review_show_of_a_resolved_item_says_how_it_was_resolved(desk: Desk) -> None:
    desk.ingest([Member(TWIN, "S500")])
    (item,) = desk.items()
    open_text = desk.run("rita", "review", "show", str(item["id"]))
    assert "due " in open_text.stdout and "resolved" not in open_text.stdout
    res = desk.run("rita", "review", "resolve", str(item["id"]), "--reject", "--reason",
                   "sender confirmed a keying error")
    assert res.exit_code == 0, res.output
    shown = desk.run("rita", "review", "show", str(item["id"]))
    assert shown.exit_code == 0, shown.output
    assert "resolved rejected by rita" in shown.stdout
    assert "reject reason: sender confirmed a keying error" in shown.stdout
    assert "OVERDUE" not in shown.stdout and "h" not in shown.stdout.split("was due")[1][:40]
    as_json = json.loads(desk.run("rita", "review", "show", str(item["id"]), "--json").stdout)
    assert as_json["reject_reason"] == "sender confirmed a keying error"
    assert as_json["resolution"] == "rejected" and as_json["resolved_by"] == "rita"
    assert as_json["time_left_seconds"] is None


def _terminate(desk: Desk, last_day: dt.date) -> None:
    out = desk.ingest([Member(ALICE, "S100", ins03="024", hd=[("024", "HLT")], hd_end=last_day)])
    assert out["members"]["applied"] == 1, out


def test_one_end_date_convention_the_last_covered_day(desk: Desk) -> None:
    last = TODAY + dt.timedelta(days=20)
    _terminate(desk, last)
    hist = desk.run("rita", "ledger", "history", "M000000001")
    assert hist.exit_code == 0, hist.output
    assert f"..{last.isoformat()}" in hist.stdout
    rows = [json.loads(x) for x in
            desk.run("rita", "ledger", "history", "M000000001", "--json").stdout.splitlines()]
    assert {r["valid_through"] for r in rows if r["kind"] == "coverage_terminated"} == {
        last.isoformat()}
    (member,) = [json.loads(x) for x in desk.run("rita", "members", "export").stdout.splitlines()]
    assert member["coverages"][0]["end"] == last.isoformat()
    phi = [json.loads(x) for x in desk.run("rita", "ledger", "history", "M000000001", "--json",
                                           "--show-phi").stdout.splitlines()]
    term = next(r for r in phi if r["kind"] == "coverage_terminated")
    assert term["after"]["spans"][0]["valid_through"] == last.isoformat()
    out = desk.tmp / "x.edi"
    assert desk.run("ops", "export834", "--sponsor", "991234567", "--changes-since",
                    "2000-01-01T00:00:00", "--out", str(out)).exit_code == 0
    assert f"DTP*349*D8*{last:%Y%m%d}~" in out.read_text()


def test_history_show_phi_text_shows_the_values(desk: Desk) -> None:
    masked = desk.run("rita", "ledger", "history", "M000000001")
    shown = desk.run("rita", "ledger", "history", "M000000001", "--show-phi")
    assert masked.exit_code == shown.exit_code == 0, shown.output
    assert ALICE.first not in masked.stdout and ALICE.last not in masked.stdout
    assert f"demographics.first={ALICE.first}" in shown.stdout
    assert f"demographics.birth_date={ALICE.dob.isoformat()}" in shown.stdout
    assert masked.stdout != shown.stdout


def test_one_spelling_enrollment(desk: Desk) -> None:
    hist = desk.run("rita", "ledger", "history", "M000000001")
    assert "enrollment" in hist.stdout and "enrolment" not in hist.stdout
    root = Path(__file__).resolve().parents[2]
    for doc in [root / "README.md", *root.glob("*/README.md")]:
        assert "enrolment" not in doc.read_text().replace("`enrolment`", ""), doc


def test_users_list_has_a_header_and_shows_display_names(desk: Desk) -> None:
    res = desk.run("root", "users", "add", "carol", "--role", "reviewer", "--display-name",
                   "Carol Example")
    assert res.exit_code == 0 and "Carol Example" in res.stderr
    lines = desk.run("root", "users", "list").stdout.splitlines()
    assert lines[0] == "USER\tDISPLAY NAME\tROLES\tSTATUS"
    assert "carol\tCarol Example\treviewer\tactive" in lines


def test_validate_lines_have_a_header(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli import main

    path = tmp_path / "a.edi"
    path.write_bytes(interchange([Member(ALICE, "S100")]))
    res = CliRunner().invoke(main, ["validate", str(path)])
    lines = res.stdout.splitlines()
    assert lines[0] == "FILE\tISA13\tGS06\tST02\tVERDICT\tMEMBERS\tREJECTED"
    assert len(lines[1].split("\t")) == 7


def test_quiet_silences_the_drops_summary(desk: Desk, tmp_path: Path) -> None:
    inbox = tmp_path / "drop" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "a.edi").write_bytes(interchange([Member(TWIN, "S700")], control=61))
    env = {"ENROLL834_DROPS__SETTLE_SECONDS": "0", "ENROLL834_DROPS__VALIDATOR": "none"}
    loud = desk.run("ops", "drops", "run", str(inbox), env=env)
    assert "files 1  archived 1" in loud.stderr
    (inbox / "b.edi").write_bytes(interchange([Member(TWIN, "S701")], control=62))
    quiet = desk.run("ops", "--quiet", "drops", "run", str(inbox), env=env)
    assert quiet.exit_code == 0, quiet.output
    assert "archived" not in quiet.stderr and quiet.stdout.splitlines()[1].startswith("b.edi")


def test_reconcile_json_lists_every_counter_and_a_discrepancies_total() -> None:
    from ledger.fullfile.reconcile import COUNTERS, DISCREPANCY_KINDS, Reconciliation

    run = Reconciliation(1, "991234567", "SENDER1", "000000001", "0001", "4", "verify",
                         None, None)
    quiet = run.to_json()
    assert quiet["counts"] == dict.fromkeys(COUNTERS, 0) and quiet["discrepancies"] == 0
    assert set(DISCREPANCY_KINDS) <= set(quiet["counts"])
    run.counts["field_mismatch"] += 2
    run.counts["missing_in_file"] += 1
    busy = run.to_json()
    assert busy["discrepancies"] == 3 and busy["counts"]["missing_in_ledger"] == 0
