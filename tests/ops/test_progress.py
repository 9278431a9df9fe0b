"""Progress on a terminal (issue 14, friction 2): `ingest` and `drops run` show members read,
members/s and time left (from bytes read) on stderr when it is a terminal, nothing when it is
not or with --quiet. stdout stays data only."""

from __future__ import annotations

import os
import pty
import subprocess
from pathlib import Path

import pytest

from edi.generate import generate
from tests.ops.opskit import ENROLL834

MEMBERS = 400


def _run(args: list[str], cwd: Path, *, tty: bool) -> tuple[int, str, str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "ENROLL834_DROPS__SETTLE_SECONDS": "0",
           "ENROLL834_DROPS__VALIDATOR": "none", "COLUMNS": "120"}
    if not tty:
        res = subprocess.run([ENROLL834, *args], cwd=cwd, env=env, capture_output=True,
                             text=True, timeout=300, stdin=subprocess.DEVNULL)
        return res.returncode, res.stdout, res.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen([ENROLL834, *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    proc.wait(timeout=300)
    return proc.returncode, out, b"".join(chunks).decode(errors="replace")


@pytest.fixture
def big(tmp_path: Path) -> Path:
    path = tmp_path / "big.edi"
    path.write_bytes(b"".join(generate(MEMBERS, 3, "lines", mix="enrollment", ascii_only=True)))
    return path


def test_ingest_shows_members_rate_and_time_left_on_a_terminal(tmp_path: Path, big: Path) -> None:
    code, out, err = _run(["--log-format", "json", "--db", f"sqlite:///{tmp_path / 'a.db'}",
                           "ingest", str(big), "--validator", "none"], tmp_path, tty=True)
    assert code in (0, 1), err
    assert f"{MEMBERS} members" in err and "members/s" in err and "0:00:" in err
    assert out.startswith("files 1") and "members/s" not in out


def test_no_bar_without_a_terminal_or_with_quiet(tmp_path: Path, big: Path) -> None:
    _, _, err = _run(["--log-format", "json", "--db", f"sqlite:///{tmp_path / 'b.db'}",
                      "ingest", str(big), "--validator", "none"], tmp_path, tty=False)
    assert "members/s" not in err
    _, _, quiet = _run(["--quiet", "--log-format", "json", "--db",
                        f"sqlite:///{tmp_path / 'c.db'}", "ingest", str(big), "--validator",
                        "none"], tmp_path, tty=True)
    assert "members/s" not in quiet


def test_drops_run_counts_members_of_one_big_file(tmp_path: Path, big: Path) -> None:
    inbox = tmp_path / "drop" / "inbox"
    inbox.mkdir(parents=True)
    big.rename(inbox / "big.edi")
    code, out, err = _run(["--log-format", "json", "--db", f"sqlite:///{tmp_path / 'd.db'}",
                           "drops", "run", str(inbox), "--once"], tmp_path, tty=True)
    assert code in (0, 1), err
    assert f"{MEMBERS} members" in err and "members/s" in err
    assert "0/1" not in err  # progress is in members and bytes, not files
    assert out.splitlines()[1].startswith("big.edi\t")
