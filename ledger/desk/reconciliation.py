"""Deciding a reconciliation work item at the desk (both faces: `review decide`, the web).

`decide_item` checks the user (`review.resolve`; an item assigned to somebody else needs
`review.override`), applies the decision through `ledger.fullfile.work.decide` — the
ledger's ordinary apply path — closes the item and writes one 'review.resolve' audit
record, all in one database transaction. Then, given the outbox, the run's reports are
written again so they show what was decided.

`reconciliation_context` is what the item page shows beside the summary: the file's
member loop (SSN masked unless `show_phi`), the ledger member's current values and
coverages, and the run. No PHI in audit details or messages.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edi.records import TransactionSetHeader, decode_json
from ledger.desk.review import Resolution, ledger_settings
from ledger.desk.users import Actor, refuse, require
from ledger.desk.views import person_view, transaction_view, utc
from ledger.fullfile import (
    DECISIONS,
    decide,
    file_member,
    is_reconciliation,
    load_run,
    summary_of,
    write_reports,
)
from ledger.store import LedgerError, UnitOfWork, audit, engine, load_people, queries, utcnow
from ledger.store import schema as t


class _Refusal(Exception):
    """A refusal raised inside the transaction, audited after its rollback."""


def _engine(target: str | Engine) -> Engine:
    return target if isinstance(target, Engine) else engine(target)


def decide_item(
    target: str | Engine, actor: Actor, item_id: int, decision: str, *,
    as_of: dt.date | None = None, outbox: str | Path | None = None,
) -> Resolution:  # fmt: skip
    """Decide reconciliation item `item_id` with `decision` (see `ledger.fullfile.DECISIONS`;
    `as_of` dates a termination, default the file's effective date). The Resolution's
    `resolution` is the decision; `notes` name the reports written again."""
    eng = _engine(target)
    require(eng, actor, "review.resolve", str(item_id))
    ri = t.review_items
    try:
        with eng.begin() as conn:
            uow = UnitOfWork(conn)
            row = conn.execute(sa.select(ri).where(ri.c.id == item_id).with_for_update()).first()
            if row is None:
                raise LedgerError(f"review item {item_id} not found")
            if not is_reconciliation(row):
                raise LedgerError(f"review item {item_id} is not a reconciliation item "
                                  "(use review resolve)")  # fmt: skip
            if row.status == "resolved":
                raise LedgerError(f"review item {item_id} is already resolved")
            override = row.assignee not in (None, actor.user_id)
            if override and not actor.may("review.override"):
                raise _Refusal("the item is assigned to another user")
            try:
                header = decode_json(TransactionSetHeader, row.header)
            except ValueError:
                raise LedgerError(f"review item {item_id}: stored header unreadable") from None
            received = utc(row.received_at)
            assert received is not None
            done = decide(uow, row, decision, decided_by=actor.user_id, received_at=received,
                          settings=ledger_settings(conn, header), as_of=as_of)  # fmt: skip
            uow.finish()
            conn.execute(ri.update().where(ri.c.id == item_id).values(
                status="resolved", resolution=decision, resolved_by=actor.user_id,
                resolved_at=utcnow(), assignee=row.assignee or actor.user_id))  # fmt: skip
            summary = summary_of(row)
            audit(conn, actor.user_id, "review.resolve", target=str(item_id), details={
                "resolution": decision, "run_id": summary["run_id"],
                "discrepancy": summary.get("discrepancy"), "member_id": done.member_id,
                "status": done.status, "entries": list(done.entries), "lines": list(done.lines),
                "as_of": done.as_of.isoformat() if done.as_of else None, "override": override,
            })  # fmt: skip
    except _Refusal as exc:
        raise refuse(eng, actor.user_id, "review.resolve", str(exc), str(item_id)) from None
    notes = [f"reconciliation run {summary['run_id']}"]
    if outbox:
        try:
            with eng.connect() as conn:
                run = load_run(conn, summary["run_id"])
                source = str(summary.get("source") or "full-file")
                notes += [f"report {p.name}" for p in write_reports(conn, run, Path(outbox), source)]
        except OSError as exc:  # decided and committed; only the report is missing
            notes.append(f"reports not written ({type(exc).__name__})")
    return Resolution(item_id=item_id, resolution=decision, status=done.status,
                      member_id=done.member_id, entries=done.entries, notes=tuple(notes))  # fmt: skip


def reconciliation_context(
    target: str | Engine, actor: Actor, item_id: int, *, show_phi: bool = False
) -> dict[str, Any]:
    """{summary, decisions, file, ledger, coverages, run} for a reconciliation item: the
    file's member loop (`transaction_view`), the ledger member (`person_view`) and their
    coverages today; SSNs masked unless `show_phi` (checked and audited by `show_item`,
    which the page calls first)."""
    eng = _engine(target)
    require(eng, actor, "review.read", str(item_id))
    ri = t.review_items
    with eng.connect() as conn:
        row = conn.execute(sa.select(ri).where(ri.c.id == item_id)).first()
        if row is None or not is_reconciliation(row):
            raise LedgerError(f"review item {item_id} is not a reconciliation item")
        summary = summary_of(row)
        tx = file_member(conn, summary)
        mid = summary.get("member_id")
        people = load_people(conn, [mid]) if mid else []
        spans = queries.spans(conn, member_ids=[mid], as_of=dt.date.today()) if mid else []
        run = load_run(conn, summary["run_id"])
    return {
        "summary": summary, "decisions": DECISIONS.get(str(summary.get("discrepancy")), ()),
        "file": transaction_view(tx, show_phi=show_phi) if tx else None,
        "ledger": person_view(people[0], show_phi=show_phi) if people else None,
        "coverages": [{"line": s.line, "plan": s.plan, "level": s.level, "begin": s.begin,
                       "last_day": s.last_day} for s in spans],
        "run": run.to_json(),
    }  # fmt: skip


__all__ = ["decide_item", "reconciliation_context"]
