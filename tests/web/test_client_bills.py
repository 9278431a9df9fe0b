"""A client's bills over HTTP: the list, one bill, its PDF and CSV (audited), a paper-bill
group shown as one, the view-bills privilege, and another client's bill -> 404, audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from clientkit import ACME, BETA, Clients
from test_client_web import _admin, _first_time
from webkit import Web

from ledger.billing import Period, load_rates_csv, run_bills, set_cycle
from ledger.store import engine


@pytest.fixture
def cl(web: Web) -> Clients:
    return Clients(web)


def bill_month(web: Web, tmp: Path) -> str:
    """Rates for both groups (plan HLT, family), Beta on paper, this month's bills issued
    with their files; returns the period."""
    rates = tmp / "rates.csv"
    rates.write_text("sponsor,plan,level,from,to,monthly_rate\n"
                     f"{ACME},HLT,FAM,2020-01-01,,812.40\n{BETA},HLT,FAM,2020-01-01,,640.00\n")
    with engine(web.url).begin() as conn:
        load_rates_csv(conn, rates, user="root")
        set_cycle(conn, BETA, {"paper": True}, user="root")
    period = str(Period.of(dt.date.today()))
    res = run_bills(web.url, period, user="olga", outbox=tmp / "billing",
                    mailroom=tmp / "bill-mail")  # fmt: skip
    assert {r.status for r in res} == {"issued"}, [r.to_json() for r in res]
    return period


def test_bills_list_show_download(web: Web, cl: Clients, tmp_path: Path) -> None:
    period = bill_month(web, tmp_path)
    acme_bill = f"{ACME}-{period.replace('-', '')}"
    admin = _admin(web, cl)
    assert "/client/bills" in admin.get("/client").text
    page = admin.get("/client/bills")
    assert page.status_code == 200
    assert acme_bill in page.text and ">2437.20<" in page.text  # 3 members x 812.40
    assert BETA not in page.text and "paper-bill" not in page.text
    one = admin.get(f"/client/bills/{acme_bill}")
    assert one.status_code == 200 and "Download PDF" in one.text and "812.40" in one.text
    pdf = admin.get(f"/client/bills/{acme_bill}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    csv = admin.get(f"/client/bills/{acme_bill}/csv")
    assert csv.status_code == 200 and "812.40" in csv.text
    kinds = sorted(r.details for r in web.audit("client.bill_download", target=acme_bill))
    assert len(kinds) == 2
    assert web.audit("billing.show", target=acme_bill)
    assert admin.get(f"/client/bills/{acme_bill}/json").status_code == 404


def test_paper_group_and_isolation(web: Web, cl: Clients, tmp_path: Path) -> None:
    period = bill_month(web, tmp_path)
    acme_bill = f"{ACME}-{period.replace('-', '')}"
    beta_bill = f"{BETA}-{period.replace('-', '')}"
    beta = _admin(web, cl, BETA)
    page = beta.get("/client/bills").text
    assert f"Group {BETA} is a paper-bill group" in page and beta_bill in page
    assert acme_bill not in page
    assert "also mailed" in beta.get(f"/client/bills/{beta_bill}").text
    before = len(web.audit("client.not_found"))
    for path in (f"/client/bills/{acme_bill}", f"/client/bills/{acme_bill}/pdf",
                 f"/client/bills/{acme_bill}/csv", "/client/bills/1"):
        assert beta.get(path).status_code == 404, path
    assert len(web.audit("client.not_found")) == before + 4
    assert not web.audit("client.bill_download", target=acme_bill)


def test_view_bills_privilege(web: Web, cl: Clients) -> None:
    from clientkit import read_letter

    admin = _admin(web, cl)
    admin.get("/client/access")
    admin.post("/client/access/users", {"login": "rosa", "p_view_roster": "1"})
    user, code = read_letter(sorted(cl.mail.folder.glob("*rosa*.pdf"))[0])
    rosa = _first_time(web, user, code)
    assert rosa.get("/client/bills").status_code == 403
    assert "/client/bills" not in rosa.get("/client").text
