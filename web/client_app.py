"""The client face's registration: its routers and its two error answers (a password to
choose first; 404 for anything outside the client, audited `client.not_found`)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger.clients import NotFound
from ledger.store import audit, engine
from web import client_bills, client_forms, client_pages, client_uploads
from web.client_pages import PasswordFirst
from web.pages import render
from web.security import config


def register(app: FastAPI) -> None:
    """Add the client pages, their forms and their two error answers to `app`."""
    app.include_router(client_pages.router)
    app.include_router(client_forms.router)
    app.include_router(client_uploads.router)
    app.include_router(client_bills.router)

    @app.exception_handler(PasswordFirst)
    async def _password_first(request: Request, exc: PasswordFirst) -> Response:
        return RedirectResponse("/client/password", status_code=303)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        session = getattr(request.state, "session", None)
        who = session.actor.user_id if session else "-"

        def note() -> None:
            with engine(config(request).url).begin() as conn:
                audit(conn, who, "client.not_found", target=request.url.path[:200])

        await run_in_threadpool(note)
        return render(request, "error.html", {"title": "Not found",
                                              "message": "There is no such page."}, status=404)
