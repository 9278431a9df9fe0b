"""A full file the guard holds is kept (a copy under the outbox's held/ folder, checked by
SHA-256) so a supervisor can apply it later from the desk, exactly once; a rejection tells
the sender through the outbox (SQLite and PostgreSQL). Every person here is invented."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from ledger_helpers import RECEIVED, interchange, simple_decide, write
from test_reconcile import family, full, full_set, open_lines, seed

from edi import logs
from ledger.desk import review as desk
from ledger.desk.auth import initialise
from ledger.desk.users import Actor, NotPermitted, add_user
from ledger.drops.folder import run_drop
from ledger.fullfile.files import reconcile_file
from ledger.ingest import ingest_file
from ledger.store import reconcile_tables as rt
from ledger.store import schema as t
from ledger.store.db import LedgerError, engine
from ledger.store.policies import FullFilePolicy, load_policies
from tests.ops import opskit

ROOT = Actor("root", frozenset({"administrator", "show_phi"}))
RITA = Actor("rita", frozenset({"reviewer"}))
SAM = Actor("sam", frozenset({"supervisor"}))
SECRETS = ("TESTER", "ALICE", "BRUNO", "900000001", "MAIN ST", "1970")
STEM = "rx.edi.000000300.0007"


@pytest.fixture(autouse=True)
def _json_logs() -> None:
    """Logs as `drops run` writes them, to this test's stderr (not a stream an earlier test closed)."""
    logs.configure(json=True)


def _rows(url: str, table: sa.Table, *where: object) -> list:
    with engine(url).connect() as conn:
        return list(conn.execute(sa.select(table).where(*where)))  # type: ignore[arg-type]


def _replace_partner(url: str) -> None:
    initialise(url, "root")
    for a in (RITA, SAM):
        add_user(url, ROOT, a.user_id, sorted(a.roles))
    with engine(url).begin() as conn:
        load_policies(conn, {"partners": [{"sender_qualifier": "ZZ", "sender_id": "SENDER1",
                                            "full_file_policy": "replace"}]}, user="root")  # fmt: skip


def _rx(people: list) -> bytes:
    """A replace file listing the first 7 of 10 members: the guard holds it (30 % > 10 %)."""
    return interchange([full_set([full(m) for m in people[:7]], bgn08="RX", st02="0007")],
                       isa13="000000300")  # fmt: skip


@pytest.fixture
def dropped(ledger_url: str, tmp_path: Path) -> tuple[str, Path, bytes]:
    """10 active members; the replace file arrives through `drops run` and is held."""
    _replace_partner(ledger_url)
    people = family(10)
    seed(ledger_url, tmp_path, people)
    data = _rx(people)
    summary = run_drop(opskit.settings(ledger_url), opskit.make_drop(tmp_path, {"rx.edi": data}))
    assert summary.files[0]["disposition"] == "archive", summary.files
    return ledger_url, tmp_path / "drop" / "outbox", data


def _terminations(url: str) -> int:
    e = t.entries
    return len(_rows(url, e, e.c.kind == "member_terminated"))


def test_the_held_file_is_kept_and_applied_from_the_desk_once(
    dropped: tuple[str, Path, bytes],
) -> None:
    url, outbox, data = dropped
    [item] = desk.list_items(url, SAM, queue="supervisor")
    tx = item.transaction
    copy = Path(tx["held_file"])
    assert copy.parent == outbox / "held" and copy.read_bytes() == data
    assert tx["file_sha256"] == hashlib.sha256(data).hexdigest()
    assert tx["outbox"] == str(outbox)
    with pytest.raises(NotPermitted):
        desk.resolve(url, RITA, item.id, apply_held=True)
    assert len(open_lines(url)) == 10 and _terminations(url) == 0

    res = desk.resolve(url, SAM, item.id, apply_held=True)
    assert (res.resolution, res.status) == ("overridden", "applied")
    assert len(open_lines(url)) == 7 and _terminations(url) == 3
    # the sender gets the reports of the run that applied the file
    [applied] = _rows(url, rt.reconciliation_runs, rt.reconciliation_runs.c.status == "applied")
    assert f"sender report {STEM}.recon-sender.json" in res.notes
    sender = json.loads((outbox / f"{STEM}.recon-sender.json").read_text())
    assert sender["counts"]["missing_in_file"] == 3 and applied.review_item_id is None
    # exactly once: neither the desk nor the file dropped again applies it a second time
    with pytest.raises(LedgerError, match="already resolved"):
        desk.resolve(url, SAM, item.id, apply_held=True)
    again = run_drop(opskit.settings(url), opskit.make_drop(outbox.parent.parent, {"rx.edi": data}))
    assert again.files[0]["disposition"] == "archive"
    assert len(open_lines(url)) == 7 and _terminations(url) == 3
    [a] = _rows(url, t.audit_log, t.audit_log.c.action == "review.resolve")
    details = json.loads(a.details)
    assert (a.user_id, details["resolution"], details["from"]) == ("sam", "overridden", "held_copy")


def test_a_changed_held_copy_is_refused(dropped: tuple[str, Path, bytes]) -> None:
    url, _, data = dropped
    [item] = desk.list_items(url, SAM, queue="supervisor")
    copy = Path(item.transaction["held_file"])
    copy.write_bytes(data.replace(b"SUB1000", b"SUB1009"))
    with pytest.raises(LedgerError, match="SHA-256"):
        desk.resolve(url, SAM, item.id, apply_held=True)
    assert len(open_lines(url)) == 10
    assert _rows(url, t.review_items, t.review_items.c.id == item.id)[0].status == "open"
    assert [r.status for r in _rows(url, rt.reconciliation_runs)] == ["held"]


def test_a_missing_held_copy_is_refused(dropped: tuple[str, Path, bytes]) -> None:
    url, _, _ = dropped
    [item] = desk.list_items(url, SAM, queue="supervisor")
    Path(item.transaction["held_file"]).unlink()
    with pytest.raises(LedgerError, match="held copy .* is missing"):
        desk.resolve(url, SAM, item.id, apply_held=True)
    assert len(open_lines(url)) == 10
    assert _rows(url, t.review_items, t.review_items.c.id == item.id)[0].status == "open"


def test_rejecting_sends_the_sender_a_rejection(dropped: tuple[str, Path, bytes]) -> None:
    url, outbox, _ = dropped
    [item] = desk.list_items(url, SAM, queue="supervisor")
    res = desk.resolve(url, SAM, item.id, reject_reason="partial file; resend all members")
    assert res.resolution == "rejected" and len(open_lines(url)) == 10
    assert f"sender report {STEM}.recon-rejected.txt" in res.notes
    notice = json.loads((outbox / f"{STEM}.recon-rejected.json").read_text())
    assert (notice["status"], notice["applied"]) == ("rejected", False)
    assert notice["set_control"] == "0007"
    assert notice["reason"] == "partial file; resend all members"
    assert notice["counts"]["would_terminate"] == 3
    assert "would terminate 3 of 10" in notice["guard"]
    text = (outbox / f"{STEM}.recon-rejected.txt").read_text()
    assert "REJECTED" in text and "nothing in it was applied" in text
    for secret in SECRETS:
        assert secret not in text + json.dumps(notice)


def test_without_a_kept_copy_the_file_must_be_given(ledger_url: str, tmp_path: Path) -> None:
    _replace_partner(ledger_url)
    people = family(10)
    seed(ledger_url, tmp_path, people)
    f = write(tmp_path, "rx.edi", _rx(people))
    ingest_file(ledger_url, f, decide=simple_decide, received_at=RECEIVED)  # no outbox
    [item] = desk.list_items(ledger_url, SAM, queue="supervisor")
    assert "held_file" not in item.transaction
    with pytest.raises(LedgerError, match="--override FILE"):
        desk.resolve(ledger_url, SAM, item.id, apply_held=True)
    with pytest.raises(LedgerError, match="only a held full file"):
        desk.resolve(ledger_url, SAM, 10_000, apply_held=True)
    res = desk.resolve(ledger_url, SAM, item.id, reject_reason="wrong sponsor")
    assert res.resolution == "rejected" and not any("report" in n for n in res.notes)


def test_reconcile_with_an_outbox_keeps_the_held_copy(ledger_url: str, tmp_path: Path) -> None:
    people = family(10)
    seed(ledger_url, tmp_path, people)
    f = write(tmp_path, "rx.edi", _rx(people))
    policy, outbox = FullFilePolicy("replace", 0.1, 0.5), tmp_path / "outbox"
    dry = reconcile_file(ledger_url, f, policy=policy, outbox=outbox, dry_run=True)
    assert dry.runs[0].status == "dry_run" and not (outbox / "held").exists()
    out = reconcile_file(ledger_url, f, policy=policy, outbox=outbox)
    assert out.runs[0].status == "held"
    [row] = _rows(ledger_url, t.review_items)
    summary = json.loads(row.transaction)
    assert Path(summary["held_file"]).read_bytes() == f.read_bytes()
    f.unlink()  # the original may be gone: the desk applies the kept copy
    res = desk.resolve(ledger_url, SAM, row.id, apply_held=True)
    assert res.status == "applied" and len(open_lines(ledger_url)) == 7


def test_the_cli_applies_the_held_copy(ledger_url: str, tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
    from desk834 import Desk

    d = Desk(ledger_url, tmp_path)
    d.add_user("sam", "supervisor")
    people = family(10)
    seed(ledger_url, tmp_path, people)
    f = write(tmp_path, "rx.edi", _rx(people))
    reconcile_file(ledger_url, f, policy=FullFilePolicy("replace", 0.1, 0.5),
                   outbox=tmp_path / "outbox")  # fmt: skip
    [row] = _rows(ledger_url, t.review_items)
    both = d.run("sam", "review", "resolve", str(row.id), "--apply", "--override", str(f))
    assert both.exit_code == 2 and len(open_lines(ledger_url)) == 10
    done = d.run("sam", "review", "resolve", str(row.id), "--apply")
    assert done.exit_code == 0, done.output
    assert "overridden (applied)" in done.stdout and f"{STEM}.recon-sender.json" in done.stdout
    assert len(open_lines(ledger_url)) == 7


def test_ingest_with_an_outbox_keeps_the_held_copy(ledger_url: str, tmp_path: Path) -> None:
    _replace_partner(ledger_url)
    people = family(10)
    seed(ledger_url, tmp_path, people)
    data = _rx(people)
    f, outbox = write(tmp_path, "rx.edi", data), tmp_path / "outbox"
    ingest_file(ledger_url, f, decide=simple_decide, received_at=RECEIVED, outbox=outbox)
    [item] = desk.list_items(ledger_url, SAM, queue="supervisor")
    copy = Path(item.transaction["held_file"])
    assert copy.parent == outbox / "held" and copy.read_bytes() == data
    assert item.transaction["outbox"] == str(outbox) and len(open_lines(ledger_url)) == 10
    f.unlink()  # the original may be gone: the desk applies the kept copy
    res = desk.resolve(ledger_url, SAM, item.id, apply_held=True)
    assert (res.resolution, res.status) == ("overridden", "applied")
    assert len(open_lines(ledger_url)) == 7 and _terminations(ledger_url) == 3
    with pytest.raises(LedgerError, match="already resolved"):
        desk.resolve(ledger_url, SAM, item.id, apply_held=True)
    again = write(tmp_path, "rx-again.edi", data)
    ingest_file(ledger_url, again, decide=simple_decide, received_at=RECEIVED, outbox=outbox)
    assert len(open_lines(ledger_url)) == 7 and _terminations(ledger_url) == 3


def test_ingest_without_a_held_run_keeps_no_copy(ledger_url: str, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    seed(ledger_url, tmp_path, family(3))
    f = write(tmp_path, "more.edi", interchange([full_set([full(m) for m in family(3)])],
                                                isa13="000000301"))  # fmt: skip
    ingest_file(ledger_url, f, decide=simple_decide, received_at=RECEIVED, outbox=outbox)
    assert [r.status for r in _rows(ledger_url, rt.reconciliation_runs)] == ["verified"]
    assert not (outbox / "held").exists()


@pytest.mark.parametrize("via", ["option", "settings"])
def test_the_cli_ingest_keeps_the_held_copy(ledger_url: str, tmp_path: Path, via: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))
    from desk834 import Desk

    d = Desk(ledger_url, tmp_path)
    d.add_user("sam", "supervisor")
    d.add_user("svc", "service")
    with engine(ledger_url).begin() as conn:
        load_policies(conn, {"partners": [{"sender_qualifier": "ZZ", "sender_id": "SENDER1",
                                            "full_file_policy": "replace"}]}, user="root")  # fmt: skip
    people = family(10)
    seed(ledger_url, tmp_path, people)
    f, outbox = write(tmp_path, "rx.edi", _rx(people)), tmp_path / "outbox"
    if via == "option":
        res = d.run("svc", "ingest", str(f), "--outbox", str(outbox))
    else:
        res = d.run("svc", "ingest", str(f), env={"ENROLL834_DROPS__OUTBOX_DIR": str(outbox)})
    assert res.exit_code == 0, res.output
    [row] = _rows(ledger_url, t.review_items)
    assert json.loads(row.transaction)["held_file"].startswith(str(outbox / "held"))
    done = d.run("sam", "review", "resolve", str(row.id), "--apply")
    assert done.exit_code == 0, done.output
    assert "overridden (applied)" in done.stdout
    assert len(open_lines(ledger_url)) == 7 and _terminations(ledger_url) == 3
    twice = d.run("sam", "review", "resolve", str(row.id), "--apply")
    assert twice.exit_code != 0 and len(open_lines(ledger_url)) == 7


def test_ingest_that_cannot_keep_the_copy_says_so(ledger_url: str, tmp_path: Path) -> None:
    _replace_partner(ledger_url)
    people = family(10)
    seed(ledger_url, tmp_path, people)
    f, outbox = write(tmp_path, "rx.edi", _rx(people)), tmp_path / "outbox"
    outbox.write_text("not a folder")
    with pytest.raises(LedgerError, match="rx.edi: cannot keep the held file"):
        ingest_file(ledger_url, f, decide=simple_decide, received_at=RECEIVED, outbox=outbox)
    [item] = desk.list_items(ledger_url, SAM, queue="supervisor")
    assert "held_file" not in item.transaction and len(open_lines(ledger_url)) == 10


def test_applying_a_held_file_leaves_out_the_members_its_999_rejected(ledger_url: str,
                                                                      tmp_path: Path) -> None:
    """The run was held under a verdict that rejected one member (a name over 60 characters,
    an implementation-guide error only): the supervisor's override, which reads the kept file
    again, leaves that member out too."""
    from edi.validate import make_validator

    people = family(10)
    seed(ledger_url, tmp_path, people)
    listed = [full(m, street=f"{i} NEW ST") if i < 4 else full(m) for i, m in enumerate(people)]
    listed[5] = full(people[5], last="X" * 70)  # the 999 rejects this member
    data = interchange([full_set(listed, bgn08="RX", st02="0007")], isa13="000000301")
    f = write(tmp_path, "rx.edi", data)
    out = reconcile_file(ledger_url, f, policy=FullFilePolicy("replace", 0.1, 0.25),
                         outbox=tmp_path / "outbox", validator=make_validator())  # fmt: skip
    (run,) = out.runs
    assert run.status == "held" and run.counts["rejected_members"] == 1, run.counts
    assert "IK5*E*5~" in next(text for name, text in out.acks if name.endswith(".999"))
    [row] = _rows(ledger_url, t.review_items)
    assert json.loads(row.transaction)["rejected_ordinals"] == [6]
    res = desk.resolve(ledger_url, SAM, row.id, apply_held=True)
    assert res.status == "applied"
    [applied] = _rows(ledger_url, rt.reconciliation_runs, rt.reconciliation_runs.c.status == "applied")
    assert json.loads(applied.counts)["rejected_members"] == 1
    names = {r.last for r in _rows(ledger_url, t.demographics_versions)}
    assert "X" * 70 not in names
