"""Several workers on one inbox and one database: no file or transaction set is processed
twice or lost, even when a worker is SIGKILLed halfway.

4 `enroll834 drops run --once` processes share 100 small files (80 distinct, 10 re-sent
under new names, 10 broken); one is killed with SIGKILL once half the files are done.
Afterwards every file is archived or quarantined exactly once, nothing is left in the
inbox or work/, every claim is final, and the ledger equals a single worker's run.
PostgreSQL is the production coordinator (runs in CI); the SQLite variant runs in `make soak`.
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
from ledger.drops.claims import FINAL_STATES, drop_claims
from ledger.store.db import upgrade
from tests.conftest import POSTGRES_URL, _postgres_schema_url
from tests.ops import opskit

SOAK = bool(os.environ.get("ENROLL834_SOAK"))


def _corpus() -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for seed in range(3000, 3080):
        files[f"f{seed}.edi"] = b"".join(generate(2, seed, mix="change", ascii_only=True))
    for i, seed in enumerate(range(3000, 3010)):
        files[f"resent-{i}.edi"] = files[f"f{seed}.edi"]
    for i in range(5):
        files[f"junk-{i}.edi"] = f"not an 834 ({i})\n".encode()
    for i, seed in enumerate(range(3100, 3105)):
        whole = b"".join(generate(2, seed, mix="change", ascii_only=True))
        files[f"cut-{i}.edi"] = whole[: len(whole) // 2]
    assert len(files) == 100
    return files


def _finished(drop: Path) -> int:
    return sum(1 for d in ("archive", "quarantine") for p in (drop / d).rglob("*.edi")
               if p.is_file())


def _spawn(url: str, inbox: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([opskit.ENROLL834, "--quiet", "--db", url, "drops", "run",
                             str(inbox), "--once", "--json"], env=opskit.cli_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _check_drop(drop: Path, names: set[str], url: str) -> None:
    t = opskit.tree(drop)
    assert t["inbox"] == [] and t["work"] == [], (t["inbox"], t["work"])
    placed = [p.split("/")[-1] for d in ("archive", "quarantine") for p in t[d]
              if not p.endswith(".reason.txt")]
    assert sorted(placed) == sorted(names), "a file was lost or placed twice"
    with sa.create_engine(url).connect() as c:
        states = {r.state for r in c.execute(sa.select(drop_claims.c.state))}
    assert states <= set(FINAL_STATES), states


@pytest.fixture
def second_url(db_url: str, tmp_path: Path):
    """A second empty database of the same kind, for the single-worker reference run."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'reference.db'}"
    else:
        yield from _postgres_schema_url(POSTGRES_URL)


def test_four_workers_one_killed(db_url: str, second_url: str, tmp_path: Path) -> None:
    if db_url.startswith("sqlite") and not SOAK:
        pytest.skip("the SQLite variant runs in make soak; PostgreSQL is the multi-worker store")
    files = _corpus()

    ref_inbox = opskit.make_drop(tmp_path / "ref", files)
    upgrade(second_url)
    single = _spawn(second_url, ref_inbox)
    _out, err = single.communicate(timeout=300)
    assert single.returncode == 1, err
    _check_drop(tmp_path / "ref" / "drop", set(files), second_url)

    inbox = opskit.make_drop(tmp_path / "multi", files)
    upgrade(db_url)  # once, as `enroll834 init` would; workers then only check the version
    workers = [_spawn(db_url, inbox) for _ in range(4)]
    victim = workers[0]
    deadline = time.monotonic() + 240
    while _finished(tmp_path / "multi" / "drop") < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    killed = victim.poll() is None
    if killed:
        victim.send_signal(signal.SIGKILL)
    errors = [w.communicate(timeout=300)[1] for w in workers]
    codes = [w.returncode for w in workers]
    assert killed, "worker 0 finished before half the files were done"
    assert codes[0] == -signal.SIGKILL and all(c in (0, 1) for c in codes[1:]), (codes, errors)
    _check_drop(tmp_path / "multi" / "drop", set(files), db_url)
    assert opskit.fingerprint(db_url) == opskit.fingerprint(second_url)
