"""Database access: engines, migrations, and the test-only crash hook.

`upgrade(url)` creates or upgrades the schema with Alembic (the migrations
ship inside the package). `engine(url)` returns a cached engine; on SQLite
it turns on WAL with synchronous=NORMAL and makes every transaction
`BEGIN IMMEDIATE`, so writers serialise on the database lock instead of
failing late. This module and `ledger.store.schema` are the only places that know
about the database driver. Engines hide bound parameters in error messages
(they may hold PHI).
"""

from __future__ import annotations

import datetime as dt
import os
import signal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

_ENGINES: dict[str, Engine] = {}
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class LedgerError(Exception):
    """A ledger operation failed for a reason the operator can act on (message has no PHI)."""


def utcnow() -> dt.datetime:
    """Now, in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def engine(url: str) -> Engine:
    """The shared engine for `url` (SQLite gets WAL, NORMAL sync, immediate transactions)."""
    eng = _ENGINES.get(url)
    if eng is not None:
        return eng
    if url.startswith("sqlite"):
        eng = sa.create_engine(url, connect_args={"timeout": 60}, hide_parameters=True)

        @event.listens_for(eng, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(eng, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    else:
        eng = sa.create_engine(url, pool_pre_ping=True, hide_parameters=True)
    _ENGINES[url] = eng
    return eng


def dispose(url: str | None = None) -> None:
    """Close pooled connections (all engines when `url` is None)."""
    for key in [url] if url else list(_ENGINES):
        eng = _ENGINES.pop(key, None) if key else None
        if eng is not None:
            eng.dispose()


def upgrade(url: str) -> None:
    """Create or upgrade the ledger schema at `url` to the newest migration."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def trigger_statements(dialect: str, tables: tuple[str, ...]) -> list[str]:
    """DDL that makes `tables` refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL)."""
    out: list[str] = []
    if dialect == "sqlite":
        for t in tables:
            for op in ("UPDATE", "DELETE"):
                out.append(
                    f"CREATE TRIGGER {t}_no_{op.lower()} BEFORE {op} ON {t} "
                    f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END"
                )
        return out
    out.append(
        "CREATE OR REPLACE FUNCTION enroll834_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$"
    )
    for t in tables:
        out.append(
            f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
            "FOR EACH ROW EXECUTE FUNCTION enroll834_append_only()"
        )
        out.append(
            f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
            "FOR EACH STATEMENT EXECUTE FUNCTION enroll834_append_only()"
        )
    return out


_crash_count = 0
_CRASH_AT = int(os.environ.get("ENROLL834_CRASH_AT") or 0)


def crash_point() -> None:
    """Test hook: SIGKILL this process at the n-th call when ENROLL834_CRASH_AT=n.

    Called at every write batch and commit boundary of an ingest. Without the
    environment variable it only counts.
    """
    global _crash_count
    _crash_count += 1
    if _CRASH_AT and _crash_count == _CRASH_AT:
        os.kill(os.getpid(), signal.SIGKILL)


def crash_points_seen() -> int:
    """How many crash points this process has passed (for tests sizing a kill sweep)."""
    return _crash_count
