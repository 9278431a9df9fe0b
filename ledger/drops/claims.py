"""Claims on drop-folder files, held in the database so any number of workers can share an inbox.

A claim is a `drop_claims` row plus a liveness lock that only its worker holds:

- PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) on the claim's
  `lock_key`, taken without waiting, so a worker skips what another holds,
  like SKIP LOCKED. The server drops it the moment the worker's connection
  dies (SIGKILL included), and it does not hinder the worker's own updates of
  the row, which a held row lock would.
- SQLite (one host): an exclusive `flock` on `<work>/.locks/<id>.lock`; the
  kernel drops it when the process dies.

The lock is taken before the row is written and before the file is renamed,
so there is no moment when a live claim looks abandoned. A claim whose lock
can be taken while its state is not final belongs to a dead worker:
`adopt_orphans` hands it to the caller, lock held. States:

    taking -> working -> ingested -> done
       \\-> abandoned (the rename never happened)   released (given back to the inbox)

`DbControlNumbers` hands out acknowledgment control numbers from the
`ack_control_numbers` table, unique across workers.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.store import engine, utcnow

metadata = sa.MetaData()
TS = sa.DateTime(timezone=True)

drop_claims = sa.Table(
    "drop_claims",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("lock_key", sa.BigInteger, nullable=False),
    sa.Column("inbox", sa.String(600), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("work_name", sa.String(340), nullable=False),
    sa.Column("file_sha256", sa.String(64), nullable=True),
    sa.Column("size", sa.BigInteger, nullable=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("outcome", sa.Text, nullable=True),
    sa.Column("destination", sa.String(900), nullable=True),
    sa.Column("worker", sa.String(160), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=1),
    sa.Column("claimed_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

LIVE_STATES = ("taking", "working", "ingested")
FINAL_STATES = ("done", "abandoned", "released")
_LOCK_NAMESPACE = 834


def worker_id() -> str:
    """'host:pid' of this process (what a claim records as its owner)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class Claim:
    """One claimed file: `work_name` is its name in the work directory."""

    id: str
    lock_key: int
    name: str
    work_name: str
    state: str
    outcome: dict[str, Any] | None = None
    destination: str | None = None
    attempts: int = 1


def _claim(row: Any) -> Claim:
    return Claim(
        id=row.id, lock_key=int(row.lock_key), name=row.name, work_name=row.work_name,
        state=row.state, outcome=json.loads(row.outcome) if row.outcome else None,
        destination=row.destination, attempts=int(row.attempts),
    )  # fmt: skip


class _Locks:
    """Liveness locks of this worker (advisory on PostgreSQL, flock files on SQLite)."""

    def __init__(self, eng: Engine, lock_dir: Path) -> None:
        self.pg = eng.dialect.name == "postgresql"
        self.eng = eng
        self.lock_dir = lock_dir
        self.conn: Connection | None = None
        self.files: dict[int, int] = {}

    def _session(self) -> Connection:
        if self.conn is None:
            self.conn = self.eng.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self.conn

    def try_lock(self, key: int) -> bool:
        if self.pg:
            got = (
                self._session()
                .execute(
                    sa.text("SELECT pg_try_advisory_lock(:ns, :k)"),
                    {"ns": _LOCK_NAMESPACE, "k": key},
                )
                .scalar()
            )
            return bool(got)
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_dir / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self.files[key] = fd
        return True

    def unlock(self, key: int, *, finished: bool = False) -> None:
        if self.pg:
            if self.conn is not None:
                self.conn.execute(
                    sa.text("SELECT pg_advisory_unlock(:ns, :k)"), {"ns": _LOCK_NAMESPACE, "k": key}
                )
            return
        fd = self.files.pop(key, None)
        if fd is None:
            return
        if finished:
            # A scanner that opens the old name after this re-reads the row and sees it final.
            with contextlib.suppress(OSError):
                (self.lock_dir / f"{key}.lock").unlink()
        os.close(fd)

    def close(self) -> None:
        for key in list(self.files):
            self.unlock(key)
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _key(lock_key: int) -> int:
    # Advisory lock objid is a signed 32-bit int on the two-key form.
    return lock_key % 2_147_483_647


class ClaimStore:
    """Claims of one inbox, for one worker. Not thread-safe; one per process."""

    def __init__(self, url: str, inbox: Path, lock_dir: Path, worker: str | None = None) -> None:
        self.eng = engine(url)
        self.inbox = str(inbox.resolve())
        self.worker = worker or worker_id()
        self.locks = _Locks(self.eng, lock_dir)

    def close(self) -> None:
        """Give up every lock this worker holds (its claims become adoptable)."""
        self.locks.close()

    def new(self, name: str) -> Claim:
        """Lock and record a claim on inbox file `name` (state 'taking'); rename it next."""
        cid = uuid.uuid4().hex
        lock_key = _key(int(cid[:15], 16))
        if not self.locks.try_lock(lock_key):  # pragma: no cover - a fresh random key
            raise RuntimeError("claim lock collision")
        work_name = f"{cid[:12]}.{name}"
        now = utcnow()
        try:
            with self.eng.begin() as conn:
                conn.execute(drop_claims.insert().values(
                    id=cid, lock_key=lock_key, inbox=self.inbox, name=name, work_name=work_name,
                    state="taking", worker=self.worker, attempts=1, claimed_at=now, updated_at=now,
                ))  # fmt: skip
        except BaseException:
            self.locks.unlock(lock_key, finished=True)
            raise
        return Claim(cid, lock_key, name, work_name, "taking")

    def update(self, claim: Claim, state: str, **values: Any) -> Claim:
        """Move `claim` to `state` (values: file_sha256, size, outcome, destination)."""
        if "outcome" in values and values["outcome"] is not None:
            values["outcome"] = json.dumps(values["outcome"], sort_keys=True)
        with self.eng.begin() as conn:
            conn.execute(
                drop_claims.update().where(drop_claims.c.id == claim.id)
                .values(state=state, updated_at=utcnow(), worker=self.worker, **values)
            )  # fmt: skip
        outcome = values.get("outcome")
        return Claim(
            claim.id, claim.lock_key, claim.name, claim.work_name, state,
            json.loads(outcome) if isinstance(outcome, str) else claim.outcome,
            values.get("destination", claim.destination), claim.attempts,
        )  # fmt: skip

    def finish(self, claim: Claim, state: str, **values: Any) -> None:
        """Record the final `state` and let go of the claim's lock."""
        self.update(claim, state, **values)
        self.locks.unlock(claim.lock_key, finished=True)

    def let_go(self, claim: Claim) -> None:
        """Release the lock without changing the row: another worker will adopt the claim."""
        self.locks.unlock(claim.lock_key)

    def adopt_orphans(self) -> Iterator[Claim]:
        """Claims of dead workers on this inbox, each yielded with its lock now held by us.

        The caller must `finish` or `let_go` every claim it receives.
        """
        with self.eng.connect() as conn:
            rows = conn.execute(
                sa.select(drop_claims.c.id, drop_claims.c.lock_key)
                .where(drop_claims.c.inbox == self.inbox, drop_claims.c.state.in_(LIVE_STATES))
                .order_by(drop_claims.c.claimed_at)
            ).all()  # fmt: skip
        for cid, lock_key in rows:
            if not self.locks.try_lock(int(lock_key)):
                continue
            with self.eng.begin() as conn:
                row = conn.execute(sa.select(drop_claims).where(drop_claims.c.id == cid)).first()
                if row is None or row.state not in LIVE_STATES:
                    self.locks.unlock(int(lock_key))
                    continue
                conn.execute(
                    drop_claims.update().where(drop_claims.c.id == cid)
                    .values(attempts=drop_claims.c.attempts + 1, worker=self.worker,
                            updated_at=utcnow())
                )  # fmt: skip
            yield _claim(row)

    def states(self) -> dict[str, int]:
        """How many claims of this inbox are in each state."""
        with self.eng.connect() as conn:
            rows = conn.execute(
                sa.select(drop_claims.c.state, sa.func.count())
                .where(drop_claims.c.inbox == self.inbox).group_by(drop_claims.c.state)
            ).all()  # fmt: skip
        return {str(s): int(n) for s, n in rows}


_TIMEOUTS: dict[str, tuple[int, float]] = {}


def set_lock_timeout(url: str, seconds: float) -> None:
    """Make connections to `url` give up on a locked database after `seconds` (then the
    command exits 75) instead of the engine's default wait. Call before first use."""
    eng = engine(url)
    if _TIMEOUTS.get(url) == (id(eng), seconds):  # a disposed engine's successor needs it again
        return
    millis = max(1, int(seconds * 1000))
    sqlite = eng.dialect.name == "sqlite"

    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={millis}" if sqlite else f"SET lock_timeout = {millis}")
        cur.close()
        if not sqlite:
            dbapi_conn.commit()

    sa.event.listen(eng, "connect", _on_connect)
    _TIMEOUTS[url] = (id(eng), seconds)
    eng.pool.dispose()
