"""The supervisors' dashboard: per-day member outcomes, open items by age against the SLA,
SLA met per week, rejections per partner; SVG drawn on the server, a CSV beside each chart.
SQLite and PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from webkit import ALICE, NOW, Member, Web, interchange

from ledger.desk import resolve
from ledger.desk.dashboard import dashboard
from ledger.desk.users import Actor
from ledger.ingest import ingest_file

SAM = Actor("sam", frozenset({"supervisor"}))


def _rejected_set(web: Web) -> None:
    """A set validation rejects whole (its SE count is wrong): nothing recorded but the
    audit record the dashboard counts."""
    web.n += 1
    text = interchange([Member(ALICE, "S900")], control=web.n).decode()
    path = web.tmp / f"bad{web.n}.edi"
    path.write_text(re.sub(r"SE\*\d+\*0001", "SE*99*0001", text))
    assert ingest_file(web.url, path, actor="ops").transaction_sets["rejected"] == 1


def _csv(b, name: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    r = b.get(f"/dashboard/{name}.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.text)))


def test_the_dashboard_counts_and_its_csvs(web: Web) -> None:
    began = dt.datetime.now(dt.UTC).date()
    ids = web.seed()  # Alice new; two held for review (one 72 h old); one referral
    _rejected_set(web)
    resolve(web.url, SAM, ids[1], new_member=True)  # the twin: 72 h old, due 48 h after: late
    sam = web.signin("sam")
    page = sam.get("/dashboard")
    assert page.status_code == 200
    assert page.text.count("<svg") == 4 and 'role="img"' in page.text
    assert "<script>" not in page.text and " style=" not in page.text
    for name in ("days", "ages", "weeks", "partners"):
        assert f'href="/dashboard/{name}.csv"' in page.text
    days = _csv(sam, "days")
    # counted on the day the ledger processed the files (the 72-hour-old one too): today, or
    # the two days either side of midnight when the test runs across it
    run = {began.isoformat(), dt.datetime.now(dt.UTC).date().isoformat()}
    busy = [r for r in days if r["received"] != "0"]
    assert busy and {r["day"] for r in busy} <= run
    total = {k: sum(int(r[k]) for r in busy) for k in ("applied", "review", "referred",
                                                         "rejected", "received")}  # fmt: skip
    assert (total["applied"], total["review"], total["referred"], total["rejected"]) == (1, 2, 1, 1)
    assert total["received"] == 5  # Alice, Alicia, the twin, Fred, the rejected set's member
    ages = {r["age"]: r for r in _csv(sam, "ages")}
    assert ages["0-12 h"]["open"] == "2" and ages["0-12 h"]["late"] == "False"
    assert sum(int(r["open"]) for r in ages.values()) == 2  # the 72-hour-old one is resolved
    week = _csv(sam, "weeks")[-1]
    assert (week["resolved"], week["on_time"], week["met_pct"]) == ("1", "0", "0.0")
    (partner,) = _csv(sam, "partners")
    assert partner == {"partner": "SENDER1", "rejected_members": "1", "rejected_sets": "1"}
    assert len(web.audit("desk.dashboard", user_id="sam")) == 5
    assert sam.get("/dashboard/nothing.csv").status_code == 404
    assert web.signin("rita").get("/dashboard").status_code == 403


def test_open_items_past_the_sla_fall_in_late_buckets(web: Web) -> None:
    web.seed()
    d = dashboard(web.url, SAM, days=3, weeks=2, now=NOW + dt.timedelta(days=2))
    late = {r["age"]: r["open"] for r in d.ages if r["late"]}
    assert late["3-7 d"] == 1 and late["48-72 h"] == 2  # TWIN is 5 days old by then
    assert len(d.days) == 3 and len(d.weeks) == 2
    assert d.weeks[-1]["met_pct"] is None
