"""Review desk views: what a reviewer sees of a held transaction, its candidates and an item.

Pure functions over stored review-item rows and edi/matching records; no
database access. SSNs are masked to '***-**-1234' unless the caller passes
`show_phi` (the desk checks the privilege and audits its use). A held full
file (reason `full_file_guard`) shows its stored summary of counts instead.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from edi.records import MemberTransaction, decode_json
from matching.decisions import KnownPerson

QUEUES = ("review", "medicare", "supervisor", "reconciliation")
OPEN_STATUSES = ("open", "assigned")
FULL_FILE_GUARD = "full_file_guard"
"""Reason of a supervisor item holding a whole full file (its transaction is a count summary)."""


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """Aware UTC (the database may hand back naive UTC values)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def iso(value: dt.datetime | dt.date | None) -> str | None:
    """ISO text: datetimes in UTC to the second with a 'Z', dates as YYYY-MM-DD."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        when = utc(value)
        assert when is not None
        return when.isoformat(timespec="seconds").replace("+00:00", "Z")
    return value.isoformat()


def mask_ssn(value: str) -> str:
    """'***-**-1234' from any SSN spelling; '' for none; all stars when under 4 digits."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if not value:
        return ""
    return "***-**-" + (digits[-4:] if len(digits) >= 4 else "****")


def _code(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def transaction_view(tx: MemberTransaction, *, show_phi: bool = False) -> dict[str, Any]:
    """What a reviewer sees of a held member transaction (SSN masked unless `show_phi`)."""
    n = tx.member.name
    demo = tx.member.demographics
    addr = tx.member.address
    ssn = tx.ssn if show_phi else mask_ssn(tx.ssn)
    view: dict[str, Any] = {
        "subscriber_number": tx.subscriber_number,
        "maintenance_type": _code(tx.maintenance_type),
        "maintenance_reason": _code(tx.maintenance_reason),
        "subscriber": tx.subscriber,
        "relationship": _code(tx.relationship),
        "benefit_status": _code(tx.benefit_status),
        "medicare_plan": _code(tx.medicare_plan),
        "group_policy_number": tx.group_policy_number,
        "name": {"last": n.last, "first": n.first, "middle": n.middle, "suffix": n.suffix},
        "ssn": ssn,
        "birth_date": iso(demo.birth_date) if demo else None,
        "gender": _code(demo.gender) if demo else None,
        "address": (
            {
                "line1": addr.line1,
                "line2": addr.line2,
                "city": addr.city,
                "state": addr.state,
                "postal_code": addr.postal_code,
            }
            if addr
            else None
        ),  # fmt: skip
        "birth_sequence": tx.birth_sequence,
        "identifiers": [{"qualifier": r.qualifier, "value": r.value} for r in tx.identifiers],
        "dates": [
            {"qualifier": d.qualifier, "begin": iso(d.begin), "end": iso(d.end)} for d in tx.dates
        ],
        "coverages": [
            {
                "maintenance_type": _code(c.maintenance_type),
                "insurance_line": _code(c.insurance_line),
                "plan": c.plan_description,
                "coverage_level": _code(c.coverage_level),
                "begin": iso(d.begin) if (d := c.date("348")) else None,
                "end": iso(e.end or e.begin) if (e := c.date("349")) else None,
            }
            for c in tx.coverages
        ],
        "source": {
            "file": tx.lineage.source,
            "interchange_control": tx.lineage.interchange_control,
            "set_control": tx.lineage.set_control,
            "member_ordinal": tx.lineage.member_ordinal,
            "first_position": tx.lineage.first_position,
        },
    }
    if tx.incorrect is not None:
        old = tx.incorrect
        old_ssn = old.name.id if old.name.id_qualifier == "34" else ""
        view["previous"] = {
            "name": {"last": old.name.last, "first": old.name.first, "middle": old.name.middle},
            "ssn": old_ssn if show_phi else mask_ssn(old_ssn),
            "birth_date": iso(old.demographics.birth_date) if old.demographics else None,
        }
    return view


def person_view(person: KnownPerson, *, show_phi: bool = False) -> dict[str, Any]:
    """A candidate member's current values, for comparison (SSN masked unless `show_phi`)."""
    return {
        "member_id": person.member_id,
        "subscriber_numbers": list(person.subscriber_numbers),
        "name": {"last": person.last, "first": person.first, "middle": person.middle},
        "ssn": person.ssn if show_phi else mask_ssn(person.ssn),
        "birth_date": iso(person.birth_date),
        "gender": person.gender,
        "relationship": person.relationship,
        "birth_sequence": person.birth_sequence,
        "address_line1": person.address_line1,
        "postal_code": person.postal_code,
        "sponsor_id": person.sponsor_id,
    }


@dataclass(frozen=True, slots=True)
class ItemView:
    """One review item as the desk shows it. `time_left` is negative when overdue, None
    once the item is resolved (or has no due time)."""

    id: int
    queue: str
    reason: str
    explanation: str
    sponsor_id: str
    status: str
    assignee: str | None
    received_at: dt.datetime
    due_at: dt.datetime | None
    time_left: dt.timedelta | None
    resolution: str | None
    resolved_by: str | None
    resolved_at: dt.datetime | None
    suggested_member_id: str | None
    transaction: dict[str, Any]
    candidates: tuple[dict[str, Any], ...]
    model_version: int | None = None
    """The match model that scored the candidates (0: the prior; None: not recorded)."""

    @property
    def overdue(self) -> bool:
        return (
            self.status in OPEN_STATUSES
            and self.time_left is not None
            and (self.time_left.total_seconds() < 0)
        )

    def to_json(self) -> dict[str, Any]:
        """The `review list --json` object."""
        return {
            "id": self.id,
            "queue": self.queue,
            "reason": self.reason,
            "explanation": self.explanation,
            "sponsor_id": self.sponsor_id,
            "status": self.status,
            "assignee": self.assignee,
            "received_at": iso(self.received_at),
            "due_at": iso(self.due_at),
            "time_left_seconds": (
                int(self.time_left.total_seconds()) if self.time_left is not None else None
            ),
            "overdue": self.overdue,
            "resolution": self.resolution,
            "resolved_by": self.resolved_by,
            "resolved_at": iso(self.resolved_at),
            "suggested_member_id": self.suggested_member_id,
            "transaction": self.transaction,
            "candidates": list(self.candidates),
            "model_version": self.model_version,
        }


def candidates_of(text: str) -> list[dict[str, Any]]:
    """The stored candidates JSON in the decision's order: most likely first
    (`matching.score.desk_order`: by score, a family's members told apart by given name
    before birth date)."""
    items: list[dict[str, Any]] = json.loads(text or "[]")
    return items


SUMMARY_CODES = ("maintenance_type", "maintenance_reason", "relationship", "benefit_status")
"""What a queue row shows of a held member transaction: its codes (never a name or number)."""


def transaction_summary(text: str) -> dict[str, Any]:
    """A queue row's view of a stored member transaction: SUMMARY_CODES and `subscriber`,
    read from its JSON without building the record ({"unreadable": true} if it is not a
    JSON object)."""
    try:
        data = json.loads(text)
    except ValueError:
        return {"unreadable": True}
    if not isinstance(data, dict):
        return {"unreadable": True}
    out = {k: _code(data.get(k)) for k in SUMMARY_CODES}
    out["subscriber"] = data.get("subscriber")
    return out


def item_view(row: Any, now: dt.datetime, show_phi: bool, *, summary: bool = False) -> ItemView:
    """The view of one review_items row at time `now` (an unreadable stored transaction
    shows as {"unreadable": true} rather than hiding the rest of the queue).

    `summary` is a queue row's view: a member transaction's codes only
    (`transaction_summary`) and no candidates, so `row` need not carry the candidates."""
    try:
        if row.reason == FULL_FILE_GUARD or row.queue == "reconciliation":
            # a stored summary (the guard's counts; a discrepancy's ids and field names): no PHI
            tx_view = dict(json.loads(row.transaction))
        elif summary:
            tx_view = transaction_summary(row.transaction)
        else:
            tx_view = transaction_view(
                decode_json(MemberTransaction, row.transaction), show_phi=show_phi
            )
    except ValueError:  # msgspec's ValidationError and DecodeError are ValueErrors
        tx_view = {"unreadable": True}
    due = utc(row.due_at)
    received = utc(row.received_at)
    assert received is not None
    return ItemView(
        id=int(row.id),
        queue=row.queue,
        reason=row.reason,
        explanation=row.explanation or "",
        sponsor_id=row.sponsor_id or "",
        status=row.status,
        assignee=row.assignee,
        received_at=received,
        due_at=due,
        # a resolved item has no time left, however late it was resolved
        time_left=(due - now) if due is not None and row.status in OPEN_STATUSES else None,
        resolution=row.resolution,
        resolved_by=row.resolved_by,
        resolved_at=utc(row.resolved_at),
        suggested_member_id=row.suggested_member_id,
        transaction=tx_view,
        candidates=() if summary else tuple(candidates_of(row.candidates)),
        model_version=getattr(row, "model_version", None),
    )


def reject_reason(conn: Any, item_id: int) -> str | None:
    """The reason a reviewer gave when rejecting item `item_id`, read from its audited
    'review.resolve' record (the reason lives only in the audit log); None if none."""
    import sqlalchemy as sa

    from ledger.store import schema as t

    a = t.audit_log
    details = conn.execute(
        sa.select(a.c.details).where(a.c.action == "review.resolve", a.c.target == str(item_id))
        .order_by(a.c.seq.desc()).limit(1)
    ).scalar()  # fmt: skip
    if not details:
        return None
    reason = json.loads(details).get("reason")
    return str(reason) if reason else None


def due_order(v: ItemView) -> tuple[bool, dt.datetime, int]:
    """Sort key: earliest due first (so overdue items lead), undated last, then by id."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return (v.due_at is None, v.due_at or far, v.id)
