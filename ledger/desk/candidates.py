"""What an item page shows of each candidate beyond its comparisons: the conflicts a match
to it would be refused for, its coverages today, and its family.

- `conflicts`: the candidate rescored against the held transaction exactly as
  `ledger.desk.resolve` will score it (`ledger.desk.match.check_match`), so the
  page names the conflicts (ssn / birth_date / relationship) that refuse a match
  without a supervisor's override before anybody presses the button.
- `coverages`: the member's coverage spans covering `as_of` as the ledger knows them now.
- `family`: the other members sharing a subscriber number with the candidate
  (member id, relationship, name and birth date — the page is PHI already; no SSNs).

Pure reads over a connection the caller opened (and audits).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from edi.records import MemberTransaction, decode_json
from ledger.desk.match import check_person
from ledger.desk.views import iso
from ledger.store import load_people, queries
from ledger.store import schema as t
from matching.decisions import KnownPerson

MAX_FAMILY = 20
"""Family members listed per candidate (a subscriber number shared by more is a data error)."""


def _families(conn: Connection, people: list[KnownPerson]) -> dict[str, list[dict[str, Any]]]:
    numbers = {n for p in people for n in p.subscriber_numbers if n}
    if not numbers:
        return {p.member_id: [] for p in people}
    mi = t.member_identifiers
    holders: dict[str, set[str]] = {}
    for r in conn.execute(sa.select(mi.c.member_id, mi.c.value)
                          .where(mi.c.type == "subscriber_number", mi.c.value.in_(numbers))):  # fmt: skip
        holders.setdefault(r.value, set()).add(r.member_id)
    relatives = {p.member_id: p for p in people}  # the candidates themselves are read already
    wanted = {m for ms in holders.values() for m in ms} - set(relatives)
    relatives |= {k.member_id: k for k in load_people(conn, sorted(wanted))}
    out: dict[str, list[dict[str, Any]]] = {}
    for p in people:
        ids = sorted({m for n in p.subscriber_numbers for m in holders.get(n, ())} - {p.member_id})
        out[p.member_id] = [
            {"member_id": k.member_id, "relationship": k.relationship,
             "name": {"last": k.last, "first": k.first}, "birth_date": iso(k.birth_date)}
            for m in ids[:MAX_FAMILY] if (k := relatives.get(m)) is not None
        ]  # fmt: skip
    return out


def enrich_candidates(
    conn: Connection, row: Any, candidates: list[dict[str, Any]],
    people: dict[str, KnownPerson], *, as_of: dt.date | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """`candidates` (the desk's candidate dicts) each with `conflicts`, `coverages` and
    `family` added; candidates whose member is gone, or an item without a readable member
    transaction (a held full file), get empty lists."""
    try:
        tx: MemberTransaction | None = decode_json(MemberTransaction, row.transaction)
    except ValueError:
        tx = None
    listed = {str(c["member_id"]) for c in candidates}
    known = [people[m] for m in listed if m in people]
    day = as_of or dt.date.today()
    spans: dict[str, list[dict[str, Any]]] = {}
    for s in queries.spans(conn, member_ids=[p.member_id for p in known], as_of=day):
        spans.setdefault(s.member_id, []).append(
            {"line": s.line, "plan": s.plan, "level": s.level, "begin": iso(s.begin),
             "last_day": iso(s.last_day)})  # fmt: skip
    families = _families(conn, known)
    out = []
    for c in candidates:
        person = people.get(str(c["member_id"]))
        conflicts: list[str] = []
        if person is not None and tx is not None:
            conflicts = list(check_person(tx, person, listed).conflicts)
        out.append({**c, "conflicts": c.get("conflicts", conflicts),
                    "coverages": spans.get(str(c["member_id"]), []),
                    "family": families.get(str(c["member_id"]), [])})  # fmt: skip
    return out


__all__ = ["enrich_candidates"]
