"""The client's pages over HTTP: the journey from the mailed letter to a delegated user,
forms through the same pipeline, tenant isolation, the PHI canary, audit records."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re

import pytest
import sqlalchemy as sa
from clientkit import ACME, BETA, PASSWORD, Clients, read_letter
from desk834 import ALICE, BOB, Member, interchange
from webkit import Browser, Web, api_routes

from ledger.store import engine
from ledger.store import schema as t

KEY = re.compile(r'name="key" value="([^"]+)"')


@pytest.fixture
def cl(web: Web) -> Clients:
    return Clients(web)


def _signin(web: Web, user: str, secret: str) -> Browser:
    b = Browser(web.client())
    r = b.signin(user, secret)
    assert r.status_code == 303, r.text[:300]
    return b


def _first_time(web: Web, user: str, code: str) -> Browser:
    b = _signin(web, user, code)
    r = b.get("/client")
    assert r.status_code == 303 and r.headers["location"] == "/client/password"
    b.get("/client/password")
    r = b.post("/client/password", {"password": "short", "confirm": "short"})
    assert r.status_code == 422 and "12 characters" in r.text
    r = b.post("/client/password", {"password": PASSWORD, "confirm": PASSWORD})
    assert r.status_code == 303
    return b


def _admin(web: Web, cl: Clients, sponsor: str = ACME) -> Browser:
    user, code, _ = cl.invite(sponsor)
    return _first_time(web, user, code)


def _form(b: Browser, kind: str, member_id: str = "") -> str:
    r = b.get(f"/client/forms/{kind}" + (f"?member_id={member_id}" if member_id else ""))
    assert r.status_code == 200, r.text[:300]
    m = KEY.search(r.text)
    assert m
    return m.group(1)


def test_journey_letter_password_delegated_user_refused_termination(web: Web, cl: Clients) -> None:
    admin = _admin(web, cl)
    assert admin.get("/").headers["location"] == "/client"
    page = admin.get("/client").text
    assert "Account Access" in page and "Acme Tool and Die" in page
    admin.get("/client/access")
    r = admin.post("/client/access/users", {"login": "pat", "display_name": "Pat",
                                            "p_view_roster": "1"})  # fmt: skip
    assert r.status_code == 303
    letters = sorted(cl.mail.folder.glob("*pat*.pdf"))
    assert len(letters) == 1
    user, code = read_letter(letters[0])
    pat = _first_time(web, user, code)
    assert pat.get("/client/roster").status_code == 200
    mid = cl.member_id(ALICE.ssn)
    r = pat.get(f"/client/forms/termination?member_id={mid}")
    assert r.status_code == 403
    r = pat.post("/client/forms/termination", {"member_id": mid, "end_date": "2030-01-31",
                                               "reason": "07", "key": "k" * 24})  # fmt: skip
    assert r.status_code == 403
    assert any(user == rec.user_id for rec in web.audit("auth.refused"))
    assert pat.get("/client/access").status_code == 403
    # The administrator sees pat's last sign-in; every step is audited.
    assert "never" not in admin.get(f"/client/access/users/{user}").text.split("Last sign-in")[1][:80]
    for action in ("client.invite", "client.code_issued", "client.password_set",
                   "client.user_create", "session.start"):
        assert web.audit(action), action


def test_change_applied_and_double_submit_records_once(web: Web, cl: Clients) -> None:
    admin = _admin(web, cl)
    mid = cl.member_id(ALICE.ssn)
    key = _form(admin, "change", mid)
    data = {"key": key, "member_id": mid, "line1": "9 Elm Court", "city": "Greywater",
            "state": "TX", "postal_code": "83921"}
    r1 = admin.post("/client/forms/change", data)
    r2 = admin.post("/client/forms/change", data)
    assert r1.status_code == r2.status_code == 303
    assert r1.headers["location"] == r2.headers["location"]
    page = admin.get(r1.headers["location"]).text
    assert "Applied effective" in page
    with engine(web.url).connect() as conn:
        n = conn.execute(sa.text("select count(*) from client_submissions")).scalar()
    assert n == 1
    assert "9 ELM COURT" in admin.get(f"/client/members/{mid}").text


def test_form_errors_beside_fields(web: Web, cl: Clients) -> None:
    admin = _admin(web, cl, BETA)
    key = _form(admin, "cobra")
    r = admin.post("/client/forms/cobra", {"key": key, "subscriber_number": "S901",
                                           "last": "EXAMPLE", "first": "IDA",
                                           "birth_date": "1988-02-30", "gender": "F",
                                           "line1": "1 Rd", "city": "X", "state": "TX",
                                           "postal_code": "83921", "plan": "P",
                                           "coverage_level": "EMP", "begin_date": "2026-01-01"})  # fmt: skip
    assert r.status_code == 422
    assert 'id="e_birth_date"' in r.text and "Nothing was recorded" in r.text


def _walk(app: object) -> list[tuple[str, str]]:
    return [(m, r.path) for r in api_routes(app) if r.path.startswith("/client")
            for m in sorted(r.methods - {"HEAD"})]  # fmt: skip


def test_every_client_route_takes_one_client_action(web: Web) -> None:
    from web.security import route_action

    walked = _walk(web.app)
    assert len(walked) >= 20
    for r in api_routes(web.app):
        if r.path.startswith("/client"):
            actions = [a for a in (route_action(d.call) for d in r.dependant.dependencies) if a]
            assert len(actions) == 1 and actions[0].startswith("client."), (r.path, actions)


def test_tenant_isolation_every_client_url_with_another_clients_ids(web: Web, cl: Clients) -> None:
    acme = _admin(web, cl, ACME)
    acme.get("/client/access")
    acme.post("/client/access/users", {"login": "pat", "p_view_roster": "1"})
    mid = cl.member_id(ALICE.ssn)
    key = _form(acme, "change", mid)
    r = acme.post("/client/forms/change", {"key": key, "member_id": mid, "phone": "5550001111"})
    sid = r.headers["location"].rsplit("/", 1)[1]
    # An upload and a bill of Acme's (test_client_uploads, test_client_bills).
    from test_client_bills import bill_month
    from test_client_uploads import send

    web.config = dataclasses.replace(web.config, uploads=str(web.tmp / "uploads"))
    web.app.state.config = web.config
    upload = send(acme, interchange([Member(BOB, "S100")], control=90, sponsor=ACME))
    name = upload.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    bill = f"{ACME}-{bill_month(web, web.tmp).replace('-', '')}"
    assert acme.get(f"/client/bills/{bill}/pdf").status_code == 200
    assert acme.get(f"/client/uploads/{name}/report").status_code == 200
    beta = _admin(web, cl, BETA)
    ids = {"member_id": mid, "user_id": "c991234567.pat", "submission_id": sid, "name": name,
           "bill": bill, "kind": "pdf"}
    walked = 0
    for method, path in _walk(web.app):
        names = re.findall(r"{(\w+)}", path)
        if not names and "forms" not in path:
            continue
        url = path
        for n in names:
            url = url.replace("{" + n + "}", ids[n])
        before = len(web.audit("client.not_found"))
        if method == "GET":
            r = beta.get(url + ("?member_id=" + mid if "forms" in path else ""))
        else:
            r = beta.post(url, {"member_id": mid, "key": "x" * 24, "last": "HACKED",
                                "end_date": "2030-01-01", "reason": "07", "p_view_roster": "1"})  # fmt: skip
        if "forms/enrollment" in path or "forms/cobra" in path:
            continue  # no member id in these forms
        assert r.status_code == 404, (method, path, r.status_code)
        assert len(web.audit("client.not_found")) == before + 1, (method, path)
        walked += 1
    assert walked >= 10
    # Beta's roster holds none of Acme's members.
    assert mid not in beta.get("/client/roster").text


CANARY = {"last": "ZZCANARYLAST", "first": "ZZCANARYFIRST", "ssn": "987650123",
          "line1": "77 ZZCANARY STREET", "phone": "5559876543"}


def test_phi_canary_never_in_audit_logs_or_urls(web: Web, cl: Clients,
                                                caplog: pytest.LogCaptureFixture) -> None:  # fmt: skip
    caplog.set_level(logging.DEBUG)
    admin = _admin(web, cl)
    key = _form(admin, "enrollment")
    data = {"key": key, "subscriber_number": "S555", **CANARY, "birth_date": "1985-06-07",
            "gender": "M", "city": "Greywater", "state": "TX", "postal_code": "83921",
            "plan": "EPO SILVER", "coverage_level": "EMP",
            "begin_date": dt.date.today().replace(day=1).isoformat()}
    r = admin.post("/client/forms/enrollment", data)
    assert r.status_code == 303
    assert not any(v in r.headers["location"] for v in CANARY.values())
    bad = admin.post("/client/forms/enrollment", {**data, "key": _form(admin, "enrollment"),
                                                  "state": "ZZCANARYSTATE"})  # fmt: skip
    assert bad.status_code == 422
    with engine(web.url).connect() as conn:
        audit = " ".join(f"{r.target} {r.details}" for r in conn.execute(sa.select(t.audit_log)))
    logs = caplog.text
    for v in [*CANARY.values(), "ZZCANARYSTATE"]:
        assert v not in audit and v not in logs, v
    csv = admin.get("/client/roster.csv")
    assert csv.status_code == 200 and "ZZCANARYLAST" in csv.text and "987650123" not in csv.text
    assert web.audit("client.roster_csv")
