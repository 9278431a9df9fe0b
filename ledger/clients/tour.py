"""The tour: a throw-away ledger of invented people that `enroll834 serve --tour` shows, so
a client can see the online account services before asking for access.

`build_tour(folder)` makes, inside `folder` (a temporary directory the caller removes):
a SQLite ledger; one employer group with its representative; an enrollment file of
generated families (`edi.generate`, mix 'enrollment') read through the ordinary
pipeline (`ledger.ingest.ingest_file`); rates and this month's bill (`ledger.billing`);
the client (`invite`) and a tour user holding only the view-only privileges (view
roster, view bills) whose password is set here, never mailed. Nobody in it is real.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from edi.generate import write_file
from ledger.billing import Period, load_rates_csv, run_bills
from ledger.clients.accounts import (
    Address,
    MailRoom,
    add_client_user,
    invite,
    set_group_contact,
)
from ledger.desk import Actor, initialise
from ledger.desk import auth as _auth
from ledger.ingest import ingest_file
from ledger.store import client_tables, engine, set_group
from ledger.store import schema as t

TOUR_SPONSOR = "990000777"
TOUR_GROUP = "Example Orchard Cooperative"
VIEW_ONLY = ("view_roster", "view_bills")
"""The tour user's privileges: it can look, never change."""


@dataclass(frozen=True, slots=True)
class Tour:
    """The tour's ledger, its bill files and the tour user's credentials."""

    url: str
    user_id: str
    password: str
    billing_outbox: Path
    uploads: Path


def build_tour(folder: Path, members: int = 24, seed: int = 834) -> Tour:
    """Build the tour ledger in `folder` (see module docstring)."""
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'tour.db'}"
    initialise(url, "tour-staff")
    staff = Actor("tour-staff", frozenset({"administrator"}))
    with engine(url).begin() as conn:
        set_group(conn, TOUR_SPONSOR, user=staff.user_id, name=TOUR_GROUP, cobra="self")
    set_group_contact(url, staff, TOUR_SPONSOR, representative_name="Riley Example",
                      representative_phone="555-0142")  # fmt: skip
    month = dt.date.today().replace(day=1)
    edi_file = folder / "tour-enrollment.edi"
    write_file(edi_file, members, seed, mix="enrollment", sponsor_id=TOUR_SPONSOR,
               sponsor_name=TOUR_GROUP.upper(), ascii_only=True, effective_date=month,
               file_date=month - dt.timedelta(days=3))  # fmt: skip
    ingest_file(url, edi_file, actor=staff.user_id)
    edi_file.unlink()
    _bill(url, folder, staff, month)
    mail = MailRoom(folder / "mail-room")
    inv = invite(url, staff, TOUR_SPONSOR, mail, name=TOUR_GROUP,
                 address=Address("Benefits Office", "1 Orchard Lane", "Greywater", "TX", "83921"))
    admin = Actor(inv.user_id, frozenset(_roles(url, inv.user_id)))
    user_id, _ = add_client_user(url, admin, "tour", VIEW_ONLY, mail, "Tour visitor")
    password = secrets.token_urlsafe(24)
    with engine(url).begin() as conn:
        conn.execute(t.users.update().where(t.users.c.user_id == user_id)
                     .values(code_hash=_auth.hash_code(password)))  # fmt: skip
        cu = client_tables.client_users
        conn.execute(cu.update().where(cu.c.user_id == user_id).values(must_set_password=False))
    return Tour(url, user_id, password, folder / "billing", folder / "uploads")


def _roles(url: str, user_id: str) -> set[str]:
    with engine(url).connect() as conn:
        return {r.role for r in conn.execute(sa.select(t.user_roles.c.role)
                                             .where(t.user_roles.c.user_id == user_id))}  # fmt: skip


def _bill(url: str, folder: Path, staff: Actor, month: dt.date) -> None:
    """Rates for every plan and level of the tour group, and this month's bill."""
    cv = t.coverage_versions
    with engine(url).connect() as conn:
        pairs = {(r.plan or r.insurance_line, r.coverage_level) for r in conn.execute(
            sa.select(cv.c.plan, cv.c.insurance_line, cv.c.coverage_level).distinct())}  # fmt: skip
    rates = folder / "tour-rates.csv"
    rows = [f"{TOUR_SPONSOR},{plan},{level},2020-01-01,,{312.5 + 97.25 * i:.2f}"
            for i, (plan, level) in enumerate(sorted(pairs))]  # fmt: skip
    rates.write_text("sponsor,plan,level,from,to,monthly_rate\n" + "\n".join(rows) + "\n")
    with engine(url).begin() as conn:
        load_rates_csv(conn, rates, user=staff.user_id)
    rates.unlink()
    run_bills(url, str(Period.of(month)), user=staff.user_id, outbox=folder / "billing")
