"""The drop-folder state machine: inbox -> work -> archive/YYYY/MM or quarantine/REASON,
acks and the sender's report in outbox/, partner settings, files still being written."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import sqlalchemy as sa

from ledger.drops.claims import drop_claims
from ledger.drops.folder import DropWorker, Stability, run_drop, scan
from ledger.store.db import upgrade
from tests.ops import opskit


def _run(db_url: str, inbox: Path, **drops):
    s = opskit.settings(db_url, **drops)
    upgrade(db_url)
    return run_drop(s, inbox)


def test_a_good_file_is_archived_with_its_999_and_report(db_url, tmp_path) -> None:
    inbox = opskit.make_drop(tmp_path, {"acme.edi": opskit.edi([opskit.member("700000001")])})
    summary = _run(db_url, inbox)
    t = opskit.tree(tmp_path / "drop")
    assert t["inbox"] == [] and t["work"] == [] and t["quarantine"] == []
    [archived] = t["archive"]
    y, m, name = archived.split("/")
    assert name == "acme.edi" and len(y) == 4 and len(m) == 2
    assert sorted(t["outbox"]) == ["acme.edi.000000101.999", "acme.edi.report.txt"]
    ack = (tmp_path / "drop/outbox/acme.edi.000000101.999").read_text()
    assert "IK5*A" in ack and "AK9*A*1*1*1" in ack
    [f] = summary.files
    assert f["disposition"] == "archive" and f["members"]["new"] == 1 and summary.exit_code == 0
    with sa.create_engine(db_url).connect() as c:
        assert [r.state for r in c.execute(sa.select(drop_claims))] == ["done"]


def test_temporary_names_wait_until_renamed(db_url, tmp_path) -> None:
    data = opskit.edi([opskit.member("700000001")])
    inbox = opskit.make_drop(tmp_path, {"acme.edi.part": data, ".acme.edi": data,
                                        "acme.edi.tmp": data})
    assert _run(db_url, inbox).files == []
    assert sorted(p.name for p in inbox.iterdir()) == [".acme.edi", "acme.edi.part", "acme.edi.tmp"]
    (inbox / "acme.edi.part").rename(inbox / "acme.edi")
    assert [f["file"] for f in _run(db_url, inbox).files] == ["acme.edi"]


def test_a_growing_file_is_not_taken() -> None:
    now = [1000.0]
    st = Stability(2.0, clock=lambda: now[0])
    fresh = int(now[0] * 1e9)
    assert st.stable({"a.edi": (10, fresh)}) == []
    now[0] += 1
    assert st.stable({"a.edi": (20, fresh + 10**9)}) == []  # grew
    now[0] += 1.5
    assert st.stable({"a.edi": (20, fresh + 10**9)}) == []  # unchanged, not yet long enough
    now[0] += 0.6
    assert st.stable({"a.edi": (20, fresh + 10**9)}) == ["a.edi"]
    old = int((now[0] - 60) * 1e9)
    assert st.stable({"b.edi": (5, old)}) == ["b.edi"]  # untouched for a minute


def test_scan_skips_directories_and_temporary_names(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    for n in ("a.edi", "b.edi~", "c.filepart", ".d"):
        (tmp_path / n).write_bytes(b"x")
    assert list(scan(tmp_path, (".*", "*~", "*.filepart"))) == ["a.edi"]


def test_broken_file_is_quarantined_with_a_reason_file(db_url, tmp_path) -> None:
    inbox = opskit.make_drop(tmp_path, {"junk.edi": b"not an 834 at all\n"})
    summary = _run(db_url, inbox)
    t = opskit.tree(tmp_path / "drop")
    assert t["quarantine"] == ["no_interchange/junk.edi", "no_interchange/junk.edi.reason.txt"]
    reason = (tmp_path / "drop/quarantine/no_interchange/junk.edi.reason.txt").read_text()
    assert "reason: no_interchange" in reason and "sha256:" in reason
    assert "junk.edi.report.txt" in t["outbox"] and summary.exit_code == 1


def test_rejected_interchange_is_quarantined_with_its_ta1(db_url, tmp_path) -> None:
    data = opskit.edi([opskit.member("700000001")], truncate_after=8)
    inbox = opskit.make_drop(tmp_path, {"cut.edi": data})
    [f] = _run(db_url, inbox).files
    assert f["disposition"] == "quarantine" and f["reason"] == "rejected"
    assert any(a.endswith(".ta1") or a.endswith(".999") for a in f["acks"])


def test_strict_partners_reject_an_unknown_sender_with_a_ta1(db_url, tmp_path) -> None:
    inbox = opskit.make_drop(tmp_path, {
        "stranger.edi": opskit.edi([opskit.member("700000001")], sender="STRANGER"),
        "known.edi": opskit.edi([opskit.member("700000002")], isa13="000000102"),
    })  # fmt: skip
    summary = _run(db_url, inbox, strict_partners=True)
    by = {f["file"]: f for f in summary.files}
    assert by["stranger.edi"]["reason"] == "unknown_sender"
    assert by["known.edi"]["disposition"] == "archive"
    ta1 = (tmp_path / "drop/outbox/stranger.edi.000000101.ta1").read_text()
    assert "TA1*000000101*260101*1200*R*006" in ta1
    with sa.create_engine(db_url).connect() as c:  # nothing of the stranger's was recorded
        from ledger.store import schema as t

        senders = [r.sender_id for r in c.execute(sa.select(t.interchanges))]
    assert senders == ["SENDER1"]


def test_unknown_sender_without_strict_partners_uses_defaults(db_url, tmp_path) -> None:
    inbox = opskit.make_drop(tmp_path, {"s.edi": opskit.edi([opskit.member("7001")], sender="X9")})
    [f] = _run(db_url, inbox).files
    assert f["disposition"] == "archive"
    assert f["members"]["review"] == 1  # default 90-day retro window holds the 2026-01 date


def test_a_sponsor_the_partner_may_not_send_for_is_rejected(db_url, tmp_path) -> None:
    partners = [{"sender_id": "SENDER1", "allowed_sponsors": ["111111111"], "retro_days": 36500}]
    inbox = opskit.make_drop(tmp_path, {"s.edi": opskit.edi([opskit.member("700000001")])})
    [f] = _run(db_url, inbox, partners=partners).files
    assert f["reason"] == "rejected" and f["sets"]["rejected"] == 1
    ack = (tmp_path / "drop/outbox/s.edi.000000101.999").read_text()
    assert "IK5*R" in ack
    assert "partner.sponsor_not_allowed" in (tmp_path / "drop/outbox/s.edi.report.txt").read_text()


def test_duplicate_policy_quarantine(db_url, tmp_path) -> None:
    data = opskit.edi([opskit.member("700000001")])
    partners = [{"sender_id": "SENDER1", "duplicate_policy": "quarantine", "retro_days": 36500}]
    inbox = opskit.make_drop(tmp_path, {"a.edi": data})
    _run(db_url, inbox, partners=partners)
    (inbox / "again.edi").write_bytes(data)
    [f] = _run(db_url, inbox, partners=partners).files
    assert f["reason"] == "duplicate"
    assert "TA1*000000101*260101*1200*R*025" in (
        tmp_path / "drop/outbox/again.edi.000000101.ta1").read_text()


def test_watch_polls_until_stopped(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    upgrade(url)
    inbox = opskit.make_drop(tmp_path, {})
    worker = DropWorker(opskit.settings(url, poll_seconds=0.1), inbox)
    stop = threading.Event()
    thread = threading.Thread(target=worker.watch, args=(stop.is_set,))
    thread.start()
    try:
        time.sleep(0.3)
        (inbox / "late.edi").write_bytes(opskit.edi([opskit.member("700000001")]))
        deadline = time.monotonic() + 20
        while not worker.summary.files and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(10)
        worker.close()
    assert [f["file"] for f in worker.summary.files] == ["late.edi"]
    assert not thread.is_alive()


def test_layout_must_share_the_inbox_file_system(tmp_path) -> None:
    import pytest

    from ledger.settings import ConfigError

    url = f"sqlite:///{tmp_path / 'l.db'}"
    with pytest.raises(ConfigError, match="not a directory"):
        DropWorker(opskit.settings(url), tmp_path / "missing")
