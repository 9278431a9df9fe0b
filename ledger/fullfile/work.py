"""Reconciliation work items: a verify full file's discrepancies, one item per member, decided
by a person through the ledger's ordinary apply path.

Under the `verify` policy a full file changes nothing by itself; every difference
(discrepancy with action 'review') is for a person. `queue_discrepancies` turns a run's
differences into review items in the 'reconciliation' queue — one per member (a member's
name and coverage mismatches together), one per file member the ledger lacks — in the
run's transaction, each due `sla_hours` after receipt. An item's stored `transaction`
is a summary of ids, codes and field names (no PHI); the file's member loop it needs to
be applied stays in `discrepancies.member_tx`.

`decide` applies what the person chose:

| discrepancy | decisions |
|---|---|
| missing_in_file | `terminate` (its open coverages end as of a date, default the file's effective date) / `keep` |
| missing_in_ledger | `enrol` (a new member from the file's loop) / `ignore` |
| field_mismatch | `apply_file` (the file's values applied to the member, lines it no longer lists ended) / `keep_ledger` |

Enrolments and changes go through `ledger.store.apply_in` with the person as decider;
terminations write the same entries the replace policy writes
(`ledger.fullfile.changes`). The discrepancies' `status` becomes the decision, so the
run's reports show what was decided. The caller (`ledger.desk.reconciliation`) holds the
transaction, checks roles and audits.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from edi.records import MemberTransaction, TransactionSetHeader, decode_json, encode_json
from ledger.fullfile.changes import lines_only_in_ledger, terminate_member
from ledger.store import (
    LedgerError,
    LedgerSettings,
    UnitOfWork,
    apply_in,
    bulk_insert,
    canonical_json,
)
from ledger.store import reconcile_tables as rt
from ledger.store import schema as t
from matching.decisions import Decision, Outcome

RECONCILIATION_QUEUE = "reconciliation"
SUMMARY_KIND = "reconciliation"
"""`kind` of a reconciliation item's stored summary."""

DECISIONS: dict[str, tuple[str, str]] = {
    "missing_in_file": ("terminate", "keep"),
    "missing_in_ledger": ("enrol", "ignore"),
    "field_mismatch": ("apply_file", "keep_ledger"),
}
"""Discrepancy kind -> (the change, leaving the ledger as it is)."""

EXPLAIN = {
    "missing_in_file": "active in the ledger but not in the sender's full file",
    "missing_in_ledger": "in the sender's full file but not in the ledger",
    "field_mismatch": "the full file and the ledger differ",
}
_RANK = {"low": 0, "medium": 1, "high": 2}


def _summary(run_id: int, kind: str, rows: list[Any], header: TransactionSetHeader,
             eff: dt.date | None, source: str) -> dict[str, Any]:  # fmt: skip
    first = rows[0]
    fields = sorted({f for r in rows for f in json.loads(r.fields or "[]")})
    ln = header.lineage
    return {
        "kind": SUMMARY_KIND, "run_id": run_id, "discrepancy": kind,
        "ordinals": [int(r.ordinal) for r in rows], "member_id": first.member_id,
        "subscriber_number": first.subscriber_number, "relationship": first.relationship,
        "lines": sorted({r.insurance_line for r in rows if r.insurance_line}),
        "fields": fields, "severity": max((r.severity for r in rows), key=lambda v: _RANK.get(v, 0)),
        "effective_date": eff.isoformat() if eff else None, "source": source,
        "sender_id": ln.sender_id.strip(), "interchange_control": ln.interchange_control,
        "set_control": ln.set_control, "member_ordinal": first.member_ordinal,
    }  # fmt: skip


def queue_discrepancies(
    conn: Connection, run_id: int, header: TransactionSetHeader, *, received_at: dt.datetime,
    sla_hours: int, source: str = "", eff: dt.date | None = None,
) -> int:  # fmt: skip
    """One open 'reconciliation' review item per member among run `run_id`'s discrepancies
    with action 'review' (grouped by run: family_key 'recon|<run>'); how many were queued."""
    d = rt.discrepancies
    groups: dict[tuple[str, str], list[Any]] = {}
    for r in conn.execute(
        sa.select(d.c.ordinal, d.c.kind, d.c.member_id, d.c.subscriber_number,
                  d.c.relationship, d.c.insurance_line, d.c.fields, d.c.severity,
                  d.c.member_ordinal)
        .where(d.c.run_id == run_id, d.c.action == "review").order_by(d.c.ordinal)
    ):  # fmt: skip
        who = r.member_id or f"#{r.ordinal}"
        groups.setdefault((r.kind, who), []).append(r)
    if not groups:
        return 0
    sponsor = header.sponsor.id.strip() if header.sponsor else ""
    head = encode_json(header)
    due = received_at + dt.timedelta(hours=sla_hours)
    rows: list[dict[str, Any]] = []
    queued = 0
    for (kind, _), members in groups.items():
        if len(rows) >= _QUEUE_BATCH:  # written in batches: memory stays one batch of items
            bulk_insert(conn, t.review_items, rows)
            queued += len(rows)
            rows = []
        summary = _summary(run_id, kind, members, header, eff, source)
        rows.append({
            "queue": RECONCILIATION_QUEUE, "reason": kind,
            "explanation": f"{EXPLAIN.get(kind, kind)} (full file run {run_id})",
            "sponsor_id": sponsor, "transaction": canonical_json(summary), "header": head,
            "candidates": "[]", "suggested_member_id": summary["member_id"],
            "family_key": f"recon|{run_id}", "transaction_set_id": None,
            "received_at": received_at, "due_at": due, "status": "open",
            "assignee": None, "resolution": None, "resolved_by": None, "resolved_at": None,
        })  # fmt: skip
    bulk_insert(conn, t.review_items, rows)
    return queued + len(rows)


_QUEUE_BATCH = 2000
"""Work items per insert of `queue_discrepancies`."""


def is_reconciliation(row: Any) -> bool:
    """Whether review_items `row` is a reconciliation work item."""
    return bool(row.queue == RECONCILIATION_QUEUE)


def summary_of(row: Any) -> dict[str, Any]:
    """A reconciliation item's stored summary (LedgerError when unreadable)."""
    try:
        summary = dict(json.loads(row.transaction))
        summary["run_id"] = int(summary["run_id"])
    except (ValueError, KeyError, TypeError):
        raise LedgerError(f"review item {row.id}: stored summary unreadable") from None
    return summary


def file_member(conn: Connection, summary: dict[str, Any]) -> MemberTransaction | None:
    """The file's member loop kept for a reconciliation item (None for missing_in_file)."""
    d = rt.discrepancies
    text = conn.execute(sa.select(d.c.member_tx).where(
        d.c.run_id == summary["run_id"], d.c.ordinal.in_(summary["ordinals"]),
        d.c.member_tx.is_not(None)).order_by(d.c.ordinal).limit(1)).scalar()  # fmt: skip
    return decode_json(MemberTransaction, text) if text else None


@dataclass(frozen=True, slots=True)
class Decided:
    """What `decide` did: the decision, the member, the ledger entries written, lines ended."""

    decision: str
    member_id: str | None
    status: str
    """'applied' (the ledger changed), 'new' (enrolled), 'noop' or 'kept' (nothing changed)."""
    entries: tuple[int, ...] = ()
    lines: tuple[str, ...] = ()
    as_of: dt.date | None = None


def decide(
    uow: UnitOfWork, row: Any, decision: str, *, decided_by: str, settings: LedgerSettings,
    received_at: dt.datetime, as_of: dt.date | None = None,
) -> Decided:  # fmt: skip
    """Apply `decision` to reconciliation item `row` (locked by the caller) and mark its
    discrepancies decided. LedgerError (nothing changed) for a decision that does not fit
    the item, a termination with nothing open to end, or a ledger refusal."""
    summary = summary_of(row)
    kind, run_id = str(summary.get("discrepancy")), summary["run_id"]
    allowed = DECISIONS.get(kind)
    if allowed is None or decision not in allowed:
        choices = " or ".join(allowed or ())
        raise LedgerError(f"review item {row.id}: a {kind} item is decided by {choices}")
    try:
        header = decode_json(TransactionSetHeader, row.header)
    except ValueError:
        raise LedgerError(f"review item {row.id}: stored header unreadable") from None
    mid = summary.get("member_id")
    start = uow.seq
    note = f"full file reconciliation run {run_id}: {decision} decided at the desk"
    out = Decided(decision, mid, "kept")
    if decision == "terminate":
        end = as_of or (dt.date.fromisoformat(summary["effective_date"])
                        if summary.get("effective_date") else None)  # fmt: skip
        if end is None:
            raise LedgerError(f"review item {row.id}: give the date the coverage ends")
        lines = terminate_member(uow, str(mid), end, header.lineage, decided_by=decided_by,
                                 note=note)  # fmt: skip
        if not lines:
            raise LedgerError(f"review item {row.id}: member {mid} has no open coverage that "
                              f"can end as of {end.isoformat()}")  # fmt: skip
        out = Decided(decision, mid, "applied", lines=tuple(lines), as_of=end)
    elif decision in ("enrol", "apply_file"):
        tx = file_member(uow.conn, summary)
        if tx is None:
            raise LedgerError(f"review item {row.id}: the file's member loop was not kept")
        outcome = Outcome.NEW_MEMBER if decision == "enrol" else Outcome.APPLY
        res = apply_in(uow, header, Decision(outcome=outcome, transaction=tx, member_id=mid,
                                             decided_by=decided_by, explanation=note),
                       received_at=received_at, settings=settings)  # fmt: skip
        if res.status not in ("new", "applied", "noop"):
            why = "; ".join(res.notes) or res.status
            raise LedgerError(f"review item {row.id}: the ledger did not apply it: {why}")
        ended: list[str] = []
        if decision == "apply_file" and res.member_id:
            eff = dt.date.fromisoformat(summary["effective_date"]) if summary.get(
                "effective_date") else None  # fmt: skip
            for line in lines_only_in_ledger(uow, res.member_id, tx, eff):
                if eff is not None:
                    ended += terminate_member(uow, res.member_id, eff, header.lineage,
                                              decided_by=decided_by, note=note, only_line=line)
        out = Decided(decision, res.member_id, res.status, lines=tuple(ended))
    uow.flush()
    d = rt.discrepancies
    uow.conn.execute(d.update().where(d.c.run_id == run_id, d.c.ordinal.in_(summary["ordinals"]))
                     .values(status=decision))  # fmt: skip
    return Decided(out.decision, out.member_id, out.status,
                   tuple(range(start + 1, uow.seq + 1)), out.lines, out.as_of)  # fmt: skip


__all__ = [
    "DECISIONS",
    "RECONCILIATION_QUEUE",
    "Decided",
    "decide",
    "file_member",
    "is_reconciliation",
    "queue_discrepancies",
    "summary_of",
]
