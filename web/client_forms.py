"""The client's change forms: GET shows the form (with a fresh idempotency key), POST
submits it through `ledger.clients.submit` - the same 834 pipeline as a partner's file.

One route pair per form, each with the `allow` action of the privilege it needs:
change/termination (client.changes), enrollment/dependent (client.enroll), cobra
(client.cobra). Errors come back beside the fields, values kept in the form (never in
the URL); a recorded submission redirects to its page (so a reload does not resubmit),
and a second Submit of the same form lands on the same submission.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger.clients import KINDS, Client, Outcome, choices, known_member, submit
from ledger.desk import Session
from ledger.store import engine
from web.client_pages import client, page
from web.security import CSRF_FIELD, allow, config

router = APIRouter()

ACTIONS = {"change": "client.changes", "termination": "client.changes",
           "enrollment": "client.enroll", "dependent": "client.enroll", "cobra": "client.cobra"}  # fmt: skip
NEEDS_MEMBER = ("change", "termination", "dependent")


async def _form_page(request: Request, c: Client, kind: str, values: dict[str, str],
                     errors: dict[str, list[str]], status: int = 200) -> Response:  # fmt: skip
    person: dict[str, Any] | None = None
    member_id = values.get("member_id", "")
    if kind in NEEDS_MEMBER and member_id:
        url = config(request).url

        def read() -> dict[str, Any]:
            with engine(url).connect() as conn:
                return known_member(conn, c, member_id)

        person = await run_in_threadpool(read)
    return page(request, f"client/form_{'enrollment' if kind == 'cobra' else kind}.html", {
        "title": KINDS[kind][1], "kind": kind, "values": values, "errors": errors,
        "choices": choices(kind), "person": person, "today": dt.date.today().isoformat(),
    }, status=status)  # fmt: skip


def _handlers(kind: str) -> tuple[Callable[..., Coroutine[Any, Any, Response]],
                                  Callable[..., Coroutine[Any, Any, Response]]]:  # fmt: skip
    action = ACTIONS[kind]

    async def show(request: Request, member_id: str = "",
                   session: Session = Depends(allow(action))) -> Response:  # fmt: skip
        c = await client(request, session)
        values = {"key": secrets.token_urlsafe(24), "member_id": member_id}
        return await _form_page(request, c, kind, values, {})

    async def post(request: Request, session: Session = Depends(allow(action))) -> Response:
        c = await client(request, session)
        form = await request.form()
        values = {k: str(v) for k, v in form.items() if k != CSRF_FIELD and isinstance(v, str)}
        out = await run_in_threadpool(submit, config(request).url, session.actor, kind, values,
                                      values.get("key", ""))  # fmt: skip
        if isinstance(out, Outcome):
            return RedirectResponse(f"/client/submissions/{out.submission}", status_code=303)
        return await _form_page(request, c, kind, values, out.errors.by_field, status=422)

    show.__doc__ = f"The {KINDS[kind][1].lower()} form."
    post.__doc__ = f"Submit the {KINDS[kind][1].lower()} (recorded once per form)."
    return show, post


for _kind in KINDS:
    _show, _post = _handlers(_kind)
    router.add_api_route(f"/client/forms/{_kind}", _show, methods=["GET"],
                         response_class=HTMLResponse, name=f"client_form_{_kind}")  # fmt: skip
    router.add_api_route(f"/client/forms/{_kind}", _post, methods=["POST"],
                         name=f"client_submit_{_kind}")  # fmt: skip
