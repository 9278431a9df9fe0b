"""Signed-in sessions for the browser face: sign-in with lockout, idle and absolute expiry,
revocation. Same accounts and access codes as the command line (`ledger.desk.auth`).

- `sign_in(target, user_id, code, policy)` checks the access code and starts a session:
  a random token (only its SHA-256 is stored in `web_sessions`) and a CSRF token. Every
  refusal is an `auth.refused` audit record with target `web.signin`; an unknown user, an
  inactive user and a wrong code get one message (`REFUSED`). After
  `policy.lockout_failures` refusals of one claimed user id within
  `policy.lockout_window`, that id is locked (`LOCKED`, audited `session.locked`) until the
  window has passed, whatever code is given; unknown ids lock the same way, so the
  answer never tells which accounts exist.
- `current(target, token, policy)` is the session of a token, or why there is none: it
  ends (and audits `session.end`) a session idle longer than `policy.idle`, past its
  absolute lifetime, or whose user was deactivated; roles are read afresh on every call,
  so a revoked role stops working at once.
- `sign_out` and `revoke_sessions` (an administrator ending every session of a user) end
  sessions early; both audited.

No audit detail or message carries an access code, a token or PHI.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.desk import auth
from ledger.desk.users import Actor, NotPermitted, require
from ledger.store import audit, engine, session_tables, utcnow
from ledger.store import schema as t

ws = session_tables.web_sessions

SIGNIN = "web.signin"
SIGNIN_ACTION = "web.session"
"""The PERMISSIONS action a user needs to hold a browser session."""
REFUSED = "sign-in refused: unknown user or wrong access code"
LOCKED = "too many failed sign-ins for this user id; try again later"


class SignInRefused(NotPermitted):
    """Wrong code, unknown or inactive user, or a locked user id (the message says which of
    the two: refused or locked, never whether the account exists)."""


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long sessions live and when sign-in locks (settings `[web]`)."""

    idle: dt.timedelta = dt.timedelta(minutes=15)
    absolute: dt.timedelta = dt.timedelta(hours=12)
    lockout_failures: int = 5
    lockout_window: dt.timedelta = dt.timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Session:
    """A live session: who, their roles as of this request, the CSRF token, its times."""

    actor: Actor
    csrf_token: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    token_hash: str

    def seconds_left(self, policy: SessionPolicy, now: dt.datetime) -> int:
        """Seconds until the session ends if nothing more is done (idle or absolute)."""
        end = min(self.last_seen_at + policy.idle, self.expires_at)
        return max(0, int((end - now).total_seconds()))


def _engine(target: str | Engine) -> Engine:
    return target if isinstance(target, Engine) else engine(target)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def recent_failures(conn: Connection, user_id: str, since: dt.datetime) -> int:
    """Refused browser sign-ins of the claimed `user_id` recorded at or after `since`."""
    a = t.audit_log
    q = sa.select(sa.func.count()).where(
        a.c.user_id == user_id, a.c.action == "auth.refused", a.c.target == SIGNIN,
        a.c.at >= since,
    )  # fmt: skip
    return int(conn.execute(q).scalar() or 0)


def sign_in(
    target: str | Engine,
    user_id: str,
    code: str,
    policy: SessionPolicy,
    *,
    now: dt.datetime | None = None,
) -> tuple[str, Session]:
    """Start a session for `user_id` with access code `code`; (token, Session).

    Raises SignInRefused (after committing its audit records) for a wrong code, an
    unknown or inactive user, a user whose roles allow no browser session (`web.session`), or a locked user id.
    """
    eng = _engine(target)
    now = now or utcnow()
    claimed = (user_id or "").strip()[:80]
    with eng.begin() as conn:
        locked = bool(claimed) and (
            recent_failures(conn, claimed, now - policy.lockout_window) >= policy.lockout_failures
        )
        if locked:
            audit(conn, claimed, "session.locked", target=SIGNIN,
                  details={"window_minutes": policy.lockout_window.total_seconds() / 60})
    if locked:
        raise SignInRefused(LOCKED)
    ok = bool(claimed and code)
    roles: frozenset[str] = frozenset()
    if ok:
        with eng.connect() as conn:
            ok = auth.verify_access_code(conn, claimed, code)
            roles = frozenset(auth.roles_of(conn, claimed)) if ok else frozenset()
    if not ok or not Actor(claimed, roles).may(SIGNIN_ACTION):
        with eng.begin() as conn:
            audit(conn, claimed or "-", "auth.refused", target=SIGNIN,
                  details={"action": SIGNIN, "why": "unknown user, inactive user, wrong access "
                           "code or no role"})  # fmt: skip
            if claimed and recent_failures(
                conn, claimed, now - policy.lockout_window
            ) >= policy.lockout_failures:
                audit(conn, claimed, "session.lockout", target=SIGNIN,
                      details={"failures": policy.lockout_failures})
        raise SignInRefused(REFUSED)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + policy.absolute
    with eng.begin() as conn:
        conn.execute(ws.insert().values(
            token_hash=token_hash(token), user_id=claimed, csrf_token=csrf, created_at=now,
            last_seen_at=now, expires_at=expires,
        ))  # fmt: skip
        audit(conn, claimed, "session.start", target=token_hash(token)[:12],
              details={"expires_at": expires.isoformat(timespec="seconds")})
    session = Session(Actor(claimed, roles), csrf, now, now, expires, token_hash(token))
    return token, session


def _end(conn: Connection, row: Any, why: str, now: dt.datetime, by: str | None = None) -> None:
    key, user = row.token_hash, row.user_id
    conn.execute(ws.update().where(ws.c.token_hash == key, ws.c.revoked_at.is_(None))
                 .values(revoked_at=now, revoked_by=by or user, ended=why))  # fmt: skip
    audit(conn, by or user, "session.end", target=key[:12], details={"why": why, "user": user})


TOUCH_EVERY = dt.timedelta(seconds=5)
"""last_seen_at is written at most this often (fewer writes; idle time is still exact to it)."""


def current(
    target: str | Engine,
    token: str | None,
    policy: SessionPolicy,
    *,
    now: dt.datetime | None = None,
    touch: bool = True,
) -> tuple[Session | None, str]:
    """(the live session of `token`, '') or (None, why): 'none', 'unknown', 'revoked',
    'idle', 'absolute', 'inactive'. An expired session is ended (audited) here."""
    if not token:
        return None, "none"
    eng = _engine(target)
    now = now or utcnow()
    key = token_hash(token)
    ur = t.user_roles
    with eng.begin() as conn:
        # the session, its user and the user's roles in one read (a row per role)
        rows = conn.execute(
            sa.select(ws, t.users.c.active, ur.c.role)
            .join(t.users, t.users.c.user_id == ws.c.user_id)
            .outerjoin(ur, ur.c.user_id == ws.c.user_id)
            .where(ws.c.token_hash == key)
        ).all()
        if not rows:
            return None, "unknown"
        row = rows[0]
        if row.revoked_at is not None:
            return None, str(row.ended or "revoked")
        last, expires = _utc(row.last_seen_at), _utc(row.expires_at)
        why = ("inactive" if not row.active else "absolute" if now >= expires
               else "idle" if now - last > policy.idle else "")  # fmt: skip
        if why:
            _end(conn, row, why, now)
            return None, why
        roles = frozenset(r.role for r in rows if r.role is not None)
        if touch and now - last >= TOUCH_EVERY:
            conn.execute(ws.update().where(ws.c.token_hash == key).values(last_seen_at=now))
            last = now
    session = Session(Actor(row.user_id, roles), row.csrf_token, _utc(row.created_at), last,
                      expires, key)  # fmt: skip
    return session, ""


current_session = current
"""`current` under the name the desk's package exports."""


def sign_out(target: str | Engine, token: str | None, *, now: dt.datetime | None = None) -> bool:
    """End the session of `token` (audited `session.end`, why 'signed_out'); False if none."""
    if not token:
        return False
    with _engine(target).begin() as conn:
        row = conn.execute(sa.select(ws).where(ws.c.token_hash == token_hash(token),
                                               ws.c.revoked_at.is_(None))).first()  # fmt: skip
        if row is None:
            return False
        _end(conn, row, "signed_out", now or utcnow())
    return True


def revoke_sessions(target: str | Engine, actor: Actor, user_id: str,
                    *, now: dt.datetime | None = None) -> int:  # fmt: skip
    """End every live session of `user_id` (an administrator's action); how many ended."""
    eng = _engine(target)
    require(eng, actor, "users.manage", user_id)
    now = now or utcnow()
    with eng.begin() as conn:
        rows = list(conn.execute(sa.select(ws).where(ws.c.user_id == user_id,
                                                     ws.c.revoked_at.is_(None))))  # fmt: skip
        for row in rows:
            _end(conn, row, "revoked", now, by=actor.user_id)
    return len(rows)


__all__ = [
    "LOCKED",
    "REFUSED",
    "SIGNIN",
    "Session",
    "SessionPolicy",
    "SignInRefused",
    "current",
    "current_session",
    "recent_failures",
    "revoke_sessions",
    "sign_in",
    "sign_out",
]
