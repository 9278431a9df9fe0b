"""The client's bills (action `client.bills`, the view-bills privilege): the list, one bill
and its PDF/CSV, all through `ledger.clients` (which reads `ledger.billing`). A bill of
another client is `NotFound` -> 404, audited, like a bill that does not exist."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger.clients import BILL_FILES, bill_file, client_bill, client_bills
from ledger.desk import Session
from web.client_pages import client, page
from web.security import allow, config

router = APIRouter()


@router.get("/client/bills", response_class=HTMLResponse)
async def bills(request: Request, session: Session = Depends(allow("client.bills"))) -> Response:
    """The bills of the client's groups, newest first; which groups get paper bills."""
    await client(request, session)
    out = await run_in_threadpool(client_bills, config(request).url, session.actor)
    return page(request, "client/bills.html", {"title": "Bills", "bills": out.bills,
                                               "paper": out.paper_groups})


@router.get("/client/bills/{bill}", response_class=HTMLResponse)
async def one_bill(request: Request, bill: str,
                   session: Session = Depends(allow("client.bills"))) -> Response:  # fmt: skip
    """One bill: totals, balance, lines."""
    await client(request, session)
    out = await run_in_threadpool(client_bill, config(request).url, session.actor, bill)
    return page(request, "client/bill.html", {"title": f"Bill {out['bill']}", "bill": out})


@router.get("/client/bills/{bill}/{kind}")
async def download(request: Request, bill: str, kind: str,
                   session: Session = Depends(allow("client.bills"))) -> Response:  # fmt: skip
    """The bill's PDF or CSV (audited)."""
    await client(request, session)
    name, data = await run_in_threadpool(bill_file, config(request).url, session.actor, bill,
                                         kind)  # fmt: skip
    return Response(data, media_type=BILL_FILES[kind],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
