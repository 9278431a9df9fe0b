"""Shared fixtures: paths, the public corpus, and one database fixture run on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CORPUS = (ROOT / ".." / "shared" / "corpus").resolve()
POSTGRES_URL = os.environ.get("ENROLL834_TEST_POSTGRES_URL", "")


@pytest.fixture
def corpus_dir() -> Path:
    """../shared/corpus (public sample 834s); the test skips where it is absent."""
    if not CORPUS.is_dir():
        pytest.skip("public corpus ../shared/corpus not present")
    return CORPUS


def _postgres_schema_url(base: str) -> Iterator[str]:
    """A fresh PostgreSQL schema per test, dropped afterwards; the URL selects it."""
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """One empty database per test: a SQLite file, and a PostgreSQL schema.

    PostgreSQL tests skip only where ENROLL834_TEST_POSTGRES_URL is unset;
    .ci/run sets it (and ENROLL834_REQUIRE_POSTGRES=1 turns a skip into a failure).
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    yield from _postgres_or_skip()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An empty PostgreSQL schema, for a test only a server can run (concurrent sessions);
    skipped and failed as `db_url`'s PostgreSQL case is."""
    yield from _postgres_or_skip()


def _postgres_or_skip() -> Iterator[str]:
    if not POSTGRES_URL:
        if os.environ.get("ENROLL834_REQUIRE_POSTGRES"):
            pytest.fail("ENROLL834_REQUIRE_POSTGRES is set but ENROLL834_TEST_POSTGRES_URL is not")
        pytest.skip("ENROLL834_TEST_POSTGRES_URL not set")
    yield from _postgres_schema_url(POSTGRES_URL)


PG_SKIP_REASON = "ENROLL834_TEST_POSTGRES_URL not set"
DEFAULT_POSTGRES = ("127.0.0.1", 5432)


def postgres_answers(host: str, port: int, timeout: float = 0.3) -> bool:
    """True when something accepts a TCP connection at host:port (a PostgreSQL server, most
    likely); never raises."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def postgres_hint(skipped: int, url: str, answers: bool) -> str | None:
    """The one line to print after a run that skipped `skipped` PostgreSQL tests although a
    server answers at the default address, or None when there is nothing to say."""
    if url or not skipped or not answers:
        return None
    host, port = DEFAULT_POSTGRES
    return (f"{skipped} PostgreSQL tests skipped, but a server answers at {host}:{port}: set "
            f"ENROLL834_TEST_POSTGRES_URL=postgresql+psycopg://USER@{host}:{port}/DB to run them")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    """After the run (below pytest's own summary): say which variable turns the skipped
    PostgreSQL tests on (CI sets it and ENROLL834_REQUIRE_POSTGRES, so it never skips)."""
    yield
    skipped = sum(
        1 for rep in terminalreporter.stats.get("skipped", [])
        if isinstance(rep.longrepr, tuple) and PG_SKIP_REASON in str(rep.longrepr[2])
    )
    if not skipped or POSTGRES_URL:
        return
    line = postgres_hint(skipped, POSTGRES_URL, postgres_answers(*DEFAULT_POSTGRES))
    if line:
        terminalreporter.write_line(line, yellow=True)
