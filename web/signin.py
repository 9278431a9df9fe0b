"""Signing in and out: the only pages reachable without a session (besides static files)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger.desk import Session, SignInRefused, sign_in, sign_out
from web.pages import SIGNIN_WHY, render
from web.security import (
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    allow,
    config,
    new_token,
    secure,
    signin_csrf,
)

router = APIRouter()


def _form(request: Request, message: str = "", status: int = 200) -> HTMLResponse:
    token = new_token()
    why = request.query_params.get("why", "")
    response = render(request, "signin.html", {
        "title": "Sign in", "form_token": token, "message": message,
        "notice": SIGNIN_WHY.get(why, ""),
    }, status=status)  # fmt: skip
    response.set_cookie(SIGNIN_COOKIE, token, httponly=True, samesite="strict",
                        secure=secure(request), path="/signin")  # fmt: skip
    return response


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request) -> HTMLResponse:
    """The sign-in form (a fresh form token each time)."""
    return _form(request)


@router.post("/signin", dependencies=[Depends(signin_csrf)])
async def signin_post(request: Request, user_id: str = Form(""),
                      access_code: str = Form("")) -> Response:  # fmt: skip
    """Check the access code; on success set the session cookie and go to the review queue."""
    cfg = config(request)
    try:
        token, _ = await run_in_threadpool(sign_in, cfg.url, user_id, access_code, cfg.policy)
    except SignInRefused as exc:
        return _form(request, str(exc), status=401)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=secure(request), path="/")  # fmt: skip
    response.delete_cookie(SIGNIN_COOKIE, path="/signin")
    return response


@router.post("/signout")
async def signout(request: Request, session: Session = Depends(allow("web.session"))) -> Response:
    """End the session (audited) and clear the cookie."""
    await run_in_threadpool(sign_out, config(request).url, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/signin?why=signed_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(session: Session = Depends(allow("web.session"))) -> Response:
    """Where a signed-in user starts: the review queue if they may read it, else search."""
    if session.actor.may("review.read"):
        return RedirectResponse("/queues/review", status_code=303)
    if session.actor.may("client.session"):
        return RedirectResponse("/client", status_code=303)
    return RedirectResponse("/account", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: Session = Depends(allow("web.session"))) -> HTMLResponse:
    """Who is signed in, their roles, and when the session ends."""
    return render(request, "account.html", {"title": "Your session"})
