"""An item: the incoming transaction beside each candidate, the file it came from, its family
and history; and the actions on it, each through the same ledger.desk call as the CLI."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger.desk import (
    MatchRefused,
    NotPermitted,
    Session,
    add_note,
    assign,
    decide_item,
    reconciliation_context,
    resolve_and_notify,
    show_item,
)
from ledger.store import LedgerError
from web.pages import render
from web.security import allow, config

router = APIRouter()

FIELD_ROWS = ("name", "birth_date", "ssn", "gender", "relationship", "subscriber_number",
              "address")  # fmt: skip


MEMBER_ID = re.compile(r"M[0-9]{9}")
"""The ledger's member ids (`ledger.store.unit.UnitOfWork.new_member_id`)."""


def _member_id(text: str) -> str:
    return text.strip().upper()[:24]


async def _page(request: Request, session: Session, item_id: int, *, reveal: bool = False,
                score: str = "", message: str = "", error: str = "",
                refused: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    """The item page; `score` adds a ledger member scored like a candidate (an unknown id
    is said on the page); `error`/`refused` say why an action was not taken."""
    url = config(request).url
    members = (score,) if score else ()
    try:
        item = await run_in_threadpool(lambda: show_item(
            url, session.actor, item_id, show_phi=reveal, members=members, context=True))
    except LedgerError as exc:
        if not members:
            raise
        error = error or str(exc)
        item = await run_in_threadpool(lambda: show_item(url, session.actor, item_id,
                                                         show_phi=reveal, context=True))
    extra = item.pop("context")
    recon = None
    if item["queue"] == "reconciliation":
        recon = await run_in_threadpool(lambda: reconciliation_context(
            url, session.actor, item_id, show_phi=reveal))  # fmt: skip
    return render(request, "item.html", {
        "title": f"Item {item_id}", "item": item, "extra": extra, "reveal": reveal,
        "fields": FIELD_ROWS, "message": message, "error": error, "refused": refused,
        "score": score, "recon": recon,
    }, status=status)  # fmt: skip


@router.get("/items/{item_id}", response_class=HTMLResponse)
async def item_page(request: Request, item_id: int, reveal: bool = False,
                    session: Session = Depends(allow("review.read"))) -> HTMLResponse:  # fmt: skip
    """The item; `reveal` shows SSNs in full (needs show_phi; audited by the desk)."""
    return await _page(request, session, item_id, reveal=reveal,
                       message=request.query_params.get("done", ""))  # fmt: skip


@router.post("/items/{item_id}/score", response_class=HTMLResponse)
async def score_member(request: Request, item_id: int, member_id: str = Form(""),
                       session: Session = Depends(allow("review.read"))) -> HTMLResponse:  # fmt: skip
    """The item page with a ledger member (not among the candidates) scored against it like
    a candidate, conflicts named, before anybody applies it (POST: the id typed never
    reaches a URL)."""
    member = _member_id(member_id)
    if not MEMBER_ID.fullmatch(member):
        return await _page(request, session, item_id, status=422,
                           error="That is not a member id (M followed by nine digits).")
    return await _page(request, session, item_id, score=member)


def _back(item_id: int, done: str) -> Response:
    return RedirectResponse(f"/items/{item_id}?done={done}", status_code=303)


@router.post("/items/{item_id}/assign-to-me")
async def assign_to_me(request: Request, item_id: int,
                       session: Session = Depends(allow("review.assign"))) -> Response:  # fmt: skip
    """Take the item (reviewers: unassigned items only)."""
    await run_in_threadpool(assign, config(request).url, session.actor, item_id,
                            session.actor.user_id)  # fmt: skip
    return _back(item_id, "assigned")


@router.post("/items/{item_id}/reassign")
async def reassign(request: Request, item_id: int, assignee: str = Form(...),
                   session: Session = Depends(allow("review.reassign"))) -> Response:  # fmt: skip
    """Give the item to another reviewer or supervisor (supervisors)."""
    await run_in_threadpool(assign, config(request).url, session.actor, item_id,
                            assignee.strip())  # fmt: skip
    return _back(item_id, "reassigned")


@router.post("/items/{item_id}/note")
async def note(request: Request, item_id: int, text: str = Form(""),
               session: Session = Depends(allow("review.note"))) -> Response:  # fmt: skip
    """Add a note to the item's history."""
    await run_in_threadpool(add_note, config(request).url, session.actor, item_id, text)
    return _back(item_id, "noted")


@router.post("/items/{item_id}/resolve")
async def resolve_item(
    request: Request, item_id: int, decision: str = Form(...), member_id: str = Form(""),
    reason: str = Form(""), override_reason: str = Form(""),
    session: Session = Depends(allow("review.resolve")),
) -> Response:  # fmt: skip
    """Apply to a member (`match`: a candidate or any member id, scored first by the desk;
    a conflict refuses it unless a supervisor gives `override_reason`), enrol as a new
    member (`new`), reject with a reason (`reject`; the sender's notice goes to the
    outbox), or for a held full file apply the kept copy (`apply_held`). A refusal is
    said on the item page (409), not an error page."""
    cfg = config(request)
    kw: dict[str, Any]
    member = _member_id(member_id)
    try:
        if decision == "match":
            if not MEMBER_ID.fullmatch(member):
                raise LedgerError("choose the member to apply the transaction to (a member "
                                  "id: M followed by nine digits)")  # fmt: skip
            kw = {"match": member}
            if override_reason.strip():
                kw["override_reason"] = override_reason
        elif decision == "new":
            kw = {"new_member": True}
        elif decision == "reject":
            if not reason.strip():
                raise LedgerError("a rejection needs a reason (it is sent to the sender; no PHI)")
            kw = {"reject_reason": reason}
        elif decision == "apply_held":
            kw = {"apply_held": True}
        else:
            raise LedgerError("unknown decision")
        done = await run_in_threadpool(lambda: resolve_and_notify(
            cfg.url, session.actor, item_id, outbox=cfg.outbox, **kw))  # fmt: skip
    except MatchRefused as exc:
        return await _page(request, session, item_id, error=str(exc), status=409,
                           refused=exc.check.to_json(),
                           score="" if exc.check.listed else member)  # fmt: skip
    except NotPermitted:
        raise  # audited by the desk; the app's 403 page
    except LedgerError as exc:
        return await _page(request, session, item_id, error=str(exc), status=409)
    return _back(item_id, done.resolution)


@router.post("/items/{item_id}/decide")
async def decide(request: Request, item_id: int, decision: str = Form(...),
                 as_of: str = Form(""),
                 session: Session = Depends(allow("review.resolve"))) -> Response:  # fmt: skip
    """Decide a reconciliation item (terminate as of a date / keep, enrol / ignore, apply
    the file's value / keep the ledger's) through `ledger.desk.decide_item`, as the CLI's
    `review decide`; the run's reports in the outbox are written again. A refusal is said
    on the item page (409)."""
    cfg = config(request)
    try:
        day = dt.date.fromisoformat(as_of.strip()) if as_of.strip() else None
    except ValueError:
        return await _page(request, session, item_id, error="The date: use YYYY-MM-DD.",
                           status=422)  # fmt: skip
    try:
        done = await run_in_threadpool(lambda: decide_item(
            cfg.url, session.actor, item_id, decision, as_of=day, outbox=cfg.outbox))  # fmt: skip
    except NotPermitted:
        raise
    except LedgerError as exc:
        return await _page(request, session, item_id, error=str(exc), status=409)
    return _back(item_id, done.resolution)
