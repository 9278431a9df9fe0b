"""Bill runs over engines, and reading bills back.

- `run_bills(url, period, user=..., group=None, outbox=None, ...)`: one database
  transaction per group (`run.run_group`); a group whose bill cannot be issued (a missing
  rate, a period out of order) is reported with status `error` and its message, the
  others go on. With an outbox, each bill's PDF, CSV and JSON are written after its
  commit; a re-run (`already_issued`) writes any that are missing, never a new bill.
- `show_bill(url, bill, user)`: the header, balance (paid, credit applied) and lines;
  `list_bills(url, user, group=None)`: headers with balances, newest first. Reads are
  audited ('billing.show', 'billing.list').
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.billing.documents import Issuer, bill_header, bill_lines
from ledger.billing.files import write_bill_files
from ledger.billing.money import Period, dollars
from ledger.billing.run import BillResult, billed_sponsors, result_of, run_group
from ledger.store import LedgerError, audit, billing_tables, engine

_b = billing_tables.billing_bills
_a = billing_tables.billing_applications


def _engine(target: str | Engine) -> Engine:
    return target if isinstance(target, Engine) else engine(target)


def run_bills(
    target: str | Engine, period: str, *, user: str, group: str | None = None,
    outbox: Path | None = None, mailroom: Path | None = None, issuer: Issuer | None = None,
    now: dt.datetime | None = None,
) -> list[BillResult]:  # fmt: skip
    """Each group's bill for `period` (one group with `group`); see module docstring."""
    p = Period.parse(period)
    eng = _engine(target)
    with eng.connect() as conn:
        sponsors = [group] if group else billed_sponsors(conn)
    out: list[BillResult] = []
    for sponsor in sponsors:
        try:
            with eng.begin() as conn:
                res = run_group(conn, sponsor, p, user=user, now=now)
        except LedgerError as exc:
            out.append(BillResult(sponsor, str(p), "error", error=str(exc)))
            continue
        if outbox is not None and res.bill_id is not None and not _files_present(res):
            with eng.begin() as conn:
                write_bill_files(conn, res.bill_id, issuer or Issuer(), outbox, mailroom)
                row = conn.execute(sa.select(_b).where(_b.c.id == res.bill_id)).one()
            res = result_of(row, res.status)
        out.append(res)
    return out


def _files_present(res: BillResult) -> bool:
    return bool(res.files) and all(Path(f).is_file() for f in res.files.values())


def balance(conn: Connection, bill_id: int, total_cents: int) -> tuple[int, int]:
    """(paid, open) cents of one bill: payments applied to it, and what is still due."""
    paid = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(_a.c.amount_cents), 0))
                        .where(_a.c.bill_id == bill_id)).scalar_one()  # fmt: skip
    return int(paid), total_cents - int(paid)


def _find(conn: Connection, bill: str) -> Any:
    q = sa.select(_b).where(_b.c.bill_number == bill)
    if bill.isdigit():
        q = sa.select(_b).where(sa.or_(_b.c.bill_number == bill, _b.c.id == int(bill)))
    row = conn.execute(q).first()
    if row is None:
        raise LedgerError(f"bill {bill[:40]}: not found")
    return row


def _summary(conn: Connection, row: Any) -> dict[str, Any]:
    paid, open_ = balance(conn, row.id, row.total_cents)
    out = result_of(row, "issued").to_json()
    out.pop("status")
    out.update(bill_date=row.bill_date.isoformat(), paid=dollars(paid), open=dollars(open_),
               paper=bool(row.paper), issued_at=row.issued_at.isoformat(),
               issued_by=row.issued_by)  # fmt: skip
    return out


def show_bill(target: str | Engine, bill: str, *, user: str, lines: bool = True
              ) -> dict[str, Any]:  # fmt: skip
    """One bill by number (or id): header, totals, balance and (with `lines`) its lines."""
    with _engine(target).begin() as conn:
        row = _find(conn, bill)
        out = _summary(conn, row)
        head = bill_header(conn, row.id)
        out["totals"] = head.to_json()["totals"]
        if lines:
            out["lines"] = [{**x, "rate": dollars(x.pop("rate_cents")),
                             "amount": dollars(x.pop("amount_cents"))}
                            for x in bill_lines(conn, row.id, head.cutoff)]  # fmt: skip
        audit(conn, user, "billing.show", target=row.bill_number)
    return out


def list_bills(target: str | Engine, *, user: str, group: str | None = None
               ) -> list[dict[str, Any]]:  # fmt: skip
    """Bills (one group's with `group`), newest period first, with paid and open amounts."""
    with _engine(target).begin() as conn:
        q = sa.select(_b).order_by(_b.c.period.desc(), _b.c.sponsor_id)
        if group:
            q = q.where(_b.c.sponsor_id == group)
        out = [_summary(conn, r) for r in conn.execute(q)]
        audit(conn, user, "billing.list", target=group or "",
              details={"bills": len(out)})  # fmt: skip
    return out


def files_of(conn: Connection, bill_id: int) -> dict[str, str]:
    row = conn.execute(sa.select(_b.c.files).where(_b.c.id == bill_id)).scalar_one()
    return dict(json.loads(row or "{}"))
