"""A client's file uploads: an 834 (stream, diskette or tape image) sent from the browser
enters the same drop pipeline as a trading partner's folder, bound to the client.

    <root>/<client>/incoming/.<name>  ──rename──▶  <root>/<client>/inbox/<name>
        ──ledger.drops.run_drop (settle 0, bound_sponsors = the client's groups)──▶
    <root>/<client>/archive | quarantine, outbox/<name>.<ISA13>.ta1 · .999 · <name>.report.txt

- `receive` (privileges submit_changes, submit_enrollment and cobra) writes the bytes 0600 under a name made of the
  client id, the time and a random part (never the browser's file name, which may name a
  person), then runs the client's inbox once: acknowledgments, reports, archive and
  quarantine are the drop folder's. A set whose sponsor (N1*P5) is not one of the
  client's groups is rejected (`client.sponsor_not_allowed`, IK5 R), whoever the ISA06
  sender; the trading-partner settings (strict partners, date windows) apply as usual.
- `uploads` / `upload` read the outcomes back from the drop's claims (`drop_claims`,
  keyed by the client's inbox); a name outside the client is `NotFound`.
- `upload_report` is the sender report's text (no member data).

Audited: `client.upload` (before the run: size and SHA-256), `client.upload_result`
(disposition, reason, set counts), `client.upload_report`. No detail holds a value.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ledger.clients.accounts import Client, NotFound, client_in
from ledger.desk import Actor, NotPermitted
from ledger.drops import TemporaryFailure, drop_claims, run_drop
from ledger.settings import Settings
from ledger.store import LedgerError, audit, engine, utcnow

NAME = re.compile(r"^[A-Z0-9]{2,15}-\d{8}T\d{6}-[0-9a-f]{8}\.x12$")
"""An upload's name on disk (and in its URL): client id, UTC time, random part."""

HEADLINES = {
    "accepted": "Accepted",
    "accepted with errors": "Accepted with errors",
    "partially accepted": "Partially accepted",
    "rejected": "Rejected",
}


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file as the client sees it: where it stands and what was acknowledged.

    `state` is 'done', 'processing' (a worker holds it) or 'waiting' (received, not yet
    taken: the client's next upload or `drops run` on its inbox takes it).
    `verdicts` are `ledger.drops` verdict rows (TA1 / AK9 / IK5 with their words)."""

    name: str
    state: str
    received_at: dt.datetime | None = None
    size: int | None = None
    disposition: str = ""
    reason: str = ""
    explanation: str = ""
    verdicts: tuple[dict[str, Any], ...] = ()
    sets: dict[str, int] = field(default_factory=dict)
    members: dict[str, int] = field(default_factory=dict)
    acks: tuple[str, ...] = ()

    @property
    def headline(self) -> str:
        """The file's acknowledgment in one phrase: Accepted, Accepted with errors,
        Partially accepted or Rejected (or where it stands while not done)."""
        if self.state != "done":
            return {"processing": "Being processed", "waiting": "Received, waiting"}[self.state]
        if self.disposition == "quarantine" or not self.verdicts:
            return HEADLINES["rejected"]
        if any(v["level"] == "interchange" and v["code"] == "R" for v in self.verdicts):
            return HEADLINES["rejected"]
        codes = {v["code"] for v in self.verdicts if v["level"] == "set"}
        if not codes or codes == {"R"}:
            return HEADLINES["rejected"]
        if "R" in codes or "P" in codes:
            return HEADLINES["partially accepted"]
        return HEADLINES["accepted with errors" if "E" in codes else "accepted"]

    @property
    def report_name(self) -> str:
        return f"{self.name}.report.txt"


def _client_dir(root: Path, client: Client) -> Path:
    return root.resolve() / client.client_id


def inbox_of(root: Path, client: Client) -> Path:
    """The client's upload inbox (`<root>/<client>/inbox`)."""
    return _client_dir(root, client) / "inbox"


def _private(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def _bound(settings: Settings, client: Client) -> Settings:
    """The settings of the client's inbox: directories its own, taken at once, bound to
    the client's sponsors."""
    drops = settings.drops.model_copy(update={
        "bound_sponsors": client.sponsors, "settle_seconds": 0.0, "work_dir": None,
        "archive_dir": None, "quarantine_dir": None, "outbox_dir": None,
    })  # fmt: skip
    return settings.model_copy(update={"drops": drops})


UPLOAD_PRIVILEGES = ("submit_changes", "submit_enrollment", "cobra")
"""A file may hold changes, terminations, enrollments and COBRA enrollments alike."""


def receive(settings: Settings, actor: Actor, data: bytes, root: Path, *,
            max_bytes: int) -> Upload:  # fmt: skip
    """Take one uploaded file for `actor`'s client and run it through the client's inbox.

    NotPermitted without every `UPLOAD_PRIVILEGES` (a file may carry any kind of
    change, so uploading never exceeds what the forms allow); LedgerError for an empty file or
    one larger than `max_bytes` (nothing written). Returns the file's Upload (normally
    'done'; 'waiting' when the database was busy - the file stays in the inbox).
    """
    eng = engine(settings.database_url)
    with eng.connect() as conn:
        client = client_in(conn, actor)
    if not all(client.may(p) for p in UPLOAD_PRIVILEGES):
        raise NotPermitted("client.changes: uploading a file needs the submit-changes, "
                           "submit-enrollments and COBRA privileges")
    if not data:
        raise LedgerError("the file is empty")
    if len(data) > max_bytes:
        raise LedgerError(f"the file is larger than {max_bytes // 1_000_000} MB")
    now = utcnow()
    name = f"{client.client_id}-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}.x12"
    sha = hashlib.sha256(data).hexdigest()
    base = _private(_client_dir(root, client))
    for sub in ("incoming", "inbox", "work", "archive", "quarantine", "outbox"):
        _private(base / sub)
    with eng.begin() as conn:
        audit(conn, actor.user_id, "client.upload", target=name,
              details={"client": client.client_id, "bytes": len(data), "sha256": sha})
    tmp = base / "incoming" / f".{name}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, inbox_of(root, client) / name)
    finally:
        tmp.unlink(missing_ok=True)
    with contextlib.suppress(TemporaryFailure):  # the file waits: its state says so
        run_drop(_bound(settings, client), inbox_of(root, client), actor=actor.user_id)
    up = _read(eng, root, client, name)
    with eng.begin() as conn:
        audit(conn, actor.user_id, "client.upload_result", target=name,
              details={"client": client.client_id, "state": up.state,
                       "disposition": up.disposition, "reason": up.reason, "sets": up.sets})  # fmt: skip
    return up


def _from_row(row: Any) -> Upload:
    out = json.loads(row.outcome) if row.outcome else {}
    state = "done" if row.state == "done" else "processing"
    return Upload(row.name, state, row.claimed_at, row.size, out.get("disposition") or "",
                  out.get("reason") or "", out.get("explanation") or "",
                  tuple(out.get("verdicts") or ()), dict(out.get("sets") or {}),
                  dict(out.get("members") or {}), tuple(out.get("acks") or ()))  # fmt: skip


def _read(eng: sa.Engine, root: Path, client: Client, name: str) -> Upload:
    if not NAME.match(name) or not name.startswith(f"{client.client_id}-"):
        raise NotFound("no such upload in this account")
    inbox = inbox_of(root, client)
    with eng.connect() as conn:
        row = conn.execute(sa.select(drop_claims)
                           .where(drop_claims.c.inbox == str(inbox), drop_claims.c.name == name,
                                  drop_claims.c.state != "abandoned")
                           .order_by(drop_claims.c.claimed_at.desc())).first()  # fmt: skip
    if row is not None:
        return _from_row(row)
    if (inbox / name).is_file():
        return Upload(name, "waiting")
    raise NotFound("no such upload in this account")


def upload(target: str, actor: Actor, root: Path, name: str) -> Upload:
    """One upload of `actor`'s client by name; NotFound for any other name."""
    eng = engine(target)
    with eng.connect() as conn:
        client = client_in(conn, actor)
    return _read(eng, root, client, name)


def uploads(target: str, actor: Actor, root: Path, limit: int = 50) -> list[Upload]:
    """The client's uploads, newest first (those taken by a worker)."""
    eng = engine(target)
    with eng.connect() as conn:
        client = client_in(conn, actor)
        rows = conn.execute(sa.select(drop_claims)
                            .where(drop_claims.c.inbox == str(inbox_of(root, client)),
                                   drop_claims.c.state != "abandoned")
                            .order_by(drop_claims.c.claimed_at.desc()).limit(limit)).all()  # fmt: skip
    return [_from_row(r) for r in rows]


def upload_report(target: str, actor: Actor, root: Path, name: str) -> str:
    """The sender report of one of the client's uploads (audited); NotFound when absent."""
    eng = engine(target)
    with eng.connect() as conn:
        client = client_in(conn, actor)
    up = _read(eng, root, client, name)
    path = _client_dir(root, client) / "outbox" / up.report_name
    if up.state != "done" or not path.is_file():
        raise NotFound("the report of this upload is not written yet")
    text = path.read_text(encoding="ascii", errors="replace")
    with eng.begin() as conn:
        audit(conn, actor.user_id, "client.upload_report", target=name,
              details={"client": client.client_id})
    return text
