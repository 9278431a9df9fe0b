"""Rendering a page: the Jinja2 templates with the signed-in session and the page context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from web import present
from web.security import WebConfig

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters.update(present.FILTERS)
templates.env.globals["compare_rows"] = present.compare_rows


def render(request: Request, name: str, context: dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:  # fmt: skip
    """Render template `name` with the signed-in session (if any) and the page context."""
    session = getattr(request.state, "session", None)
    cfg: WebConfig = request.app.state.config
    base = {
        "session": session,
        "actor": session.actor if session else None,
        "csrf": session.csrf_token if session else "",
        "idle_seconds": int(cfg.policy.idle.total_seconds()),
        "tour": cfg.tour,
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status,
                                      headers=headers)  # fmt: skip


SIGNIN_WHY = {
    "idle": "You were signed off after a period of inactivity.",
    "absolute": "Your session reached its maximum length; please sign in again.",
    "revoked": "Your session was ended by an administrator.",
    "inactive": "Your account is no longer active.",
    "signed_out": "You signed out.",
}


