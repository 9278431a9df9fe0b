"""export834: the ledger written out as a 005010X220A1 834 (SQLite and PostgreSQL).

Every person here is invented.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from pathlib import Path

from click.testing import CliRunner
from ledger_helpers import RECEIVED, M, interchange, simple_decide, write
from test_reconcile import SPONSOR, change_set, family, seed

from edi.ig_pyx12 import Pyx12Validator
from edi.reader import read
from edi.records import InterchangeStart, MemberTransaction, SetEnd, SetStart
from ledger.fullfile.export834 import change_file, full_file, write_export
from ledger.fullfile.files import reconcile_file
from ledger.ingest import ingest_file
from ledger.store.db import engine

AS_OF = dt.date(2026, 3, 1)
NOW = dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)


def household() -> list[M]:
    """A subscriber with a spouse and twins (same birth date, INS17 1/2), plus a single."""
    return [
        M(sub="SUB5000", last="VOLKOV", first="IRINA", ssn="912340001", dob="19820304"),
        M(sub="SUB5000", subscriber=False, rel="01", last="VOLKOV", first="PETR", ssn="912340002",
          dob="19810506", gender="M"),
        M(sub="SUB5000", subscriber=False, rel="19", last="VOLKOV", first="ANYA", dob="20150707"),
        M(sub="SUB5000", subscriber=False, rel="19", last="VOLKOV", first="BORIS", dob="20150707",
          gender="M"),
        M(sub="SUB5001", last="OKAFOR", first="CHIDI", ssn="912340003", dob="19900101", gender="M",
          hds=(("021", "HLT", "PPO1", (("348", "20260201"),)),
               ("021", "DEN", "DENT1", (("348", "20260201"), ("349", "20260315"))))),
    ]  # fmt: skip


def _text(url: str, **kw: object) -> str:
    buf = io.StringIO()
    write_export(url, None, SPONSOR, stream=buf, now=NOW, **kw)  # type: ignore[arg-type]
    return buf.getvalue()


def test_full_file_envelopes_counts_and_content(ledger_url: str, tmp_path: Path) -> None:
    seed(ledger_url, tmp_path, household())
    text = _text(ledger_url, as_of=AS_OF)
    segs = [s for s in text.split("~\n") if s]
    ids = [s.split("*")[0] for s in segs]
    assert ids[:4] == ["ISA", "GS", "ST", "BGN"] and ids[-3:] == ["SE", "GE", "IEA"]
    assert segs[3].endswith("****4") and "DTP*007*D8*20260301" in segs
    assert [s for s in segs if s.startswith("QTY")] == ["QTY*TO*5", "QTY*ET*2", "QTY*DT*3"]
    st, se = ids.index("ST"), ids.index("SE")
    assert segs[se] == f"SE*{se - st + 1}*0001"
    assert segs[-2] == f"GE*1*{segs[1].split('*')[6]}" and segs[-1].endswith(segs[0].split("*")[13])
    ins = [s for s in segs if s.startswith("INS")]
    assert ins[0] == "INS*Y*18*030*XN*A" and all("*030*" in s for s in ins)
    assert sum(s.startswith("HD*030**") for s in segs) == 6
    assert "DTP*349*D8*20260315" in segs
    events = list(read(text.encode()))
    members = [e for e in events if isinstance(e, MemberTransaction)]
    assert len(members) == 5 and not any(m.rejected for m in members)
    assert [m.birth_sequence for m in members if m.member.name.first in ("ANYA", "BORIS")] == [None, None]
    end = next(e for e in events if isinstance(e, SetEnd))
    assert end.status.value == "accepted", [f.code for f in end.findings]
    assert next(e for e in events if isinstance(e, SetStart)).header.action_code.value == "4"  # type: ignore[union-attr]


def test_pyx12_accepts_full_and_change_files(ledger_url: str, tmp_path: Path) -> None:
    seed(ledger_url, tmp_path, household())
    since = dt.datetime.now(dt.UTC)
    change = M(sub="SUB5001", ins03="001", ins04="25", last="OKAFOR", first="CHIDI",
               ssn="912340003", dob="19900101", gender="M", street="5 OAK AVE", member_dates=(),
               hds=(("024", "HLT", "PPO1", (("349", "20260310"),)),))  # fmt: skip
    f = write(tmp_path, "chg.edi", interchange([change_set([change])], isa13="000000011"))
    assert ingest_file(ledger_url, f, decide=simple_decide, received_at=RECEIVED).members["applied"] == 1
    full = tmp_path / "full.edi"
    delta = tmp_path / "delta.edi"
    write_export(ledger_url, full, SPONSOR, as_of=AS_OF, now=NOW)
    summary = write_export(ledger_url, delta, SPONSOR, changes_since=since, now=NOW)
    assert summary.kind == "changes" and summary.members == 1
    for p in (full, delta):
        found = [(x.code, x.segment_position) for x in Pyx12Validator().findings(p, p.name)]
        assert found == [], (p.name, found)
    segs = delta.read_text().split("~\n")
    assert "INS*Y*18*001*25*A" in segs and "HD*024**HLT*PPO1*EMP" in segs
    assert "N3*5 OAK AVE" in segs and "DTP*349*D8*20260310" in segs


def test_control_numbers_come_from_the_ledger_and_never_repeat(ledger_url: str, tmp_path: Path) -> None:
    seed(ledger_url, tmp_path, family(1))
    seen = []
    for _ in range(3):
        s = write_export(ledger_url, tmp_path / "x.edi", SPONSOR, as_of=AS_OF, now=NOW)
        seen.append((s.interchange_control, s.group_control))
        head = next(read((tmp_path / "x.edi").read_bytes()))
        assert isinstance(head, InterchangeStart) and head.header.control_number == s.interchange_control
    assert len({i for i, _ in seen}) == 3 and len({g for _, g in seen}) == 3
    assert [int(i) for i, _ in seen] == sorted(int(i) for i, _ in seen)


def test_export_as_of_a_date_only_lists_members_covered_then(ledger_url: str, tmp_path: Path) -> None:
    later = dataclasses.replace(family(2)[1], hds=(("021", "HLT", "PPO1", (("348", "20260315"),)),))
    seed(ledger_url, tmp_path, [family(1)[0], later])
    with engine(ledger_url).connect() as conn:
        march = list(full_file(conn, SPONSOR, AS_OF, isa13=1, gs06=1, now=NOW))
        april = list(full_file(conn, SPONSOR, dt.date(2026, 3, 16), isa13=2, gs06=2, now=NOW))
        nothing = list(change_file(conn, SPONSOR, dt.datetime.now(dt.UTC), isa13=3, gs06=3, now=NOW))
    assert sum(s.startswith("INS") for s in march) == 1
    assert sum(s.startswith("INS") for s in april) == 2
    assert not any(s.startswith("INS") for s in nothing)


def test_export_then_reconcile_finds_nothing(ledger_url: str, tmp_path: Path) -> None:
    seed(ledger_url, tmp_path, household())
    out = tmp_path / "full.edi"
    write_export(ledger_url, out, SPONSOR, as_of=AS_OF, now=NOW)
    rec = reconcile_file(ledger_url, out).runs[0]
    c = rec.counts
    assert (c["file_members"], c["confirmed_members"], c["confirmed_coverages"]) == (5, 5, 6)
    assert not any(c.get(k) for k in ("missing_in_ledger", "missing_in_file", "field_mismatch"))


# ------------------------------------------------------------------ CLI


def test_cli_export834_and_reconcile(ledger_url: str, tmp_path: Path) -> None:
    from cli import main

    seed(ledger_url, tmp_path, household())
    runner = CliRunner()
    out = tmp_path / "acme.edi"
    res = runner.invoke(main, ["--db", ledger_url, "export834", "--sponsor", SPONSOR,
                               "--as-of", "2026-03-01", "--out", str(out), "--json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["members"] == 5
    res = runner.invoke(main, ["--db", ledger_url, "export834", "--sponsor", SPONSOR,
                               "--as-of", "2026-03-01"])  # fmt: skip
    assert res.exit_code == 0 and res.stdout.startswith("ISA*")
    res = runner.invoke(main, ["--db", ledger_url, "export834", "--sponsor", SPONSOR,
                               "--as-of", "2026-03-01", "--changes-since", "2026-01-01"])  # fmt: skip
    assert res.exit_code == 2
    res = runner.invoke(main, ["--db", ledger_url, "reconcile", str(out), "--json", "--dry-run",
                               "--outbox", str(tmp_path / "outbox")])  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["runs"][0]["status"] == "dry_run" and doc["runs"][0]["counts"]["confirmed_members"] == 5
    assert len(list((tmp_path / "outbox").iterdir())) == 4
    res = runner.invoke(main, ["--db", ledger_url, "reconcile", str(out)])
    assert res.exit_code == 0 and " verify verified " in res.stdout
    for cmd in ("reconcile", "export834"):
        helptext = runner.invoke(main, [cmd, "--help"]).output
        assert "Example:" in helptext
