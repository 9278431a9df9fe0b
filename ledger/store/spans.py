"""Coverage spans: valid-time intervals per member and insurance line, never overlapping.

Versions are only inserted; replacing one inserts a supersession row. A new
span supersedes the current versions it overlaps and re-records their
uncovered parts, so the current spans of one member and line never overlap.
All functions write through a `UnitOfWork` and read after writing its buffered rows of
the member (`flush_for`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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


class Version(NamedTuple):
    """A coverage version as the spans read it (a `coverage_versions` row, in part)."""

    version_id: int
    insurance_line: str
    plan: str
    coverage_level: str
    valid_from: dt.date
    valid_to: dt.date | None


_CURRENT = (
    "SELECT version_id, insurance_line, plan, coverage_level, valid_from, valid_to "
    "FROM coverage_versions cv WHERE member_id = ?{line} AND NOT EXISTS "
    "(SELECT 1 FROM supersessions s WHERE s.version_id = cv.version_id) "
    "ORDER BY insurance_line, valid_from"
)
_CURRENT_ALL = _CURRENT.format(line="")
_CURRENT_LINE = _CURRENT.format(line=" AND insurance_line = ?")


def _date(value: Any) -> Any:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value  # SQLite: ISO text


def current_versions(uow: UnitOfWork, member_id: str, line: str | None = None) -> list[Version]:
    """The member's coverage versions not superseded (optionally one line), by valid_from."""
    uow.flush_for(member_id)
    rows = (uow.fetch(_CURRENT_ALL, (member_id,)) if line is None
            else uow.fetch(_CURRENT_LINE, (member_id, line)))  # fmt: skip
    return [Version(vid, ln, plan, level, _date(begin), _date(end))
            for vid, ln, plan, level, begin, end in rows]  # fmt: skip


class MemberCoverage:
    """One member's current coverage versions across the operations of one transaction:
    read once, and a line read again only after an operation here wrote it (what is
    written on one line never changes another's current versions), so a member's lines
    are changed or ended one after another without writing the buffer between them."""

    def __init__(self, uow: UnitOfWork, member_id: str) -> None:
        self.uow, self.member_id = uow, member_id
        self._by_line: dict[str, list[Version]] | None = None
        self._written: set[str] = set()

    def all(self) -> list[Version]:
        """Every line's current versions, by line and valid_from."""
        if self._by_line is None or self._written:
            self._by_line = {}
            for v in current_versions(self.uow, self.member_id):
                self._by_line.setdefault(v.insurance_line, []).append(v)
            self._written.clear()
        return [v for versions in self._by_line.values() for v in versions]  # read by line

    def line(self, line: str) -> list[Version]:
        """The line's current versions, by valid_from."""
        if line in self._written:
            return current_versions(self.uow, self.member_id, line)
        if self._by_line is None:
            self.all()
            assert self._by_line is not None
        return list(self._by_line.get(line, ()))

    def wrote(self, line: str) -> None:
        self._written.add(line)


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


def _supersede(
    uow: UnitOfWork, member_id: str, version_id: int, by: int | None, seq: int
) -> None:
    row = {"version_id": version_id, "superseded_at": uow.recorded_at, "superseded_by": by,
           "entry_seq": seq}  # fmt: skip
    uow.add(t.supersessions, row, member_id=member_id)


def place(
    uow: UnitOfWork, member_id: str, op: SpanOp, seq_for: Callable[[], int],
    coverage: MemberCoverage | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:  # fmt: skip
    """Put span [op.begin, op.end) with op's plan on the line; None when already so.

    Returns (before spans, after spans). Overlapped current versions are
    superseded and their uncovered parts re-recorded. `coverage`: the member's versions
    as this transaction has read them (told of the write).
    """
    assert op.begin is not None
    current = coverage.line(op.line) if coverage else current_versions(uow, member_id, op.line)
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
    if coverage:
        coverage.wrote(op.line)
    before = [span_dict(v) for v in overlapping]
    after: list[dict[str, Any]] = []
    new = new_version(uow, member_id, op.line, op.plan, op.level, op.begin, end, seq)
    for v in overlapping:
        _supersede(uow, member_id, v.version_id, new["version_id"], seq)
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
    uow: UnitOfWork, member_id: str, line: str, end: dt.date, seq_for: Callable[[], int],
    coverage: MemberCoverage | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:  # fmt: skip
    """Close the line's open span at `end` (exclusive); None when nothing is open."""
    current = coverage.line(line) if coverage else current_versions(uow, member_id, line)
    open_ = [v for v in current if v.valid_to is None]
    if not open_:
        return None
    for v in open_:
        if end <= v.valid_from:
            raise Refused("end date before begin date")
    seq = seq_for()
    if coverage:
        coverage.wrote(line)
    before, after = [], []
    for v in open_:
        new = new_version(uow, member_id, line, v.plan, v.coverage_level, v.valid_from, end, seq)
        _supersede(uow, member_id, v.version_id, new["version_id"], seq)
        before.append(span_dict(v))
        after.append(span_dict(new))
    return before, after
