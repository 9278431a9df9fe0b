"""Held full files: the guard's supervisor item, the kept copy, and what a supervisor decides.

When the guard of a reconciliation trips (`ledger.fullfile.reconcile`), the run is
'held' and nothing is applied:

- `hold_for_supervisor` queues the run as ONE supervisor review item whose
  summary (`guard_summary`) holds counts and keys, never PHI; `held_runs`
  lists the held runs.
- `keep_held_copy` keeps the file under the outbox's `held/` (named by its
  digest, checked by SHA-256), and `record_held_copy` points the items at it.
- A supervisor's decision (`ledger.desk.resolve`): `override_held` applies the
  run from its file with the guard overridden, `close_held` rejects it;
  `settle_held` closes the held runs and items of a set overridden by hand.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from edi.records import encode_json
from ledger.fullfile.reconcile import Reconciliation, reconcile_set
from ledger.store import FullFilePolicy, LedgerError
from ledger.store import reconcile_tables as rt

# ------------------------------------------------------------------ the guard's review item


def held_runs(conn: Connection, sponsor: str | None = None) -> list[dict[str, Any]]:
    """Runs the guard held for a supervisor (newest first): ids, keys, counts, guard text."""
    import json

    rr = rt.reconciliation_runs
    q = sa.select(rr).where(rr.c.status == "held").order_by(rr.c.id.desc())
    if sponsor is not None:
        q = q.where(rr.c.sponsor_id == sponsor)
    return [{"run_id": r.id, "sponsor_id": r.sponsor_id, "sender_id": r.sender_id,
             "interchange_control": r.interchange_control, "set_control": r.set_control,
             "source": r.source, "guard": r.guard, "counts": json.loads(r.counts),
             "recorded_at": r.recorded_at.isoformat()} for r in conn.execute(q)]  # fmt: skip


GUARD_REASON = "full_file_guard"
GUARD_QUEUE = "supervisor"


def guard_summary(rec: Reconciliation, policy: FullFilePolicy, source: str) -> dict[str, Any]:
    """What a supervisor sees for a held file: counts, shares against limits, keys. No PHI."""
    c = rec.counts
    active = int(c.get("active_in_ledger", 0))
    term, change = int(c.get("would_terminate", 0)), int(c.get("would_change", 0))
    return {
        "kind": "full_file", "run_id": rec.run_id, "sponsor_id": rec.sponsor_id,
        "sender_id": rec.sender_id, "source": source,
        "interchange_control": rec.interchange_control, "set_control": rec.set_control,
        "file_members": int(c.get("file_members", 0)), "active_members": active,
        "would_terminate": term, "would_change": change,
        "would_enrol": int(c.get("would_enrol", 0)),
        "termination_share": round(term / active, 4) if active else 0.0,
        "change_share": round(change / active, 4) if active else 0.0,
        "max_termination_share": policy.max_termination_share,
        "max_change_share": policy.max_change_share,
    }  # fmt: skip


def hold_for_supervisor(
    conn: Connection, rec: Reconciliation, header: Any, *, source: str,
    received_at: dt.datetime | None = None, policy: FullFilePolicy | None = None,
    held_file: Any = None, outbox: Any = None,
) -> int:  # fmt: skip
    """Queue a held run (the guard tripped) as ONE supervisor review item; its id.

    The item's `transaction` is `guard_summary` (no PHI) plus, when known, where
    the held copy of the file is (`held_file`, see `keep_held_copy`) and the
    `outbox` the sender's reports go to; `header` is the set's header, as for
    every review item. The run row points at the item.
    """
    import json

    from ledger.store import get_policy, utcnow
    from ledger.store import schema as t

    ln = header.lineage
    policy = policy or get_policy(conn, ln.sender_qualifier, ln.sender_id)
    summary = guard_summary(rec, policy, source) | {"file_sha256": ln.file_sha256}
    if rec.rejected_ordinals:  # what the 999 rejected stays out when the run is applied
        summary["rejected_ordinals"] = list(rec.rejected_ordinals)
    if held_file is not None:
        summary["held_file"] = str(held_file)
    if outbox is not None:
        summary["outbox"] = str(outbox)
    item_id = int(conn.execute(t.review_items.insert().values(
        queue=GUARD_QUEUE, reason=GUARD_REASON, explanation=f"full file held: {rec.guard}",
        sponsor_id=rec.sponsor_id, transaction=json.dumps(summary, sort_keys=True),
        header=encode_json(header), candidates="[]", family_key="",
        received_at=received_at or utcnow(), status="open",
    )).inserted_primary_key[0])  # type: ignore[index]  # fmt: skip
    rr = rt.reconciliation_runs
    conn.execute(rr.update().where(rr.c.id == rec.run_id).values(review_item_id=item_id))
    return item_id


# ------------------------------------------------------------------ the held copy

HELD_DIR = "held"
"""Under the outbox: copies of full files the guard held, until a supervisor decides."""


def keep_held_copy(path: Any, outbox: Any, sha256: str) -> Any:
    """Copy the file at `path` (SHA-256 `sha256`) into `outbox/held/`; the copy's Path.

    The copy is named by its digest and the file name, written under a temporary
    name, checked against `sha256` and then renamed, so a copy that exists is
    whole. An existing copy with the same content is reused. OSError when the
    copy cannot be written (the caller decides whether that is fatal).
    """
    import shutil
    from pathlib import Path

    from edi.reader import file_sha256

    src = Path(path)
    held = Path(outbox) / HELD_DIR
    held.mkdir(parents=True, exist_ok=True)
    safe = "".join(c for c in src.name if c.isalnum() or c in "-_.") or "file"
    dest = held / f"{sha256[:16]}.{safe}"
    if dest.is_file() and file_sha256(dest) == sha256:
        return dest
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.copyfile(src, tmp)
    if file_sha256(tmp) != sha256:
        tmp.unlink(missing_ok=True)
        raise LedgerError(f"{src.name}: changed while it was being held (SHA-256 differs)")
    tmp.replace(dest)
    return dest


def record_held_copy(conn: Connection, run_ids: list[int], copy: Any, outbox: Any) -> list[int]:
    """Point the supervisor items of the held runs `run_ids` at the kept `copy`; their ids."""
    import json

    from ledger.store import schema as t

    rr, ri = rt.reconciliation_runs, t.review_items
    items = conn.execute(sa.select(rr.c.review_item_id).where(
        rr.c.id.in_(run_ids), rr.c.status == "held", rr.c.review_item_id.is_not(None)
    )).scalars().all()  # fmt: skip
    for item_id in items:
        summary = json.loads(conn.execute(
            sa.select(ri.c.transaction).where(ri.c.id == item_id)).scalar_one())  # fmt: skip
        summary |= {"held_file": str(copy), "outbox": str(outbox)}
        conn.execute(ri.update().where(ri.c.id == item_id)
                     .values(transaction=json.dumps(summary, sort_keys=True)))  # fmt: skip
    return [int(i) for i in items]


# ------------------------------------------------------------------ a supervisor's decision


def override_held(conn: Connection, run_id: int, path: Any, *, actor: str) -> Reconciliation:
    """Apply the held run `run_id` from its file at `path` (a supervisor's override).

    The file must be the one held (same SHA-256) and still hold the set; its set
    is reconciled again on `conn` with the guard overridden, and the held run is
    marked 'overridden'. The members the set's acknowledgment rejected when it
    was held (`rejected_ordinals` of its supervisor item) are left out again,
    whatever validator reads the file now. The caller checks the permission and
    commits.
    """
    import json
    from pathlib import Path

    from edi.reader import file_sha256, read
    from edi.records import SetStart, SetStatus
    from ledger.fullfile.runs import set_members
    from ledger.store import schema as t

    rr, ri = rt.reconciliation_runs, t.review_items
    run = conn.execute(sa.select(rr).where(rr.c.id == run_id)).first()
    if run is None or run.status != "held":
        raise LedgerError(f"reconciliation run {run_id}: not held")
    p = Path(path)
    try:
        sha = file_sha256(p)
    except FileNotFoundError:
        raise LedgerError(f"{p.name}: the held file is missing") from None
    except OSError as exc:
        raise LedgerError(f"{p.name}: cannot read ({type(exc).__name__})") from None
    if run.file_sha256 and sha != run.file_sha256:
        raise LedgerError(f"{p.name}: not the file held by run {run_id} (SHA-256 differs)")
    events = iter(read(p, run.source or p.name, file_sha256=sha))
    for ev in events:
        if not isinstance(ev, SetStart):
            continue
        ln = ev.header.lineage
        if (ln.interchange_control, ln.group_control, ln.set_control) != (
            run.interchange_control,
            run.group_control,
            run.set_control,
        ):
            continue
        end: list[Any] = []
        # the semantics the run was held under, even when they came from a by-hand policy
        policy = FullFilePolicy(run.semantics) if run.semantics in ("verify", "replace") else None
        item = conn.execute(sa.select(ri.c.transaction).where(
            ri.c.id == run.review_item_id)).scalar() if run.review_item_id else None  # fmt: skip
        rejected = frozenset(json.loads(item).get("rejected_ordinals", ())) if item else frozenset()
        members = (msgspec.structs.replace(tx, rejected=True)
                   if tx.lineage.member_ordinal in rejected and not tx.rejected else tx
                   for tx in set_members(events, end))  # fmt: skip
        rec = reconcile_set(conn, ev.header, members, actor=actor,
                            source=run.source, override_guard=True, policy=policy)  # fmt: skip
        if end and end[0].status is SetStatus.REJECTED:
            raise LedgerError(f"transaction set {ln.set_control}: rejected by validation")
        conn.execute(rr.update().where(rr.c.id == run_id).values(status="overridden"))
        return rec
    raise LedgerError(f"{p.name}: transaction set of run {run_id} not found")


def close_held(conn: Connection, run_id: int) -> None:
    """Mark the held run `run_id` rejected (a supervisor declined to apply it)."""
    rr = rt.reconciliation_runs
    done = conn.execute(rr.update().where(rr.c.id == run_id, rr.c.status == "held")
                        .values(status="rejected"))  # fmt: skip
    if not done.rowcount:
        raise LedgerError(f"reconciliation run {run_id}: not held")


def settle_held(conn: Connection, header: Any, *, actor: str) -> list[int]:
    """After a by-hand override of `header`'s set: its held runs become 'overridden' and
    their open supervisor items resolved by `actor` (audited); the item ids."""
    from ledger.store import audit, utcnow
    from ledger.store import schema as t

    ln, rr, ri = header.lineage, rt.reconciliation_runs, t.review_items
    held = list(conn.execute(sa.select(rr.c.id, rr.c.review_item_id).where(
        rr.c.status == "held", rr.c.sender_id == ln.sender_id.strip(),
        rr.c.interchange_control == ln.interchange_control,
        rr.c.group_control == ln.group_control, rr.c.set_control == ln.set_control,
        rr.c.file_sha256 == ln.file_sha256)))  # fmt: skip
    items: list[int] = []
    for run_id, item_id in held:
        conn.execute(rr.update().where(rr.c.id == run_id).values(status="overridden"))
        if item_id is None:
            continue
        done = conn.execute(ri.update().where(
            ri.c.id == item_id, ri.c.status.in_(("open", "assigned"))).values(
            status="resolved", resolution="overridden", resolved_by=actor,
            resolved_at=utcnow()))  # fmt: skip
        if done.rowcount:
            items.append(int(item_id))
            audit(conn, actor, "review.resolve", target=str(item_id),
                  details={"held_run": run_id, "resolution": "overridden", "by": "reconcile"})  # fmt: skip
    return items
