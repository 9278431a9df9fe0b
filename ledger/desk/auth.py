"""Users, roles and access codes (the small primitives the CLI and desk use).

Access codes are random, shown once, and stored only as scrypt hashes with a
per-user salt. Roles: administrator, supervisor, reviewer, auditor, operator,
service; 'show_phi' is a separate privilege. Signing in (and auditing every
refusal) is `ledger.desk.users.login`; the audit log is `ledger.store.audit_log`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.store import LedgerError, audit, utcnow
from ledger.store import schema as t

ROLES = frozenset({"administrator", "supervisor", "reviewer", "auditor", "operator", "service"})
PRIVILEGES = frozenset({"show_phi"})
_N, _R, _P = 2**14, 8, 1


class NotPermitted(LedgerError):
    """The user is unknown, inactive, gave a wrong code, or lacks the role."""


def hash_code(code: str, salt: bytes | None = None) -> str:
    """'scrypt$n$r$p$salt$hash' for an access code."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(code.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def _check_code(code: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(
            code.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def create_user(
    conn: Connection,
    user_id: str,
    *,
    display_name: str = "",
    roles: Iterable[str] = (),
    created_by: str | None = None,
) -> str:
    """Create a user with roles; returns the one-time access code (stored only hashed)."""
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES | PRIVILEGES]
    if unknown:
        raise LedgerError(f"unknown role: {unknown[0]}")
    code = secrets.token_urlsafe(18)
    conn.execute(
        t.users.insert().values(
            user_id=user_id, display_name=display_name, code_hash=hash_code(code),
            active=True, created_at=utcnow(), created_by=created_by,
        )
    )  # fmt: skip
    if roles:
        conn.execute(t.user_roles.insert(), [{"user_id": user_id, "role": r} for r in roles])
    audit(conn, created_by or user_id, "user.create", target=user_id, details={"roles": roles})
    return code


def verify_access_code(conn: Connection, user_id: str, code: str) -> bool:
    """True when the user exists, is active and `code` is theirs."""
    row = conn.execute(
        sa.select(t.users.c.code_hash, t.users.c.active).where(t.users.c.user_id == user_id)
    ).first()
    if row is None or not row.active:
        hash_code(code)  # same cost either way
        return False
    return _check_code(code, row.code_hash)


def roles_of(conn: Connection, user_id: str) -> set[str]:
    return {
        r.role
        for r in conn.execute(
            sa.select(t.user_roles.c.role).where(t.user_roles.c.user_id == user_id)
        )
    }


def has_role(conn: Connection, user_id: str, role: str) -> bool:
    """True when the user holds `role` (administrators hold every role, not show_phi)."""
    roles = roles_of(conn, user_id)
    return role in roles or (role in ROLES and "administrator" in roles)


def initialise(url: str, admin: str = "admin") -> str | None:
    """Create or upgrade the database; on a database without users create `admin`
    (administrator + show_phi) and return its one-time access code, else None."""
    from ledger.store import engine, upgrade

    upgrade(url)
    with engine(url).begin() as conn:
        if conn.execute(sa.select(t.users.c.user_id).limit(1)).first() is not None:
            return None
        return create_user(
            conn, admin, display_name=admin, roles=("administrator", "show_phi"), created_by=admin
        )
