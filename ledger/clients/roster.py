"""The client's roster: its groups' members and their coverages as of a date, a search,
and the CSV download. Only the client's own sponsors are read; every read is audited
(`client.roster`, `client.roster_csv`) with counts, never names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.clients.accounts import client_in
from ledger.desk import Actor, users
from ledger.store import audit, engine, spans
from ledger.store import schema as t


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One member with the coverages covering the roster's date (SSN: last four only)."""

    member_id: str
    sponsor_id: str
    subscriber_number: str
    relationship: str
    last: str
    first: str
    birth_date: dt.date | None
    ssn_last4: str
    coverages: tuple[str, ...]
    """'HLT EPO SILVER EMP from 2026-05-01' ..."""


def _engine(target: str | Engine) -> Engine:
    return target if isinstance(target, Engine) else engine(target)


def _rows(conn: Connection, sponsors: tuple[str, ...], as_of: dt.date,
          search: str) -> list[RosterRow]:  # fmt: skip
    m, d, mi = t.members, t.demographics_versions, t.member_identifiers
    d2 = d.alias("latest")
    latest = (sa.select(sa.func.max(d2.c.version_id)).where(d2.c.member_id == m.c.member_id)
              .correlate(m).scalar_subquery())  # fmt: skip
    q = (sa.select(m.c.member_id, m.c.sponsor_id, m.c.subscriber_number, m.c.relationship,
                   d.c.last, d.c.first, d.c.birth_date)
         .select_from(m).join(d, d.c.version_id == latest, isouter=True)
         .where(m.c.sponsor_id.in_(sponsors)))  # fmt: skip
    words = search.strip().upper()
    if words:
        like = f"%{words}%"
        q = q.where(sa.or_(d.c.last.like(like), d.c.first.like(like),
                           m.c.subscriber_number == words, m.c.member_id == words))  # fmt: skip
    people = list(conn.execute(q.order_by(m.c.subscriber_number, m.c.relationship.desc(),
                                          m.c.member_id).limit(2000)))  # fmt: skip
    ids = [p.member_id for p in people]
    ssn = dict(conn.execute(sa.select(mi.c.member_id, mi.c.value).where(
        mi.c.member_id.in_(ids), mi.c.type == "ssn")).tuples().all())  # fmt: skip
    cover: dict[str, list[str]] = {}
    for s in spans(conn, member_ids=ids, as_of=as_of):
        cover.setdefault(s.member_id, []).append(
            f"{s.line} {s.plan} {s.level} from {s.begin.isoformat()}"
            + (f" to {s.last_day.isoformat()}" if s.last_day else ""))
    return [RosterRow(p.member_id, p.sponsor_id, p.subscriber_number, p.relationship or "",
                      p.last or "", p.first or "", p.birth_date, (ssn.get(p.member_id) or "")[-4:],
                      tuple(cover.get(p.member_id, ()))) for p in people]  # fmt: skip


def client_roster(target: str | Engine, actor: Actor, as_of: dt.date, search: str = "",
                  *, covered_only: bool = False) -> list[RosterRow]:  # fmt: skip
    """The roster of the actor's client as of `as_of` (audited `client.roster`)."""
    eng = _engine(target)
    users.require(eng, actor, "client.roster")
    with eng.begin() as conn:
        client = client_in(conn, actor)
        rows = _rows(conn, client.sponsors, as_of, search)
        if covered_only:
            rows = [r for r in rows if r.coverages]
        audit(conn, actor.user_id, "client.roster", target=client.client_id,
              details={"as_of": as_of.isoformat(), "rows": len(rows), "searched": bool(search)})
    return rows


def roster_csv(target: str | Engine, actor: Actor, as_of: dt.date) -> str:
    """The roster as CSV text (audited `client.roster_csv` with the row count)."""
    eng = _engine(target)
    users.require(eng, actor, "client.roster")
    with eng.begin() as conn:
        client = client_in(conn, actor)
        rows = _rows(conn, client.sponsors, as_of, "")
        audit(conn, actor.user_id, "client.roster_csv", target=client.client_id,
              details={"as_of": as_of.isoformat(), "rows": len(rows)})
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["member_id", "group", "subscriber_number", "relationship", "last", "first",
                "birth_date", "ssn_last4", "coverages"])  # fmt: skip
    for r in rows:
        w.writerow([r.member_id, r.sponsor_id, r.subscriber_number, r.relationship, r.last,
                    r.first, r.birth_date.isoformat() if r.birth_date else "", r.ssn_last4,
                    "; ".join(r.coverages)])  # fmt: skip
    return out.getvalue()
