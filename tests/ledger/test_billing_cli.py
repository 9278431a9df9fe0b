"""`enroll834 billing ...` end to end, on SQLite and PostgreSQL: an 834 ingested, a group
loaded from TOML, a bill run with its PDF rendered and read back, payments by hand and by
820, reminders, aging and a commission statement with a clawback."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from ledger_helpers import M, interchange, transaction_set, write

from cli import main
from ledger.desk.auth import create_user
from ledger.store import engine

SPONSOR = "991234567"


def remit_820(lines: list[tuple[str, str]], total: str, trace: str, *, isa13: str = "000000701",
              payer: str = SPONSOR, paid: str = "20270120") -> bytes:
    """A small 005010X218 file: one payment, one RMR*IK per (bill, amount)."""
    segs = [f"ISA*00*          *00*          *ZZ*ACMEPAYER      *ZZ*RECEIVER1      *270120*1200*^"
            f"*00501*{isa13}*0*P*:", "GS*RA*ACMEPAYER*RECEIVER1*20270120*1200*701*X*005010X218"]
    body = ["ST*820*0001*005010X218",
            f"BPR*C*{total}*C*ACH*CCP*01*999999992*DA*123456*1512345678**01*999988880*DA*98765"
            f"*{paid}",
            f"TRN*3*{trace}*1512345678", "N1*PE*SYNTH PLAN*FI*990000001",
            f"N1*PR*ACME TOOL*FI*{payer}", f"ENT*1*2L*FI*{payer}"]
    body += [f"RMR*IK*{bill}**{amount}" for bill, amount in lines]
    body.append(f"SE*{len(body) + 1}*0001")
    segs += body + ["GE*1*701", f"IEA*1*{isa13}"]
    return ("~\n".join(segs) + "~\n").encode()


GROUPS_TOML = f'''
[[groups]]
sponsor_id = "{SPONSOR}"
name = "Acme Tool"
billing = {{ bill_day = 1, due_day = 20, paper = true, address = ["Acme Tool, Benefits Office",
            "1 Main St", "Springfield, IL 62701"] }}

[[billing_rates]]
sponsor = "{SPONSOR}"
plan = "PPO1"
level = "EMP"
from = "2020-01-01"
monthly_rate = "450.00"

[[brokers]]
broker_id = "BRK1"
name = "Prairie Benefits"

[[broker_of_record]]
sponsor = "{SPONSOR}"
broker = "BRK1"
from = "2020-01-01"

[[commission]]
product = "PPO1"
percent = "5"
from = "2020-01-01"
'''


class Cli:
    def __init__(self, url: str, tmp: Path) -> None:
        self.url, self.tmp = url, tmp
        self.runner = CliRunner()
        res = self.runner.invoke(main, ["--db", url, "init", "--admin", "alice", "--json"])
        assert res.exit_code == 0, res.output
        self.codes = {"alice": json.loads(res.stdout)["access_code"]}
        with engine(url).begin() as conn:
            self.codes["op"] = create_user(conn, "op", roles=["operator"], created_by="alice")
            self.codes["rita"] = create_user(conn, "rita", roles=["reviewer"], created_by="alice")
        config = tmp / "enroll834.toml"
        config.write_text(f'[billing]\noutbox_dir = "{tmp / "outbox"}"\n'
                          f'mailroom_dir = "{tmp / "mailroom"}"\n'
                          'payer_name = "Synthetic Health Plan"\n'
                          'payer_address = ["PO Box 100", "Springfield, IL 62701"]\n')
        self.config = config

    def __call__(self, user: str, *args: str) -> Result:
        return self.runner.invoke(main, ["--db", self.url, "--config", str(self.config), *args,
                                         "--as", user],
                                  env={"ENROLL834_ACCESS_CODE": self.codes[user]})


def test_billing_end_to_end(db_url: str, tmp_path: Path) -> None:
    pytest.importorskip("matching.route")
    cli = Cli(db_url, tmp_path)
    toml = tmp_path / "groups.toml"
    toml.write_text(GROUPS_TOML)
    assert cli("alice", "groups", "load", str(toml)).exit_code == 0
    first = dt.date.today().replace(day=1)
    period = first.strftime("%Y-%m")
    begin = first.strftime("%Y%m%d")
    members = [M(sub=f"SUB{i}", last=last, first=name, ssn=f"90000123{i}", dob=dob,
                 gender=sex, street=street, member_dates=(("356", begin),),
                 hds=(("021", "HLT", "PPO1", (("348", begin),)),))
               for i, (last, name, dob, sex, street) in enumerate((
                   ("TESTER", "ALICE", "19800101", "F", "1 MAIN ST"),
                   ("SAMPLE", "BRUNO", "19720615", "M", "9 ELM RD")))]
    edi = write(tmp_path, "in.edi", interchange([transaction_set(members, sponsor=SPONSOR)]))
    res = cli("alice", "ingest", str(edi), "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["members"]["new"] == 2, res.output

    assert cli("rita", "billing", "run", "--period", period).exit_code == 77
    res = cli("op", "billing", "run", "--period", period, "--json")
    assert res.exit_code == 0, res.output
    bill = json.loads(res.stdout)
    assert (bill["status"], bill["total"], bill["premium"], bill["adjustments"]) == \
        ("issued", "900.00", "900.00", "0.00")
    assert bill["due_date"] == first.replace(day=20).isoformat()
    pdf = Path(bill["pdf"])
    assert pdf.is_file() and Path(bill["mailroom"]).is_file()
    for f in (pdf, Path(bill["csv"]), Path(bill["json"]), Path(bill["mailroom"])):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
        assert stat.S_IMODE(f.parent.stat().st_mode) == 0o700
        assert "90000123" not in f.read_bytes().decode("latin-1")
    doc = json.loads(Path(bill["json"]).read_text())
    assert [x["amount"] for x in doc["lines"]] == ["450.00", "450.00"]
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        for needle in ("PREMIUM BILL", "Synthetic Health Plan", "Acme Tool, Benefits Office",
                       bill["bill"], "900.00", "REMITTANCE", "TESTER, ALICE", "SAMPLE, BRUNO"):
            assert needle in text, needle
        assert "90000123" not in text
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf),
                        str(tmp_path / "page")], check=True)
        png = next(tmp_path.glob("page*.png"))
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    again = json.loads(cli("op", "billing", "run", "--period", period, "--json").stdout)
    assert again["status"] == "already_issued" and again["total"] == "900.00"

    res = cli("op", "billing", "pay", "--group", SPONSOR, "--amount", "500.00",
              "--reference", "CHK1", "--json")
    assert json.loads(res.stdout)["applied"] == [{"bill": bill["bill"], "amount": "500.00"}]
    remit = write(tmp_path, "acme.820", remit_820([(bill["bill"], "500.00")], "500.00", "TR1",
                                                  paid=dt.date.today().strftime("%Y%m%d")))
    res = cli("op", "billing", "remit", str(remit), "--json")
    assert res.exit_code == 0, res.output
    paid = json.loads(res.stdout)
    assert (paid["status"], paid["unapplied"]) == ("recorded", "100.00")
    assert json.loads(cli("op", "billing", "remit", str(remit), "--json").stdout)["status"] \
        == "duplicate"
    listed = json.loads(cli("op", "billing", "list", "--group", SPONSOR, "--json").stdout)
    assert (listed["paid"], listed["open"]) == ("900.00", "0.00")
    aging = json.loads(cli("op", "billing", "aging", "--json").stdout)
    assert (aging["open"], aging["credit"]) == ("0.00", "100.00")

    stmt = json.loads(cli("op", "billing", "commission", "--period", period, "--json").stdout)
    assert (stmt["broker"], stmt["status"], stmt["total"]) == ("BRK1", "issued", "45.00")
    again = json.loads(cli("op", "billing", "commission", "--period", period, "--json").stdout)
    assert again["status"] == "already_issued"
    res = cli("op", "billing", "pay", "--group", SPONSOR, "--reference", "CHK1", "--reverse")
    assert res.exit_code == 0, res.output
    nxt = (first + dt.timedelta(days=32)).strftime("%Y-%m")
    claw = json.loads(cli("op", "billing", "commission", "--period", nxt, "--json").stdout)
    assert claw["total"] == "-25.00"
    assert [(x["kind"], x["reason"]) for x in claw["detail"]] == [("clawback", "payment_reversed")]

    due = first.replace(day=20)
    res = cli("op", "billing", "remind", "--date", (due + dt.timedelta(days=6)).isoformat(),
              "--json")
    sent = [json.loads(x) for x in res.stdout.splitlines()]
    assert [(x["step"], x["status"]) for x in sent] == [(-10, "skipped"), (0, "skipped"),
                                                        (5, "sent")]
    assert sent[-1]["balance"] == "500.00" and Path(sent[-1]["pdf"]).is_file()
    assert "open balance of $500.00" in Path(sent[-1]["text"]).read_text()
    res = cli("op", "billing", "remind", "--date", (due + dt.timedelta(days=6)).isoformat())
    assert res.stdout == ""
    with engine(db_url).connect() as conn:
        actions = {r[0] for r in conn.exec_driver_sql("SELECT action FROM audit_log")}
    assert {"billing.run", "billing.pay", "billing.reverse", "billing.commission",
            "billing.remind", "billing.list", "billing.aging", "auth.refused"} <= actions


def test_a_bad_820_is_rejected_and_changes_nothing(db_url: str, tmp_path: Path) -> None:
    cli = Cli(db_url, tmp_path)
    bad = write(tmp_path, "bad.820", remit_820([("X-1", "10.00")], "99.00", "TR9"))
    res = cli("op", "billing", "remit", str(bad))
    assert res.exit_code == 1
    assert "remit.total" in res.stderr and "nothing applied" in res.stderr
    with engine(db_url).connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM billing_payments").scalar_one() == 0
