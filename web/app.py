"""The browser face's application: `create_app(settings)` builds the FastAPI app.

Server-rendered Jinja2 pages, htmx (vendored under static/, with its licence) for
partial updates; every route takes the one `security.allow(action)` dependency
(or is the sign-in page or a static file). Every response carries the security
headers; pages are never cached. Errors render a page that names no PHI.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger.desk import NotPermitted, SessionPolicy
from ledger.settings import Settings
from ledger.store import LedgerError
from web import client_app, dashboard, items, members, queues, signin
from web.pages import HERE, SIGNIN_WHY, render
from web.security import SECURITY_HEADERS, Refused, SignInNeeded, WebConfig

log = structlog.get_logger("enroll834.web")

UVICORN_OPTIONS: dict[str, Any] = {"access_log": False, "server_header": False}
"""How `enroll834 serve` runs uvicorn: no access log of its own (its request line holds
the URL as typed, query included); `_Headers` logs each request by its route template."""


def _route(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", "")) or ("/static" if request.url.path.startswith(
        "/static/") else "-")  # fmt: skip


class _Headers:
    """Security headers and caching on every response; one log line per request naming the
    route template (never the URL as sent); an unexpected failure becomes the error page and
    a log line with its type only (its message may quote PHI). A plain ASGI middleware: the
    response streams through untouched but for its headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        static = str(scope.get("path", "")).startswith("/static/")
        status = 500
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started, status = True, int(message["status"])
                headers = MutableHeaders(scope=message)
                headers.update(SECURITY_HEADERS)
                if static:
                    headers["Cache-Control"] = "public, max-age=3600"
                else:
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
            await send(message)

        request = Request(scope)
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:  # noqa: BLE001 - the 500 page; the type is all that is logged
            log.error("web_request_failed", method=request.method, route=_route(request),
                      error_type=type(exc).__name__)  # fmt: skip
            if started:
                raise
            response = render(request, "error.html", {"title": "Something went wrong",
                              "message": "The request failed; nothing was changed by its "
                              "failure. Operators can find it in the server log."},
                              status=500)  # fmt: skip
            await response(scope, receive, send_with_headers)
        log.info("web_request", method=request.method, route=_route(request), status=status,
                 ms=round(1000 * (time.perf_counter() - start), 1))


SETTINGS_ENV = "ENROLL834_SERVE_SETTINGS"
"""`enroll834 serve --workers N` puts its effective settings here (JSON) for its workers."""


def app_from_environment() -> FastAPI:
    """The app of one worker of `enroll834 serve --workers N`: the parent's effective
    settings (SETTINGS_ENV), logging configured as the parent configured its own."""
    from edi.logs import configure

    settings = Settings.model_validate_json(os.environ[SETTINGS_ENV])
    fmt = settings.log_format
    configure(json=None if fmt == "auto" else fmt == "json", level=settings.log_level,
              quiet=settings.quiet)  # fmt: skip
    return create_app(settings)


def web_config(settings: Settings) -> WebConfig:
    """The app's WebConfig from the process settings (`[web]` and `[drops]`)."""
    w = settings.web
    policy = SessionPolicy(
        idle=dt.timedelta(minutes=w.idle_minutes),
        absolute=dt.timedelta(hours=w.absolute_hours),
        lockout_failures=w.lockout_failures,
        lockout_window=dt.timedelta(minutes=w.lockout_minutes),
    )
    outbox = settings.drops.outbox_dir
    return WebConfig(url=settings.database_url, policy=policy,
                     secure_cookies=w.secure_cookies, page_size=w.page_size,
                     outbox=str(outbox) if outbox else None, mail_room=str(w.mail_room),
                     site_url=w.site_url, uploads=str(w.uploads_root),
                     upload_max_bytes=int(w.upload_max_mb * 1_000_000),
                     settings=settings)  # fmt: skip


def create_app(settings: Settings | None = None, *, config: WebConfig | None = None) -> FastAPI:
    """The web face over the database of `settings` (or an explicit WebConfig, for tests)."""
    if config is None:
        if settings is None:
            from ledger.settings import load_settings

            settings = load_settings()
        config = web_config(settings)
    app = FastAPI(title="enroll834 review desk", docs_url=None, redoc_url=None,
                  openapi_url=None)  # fmt: skip
    app.state.config = config
    app.add_middleware(_Headers)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (signin, queues, items, members, dashboard):
        app.include_router(module.router)
    client_app.register(app)

    @app.exception_handler(SignInNeeded)
    async def _signin(request: Request, exc: SignInNeeded) -> Response:
        target = "/signin" + (f"?why={exc.why}" if exc.why in SIGNIN_WHY else "")
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        return render(request, "error.html", {"title": "Not permitted", "message": exc.message},
                      status=exc.status)  # fmt: skip

    @app.exception_handler(NotPermitted)
    async def _not_permitted(request: Request, exc: NotPermitted) -> Response:
        # The desk audited the refusal before raising it.
        return render(request, "error.html", {"title": "Not permitted", "message": str(exc)},
                      status=403)  # fmt: skip

    @app.exception_handler(LedgerError)
    async def _ledger(request: Request, exc: LedgerError) -> Response:
        return render(request, "error.html", {"title": "Could not do that",
                                              "message": str(exc)}, status=409)  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # Never echo the input (it may be PHI): name the fields only.
        fields = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        return render(request, "error.html", {"title": "Check the form",
                                              "message": "Not valid: " + ", ".join(fields)},
                      status=422)  # fmt: skip

    @app.exception_handler(404)
    async def _missing(request: Request, exc: Exception) -> Response:
        return render(request, "error.html", {"title": "Not found",
                                              "message": "There is no such page."}, status=404)

    @app.exception_handler(500)
    async def _broken(request: Request, exc: Exception) -> Response:
        return render(request, "error.html", {"title": "Something went wrong",
                                              "message": "The request failed; nothing was "
                                              "changed by its failure. Operators can find it "
                                              "in the server log."}, status=500)  # fmt: skip

    return app
