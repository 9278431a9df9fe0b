"""Drops: the sender's report says what the acknowledgment sent says (issue 14 item 11), test
files are archived apart and never applied (issue 20), a fully rejected interchange does not use
up its ISA13 (issue 14 item 4)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from ledger.drops import run_drop
from ledger.store import schema as t
from ledger.store.db import engine, upgrade
from tests.ops import opskit


def _count(url: str, table: sa.Table) -> int:
    with engine(url).connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _one(root: Path, pattern: str) -> Path:
    (found,) = sorted(root.rglob(pattern))
    return found


def test_reused_control_number_report_agrees_with_its_ta1(db_url: str, tmp_path: Path) -> None:
    upgrade(db_url)
    first = opskit.edi([opskit.member("700000001")])
    inbox = opskit.make_drop(tmp_path, {"a.edi": first})
    run_drop(opskit.settings(db_url), inbox)
    # the same interchange again in another form (other bytes, same ISA13)
    (inbox / "b.edi").write_bytes(first.replace(b"\n", b"\r\n"))
    summary = run_drop(opskit.settings(db_url), inbox)
    (out,) = summary.files
    assert out["reason"] == "control_number_reused"
    (ic,) = out["interchanges"]
    assert (ic["ta1_code"], ic["ta1_note"]) == ("R", "025")
    drop = tmp_path / "drop"
    ta1 = _one(drop / "outbox", "b.edi.*.ta1").read_text()
    assert "*R*025~" in ta1
    assert not list((drop / "outbox").glob("b.edi.*.999"))
    report = _one(drop / "outbox", "b.edi.report.txt").read_text()
    assert "TA1 R note 025" in report and "TA1 A" not in report
    assert "partially_accepted" not in report and "TA1 R (interchange rejected)" in report
    reason = _one(drop / "quarantine", "b.edi.reason.txt").read_text()
    assert "TA1 R/025" in reason


def test_test_files_are_acknowledged_archived_apart_and_not_applied(db_url: str,
                                                                   tmp_path: Path) -> None:
    upgrade(db_url)
    data = opskit.edi([opskit.member("700000001")]).replace(b"*0*P*:", b"*0*T*:")
    inbox = opskit.make_drop(tmp_path, {"t.edi": data})
    summary = run_drop(opskit.settings(db_url), inbox)
    (out,) = summary.files
    assert out["disposition"] == "archive" and "/archive/test/" in out["destination"]
    assert out["sets"]["not_applied"] == 1 and out["sets"]["accepted"] == 0
    assert _count(db_url, t.members) == 0 and _count(db_url, t.interchanges) == 0
    drop = tmp_path / "drop"
    assert "IK5*A~" in _one(drop / "outbox", "t.edi.*.999").read_text()
    report = _one(drop / "outbox", "t.edi.report.txt").read_text()
    assert "test interchange: acknowledged, not applied" in report


def test_rejected_file_then_its_correction_with_the_same_isa13(db_url: str,
                                                               tmp_path: Path) -> None:
    upgrade(db_url)
    good = opskit.edi([opskit.member("700000001"), opskit.member("700000002")])
    cut = opskit.edi([opskit.member("700000001"), opskit.member("700000002")], truncate_after=14)
    inbox = opskit.make_drop(tmp_path, {"cut.edi": cut})
    (out,) = run_drop(opskit.settings(db_url), inbox).files
    assert out["disposition"] == "quarantine" and out["reason"] == "rejected"
    assert _count(db_url, t.interchanges) == 0
    (inbox / "fixed.edi").write_bytes(good)
    (out,) = run_drop(opskit.settings(db_url), inbox).files
    assert out["disposition"] == "archive" and out["sets"]["accepted"] == 1
    assert out["interchanges"][0]["kind"] == "processed"
    assert _count(db_url, t.members) == 2
