"""Queue pages: counts per queue, filters, sort, pagination, overdue first; "assign to me"."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from ledger.desk import QUEUES, SORTS, UNASSIGNED, QueueFilter, Session, page_items
from web.pages import render
from web.security import allow, config

router = APIRouter()

QUEUE_TITLES = {"review": "Review", "medicare": "Medicare referrals",
                "supervisor": "Supervisor (held full files)",
                "reconciliation": "Reconciliation (full-file differences)"}  # fmt: skip


@router.get("/queues/{queue}", response_class=HTMLResponse)
async def queue_page(
    request: Request,
    queue: str,
    group: str = "",
    partner: str = "",
    reason: str = "",
    assignee: str = "",
    status: str = Query("", pattern="^(|open|assigned)$"),
    overdue: bool = False,
    sort: str = "due",
    desc: bool = False,
    page: int = Query(1, ge=1, le=100000),
    session: Session = Depends(allow("review.read")),
) -> HTMLResponse:
    """One page of a queue; an htmx request gets only the table."""
    if queue not in QUEUES:
        raise HTTPException(404)
    if sort not in SORTS:
        sort = "due"
    who = session.actor.user_id if assignee == "me" else assignee or None
    f = QueueFilter(queue=queue, sponsor=group or None, partner=partner or None,
                    reason=reason or None, assignee=who, status=status or None,
                    overdue=overdue)  # fmt: skip
    cfg = config(request)
    result = await run_in_threadpool(page_items, cfg.url, session.actor, f, sort=sort,
                                     descending=desc, page=page, size=cfg.page_size)  # fmt: skip
    params = {k: v for k, v in {"group": group, "partner": partner, "reason": reason,
              "assignee": assignee, "status": status, "overdue": "true" if overdue else "",
              "sort": sort, "desc": "true" if desc else ""}.items() if v}  # fmt: skip

    def link(**change: object) -> str:
        merged = {**params, **{k: str(v) for k, v in change.items() if v not in ("", None)}}
        for k, v in change.items():
            if v in ("", None):
                merged.pop(k, None)
        return f"/queues/{queue}?{urlencode(merged)}"

    context = {
        "title": QUEUE_TITLES.get(queue, queue), "queue": queue, "queues": QUEUES,
        "queue_titles": QUEUE_TITLES, "result": result, "filters": params, "sort": sort,
        "desc": desc, "link": link, "sorts": SORTS, "unassigned": UNASSIGNED,
    }
    name = "_queue_table.html" if request.headers.get("hx-request") else "queue.html"
    return render(request, name, context)
