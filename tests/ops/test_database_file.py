"""The database file and URL (issue 14, items 5, 8, 9): the SQLite file and its -wal/-shm are
0600 whatever the umask, `init` tightens and says so; `postgresql://` means psycopg, another
dialect is a one-line 78; a database a retry can never open is 78 naming the cause, leaving
no -wal/-shm behind.

Under root, who ignores mode bits, "read-only" is the immutable attribute (chattr +i)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from ledger.settings import ConfigError
from ledger.store.db import dispose, normalise_url
from tests.conftest import POSTGRES_URL


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key in list(os.environ):
        if key.startswith("ENROLL834_"):
            monkeypatch.delenv(key)
    yield
    dispose()


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _invoke(*args: str):
    res = CliRunner().invoke(cli.main, list(args))
    assert "Traceback" not in res.output
    return res


def test_a_new_database_and_its_wal_and_shm_are_0600_under_umask_022(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        res = _invoke("--db", f"sqlite:///{tmp_path / 'l.db'}", "init", "--json")
    finally:
        os.umask(old)
    assert res.exit_code == 0, res.output
    import sqlalchemy as sa

    from ledger.store.db import engine

    with engine(f"sqlite:///{tmp_path / 'l.db'}").connect() as conn:  # WAL files exist now
        conn.execute(sa.text("SELECT count(*) FROM users")).scalar()
        files = sorted(p.name for p in tmp_path.iterdir())
        assert {"l.db", "l.db-wal", "l.db-shm"} <= set(files)
        assert {f: _mode(tmp_path / f) for f in files} == {f: 0o600 for f in files}


def test_init_tightens_a_looser_existing_file_and_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    assert _invoke("--db", url, "init", "--json").exit_code == 0
    dispose()
    for p in tmp_path.iterdir():
        p.chmod(0o644)
    res = _invoke("--db", url, "init")
    assert res.exit_code == 0, res.output
    assert "0644" in res.stderr and "0600" in res.stderr
    assert all(_mode(p) == 0o600 for p in tmp_path.iterdir())
    again = _invoke("--db", url, "init")
    assert "0600" not in again.stderr  # nothing to say once it is right


@pytest.mark.parametrize(("given", "driver"), [
    ("postgresql://u@h/db", "postgresql+psycopg"),
    ("postgres://u@h/db", "postgresql+psycopg"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
    ("sqlite:///x.db", "sqlite"),
])
def test_postgresql_url_means_psycopg(given: str, driver: str) -> None:
    assert normalise_url(given).drivername == driver


@pytest.mark.parametrize("url", ["mysql://u:secret@h/db", "postgresql+psycopg2://u@h/db",
                                 "oracle://h/db", "nonsense"])
def test_an_unsupported_database_is_a_one_line_78(url: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        normalise_url(url)
    res = _invoke("--db", url, "review", "list")
    assert res.exit_code == 78, res.output
    assert len(res.stderr.strip().splitlines()) == 1 and "secret" not in res.stderr


def test_postgresql_without_driver_works() -> None:
    if not POSTGRES_URL:
        pytest.skip("ENROLL834_TEST_POSTGRES_URL not set")
    from tests.conftest import _postgres_schema_url

    for url in _postgres_schema_url(POSTGRES_URL):
        plain = url.replace("postgresql+psycopg://", "postgresql://")
        res = _invoke("--db", plain, "init", "--json")
        assert res.exit_code == 0, res.output
        dispose()


# ---------------------------------------------------------------- never retryable: 78


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """Makes a file or folder unwritable for this process: mode bits for a normal user,
    the immutable attribute under root (who ignores mode bits); undone afterwards."""
    done: list[Path] = []

    def make(path: Path) -> None:
        if os.geteuid() == 0:
            if shutil.which("chattr") is None or subprocess.run(
                    ["chattr", "+i", str(path)], capture_output=True).returncode != 0:
                pytest.skip("running as root without chattr +i: cannot make a file read-only")
        else:
            path.chmod(0o555 if path.is_dir() else 0o444)
        done.append(path)

    yield make
    for path in done:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        path.chmod(0o700 if path.is_dir() else 0o600)


def _make_db(folder: Path) -> str:
    url = f"sqlite:///{folder / 'l.db'}"
    assert _invoke("--db", url, "init", "--json").exit_code == 0
    dispose()
    return url


def _expect_78(args: list[str], cause: str, folder: Path) -> None:
    dispose()
    res = _invoke(*args)
    assert res.exit_code == 78, res.output
    assert cause in res.stderr and "temporary" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not [p for p in folder.iterdir() if p.name.endswith(("-wal", "-shm"))]


def test_a_read_only_database_file_is_78(tmp_path: Path, read_only) -> None:
    url = _make_db(tmp_path)
    read_only(tmp_path / "l.db")
    _expect_78(["--db", url, "ingest", "/dev/null"], "read-only", tmp_path)
    _expect_78(["--db", url, "review", "list"], "read-only", tmp_path)


def test_a_folder_that_is_not_writable_is_78(tmp_path: Path, read_only) -> None:
    data = tmp_path / "data"
    data.mkdir()
    read_only(data)
    _expect_78(["--db", f"sqlite:///{data / 'l.db'}", "review", "list"], "not writable", data)
    assert not (data / "l.db").exists()


def test_a_database_in_a_folder_that_is_not_writable_is_78(tmp_path: Path, read_only) -> None:
    data = tmp_path / "data"
    data.mkdir()
    url = _make_db(data)
    read_only(data)  # SQLite could not create -wal/-shm beside the file
    _expect_78(["--db", url, "review", "list"], "not writable", data)


def test_a_missing_folder_is_78(tmp_path: Path) -> None:
    _expect_78(["--db", "sqlite:////nonexistent/dir/x.db", "review", "list"], "does not exist",
               tmp_path)


def test_driver_level_permission_errors_are_78_not_75() -> None:
    import sqlite3

    import sqlalchemy as sa

    for text in ("attempt to write a readonly database", "unable to open database file"):
        exc = sa.exc.OperationalError("INSERT", {}, sqlite3.OperationalError(text))
        mapped = cli.map_exception(exc)
        assert mapped is not None and mapped.exit_code == 78, text
