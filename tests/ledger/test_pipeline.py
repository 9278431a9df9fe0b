"""ledger.pipeline: a large file read in a second process records exactly what one process does.

The threshold is forced with ENROLL834_PIPELINE_MIN_BYTES=0 (or `threshold=0`), so small
generated files take the two-process path. A crash of the reader (ENROLL834_READER_CRASH_AT,
SIGKILL before its n-th message) leaves all or nothing of each set and exits 75; a crash of
the writing process (ENROLL834_CRASH_AT) leaves no reader behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from edi.generate import generate
from edi.reader import read
from edi.validate import make_validator
from ledger import pipeline
from ledger.store import schema as t
from ledger.store.db import upgrade
from tests.ops import opskit


def _write(tmp: Path, name: str, members: int, **kw: object) -> Path:
    path = tmp / name
    path.write_bytes(b"".join(generate(members, 7, "lines", **kw)))  # type: ignore[arg-type]
    return path


def test_two_processes_yield_what_one_reads(tmp_path: Path) -> None:
    validator = make_validator("compiled")
    for name, kw in {
        "mixed.edi": {"sets": 3, "mix": "change"},
        "bad.edi": {"bad_member": 5, "interchanges": 2, "sets": 2},
        "4010.edi": {"version": "4010"},
    }.items():
        path = _write(tmp_path, name, 700, **kw)
        one = list(read(path, name, validator=validator))
        two = list(pipeline.read_events(path, name, validator=validator, threshold=0))
        assert two == one and len(one) > 700
    assert pipeline.validator_name(None) is None
    with pytest.raises(ValueError):
        pipeline.validator_name(object())


def test_small_files_stay_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "small.edi", 5)
    monkeypatch.delenv("ENROLL834_PIPELINE_MIN_BYTES", raising=False)
    assert pipeline.min_bytes() == pipeline.MIN_BYTES
    events = pipeline.read_events(path, "small.edi")
    assert events.__qualname__ != "_two_processes"  # type: ignore[attr-defined]  # the reader
    monkeypatch.setenv("ENROLL834_PIPELINE_MIN_BYTES", "off")
    assert pipeline.min_bytes() is None
    monkeypatch.setenv("ENROLL834_PIPELINE_MIN_BYTES", "0")
    events = pipeline.read_events(path, "small.edi")
    assert events.__qualname__ == "_two_processes"  # type: ignore[attr-defined]
    assert len(list(events)) > 5


def test_a_reader_exception_is_raised_here(tmp_path: Path) -> None:
    missing = tmp_path / "gone.edi"
    missing.write_bytes(b"x")
    events = pipeline._two_processes(missing, "gone.edi", None, None)
    missing.unlink()  # the reader opens it after this side checked it
    with pytest.raises(OSError) as err:
        list(events)
    assert not isinstance(err.value, pipeline.ReaderStopped)


def _ingest(url: str, path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return opskit.run_cli("--db", url, "ingest", str(path), "--validator", "compiled",
                          env=opskit.cli_env(ENROLL834_PIPELINE_MIN_BYTES="0", **env),
                          timeout=300)


def test_ingest_in_two_processes_records_what_one_does(ledger_url: str, tmp_path: Path) -> None:
    path = _write(tmp_path, "three.edi", 900, sets=3, mix="change")
    clean = opskit.run_cli("--db", ledger_url, "ingest", str(path), "--validator", "compiled",
                           env=opskit.cli_env(ENROLL834_PIPELINE_MIN_BYTES="off"), timeout=300)
    assert clean.returncode in (0, 1), clean.stderr
    reference = opskit.fingerprint(ledger_url)
    other = str(tmp_path / "two.db")
    url = f"sqlite:///{other}" if ledger_url.startswith("sqlite") else None
    if url is None:
        pytest.skip("compared on SQLite (the PostgreSQL case is the crash test below)")
    upgrade(url)
    two = _ingest(url, path)
    assert two.returncode == clean.returncode and two.stdout == clean.stdout, two.stderr
    assert opskit.fingerprint(url) == reference


def _sets_done(url: str) -> list[str]:
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            return sorted(r.set_control for r in c.execute(sa.select(t.transaction_sets)))
    finally:
        eng.dispose()


def test_a_killed_reader_leaves_whole_sets_and_exits_75(ledger_url: str, tmp_path: Path) -> None:
    # 3 sets of 300 members, 256 events a message: the 3rd message is inside set 2
    path = _write(tmp_path, "three.edi", 900, sets=3, mix="enrollment")
    killed = _ingest(ledger_url, path, ENROLL834_READER_CRASH_AT="3")
    assert killed.returncode == 75, killed.stderr
    assert "reading process stopped" in killed.stderr and "Traceback" not in killed.stderr
    assert _sets_done(ledger_url) == ["0001"]  # set 1 whole, set 2 not at all
    again = _ingest(ledger_url, path)
    assert again.returncode in (0, 1), again.stderr
    assert _sets_done(ledger_url) == ["0001", "0002", "0003"]
    fresh = tmp_path / "fresh.db"
    upgrade(f"sqlite:///{fresh}")
    _ingest(f"sqlite:///{fresh}", path)
    assert opskit.fingerprint(ledger_url)["members"] == opskit.fingerprint(
        f"sqlite:///{fresh}")["members"]


def test_a_killed_writer_leaves_no_reader(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade(url)
    path = _write(tmp_path, "big.edi", 2000, mix="enrollment")
    env = opskit.cli_env(ENROLL834_PIPELINE_MIN_BYTES="0", ENROLL834_CRASH_AT="3")
    proc = subprocess.Popen([opskit.ENROLL834, "--db", url, "ingest", str(path)], env=env,
                            start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    assert proc.wait(timeout=300) == -signal.SIGKILL
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the reader and its helpers share the session
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("a process of the killed ingest outlived it")
    assert _sets_done(url) == []  # the one set was not committed
