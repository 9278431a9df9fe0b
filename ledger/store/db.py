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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

_ENGINES: dict[str, Engine] = {}
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class LedgerError(Exception):
    """A ledger operation failed for a reason the operator can act on (message has no PHI)."""


def utcnow() -> dt.datetime:
    """Now, in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


SUPPORTED = "sqlite:///PATH or postgresql://USER@HOST/DB"
POOL_SIZE = 15
"""PostgreSQL connections one process keeps at most (SQLAlchemy's default 5 + 10 overflow)."""
PHI_FILE_MODE = 0o600
"""The mode of the SQLite database file; SQLite gives its -wal and -shm files the same."""


def normalise_url(url: str) -> sa.URL:
    """`url` parsed, with `postgresql://` (and `postgres://`) meaning PostgreSQL through psycopg.

    Raises ConfigError (exit 78) for an unparsable URL or a database other than
    SQLite and PostgreSQL; the message never repeats the URL (it may hold a password).
    """
    from ledger.settings import ConfigError

    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        raise ConfigError(f"database URL is not valid (expected {SUPPORTED})") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return parsed
    raise ConfigError(f"database URL: '{parsed.drivername}' is not supported (use {SUPPORTED})")


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL, or None (PostgreSQL, in-memory, URI forms)."""
    parsed = normalise_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" \
            or name.startswith("file:"):
        return None
    return Path(name)


def _prepare_sqlite_file(path: Path) -> None:
    """Refuse (ConfigError, exit 78) a database SQLite could never write: a missing or
    unwritable folder, a read-only file; create a new file with mode 0600 (it holds PHI)."""
    from ledger.settings import ConfigError

    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ConfigError(f"database folder {folder} does not exist")
    # SQLite in WAL mode creates -wal and -shm beside the file: the folder must be writable.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"database folder {folder} is not writable (permission denied)")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise ConfigError(f"database file {path} is read-only (permission denied)")
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PHI_FILE_MODE))
    except FileExistsError:
        pass  # another process created it first
    except PermissionError:
        raise ConfigError(f"database folder {folder} is not writable (permission denied)") from None


def tighten_file_mode(url: str) -> int | None:
    """Set the SQLite database file (and its -wal/-shm) to 0600 when any of them allows
    more; the loosest mode found, or None when nothing was looser (or not SQLite)."""
    path = sqlite_file(url)
    if path is None:
        return None
    loosest: int | None = None
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = p.stat().st_mode & 0o777
        except FileNotFoundError:
            continue
        if mode & ~PHI_FILE_MODE:
            os.chmod(p, PHI_FILE_MODE)
            loosest = mode if loosest is None else loosest | mode
    return loosest


def engine(url: str) -> Engine:
    """The shared engine for `url` (SQLite gets WAL, NORMAL sync, immediate transactions).

    `postgresql://` means PostgreSQL through psycopg. A new SQLite file is created
    with mode 0600. Raises ConfigError (exit 78) for an unsupported database, a
    missing or unwritable folder, or a read-only database file.
    """
    eng = _ENGINES.get(url)
    if eng is not None:
        return eng
    parsed = normalise_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is not None:
            _prepare_sqlite_file(path)
        eng = sa.create_engine(parsed, connect_args={"timeout": 60}, hide_parameters=True)

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
        # Up to 15 connections, all kept once opened: a server's threads (the browser face
        # runs many requests at once) reuse warm connections, with their prepared
        # statements, instead of opening and closing overflow ones under load.
        eng = sa.create_engine(parsed, pool_pre_ping=True, hide_parameters=True,
                               pool_size=POOL_SIZE, max_overflow=0)  # fmt: skip
    _ENGINES[url] = eng
    return eng


def insert_rows(conn: Connection, table: str, cols: Sequence[str], data: list[Any]) -> None:
    """INSERT driver-ready tuples into `table`, inside `conn`'s transaction.

    SQLite: one executemany. PostgreSQL: one COPY FROM STDIN (psycopg writes the rows in
    its C code as one stream; an executemany is a round of Python per row), with the
    driver's errors raised as SQLAlchemy's, as an execute would raise them.
    """
    names = ", ".join(f'"{c}"' for c in cols)
    if conn.dialect.name != "postgresql":
        marks = ", ".join("?" for _ in cols)
        conn.exec_driver_sql(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', data)
        return
    statement = f'COPY "{table}" ({names}) FROM STDIN'
    raw: Any = conn.connection.driver_connection
    dbapi: Any = conn.dialect.loaded_dbapi
    try:
        with raw.cursor() as cur, cur.copy(statement) as copy:
            write = copy.write_row
            for row in data:
                write(row)
    except dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(
            statement, None, exc, dbapi.Error, hide_parameters=True, dialect=conn.dialect,
            ismulti=True) from exc


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


OPEN_ITEM = "status IN ('open', 'assigned')"
"""An open review item (open or assigned), as SQL: the predicate of `ix_review_items_open`
and of the queue-count triggers."""


QUEUE_COUNT_SLOTS = 256
"""Rows per queue in `review_queue_counts`: an item counts in slot id % 256, so a transaction
that opens thousands of items (a large file's ingest) updates each row a few dozen times
rather than one row thousands of times (PostgreSQL keeps every version of a row a running
transaction updated, and each update walks them)."""


def queue_count_statements(dialect: str) -> list[str]:
    """DDL of the triggers that keep `review_queue_counts` (queue, slot) summing to the open
    review items per queue: an item inserted or deleted open, or updated into or out of the
    open statuses or into another queue, moves its slot's count (an assignment moves
    nothing, and so takes no lock on a count). Safe to run again (each trigger is dropped
    first)."""
    was, now = OPEN_ITEM.replace("status", "OLD.status"), OPEN_ITEM.replace("status", "NEW.status")
    moved = f"OLD.queue IS NOT NEW.queue OR ({was}) IS NOT ({now})"
    names = ("review_queue_count_insert", "review_queue_count_delete", "review_queue_count_update")
    n = QUEUE_COUNT_SLOTS
    if dialect == "sqlite":
        dec = ("UPDATE review_queue_counts SET open_items = open_items - 1 "
               f"WHERE queue = OLD.queue AND slot = OLD.id % {n}")  # fmt: skip
        inc = ("INSERT OR IGNORE INTO review_queue_counts (queue, slot, open_items) "
               f"SELECT NEW.queue, NEW.id % {n}, 0 WHERE {now}; "
               "UPDATE review_queue_counts SET open_items = open_items + 1 "
               f"WHERE queue = NEW.queue AND slot = NEW.id % {n} AND {now}")  # fmt: skip
        out = [f"DROP TRIGGER IF EXISTS {name}" for name in names]
        out.append(f"CREATE TRIGGER {names[0]} AFTER INSERT ON review_items WHEN {now} "
                   f"BEGIN {inc}; END")  # fmt: skip
        out.append(f"CREATE TRIGGER {names[1]} AFTER DELETE ON review_items WHEN {was} "
                   f"BEGIN {dec}; END")  # fmt: skip
        out.append(f"CREATE TRIGGER {names[2]} AFTER UPDATE OF status, queue ON review_items "
                   f"WHEN {moved} BEGIN {dec} AND {was}; {inc}; END")  # fmt: skip
        return out
    out = [f"DROP TRIGGER IF EXISTS {name} ON review_items" for name in names]
    out.append(
        "CREATE OR REPLACE FUNCTION enroll834_review_queue_count() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN IF {was} THEN "
        "UPDATE review_queue_counts SET open_items = open_items - 1 "
        f"WHERE queue = OLD.queue AND slot = OLD.id % {n}; "
        "END IF; END IF; "
        f"IF TG_OP <> 'DELETE' THEN IF {now} THEN "
        "UPDATE review_queue_counts SET open_items = open_items + 1 "
        f"WHERE queue = NEW.queue AND slot = NEW.id % {n}; "
        "IF NOT FOUND THEN "
        "INSERT INTO review_queue_counts AS c (queue, slot, open_items) "
        f"VALUES (NEW.queue, NEW.id % {n}, 1) "
        "ON CONFLICT (queue, slot) DO UPDATE SET open_items = c.open_items + 1; "
        "END IF; END IF; END IF; RETURN NULL; END $$"
    )
    moved_pg = moved.replace(" IS NOT ", " IS DISTINCT FROM ")
    for name, when, op in ((names[0], now, "INSERT"), (names[1], was, "DELETE"),
                           (names[2], moved_pg, "UPDATE OF status, queue")):
        out.append(f"CREATE TRIGGER {name} AFTER {op} ON review_items FOR EACH ROW "
                   f"WHEN ({when}) EXECUTE FUNCTION enroll834_review_queue_count()")
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
