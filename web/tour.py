"""`enroll834 serve --tour`: the client pages over a throw-away ledger of invented people
(`ledger.clients.build_tour`), signed in as a tour user with view-only privileges.

- GET /tour signs the visitor in as the tour user (its password never leaves this
  process) and opens the client's home; the sign-in page leads there too.
- Every request that is not a GET or HEAD is refused with a friendly page (403): a
  preview changes nothing, not even a sign-out.
- A banner on every page says it is a preview with invented people (`WebConfig.tour`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from ledger.clients import Tour, build_tour
from ledger.desk import SessionPolicy, sign_in
from web.app import create_app
from web.pages import render
from web.security import SAFE_METHODS, SESSION_COOKIE, WebConfig, config, secure

PREVIEW = ("This is a preview with invented people: nothing can be changed here. "
           "Ask your group representative for your own account to submit changes.")  # fmt: skip


class _ReadOnly(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.method not in SAFE_METHODS:
            return render(request, "error.html", {"title": "This is a preview",
                                                  "message": PREVIEW}, status=403)  # fmt: skip
        if request.url.path == "/signin":
            return RedirectResponse("/tour", status_code=303)
        return await call_next(request)


def tour_app(folder: Path, policy: SessionPolicy | None = None) -> FastAPI:
    """The tour's app over a ledger built in `folder` (which the caller removes)."""
    tour: Tour = build_tour(folder)
    cfg = WebConfig(url=tour.url, policy=policy or SessionPolicy(), secure_cookies="auto",
                    mail_room=str(folder / "mail-room"), uploads=str(tour.uploads),
                    tour=True)  # fmt: skip
    app = create_app(config=cfg)
    app.add_middleware(_ReadOnly)

    @app.get("/tour", include_in_schema=False)
    async def start(request: Request) -> Response:
        """Sign in as the tour user and open the client's home."""
        c = config(request)
        token, _ = await run_in_threadpool(sign_in, c.url, tour.user_id, tour.password, c.policy)
        response = RedirectResponse("/client", status_code=303)
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                            secure=secure(request), path="/")  # fmt: skip
        return response

    return app
