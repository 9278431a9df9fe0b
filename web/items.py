"""An item: the incoming transaction beside each candidate, the file it came from, its family
and history; and the actions on it, each through the same ledger.desk call as the CLI."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger.desk import (
    Session,
    add_note,
    assign,
    item_context,
    report_rejection,
    resolve,
    show_item,
)
from ledger.store import LedgerError
from web.pages import render
from web.security import allow, config

router = APIRouter()

FIELD_ROWS = ("name", "birth_date", "ssn", "gender", "relationship", "subscriber_number",
              "address")  # fmt: skip


@router.get("/items/{item_id}", response_class=HTMLResponse)
async def item_page(request: Request, item_id: int, reveal: bool = False,
                    session: Session = Depends(allow("review.read"))) -> HTMLResponse:  # fmt: skip
    """The item; `reveal` shows SSNs in full (needs show_phi; audited by the desk)."""
    url = config(request).url
    item = await run_in_threadpool(show_item, url, session.actor, item_id, show_phi=reveal)
    extra = await run_in_threadpool(item_context, url, session.actor, item_id)
    return render(request, "item.html", {
        "title": f"Item {item_id}", "item": item, "extra": extra, "reveal": reveal,
        "fields": FIELD_ROWS, "message": request.query_params.get("done", ""),
    })  # fmt: skip


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
    reason: str = Form(""), session: Session = Depends(allow("review.resolve")),
) -> Response:  # fmt: skip
    """Apply to a candidate (`match`), enrol as a new member (`new`), reject with a reason
    (`reject`; the sender's notice goes to the outbox), or for a held full file apply the
    kept copy (`apply_held`)."""
    cfg = config(request)
    kw: dict[str, Any]
    if decision == "match":
        if not member_id.strip():
            raise LedgerError("choose the member to apply the transaction to")
        kw = {"match": member_id.strip().upper()}
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
    done = await run_in_threadpool(lambda: resolve(cfg.url, session.actor, item_id, **kw))
    if done.resolution == "rejected":
        await run_in_threadpool(report_rejection, cfg.url, item_id, reason, cfg.outbox)
    return _back(item_id, done.resolution)
