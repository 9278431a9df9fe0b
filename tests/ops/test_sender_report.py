"""Rule 3 (issue 4): a COBRA enrollment for a group whose COBRA is run by a third-party
administrator or by the payer's bill-and-collect plans is rejected, and the rejection reaches
the sender's report (outbox/NAME.report.txt), `drops run --json` and `ingest --json` as
structured data: controls, member ordinal, last 4 of the subscriber number, reason, text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from ledger.store.db import engine, upgrade
from ledger.store.groups import set_group
from tests.ops import opskit

THIRD, BILL, SELF = "991234567", "992345678", "993456789"
CLEAN_ENV = {"ENROLL834_USER": "", "ENROLL834_ACCESS_CODE": "", "ENROLL834_ACCESS_CODE_FILE": "",
             "ENROLL834_CONFIG": ""}


def _groups(url: str) -> None:
    upgrade(url)
    with engine(url).begin() as conn:
        set_group(conn, THIRD, user="test", cobra="third_party")
        set_group(conn, BILL, user="test", cobra="bill_and_collect")
        set_group(conn, SELF, user="test", cobra="self")


def _cobra_file(sponsor: str, isa13: str) -> bytes:
    """Member 1 an active enrollment; member 2 (every canary value) a COBRA enrollment.

    The COBRA subscriber is the same person in every file: each file rejects or enrolls it.
    """
    cobra = opskit.member("700000042", last=opskit.CANARY_LAST, first=opskit.CANARY_FIRST,
                          ssn=opskit.CANARY_SSN, dob=opskit.CANARY_DOB,
                          street=opskit.CANARY_STREET, city=opskit.CANARY_CITY, ins05="C")
    cobra[0] = "INS*Y*18*021*28*C**1*FT"  # INS07 qualifying event 1: termination of employment
    active = opskit.member(f"7100{isa13[-5:]}")  # a different active subscriber per file
    return opskit.edi([active, cobra], isa13=isa13, sponsor=sponsor)


def _cfg(tmp_path: Path) -> Path:
    cfg = tmp_path / "enroll834.toml"
    cfg.write_text('[drops]\nsettle_seconds = 0\nvalidator = "none"\n' + opskit.TOML_PARTNERS)
    return cfg


def _assert_clean(*texts: str) -> None:
    for canary in opskit.CANARIES:
        assert not [t for t in texts if canary in t], f"canary {canary!r} leaked"


def test_drops_run_puts_cobra_rejections_in_the_sender_report(db_url: str, tmp_path: Path) -> None:
    _groups(db_url)
    inbox = opskit.make_drop(tmp_path, {
        "third.edi": _cobra_file(THIRD, "000000301"),
        "bill.edi": _cobra_file(BILL, "000000302"),
        "self.edi": _cobra_file(SELF, "000000303"),
    })  # fmt: skip
    result = CliRunner(env=CLEAN_ENV).invoke(cli.main, [
        "--log-format", "json", "--config", str(_cfg(tmp_path)), "--db", db_url,
        "drops", "run", str(inbox), "--once", "--json"])  # fmt: skip
    assert result.exit_code == 1, result.output  # members were rejected
    outcomes = {o["file"]: o for o in map(json.loads, result.stdout.splitlines()) if "file" in o}

    for name, isa13, reason in (("third.edi", "000000301", "cobra_third_party"),
                                ("bill.edi", "000000302", "cobra_bill_and_collect")):
        out = outcomes[name]
        assert out["disposition"] == "archive"  # the set was accepted; one member was not
        assert out["members"]["rejected"] == 1 and out["members"]["new"] == 1
        [rej] = out["rejections"]
        assert rej == {
            "interchange_control": isa13, "group_control": "1", "set_control": "0001",
            "member_ordinal": 2, "subscriber_number_last4": "0042", "reason": reason,
            "explanation": rej["explanation"], "source": "payer_rules",
        }  # fmt: skip
        assert "COBRA" in rej["explanation"]
        report = (tmp_path / "drop" / "outbox" / f"{name}.report.txt").read_text()
        assert "Members rejected by the payer's enrollment rules" in report
        line = next(ln for ln in report.splitlines() if reason in ln)
        assert f"{isa13}/1/0001 member 2" in line and "ending 0042" in line
        assert rej["explanation"] in line
        assert "700000042" not in report  # only the last four characters

    assert outcomes["self.edi"]["rejections"] == []
    assert outcomes["self.edi"]["members"]["new"] == 2
    self_report = (tmp_path / "drop" / "outbox" / "self.edi.report.txt").read_text()
    assert "Members rejected" not in self_report

    texts = [p.read_text() for p in (tmp_path / "drop" / "outbox").rglob("*.report.txt")]
    _assert_clean(result.stdout, result.stderr, *texts)


def test_ingest_json_lists_rejections(db_url: str, tmp_path: Path) -> None:
    _groups(db_url)
    path = tmp_path / "third.edi"
    path.write_bytes(_cobra_file(THIRD, "000000401"))
    env = {**CLEAN_ENV, "ENROLL834_CONFIG": str(_cfg(tmp_path))}
    result = CliRunner(env=env).invoke(cli.main, ["--db", db_url, "ingest", str(path), "--json",
                                                  "--validator", "none"])
    assert result.exit_code == 1, result.output  # the set is accepted; a member is rejected
    out = json.loads(result.stdout)
    assert out["members"]["rejected"] == 1
    [rej] = out["rejections"]
    assert (rej["set_control"], rej["member_ordinal"], rej["reason"]) == (
        "0001", 2, "cobra_third_party")
    assert rej["subscriber_number_last4"] == "0042"
    _assert_clean(result.stdout, result.stderr)


@pytest.mark.parametrize("rejections", [[], [{"set_control": "7"}]])
def test_report_lines_tolerate_sparse_rejections(rejections: list[dict[str, str]]) -> None:
    from ledger.drops.reports import rejection_lines

    lines = rejection_lines(rejections)
    assert bool(lines) == bool(rejections)
    if rejections:
        assert lines[-1].startswith("  -/-/7 member None: subscriber number ending -: rejected")
