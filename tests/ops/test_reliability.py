"""Reliability: the duplicate matrix, a crash sweep through the CLI, transient failures
(locked or unreachable database -> exit 75 and no state change; disk full -> nothing lost),
and a fuzz run over mutated 834s (no unhandled exception, no hang, no PHI in any error)."""

from __future__ import annotations

import datetime as dt
import errno
import io
import json
import os
import sqlite3
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi import logs
from ledger.drops import folder as drops_mod
from ledger.drops.claims import drop_claims
from ledger.drops.folder import DropWorker, run_drop
from ledger.store.db import upgrade
from tests.ops import opskit

SOAK = bool(os.environ.get("ENROLL834_SOAK"))


def _run(url: str, inbox: Path, **drops):
    upgrade(url)
    return run_drop(opskit.settings(url, **drops), inbox)


# ------------------------------------------------------------------ duplicate matrix


def test_duplicate_matrix(db_url, tmp_path) -> None:
    original = opskit.edi([opskit.member("700000001")])
    inbox = opskit.make_drop(tmp_path, {"a.edi": original})
    _run(db_url, inbox)
    before = opskit.fingerprint(db_url)

    cases = {
        "same-bytes-twice": ("a.edi", original),
        "same-bytes-new-name": ("renamed.edi", original),
        "same-isa13-other-bytes": ("other.edi", opskit.edi([opskit.member("700000009")])),
    }
    for label, (name, data) in cases.items():
        (inbox / name).write_bytes(data)
        [f] = _run(db_url, inbox).files
        assert f["interchanges"][0]["kind"] != "processed", label
        assert opskit.fingerprint(db_url) == before, f"{label} changed the ledger"
        ta1 = (tmp_path / f"drop/outbox/{name}.000000101.ta1").read_text()
        assert "*R*025~" in ta1, label
        expected = ("archive", None) if "other" not in label else ("quarantine",
                                                                    "control_number_reused")
        assert (f["disposition"], f["reason"]) == expected, label
    t = opskit.tree(tmp_path / "drop")
    assert len([p for p in t["archive"] if p.endswith("a.edi") or ".a.edi" in p
                or p.split("/")[-1].startswith("a.edi")]) == 2  # the original and its re-send

    (inbox / "other-sender.edi").write_bytes(opskit.edi([opskit.member("700000002")],
                                                        sender="SENDER2"))
    [f] = _run(db_url, inbox).files
    assert f["disposition"] == "archive" and f["members"]["new"] == 1

    (inbox / "resubmission.edi").write_bytes(opskit.edi(
        [opskit.member("700000003")], isa13="000000102", purpose="15"))
    [f] = _run(db_url, inbox).files
    assert f["disposition"] == "archive" and f["sets"]["accepted"] == 1
    assert f["members"]["new"] == 1 and f["interchanges"][0]["kind"] == "processed"


# ------------------------------------------------------------------ crash sweep (CLI)


def _files() -> dict[str, bytes]:
    return {
        "one.edi": opskit.edi([opskit.member("700000001"), opskit.member("700000002")]),
        "two.edi": opskit.edi([opskit.member("700000003")], isa13="000000102"),
        "bad.edi": b"garbage, no interchange\n",
    }


def _crash_then_recover(tmp_path: Path, crash_at: int) -> tuple[dict, dict, str]:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    inbox = opskit.make_drop(tmp_path, _files())
    crashed = opskit.run_cli("--db", url, "drops", "run", str(inbox), "--once",
                             env=opskit.cli_env(ENROLL834_CRASH_AT=str(crash_at)))
    done = opskit.run_cli("--db", url, "drops", "run", str(inbox), "--once", "--json")
    assert done.returncode in (0, 1), done.stderr
    return opskit.tree(tmp_path / "drop"), opskit.fingerprint(url), str(crashed.returncode)


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory) -> tuple[dict, dict]:
    tmp = tmp_path_factory.mktemp("clean")
    url = f"sqlite:///{tmp / 'ledger.db'}"
    inbox = opskit.make_drop(tmp, _files())
    res = opskit.run_cli("--db", url, "drops", "run", str(inbox), "--once", "--json")
    assert res.returncode == 1, res.stderr  # bad.edi is quarantined
    return opskit.tree(tmp / "drop"), opskit.fingerprint(url)


def _assert_like_clean(tree: dict, fp: dict, clean: tuple[dict, dict]) -> None:
    clean_tree, clean_fp = clean
    assert fp == clean_fp
    assert tree["inbox"] == [] and tree["work"] == []
    assert sorted(p.split("/")[-1] for p in tree["archive"]) == ["one.edi", "two.edi"]
    assert tree["quarantine"] == clean_tree["quarantine"]
    # A crash after the ledger commit must not make a file its own duplicate (no TA1 025).
    assert not [n for n in tree["outbox"] if n.endswith(".ta1")], tree["outbox"]
    assert sorted(tree["outbox"]) == sorted(clean_tree["outbox"])


@pytest.mark.parametrize("crash_at", [2, 6, 11, 20])
def test_crash_sweep_through_the_cli(tmp_path, clean_run, crash_at) -> None:
    tree, fp, rc = _crash_then_recover(tmp_path, crash_at)
    assert rc == "-9"
    _assert_like_clean(tree, fp, clean_run)


@pytest.mark.slow
@pytest.mark.skipif(not SOAK, reason="every crash point: make soak (ENROLL834_SOAK=1)")
def test_crash_sweep_every_point(tmp_path, clean_run) -> None:
    n = 1
    while True:
        tree, fp, rc = _crash_then_recover(tmp_path / str(n), n)
        _assert_like_clean(tree, fp, clean_run)
        if rc != "-9":
            break  # past the last crash point: the run finished by itself
        n += 1
    assert n > 20


# ------------------------------------------------------------------ transient failures


def test_locked_database_exits_75_and_changes_nothing(tmp_path) -> None:
    db = tmp_path / "ledger.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    inbox = opskit.make_drop(tmp_path, _files())
    before = opskit.tree(tmp_path / "drop")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        res = opskit.run_cli("--db", url, "drops", "run", str(inbox), "--once",
                             env=opskit.cli_env(ENROLL834_LOCK_TIMEOUT_SECONDS="0.3"))
    finally:
        holder.rollback()
        holder.close()
    assert res.returncode == 75, res.stderr
    assert "retry" in res.stderr and "Traceback" not in res.stderr and res.stdout == ""
    assert opskit.tree(tmp_path / "drop") == before
    with sa.create_engine(url).connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(drop_claims)).scalar() == 0
    again = opskit.run_cli("--db", url, "drops", "run", str(inbox), "--once")
    assert again.returncode == 1 and opskit.tree(tmp_path / "drop")["inbox"] == []


def test_unreachable_database_exits_75(tmp_path) -> None:
    inbox = opskit.make_drop(tmp_path, _files())
    res = opskit.run_cli("--db", "postgresql+psycopg://nobody@127.0.0.1:9/none", "drops", "run",
                         str(inbox), "--once")
    assert res.returncode == 75, res.stderr
    assert "Traceback" not in res.stderr and sorted(os.listdir(inbox)) == sorted(_files())


def _failing_rename(monkeypatch, where: str) -> None:
    real = os.rename

    def rename(src, dst, *a, **kw):
        if where in str(dst):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst, *a, **kw)

    monkeypatch.setattr(os, "rename", rename)


def test_disk_full_while_archiving_loses_nothing(db_url, tmp_path, monkeypatch) -> None:
    inbox = opskit.make_drop(tmp_path, {"one.edi": _files()["one.edi"]})
    _failing_rename(monkeypatch, "/archive/")
    first = _run(db_url, inbox)
    assert first.exit_code == 75 and "disk full" in (first.temporary_failure or "")
    t = opskit.tree(tmp_path / "drop")
    assert t["archive"] == [] and len(t["work"]) == 1 and t["inbox"] == []
    recorded = opskit.fingerprint(db_url)
    assert recorded["members"]  # the ledger part was committed before the move failed
    monkeypatch.undo()
    second = _run(db_url, inbox)
    assert second.exit_code == 0 and [f["file"] for f in second.files] == ["one.edi"]
    t = opskit.tree(tmp_path / "drop")
    assert t["work"] == [] and [p.split("/")[-1] for p in t["archive"]] == ["one.edi"]
    assert opskit.fingerprint(db_url) == recorded
    assert not [n for n in t["outbox"] if n.endswith(".ta1")]


def test_disk_full_while_writing_the_outbox_loses_nothing(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    inbox = opskit.make_drop(tmp_path, {"one.edi": _files()["one.edi"]})
    real = drops_mod._write_atomic

    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(drops_mod, "_write_atomic", full)
    assert _run(url, inbox).exit_code == 75
    assert len(opskit.tree(tmp_path / "drop")["work"]) == 1
    monkeypatch.setattr(drops_mod, "_write_atomic", real)
    [f] = _run(url, inbox).files
    assert f["disposition"] == "archive" and f["interchanges"][0]["kind"] == "processed"
    assert opskit.tree(tmp_path / "drop")["work"] == []


# ------------------------------------------------------------------ fuzz


MUTATION = st.tuples(st.sampled_from(["flip", "drop", "dup", "insert"]),
                     st.integers(min_value=0, max_value=10**6),
                     st.sampled_from([b"*", b"~", b"\n", b":", b"^", b"\x00", b"\xff", b"A",
                                      b"ISA", b"SE*", b"INS*Y*18", b""]))


def _mutate(data: bytes, ops: list[tuple[str, int, bytes]]) -> bytes:
    buf = bytearray(data)
    for op, pos, chunk in ops:
        if not buf:
            buf.extend(chunk)
            continue
        i = pos % len(buf)
        if op == "flip":
            buf[i] = (buf[i] + 1 + len(chunk)) % 256
        elif op == "drop":
            del buf[i: i + 1 + len(chunk)]
        elif op == "dup":
            buf[i:i] = buf[i: i + 40]
        else:
            buf[i:i] = chunk
    return bytes(buf)


@pytest.fixture(scope="module")
def fuzz_worker(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{tmp / 'l.db'}"
    upgrade(url)
    inbox = opskit.make_drop(tmp, {})
    worker = DropWorker(opskit.settings(url), inbox)
    yield worker, tmp
    worker.close()


@settings(max_examples=300 if SOAK else 25, deadline=dt.timedelta(seconds=30),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(ops=st.lists(MUTATION, min_size=1, max_size=6), n=st.integers(0, 10**9))
def test_fuzz_mutated_834s(fuzz_worker, ops, n) -> None:
    worker, tmp = fuzz_worker
    data = _mutate(opskit.canary_edi(isa13=f"{n % 10**9:09d}"), ops)
    name = f"f{n}-{len(worker.summary.files)}.edi"
    (worker.layout.inbox / name).write_bytes(data)
    err = io.StringIO()
    saved, sys.stderr = sys.stderr, err
    try:
        logs.configure(json=True, level="DEBUG")
        worker._take(name)
    finally:
        sys.stderr = saved
        logs.configure(json=True)
    out = worker.summary.files[-1]
    assert out["file"] == name and out["disposition"] in ("archive", "quarantine")
    assert not (worker.layout.inbox / name).exists()
    assert not any(worker.layout.work.glob(f"*.{name}"))
    texts = [err.getvalue(), json.dumps(out)]
    texts += [(worker.layout.outbox / a).read_text(errors="replace") for a in out["acks"]]
    if out["disposition"] == "quarantine":
        texts.append(Path(out["destination"] + ".reason.txt").read_text())
    for canary in opskit.CANARIES:
        assert not any(canary in t for t in texts), canary
