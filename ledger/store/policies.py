"""Partners' full-file policies: what a full file may change, and the guard's limits.

`[[partners]]` entries of the groups/partners TOML may carry `full_file_policy`
('verify' default | 'replace'), `max_termination_share` (0.10) and
`max_change_share` (0.25); `groups load` stores them (`load_policy_file`) and
`get_policy` reads them for the reconciler (`ledger.fullfile`). Changes are audited.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.store import reconcile_tables as rt
from ledger.store.audit_log import audit
from ledger.store.db import LedgerError, utcnow

POLICIES = ("verify", "replace")


@dataclass(frozen=True, slots=True)
class FullFilePolicy:
    """What a partner's full files may change; see the module docstring."""

    policy: str = "verify"
    max_termination_share: float = 0.10
    max_change_share: float = 0.25

    def __post_init__(self) -> None:
        if self.policy not in POLICIES:
            raise LedgerError(f"unknown full_file_policy '{self.policy}' (verify | replace)")
        for share in (self.max_termination_share, self.max_change_share):
            if not 0.0 <= share <= 1.0:
                raise LedgerError("full-file guard shares must be between 0 and 1")


def get_policy(conn: Connection, sender_qualifier: str, sender_id: str) -> FullFilePolicy:
    """The partner's full-file policy, or the safe default (verify, 10 %, 25 %)."""
    p = rt.full_file_policies
    row = conn.execute(
        sa.select(p).where(p.c.sender_qualifier == sender_qualifier.strip(),
                           p.c.sender_id == sender_id.strip())
    ).first()  # fmt: skip
    if row is None:
        return FullFilePolicy()
    return FullFilePolicy(row.policy, row.max_termination_share, row.max_change_share)


def set_policy(conn: Connection, spec: dict[str, Any], *, user: str) -> FullFilePolicy | None:
    """Store the full-file keys of one `[[partners]]` TOML table; None when it has none.

    Keys: full_file_policy (verify | replace), max_termination_share,
    max_change_share. Audited as 'partner.full_file_policy'.
    """
    keys = ("full_file_policy", "max_termination_share", "max_change_share")
    if not any(k in spec for k in keys):
        return None
    try:
        qual, sender = str(spec["sender_qualifier"]).strip(), str(spec["sender_id"]).strip()
        default = FullFilePolicy()
        policy = FullFilePolicy(
            str(spec.get("full_file_policy", default.policy)),
            float(spec.get("max_termination_share", default.max_termination_share)),
            float(spec.get("max_change_share", default.max_change_share)),
        )
    except KeyError as exc:
        raise LedgerError(f"partner without {exc.args[0]}") from None
    except (TypeError, ValueError):
        raise LedgerError("full-file guard shares must be numbers") from None
    p = rt.full_file_policies
    values = {
        "policy": policy.policy, "max_termination_share": policy.max_termination_share,
        "max_change_share": policy.max_change_share, "updated_at": utcnow(), "updated_by": user,
    }  # fmt: skip
    where = sa.and_(p.c.sender_qualifier == qual, p.c.sender_id == sender)
    if conn.execute(sa.select(p.c.sender_id).where(where)).first():
        conn.execute(p.update().where(where).values(**values))
    else:
        conn.execute(p.insert().values(sender_qualifier=qual, sender_id=sender, **values))
    audit(conn, user, "partner.full_file_policy", target=f"{qual}/{sender}",
          details={"policy": policy.policy})  # fmt: skip
    return policy


def load_policies(conn: Connection, doc: dict[str, Any], *, user: str) -> int:
    """Store the full-file policy of every `[[partners]]` entry of a parsed TOML document."""
    return sum(set_policy(conn, p, user=user) is not None for p in doc.get("partners", []))


def load_policy_file(conn: Connection, path: Any, *, user: str) -> int:
    """`load_policies` for the groups/partners TOML file at `path` (`groups load` calls it)."""
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LedgerError(f"{p.name}: cannot read TOML ({type(exc).__name__})") from None
    return load_policies(conn, doc, user=user)
