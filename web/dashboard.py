"""The supervisors' dashboard: four charts drawn on the server (SVG), a CSV beside each."""

from __future__ import annotations

import csv
import io

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from ledger.desk import SLA_HOURS, TABLES, Dashboard, Session, dashboard
from web.charts import bar_chart
from web.pages import render
from web.security import allow, config

router = APIRouter()

TITLES = {
    "days": "Members per day",
    "ages": f"Open items by age (SLA {SLA_HOURS} h)",
    "weeks": "SLA met per week",
    "partners": "Rejections per trading partner",
}


def charts(d: Dashboard) -> dict[str, Markup]:
    """The four charts of `d`, by table name."""
    days = [r["day"][5:] for r in d.days]
    return {
        "days": bar_chart(TITLES["days"], days, [
            ("received", [r["received"] for r in d.days]),
            ("applied automatically", [r["applied"] for r in d.days]),
            ("sent to review", [r["review"] for r in d.days]),
            ("referred", [r["referred"] for r in d.days]),
            ("rejected", [r["rejected"] for r in d.days]),
        ], width=900),
        "ages": bar_chart(TITLES["ages"], [r["age"] for r in d.ages],
                          [("open items", [r["open"] for r in d.ages])],
                          late=[r["late"] for r in d.ages]),
        "weeks": bar_chart(TITLES["weeks"], [r["week"][5:] for r in d.weeks],
                           [("met", [r["met_pct"] for r in d.weeks])], y_max=100, unit="%",
                           line=(95.0, "target 95%"), classes=("s1",)),
        "partners": bar_chart(TITLES["partners"], [r["partner"] for r in d.partners] or ["—"], [
            ("rejected members", [r["rejected_members"] for r in d.partners]),
            ("rejected sets", [r["rejected_sets"] for r in d.partners]),
        ], classes=("s4", "s3")),
    }  # fmt: skip


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard_page(request: Request,
                         session: Session = Depends(allow("desk.dashboard"))) -> HTMLResponse:  # fmt: skip
    """The dashboard (supervisors): the last 14 days, 8 weeks."""
    d = await run_in_threadpool(dashboard, config(request).url, session.actor)
    return render(request, "dashboard.html", {"title": "Dashboard", "d": d, "charts": charts(d),
                                              "titles": TITLES})  # fmt: skip


@router.get("/dashboard/{table}.csv")
async def dashboard_csv(request: Request, table: str,
                        session: Session = Depends(allow("desk.dashboard"))) -> Response:  # fmt: skip
    """One chart's numbers as CSV (counts only; audited like the page)."""
    if table not in TABLES:
        raise HTTPException(404)
    d = await run_in_threadpool(dashboard, config(request).url, session.actor)
    rows = d.table(table)
    out = io.StringIO()
    if rows:
        w = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="dashboard-{table}.csv"'})  # fmt: skip
