"""Search (values in the form body, never the URL) and the member page."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from ledger.desk import Session, member_page, search_members, verify_chains
from ledger.store import LedgerError
from web.items import MEMBER_ID
from web.pages import render
from web.security import allow, config

router = APIRouter()


@router.get("/search", response_class=HTMLResponse)
def search_form(request: Request,
                session: Session = Depends(allow("members.search"))) -> HTMLResponse:  # fmt: skip
    """The empty search form."""
    return render(request, "search.html", {"title": "Search", "results": None})


def _date(text: str, what: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise LedgerError(f"{what}: use YYYY-MM-DD") from None


@router.post("/search", response_class=HTMLResponse)
async def search(
    request: Request,
    subscriber_number: str = Form(""), member_id: str = Form(""), last: str = Form(""),
    first: str = Form(""), birth_date: str = Form(""), ssn_last4: str = Form(""),
    session: Session = Depends(allow("members.search")),
) -> HTMLResponse:  # fmt: skip
    """Members found (audited by the desk); an htmx request gets only the results."""
    born = _date(birth_date, "birth date")
    kind, results = await run_in_threadpool(
        lambda: search_members(config(request).url, session.actor,
                               subscriber_number=subscriber_number, member_id=member_id,
                               last=last, first=first, birth_date=born, ssn_last4=ssn_last4))
    name = "_search_results.html" if request.headers.get("hx-request") else "search.html"
    return render(request, name, {"title": "Search", "results": results, "kind": kind})


@router.get("/members/{member_id}", response_class=HTMLResponse)
async def member(request: Request, member_id: str, as_of: str = "", known_at: str = "",
                 session: Session = Depends(allow("ledger.history"))) -> HTMLResponse:  # fmt: skip
    """The member: coverages as of a date and as known at a time, identifiers, history."""
    if not MEMBER_ID.fullmatch(member_id):  # never echo (nor audit) what is not a member id
        raise HTTPException(404)
    day = _date(as_of, "as of")
    known = None
    if known_at.strip():
        try:
            known = dt.datetime.fromisoformat(known_at.strip())
        except ValueError:
            raise LedgerError("known at: use YYYY-MM-DDTHH:MM") from None
    page = await run_in_threadpool(lambda: member_page(config(request).url, session.actor,
                                                       member_id, as_of=day, known_at=known))
    return render(request, "member.html", {"title": f"Member {member_id}", "page": page,
                                           "as_of": as_of, "known_at": known_at})


@router.get("/verify", response_class=HTMLResponse)
async def verify(request: Request,
                 session: Session = Depends(allow("ledger.verify"))) -> HTMLResponse:  # fmt: skip
    """Recompute the ledger and audit hash chains (`ledger verify`), audited."""
    reports = await run_in_threadpool(verify_chains, config(request).url, session.actor)
    return render(request, "verify.html", {"title": "Ledger verification", "reports": reports})
