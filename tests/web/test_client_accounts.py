"""Client accounts through the library: invitation, the mailed letter, passwords,
Account Access, and online submissions through the same pipeline as an 834."""

from __future__ import annotations

import json
import os
import secrets
import stat

import pytest
import sqlalchemy as sa
from clientkit import ACME, BETA, OLGA, PASSWORD, Clients, letter_text, read_letter
from desk834 import ALICE, BOB, CARLA
from webkit import Web

from ledger.clients import (
    NotFound,
    add_client_user,
    client_users,
    invite,
    password_problem,
    set_password,
    set_privileges,
)
from ledger.clients.submit import Outcome, Refusal, submissions, submit
from ledger.desk import NotPermitted, current_session, sign_in
from ledger.desk.sessions import SessionPolicy, SignInRefused
from ledger.desk.users import Actor
from ledger.store import engine
from ledger.store import schema as t


@pytest.fixture
def cl(web: Web) -> Clients:
    return Clients(web)


def _actor(web: Web, user: str, secret: str) -> Actor:
    token, _ = sign_in(web.url, user, secret, SessionPolicy())
    s, _ = current_session(web.url, token, SessionPolicy())
    assert s is not None
    return s.actor


def _key() -> str:
    return secrets.token_urlsafe(24)


def test_invite_writes_a_private_letter_and_stores_only_a_hash(cl: Clients, web: Web,
                                                               capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    user, code, letter = cl.invite(ACME)
    assert user == "c991234567.admin"
    assert stat.S_IMODE(os.stat(letter.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(letter).st_mode) == 0o600
    assert code not in letter.name
    text = letter_text(letter)
    assert "100 FOUNDRY WAY" in text and "GREYWATER, TX 83921" in text
    assert "https://enroll.example/signin" in text
    with engine(web.url).connect() as conn:
        stored = conn.execute(sa.select(t.users.c.code_hash).where(t.users.c.user_id == user)).scalar()
        audit = " ".join(r.details + r.target for r in conn.execute(sa.select(t.audit_log)))
    assert stored.startswith("scrypt$") and code not in stored
    assert code not in audit and code.replace("-", "") not in audit
    assert code not in capsys.readouterr().out
    # A reviewer may not invite; refused and audited.
    with pytest.raises(NotPermitted):
        invite(web.url, Actor("rita", frozenset({"reviewer"})), ACME, cl.mail)
    assert web.audit("auth.refused", user_id="rita")


def test_reissue_invalidates_the_old_code_and_ends_sessions(cl: Clients, web: Web) -> None:
    user, code, _ = cl.invite(ACME)
    token, _ = sign_in(web.url, user, code, SessionPolicy())
    inv = invite(web.url, OLGA, ACME, cl.mail)
    assert inv.reissued
    _, new_code = read_letter(inv.letter)
    assert new_code != code
    with pytest.raises(SignInRefused):
        sign_in(web.url, user, code, SessionPolicy())
    assert current_session(web.url, token, SessionPolicy())[0] is None
    assert sign_in(web.url, user, new_code, SessionPolicy())


def test_password_rules_and_the_code_stops_working(cl: Clients, web: Web) -> None:
    user, code, _ = cl.invite(ACME)
    actor = _actor(web, user, code)
    assert password_problem(user, "short") and password_problem(user, "password1234")
    assert password_problem(user, "qwertyuiop123") and password_problem(user, "c991234567.admin-x")
    with pytest.raises(Exception, match="commonly used"):
        set_password(web.url, actor, "Password1234", "Password1234")
    set_password(web.url, actor, PASSWORD, PASSWORD)
    with pytest.raises(SignInRefused):
        sign_in(web.url, user, code, SessionPolicy())
    assert sign_in(web.url, user, PASSWORD, SessionPolicy())
    assert web.audit("client.password_set", user_id=user)


def _admin(cl: Clients, web: Web, sponsor: str = ACME) -> Actor:
    user, code, _ = cl.invite(sponsor)
    actor = _actor(web, user, code)
    set_password(web.url, actor, PASSWORD, PASSWORD)
    return actor


def test_delegated_users_never_exceed_the_administrator(cl: Clients, web: Web) -> None:
    admin = _admin(cl, web)
    user, letter = add_client_user(web.url, admin, "pat", ["view_roster"], cl.mail, "Pat")
    assert user == "c991234567.pat"
    uid, code = read_letter(letter)
    pat = _actor(web, uid, code)
    with pytest.raises(NotPermitted):  # may not manage users at all
        add_client_user(web.url, pat, "sly", ["view_roster"], cl.mail)
    # The administrator narrows, then cannot widen beyond itself via another client's user.
    set_privileges(web.url, admin, user, ["view_roster", "submit_changes"])
    beta = _admin(cl, web, BETA)
    with pytest.raises(NotFound):
        set_privileges(web.url, beta, user, ["view_roster"])
    rows = {u.user_id: u for u in client_users(web.url, admin)}
    assert rows[user].privileges == ("view_roster", "submit_changes")
    assert rows[admin.user_id].last_sign_in is not None
    # Refused a termination: no privilege (audited), nothing recorded.
    with pytest.raises(NotPermitted):
        submit(web.url, pat, "termination", {"member_id": "M1"}, _key())
    assert web.audit("auth.refused", user_id=uid)


def test_demographic_change_applied_at_once_and_exported(cl: Clients, web: Web) -> None:
    admin = _admin(cl, web)
    mid = cl.member_id(ALICE.ssn)
    key = _key()
    form = {"member_id": mid, "line1": "7 New Street", "city": "Greywater", "state": "TX",
            "postal_code": "83921", "last": "NEWNAME"}
    out = submit(web.url, admin, "change", form, key)
    assert isinstance(out, Outcome) and out.status == "applied", out
    assert out.effective is not None and "Applied effective" in out.message
    again = submit(web.url, admin, "change", form, key)  # a double-clicked Submit
    assert isinstance(again, Outcome) and again.repeated and again.submission == out.submission
    from ledger.desk import export_members

    rows = list(export_members(web.url, Actor("aud", frozenset({"auditor"}))))
    alice = next(r for r in rows if r["member_id"] == mid)
    assert "NEWNAME" in json.dumps(alice)
    with engine(web.url).connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(t.interchanges)
                         .where(t.interchanges.c.sender_id == "C991234567")).scalar()  # fmt: skip
    assert n == 1


def test_termination_of_a_family(cl: Clients, web: Web) -> None:
    admin = _admin(cl, web)
    out = submit(web.url, admin, "termination",
                 {"member_id": cl.member_id(ALICE.ssn), "scope": "family",
                  "end_date": "2030-01-31", "reason": "08"}, _key())  # fmt: skip
    assert isinstance(out, Outcome) and out.status in ("applied", "review"), out


def _enrol(**kw: str) -> dict[str, str]:
    base = {"subscriber_number": "S777", "last": "EXAMPLEPERSON", "first": "GUS",
            "birth_date": "1990-02-03", "gender": "M", "ssn": "333445555",
            "line1": "1 Oak Road", "city": "Greywater", "state": "TX", "postal_code": "83921",
            "plan": "EPO SILVER", "coverage_level": "EMP", "begin_date": _first_of_month()}
    return {**base, **kw}


def _first_of_month() -> str:
    import datetime as dt

    return dt.date.today().replace(day=1).isoformat()


def test_uncertain_enrollment_goes_to_the_representatives(cl: Clients, web: Web) -> None:
    admin = _admin(cl, web)
    # Alice's name and birth date, another SSN: not certain.
    form = _enrol(last=ALICE.last, first=ALICE.first, birth_date=ALICE.dob.isoformat(),
                  gender="F", ssn="999887777", subscriber_number="S778")
    out = submit(web.url, admin, "enrollment", form, _key())
    assert isinstance(out, Outcome) and out.status == "review", out
    assert out.due_at is not None and "due by" in out.message
    item = web.held()[-1]
    from ledger.desk import resolve

    resolve(web.url, Actor("sam", frozenset({"supervisor"})), item, new_member=True)
    now = submissions(web.url, admin)[0]
    assert now.submission == out.submission and now.status == "applied"


def test_certain_new_enrollment_with_a_dependent_is_applied(cl: Clients, web: Web) -> None:
    admin = _admin(cl, web)
    form = _enrol(dep1_relationship="19", dep1_last="EXAMPLEPERSON", dep1_first="HAL",
                  dep1_birth_date="2015-05-05", dep1_gender="M")
    out = submit(web.url, admin, "enrollment", form, _key())
    assert isinstance(out, Outcome) and out.status == "applied", out


def test_cobra_refused_for_bill_and_collect_and_needs_its_event(cl: Clients, web: Web) -> None:
    admin = _admin(cl, web)
    missing = submit(web.url, admin, "cobra", _enrol(), _key())
    assert isinstance(missing, Refusal) and "cobra_event" in missing.errors.by_field
    out = submit(web.url, admin, "cobra", _enrol(cobra_event="1"), _key())
    assert isinstance(out, Outcome) and out.status == "rejected"
    assert "bill-and-collect" in out.message


def test_medicare_is_referred_with_the_representative(cl: Clients, web: Web) -> None:
    admin = _admin(cl, web)
    out = submit(web.url, admin, "enrollment", _enrol(medicare="C"), _key())
    assert isinstance(out, Outcome) and out.status == "referred", out
    assert "Dana Reyes" in out.message and "555-0100" in out.message


def test_form_errors_beside_fields_and_nothing_recorded(cl: Clients, web: Web) -> None:
    admin = _admin(cl, web)
    bad = _enrol(birth_date="1990-13-45", state="Texas", coverage_level="XYZ", last="")
    out = submit(web.url, admin, "enrollment", bad, _key())
    assert isinstance(out, Refusal)
    assert {"birth_date", "state", "coverage_level", "last"} <= set(out.errors.by_field)
    with engine(web.url).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.interchanges).where(
            t.interchanges.c.sender_id == "C991234567")).scalar() == 0  # fmt: skip
    rec = web.audit("client.submit_invalid")[-1]
    assert "1990" not in rec.details and "Texas" not in rec.details


def test_another_clients_member_is_not_found(cl: Clients, web: Web) -> None:
    beta = _admin(cl, web, BETA)
    with pytest.raises(NotFound):
        submit(web.url, beta, "change", {"member_id": cl.member_id(ALICE.ssn), "last": "X"}, _key())
    assert BOB and CARLA


def test_letter_renders_to_an_image(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The PDF is a real, printable page: poppler renders it (ENROLL834_SCREENSHOTS=1 keeps
    a sample in docs/screenshots/client-letter.png, with a made-up code)."""
    import datetime as dt
    import shutil
    import subprocess
    from pathlib import Path

    from ledger.clients import Letter, write_letter

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    letter = Letter("C991234567", "Acme Tool and Die",
                    ["Accounts Payable", "100 Foundry Way", "Greywater, TX 83921"],
                    "c991234567.admin", "SAMP-LECO-DE23-4567",
                    dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.UTC), True,
                    "https://enroll.example/signin")  # fmt: skip
    pdf = write_letter(letter, tmp_path / "mail")
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf),
                    str(tmp_path / "letter")], check=True)  # fmt: skip
    png = tmp_path / "letter.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    if os.environ.get("ENROLL834_SCREENSHOTS"):
        out = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "client-letter.png"
        shutil.copy(png, out)
