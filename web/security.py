"""Who may see which page: the one dependency every route takes, sessions, CSRF, headers.

- `allow(action)` is the route dependency: it finds the session from the cookie
  (`ledger.desk.sessions.current`: idle and absolute expiry, roles read afresh), checks
  the CSRF token on every request that is not a GET/HEAD, and checks `action` against
  the CLI's permission matrix (`ledger.desk.PERMISSIONS`). Each refusal is an
  audited `auth.refused` record (`ledger.desk.refuse`) and a 403 page. No session:
  `SignInNeeded` (the app sends the browser to the sign-in page, saying why).
- `signin_csrf` guards the sign-in form itself (a double-submit token: a cookie and a
  hidden field), so a third-party page cannot sign a browser in as someone else.
- `SECURITY_HEADERS` go on every response (CSP without inline scripts, no framing,
  no referrer, no caching of pages).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from ledger.desk import Session, SessionPolicy, users
from ledger.desk import current_session as current

PERMISSIONS = users.PERMISSIONS
refuse = users.refuse

SESSION_COOKIE = "e834_session"
SIGNIN_COOKIE = "e834_signin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")  # fmt: skip
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SignInNeeded(Exception):
    """No live session: `why` is 'none', 'unknown', 'revoked', 'idle', 'absolute', 'inactive'
    or 'signed_out'."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class Refused(Exception):
    """A request refused (already audited): HTTP `status` and a message without PHI."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class WebConfig:
    """What the routes need from the application: the database and the policies."""

    url: str
    policy: SessionPolicy
    secure_cookies: str = "auto"
    page_size: int = 50
    outbox: str | None = None
    mail_room: str = "mail-room"
    site_url: str = ""
    uploads: str = "uploads"
    """Client uploads: one drop inbox per client under here."""
    upload_max_bytes: int = 20_000_000
    settings: Any = None
    """The process Settings (the drop pipeline of uploads); None: defaults over `url`."""
    tour: bool = False
    """The read-only preview (`serve --tour`): every POST is refused, a banner says so."""


def config(request: Request) -> WebConfig:
    cfg: WebConfig = request.app.state.config
    return cfg


def secure(request: Request) -> bool:
    """Whether cookies get the Secure flag: always/never, or auto = the request came over TLS."""
    mode = config(request).secure_cookies
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


async def _sent_token(request: Request) -> str | None:
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    if request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


async def _refuse(request: Request, user: str | None, action: str, why: str,
                  status: int = 403) -> Refused:  # fmt: skip
    await run_in_threadpool(refuse, config(request).url, user, action, why,
                            request.url.path[:200])  # fmt: skip
    return Refused(status, f"not permitted: {why}")


async def refusal(request: Request, user: str | None, action: str, why: str,
                  status: int = 403) -> Refused:  # fmt: skip
    """An audited refusal of this request (raise it): for checks made before `allow`."""
    return await _refuse(request, user, action, why, status)


def allow(action: str) -> Callable[[Request], Awaitable[Session]]:
    """The dependency of a route that takes `action` (a key of PERMISSIONS)."""
    if action not in PERMISSIONS:
        raise ValueError(f"unknown action {action!r}")

    async def dependency(request: Request) -> Session:
        cfg = config(request)
        token = request.cookies.get(SESSION_COOKIE)
        session, why = await run_in_threadpool(current, cfg.url, token, cfg.policy)
        if session is None:
            if request.method not in SAFE_METHODS and token:
                # A stale form posted after logoff: audit it like any refusal.
                await _refuse(request, None, action, f"no live session ({why})", 401)
            raise SignInNeeded(why)
        if request.method not in SAFE_METHODS and not same(await _sent_token(request),
                                                            session.csrf_token):
            raise await _refuse(request, session.actor.user_id, "web.csrf",
                                    "missing or wrong CSRF token")  # fmt: skip
        if not session.actor.may(action):
            raise await _refuse(request, session.actor.user_id, action,
                                "the user's roles do not allow this")  # fmt: skip
        request.state.session = session
        return session

    dependency.action = action  # type: ignore[attr-defined]
    return dependency


async def signin_csrf(request: Request) -> None:
    """The sign-in form's double-submit check (cookie == field); refusal audited, 403."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not same(request.cookies.get(SIGNIN_COOKIE), sent if isinstance(sent, str) else None):
        raise await _refuse(request, None, "web.csrf", "missing or wrong sign-in form token")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def route_action(dependency: Any) -> str | None:
    """The action a dependency made by `allow` checks (None for any other callable)."""
    return getattr(dependency, "action", None)
