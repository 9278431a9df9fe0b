"""Reconciliation runs as stored, and the members of one set read from a file.

The shared look-ups of the full-file room: `set_members` (the member transactions
of one set), `last_run_id` (a watermark) and `load_run` (a stored run's outcome).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from edi.records import MemberTransaction, SetEnd
from ledger.fullfile.reconcile import Reconciliation
from ledger.store import LedgerError
from ledger.store import reconcile_tables as rt


def set_members(events: Iterator[Any], end: list[Any]) -> Iterator[MemberTransaction]:
    """The member transactions of one set from `events`, up to its SetEnd (put into `end`)."""
    for ev in events:
        if isinstance(ev, MemberTransaction):
            yield ev
        elif isinstance(ev, SetEnd):
            end.append(ev)
            return


def last_run_id(conn: Connection) -> int:
    """The highest reconciliation run id so far (0 when none): a watermark for `runs_since`."""
    rr = rt.reconciliation_runs
    return int(conn.execute(sa.select(sa.func.max(rr.c.id))).scalar() or 0)


def load_run(conn: Connection, run_id: int) -> Reconciliation:
    """The stored outcome of one reconciliation run; LedgerError when there is none."""
    rr = rt.reconciliation_runs
    r = conn.execute(sa.select(rr).where(rr.c.id == run_id)).first()
    if r is None:
        raise LedgerError(f"reconciliation run {run_id}: not found")
    return Reconciliation(
        int(r.id), r.sponsor_id, r.sender_id, r.interchange_control, r.set_control,
        r.action_code, r.semantics, r.effective_date, r.file_time, status=r.status,
        guard=r.guard, counts=dict(json.loads(r.counts)),
    )  # fmt: skip
