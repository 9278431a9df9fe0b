"""The client's pages (online account services): home, first password, roster (with CSV),
a member, My submissions, Account Access. Forms are in `client_forms.py`.

Every route takes the one `allow(action)` dependency with a `client.*` action; the
client the user is bound to comes from `ledger.clients.client_of`, and every id in a URL
is looked up inside that client only: another client's id is `NotFound` -> 404, audited
(`client.not_found`), exactly like an id that does not exist.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger.clients import (
    PRIVILEGES,
    STATUS_TEXT,
    Client,
    MailRoom,
    NotFound,
    add_client_user,
    client_of,
    client_roster,
    client_users,
    deactivate_client_user,
    known_member,
    reissue_code,
    roster_csv,
    set_password,
    set_privileges,
    submission,
    submissions,
)
from ledger.desk import Session
from ledger.store import LedgerError, engine
from web.pages import render
from web.security import allow, config

router = APIRouter()


class PasswordFirst(Exception):
    """The client user signed in with a mailed code and must choose a password first."""


def mail_room(request: Request) -> MailRoom:
    cfg = config(request)
    return MailRoom(Path(cfg.mail_room), cfg.site_url)


async def client(request: Request, session: Session, *, password_page: bool = False) -> Client:
    """The signed-in user's client (for the templates too); PasswordFirst until a password
    is chosen."""
    c = await run_in_threadpool(client_of, config(request).url, session.actor)
    request.state.client = c
    if c.must_set_password and not password_page:
        raise PasswordFirst()
    return c


def page(request: Request, name: str, context: dict[str, object], status: int = 200) -> HTMLResponse:
    return render(request, name, {"client": getattr(request.state, "client", None),
                                  "privileges": PRIVILEGES, "status_text": STATUS_TEXT,
                                  **context}, status=status)  # fmt: skip


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip()) if text.strip() else dt.date.today()
    except ValueError:
        raise LedgerError("as of: use YYYY-MM-DD") from None


@router.get("/client", response_class=HTMLResponse)
async def home(request: Request, session: Session = Depends(allow("client.session"))) -> Response:
    """The menu: what this user's privileges allow, and its latest submissions."""
    c = await client(request, session)
    recent = await run_in_threadpool(lambda: submissions(config(request).url, session.actor,
                                                         mine_only=True, limit=5))  # fmt: skip
    return page(request, "client/home.html", {"title": c.name, "recent": recent})


@router.get("/client/password", response_class=HTMLResponse)
async def password_form(request: Request,
                        session: Session = Depends(allow("client.session"))) -> Response:  # fmt: skip
    """Choose a password (required after signing in with a mailed code)."""
    await client(request, session, password_page=True)
    return page(request, "client/password.html", {"title": "Choose your password", "error": ""})


@router.post("/client/password", response_class=HTMLResponse)
async def password_post(request: Request, password: str = Form(""), confirm: str = Form(""),
                        session: Session = Depends(allow("client.session"))) -> Response:  # fmt: skip
    """Store the new password (the mailed code stops working)."""
    await client(request, session, password_page=True)
    try:
        await run_in_threadpool(set_password, config(request).url, session.actor, password, confirm)
    except LedgerError as exc:
        return page(request, "client/password.html",
                    {"title": "Choose your password", "error": str(exc)}, status=422)  # fmt: skip
    return RedirectResponse("/client?done=password", status_code=303)


@router.get("/client/roster", response_class=HTMLResponse)
async def roster(request: Request, as_of: str = "", q: str = "",
                 session: Session = Depends(allow("client.roster"))) -> Response:  # fmt: skip
    """Members and coverages as of a date; search by name, subscriber number or member id."""
    await client(request, session)
    day = _day(as_of)
    rows = await run_in_threadpool(lambda: client_roster(config(request).url, session.actor,
                                                         day, q))  # fmt: skip
    return page(request, "client/roster.html", {"title": "Roster", "rows": rows,
                                                "as_of": day.isoformat(), "q": q})


@router.post("/client/roster", response_class=HTMLResponse)
async def roster_search(request: Request, as_of: str = Form(""), q: str = Form(""),
                        session: Session = Depends(allow("client.roster"))) -> Response:  # fmt: skip
    """The search (names go in the body, never the URL)."""
    return await roster(request, as_of, q, session)


@router.get("/client/roster.csv")
async def roster_download(request: Request, as_of: str = "",
                          session: Session = Depends(allow("client.roster"))) -> Response:  # fmt: skip
    """The roster as CSV (audited)."""
    c = await client(request, session)
    day = _day(as_of)
    text = await run_in_threadpool(roster_csv, config(request).url, session.actor, day)
    name = f"roster-{c.client_id}-{day.isoformat()}.csv"
    return Response(text, media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/client/members/{member_id}", response_class=HTMLResponse)
async def member(request: Request, member_id: str,
                 session: Session = Depends(allow("client.roster"))) -> Response:  # fmt: skip
    """One member of the client's groups, with the changes that can be submitted for it."""
    c = await client(request, session)
    url = config(request).url

    def read() -> dict[str, object]:
        with engine(url).connect() as conn:
            return known_member(conn, c, member_id)

    person = await run_in_threadpool(read)
    rows = await run_in_threadpool(lambda: client_roster(url, session.actor, dt.date.today(),
                                                         str(person["member_id"])))  # fmt: skip
    return page(request, "client/member.html", {"title": f"Member {person['member_id']}",
                                                "person": person, "rows": rows})


@router.get("/client/submissions", response_class=HTMLResponse)
async def my_submissions(request: Request,
                         session: Session = Depends(allow("client.session"))) -> Response:  # fmt: skip
    """My submissions (an administrator sees the whole account's), status as of now."""
    await client(request, session)
    rows = await run_in_threadpool(submissions, config(request).url, session.actor)
    return page(request, "client/submissions.html", {"title": "My submissions", "rows": rows})


@router.get("/client/submissions/{submission_id}", response_class=HTMLResponse)
async def one_submission(request: Request, submission_id: int,
                         session: Session = Depends(allow("client.session"))) -> Response:  # fmt: skip
    """One submission and its status."""
    await client(request, session)
    out = await run_in_threadpool(submission, config(request).url, session.actor, submission_id)
    return page(request, "client/submission.html",
                {"title": f"Submission {out.submission}", "out": out})  # fmt: skip


# ---------------------------------------------------------------- Account Access


@router.get("/client/access", response_class=HTMLResponse)
async def access(request: Request, session: Session = Depends(allow("client.users"))) -> Response:
    """Account Access: the users, their privileges, last sign-in, submissions."""
    await client(request, session)
    rows = await run_in_threadpool(client_users, config(request).url, session.actor)
    return page(request, "client/access.html", {"title": "Account Access", "users": rows,
                                                "done": request.query_params.get("done", "")})


@router.post("/client/access/users")
async def access_add(request: Request, login: str = Form(""), display_name: str = Form(""),
                     session: Session = Depends(allow("client.users"))) -> Response:  # fmt: skip
    """Create a user with the ticked privileges; its letter goes to the mail room."""
    await client(request, session)
    form = await request.form()
    chosen = [p for p in PRIVILEGES if form.get(f"p_{p}")]
    await run_in_threadpool(add_client_user, config(request).url, session.actor, login, chosen,
                            mail_room(request), display_name)  # fmt: skip
    return RedirectResponse("/client/access?done=created", status_code=303)


@router.get("/client/access/users/{user_id}", response_class=HTMLResponse)
async def access_user(request: Request, user_id: str,
                      session: Session = Depends(allow("client.users"))) -> Response:  # fmt: skip
    """One user: privileges and what it submitted."""
    await client(request, session)
    url = config(request).url
    rows = await run_in_threadpool(client_users, url, session.actor)
    user = next((u for u in rows if u.user_id == user_id), None)
    if user is None:
        raise NotFound("no such user in this account")
    subs = await run_in_threadpool(lambda: submissions(url, session.actor, user_id=user_id))
    return page(request, "client/access_user.html", {"title": f"User {user_id}", "user": user,
                                                     "subs": subs,
                                                     "done": request.query_params.get("done", "")})


@router.post("/client/access/users/{user_id}/privileges")
async def access_privileges(request: Request, user_id: str,
                            session: Session = Depends(allow("client.users"))) -> Response:  # fmt: skip
    """Replace a user's privileges (never beyond the administrator's)."""
    await client(request, session)
    form = await request.form()
    chosen = [p for p in PRIVILEGES if form.get(f"p_{p}")]
    await run_in_threadpool(set_privileges, config(request).url, session.actor, user_id, chosen)
    return RedirectResponse(f"/client/access/users/{user_id}?done=privileges", status_code=303)


@router.post("/client/access/users/{user_id}/deactivate")
async def access_deactivate(request: Request, user_id: str,
                            session: Session = Depends(allow("client.users"))) -> Response:  # fmt: skip
    """Deactivate a user (its sessions end at once)."""
    await client(request, session)
    await run_in_threadpool(deactivate_client_user, config(request).url, session.actor, user_id)
    return RedirectResponse(f"/client/access/users/{user_id}?done=deactivated", status_code=303)


@router.post("/client/access/users/{user_id}/reissue")
async def access_reissue(request: Request, user_id: str,
                         session: Session = Depends(allow("client.users"))) -> Response:  # fmt: skip
    """Mail a new code (the old code and password stop working)."""
    await client(request, session)
    await run_in_threadpool(reissue_code, config(request).url, session.actor, user_id,
                            mail_room(request))  # fmt: skip
    return RedirectResponse(f"/client/access/users/{user_id}?done=mailed", status_code=303)
