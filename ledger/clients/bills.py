"""A client's premium bills (privilege view_bills), read through `ledger.billing`.

- `client_bills`: the bills of the client's groups, newest period first, with paid and
  open amounts (`ledger.billing.list_bills`, audited `billing.list` per group), and which
  groups are paper-bill groups (their cycle in force: they keep receiving paper).
- `client_bill`: one bill by its number with its lines (`ledger.billing.show_bill`, audited
  `billing.show`); a bill of another client's group is `NotFound`, exactly like a number
  that does not exist.
- `bill_file`: the bill's PDF or CSV as the bill run wrote it (audited
  `client.bill_download`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ledger.billing import Period, cycle_for, files_of, list_bills, show_bill
from ledger.clients.accounts import Client, NotFound, client_in
from ledger.desk import Actor, NotPermitted
from ledger.store import audit, billing_tables, engine

_b = billing_tables.billing_bills
KINDS = {"pdf": "application/pdf", "csv": "text/csv"}
"""Downloadable bill files and their media types."""


@dataclass(frozen=True, slots=True)
class ClientBills:
    """The client's bills (dicts of `ledger.billing.list_bills`) and its paper-bill groups."""

    bills: list[dict[str, Any]]
    paper_groups: tuple[str, ...]


def _billing_client(conn: sa.Connection, actor: Actor) -> Client:
    client = client_in(conn, actor)
    if not client.may("view_bills"):
        raise NotPermitted("client.bills: the user's privileges do not allow this")
    return client


def client_bills(target: str, actor: Actor, today: dt.date | None = None) -> ClientBills:
    """Every bill of the actor's client's groups, newest first, and its paper-bill groups."""
    eng = engine(target)
    period = Period.of(today or dt.date.today())
    with eng.connect() as conn:
        client = _billing_client(conn, actor)
        paper = tuple(s for s in client.sponsors if cycle_for(conn, s, period).paper)
    bills = [_public(b) for s in client.sponsors
             for b in list_bills(eng, user=actor.user_id, group=s)]  # fmt: skip
    bills.sort(key=lambda b: (b["period"], b["group"]), reverse=True)
    return ClientBills(bills, paper)


def _public(bill: dict[str, Any]) -> dict[str, Any]:
    """A bill without the server's file paths: which files exist (`files`) instead."""
    out = {k: v for k, v in bill.items() if k not in ("pdf", "csv", "json", "mailroom")}
    out["files"] = [k for k in KINDS if bill.get(k)]
    return out


def _own(conn: sa.Connection, client: Client, bill: str) -> Any:
    row = conn.execute(sa.select(_b).where(_b.c.bill_number == bill)).first()
    if row is None or row.sponsor_id not in client.sponsors:
        raise NotFound("no such bill in this account")
    return row


def client_bill(target: str, actor: Actor, bill: str) -> dict[str, Any]:
    """One bill of the actor's client by bill number, with its lines (see
    `ledger.billing.show_bill`)."""
    eng = engine(target)
    with eng.connect() as conn:
        row = _own(conn, _billing_client(conn, actor), bill)
    return _public(show_bill(eng, str(row.bill_number), user=actor.user_id))


def bill_file(target: str, actor: Actor, bill: str, kind: str) -> tuple[str, bytes]:
    """(file name, bytes) of the bill's `kind` file ('pdf' or 'csv'); NotFound when the
    bill is not the client's or the file was not written."""
    if kind not in KINDS:
        raise NotFound("no such file")
    eng = engine(target)
    with eng.begin() as conn:
        client = _billing_client(conn, actor)
        row = _own(conn, client, bill)
        path = files_of(conn, row.id).get(kind)
        if not path or not Path(path).is_file():
            raise NotFound("this bill's file is not available")
        data = Path(path).read_bytes()
        audit(conn, actor.user_id, "client.bill_download", target=str(row.bill_number),
              details={"client": client.client_id, "kind": kind})
    return f"{row.bill_number}.{kind}", data
