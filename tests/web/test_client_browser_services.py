"""The client's file upload, bills and the tour in real Chromium. With
ENROLL834_SCREENSHOTS=1 the pages are saved into docs/screenshots/client-*.png (the
README's client journey)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from browserkit import chromium, served, sign_in, wait_for
from clientkit import ACME, BETA, Clients
from desk834 import DAVE, GINA, Member
from test_client_bills import bill_month
from test_client_browser import _first_password, _shot
from test_client_uploads import two_sets
from webkit import Web


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


def test_upload_and_bills_in_chromium(sqlite_url: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    web = Web(sqlite_url, tmp_path)
    web.config = dataclasses.replace(web.config, uploads=str(tmp_path / "uploads"))
    web.app.state.config = web.config
    cl = Clients(web)
    period = bill_month(web, tmp_path)
    user, code, _ = cl.invite(ACME)
    upload = tmp_path / "to-send" / "january-adds.edi"
    upload.parent.mkdir()
    upload.write_bytes(two_sets(81, (Member(DAVE, "S200"), ACME), (Member(GINA, "S901"), BETA)))
    with served(web.app) as base, chromium(1280, 1000) as d:
        sign_in(d, base, user, code)
        _first_password(d)
        # Upload a file: the same drop pipeline; another group's set rejected.
        d.find_element(By.LINK_TEXT, "Upload").click()
        wait_for(d, lambda x: x.current_url.endswith("/client/upload"))
        d.find_element(By.ID, "file").send_keys(str(upload))
        _shot(d, "upload")
        d.find_element(By.CSS_SELECTOR, "form.form button[type=submit]").click()
        wait_for(d, lambda x: "/client/uploads/" in x.current_url)
        heading = d.find_element(By.CSS_SELECTOR, "section.outcome h2").text
        assert heading == "Partially accepted"
        rows = [r.text for r in d.find_elements(By.CSS_SELECTOR, "table.acks tr.ack-set")]
        assert any("0001" in r and "accepted" in r for r in rows)
        assert any("0002" in r and "rejected" in r for r in rows)
        _shot(d, "upload-result")
        d.find_element(By.LINK_TEXT, "Processing report (text)").click()
        wait_for(d, lambda x: "Processing report for" in x.page_source)
        assert "client.sponsor_not_allowed" in d.page_source
        # Bills: the list, one bill, its PDF link.
        d.get(f"{base}/client")
        d.find_element(By.LINK_TEXT, "Bills").click()
        wait_for(d, lambda x: x.current_url.endswith("/client/bills"))
        bill = f"{ACME}-{period.replace('-', '')}"
        assert bill in d.page_source
        _shot(d, "bills")
        d.find_element(By.LINK_TEXT, bill).click()
        wait_for(d, lambda x: x.current_url.endswith(f"/client/bills/{bill}"))
        assert "Download PDF" in d.page_source and "2437.20" in d.page_source
        _shot(d, "bill")
        href = d.find_element(By.LINK_TEXT, "Download PDF").get_attribute("href")
        assert href.endswith(f"/client/bills/{bill}/pdf")
    assert web.audit("client.upload_result") and web.audit("billing.show", target=bill)


def test_tour_in_chromium(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    from web.tour import PREVIEW, tour_app

    app = tour_app(tmp_path / "tour")
    with served(app) as base, chromium(1280, 1000) as d:
        d.get(f"{base}/")
        wait_for(d, lambda x: x.current_url.endswith("/client"))
        assert "nothing can be changed" in d.find_element(By.CSS_SELECTOR, ".tour-banner").text
        _shot(d, "tour")
        d.find_element(By.LINK_TEXT, "Roster").click()
        wait_for(d, lambda x: "/client/roster" in x.current_url)
        d.find_element(By.NAME, "q").send_keys("A")
        d.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        wait_for(d, lambda x: "This is a preview" in x.page_source)
        assert PREVIEW in d.page_source
        _shot(d, "tour-refused")
