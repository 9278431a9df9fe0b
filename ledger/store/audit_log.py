"""The audit log: insert-only and hash-chained like the ledger entries.

`audit(conn, user_id, action, target=..., details=...)` appends one record inside
the caller's transaction; details never hold PHI. `AUDIT_FIELDS` are the hashed
fields `queries.verify_chain` recomputes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.store import schema as t
from ledger.store.db import utcnow
from ledger.store.unit import canonical_json, chain_hash

AUDIT_FIELDS = ("seq", "at", "user_id", "action", "target", "details", "prev_hash")


def audit(
    conn: Connection,
    user_id: str,
    action: str,
    *,
    target: str = "",
    details: Mapping[str, Any] | None = None,
) -> int:
    """Append one chained audit record (details must hold no PHI); returns its seq."""
    head = conn.execute(
        sa.select(t.chain_heads.c.seq, t.chain_heads.c.hash)
        .where(t.chain_heads.c.name == "audit")
        .with_for_update()
    ).one()
    row: dict[str, Any] = {
        "seq": head.seq + 1,
        "at": utcnow(),
        "user_id": user_id,
        "action": action,
        "target": target,
        "details": canonical_json(dict(details or {})),
        "prev_hash": head.hash,
    }
    row["hash"] = chain_hash(row, AUDIT_FIELDS)
    conn.execute(t.audit_log.insert().values(**row))
    conn.execute(
        t.chain_heads.update()
        .where(t.chain_heads.c.name == "audit")
        .values(seq=row["seq"], hash=row["hash"])
    )
    return int(row["seq"])
