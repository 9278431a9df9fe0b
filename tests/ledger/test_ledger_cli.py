"""CLI wiring of the ledger commands: init, ingest, members export, groups, auth."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from ledger_helpers import M, interchange, transaction_set, write

from cli import main
from ledger.desk.auth import create_user, has_role, verify_access_code
from ledger.store.db import engine


def _init(url: str) -> str:
    res = CliRunner().invoke(main, ["--db", url, "init", "--admin", "alice", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["admin"] == "alice"
    return str(out["access_code"])


def test_init_creates_admin_once_and_stores_only_a_hash(db_url: str) -> None:
    code = _init(db_url)
    with engine(db_url).connect() as conn:
        assert verify_access_code(conn, "alice", code)
        assert not verify_access_code(conn, "alice", code + "x")
        assert has_role(conn, "alice", "administrator") and has_role(conn, "alice", "show_phi")
        stored = conn.exec_driver_sql("SELECT code_hash FROM users").scalar_one()
    assert code not in stored and stored.startswith("scrypt$")
    again = CliRunner().invoke(main, ["--db", db_url, "init", "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["access_code"] is None


def test_groups_set_needs_an_administrator_and_is_audited(db_url: str) -> None:
    code = _init(db_url)
    with engine(db_url).begin() as conn:
        rev_code = create_user(conn, "rita", roles=["reviewer"], created_by="alice")
    runner = CliRunner()
    env = {"ENROLL834_ACCESS_CODE": rev_code}
    denied = runner.invoke(main, ["--db", db_url, "groups", "set", "991234567", "--cobra", "self",
                                  "--as", "rita"], env=env)
    assert denied.exit_code == 77
    ok = runner.invoke(main, ["--db", db_url, "groups", "set", "991234567", "--cobra", "self",
                              "--representative", "rep1", "--as", "alice"],
                       env={"ENROLL834_ACCESS_CODE": code})
    assert ok.exit_code == 0, ok.output
    shown = runner.invoke(main, ["--db", db_url, "groups", "show", "991234567", "--json",
                                 "--as", "alice"], env={"ENROLL834_ACCESS_CODE": code})
    group = json.loads(shown.stdout)
    assert (group["cobra_administration"], group["representative"]) == ("self", "rep1")
    with engine(db_url).connect() as conn:
        actions = [r[0] for r in conn.exec_driver_sql("SELECT action FROM audit_log ORDER BY seq")]
    assert "group.set" in actions


def test_groups_load_toml(db_url: str, tmp_path: Path) -> None:
    code = _init(db_url)
    toml = tmp_path / "groups.toml"
    toml.write_text(
        '[[groups]]\nsponsor_id = "991234567"\nname = "Acme"\ncobra = "third_party"\n'
        '[[partners]]\nsender_qualifier = "ZZ"\nsender_id = "SENDER1"\n'
        'termination_date_rule = "reject"\nretro_days = 30\n'
    )
    res = CliRunner().invoke(main, ["--db", db_url, "groups", "load", str(toml), "--as", "alice"],
                             env={"ENROLL834_ACCESS_CODE": code})
    assert res.exit_code == 0, res.output
    with engine(db_url).connect() as conn:
        rule = conn.exec_driver_sql("SELECT termination_date_rule, retro_days FROM partners").one()
    assert tuple(rule) == ("reject", 30)


def test_ingest_and_export_mask_ssn_unless_permitted(db_url: str, tmp_path: Path) -> None:
    pytest.importorskip("matching.route")
    code = _init(db_url)
    today = dt.date.today().strftime("%Y%m%d")  # the CLI receives the file now
    member = M(ssn="900001234", member_dates=(("356", today),),
               hds=(("021", "HLT", "PPO1", (("348", today),)),))
    path = write(tmp_path, "one.edi", interchange([transaction_set([member])]))
    runner = CliRunner()
    res = runner.invoke(main, ["--db", db_url, "ingest", str(path), "--json", "--as", "alice"],
                        env={"ENROLL834_ACCESS_CODE": code})
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert set(summary) == {"files", "transaction_sets", "members", "rejections", "errors"}
    assert summary["transaction_sets"]["accepted"] == 1
    signed_in = {"ENROLL834_USER": "alice", "ENROLL834_ACCESS_CODE": code}
    out = runner.invoke(main, ["--db", db_url, "members", "export"], env=signed_in)
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert summary["members"]["new"] == 1, summary
    if True:
        ssn = next(i["value"] for i in lines[0]["identifiers"] if i["type"] == "ssn")
        assert ssn == "*****1234"
        denied = runner.invoke(main, ["--db", db_url, "members", "export", "--show-phi", "--as", "alice"],
                               env={"ENROLL834_ACCESS_CODE": "wrong"})
        assert denied.exit_code == 77
        shown = runner.invoke(main, ["--db", db_url, "members", "export", "--show-phi", "--as", "alice"],
                              env={"ENROLL834_ACCESS_CODE": code})
        assert "900001234" in shown.stdout
        hist = runner.invoke(main, ["--db", db_url, "ledger", "history", lines[0]["member_id"], "--json"],
                             env=signed_in)
        assert json.loads(hist.stdout.splitlines()[0])["kind"] == "enrollment"
        assert "900001234" not in hist.stdout


def test_every_ledger_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for args in (["init"], ["ingest"], ["ledger", "verify"], ["ledger", "history"],
                 ["members", "export"], ["groups", "show"], ["groups", "set"], ["groups", "load"]):
        res = runner.invoke(main, [*args, "--help"])
        assert res.exit_code == 0 and "Example" in res.output, args
