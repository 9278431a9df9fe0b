"""The documented exit codes: 0 ok, 1 data rejected, 2 usage, 75 temporary failure (safe to
retry), 77 not permitted, 78 configuration error; one-line messages on stderr, never a
traceback, nothing on stdout but data."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import cli
from ledger.store.db import LedgerError, upgrade
from tests.ops import opskit


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("ENROLL834_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ENROLL834_DROPS__SETTLE_SECONDS", "0")
    monkeypatch.setenv("ENROLL834_DROPS__VALIDATOR", "none")
    monkeypatch.chdir(tmp_path)


def _invoke(*args: str):
    result = CliRunner().invoke(cli.main, list(args))
    assert "Traceback" not in result.output + result.stderr
    return result


def _drop(tmp_path: Path, files: dict[str, bytes]) -> tuple[str, Path]:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    return url, opskit.make_drop(tmp_path, files)


def test_0_when_everything_was_accepted(tmp_path) -> None:
    url, inbox = _drop(tmp_path, {"a.edi": opskit.edi([opskit.member("700000001")])})
    r = _invoke("--db", url, "drops", "run", str(inbox), "--once", "--json")
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.stdout.splitlines()]  # stdout is data only
    assert lines[-1]["totals"]["archived"] == 1


def test_1_when_data_was_rejected(tmp_path) -> None:
    url, inbox = _drop(tmp_path, {"junk.edi": b"no interchange here\n"})
    r = _invoke("--db", url, "drops", "run", str(inbox))
    assert r.exit_code == 1
    assert r.stdout.splitlines()[1].startswith("junk.edi\tquarantine\tno_interchange")


@pytest.mark.parametrize("args", [
    ["drops", "run"],
    ["drops", "run", ".", "--bogus"],
    ["--log-format", "yaml", "config", "show"],
    ["drops", "run", ".", "--once", "--watch", "--json", "extra"],
    ["no-such-command"],
])
def test_2_for_usage_errors(args) -> None:
    assert _invoke(*args).exit_code == 2


def test_75_when_the_database_is_locked(tmp_path, monkeypatch) -> None:
    url, inbox = _drop(tmp_path, {"a.edi": opskit.edi([opskit.member("700000001")])})
    upgrade(url)
    monkeypatch.setenv("ENROLL834_LOCK_TIMEOUT_SECONDS", "0.2")
    holder = sqlite3.connect(tmp_path / "l.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        r = _invoke("--db", url, "drops", "run", str(inbox))
    finally:
        holder.rollback()
        holder.close()
    assert r.exit_code == 75 and "retry" in r.stderr and r.stdout == ""
    assert [p.name for p in inbox.iterdir()] == ["a.edi"]


def test_78_for_configuration_errors(tmp_path) -> None:
    (tmp_path / "enroll834.toml").write_text("[drops]\npoll_seconds = -1\n")
    assert _invoke("config", "show").exit_code == 78
    (tmp_path / "enroll834.toml").unlink()
    assert _invoke("--config", str(tmp_path / "nope.toml"), "config", "show").exit_code == 78
    r = _invoke("--db", f"sqlite:///{tmp_path / 'l.db'}", "drops", "run",
                str(tmp_path / "no-inbox"))
    assert r.exit_code == 78 and "inbox is not a directory" in r.stderr
    assert _invoke("--db", "nonsense://", "drops", "run", str(tmp_path)).exit_code == 78


def test_77_when_users_exist_and_nobody_signs_in(tmp_path) -> None:
    url, inbox = _drop(tmp_path, {"a.edi": opskit.edi([opskit.member("700000001")])})
    assert _invoke("--db", url, "init", "--json").exit_code == 0
    r = _invoke("--db", url, "drops", "run", str(inbox))
    assert r.exit_code == 77 and [p.name for p in inbox.iterdir()] == ["a.edi"]


def test_exception_mapping() -> None:
    from ledger.desk.auth import NotPermitted
    from ledger.drops.folder import TemporaryFailure
    from ledger.settings import ConfigError

    locked = sa.exc.OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))
    missing = sa.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x"))
    cases = [(ConfigError("x"), 78), (TemporaryFailure("x"), 75), (locked, 75), (missing, 78),
             (NotPermitted("x"), 77), (LedgerError("x"), 1),
             (OSError(28, "No space left on device"), 75)]
    for exc, code in cases:
        mapped = cli.map_exception(exc)
        assert mapped is not None and mapped.exit_code == code, exc
    assert cli.map_exception(KeyError("x")) is None
