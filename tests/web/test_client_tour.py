"""`serve --tour`: the client pages over generated data in a temporary ledger, signed in as
a view-only tour user; every POST refused with a friendly page; a preview banner."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from web.tour import PREVIEW, tour_app

BANNER = "every person, group and bill here is invented"


def test_tour_walks_the_client_pages_read_only(tmp_path: Path) -> None:
    app = tour_app(tmp_path / "tour")
    c = TestClient(app, follow_redirects=False)
    r = c.get("/")
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    r = c.get("/signin")
    assert r.status_code == 303 and r.headers["location"] == "/tour"
    r = c.get("/tour")
    assert r.status_code == 303 and r.headers["location"] == "/client"
    home = c.get("/client")
    assert home.status_code == 200 and BANNER in home.text
    assert "Example Orchard Cooperative" in home.text
    roster = c.get("/client/roster")
    assert roster.status_code == 200 and BANNER in roster.text
    members = re.findall(r'href="/client/members/([A-Z0-9]+)"', roster.text)
    assert len(set(members)) >= 10
    assert c.get(f"/client/members/{members[0]}").status_code == 200
    assert c.get("/client/roster.csv").status_code == 200
    assert c.get("/client/submissions").status_code == 200
    bills = c.get("/client/bills")
    assert bills.status_code == 200
    bill = re.search(r'href="/client/bills/([0-9]+-[0-9]{6})"', bills.text)
    assert bill
    assert c.get(f"/client/bills/{bill.group(1)}").status_code == 200
    assert c.get(f"/client/bills/{bill.group(1)}/pdf").content.startswith(b"%PDF")
    # View-only: no change forms, no uploads, no Account Access.
    for path in ("/client/forms/change", "/client/forms/enrollment", "/client/upload",
                 "/client/access"):
        assert c.get(path).status_code == 403, path
    # Every POST refused with the friendly page, whatever it is.
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert csrf
    for path in ("/client/roster", "/signout", "/signin", "/client/forms/change",
                 "/client/password", "/client/upload"):
        r = c.post(path, data={"csrf_token": csrf.group(1), "q": "x"})
        assert r.status_code == 403 and PREVIEW in r.text and BANNER in r.text, path
    assert c.get("/client").status_code == 200  # still signed in: the sign-out was refused


def test_serve_help_names_the_tour() -> None:
    from cli import main

    res = CliRunner().invoke(main, ["serve", "--help"])
    assert res.exit_code == 0 and "--tour" in res.output
