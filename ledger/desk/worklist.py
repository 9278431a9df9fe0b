"""The desk's work list as pages: filtered, sorted, paged queues; an item's notes and
history; member search. What the browser face shows, read with a few indexed queries
(never every open item for one page).

- `page_items` is `review.list` for one page: filters (queue, group, partner, reason,
  assignee, status, overdue), a sort, a page; the counts of every queue come with it.
  Audited as 'review.list' (filters and counts, never PHI).
- `add_note` / `item_history`: notes are insert-only rows (`review_notes`), audited
  'review.note' without their text; an item's history is its audit records (assigned,
  resolved, released, notes) oldest first.
- `search_members`: by subscriber number, member id, surname + birth date (through the
  matcher's own `dob_surname` blocking keys) or the last four SSN digits; audited
  'member.search' with the kind of search and the count, never the values.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.desk.users import Actor, require
from ledger.desk.views import OPEN_STATUSES, QUEUES, ItemView, item_view, mask_ssn, utc
from ledger.store import LedgerError, audit, engine, load_people, session_tables, utcnow
from ledger.store import schema as t
from matching.blocking import person_keys
from matching.decisions import KnownPerson

MAX_NOTE = 1000
SORTS = ("due", "received", "id", "reason", "group")
UNASSIGNED = "-"
"""`QueueFilter.assignee` value meaning 'nobody'."""


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What one queue page shows: every field narrows (None = any)."""

    queue: str = "review"
    sponsor: str | None = None
    partner: str | None = None
    """ISA06 sender id of the file the item came from."""
    reason: str | None = None
    assignee: str | None = None
    """A user id, or UNASSIGNED."""
    status: str | None = None
    """'open' or 'assigned' (both when None)."""
    overdue: bool = False


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One page of a queue, with the totals the page needs."""

    items: tuple[ItemView, ...]
    total: int
    page: int
    size: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """queue -> {'open': n, 'overdue': n} over all open items."""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def _engine(target: str | Engine) -> Engine:
    return target if isinstance(target, Engine) else engine(target)


def is_open() -> sa.ColumnElement[bool]:
    """status IN ('open', 'assigned'), its values written into the SQL as the predicate of
    the partial index `ix_review_items_open` is (a bound parameter would keep a prepared
    statement's generic plan from using that index)."""
    statuses: sa.BindParameter[Any] = sa.bindparam(
        "open_statuses", OPEN_STATUSES, expanding=True, literal_execute=True)
    return t.review_items.c.status.in_(statuses)


def queue_counts(conn: Connection, now: dt.datetime) -> dict[str, dict[str, int]]:
    """Open and overdue items per queue (every known queue present): the open counts the
    triggers keep (`review_queue_counts`, summed over its slots), the overdue ones one
    range of the open-items index per queue."""
    ri, qc = t.review_items, t.review_queue_counts
    out = {name: {"open": 0, "overdue": 0} for name in QUEUES}
    for queue, n in conn.execute(sa.select(qc.c.queue, sa.func.sum(qc.c.open_items))
                                 .group_by(qc.c.queue)):  # fmt: skip
        out[queue] = {"open": int(n or 0), "overdue": 0}
    late = [sa.select(sa.func.count()).where(ri.c.queue == q, is_open(), ri.c.due_at < now)
            .scalar_subquery() for q in QUEUES if out[q]["open"]]  # fmt: skip
    if late:
        busy = [q for q in QUEUES if out[q]["open"]]
        for q, n in zip(busy, conn.execute(sa.select(*late)).one(), strict=True):
            out[q]["overdue"] = int(n or 0)
    return out


def _filtered(f: QueueFilter, now: dt.datetime) -> sa.Select[Any]:
    ri = t.review_items
    q = sa.select(ri).where(ri.c.queue == f.queue, is_open())
    if f.status:
        q = q.where(ri.c.status == f.status)
    if f.sponsor:
        q = q.where(ri.c.sponsor_id == f.sponsor)
    if f.reason:
        q = q.where(ri.c.reason == f.reason)
    if f.assignee == UNASSIGNED:
        q = q.where(ri.c.assignee.is_(None))
    elif f.assignee:
        q = q.where(ri.c.assignee == f.assignee)
    if f.overdue:
        q = q.where(ri.c.due_at < now)
    if f.partner:
        ts, ic = t.transaction_sets, t.interchanges
        q = q.where(ri.c.transaction_set_id.in_(
            sa.select(ts.c.id).join(ic, ic.c.id == ts.c.interchange_id)
            .where(ic.c.sender_id == f.partner)
        ))  # fmt: skip
    return q


def _order(sort: str, descending: bool) -> list[Any]:
    ri = t.review_items
    if sort not in SORTS:
        raise LedgerError(f"unknown sort '{sort}' (sorts: {', '.join(SORTS)})")
    col = {"due": ri.c.due_at, "received": ri.c.received_at, "id": ri.c.id,
           "reason": ri.c.reason, "group": ri.c.sponsor_id}[sort]  # fmt: skip
    key = col.desc() if descending else col.asc()
    # undated items last either way; ascending by due date is the open-items index's order
    keys: list[Any] = [key.nulls_last() if sort == "due" else key]
    keys.append(ri.c.id.desc() if descending else ri.c.id.asc())
    return keys


def page_items(
    target: str | Engine,
    actor: Actor,
    f: QueueFilter,
    *,
    sort: str = "due",
    descending: bool = False,
    page: int = 1,
    size: int = 50,
    now: dt.datetime | None = None,
) -> QueuePage:
    """One page of queue `f.queue` (earliest due first by default, so overdue items lead).

    Each item is a queue row (`item_view(..., summary=True)`): a held member
    transaction's codes, no names, numbers or candidates. Audited as 'review.list'.
    """
    eng = _engine(target)
    require(eng, actor, "review.read")
    if f.queue not in QUEUES:
        raise LedgerError(f"unknown queue '{f.queue}' (queues: {', '.join(QUEUES)})")
    now = utc(now) or utcnow()
    page, size = max(1, page), max(1, min(size, 500))
    q = _filtered(f, now)
    ri = t.review_items
    with eng.begin() as conn:
        counts = queue_counts(conn, now)
        # a whole queue's total is its open count; only a narrower filter counts again
        total = (counts[f.queue]["open"] if f == QueueFilter(queue=f.queue) else
                 int(conn.execute(q.with_only_columns(sa.func.count())).scalar() or 0))
        # the page's ids first (a narrow sort), then only their rows: the held transactions
        # of a 50,000-item queue are never read to sort it
        ids = [int(i) for (i,) in conn.execute(
            q.with_only_columns(ri.c.id).order_by(*_order(sort, descending))
            .limit(size).offset((page - 1) * size))]  # fmt: skip
        shown = [c for c in ri.c if c.name not in ("header", "candidates")]
        rows = {int(r.id): r for r in conn.execute(sa.select(*shown).where(ri.c.id.in_(ids)))}
        items = tuple(item_view(rows[i], now, False, summary=True) for i in ids)
        audit(conn, actor.user_id, "review.list", details={
            "queue": f.queue, "overdue_only": f.overdue, "count": len(items), "total": total,
            "page": page, "sort": sort, "show_phi": False,
            "filters": sorted(k for k in ("sponsor", "partner", "reason", "assignee", "status")
                              if getattr(f, k)),
        })  # fmt: skip
    return QueuePage(items, total, page, size, counts)


# ---------------------------------------------------------------- notes and history


def add_note(target: str | Engine, actor: Actor, item_id: int, text: str) -> int:
    """Add a note to item `item_id`; returns its id. Audited 'review.note' (no text)."""
    eng = _engine(target)
    require(eng, actor, "review.note", str(item_id))
    body = (text or "").strip()
    if not body:
        raise LedgerError("a note needs some text")
    if len(body) > MAX_NOTE:
        raise LedgerError(f"a note is at most {MAX_NOTE} characters")
    rn = session_tables.review_notes
    with eng.begin() as conn:
        exists = conn.execute(sa.select(t.review_items.c.id)
                              .where(t.review_items.c.id == item_id)).first()  # fmt: skip
        if exists is None:
            raise LedgerError(f"review item {item_id} not found")
        key = conn.execute(rn.insert().values(
            item_id=item_id, user_id=actor.user_id, at=utcnow(), text=body,
        )).inserted_primary_key  # fmt: skip
        assert key is not None
        note_id = key[0]
        audit(conn, actor.user_id, "review.note", target=str(item_id),
              details={"note": int(note_id), "length": len(body)})
    return int(note_id)


HISTORY_ACTIONS = ("review.assign", "review.resolve", "review.release", "review.note",
                   "review.reconcile")  # fmt: skip


def item_history(conn: Connection, item_id: int) -> list[dict[str, Any]]:
    """What happened to item `item_id`, oldest first: audit records of HISTORY_ACTIONS
    (at, user, action, details) with each note's text beside its 'review.note' record."""
    a, rn = t.audit_log, session_tables.review_notes
    notes = {int(r.id): r.text for r in conn.execute(sa.select(rn).where(rn.c.item_id == item_id))}
    out = []
    for r in conn.execute(sa.select(a.c.at, a.c.user_id, a.c.action, a.c.details)
                          .where(a.c.target == str(item_id), a.c.action.in_(HISTORY_ACTIONS))
                          .order_by(a.c.seq)):  # fmt: skip
        details = json.loads(r.details or "{}")
        entry = {"at": utc(r.at), "user": r.user_id, "action": r.action, "details": details}
        if r.action == "review.note":
            entry["text"] = notes.get(int(details.get("note", 0)), "")
        out.append(entry)
    return out


def item_context(target: str | Engine, actor: Actor, item_id: int) -> dict[str, Any]:
    """What an item page shows beside the item itself (`context_of`); `show_item` with
    `context=True` reads it in the same transaction as the item."""
    eng = _engine(target)
    require(eng, actor, "review.read", str(item_id))
    ri = t.review_items
    with eng.connect() as conn:
        row = conn.execute(sa.select(ri.c.id, ri.c.header, ri.c.family_key, ri.c.received_at)
                           .where(ri.c.id == item_id)).first()  # fmt: skip
        if row is None:
            raise LedgerError(f"review item {item_id} not found")
        return context_of(conn, row)


def context_of(conn: Connection, row: Any) -> dict[str, Any]:
    """For a review_items `row` (id, header, family_key, received_at): the file it came from
    (sender, ISA13, GS06, ST02, file name, received time), the family's other items (ids,
    queues, reasons, status, relationship codes; no names) and the item's history."""
    ri = t.review_items
    item_id = int(row.id)
    try:
        lineage = dict(json.loads(row.header or "{}").get("lineage") or {})
    except (ValueError, AttributeError):
        lineage = {}
    family = []
    if row.family_key:
        for r in conn.execute(sa.select(ri.c.id, ri.c.queue, ri.c.reason, ri.c.status,
                                        ri.c.resolution, ri.c.transaction)
                              .where(ri.c.family_key == row.family_key, ri.c.id != item_id)
                              .order_by(ri.c.id).limit(50)):  # fmt: skip
            try:
                tx = json.loads(r.transaction)
            except ValueError:
                tx = {}
            family.append({"id": int(r.id), "queue": r.queue, "reason": r.reason,
                           "status": r.status, "resolution": r.resolution,
                           "relationship": tx.get("relationship"),
                           "maintenance_type": tx.get("maintenance_type")})  # fmt: skip
    history = item_history(conn, item_id)
    source = {k: lineage.get(k) for k in ("source", "sender_qualifier", "sender_id",
                                          "interchange_control", "group_control",
                                          "set_control", "file_sha256")}  # fmt: skip
    source["received_at"] = utc(row.received_at)
    return {"source": source, "family": family, "history": history}


# ---------------------------------------------------------------- search

SEARCH_KINDS = ("subscriber_number", "member_id", "name_birth_date", "ssn_last4")


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def search_members(
    target: str | Engine,
    actor: Actor,
    *,
    subscriber_number: str = "",
    member_id: str = "",
    last: str = "",
    first: str = "",
    birth_date: dt.date | None = None,
    ssn_last4: str = "",
    limit: int = 50,
) -> tuple[str, list[dict[str, Any]]]:
    """(the kind of search made, matching members): member id, current name, birth date,
    masked SSN, subscriber numbers, sponsor. Exactly one kind is used, in SEARCH_KINDS
    order of the values given. Audited 'member.search' (kind and count only)."""
    eng = _engine(target)
    require(eng, actor, "members.search")
    i, m = t.member_identifiers, t.members
    with eng.begin() as conn:
        if subscriber_number.strip():
            kind = "subscriber_number"
            q = sa.select(i.c.member_id).where(i.c.type == "subscriber_number",
                                               i.c.value == subscriber_number.strip())
        elif member_id.strip():
            kind = "member_id"
            q = sa.select(m.c.member_id).where(m.c.member_id == member_id.strip().upper())
        elif last.strip() and birth_date is not None:
            kind = "name_birth_date"
            keys = [k for k in person_keys(KnownPerson(member_id="", last=last, first=first,
                                                       birth_date=birth_date))
                    if k[0] == "dob_surname"]  # fmt: skip
            bk = t.blocking_keys
            q = sa.select(bk.c.member_id).where(bk.c.kind == "dob_surname",
                                                bk.c.value.in_([v for _, v in keys]))
        elif len(_digits(ssn_last4)) == 4:
            kind = "ssn_last4"
            q = sa.select(i.c.member_id).where(i.c.type == "ssn",
                                               i.c.value.like(f"%{_digits(ssn_last4)}"))
        else:
            raise LedgerError("search by subscriber number, member id, surname with birth "
                              "date, or the last four digits of an SSN")  # fmt: skip
        ids = [r[0] for r in conn.execute(q.distinct().limit(limit * 4))]
        people = load_people(conn, ids)
        if kind == "name_birth_date":
            want = last.strip().upper()
            people = [p for p in people if p.birth_date == birth_date
                      and (p.last.upper() == want or p.last.upper().startswith(want))]
            if first.strip():
                people = [p for p in people if p.first.upper().startswith(first.strip().upper())]
        people = sorted(people, key=lambda p: p.member_id)[:limit]
        audit(conn, actor.user_id, "member.search", details={"kind": kind, "count": len(people)})
    return kind, [{
        "member_id": p.member_id, "last": p.last, "first": p.first, "middle": p.middle,
        "birth_date": p.birth_date, "ssn": mask_ssn(p.ssn), "gender": p.gender,
        "relationship": p.relationship, "subscriber_numbers": list(p.subscriber_numbers),
        "sponsor_id": p.sponsor_id,
    } for p in people]  # fmt: skip


__all__ = [
    "HISTORY_ACTIONS",
    "QueueFilter",
    "QueuePage",
    "SEARCH_KINDS",
    "SORTS",
    "UNASSIGNED",
    "add_note",
    "context_of",
    "item_context",
    "item_history",
    "page_items",
    "queue_counts",
    "search_members",
]
