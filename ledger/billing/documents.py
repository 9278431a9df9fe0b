"""A bill as documents: the data a PDF, CSV or JSON shows, and writing them safely.

`bill_header(conn, bill_id)` is everything but the member detail (payer and group
addresses come from the caller's `Issuer` and the group's `billing.address`);
`bill_lines(conn, bill_id)` streams the detail in pages with the member's name as known
at the bill's cut-off. Names and member ids only: no SSN, birth date or address of a
member is read here.

Files (`PrivateFile`, `private_dir`): directories 0700, files 0600, each written under a
temporary name and renamed, so a reader never sees half a document. `write_csv` and
`write_json` stream the detail; `ledger.billing.files` puts them with the PDF.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.billing.money import dollars
from ledger.store import LedgerError, billing_tables
from ledger.store import schema as t

if TYPE_CHECKING:
    from ledger.settings import BillingSettings

PAGE = 2000
CSV_HEADER = ("bill", "member_id", "name", "coverage_month", "insurance_line", "plan", "level",
              "kind", "unit", "quantity", "rate", "amount", "reason")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Issuer:
    """Who sends the bills and where payments go (from the `[billing]` settings)."""

    name: str = "Enrollment Services"
    address: tuple[str, ...] = ()
    remit_to: tuple[str, ...] = ()
    pdf_detail_limit: int = 2000

    @classmethod
    def of(cls, billing: BillingSettings) -> Issuer:
        """The issuer the `[billing]` settings name."""
        return cls(billing.payer_name, tuple(billing.payer_address), tuple(billing.remit_to),
                   billing.pdf_detail_limit)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Header:
    """A bill without its member detail."""

    bill_id: int
    bill_number: str
    sponsor_id: str
    group_name: str
    group_address: tuple[str, ...]
    period: str
    bill_date: dt.date
    due_date: dt.date
    cutoff: dt.datetime
    paper: bool
    proration: str
    members: int
    lines: int
    premium_cents: int
    adjustments_cents: int
    total_cents: int
    totals: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "bill": self.bill_number, "group": self.sponsor_id, "group_name": self.group_name,
            "period": self.period, "bill_date": self.bill_date.isoformat(),
            "due_date": self.due_date.isoformat(), "cutoff": self.cutoff.isoformat(),
            "paper": self.paper, "proration": self.proration, "members": self.members,
            "lines": self.lines, "premium": dollars(self.premium_cents),
            "adjustments": dollars(self.adjustments_cents), "total": dollars(self.total_cents),
            "totals": [{**x, "premium": dollars(x["premium"]),
                        "adjustments": dollars(x["adjustments"])} for x in self.totals],
        }  # fmt: skip


def group_info(conn: Connection, sponsor_id: str) -> tuple[str, tuple[str, ...]]:
    """(group name, address lines) from the groups table (`billing.address`)."""
    row = conn.execute(sa.select(t.groups.c.name, t.groups.c.billing)
                       .where(t.groups.c.sponsor_id == sponsor_id)).first()  # fmt: skip
    if row is None:
        return "", ()
    billing = json.loads(row.billing or "{}")
    address = billing.get("address", ())
    lines = tuple(str(x) for x in address) if isinstance(address, list) else (str(address),)
    return row.name or "", lines


def bill_header(conn: Connection, bill_id: int) -> Header:
    b = billing_tables.billing_bills
    row = conn.execute(sa.select(b).where(b.c.id == bill_id)).first()
    if row is None:
        raise LedgerError(f"bill {bill_id}: not found")
    name, address = group_info(conn, row.sponsor_id)
    cutoff = row.cutoff if row.cutoff.tzinfo else row.cutoff.replace(tzinfo=dt.UTC)
    return Header(row.id, row.bill_number, row.sponsor_id, name, address, row.period,
                  row.bill_date, row.due_date, cutoff, bool(row.paper), row.proration,
                  row.members, row.lines, row.premium_cents, row.adjustments_cents,
                  row.total_cents, json.loads(row.totals or "[]"))  # fmt: skip


def names_at(conn: Connection, member_ids: list[str], known_at: dt.datetime) -> dict[str, str]:
    """'LAST, FIRST M' per member, the newest demographics version recorded by `known_at`."""
    d = t.demographics_versions
    q = (sa.select(d.c.member_id, d.c.last, d.c.first, d.c.middle)
         .where(d.c.member_id.in_(member_ids), d.c.recorded_at <= known_at)
         .order_by(d.c.version_id))  # fmt: skip
    out: dict[str, str] = {}
    for r in conn.execute(q):
        given = " ".join(p for p in (r.first, r.middle) if p)
        out[r.member_id] = f"{r.last}, {given}" if given else r.last
    return out


def bill_lines(conn: Connection, bill_id: int, known_at: dt.datetime,
               limit: int | None = None) -> Iterator[dict[str, Any]]:  # fmt: skip
    """The bill's lines in order, each with the member's name (pages of PAGE)."""
    ln = billing_tables.billing_lines
    last, sent = 0, 0
    while limit is None or sent < limit:
        rows = list(conn.execute(sa.select(ln).where(ln.c.bill_id == bill_id, ln.c.ordinal > last)
                                 .order_by(ln.c.ordinal).limit(PAGE)))  # fmt: skip
        if not rows:
            return
        names = names_at(conn, sorted({r.member_id for r in rows}), known_at)
        for r in rows:
            if limit is not None and sent >= limit:
                return
            sent += 1
            yield {"member_id": r.member_id, "name": names.get(r.member_id, ""),
                   "period": r.period, "line": r.insurance_line, "plan": r.plan,
                   "level": r.level, "kind": r.kind, "unit": r.unit, "quantity": r.quantity,
                   "rate_cents": r.rate_cents, "amount_cents": r.amount_cents,
                   "reason": r.reason}  # fmt: skip
        last = rows[-1].ordinal


# ------------------------------------------------------------------ safe files


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) 0700; an existing directory is tightened to 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


class PrivateFile:
    """A 0600 file written under a temporary name and renamed into place on close."""

    def __init__(self, path: Path, binary: bool = False) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        self.fh: Any = (os.fdopen(fd, "wb") if binary
                        else os.fdopen(fd, "w", encoding="utf-8", newline=""))  # fmt: skip

    def __enter__(self) -> Any:
        return self.fh

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.fh.close()
        if exc_type is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def write_bytes(path: Path, data: bytes) -> Path:
    with PrivateFile(path, binary=True) as fh:
        fh.write(data)
    return path


def write_csv(conn: Connection, head: Header, path: Path) -> Path:
    with PrivateFile(path) as fh:
        w = csv.writer(fh)
        w.writerow(CSV_HEADER)
        for x in bill_lines(conn, head.bill_id, head.cutoff):
            w.writerow((head.bill_number, x["member_id"], x["name"], x["period"], x["line"],
                        x["plan"], x["level"], x["kind"], x["unit"], x["quantity"],
                        dollars(x["rate_cents"]), dollars(x["amount_cents"]), x["reason"]))
    return path


def write_json(conn: Connection, head: Header, path: Path) -> Path:
    """The bill as one JSON object; its `lines` array is streamed, never held whole."""
    with PrivateFile(path) as fh:
        text = json.dumps(head.to_json(), sort_keys=True)
        fh.write(text[:-1] + ', "lines": [')
        for i, x in enumerate(bill_lines(conn, head.bill_id, head.cutoff)):
            x["rate"], x["amount"] = dollars(x.pop("rate_cents")), dollars(x.pop("amount_cents"))
            fh.write(("," if i else "") + "\n" + json.dumps(x, sort_keys=True))
        fh.write("\n]}\n")
    return path


def csv_text(rows: list[tuple[Any, ...]]) -> str:
    """Rows as CSV text (small reports)."""
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()
