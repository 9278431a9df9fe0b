"""The sender hears of a reviewer's rejection: a report file in the outbox, like a 999.

`report_rejection(target, item_id, reason, outbox)` writes, for a member transaction a
reviewer rejected, `<file>.<ISA13>.<ST02>.member<N>.review-rejected.{txt,json}` into
`outbox`: the file and envelope controls, the member's ordinal in its set, the last four
characters of the subscriber number, the reason code `rejected_by_reviewer` and the
reviewer's reason (reviewers are told to keep PHI out of it). No name, SSN, birth date
or address. Files are written under a temporary name and renamed, so a reader never
sees half of one. Both faces call it after `review.resolve` committed a rejection.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger.desk.review import Resolution, resolve
from ledger.desk.users import Actor
from ledger.desk.views import FULL_FILE_GUARD, iso
from ledger.store import LedgerError, engine, utcnow
from ledger.store import schema as t

REASON_CODE = "rejected_by_reviewer"


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in text)[:120] or "file"


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def rejection_notice(row: Any, reason: str) -> dict[str, Any]:
    """The notice's content for a resolved review_items row (no PHI beyond a last four)."""
    tx = json.loads(row.transaction)
    ln = tx.get("lineage") or {}
    sub = str(tx.get("subscriber_number") or "")
    return {
        "file": Path(str(ln.get("source") or "")).name,
        "sender": f"{ln.get('sender_qualifier', '')}/{ln.get('sender_id', '')}",
        "interchange_control": ln.get("interchange_control") or "",
        "group_control": ln.get("group_control") or "",
        "set_control": ln.get("set_control") or "",
        "member_ordinal": ln.get("member_ordinal"),
        "subscriber_number_last4": sub[-4:],
        "reason": REASON_CODE,
        "explanation": reason.strip()[:200],
        "review_item": int(row.id),
        "decided_at": iso(row.resolved_at) or iso(utcnow()),
    }


def notice_text(n: dict[str, Any]) -> str:
    """The human-readable notice (same facts as the JSON)."""
    return "\n".join([
        f"Review desk decision for {n['file']}",
        f"interchange {n['interchange_control']} group {n['group_control']} set "
        f"{n['set_control']} from {n['sender']}",
        "",
        "Member rejected after review by the payer:",
        "  (ISA13/GS06/ST02 member ordinal: subscriber number ending: reason: explanation)",
        f"  {n['interchange_control'] or '-'}/{n['group_control'] or '-'}/"
        f"{n['set_control'] or '-'} member {n['member_ordinal']}: subscriber number ending "
        f"{n['subscriber_number_last4'] or '-'}: {n['reason']}: {n['explanation']}",
        "",
        f"decided: {n['decided_at']} (review item {n['review_item']})",
    ]) + "\n"  # fmt: skip


def report_rejection(
    target: str | Engine, item_id: int, reason: str, outbox: str | os.PathLike[str] | None
) -> list[str]:
    """Write the sender's notice of the rejected item `item_id` into `outbox`; the file names
    ([] without an outbox, and for a held full file, whose rejection the guard reports).
    Raises LedgerError unless the item is a rejected item."""
    if not outbox:
        return []
    eng = target if isinstance(target, Engine) else engine(target)
    with eng.connect() as conn:
        row = conn.execute(sa.select(t.review_items)
                           .where(t.review_items.c.id == item_id)).first()  # fmt: skip
    if row is not None and row.reason == FULL_FILE_GUARD:
        return []  # a held full file's rejection has its own report (fullfile)
    if row is None or row.resolution != "rejected":
        raise LedgerError(f"review item {item_id} is not a rejected member transaction")
    n = rejection_notice(row, reason)
    folder = Path(outbox)
    folder.mkdir(parents=True, exist_ok=True)
    stem = (f"{_safe(n['file'])}.{_safe(n['interchange_control'])}.{_safe(n['set_control'])}"
            f".member{n['member_ordinal']}.review-rejected")  # fmt: skip
    _write(folder / f"{stem}.txt", notice_text(n))
    _write(folder / f"{stem}.json", json.dumps(n, indent=2, sort_keys=True) + "\n")
    return [f"{stem}.txt", f"{stem}.json"]


def resolve_and_notify(target: str | Engine, actor: Actor, item_id: int, *,
                       outbox: str | os.PathLike[str] | None, reject_reason: str | None = None,
                       **how: Any) -> Resolution:
    """`resolve`; a member transaction it rejects is then reported to its sender in `outbox`
    (`report_rejection`), the notice's file names added to the Resolution's notes."""
    res = resolve(target, actor, item_id, reject_reason=reject_reason, **how)
    if reject_reason is None or res.resolution != "rejected":
        return res
    written = report_rejection(target, item_id, reject_reason, outbox)
    return replace(res, notes=(*res.notes, *(f"sender notice {n}" for n in written)))


__all__ = ["REASON_CODE", "notice_text", "rejection_notice", "report_rejection",
           "resolve_and_notify"]
