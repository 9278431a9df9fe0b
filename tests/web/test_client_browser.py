"""The client's journey in real Chromium: the mailed letter's code, the first password,
a delegated user with only "view roster" refused a termination, a demographic change,
an uncertain enrollment with a representative then resolved, COBRA refused for a
bill-and-collect group, Medicare referred. With ENROLL834_SCREENSHOTS=1 the pages are
saved into docs/screenshots/client-*.png (the README's client journey)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from browserkit import chromium, served, sign_in, wait_for
from clientkit import ACME, PASSWORD, Clients, read_letter
from desk834 import ALICE
from webkit import Web

from ledger.desk import resolve
from ledger.desk.users import Actor

SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


def _shot(d: Any, name: str) -> None:
    if os.environ.get("ENROLL834_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        d.save_screenshot(str(SHOTS / f"client-{name}.png"))


def _fill(d: Any, values: dict[str, str]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    for name, value in values.items():
        el = d.find_element(By.NAME, name)
        if el.tag_name == "select":
            Select(el).select_by_value(value)
        elif el.get_attribute("type") == "date":
            d.execute_script("arguments[0].value = arguments[1]", el, value)
        else:
            el.clear()
            el.send_keys(value)


def _submit(d: Any) -> None:
    from selenium.webdriver.common.by import By

    d.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()


def _first_password(d: Any) -> None:
    from selenium.webdriver.common.by import By

    wait_for(d, lambda x: "/client/password" in x.current_url)
    d.find_element(By.ID, "password").send_keys(PASSWORD)
    d.find_element(By.ID, "confirm").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(d, lambda x: x.current_url.endswith("/client?done=password"))


def test_client_journey_in_chromium(sqlite_url: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    web = Web(sqlite_url, tmp_path)
    cl = Clients(web)
    user, code, letter = cl.invite(ACME)
    month = dt.date.today().replace(day=1).isoformat()
    with served(web.app) as base, chromium() as d:
        sign_in(d, base, user, code)
        _shot(d, "password")
        _first_password(d)
        _shot(d, "home")
        # Account Access: a delegated user with only "view roster".
        d.get(f"{base}/client/access")
        d.find_element(By.NAME, "login").send_keys("pat")
        d.find_element(By.NAME, "display_name").send_keys("Pat Example")
        d.find_element(By.NAME, "p_view_roster").click()
        d.find_element(By.CSS_SELECTOR, "form[action='/client/access/users'] button").click()
        wait_for(d, lambda x: "done=created" in x.current_url)
        _shot(d, "access")
        # A demographic change, applied at once.
        mid = cl.member_id(ALICE.ssn)
        d.get(f"{base}/client/roster")
        _shot(d, "roster")
        d.get(f"{base}/client/forms/change?member_id={mid}")
        _fill(d, {"line1": "9 Elm Court", "city": "Greywater", "state": "TX",
                  "postal_code": "83921"})  # fmt: skip
        _shot(d, "change-form")
        _submit(d)
        wait_for(d, lambda x: "/client/submissions/" in x.current_url)
        assert "Applied effective" in d.page_source
        _shot(d, "change-applied")
        # Errors beside the fields, nothing recorded.
        d.get(f"{base}/client/forms/enrollment")
        _fill(d, {"subscriber_number": "S777", "last": "EXAMPLEPERSON", "first": "GUS",
                  "birth_date": "1990-02-03", "gender": "M", "line1": "1 Oak Road",
                  "city": "Greywater", "state": "Texas", "postal_code": "8392",
                  "plan": "EPO SILVER", "coverage_level": "EMP", "begin_date": month})  # fmt: skip
        _submit(d)
        wait_for(d, lambda x: "Nothing was recorded" in x.page_source)
        assert d.find_element(By.ID, "e_state").is_displayed()
        _shot(d, "form-errors")
        # An uncertain enrollment: with a representative, due by ...
        d.get(f"{base}/client/forms/enrollment")
        _fill(d, {"subscriber_number": "S778", "last": ALICE.last, "first": ALICE.first,
                  "birth_date": ALICE.dob.isoformat(), "gender": "F", "ssn": "999887777",
                  "line1": "1 Oak Road", "city": "Greywater", "state": "TX",
                  "postal_code": "83921", "plan": "EPO SILVER", "coverage_level": "EMP",
                  "begin_date": month})  # fmt: skip
        _submit(d)
        wait_for(d, lambda x: "/client/submissions/" in x.current_url)
        assert "with a membership representative, due by" in d.page_source.lower()
        _shot(d, "enrollment-review")
        review_url = d.current_url
        # COBRA refused for a bill-and-collect group.
        d.get(f"{base}/client/forms/cobra")
        _fill(d, {"subscriber_number": "S779", "last": "EXAMPLEPERSON", "first": "JO",
                  "birth_date": "1970-01-01", "gender": "F", "line1": "1 Oak Road",
                  "city": "Greywater", "state": "TX", "postal_code": "83921",
                  "plan": "EPO SILVER", "coverage_level": "EMP", "begin_date": month,
                  "cobra_event": "1"})  # fmt: skip
        _submit(d)
        wait_for(d, lambda x: "/client/submissions/" in x.current_url)
        assert "bill-and-collect" in d.page_source
        _shot(d, "cobra-refused")
        # Medicare referred with the representative's name and phone.
        d.get(f"{base}/client/forms/enrollment")
        _fill(d, {"subscriber_number": "S780", "last": "EXAMPLEPERSON", "first": "MO",
                  "birth_date": "1950-01-01", "gender": "M", "line1": "1 Oak Road",
                  "city": "Greywater", "state": "TX", "postal_code": "83921",
                  "plan": "EPO SILVER", "coverage_level": "EMP", "begin_date": month,
                  "medicare": "C"})  # fmt: skip
        _submit(d)
        wait_for(d, lambda x: "/client/submissions/" in x.current_url)
        assert "Dana Reyes" in d.page_source and "555-0100" in d.page_source
        _shot(d, "medicare-referred")
        # A representative resolves the uncertain enrollment: the status follows.
        item = min(i for i in web.held())
        resolve(web.url, Actor("sam", frozenset({"supervisor"})), item, new_member=True)
        d.get(review_url)
        assert "A representative matched and applied it" in d.page_source
        d.get(f"{base}/client/submissions")
        _shot(d, "submissions")
        d.find_element(By.CSS_SELECTOR, "form.signout button").click()
        # The delegated user: letter, password, roster yes, termination refused.
        pat_user, pat_code = read_letter(sorted(cl.mail.folder.glob("*pat*.pdf"))[0])
        sign_in(d, base, pat_user, pat_code)
        _first_password(d)
        d.get(f"{base}/client/forms/termination?member_id={mid}")
        assert "Not permitted" in d.page_source
        _shot(d, "delegated-refused")
    assert letter.exists()
