"""A full file's changes to one member, shared by the replace policy (`reconcile.py`) and a
person deciding a reconciliation item (`ledger.fullfile.work`): terminating the member's open
coverages as of a date, and the insurance lines only the ledger still holds.

Both work through the unit of work of the caller's transaction and write ordinary ledger
entries (`coverage_terminated`, `member_terminated`) with the set's lineage and the decider.
"""

from __future__ import annotations

import datetime as dt

from edi.records import Lineage, MemberTransaction
from ledger.fullfile.state import is_active
from ledger.store import MemberCoverage, Refused, UnitOfWork, terminate


def terminate_member(
    uow: UnitOfWork, member_id: str, end: dt.date, lineage: Lineage, *, decided_by: str,
    note: str, only_line: str | None = None,
) -> list[str]:  # fmt: skip
    """Close the member's open coverage lines (or only `only_line`) as of `end` (exclusive);
    the lines closed. A line the ledger refuses to close (an end before its begin) is left
    open. Closing every line of the member also writes a `member_terminated` entry."""
    coverage = MemberCoverage(uow, member_id)
    lines = sorted({v.insurance_line for v in coverage.all() if v.valid_to is None})
    if only_line is not None:
        lines = [ln for ln in lines if ln == only_line]
    done: list[str] = []
    for line in lines:
        try:
            res = terminate(uow, member_id, line, end, lambda: uow.seq + 1, coverage)
        except Refused:
            continue
        if res is not None:
            uow.entry(member_id=member_id, kind="coverage_terminated", before={"spans": res[0]},
                      after={"spans": res[1]}, valid_to=end, lineage=lineage,
                      decided_by=decided_by, notes=(note,))  # fmt: skip
            done.append(line)
    if only_line is None and done:
        uow.entry(member_id=member_id, kind="member_terminated", after={"lines": done},
                  valid_to=end, lineage=lineage, decided_by=decided_by, notes=(note,))  # fmt: skip
    return done


def lines_only_in_ledger(
    uow: UnitOfWork, member_id: str, tx: MemberTransaction, eff: dt.date | None
) -> list[str]:
    """Insurance lines the member holds active on `eff` that the file's member `tx` does not
    list (a full file's silence about a line ends it)."""
    listed = {c.insurance_line.value for c in tx.coverages if c.insurance_line}
    held = MemberCoverage(uow, member_id).all()
    return sorted({v.insurance_line for v in held
                   if v.insurance_line not in listed and is_active(v, eff)})  # fmt: skip


__all__ = ["lines_only_in_ledger", "terminate_member"]
