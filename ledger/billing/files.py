"""A bill's files: PDF, CSV and JSON in the billing outbox, the PDF also in the mail room.

`write_bill_files(conn, bill_id, issuer, outbox, mailroom)` writes
`<outbox>/<sponsor>/<bill number>.{pdf,csv,json}` and, for a paper group,
`<mailroom>/<bill number>.pdf` (directories 0700, files 0600, written under temporary
names and renamed), records the paths in the bill's `files` and returns them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

from ledger.billing.documents import (
    Issuer,
    bill_header,
    bill_lines,
    private_dir,
    write_bytes,
    write_csv,
    write_json,
)
from ledger.billing.pdf import bill_pdf
from ledger.store import billing_tables

if TYPE_CHECKING:
    from ledger.settings import BillingSettings


def write_bill_files(
    conn: Connection, bill_id: int, issuer: Issuer, outbox: Path, mailroom: Path | None = None
) -> dict[str, str]:
    """Write the bill's PDF, CSV and JSON (see module docstring); returns kind -> path."""
    head = bill_header(conn, bill_id)
    folder = private_dir(outbox / head.sponsor_id)
    files: dict[str, str] = {}
    detail = list(bill_lines(conn, bill_id, head.cutoff, limit=issuer.pdf_detail_limit))
    pdf = bill_pdf(head, detail, issuer)
    files["pdf"] = str(write_bytes(folder / f"{head.bill_number}.pdf", pdf))
    files["csv"] = str(write_csv(conn, head, folder / f"{head.bill_number}.csv"))
    files["json"] = str(write_json(conn, head, folder / f"{head.bill_number}.json"))
    if head.paper and mailroom is not None:
        files["mailroom"] = str(write_bytes(private_dir(mailroom) / f"{head.bill_number}.pdf", pdf))
    b = billing_tables.billing_bills
    conn.execute(b.update().where(b.c.id == bill_id).values(files=json.dumps(files,
                                                                           sort_keys=True)))
    return files


def billing_boxes(billing: BillingSettings, outbox: Path | None = None) -> tuple[Path, Path]:
    """The billing outbox (`outbox`, else `[billing] outbox_dir`) and the mail room
    (`[billing] mailroom_dir`, else `<outbox>/mailroom`)."""
    box = outbox or billing.outbox_dir
    return box, billing.mailroom_dir or box / "mailroom"
