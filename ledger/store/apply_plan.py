"""Planning a member transaction: what it asks the ledger to do, before anything is read or written.

`plan_ops(tx, header, ...)` turns the HD loops of one member transaction into
coverage operations (`spans.SpanOp`) plus fixed-text notes, or raises
`spans.Refused`. The date helpers read DTP qualifiers (DTP 349/357 name the
last covered day), `check_window` applies the retro/future date window, and
`demographics` / `identifiers` give the rows a transaction carries. Pure
functions of the records and `LedgerSettings`; `ledger.store.apply` writes the result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import msgspec

from edi.codes import MaintenanceType
from edi.records import Coverage, MemberTransaction, TransactionSetHeader
from ledger.store.spans import Refused, SpanOp
from matching.decisions import Reason

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class LedgerSettings:
    """Policy the apply step enforces (per partner where the partner row says so)."""

    retro_days: int = 90
    future_days: int = 60
    review_sla_hours: int = 48
    termination_date_rule: str = "bgn_date"
    """'bgn_date' (the file's BGN03), 'received_date', or 'reject'."""


def first_date(tx: MemberTransaction, cov: Coverage | None, *quals: str) -> dt.date | None:
    """The first of the DTP `quals` present (HD loop first, member level for 356/357/303)."""
    for q in quals:
        p = cov.date(q) if cov is not None else None
        if p is None and q in {"356", "357", "303"}:
            p = tx.date(q)
        if p is not None:
            return p.begin
    return None


def last_day(tx: MemberTransaction, cov: Coverage | None, *quals: str) -> dt.date | None:
    """The last covered day the first present DTP of `quals` names (a range's end)."""
    for q in quals:
        p = cov.date(q) if cov is not None else tx.date(q)
        if p is None and cov is not None and q in {"357"}:
            p = tx.date(q)
        if p is not None:
            return p.end or p.begin
    return None


def fallback_end(
    header: TransactionSetHeader, received_at: dt.datetime, settings: LedgerSettings
) -> tuple[dt.date, str]:
    """The last covered day for an undated termination under the partner's rule, with a note;
    raises Refused under 'reject'."""
    rule = settings.termination_date_rule
    if rule == "reject":
        raise Refused("termination without a date refused (partner rule 'reject')")
    if rule == "received_date" or header.date is None:
        return received_at.date(), "termination without a date: receipt date used"
    return header.date, "termination without a date: BGN03 file date used (partner rule 'bgn_date')"


def plan_ops(
    tx: MemberTransaction,
    header: TransactionSetHeader,
    *,
    new_member: bool,
    received_at: dt.datetime,
    settings: LedgerSettings,
) -> tuple[list[SpanOp], list[str]]:
    """The coverage operations a transaction asks for, with notes; raises Refused."""
    ops: list[SpanOp] = []
    notes: list[str] = []
    member_type = tx.maintenance_type
    for cov in tx.coverages:
        if cov.insurance_line is None:
            notes.append(f"HD at segment {cov.position} has no usable insurance line; ignored")
            continue
        line = cov.insurance_line.value
        plan = cov.plan_description.strip()
        level = cov.coverage_level.value if cov.coverage_level else ""
        mt = cov.maintenance_type or member_type
        begin = first_date(tx, cov, "348", "356", "303") or header.date
        last = last_day(tx, cov, "349")
        if mt is MaintenanceType.TERMINATION and not new_member:
            last = last or last_day(tx, cov, "357")
            if last is None:
                last, note = fallback_end(header, received_at, settings)
                notes.append(note)
            ops.append(SpanOp("terminate", line, plan, level, None, last + ONE_DAY))
        elif mt is MaintenanceType.REINSTATEMENT and not new_member:
            ops.append(
                SpanOp("reinstate", line, plan, level, first_date(tx, cov, "303", "348") or begin)
            )
        elif mt is MaintenanceType.CHANGE and not new_member:
            ops.append(SpanOp("change", line, plan, level, first_date(tx, cov, "303", "348")))
        elif mt is MaintenanceType.DELETE:
            notes.append(f"HD at segment {cov.position}: maintenance type 002 not applied")
        else:
            if begin is None:
                raise Refused(f"HD at segment {cov.position}: no begin date and no BGN03 date")
            ops.append(SpanOp("add", line, plan, level, begin, last + ONE_DAY if last else None))
    for op in ops:
        if op.begin is not None and op.end is not None and op.end <= op.begin:
            raise Refused("end date before begin date")
    return ops, notes


def check_window(
    dates: list[dt.date], received_at: dt.datetime, settings: LedgerSettings
) -> Reason | None:
    """RETRO_DATE / FUTURE_DATE for the first date outside the window, else None."""
    ref = received_at.date()
    earliest = ref - dt.timedelta(days=settings.retro_days)
    latest = ref + dt.timedelta(days=settings.future_days)
    for d in dates:
        if d < earliest:
            return Reason.RETRO_DATE
        if d > latest:
            return Reason.FUTURE_DATE
    return None


def demographics(tx: MemberTransaction) -> dict[str, Any]:
    """The demographics row fields a transaction carries ('' / None where absent)."""
    n = tx.member.name
    a = tx.member.address
    g = tx.member.demographics
    return {
        "last": n.last,
        "first": n.first,
        "middle": n.middle,
        "suffix": n.suffix,
        "birth_date": g.birth_date if g else None,
        "gender": g.gender.value if g and g.gender else "",
        "address_line1": a.line1 if a else "",
        "address_line2": a.line2 if a else "",
        "city": a.city if a else "",
        "state": a.state if a else "",
        "postal_code": a.postal_code if a else "",
    }


def identifiers(tx: MemberTransaction) -> list[tuple[str, str]]:
    """(kind, value) for every identifier the transaction carries, deduplicated, in order."""
    out: list[tuple[str, str]] = []
    if tx.subscriber_number:
        out.append(("subscriber_number", tx.subscriber_number))
    if tx.ssn:
        out.append(("ssn", tx.ssn))
    if tx.medicare_id:
        out.append(("medicare_id", tx.medicare_id))
    for ref in tx.identifiers:
        if ref.qualifier != "F6" and ref.value:
            out.append((f"ref:{ref.qualifier}", ref.value))
    return list(dict.fromkeys(out))


def effective_dates(tx: MemberTransaction, ops: list[SpanOp]) -> list[dt.date]:
    """Every date the operations (and DTP 357/303) would make effective."""
    dates = [d for op in ops for d in (op.begin, op.end - ONE_DAY if op.end else None) if d]
    for q in ("357", "303"):
        p = tx.date(q)
        if p is not None:
            dates.append(p.begin)
    return dates


DEMOGRAPHIC_CHANGES = frozenset({MaintenanceType.CHANGE, MaintenanceType.CORRECTION})
"""INS03 types whose automatic match may rewrite a member's identity (001, 026)."""
IDENTITY_FIELDS = ("last", "first", "middle", "suffix", "birth_date", "gender")
"""Demographics an automatic match on any other transaction never overwrites."""


def identity_differences(
    before: dict[str, Any], after: dict[str, Any],
    known: set[tuple[str, str]], new_ids: list[tuple[str, str]],
) -> tuple[list[str], list[tuple[str, str]]]:  # fmt: skip
    """What an automatic match on anything but a demographic change must not write: the
    identity fields whose stored value is set and would change, and a new SSN for a member
    who already has one (a typo'd SSN is not a second identity). A value the member lacks
    may still be filled in."""
    fields = [k for k in IDENTITY_FIELDS if before[k] not in ("", None) and after[k] != before[k]]
    has_ssn = any(kind == "ssn" for kind, _ in known)
    return fields, [i for i in new_ids if i[0] == "ssn" and has_ssn]


def proposal_transaction(tx: MemberTransaction) -> MemberTransaction:
    """The demographic part of `tx`, held for review as a demographic change: INS03 001,
    no coverages (resolving the proposal changes who the member is, never their coverage)."""
    return msgspec.structs.replace(tx, **{"maintenance_type": MaintenanceType.CHANGE, "coverages": (),
                "benefit_status": None})  # fmt: skip


def proposal_text(tx: MemberTransaction, kept: list[str]) -> str:
    """The fixed-text explanation of a demographic change proposal (field names only)."""
    mt = tx.maintenance_type.value if tx.maintenance_type else "-"
    return (f"automatic match on INS03 {mt}: {', '.join(kept)} differ from the ledger's and"
            " were not applied; a demographic change proposal is held for review")  # fmt: skip
