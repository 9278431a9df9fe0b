"""The web face's security: every route x every role, CSRF, sign-in refusals and lockout,
session cookies, idle and absolute logoff, revocation, headers, SSN masking, no PHI in URLs.

Run on SQLite and PostgreSQL (the `db_url` fixture).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import sqlalchemy as sa
from webkit import ROLES, Web, api_routes

from ledger.desk import sessions, users
from ledger.desk.sessions import LOCKED, REFUSED, SessionPolicy  # noqa: I001
from ledger.desk.users import PERMISSIONS, Actor
from ledger.store import engine, session_tables
from web.security import SESSION_COOKIE, route_action

PUBLIC = {("GET", "/signin"), ("POST", "/signin")}
PEOPLE = ("root", "rita", "sam", "aud", "olga")
"""One signed-in user per role a person holds (the service role has no browser session)."""


def _routes(web: Web) -> list[tuple[str, str, str | None]]:
    out = []
    for r in api_routes(web.app):
        actions = [route_action(d.call) for d in r.dependant.dependencies]
        actions = [a for a in actions if a]
        for method in sorted(r.methods - {"HEAD"}):
            out.append((method, r.path, actions[0] if len(actions) == 1 else None))
            assert (method, r.path) in PUBLIC or len(actions) == 1, (method, r.path, actions)
    assert len(out) >= 20, out  # the walk must see the app's routes, not an empty list
    return out


def _concrete(path: str, item: int) -> str:
    return (path.replace("{item_id}", str(item)).replace("{queue}", "review")
            .replace("{member_id}", "M000000001"))  # fmt: skip


FORMS = {
    "/items/{item_id}/reassign": {"assignee": "ray"},
    "/items/{item_id}/note": {"text": "checked with the group"},
    "/items/{item_id}/resolve": {"decision": "reject", "reason": "duplicate"},
    "/items/{item_id}/decide": {"decision": "keep"},
    "/items/{item_id}/score": {"member_id": "M000000001"},
    "/search": {"subscriber_number": "S100"},
}


def test_every_route_x_every_role(web: Web) -> None:
    """Allowed exactly when the CLI's matrix allows the route's action; refusals are 403
    and leave an auth.refused record naming the user and the action."""
    ids = web.seed()
    routes = [r for r in _routes(web) if (r[0], r[1]) not in PUBLIC]
    assert {a for _, _, a in routes} <= set(PERMISSIONS)
    for user in PEOPLE:
        actor = Actor(user, frozenset(ROLES[user]))
        b = web.signin(user)
        for method, path, action in routes:
            assert action is not None
            if path == "/signout":
                continue  # checked below: it ends the session the walk uses
            item = ids[-1]
            url = _concrete(path, item)
            if path.endswith("/assign-to-me"):
                web.unassign(item)  # a reviewer may take only an unassigned item
            before = len(web.audit("auth.refused", user_id=user))
            r = b.get(url) if method == "GET" else b.post(url, FORMS.get(path, {}))
            refused = len(web.audit("auth.refused", user_id=user)) - before
            if actor.may(action):
                assert r.status_code != 403, (user, method, path, r.status_code)
                assert refused == 0, (user, method, path)
            else:
                assert r.status_code == 403, (user, method, path, r.status_code)
                assert refused == 1, (user, method, path)
                rec = web.audit("auth.refused", user_id=user)[-1]
                assert action in rec.details
        r = b.post("/signout")
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")
        assert b.get("/queues/review").status_code == 303


def test_service_user_and_unknown_users_get_one_message(web: Web) -> None:
    for user, code in (("svc", None), ("nobody", "whatever"), ("rita", "wrong-code")):
        b = web.client()
        page = b.get("/signin")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        r = b.post("/signin", data={"csrf_token": token, "user_id": user,
                                    "access_code": code or web.codes[user]})
        assert r.status_code == 401
        assert REFUSED in r.text
        assert SESSION_COOKIE not in r.cookies
    assert len(web.audit("auth.refused", target="web.signin")) == 3


def test_lockout_after_five_failures_in_the_window(web: Web) -> None:
    for _ in range(5):
        b = web.client()
        assert web_signin_status(b, "rita", "wrong") == 401
    assert web.audit("session.lockout", user_id="rita")
    b = web.client()
    r = signin_response(b, "rita", web.codes["rita"])  # the right code, but locked
    assert r.status_code == 401 and LOCKED in r.text
    assert web.audit("session.locked", user_id="rita")
    # another user is not affected; an unknown id locks the same way (no enumeration)
    assert web_signin_status(web.client(), "ray", web.codes["ray"]) == 303
    for _ in range(5):
        web_signin_status(web.client(), "ghost", "x")
    assert LOCKED in signin_response(web.client(), "ghost", "x").text


def signin_response(client, user: str, code: str):  # type: ignore[no-untyped-def]
    page = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return client.post("/signin", data={"csrf_token": token, "user_id": user,
                                        "access_code": code})


def web_signin_status(client, user: str, code: str) -> int:  # type: ignore[no-untyped-def]
    return int(signin_response(client, user, code).status_code)


def test_signin_form_needs_its_token(web: Web) -> None:
    c = web.client()
    r = c.post("/signin", data={"user_id": "rita", "access_code": web.codes["rita"]})
    assert r.status_code == 403
    assert web.audit("auth.refused", target="/signin")


def test_csrf_refused_and_audited(web: Web) -> None:
    ids = web.seed()
    b = web.signin("rita")
    b.get("/queues/review")
    for token in (None, "forged"):
        data = {"text": "note"} if token is None else {"text": "note", "csrf_token": token}
        r = b.c.post(f"/items/{ids[0]}/note", data=data)
        assert r.status_code == 403
    recs = [r for r in web.audit("auth.refused", user_id="rita") if "web.csrf" in r.details]
    assert len(recs) == 2
    assert not web.audit("review.note")
    # the header htmx sends works as well as the form field
    r = b.c.post(f"/items/{ids[0]}/note", data={"text": "note"},
                 headers={"X-CSRF-Token": b.csrf})
    assert r.status_code == 303 and len(web.audit("review.note")) == 1


def test_cookie_flags_and_secure_over_tls(web: Web) -> None:
    c = web.client()
    r = signin_response(c, "rita", web.codes["rita"])
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Secure" not in cookie
    from fastapi.testclient import TestClient

    tls = TestClient(web.app, base_url="https://desk.example", follow_redirects=False)
    r = signin_response(tls, "rita", web.codes["rita"])
    assert "Secure" in r.headers["set-cookie"]


def test_idle_logoff_and_absolute_lifetime(db_url: str, tmp_path: Path) -> None:
    idle = Web(db_url, tmp_path, SessionPolicy(idle=dt.timedelta(seconds=1)))
    b = idle.signin("rita")
    assert b.get("/account").status_code == 200
    time.sleep(1.3)
    r = b.get("/account")
    assert r.status_code == 303 and r.headers["location"] == "/signin?why=idle"
    assert any("idle" in rec.details for rec in idle.audit("session.end", user_id="rita"))
    assert "inactivity" in b.get("/signin?why=idle").text
    # absolute: busy all along, still ended
    tmp2 = tmp_path / "abs"
    tmp2.mkdir()
    url2 = db_url if not db_url.startswith("sqlite") else f"sqlite:///{tmp2 / 'l.db'}"
    if not db_url.startswith("sqlite"):
        with engine(db_url).begin() as conn:  # a second Web on the same schema: start clean
            for tbl in ("web_sessions", "user_roles", "users"):
                conn.execute(sa.text(f"DELETE FROM {tbl}"))
    whole = Web(url2, tmp2, SessionPolicy(absolute=dt.timedelta(seconds=1)))
    b = whole.signin("rita")
    time.sleep(0.6)
    assert b.get("/account").status_code == 200
    time.sleep(0.6)
    r = b.get("/account")
    assert r.headers["location"] == "/signin?why=absolute"


def test_revocation_role_change_and_deactivation_act_at_once(web: Web) -> None:
    root = Actor("root", frozenset({"administrator"}))
    b = web.signin("rita")
    assert b.get("/queues/review").status_code == 200
    users.revoke(web.url, root, "rita", "reviewer")
    assert b.get("/queues/review").status_code == 403
    users.grant(web.url, root, "rita", "reviewer")
    assert b.get("/queues/review").status_code == 200
    assert sessions.revoke_sessions(web.url, root, "rita") == 1
    assert b.get("/queues/review").headers["location"] == "/signin?why=revoked"
    b = web.signin("ray")
    users.deactivate(web.url, root, "ray")
    assert b.get("/account").headers["location"] == "/signin?why=inactive"


def test_headers_on_every_page(web: Web) -> None:
    web.seed()
    b = web.signin("rita")
    for path in ("/signin", "/queues/review", "/items/1", "/nowhere"):
        r = b.get(path)
        h = r.headers
        assert "script-src 'self'" in h["content-security-policy"]
        assert "unsafe-inline" not in h["content-security-policy"]
        assert h["x-frame-options"] == "DENY" and h["referrer-policy"] == "no-referrer"
        assert h["cache-control"] == "no-store"
        assert "<script>" not in r.text and " on" + "click=" not in r.text


def test_ssn_masked_unless_show_phi_and_asked(web: Web) -> None:
    ids = web.seed()
    twin = ids[1]  # held against Alice (SSN 111223333) with SSN 555667777
    rita = web.signin("rita")
    page = rita.get(f"/items/{twin}").text
    assert "555667777" not in page and "111223333" not in page and "***-**-7777" in page
    assert rita.get(f"/items/{twin}?reveal=true").status_code == 403
    phil = web.signin("phil")
    assert "555667777" not in phil.get(f"/items/{twin}").text
    shown = phil.get(f"/items/{twin}?reveal=true").text
    assert "555667777" in shown and "111223333" in shown
    assert len(web.audit("review.show_phi", user_id="phil")) == 1


def test_no_phi_in_urls_titles_or_search_links(web: Web) -> None:
    web.seed()
    b = web.signin("rita")
    phi = ("TESTPERSON", "ALICE", "1980-01-02", "111223333", "3333", "INVENTED")
    pages = [b.get(p).text for p in ("/queues/review", "/items/1", "/items/2", "/search",
                                     "/members/M000000001")]
    pages.append(b.post("/search", {"last": "TESTPERSON", "birth_date": "1980-01-02"}).text)
    for text in pages:
        title = re.search(r"<title>(.*?)</title>", text).group(1)  # type: ignore[union-attr]
        urls = re.findall(r'(?:href|action|hx-get|hx-post)="([^"]*)"', text)
        for value in phi:
            assert value not in title
            assert not [u for u in urls if value in u], value
    assert 'method="post" action="/search"' in pages[3]
    assert web.audit("member.search")


def test_reject_reason_reaches_the_sender_notice(web: Web) -> None:
    ids = web.seed()
    b = web.signin("rita")
    r = b.post(f"/items/{ids[0]}/resolve", {"decision": "reject",
                                            "reason": "member not eligible under the plan"})
    assert r.status_code == 303
    notices = sorted(web.outbox.glob("*.review-rejected.txt"))
    assert len(notices) == 1
    text = notices[0].read_text()
    assert "member not eligible under the plan" in text and "rejected_by_reviewer" in text
    assert "TESTPERSON" not in text and "1980" not in text
    rec = web.audit("review.resolve")[-1]
    assert "member not eligible" in rec.details


def test_refusals_never_echo_input(web: Web) -> None:
    b = web.signin("rita")
    r = b.post("/search", {"birth_date": "TESTPERSON-not-a-date"})
    assert r.status_code == 409 and "TESTPERSON" not in r.text
    r = b.get("/queues/review?page=NOTANUMBER-TESTPERSON")
    assert r.status_code == 422 and "TESTPERSON" not in r.text


def test_tokens_are_stored_hashed(web: Web) -> None:
    b = web.signin("rita")
    token = b.c.cookies.get(SESSION_COOKIE)
    with engine(web.url).connect() as conn:
        rows = list(conn.execute(sa.select(session_tables.web_sessions)))
    assert token and rows and all(token not in str(tuple(r)) for r in rows)
