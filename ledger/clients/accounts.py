"""Client accounts: employer-group clients, their administrator and delegated users.

A client is one sponsor (N1*P5) or a family of sponsors it administers. Its users are
ordinary rows of `users` (so the browser's sign-in, sessions, CSRF and lockout are the
staff ones) holding the role `client` plus privileges `client.<name>`, and a row of
`client_users` binding each to exactly one client.

- `invite` (staff: administrator or operator) creates the client and its administrator
  user ID, or re-issues the administrator's code, and writes the mailed letter (PDF,
  mail room 0700, letter 0600). The code is never returned, shown or logged: it exists
  only in the letter and as a scrypt hash. Re-issuing replaces the hash (the old code
  stops working) and ends the user's live sessions.
- A mailed code signs in once to choose a password (`set_password`: at least 12
  characters, not on the shipped list of common passwords, not the user ID); the
  password replaces the code's hash.
- The client administrator manages its users (`add_client_user`, `set_privileges`,
  `deactivate_client_user`, `reissue_code`); privileges never exceed its own, and a user
  of another client is `NotFound`, exactly as a user that does not exist.

Every change is audited in the transaction that makes it; no detail holds a code,
a password or PHI.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.clients.letters import Letter, write_letter
from ledger.desk import Actor, NotPermitted, users
from ledger.desk import auth as _auth
from ledger.store import (
    LedgerError,
    audit,
    client_tables,
    engine,
    require_group,
    session_tables,
    utcnow,
)
from ledger.store import schema as t

ct = client_tables
CLIENT_ROLE = "client"
PRIVILEGES: Mapping[str, str] = {
    "view_roster": "View the roster",
    "submit_changes": "Submit changes and terminations",
    "submit_enrollment": "Submit enrollments",
    "cobra": "Submit COBRA enrollments",
    "view_bills": "View bills",
    "manage_users": "Manage users (Account Access)",
}
"""Privilege name -> what it allows, in menu order. Stored as role `client.<name>`."""

MIN_PASSWORD = 12
_CLIENT_ID = re.compile(r"^[A-Z0-9]{2,15}$")


class NotFound(LedgerError):
    """Nothing with that id belongs to the signed-in user's client (or it does not exist)."""


@dataclass(frozen=True, slots=True)
class Address:
    """A client's address of record (where letters are mailed)."""

    name: str
    line1: str
    city: str
    state: str
    postal_code: str
    line2: str = ""

    def lines(self) -> list[str]:
        return [x for x in (self.name, self.line1, self.line2,
                            f"{self.city}, {self.state} {self.postal_code}") if x]  # fmt: skip


@dataclass(frozen=True, slots=True)
class MailRoom:
    """Where letters go (`folder`, kept 0700) and the sign-in address they print."""

    folder: Path
    site: str = ""


@dataclass(frozen=True, slots=True)
class Client:
    """The client a signed-in client user belongs to, as the pages need it."""

    client_id: str
    name: str
    sponsors: tuple[str, ...]
    user_id: str
    is_admin: bool
    must_set_password: bool
    privileges: frozenset[str]

    def may(self, privilege: str) -> bool:
        return privilege in self.privileges


@dataclass(frozen=True, slots=True)
class Invitation:
    """What `invite` did: the client, its administrator's user ID and the letter's path."""

    client_id: str
    user_id: str
    letter: Path
    reissued: bool


@dataclass(frozen=True, slots=True)
class ClientUser:
    """One user of a client as Account Access lists it."""

    user_id: str
    display_name: str
    is_admin: bool
    active: bool
    privileges: tuple[str, ...]
    last_sign_in: dt.datetime | None
    submissions: int
    must_set_password: bool


def role_of(privilege: str) -> str:
    return f"{CLIENT_ROLE}.{privilege}"


def _engine(target: str | Engine) -> Engine:
    return target if isinstance(target, Engine) else engine(target)


def default_client_id(sponsor_id: str) -> str:
    """'C' + the sponsor id's letters and digits (at most 15 characters: it is an ISA06)."""
    core = re.sub(r"[^A-Za-z0-9]", "", sponsor_id).upper()
    return ("C" + core)[:15]


# ---------------------------------------------------------------- invitations


def _address(raw: str) -> Address | None:
    d = json.loads(raw or "{}")
    return Address(**d) if d.get("line1") else None


def _new_code() -> str:
    """A code a person can type from paper: 4 groups of 4 (no 0/O/1/I/L)."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    raw = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _end_sessions(conn: Connection, user_id: str, by: str) -> None:
    ws = session_tables.web_sessions
    n = conn.execute(ws.update().where(ws.c.user_id == user_id, ws.c.revoked_at.is_(None))
                     .values(revoked_at=utcnow(), revoked_by=by, ended="revoked")).rowcount  # fmt: skip
    if n:
        audit(conn, by, "session.end", target=user_id, details={"why": "code_reissued", "sessions": n})


def _issue(conn: Connection, user_id: str, client_id: str, by: str, mail_room: MailRoom,
           *, created: bool, is_admin: bool) -> Path:  # fmt: skip
    """Set a fresh code for `user_id` and write its letter; returns the letter's path."""
    code = _new_code()
    now = utcnow()
    conn.execute(t.users.update().where(t.users.c.user_id == user_id)
                 .values(code_hash=_auth.hash_code(code)))  # fmt: skip
    conn.execute(ct.client_users.update().where(ct.client_users.c.user_id == user_id)
                 .values(must_set_password=True, code_issued_at=now))  # fmt: skip
    if not created:
        _end_sessions(conn, user_id, by)
    row = conn.execute(sa.select(ct.clients).where(ct.clients.c.client_id == client_id)).one()
    address = _address(row.address)
    if address is None:
        raise LedgerError(f"client {client_id} has no address of record")
    letter = Letter(client_id=client_id, client_name=row.name, address=address.lines(),
                    user_id=user_id, code=code, issued_at=now, administrator=is_admin,
                    site=mail_room.site)  # fmt: skip
    path = write_letter(letter, mail_room.folder)
    audit(conn, by, "client.code_issued", target=user_id,
          details={"client": client_id, "letter": path.name, "reissued": not created})
    return path


def invite(
    target: str | Engine,
    actor: Actor,
    sponsor_id: str,
    mail_room: MailRoom,
    *,
    client_id: str | None = None,
    name: str | None = None,
    address: Address | None = None,
    also: Iterable[str] = (),
) -> Invitation:
    """Create the client of `sponsor_id` (with the sponsors in `also`) and its administrator,
    or re-issue the administrator's code; write the letter into `mail_room`.

    The sponsor must be a configured group. A new client needs `address` (its address of
    record); a known one keeps its stored address unless `address` is given. NotPermitted
    (audited) unless `actor` may `groups.invite`.
    """
    eng = _engine(target)
    users.require(eng, actor, "groups.invite", sponsor_id)
    written: Path | None = None
    try:
        with eng.begin() as conn:
            written, inv = _invite_in(conn, actor, sponsor_id, mail_room, client_id=client_id,
                                      name=name, address=address, also=tuple(also))  # fmt: skip
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    return inv


def _invite_in(conn: Connection, actor: Actor, sponsor_id: str, mail_room: MailRoom, *,
               client_id: str | None, name: str | None, address: Address | None,
               also: tuple[str, ...]) -> tuple[Path, Invitation]:  # fmt: skip
    sponsors = [sponsor_id, *[s for s in also if s != sponsor_id]]
    for s in sponsors:
        require_group(conn, s)
    cs = ct.client_sponsors
    bound = conn.execute(sa.select(cs.c.client_id).where(cs.c.sponsor_id == sponsor_id)).first()
    cid = bound.client_id if bound else (client_id or default_client_id(sponsor_id)).upper()
    if client_id and client_id.upper() != cid:
        raise LedgerError(f"group {sponsor_id} already belongs to client {cid}")
    if not _CLIENT_ID.match(cid):
        raise LedgerError("a client id is 2-15 capital letters or digits")
    row = conn.execute(sa.select(ct.clients).where(ct.clients.c.client_id == cid)).first()
    group_name = conn.execute(sa.select(t.groups.c.name)
                              .where(t.groups.c.sponsor_id == sponsor_id)).scalar() or ""  # fmt: skip
    now = utcnow()
    if row is None:
        if address is None:
            raise LedgerError(f"client {cid}: give its address of record (--address-line1, "
                              "--city, --state, --postal-code)")  # fmt: skip
        conn.execute(ct.clients.insert().values(
            client_id=cid, name=name or group_name or cid, created_at=now,
            created_by=actor.user_id, address=json.dumps(_addr_dict(address)),
        ))  # fmt: skip
        audit(conn, actor.user_id, "client.create", target=cid, details={"sponsors": sponsors})
    else:
        values: dict[str, Any] = {}
        if address is not None:
            values["address"] = json.dumps(_addr_dict(address))
        if name:
            values["name"] = name
        if values:
            conn.execute(ct.clients.update().where(ct.clients.c.client_id == cid).values(**values))
            audit(conn, actor.user_id, "client.update", target=cid, details={"fields": sorted(values)})
    for s in sponsors:
        owner = conn.execute(sa.select(cs.c.client_id).where(cs.c.sponsor_id == s)).first()
        if owner is None:
            conn.execute(cs.insert().values(sponsor_id=s, client_id=cid))
            audit(conn, actor.user_id, "client.add_group", target=cid, details={"sponsor": s})
        elif owner.client_id != cid:
            raise LedgerError(f"group {s} already belongs to client {owner.client_id}")
    admin = conn.execute(sa.select(ct.client_users.c.user_id).where(
        ct.client_users.c.client_id == cid, ct.client_users.c.is_admin.is_(True))).first()  # fmt: skip
    created = admin is None
    user_id = f"{cid.lower()}.admin" if created else str(admin.user_id)  # type: ignore[union-attr]
    if created:
        if conn.execute(sa.select(t.users.c.user_id).where(t.users.c.user_id == user_id)).first():
            raise LedgerError(f"user '{user_id}' already exists")
        _create_user(conn, user_id, cid, actor.user_id, tuple(PRIVILEGES), is_admin=True,
                     display_name=f"{cid} administrator")  # fmt: skip
    else:
        conn.execute(t.users.update().where(t.users.c.user_id == user_id).values(active=True))
    path = _issue(conn, user_id, cid, actor.user_id, mail_room, created=created, is_admin=True)
    audit(conn, actor.user_id, "client.invite", target=cid,
          details={"user": user_id, "sponsor": sponsor_id, "reissued": not created})
    return path, Invitation(cid, user_id, path, not created)


def _addr_dict(a: Address) -> dict[str, str]:
    return {"name": a.name, "line1": a.line1, "line2": a.line2, "city": a.city,
            "state": a.state, "postal_code": a.postal_code}  # fmt: skip


def _create_user(conn: Connection, user_id: str, client_id: str, by: str,
                 privileges: tuple[str, ...], *, is_admin: bool, display_name: str) -> None:  # fmt: skip
    now = utcnow()
    # A placeholder hash until `_issue` sets the mailed code's.
    conn.execute(t.users.insert().values(
        user_id=user_id, display_name=display_name, code_hash="unset$", active=True,
        created_at=now, created_by=by,
    ))  # fmt: skip
    roles = [CLIENT_ROLE, *(role_of(p) for p in privileges)]
    conn.execute(t.user_roles.insert(), [{"user_id": user_id, "role": r} for r in roles])
    conn.execute(ct.client_users.insert().values(
        user_id=user_id, client_id=client_id, is_admin=is_admin, must_set_password=True,
        created_at=now, created_by=by,
    ))  # fmt: skip
    audit(conn, by, "client.user_create", target=user_id,
          details={"client": client_id, "privileges": sorted(privileges), "admin": is_admin})


# ---------------------------------------------------------------- the signed-in client


def client_of(target: str | Engine, actor: Actor) -> Client:
    """The client `actor` is bound to; NotPermitted when the actor is not a client user."""
    with _engine(target).connect() as conn:
        return client_in(conn, actor)


def client_in(conn: Connection, actor: Actor) -> Client:
    cu = ct.client_users
    row = conn.execute(sa.select(cu, ct.clients.c.name)
                       .join(ct.clients, ct.clients.c.client_id == cu.c.client_id)
                       .where(cu.c.user_id == actor.user_id)).first()  # fmt: skip
    if row is None:
        raise NotPermitted("not a client user")
    sponsors = tuple(r.sponsor_id for r in conn.execute(
        sa.select(ct.client_sponsors.c.sponsor_id)
        .where(ct.client_sponsors.c.client_id == row.client_id)
        .order_by(ct.client_sponsors.c.sponsor_id)))  # fmt: skip
    privileges = frozenset(p for p in PRIVILEGES if role_of(p) in actor.roles)
    return Client(row.client_id, row.name, sponsors, actor.user_id, bool(row.is_admin),
                  bool(row.must_set_password), privileges)  # fmt: skip


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case)."""
    text = (Path(__file__).parent / "data" / "common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))  # fmt: skip


def password_problem(user_id: str, password: str) -> str:
    """Why `password` may not be chosen, or '' when it may."""
    if len(password) < MIN_PASSWORD:
        return f"use at least {MIN_PASSWORD} characters"
    low = password.lower()
    if low in common_passwords() or low.rstrip("0123456789!") in common_passwords():
        return "that password is on the list of commonly used passwords"
    if user_id.lower() in low:
        return "the password may not contain your user ID"
    if len(set(password)) < 4:
        return "use more different characters"
    return ""


def set_password(target: str | Engine, actor: Actor, password: str, confirm: str) -> None:
    """Choose the signed-in client user's password (replacing its mailed code or old password).

    LedgerError with the plain reason when it is refused. Audited `client.password_set`.
    """
    if password != confirm:
        raise LedgerError("the two passwords differ")
    why = password_problem(actor.user_id, password)
    if why:
        raise LedgerError(why)
    with _engine(target).begin() as conn:
        client = client_in(conn, actor)
        conn.execute(t.users.update().where(t.users.c.user_id == actor.user_id)
                     .values(code_hash=_auth.hash_code(password)))  # fmt: skip
        conn.execute(ct.client_users.update().where(ct.client_users.c.user_id == actor.user_id)
                     .values(must_set_password=False, password_set_at=utcnow()))  # fmt: skip
        audit(conn, actor.user_id, "client.password_set", target=actor.user_id,
              details={"client": client.client_id})


# ---------------------------------------------------------------- Account Access


def _manager(conn: Connection, actor: Actor) -> Client:
    client = client_in(conn, actor)
    if not client.may("manage_users"):
        raise NotPermitted("client.users: the user's privileges do not allow this")
    return client


def _member_user(conn: Connection, client: Client, user_id: str) -> Any:
    cu = ct.client_users
    row = conn.execute(sa.select(cu, t.users.c.active).join(t.users, t.users.c.user_id == cu.c.user_id)
                       .where(cu.c.user_id == user_id, cu.c.client_id == client.client_id)).first()  # fmt: skip
    if row is None:
        raise NotFound(f"no user '{user_id}' in this account")
    return row


def _check_privileges(client: Client, privileges: Iterable[str]) -> tuple[str, ...]:
    chosen = tuple(p for p in PRIVILEGES if p in set(privileges))
    unknown = set(privileges) - set(PRIVILEGES)
    if unknown:
        raise LedgerError("unknown privilege")
    wider = [p for p in chosen if not client.may(p)]
    if wider:
        raise NotPermitted("a user's privileges may not exceed your own")
    if not chosen:
        raise LedgerError("choose at least one privilege")
    return chosen


_CLIENT_USER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")


def add_client_user(target: str | Engine, actor: Actor, login: str, privileges: Iterable[str],
                    mail_room: MailRoom, display_name: str = "") -> tuple[str, Path]:  # fmt: skip
    """Create a user of the actor's client with `privileges` (within the actor's own); its
    code goes out in a letter to the client's address. Returns (user ID, letter path).

    The user ID is `<client>.<login>` (lower case), so it never collides across clients.
    """
    eng = _engine(target)
    login = login.strip().lower()
    if not _CLIENT_USER_ID.match(login):
        raise LedgerError("a user name is 3-40 lower-case letters, digits, '.', '_', '-'")
    written: Path | None = None
    try:
        with eng.begin() as conn:
            client = _manager(conn, actor)
            chosen = _check_privileges(client, privileges)
            user_id = f"{client.client_id.lower()}.{login}"
            if conn.execute(sa.select(t.users.c.user_id).where(t.users.c.user_id == user_id)).first():
                raise LedgerError(f"user '{user_id}' already exists")
            _create_user(conn, user_id, client.client_id, actor.user_id, chosen, is_admin=False,
                         display_name=display_name.strip()[:80])  # fmt: skip
            written = _issue(conn, user_id, client.client_id, actor.user_id, mail_room,
                             created=True, is_admin=False)  # fmt: skip
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    return user_id, written


def set_privileges(target: str | Engine, actor: Actor, user_id: str,
                   privileges: Iterable[str]) -> tuple[str, ...]:  # fmt: skip
    """Replace the privileges of a user of the actor's client (not its administrator)."""
    with _engine(target).begin() as conn:
        client = _manager(conn, actor)
        row = _member_user(conn, client, user_id)
        if row.is_admin:
            raise LedgerError("the administrator keeps every privilege")
        chosen = _check_privileges(client, privileges)
        ur = t.user_roles
        conn.execute(ur.delete().where(ur.c.user_id == user_id, ur.c.role.like(f"{CLIENT_ROLE}.%")))
        conn.execute(ur.insert(), [{"user_id": user_id, "role": role_of(p)} for p in chosen])
        audit(conn, actor.user_id, "client.user_privileges", target=user_id,
              details={"client": client.client_id, "privileges": list(chosen)})
    return chosen


def deactivate_client_user(target: str | Engine, actor: Actor, user_id: str) -> bool:
    """Deactivate a user of the actor's client (its sessions end); False if already inactive."""
    with _engine(target).begin() as conn:
        client = _manager(conn, actor)
        row = _member_user(conn, client, user_id)
        if row.is_admin:
            raise LedgerError("the administrator's account is closed by the payer's staff")
        if not row.active:
            return False
        conn.execute(t.users.update().where(t.users.c.user_id == user_id).values(active=False))
        _end_sessions(conn, user_id, actor.user_id)
        audit(conn, actor.user_id, "client.user_deactivate", target=user_id,
              details={"client": client.client_id})
    return True


def reissue_code(target: str | Engine, actor: Actor, user_id: str, mail_room: MailRoom) -> Path:
    """Mail a new code to a user of the actor's client (reactivating it); the old code and
    password stop working. Returns the letter's path."""
    written: Path | None = None
    try:
        with _engine(target).begin() as conn:
            client = _manager(conn, actor)
            row = _member_user(conn, client, user_id)
            if row.is_admin:
                raise LedgerError("the administrator's code is re-issued by the payer's staff")
            conn.execute(t.users.update().where(t.users.c.user_id == user_id).values(active=True))
            written = _issue(conn, user_id, client.client_id, actor.user_id, mail_room,
                             created=False, is_admin=False)  # fmt: skip
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    return written


def client_users(target: str | Engine, actor: Actor) -> list[ClientUser]:
    """Every user of the actor's client with privileges, last sign-in and submission count."""
    eng = _engine(target)
    with eng.connect() as conn:
        client = _manager(conn, actor)
        cu, u, a, s = ct.client_users, t.users, t.audit_log, ct.client_submissions
        rows = list(conn.execute(sa.select(cu, u.c.display_name, u.c.active)
                                 .join(u, u.c.user_id == cu.c.user_id)
                                 .where(cu.c.client_id == client.client_id)
                                 .order_by(cu.c.is_admin.desc(), cu.c.user_id)))  # fmt: skip
        ids = [r.user_id for r in rows]
        roles: dict[str, set[str]] = {}
        for r in conn.execute(sa.select(t.user_roles).where(t.user_roles.c.user_id.in_(ids))):
            roles.setdefault(r.user_id, set()).add(r.role)
        last = dict(conn.execute(sa.select(a.c.user_id, sa.func.max(a.c.at))
                                 .where(a.c.user_id.in_(ids), a.c.action == "session.start")
                                 .group_by(a.c.user_id)).tuples().all())  # fmt: skip
        counts = dict(conn.execute(sa.select(s.c.user_id, sa.func.count())
                                   .where(s.c.client_id == client.client_id)
                                   .group_by(s.c.user_id)).tuples().all())  # fmt: skip
    return [ClientUser(r.user_id, r.display_name or "", bool(r.is_admin), bool(r.active),
                       tuple(p for p in PRIVILEGES if role_of(p) in roles.get(r.user_id, set())),
                       last.get(r.user_id), int(counts.get(r.user_id, 0)),
                       bool(r.must_set_password)) for r in rows]  # fmt: skip


# ---------------------------------------------------------------- group contacts


def set_group_contact(target: str | Engine, actor: Actor, sponsor_id: str, *,
                      representative_name: str, representative_phone: str) -> None:  # fmt: skip
    """The group representative's name and phone (staff `groups.manage`; audited)."""
    eng = _engine(target)
    users.require(eng, actor, "groups.manage", sponsor_id)
    gc = ct.group_contacts
    with eng.begin() as conn:
        require_group(conn, sponsor_id)
        values = {"representative_name": representative_name.strip()[:200],
                  "representative_phone": representative_phone.strip()[:40],
                  "updated_at": utcnow(), "updated_by": actor.user_id}  # fmt: skip
        if conn.execute(sa.select(gc.c.sponsor_id).where(gc.c.sponsor_id == sponsor_id)).first():
            conn.execute(gc.update().where(gc.c.sponsor_id == sponsor_id).values(**values))
        else:
            conn.execute(gc.insert().values(sponsor_id=sponsor_id, **values))
        audit(conn, actor.user_id, "group.contact", target=sponsor_id,
              details={"fields": ["representative_name", "representative_phone"]})


def group_contact(conn: Connection, sponsor_id: str) -> tuple[str, str]:
    """(representative name, phone) of a group: its contact row, else the group's
    `representative` setting and no phone."""
    gc = ct.group_contacts
    row = conn.execute(sa.select(gc).where(gc.c.sponsor_id == sponsor_id)).first()
    if row is not None and row.representative_name:
        return row.representative_name, row.representative_phone
    rep = conn.execute(sa.select(t.groups.c.representative)
                       .where(t.groups.c.sponsor_id == sponsor_id)).scalar()  # fmt: skip
    return rep or "your group representative", ""
