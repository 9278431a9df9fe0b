"""Users and privileges: who may do what, signing in, and managing accounts.

Built on the primitives in `ledger.desk.auth` (scrypt-hashed access codes, roles,
the hash-chained audit log). This module adds the policy:

- `PERMISSIONS` maps every command-level action to the roles allowed to take
  it (policy as data). Administrators hold every role (`auth.has_role`), but
  never the `show_phi` privilege unless it is granted explicitly.
- `login(url, user, code, action)` signs a user in for one action and returns
  an `Actor`; an unknown user, a wrong code, a deactivated user, or an action
  outside the user's roles raises `NotPermitted` after an `auth.refused`
  audit record has been committed (the refusal survives the failed command).
- The system starts with one administrator (`enroll834 init`,
  `ledger.desk.auth.initialise`); administrators create everybody else.
- Account changes (`add_user`, `grant`, `revoke`, `reset_code`, `deactivate`)
  are administrator actions, each audited with the acting user in the same
  database transaction as the change. Access codes are returned once and
  stored only hashed.

No message or audit detail carries an access code or PHI.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.desk import auth
from ledger.desk.auth import PRIVILEGES, ROLES, NotPermitted
from ledger.store import LedgerError, audit, engine
from ledger.store import schema as t

__all__ = [
    "PERMISSIONS",
    "Actor",
    "NotPermitted",
    "UserInfo",
    "access_code_from_env",
    "add_user",
    "deactivate",
    "grant",
    "list_users",
    "login",
    "refuse",
    "require",
    "reset_code",
    "revoke",
    "users_exist",
]

SHOW_PHI = "show_phi"

PERMISSIONS: Mapping[str, frozenset[str]] = {
    "users.manage": frozenset({"administrator"}),
    "users.list": frozenset({"administrator", "auditor"}),
    "review.read": frozenset({"reviewer", "supervisor", "auditor"}),
    # reviewers take unassigned items for themselves; supervisors assign anybody, anything
    "review.assign": frozenset({"reviewer", "supervisor"}),
    "review.reassign": frozenset({"supervisor"}),
    "review.resolve": frozenset({"reviewer", "supervisor"}),
    # resolve an item assigned to somebody else
    "review.override": frozenset({"supervisor"}),
    "ingest": frozenset({"operator", "service"}),
    "export834": frozenset({"operator", "service"}),
    # member data (history, export): the people who decide on or check enrollments
    "ledger.history": frozenset({"reviewer", "supervisor", "auditor"}),
    "members.export": frozenset({"reviewer", "supervisor", "auditor"}),
    "ledger.verify": frozenset({"auditor", "supervisor", "operator"}),
    "groups.read": frozenset({"reviewer", "supervisor", "auditor", "operator", "service"}),
    "groups.manage": frozenset({"administrator"}),
    # match models: fitted on every member (administrators), listed without their values
    "matching.train": frozenset({"administrator"}),
    "matching.models": frozenset({"supervisor", "auditor", "operator"}),
    "audit.read": frozenset({"auditor", "supervisor"}),
    # the browser face: a session (people only; the unattended service user has none),
    # notes on items, member search, the supervisors' dashboard
    "web.session": frozenset({"administrator", "supervisor", "reviewer", "auditor", "operator",
                              "client"}),
    "review.note": frozenset({"reviewer", "supervisor"}),
    "members.search": frozenset({"reviewer", "supervisor", "auditor"}),
    "desk.dashboard": frozenset({"supervisor"}),
    # employer-group clients (ledger.clients): staff invite them; their users hold the role
    # `client` and privileges `client.<name>` (never a staff role)
    "groups.invite": frozenset({"administrator", "operator"}),
    "client.session": frozenset({"client"}),
    "client.roster": frozenset({"client.view_roster"}),
    "client.changes": frozenset({"client.submit_changes"}),
    "client.enroll": frozenset({"client.submit_enrollment"}),
    "client.cobra": frozenset({"client.cobra"}),
    "client.bills": frozenset({"client.view_bills"}),
    "client.users": frozenset({"client.manage_users"}),
    # premium billing (ledger.billing): rates and cycles are configuration
    "billing.manage": frozenset({"administrator"}),
    "billing.run": frozenset({"operator", "service"}),
    "billing.read": frozenset({"supervisor", "auditor", "operator"}),
    "billing.pay": frozenset({"operator", "service"}),
    "billing.commission": frozenset({"operator", "supervisor"}),
}
"""Action -> roles allowed to take it."""

_USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$")


@dataclass(frozen=True, slots=True)
class Actor:
    """A signed-in user: the id every audit record and decision names, and their roles."""

    user_id: str
    roles: frozenset[str]

    def holds(self, role: str) -> bool:
        """True for a held role; administrators hold every role but not privileges."""
        return role in self.roles or (role in ROLES and "administrator" in self.roles)

    def may(self, action: str) -> bool:
        """True when one of the actor's roles allows `action` (see PERMISSIONS)."""
        return any(self.holds(r) for r in PERMISSIONS.get(action, frozenset()))

    @property
    def show_phi(self) -> bool:
        return SHOW_PHI in self.roles


@dataclass(frozen=True, slots=True)
class UserInfo:
    """One account as `users list` shows it (never the code hash)."""

    user_id: str
    display_name: str
    roles: tuple[str, ...]
    active: bool
    created_at: dt.datetime | None
    created_by: str | None

    def to_json(self) -> dict[str, Any]:
        return {"user": self.user_id, "display_name": self.display_name,
                "roles": list(self.roles), "active": self.active, "created_by": self.created_by}


def _engine(target: str | Engine) -> Engine:
    return target if isinstance(target, Engine) else engine(target)


def _check_user_id(user_id: str) -> None:
    if not _USER_ID.match(user_id):
        raise LedgerError(
            "a user id is 1-80 characters: letters, digits, '.', '_', '@', '-'"
            " (a letter or digit first)"
        )


def _check_role(role: str) -> None:
    if role not in ROLES | PRIVILEGES:
        allowed = ", ".join(sorted(ROLES | PRIVILEGES))
        raise LedgerError(f"unknown role '{role}' (roles: {allowed})")


# ---------------------------------------------------------------- signing in


def access_code_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """The access code from ENROLL834_ACCESS_CODE, else from the file ENROLL834_ACCESS_CODE_FILE.

    The file (a secrets mount for unattended ingestion) holds the code on its
    first line. Returns None when neither is set; raises LedgerError when the
    file cannot be read.
    """
    env = os.environ if environ is None else environ
    code = env.get("ENROLL834_ACCESS_CODE")
    if code:
        return code
    path = env.get("ENROLL834_ACCESS_CODE_FILE")
    if not path:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise LedgerError(
            f"ENROLL834_ACCESS_CODE_FILE: cannot read ({exc.strerror or 'I/O error'})"
        ) from None
    first = text.splitlines()[0].strip() if text.strip() else ""
    return first or None


def users_exist(target: str | Engine) -> bool:
    """True once any user account exists."""
    with _engine(target).connect() as conn:
        return conn.execute(sa.select(t.users.c.user_id).limit(1)).first() is not None


def refuse(
    target: str | Engine, user_id: str | None, action: str, why: str, target_id: str = ""
) -> NotPermitted:
    """Commit an 'auth.refused' audit record and return the NotPermitted to raise.

    `why` is fixed text (no code, no PHI); the audit names the claimed user id
    ('-' when none was given).
    """
    with _engine(target).begin() as conn:
        audit(
            conn,
            user_id or "-",
            "auth.refused",
            target=target_id,
            details={"action": action, "why": why},
        )
    return NotPermitted(f"{action}: {why}")


def _roles(conn: Connection, user_id: str) -> frozenset[str]:
    return frozenset(auth.roles_of(conn, user_id))


def login(target: str | Engine, user_id: str | None, code: str | None, action: str) -> Actor:
    """Sign `user_id` in with `code` for `action`; an Actor, or NotPermitted (audited).

    The same refusal message is given for an unknown user, a deactivated user
    and a wrong code, so the answer does not reveal which accounts exist.
    """
    if action not in PERMISSIONS:
        raise ValueError(f"unknown action {action!r}")
    eng = _engine(target)
    if not user_id or not code:
        raise refuse(eng, user_id, action, "no user or access code given")
    with eng.connect() as conn:
        ok = auth.verify_access_code(conn, user_id, code)
        roles = _roles(conn, user_id) if ok else frozenset()
    if not ok:
        raise refuse(eng, user_id, action, "unknown user, inactive user or wrong access code")
    actor = Actor(user_id, roles)
    if not actor.may(action):
        raise refuse(eng, user_id, action, "the user's roles do not allow this")
    return actor


def login_from_env(target: str | Engine, user_id: str | None, action: str,
                   ask: Callable[[], str | None]) -> Actor:
    """`login` with the code `access_code_from_env` finds, else (a user being named) the one
    `ask()` reads: a prompt or stdin. An unreadable code file is refused like a wrong code
    (audited)."""
    try:
        code = access_code_from_env()
    except LedgerError as exc:
        raise refuse(target, user_id, action, str(exc)) from None
    if code is None and user_id:
        code = ask()
    return login(target, user_id, code, action)


def require(target: str | Engine, actor: Actor, action: str, target_id: str = "") -> None:
    """Raise NotPermitted (after auditing the refusal) unless `actor` may take `action`."""
    if not actor.may(action):
        raise refuse(target, actor.user_id, action, "the user's roles do not allow this", target_id)


# ---------------------------------------------------------------- accounts


def add_user(
    target: str | Engine,
    actor: Actor,
    user_id: str,
    roles: tuple[str, ...] | list[str],
    display_name: str = "",
) -> str:
    """Create `user_id` with `roles`; returns the one-time access code (stored hashed)."""
    _check_user_id(user_id)
    if not roles:
        raise LedgerError("give at least one --role")
    for role in roles:
        _check_role(role)
    require(target, actor, "users.manage")
    with _engine(target).begin() as conn:
        exists = conn.execute(
            sa.select(t.users.c.user_id).where(t.users.c.user_id == user_id)
        ).first()
        if exists:
            raise LedgerError(f"user '{user_id}' already exists")
        return auth.create_user(
            conn, user_id, display_name=display_name, roles=roles, created_by=actor.user_id
        )


def list_users(target: str | Engine, actor: Actor) -> list[UserInfo]:
    """Every account with its roles, by user id (audited as 'user.list')."""
    require(target, actor, "users.list")
    with _engine(target).begin() as conn:
        roles: dict[str, list[str]] = {}
        for r in conn.execute(sa.select(t.user_roles).order_by(t.user_roles.c.role)):
            roles.setdefault(r.user_id, []).append(r.role)
        out = [
            UserInfo(
                user_id=u.user_id,
                display_name=u.display_name or "",
                roles=tuple(roles.get(u.user_id, [])),
                active=bool(u.active),
                created_at=u.created_at,
                created_by=u.created_by,
            )
            for u in conn.execute(sa.select(t.users).order_by(t.users.c.user_id))
        ]
        audit(conn, actor.user_id, "user.list", details={"count": len(out)})
    return out


def _existing(conn: Connection, user_id: str) -> Any:
    row = conn.execute(
        sa.select(t.users.c.user_id, t.users.c.active)
        .where(t.users.c.user_id == user_id)
        .with_for_update()
    ).first()
    if row is None:
        raise LedgerError(f"no user '{user_id}'")
    return row


def _active_administrators(conn: Connection) -> set[str]:
    u, r = t.users, t.user_roles
    q = (
        sa.select(u.c.user_id)
        .join(r, r.c.user_id == u.c.user_id)
        .where(r.c.role == "administrator", u.c.active.is_(True))
    )
    return {row.user_id for row in conn.execute(q)}


def grant(target: str | Engine, actor: Actor, user_id: str, role: str) -> bool:
    """Give `user_id` `role`; False when they already hold it. Audited as 'user.grant'."""
    _check_role(role)
    require(target, actor, "users.manage")
    with _engine(target).begin() as conn:
        _existing(conn, user_id)
        if role in auth.roles_of(conn, user_id):
            return False
        conn.execute(t.user_roles.insert().values(user_id=user_id, role=role))
        audit(conn, actor.user_id, "user.grant", target=user_id, details={"role": role})
    return True


def revoke(target: str | Engine, actor: Actor, user_id: str, role: str) -> bool:
    """Take `role` from `user_id`; False when they did not hold it. Audited as 'user.revoke'.

    The last active administrator keeps the administrator role.
    """
    _check_role(role)
    require(target, actor, "users.manage")
    with _engine(target).begin() as conn:
        _existing(conn, user_id)
        if role not in auth.roles_of(conn, user_id):
            return False
        if role == "administrator" and _active_administrators(conn) == {user_id}:
            raise LedgerError("cannot revoke the administrator role of the last administrator")
        conn.execute(
            t.user_roles.delete().where(
                t.user_roles.c.user_id == user_id, t.user_roles.c.role == role
            )
        )
        audit(conn, actor.user_id, "user.revoke", target=user_id, details={"role": role})
    return True


def reset_code(target: str | Engine, actor: Actor, user_id: str) -> str:
    """Issue a new access code for `user_id` (the old one stops working); returns it once."""
    require(target, actor, "users.manage")
    with _engine(target).begin() as conn:
        _existing(conn, user_id)
        code = secrets.token_urlsafe(18)
        conn.execute(
            t.users.update()
            .where(t.users.c.user_id == user_id)
            .values(code_hash=auth.hash_code(code))
        )
        audit(conn, actor.user_id, "user.reset_code", target=user_id)
    return code


def deactivate(target: str | Engine, actor: Actor, user_id: str) -> bool:
    """Deactivate `user_id` (they can do nothing after); False when already inactive.

    The account and its history stay (audit records name it). The last active
    administrator cannot be deactivated.
    """
    require(target, actor, "users.manage")
    with _engine(target).begin() as conn:
        row = _existing(conn, user_id)
        if not row.active:
            return False
        if _active_administrators(conn) == {user_id}:
            raise LedgerError("cannot deactivate the last active administrator")
        conn.execute(t.users.update().where(t.users.c.user_id == user_id).values(active=False))
        audit(conn, actor.user_id, "user.deactivate", target=user_id)
    return True
