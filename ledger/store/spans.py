"""Coverage spans: valid-time intervals per member and insurance line, never overlapping.

Versions are only inserted; replacing one inserts a supersession row. A new
span supersedes the current versions it overlaps and re-records their
uncovered parts, so the current spans of one member and line never overlap.
All functions write through a `UnitOfWork` and read after flushing it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ledger.store import schema as t
from ledger.store.unit import UnitOfWork


class Refused(Exception):
    """A rule refuses the transaction (message is fixed text, no PHI)."""


@dataclass(slots=True)
class SpanOp:
    """One requested coverage operation: kind is add | terminate | change | reinstate."""

    kind: str
    line: str
    plan: str = ""
    level: str = ""
    begin: dt.date | None = None
    end: dt.date | None = None
    """Exclusive end (day after the last covered day)."""
    notes: list[str] = field(default_factory=list)


_MID: sa.BindParameter[str] = sa.bindparam("mid")
_CURRENT = (
    sa.select(t.coverage_versions)
    .where(t.coverage_versions.c.member_id == _MID)
    .where(~sa.exists().where(t.supersessions.c.version_id == t.coverage_versions.c.version_id))
    .order_by(t.coverage_versions.c.insurance_line, t.coverage_versions.c.valid_from)
)
_CURRENT_LINE = _CURRENT.where(t.coverage_versions.c.insurance_line == sa.bindparam("line"))


def current_versions(uow: UnitOfWork, member_id: str, line: str | None = None) -> list[Any]:
    """The member's coverage versions not superseded (optionally one line), by valid_from."""
    uow.flush()
    if line is None:
        return list(uow.conn.execute(_CURRENT, {"mid": member_id}))
    return list(uow.conn.execute(_CURRENT_LINE, {"mid": member_id, "line": line}))


def span_dict(v: Any) -> dict[str, Any]:
    return {
        "line": v.insurance_line if hasattr(v, "insurance_line") else v["insurance_line"],
        "plan": v.plan if hasattr(v, "plan") else v["plan"],
        "level": v.coverage_level if hasattr(v, "coverage_level") else v["coverage_level"],
        "valid_from": v.valid_from if hasattr(v, "valid_from") else v["valid_from"],
        "valid_to": v.valid_to if hasattr(v, "valid_to") else v["valid_to"],
    }


def new_version(
    uow: UnitOfWork, member_id: str, line: str, plan: str, level: str,
    begin: dt.date, end: dt.date | None, seq: int,
) -> dict[str, Any]:  # fmt: skip
    row = {
        "version_id": uow.next_id("coverage_version"),
        "member_id": member_id,
        "insurance_line": line,
        "plan": plan,
        "coverage_level": level,
        "valid_from": begin,
        "valid_to": end,
        "recorded_at": uow.recorded_at,
        "entry_seq": seq,
    }
    uow.add(t.coverage_versions, row)
    return row


def _supersede(uow: UnitOfWork, version_id: int, by: int | None, seq: int) -> None:
    uow.add(
        t.supersessions,
        {
            "version_id": version_id,
            "superseded_at": uow.recorded_at,
            "superseded_by": by,
            "entry_seq": seq,
        },
    )


def place(
    uow: UnitOfWork, member_id: str, op: SpanOp, seq_for: Callable[[], int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """Put span [op.begin, op.end) with op's plan on the line; None when already so.

    Returns (before spans, after spans). Overlapped current versions are
    superseded and their uncovered parts re-recorded.
    """
    assert op.begin is not None
    current = current_versions(uow, member_id, op.line)
    end = op.end
    overlapping = [
        v
        for v in current
        if (end is None or v.valid_from < end) and (v.valid_to is None or v.valid_to > op.begin)
    ]
    for v in overlapping:
        if (
            v.plan == op.plan
            and v.coverage_level == op.level
            and v.valid_from <= op.begin
            and (v.valid_to is None or (end is not None and v.valid_to >= end))
        ):
            return None
    seq = seq_for()
    before = [span_dict(v) for v in overlapping]
    after: list[dict[str, Any]] = []
    new = new_version(uow, member_id, op.line, op.plan, op.level, op.begin, end, seq)
    for v in overlapping:
        _supersede(uow, v.version_id, new["version_id"], seq)
        if v.valid_from < op.begin:
            after.append(span_dict(new_version(
                uow, member_id, v.insurance_line, v.plan, v.coverage_level, v.valid_from, op.begin, seq
            )))  # fmt: skip
        if end is not None and (v.valid_to is None or v.valid_to > end):
            after.append(span_dict(new_version(
                uow, member_id, v.insurance_line, v.plan, v.coverage_level, end, v.valid_to, seq
            )))  # fmt: skip
    after.append(span_dict(new))
    return before, after


def terminate(
    uow: UnitOfWork, member_id: str, line: str, end: dt.date, seq_for: Callable[[], int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """Close the line's open span at `end` (exclusive); None when nothing is open."""
    open_ = [v for v in current_versions(uow, member_id, line) if v.valid_to is None]
    if not open_:
        return None
    for v in open_:
        if end <= v.valid_from:
            raise Refused("end date before begin date")
    seq = seq_for()
    before, after = [], []
    for v in open_:
        new = new_version(uow, member_id, line, v.plan, v.coverage_level, v.valid_from, end, seq)
        _supersede(uow, v.version_id, new["version_id"], seq)
        before.append(span_dict(v))
        after.append(span_dict(new))
    return before, after
