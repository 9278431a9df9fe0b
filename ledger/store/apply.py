"""Applying decisions: the ledger's rules for turning a member transaction into entries.

`apply_in(uow, header, decision, ...)` is the one code path for automatic
decisions (ingest) and reviewer resolutions (`apply_decision`). It writes
through a `UnitOfWork`, so nothing is visible before the caller commits.
What a transaction asks for (span operations, dates, the date window) is
read by `ledger.store.apply_plan`, which touches no database.

Rules (every note is fixed text without PHI):
- REVIEW / REFER become review items; REJECT writes nothing.
- For automatic decisions an effective date more than `retro_days` before or
  `future_days` after the receipt date is not applied but held as a review
  item (reason retro_date / future_date). Reviewer decisions skip this check.
- Coverage spans are valid-time intervals [valid_from, valid_to): DTP 349/357
  name the last covered day, so valid_to is the day after. Spans for the same
  member and insurance line never overlap: a new span supersedes the parts of
  current versions it covers (supersession rows; versions are never updated).
- An end date before the begin date is refused; terminating a line with no
  open span is a no-op with a note; a termination without a date uses the
  partner's rule ('bgn_date' default, 'received_date', or 'reject').
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

import msgspec
from sqlalchemy.engine import Connection, Engine

from edi.codes import BenefitStatus, MaintenanceType
from edi.records import MemberTransaction, TransactionSetHeader, encode_json
from ledger.store import schema as t
from ledger.store.apply_plan import (
    DEMOGRAPHIC_CHANGES,
    ONE_DAY,
    LedgerSettings,
    check_window,
    demographics,
    effective_dates,
    fallback_end,
    first_date,
    identifiers,
    identity_differences,
    last_day,
    plan_ops,
    proposal_text,
    proposal_transaction,
)
from ledger.store.spans import (
    MemberCoverage,
    Refused,
    SpanOp,
    new_version,
    place,
    span_dict,
    terminate,
)
from ledger.store.unit import DEMOGRAPHIC_FIELDS, StoredMember, UnitOfWork, person_from
from matching.decisions import Decision, KnownPerson, Outcome, Reason

__all__ = [
    "Applied",
    "LedgerSettings",
    "apply_decision",
    "apply_in",
    "plan_ops",
    "store_review_item",
]


@dataclass(frozen=True, slots=True)
class Applied:
    """What happened to one decision: status is new | applied | noop | held | review |
    referred | rejected | refused."""

    status: str
    member_id: str | None = None
    entries: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    review_item_id: int | None = None


# ------------------------------------------------------------------ review items


def store_review_item(
    uow: UnitOfWork,
    header: TransactionSetHeader,
    decision: Decision,
    *,
    reason: Reason,
    queue: str,
    received_at: dt.datetime,
    settings: LedgerSettings,
    explanation: str = "",
    transaction_set_id: int | None = None,
) -> int | None:
    """Insert a review item holding the transaction; returns its id (None when `uow`
    buffers review items: `UnitOfWork.add_review_item`)."""
    tx = decision.transaction
    ln = header.lineage
    who = tx.subscriber_number or f"ordinal:{tx.lineage.member_ordinal}"
    due = decision.due_at or received_at + dt.timedelta(hours=settings.review_sla_hours)
    row = {
        "queue": queue,
        "reason": reason.value,
        "explanation": explanation or decision.explanation,
        "sponsor_id": header.sponsor.id if header.sponsor else "",
        "transaction": encode_json(tx),
        "header": _header_json(header),
        "candidates": _CANDIDATES_JSON.encode(decision.candidates).decode(),
        "suggested_member_id": decision.member_id,
        "family_key": f"{ln.sender_id}|{ln.interchange_control}|{ln.set_control}|{who}",
        "transaction_set_id": transaction_set_id,
        "received_at": received_at,
        "due_at": due,
        "status": "open",
        "model_version": decision.model_version,
    }
    return uow.add_review_item(row)


_CANDIDATES_JSON = msgspec.json.Encoder(order="sorted")
"""The candidates column: `Candidate` and `FieldComparison` (dataclasses) as objects of all
their fields, sorted keys, compact (not hashed; read back with json.loads)."""
_LAST_HEADER: list[Any] = [None, ""]


def _header_json(header: TransactionSetHeader) -> str:
    """encode_json(header), once per transaction set (every held member repeats it)."""
    if _LAST_HEADER[0] is not header:
        _LAST_HEADER[:] = [header, encode_json(header)]
    return str(_LAST_HEADER[1])


# ------------------------------------------------------------------ apply


def _subscriber_member(uow: UnitOfWork, tx: MemberTransaction) -> str | None:
    if tx.subscriber or not tx.subscriber_number:
        return None
    # Written members have lower ids than the ones still buffered, so the
    # written rows are asked first and the buffer only when they have none.
    found = uow.fetch(_SUBSCRIBER_SQL, (tx.subscriber_number,))
    return str(found[0][0]) if found else uow.pending_subscriber(tx.subscriber_number)


def apply_in(
    uow: UnitOfWork,
    header: TransactionSetHeader,
    decision: Decision,
    *,
    received_at: dt.datetime,
    settings: LedgerSettings | None = None,
    subscriber_member_id: str | None = None,
    transaction_set_id: int | None = None,
) -> Applied:
    """Apply one decision inside `uow` (the caller commits). See the module docstring."""
    settings = settings or LedgerSettings()
    tx = decision.transaction
    if decision.outcome is Outcome.REJECT:
        # the decision's fixed-text reason is what the sender's report shows
        why = (decision.explanation,) if decision.explanation else ()
        return Applied("rejected", decision.member_id, notes=why)
    if decision.outcome in (Outcome.REVIEW, Outcome.REFER):
        refer = decision.outcome is Outcome.REFER
        rid = store_review_item(
            uow, header, decision,
            reason=decision.reason or (Reason.MEDICARE_REFERRAL if refer else Reason.UNCERTAIN_MATCH),
            queue=decision.queue or ("medicare" if refer else "review"),
            received_at=received_at, settings=settings, transaction_set_id=transaction_set_id,
        )  # fmt: skip
        return Applied("referred" if refer else "review", decision.member_id, review_item_id=rid)
    new_member = decision.outcome is Outcome.NEW_MEMBER
    if not new_member and not decision.member_id:
        raise ValueError("an APPLY decision needs member_id")
    try:
        ops, notes = plan_ops(
            tx, header, new_member=new_member, received_at=received_at, settings=settings
        )
        end_all: dt.date | None = None
        if not new_member and tx.maintenance_type is MaintenanceType.TERMINATION:
            last = last_day(tx, None, "357")
            if last is None and tx.death_date is not None:
                last = tx.death_date
            if last is None:
                last = next(
                    (op.end - ONE_DAY for op in ops if op.kind == "terminate" and op.end), None
                )
            if last is None:
                last, note = fallback_end(header, received_at, settings)
                notes.append(note)
            end_all = last + ONE_DAY
    except Refused as exc:
        return Applied("refused", decision.member_id, notes=(str(exc),))
    if decision.decided_by == "auto":
        dates = effective_dates(tx, ops) + ([end_all - ONE_DAY] if end_all else [])
        hold = check_window(dates, received_at, settings)
        if hold is not None:
            text = (
                f"effective date outside the window of {settings.retro_days} days back"
                f" / {settings.future_days} days ahead"
            )
            rid = store_review_item(
                uow, header, decision, reason=hold, queue="review", received_at=received_at,
                settings=settings, explanation=text, transaction_set_id=transaction_set_id,
            )  # fmt: skip
            return Applied("held", decision.member_id, notes=(text,), review_item_id=rid)
    if new_member:
        return _enrol(uow, header, decision, ops, notes, subscriber_member_id)
    coverage = MemberCoverage(uow, str(decision.member_id))
    try:
        stored = _precheck(uow, decision, ops, end_all, coverage)
    except Refused as exc:
        return Applied("refused", decision.member_id, notes=(str(exc),))
    if decision.decided_by != "auto" or tx.maintenance_type in DEMOGRAPHIC_CHANGES:
        return _change(uow, decision, stored, ops, notes, end_all, coverage)
    kept: list[str] = []
    res = _change(uow, decision, stored, ops, notes, end_all, coverage, kept)
    if not kept:
        return res
    text = proposal_text(tx, kept)
    rid = store_review_item(
        uow, header, replace(decision, transaction=proposal_transaction(tx)),
        reason=Reason.DEMOGRAPHIC_PROPOSAL, queue="review", received_at=received_at,
        settings=settings, explanation=text, transaction_set_id=transaction_set_id,
    )  # fmt: skip
    return replace(res, notes=(*res.notes, text), review_item_id=rid)


def _precheck(
    uow: UnitOfWork, decision: Decision, ops: list[SpanOp], end_all: dt.date | None,
    coverage: MemberCoverage,
) -> StoredMember:  # fmt: skip
    """Refuse before anything is written (so a refusal never leaves half a change); the
    member as stored, for the change."""
    tx = decision.transaction
    stored = uow.stored_member(str(decision.member_id))
    if stored is None:
        raise Refused("decision names a member the ledger does not know")
    open_: dict[str, list[Any]] = {}
    for v in coverage.all() if ops or end_all is not None else ():
        if v.valid_to is None:
            open_.setdefault(v.insurance_line, []).append(v)
    for op in ops:
        ends_early = op.end is not None and any(
            op.end <= v.valid_from for v in open_.get(op.line, [])
        )
        if op.kind == "terminate" and end_all is None and ends_early:
            raise Refused("end date before begin date")
    if end_all is not None and any(end_all <= v.valid_from for vs in open_.values() for v in vs):
        raise Refused("end date before begin date")
    reinstate = tx.maintenance_type is MaintenanceType.REINSTATEMENT and not ops
    if reinstate and first_date(tx, None, "303", "356") is None:
        raise Refused("reinstatement without a DTP 303 or 356 date")
    return stored


def _enrol(
    uow: UnitOfWork,
    header: TransactionSetHeader,
    decision: Decision,
    ops: list[SpanOp],
    notes: list[str],
    subscriber_member_id: str | None,
) -> Applied:
    tx = decision.transaction
    mid = uow.new_member_id()
    seq = uow.seq + 1
    now = uow.recorded_at
    sponsor = header.sponsor.id if header.sponsor else ""
    relationship = tx.relationship.value if tx.relationship else ""
    sub = subscriber_member_id if not tx.subscriber else None
    if sub is None and not tx.subscriber:
        sub = _subscriber_member(uow, tx)
    uow.add(t.members, {
        "member_id": mid, "sponsor_id": sponsor, "subscriber_member_id": sub,
        "subscriber_number": tx.subscriber_number, "relationship": relationship,
        "birth_sequence": tx.birth_sequence, "created_at": now, "created_entry": seq,
    })  # fmt: skip
    idents = identifiers(tx)
    for kind, value in idents:
        uow.add(t.member_identifiers, {
            "member_id": mid, "type": kind, "value": value, "first_seen_at": now, "source_entry": seq,
        })  # fmt: skip
    demo = demographics(tx)
    valid_from = next((op.begin for op in ops if op.begin), None) or header.date
    uow.add(t.demographics_versions, {
        "version_id": uow.next_id("demographics_version"), "member_id": mid, **demo,
        "valid_from": valid_from, "recorded_at": now, "entry_seq": seq,
    })  # fmt: skip
    spans: list[dict[str, Any]] = []
    seen_lines: dict[str, int] = {}
    for op in ops:
        assert op.begin is not None
        if op.line in seen_lines:
            notes.append(f"a second HD for insurance line {op.line} in one member loop; ignored")
            continue
        seen_lines[op.line] = 1
        spans.append(
            span_dict(new_version(uow, mid, op.line, op.plan, op.level, op.begin, op.end, seq))
        )
    uow.entry(
        member_id=mid, kind="enrolment",
        after=({"sponsor_id": sponsor, "relationship": relationship,
                         "identifiers": [k for k, _ in idents], "demographics": demo,
                         "coverages": spans}),
        valid_from=valid_from, lineage=tx.lineage, decided_by=decision.decided_by,
        score=decision.score, notes=notes, model_version=decision.model_version,
    )  # fmt: skip
    seqs = [seq]
    if tx.benefit_status is BenefitStatus.COBRA:
        seqs.append(_cobra_entry(uow, decision, mid, valid_from))
    ids = dict(idents)  # one value per kind except ref:<qualifier>s, as person_from reads them
    uow.register_person(KnownPerson(
        member_id=mid, subscriber_numbers=(tx.subscriber_number,) if tx.subscriber_number else (),
        ssn=ids.get("ssn", ""), last=demo["last"], first=demo["first"], middle=demo["middle"],
        birth_date=demo["birth_date"], gender=demo["gender"], relationship=relationship,
        birth_sequence=tx.birth_sequence, address_line1=demo["address_line1"],
        postal_code=demo["postal_code"], medicare_id=ids.get("medicare_id", ""),
        other_ids=tuple((k[4:], v) for k, v in idents if k.startswith("ref:")), sponsor_id=sponsor,
    ), new=True)  # fmt: skip
    return Applied("new", mid, tuple(seqs), tuple(notes))


class _Row:
    """Attribute access over keyword values (to reuse person_from on unwritten rows)."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def _cobra_entry(uow: UnitOfWork, decision: Decision, mid: str, begin: dt.date | None) -> int:
    tx = decision.transaction
    return uow.entry(
        member_id=mid, kind="cobra_continuation",
        after={"cobra_event": tx.cobra_event.value if tx.cobra_event else ""},
        valid_from=first_date(tx, None, "340") or begin, lineage=tx.lineage,
        decided_by=decision.decided_by, score=decision.score,
        model_version=decision.model_version,
    )  # fmt: skip


_SUBSCRIBER_SQL = (
    "SELECT member_id FROM members WHERE subscriber_number = ? AND relationship = '18' "
    "ORDER BY member_id LIMIT 1"
)


def _change(
    uow: UnitOfWork,
    decision: Decision,
    stored: StoredMember,
    ops: list[SpanOp],
    notes: list[str],
    end_all: dt.date | None,
    coverage: MemberCoverage,
    kept: list[str] | None = None,
) -> Applied:
    """Apply to an existing member. With `kept`, identity differences are not written
    (`apply_plan.identity_differences`) and their field names are appended to it."""
    tx = decision.transaction
    mid = decision.member_id
    assert mid is not None
    member, stored_ids, latest = stored
    seqs: list[int] = []
    common: dict[str, Any] = {
        "member_id": mid, "lineage": tx.lineage,
        "decided_by": decision.decided_by, "score": decision.score,
        "model_version": decision.model_version,
    }  # fmt: skip

    def next_seq() -> int:
        return uow.seq + 1

    # identifiers and demographics
    known = set(stored_ids)
    new_ids = [i for i in identifiers(tx) if i not in known]
    before = latest or dict.fromkeys(DEMOGRAPHIC_FIELDS)
    incoming = demographics(tx)
    after = {k: (incoming[k] if incoming[k] not in ("", None) else before[k]) for k in DEMOGRAPHIC_FIELDS}
    if kept is not None:
        fields, ids = identity_differences(before, after, known, new_ids)
        after |= {k: before[k] for k in fields}
        new_ids = [i for i in new_ids if i not in ids]
        kept += (["ssn"] if ids else []) + fields
    changed = after != before
    if changed or new_ids:
        valid_from = first_date(tx, None, "303") or uow.recorded_at.date()
        seq = uow.entry(
            kind="demographic_change",
            before=({**{k: before[k] for k in DEMOGRAPHIC_FIELDS if before[k] != after[k]},
                              "identifiers": []}),
            after=({**{k: after[k] for k in DEMOGRAPHIC_FIELDS if before[k] != after[k]},
                             "identifiers": [k for k, _ in new_ids]}),
            valid_from=valid_from, **common,
        )  # fmt: skip
        seqs.append(seq)
        for kind, value in new_ids:
            uow.add(t.member_identifiers, {
                "member_id": mid, "type": kind, "value": value,
                "first_seen_at": uow.recorded_at, "source_entry": seq,
            })  # fmt: skip
        if changed:
            uow.add(t.demographics_versions, {
                "version_id": uow.next_id("demographics_version"), "member_id": mid, **after,
                "valid_from": valid_from, "recorded_at": uow.recorded_at, "entry_seq": seq,
            })  # fmt: skip
        idents = sorted(known | set(new_ids))
        uow.register_person(person_from(member, _Row(**after), idents))

    # coverage operations
    for op in ops:
        if op.kind == "terminate":
            if end_all is not None:
                continue
            assert op.end is not None
            res = terminate(uow, mid, op.line, op.end, next_seq, coverage)
            if res is None:
                notes.append(f"insurance line {op.line}: no open coverage; termination is a no-op")
                continue
            seqs.append(
                uow.entry(
                    kind="coverage_terminated",
                    before=({"spans": res[0]}),
                    after=({"spans": res[1]}),
                    valid_to=op.end,
                    **common,
                )
            )
        elif op.kind == "change":
            cur = [v for v in coverage.line(op.line) if v.valid_to is None]
            if not cur:
                notes.append(f"insurance line {op.line}: no open coverage to change; added instead")
                op.begin = op.begin or uow.recorded_at.date()
            else:
                op.begin = op.begin or cur[-1].valid_from
                op.end = cur[-1].valid_to
                op.plan = op.plan or cur[-1].plan
                op.level = op.level or cur[-1].coverage_level
            placed = place(uow, mid, op, next_seq, coverage)
            if placed is None:
                notes.append(f"insurance line {op.line}: coverage unchanged")
                continue
            seqs.append(
                uow.entry(
                    kind="coverage_changed",
                    before=({"spans": placed[0]}),
                    after=({"spans": placed[1]}),
                    valid_from=op.begin,
                    **common,
                )
            )
        else:
            if op.kind == "reinstate" and not op.plan:
                prior = coverage.line(op.line)
                if prior:
                    op.plan, op.level = prior[-1].plan, prior[-1].coverage_level
            placed = place(uow, mid, op, next_seq, coverage)
            if placed is None:
                notes.append(f"insurance line {op.line}: coverage already recorded; no change")
                continue
            kind = (
                "reinstatement"
                if op.kind == "reinstate"
                else ("coverage_changed" if placed[0] else "coverage_added")
            )
            seqs.append(
                uow.entry(
                    kind=kind,
                    before=({"spans": placed[0]}),
                    after=({"spans": placed[1]}),
                    valid_from=op.begin,
                    **common,
                )
            )
    if tx.maintenance_type is MaintenanceType.REINSTATEMENT and not ops:
        seqs.extend(_reinstate_member(uow, tx, mid, common, notes, coverage))
    if end_all is not None:
        seqs.extend(_terminate_member(uow, tx, mid, end_all, common, notes, coverage))
    if tx.benefit_status is BenefitStatus.COBRA and seqs:
        seqs.append(_cobra_entry(uow, decision, mid, next((o.begin for o in ops if o.begin), None)))
    return Applied("applied" if seqs else "noop", mid, tuple(seqs), tuple(notes))


def _reinstate_member(
    uow: UnitOfWork, tx: MemberTransaction, mid: str, common: dict[str, Any], notes: list[str],
    coverage: MemberCoverage,
) -> list[int]:  # fmt: skip
    begin = first_date(tx, None, "303", "356")
    assert begin is not None  # _precheck refused otherwise
    seqs: list[int] = []
    latest: dict[str, Any] = {}
    for v in coverage.all():
        latest[v.insurance_line] = v
    for line, v in sorted(latest.items()):
        if v.valid_to is None:
            continue
        op = SpanOp("reinstate", line, v.plan, v.coverage_level, begin)
        placed = place(uow, mid, op, lambda: uow.seq + 1, coverage)
        if placed is not None:
            seqs.append(
                uow.entry(
                    kind="reinstatement",
                    before=({"spans": placed[0]}),
                    after=({"spans": placed[1]}),
                    valid_from=begin,
                    **common,
                )
            )
    if not seqs:
        notes.append("reinstatement: no terminated coverage to reinstate")
    return seqs


def _terminate_member(
    uow: UnitOfWork, tx: MemberTransaction, mid: str, end: dt.date,
    common: dict[str, Any], notes: list[str], coverage: MemberCoverage,
) -> list[int]:  # fmt: skip
    seqs: list[int] = []
    lines = sorted({v.insurance_line for v in coverage.all() if v.valid_to is None})
    for line in lines:
        res = terminate(uow, mid, line, end, lambda: uow.seq + 1, coverage)
        if res is not None:
            seqs.append(
                uow.entry(
                    kind="coverage_terminated",
                    before=({"spans": res[0]}),
                    after=({"spans": res[1]}),
                    valid_to=end,
                    **common,
                )
            )
    if not seqs:
        notes.append("member has no open coverage; termination is a no-op")
        return seqs
    seqs.append(uow.entry(kind="member_terminated", after={"lines": lines}, valid_to=end, **common))
    if tx.death_date is not None:
        seqs.append(
            uow.entry(kind="death", after={"death": True}, valid_from=tx.death_date, **common)
        )
    return seqs


def apply_decision(
    target: str | Engine | Connection,
    header: TransactionSetHeader,
    decision: Decision,
    *,
    received_at: dt.datetime | None = None,
    settings: LedgerSettings | None = None,
    subscriber_member_id: str | None = None,
) -> Applied:
    """Apply one decision in its own unit of work: the path a reviewer's resolution takes.

    Same rules as ingest (`apply_in`); `decision.decided_by` (the reviewer's
    user id) is recorded on every entry, and the date window is not enforced
    for non-automatic decisions. With a Connection the caller's open
    transaction is used and the caller commits; with a URL or Engine this
    commits (or rolls back on error) itself. The action is audited.
    """
    from ledger.store.audit_log import audit
    from ledger.store.db import engine, utcnow

    def run(conn: Connection) -> Applied:
        uow = UnitOfWork(conn)
        res = apply_in(
            uow, header, decision, received_at=received_at or utcnow(), settings=settings,
            subscriber_member_id=subscriber_member_id,
        )  # fmt: skip
        uow.finish()
        audit(
            conn, decision.decided_by, "ledger.apply_decision", target=res.member_id or "",
            details={"outcome": decision.outcome.value, "status": res.status,
                     "entries": list(res.entries)},
        )  # fmt: skip
        return res

    if isinstance(target, Connection):
        return run(target)
    eng = target if isinstance(target, Engine) else engine(target)
    with eng.begin() as conn:
        return run(conn)
