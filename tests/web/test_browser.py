"""The review desk in real Chromium (Selenium, system chromedriver) against uvicorn on
127.0.0.1: sign in, work the queue with the keyboard, resolve an item each way, reject
with a reason that reaches the sender's notice, CSRF refusal, a reviewer refused a page
of another role, idle logoff, search. SQLite (the route tests cover PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from browserkit import chromium, served, sign_in, wait_for
from webkit import ALICE, Member, Person, Web

from ledger.desk.sessions import SessionPolicy

ALYSSA = Person("TESTPERSON", "ALYSSA", ALICE.dob, "F")


@pytest.fixture
def desk(tmp_path: Path) -> Web:
    web = Web(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path)
    web.seed()
    return web


def _by(driver: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css)


def _all(driver: Any, css: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, css))


def test_work_the_queue_by_keyboard_and_resolve_each_way(desk: Web) -> None:
    """A reviewer is refused a match with an SSN conflict (said on the page, audited), a
    supervisor overrides it with a reason (audited), an ordinary candidate applies, and an
    item is enrolled as a new member."""
    from selenium.webdriver.common.keys import Keys

    desk.ingest([Member(ALYSSA, "S700")])  # held like ALICIA: the one enrolled as new
    with served(desk.app) as base, chromium() as d:
        sign_in(d, base, "rita", desk.codes["rita"])
        assert d.current_url.endswith("/queues/review")
        assert "Review" in d.title and "TESTPERSON" not in d.title
        rows = _all(d, "tr[data-row]")
        assert len(rows) == 3
        assert "overdue" in rows[0].get_attribute("class")  # the 72-hour-old item leads
        # keyboard only: j moves to the first row's link, Enter opens it
        _by(d, "body").send_keys("j")
        assert d.switch_to.active_element.get_attribute("data-open") is not None
        first = d.switch_to.active_element.text
        d.switch_to.active_element.send_keys(Keys.ENTER)
        wait_for(d, lambda drv: "/items/" in drv.current_url)
        twin_url = d.current_url
        assert first.lstrip("#") in twin_url
        # the comparison table colours every field; the candidate names its conflict and
        # shows its coverages and family beside the incoming transaction
        classes = {r.get_attribute("class") for r in _all(d, "table.compare tbody tr")}
        assert classes & {"agree", "near", "disagree", "missing"}
        card = _by(d, "section.candidate")
        assert "ssn conflict" in card.find_element("css selector", "p.conflicts").text
        assert "Health" in card.find_element("css selector", "table.coverages").text
        _by(d, "form[action$='/assign-to-me'] button").click()
        wait_for(d, lambda drv: "done=assigned" in drv.current_url)
        # a reviewer applying the TWIN to Alice is refused, on the item page
        _by(d, "section.candidate form.apply button.primary").click()
        wait_for(d, lambda drv: _all(drv, "#refusal"))
        refusal = _by(d, "#refusal").text
        assert "ssn_conflict" in refusal and "supervisor may override" in refusal
        assert "Item" in d.title and "Not permitted" not in d.title
        assert not _all(d, "form.override")  # reviewers are not offered the override
        assert "open" in _by(d, "dl.facts").text or "assigned" in _by(d, "dl.facts").text
        # the other items: an ordinary candidate applies; the last is enrolled as new
        d.get(f"{base}/queues/review")
        _all(d, "tr[data-row] a[data-open]")[1].click()
        wait_for(d, lambda drv: "/items/" in drv.current_url)
        assert not _all(d, "section.candidate p.conflicts")
        _by(d, "section.candidate form.apply button.primary").click()
        wait_for(d, lambda drv: "done=matched" in drv.current_url)
        assert "resolved" in _by(d, "dl.facts").text
        d.get(f"{base}/queues/review")
        _all(d, "tr[data-row] a[data-open]")[1].click()
        wait_for(d, lambda drv: "/items/" in drv.current_url)
        _by(d, "form:has(input[value='new']) button").click()
        wait_for(d, lambda drv: "done=new_member" in drv.current_url)
    assert len(desk.audit("review.match_refused", user_id="rita")) == 1
    # a supervisor overrides the conflict with a reason
    with served(desk.app) as base, chromium() as d:
        sign_in(d, base, "sam", desk.codes["sam"])
        d.get(twin_url.replace(twin_url.split("/items/")[0], base))
        _by(d, "section.candidate input[name='override_reason']").send_keys(
            "same person: the group corrected the SSN by letter")
        _by(d, "section.candidate form.apply button.primary").click()
        wait_for(d, lambda drv: "done=matched" in drv.current_url)
        d.get(f"{base}/queues/review")
        assert "Nothing waiting" in _by(d, "#queue-table").text
    (rec,) = [r for r in desk.audit("review.resolve", user_id="sam")]
    assert "group corrected the SSN" in rec.details and "ssn_conflict" in rec.details


def test_reject_with_a_reason_reaches_the_sender(desk: Web) -> None:
    with served(desk.app) as base, chromium() as d:
        sign_in(d, base, "rita", desk.codes["rita"])
        d.get(f"{base}/queues/medicare")
        _by(d, "tr[data-row] a[data-open]").click()
        wait_for(d, lambda drv: "/items/" in drv.current_url)
        _by(d, "input[name='reason']").send_keys("refer to the Medicare coordinator first")
        _by(d, "button.danger").click()
        wait_for(d, lambda drv: "done=rejected" in drv.current_url)
        assert "refer to the Medicare coordinator first" in _by(d, "ol.history").text
    notices = list(desk.outbox.glob("*.review-rejected.txt"))
    assert len(notices) == 1
    assert "refer to the Medicare coordinator first" in notices[0].read_text()


def test_csrf_refusal_and_a_page_of_another_role(desk: Web) -> None:
    with served(desk.app) as base, chromium() as d:
        sign_in(d, base, "rita", desk.codes["rita"])
        d.get(f"{base}/items/1")
        d.execute_script(
            "document.querySelectorAll('input[name=csrf_token]').forEach("
            "function (e) { e.value = 'forged'; });"
            "document.body.removeAttribute('hx-headers');"
        )
        _by(d, "textarea[name='text']").send_keys("a note with a forged token")
        _by(d, "form[action$='/note'] button").click()
        wait_for(d, lambda drv: "Not permitted" in drv.title)
        assert "CSRF" in _by(d, "main").text
        d.get(f"{base}/verify")  # auditors, supervisors, operators only
        assert "Not permitted" in d.title
    assert [r for r in desk.audit("auth.refused", user_id="rita") if "web.csrf" in r.details]
    assert [r for r in desk.audit("auth.refused", user_id="rita") if "ledger.verify" in r.details]
    assert not desk.audit("review.note")


def test_idle_logoff_in_the_browser(tmp_path: Path) -> None:
    web = Web(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path,
              SessionPolicy(idle=dt.timedelta(seconds=2)))  # fmt: skip
    web.seed()
    with served(web.app) as base, chromium() as d:
        sign_in(d, base, "rita", web.codes["rita"])
        import time

        time.sleep(2.5)
        _by(d, "a[href='/queues/medicare']").click()
        wait_for(d, lambda drv: "/signin" in drv.current_url)
        assert "inactivity" in _by(d, "p.notice").text


def test_search_by_surname_and_birth_date(desk: Web) -> None:
    with served(desk.app) as base, chromium() as d:
        sign_in(d, base, "rita", desk.codes["rita"])
        d.get(f"{base}/search")
        _by(d, "input[name='last']").send_keys("TESTPERSON")
        d.execute_script("document.querySelector('input[name=birth_date]').value='1980-01-02'")
        _by(d, "form.search button").click()
        wait_for(d, lambda drv: "found" in _by(drv, "#results").text)
        assert "M000000001" in _by(d, "#results").text
        assert "TESTPERSON" not in d.current_url and "1980" not in d.current_url
    assert desk.audit("member.search")
