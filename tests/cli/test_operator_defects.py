"""What a new operator hit (issue 14, items 6, 7, 10, 13, 14, 15): each through the CLI.

Non-X12 input, a member rejected by validation, an unreadable access-code file,
no code at all, an unknown sponsor for export834, --admin on an existing
database, and [[partners]] from enroll834.toml honoured by `ingest` as by
`drops run`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import msgspec
import pytest
import sqlalchemy as sa
from desk834 import (
    ALICE,
    BOB,
    TODAY,
    Desk,
    Member,
    desk_test_env,  # noqa: F401 - autouse fixture
    interchange,
)

from ledger.store import schema as t
from ledger.store.db import engine


@pytest.fixture
def desk(db_url: str, tmp_path: Path) -> Desk:
    d = Desk(db_url, tmp_path)
    d.add_user("ops", "operator")
    return d


def _ingest(desk: Desk, data: bytes, *extra: str, name: str = "f.edi", env=None):
    path = desk.tmp / name
    path.write_bytes(data)
    return desk.run("ops", "ingest", str(path), *extra, env=env)


# ---------------------------------------------------------------- 6: not X12 at all


@pytest.mark.parametrize("data", [b"", b"just some plain text\n", Path("/bin/ls")])
def test_ingest_of_something_that_is_not_x12_says_so_and_exits_1(desk: Desk, data) -> None:
    raw = data.read_bytes()[:4096] if isinstance(data, Path) else data
    res = _ingest(desk, raw, "--json")
    assert res.exit_code == 1, res.output
    assert "no X12 interchange (ISA) found" in res.stderr
    assert json.loads(res.stdout)["errors"] == ["f.edi: no X12 interchange (ISA) found in the input"]
    assert "Traceback" not in res.output


# ---------------------------------------------------------------- 7: a member rejected


def test_ingest_exits_1_and_lists_a_member_the_validator_rejected(desk: Desk) -> None:
    data = interchange([Member(ALICE, "S100"), Member(BOB, "S200", ins05="Q")])
    res = _ingest(desk, data, "--json")
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert out["members"]["new"] == 1 and out["members"]["rejected"] == 1
    (rej,) = out["rejections"]
    assert rej["source"] == "validation" and rej["member_ordinal"] == 2
    assert rej["subscriber_number_last4"] == "S200" and rej["reason"].startswith(("ig.", "model."))
    assert "see the 999" in rej["explanation"]
    assert BOB.last not in res.stdout and BOB.ssn not in res.stdout
    text = _ingest(desk, interchange([Member(BOB, "S300", ins05="Q")], control=7), name="g.edi")
    assert text.exit_code == 1, text.output


# ---------------------------------------------------------------- 10: access codes


def test_an_unreadable_access_code_file_is_77_in_one_line_and_audited(desk: Desk) -> None:
    res = desk.run(None, "review", "list", "--as", "ops",
                   env={"ENROLL834_ACCESS_CODE_FILE": "/nope/code"})
    assert res.exit_code == 77, res.output
    assert res.stderr.strip().count("\n") == 0 and "ENROLL834_ACCESS_CODE_FILE" in res.stderr
    refused = [a for a in desk.audit() if a["action"] == "auth.refused"]
    assert refused[-1]["user"] == "ops"


@pytest.mark.parametrize("typed", ["", "\n", "   \n"])
def test_no_code_or_an_empty_one_is_77_without_a_getpass_warning(desk: Desk, typed: str) -> None:
    res = desk.run(None, "users", "list", "--as", "root", input=typed)
    assert res.exit_code == 77, res.output
    assert "GetPassWarning" not in res.output and "echoed" not in res.output
    assert res.stderr.strip().count("\n") == 0


def test_no_terminal_no_warning_in_a_real_process(desk: Desk, tmp_path: Path) -> None:
    import subprocess

    from tests.ops.opskit import ENROLL834

    env = {"PATH": "/usr/bin:/bin", "ENROLL834_USER": "root", "HOME": str(tmp_path)}
    res = subprocess.run([ENROLL834, "--db", desk.url, "users", "list"], env=env,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, start_new_session=True)  # no controlling terminal
    assert res.returncode == 77, res.stderr
    assert "Warning" not in res.stderr and len(res.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- 13: export834


def _control_numbers(url: str) -> list[tuple]:
    with engine(url).connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(t.ack_control_numbers))]


def test_export834_of_an_unknown_sponsor_exits_1_writes_nothing_uses_no_number(
    desk: Desk,
) -> None:
    desk.ingest([Member(ALICE, "S100")])
    before = _control_numbers(desk.url)
    out = desk.tmp / "x.edi"
    res = desk.run("ops", "export834", "--sponsor", "000000000", "--out", str(out))
    assert res.exit_code == 1, res.output
    assert "sponsor 000000000 is not known" in res.stderr and res.stdout == ""
    assert not out.exists() and not out.with_name("x.edi.tmp").exists()
    assert _control_numbers(desk.url) == before
    ok = desk.run("ops", "export834", "--sponsor", "991234567", "--out", str(out))
    assert ok.exit_code == 0, ok.output


def test_export834_refusal_names_export834(desk: Desk) -> None:
    desk.add_user("rita", "reviewer")
    res = desk.run("rita", "export834", "--sponsor", "991234567")
    assert res.exit_code == 77
    assert "export834:" in res.stderr and "ingest" not in res.stderr


def test_export834_payer_identity_comes_from_configuration(desk: Desk) -> None:
    desk.ingest([Member(ALICE, "S100")])
    conf = desk.tmp / "payer.toml"
    conf.write_text('[payer]\nsender_id = "ACMEPAYER"\nname = "ACME HEALTH PLAN"\n'
                    'id = "123456789"\n')
    res = desk.run("ops", "export834", "--sponsor", "991234567",
                   env={"ENROLL834_CONFIG": str(conf)})
    assert res.exit_code == 0, res.output
    assert "*ZZ*ACMEPAYER      *" in res.stdout and "GS*BE*ACMEPAYER*" in res.stdout
    assert "N1*IN*ACME HEALTH PLAN*FI*123456789~" in res.stdout
    default = desk.run("ops", "export834", "--sponsor", "991234567")
    assert "N1*IN*ENROLL834 PAYER*FI*ENROLL834~" in default.stdout


# ---------------------------------------------------------------- 14: init --admin again


def test_init_admin_on_an_existing_database_exits_1_and_says_how_to_add_one(desk: Desk) -> None:
    res = desk.run(None, "init", "--admin", "bob")
    assert res.exit_code == 1, res.output
    assert "an administrator already exists" in res.stderr
    assert "enroll834 users add bob --role administrator" in res.stderr
    with engine(desk.url).connect() as conn:
        assert conn.execute(sa.select(t.users.c.user_id).where(t.users.c.user_id == "bob")
                            ).first() is None
    plain = desk.run(None, "init")  # upgrading an existing database is still fine
    assert plain.exit_code == 0, plain.output


# ---------------------------------------------------------------- 15: [[partners]] for ingest


def _partner_toml(path: Path, **extra: str) -> Path:
    lines = ['[[partners]]', 'sender_qualifier = "ZZ"', 'sender_id = "SENDER1"', 'retro_days = 3']
    lines += [f"{k} = {v}" for k, v in extra.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_ingest_honours_partners_from_the_configuration_file(desk: Desk) -> None:
    conf = _partner_toml(desk.tmp / "enroll834.toml")
    ten_days_ago = TODAY - dt.timedelta(days=10)
    held = _ingest(desk, interchange([Member(ALICE, "S100", begin=ten_days_ago)], control=31),
                   "--json", env={"ENROLL834_CONFIG": str(conf)})
    assert held.exit_code == 0, held.output
    assert json.loads(held.stdout)["members"]["review"] == 1  # outside its 3-day window
    other = _ingest(desk, interchange([Member(BOB, "S200", begin=ten_days_ago)], control=32,
                                      sender="SENDER2"), "--json", name="g.edi",
                    env={"ENROLL834_CONFIG": str(conf)})
    assert json.loads(other.stdout)["members"]["new"] == 1  # default 90-day window


def test_ingest_rejects_a_sponsor_the_partner_may_not_send_for(desk: Desk) -> None:
    conf = _partner_toml(desk.tmp / "enroll834.toml", allowed_sponsors='["111111111"]')
    res = _ingest(desk, interchange([Member(ALICE, "S100")], control=33), "--json",
                  env={"ENROLL834_CONFIG": str(conf)})
    assert res.exit_code == 1, res.output
    out = json.loads(res.stdout)
    assert out["transaction_sets"]["rejected"] == 1 and out["members"]["new"] == 0
    assert "partner.sponsor_not_allowed" in res.stderr


def test_ingest_and_drops_read_partner_settings_the_same_way(desk: Desk, tmp_path) -> None:
    """The same file and configuration: the same decision from both commands."""
    conf = _partner_toml(desk.tmp / "enroll834.toml")
    ten_days_ago = TODAY - dt.timedelta(days=10)
    inbox = tmp_path / "drop" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "a.edi").write_bytes(
        interchange([Member(ALICE, "S100", begin=ten_days_ago)], control=41))
    env = {"ENROLL834_CONFIG": str(conf), "ENROLL834_DROPS__SETTLE_SECONDS": "0",
           "ENROLL834_DROPS__VALIDATOR": "none"}
    res = desk.run("ops", "drops", "run", str(inbox), "--once", "--json", env=env)
    assert res.exit_code == 0, res.output
    line = json.loads(res.stdout.splitlines()[0])
    assert line["members"]["review"] == 1


# ---------------------------------------------------------------- friction 1: today's dates


def test_a_generated_file_is_decided_not_parked_for_its_dates(desk: Desk) -> None:
    from click.testing import CliRunner

    from cli import main

    path = desk.tmp / "gen.edi"
    res = CliRunner().invoke(main, ["generate", "--members", "60", "--seed", "21", "--mix",
                                    "enrollment", "--out", str(path)])
    assert res.exit_code == 0, res.output
    out = desk.run("ops", "ingest", str(path), "--json")
    assert out.exit_code == 0, out.output
    members = json.loads(out.stdout)["members"]
    assert members["new"] >= 45, members  # decided, not parked for its dates
    reasons = {i["reason"] for i in desk.items("root")}
    assert "retro_date" not in reasons and "future_date" not in reasons


def test_one_way_to_read_partner_settings(db_url: str, tmp_path: Path) -> None:
    """Defaults, then [[partners]] from the configuration, then `groups load` rows — the same
    function for ingest, drops run and the review desk."""
    from ledger.desk.review import ledger_settings
    from ledger.settings import PartnerSettings
    from ledger.store.apply_plan import LedgerSettings
    from ledger.store.db import upgrade
    from ledger.store.groups import load_config, partner_settings

    upgrade(db_url)
    conf = (PartnerSettings(sender_id="SENDER1", retro_days=3, termination_date_rule="reject"),)
    with engine(db_url).begin() as conn:
        assert partner_settings(conn, "ZZ", "SENDER1") == LedgerSettings()
        mine = partner_settings(conn, "ZZ", "SENDER1 ", configured=conf)
        assert (mine.retro_days, mine.future_days, mine.termination_date_rule) == (3, 60, "reject")
        assert partner_settings(conn, "ZZ", "OTHER", configured=conf) == LedgerSettings()
        toml = tmp_path / "g.toml"
        toml.write_text('[[partners]]\nsender_qualifier = "ZZ"\nsender_id = "SENDER1"\n'
                        'future_days = 5\n')
        load_config(conn, toml, user="root")
        stored = partner_settings(conn, "ZZ", "SENDER1", configured=conf)
        assert (stored.retro_days, stored.future_days) == (3, 5)  # the stored row wins
        from edi.records import TransactionSetHeader

        header = msgspec.convert(
            {"lineage": {"source": "t.edi", "sender_qualifier": "ZZ", "sender_id": "SENDER1"}},
            TransactionSetHeader)
        assert ledger_settings(conn, header, conf) == stored
