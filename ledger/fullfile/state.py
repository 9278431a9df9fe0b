"""The ledger side of a full-file reconciliation: candidates, current state, comparisons.

Every function here reads in batches (a few queries per batch of file
members, whatever the batch size), so reconciling a million members never
issues one query per member. Comparisons return field names, never values.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from edi.records import Coverage, MemberTransaction
from ledger.store import load_people
from ledger.store import schema as t
from matching.blocking import transaction_keys
from matching.decisions import KnownPerson

SEVERITY = {
    "ssn": "high", "birth_date": "high", "coverage": "high", "plan": "medium",
    "coverage_level": "medium", "begin_date": "medium", "end_date": "medium",
    "last_name": "low", "first_name": "low", "middle_name": "low", "gender": "medium",
    "address": "low",
}  # fmt: skip
"""Severity of a field_mismatch by field; a discrepancy takes its worst field's."""
_RANK = {"low": 0, "medium": 1, "high": 2}


@dataclass(slots=True)
class Held:
    demo: dict[str, Any]
    ssn: str
    spans: dict[str, list[Any]]


def ledger_state(conn: Connection, ids: list[str]) -> dict[str, Held]:
    """Latest demographics, SSN and current coverage versions of `ids` (three queries)."""
    d, i, cv, sup = (t.demographics_versions, t.member_identifiers, t.coverage_versions,
                     t.supersessions)  # fmt: skip
    out = {mid: Held({}, "", defaultdict(list)) for mid in ids}
    if not ids:
        return out
    for r in conn.execute(sa.select(d).where(d.c.member_id.in_(ids)).order_by(d.c.version_id)):
        out[r.member_id].demo = dict(r._mapping)
    for r in conn.execute(
        sa.select(i.c.member_id, i.c.value)
        .where(i.c.member_id.in_(ids), i.c.type == "ssn")
        .order_by(i.c.first_seen_at, i.c.value)
    ):
        out[r.member_id].ssn = r.value
    q = (
        sa.select(cv)
        .where(cv.c.member_id.in_(ids), ~sa.exists().where(sup.c.version_id == cv.c.version_id))
        .order_by(cv.c.member_id, cv.c.insurance_line, cv.c.valid_from)
    )
    for r in conn.execute(q):
        out[r.member_id].spans[r.insurance_line].append(r)
    return out


def last_recorded(conn: Connection, ids: list[str]) -> dict[str, dt.datetime]:
    e = t.entries
    q = sa.select(e.c.member_id, sa.func.max(e.c.recorded_at)).where(e.c.member_id.in_(ids))
    return {mid: _utc(at) for mid, at in conn.execute(q.group_by(e.c.member_id)) if at}


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def pending_reviews(conn: Connection, sponsor: str) -> tuple[set[str], set[tuple[str, str]]]:
    """Open review items of the sponsor: suggested member ids and (subscriber number, rel)."""
    ri = t.review_items
    ids: set[str] = set()
    keys: set[tuple[str, str]] = set()
    q = sa.select(ri.c.suggested_member_id, ri.c.transaction).where(
        ri.c.sponsor_id == sponsor, ri.c.status.in_(("open", "assigned"))
    )
    for r in conn.execute(q):
        if r.suggested_member_id:
            ids.add(r.suggested_member_id)
        try:
            tx = json.loads(r.transaction)
            keys.add((str(tx.get("subscriber_number", "")), str(tx.get("relationship") or "")))
        except ValueError:
            continue
    return ids, keys


# ------------------------------------------------------------------ comparison


def _norm(value: Any) -> str:
    return " ".join(str(value or "").upper().split())


def compare_member(tx: MemberTransaction, held: Held) -> list[str]:
    """Demographic fields where the file and the ledger differ.

    Last and first name always count; a middle name, birth date, gender, SSN or
    address the file leaves out agrees with whatever the ledger holds.
    """
    n, a, g = tx.member.name, tx.member.address, tx.member.demographics
    demo = held.demo
    out: list[str] = []
    pairs = (("last_name", n.last, "last"), ("first_name", n.first, "first"),
             ("middle_name", n.middle, "middle"))  # fmt: skip
    for name, mine, col in pairs:
        if (mine or name != "middle_name") and _norm(mine) != _norm(demo.get(col)):
            out.append(name)
    if g is not None and g.birth_date is not None and g.birth_date != demo.get("birth_date"):
        out.append("birth_date")
    if g is not None and g.gender is not None and g.gender.value != (demo.get("gender") or ""):
        out.append("gender")
    if tx.ssn and tx.ssn != held.ssn:
        out.append("ssn")
    if a is not None:
        file_addr = (a.line1, a.line2, a.city, a.state, a.postal_code)
        cols = ("address_line1", "address_line2", "city", "state", "postal_code")
        if [_norm(v) for v in file_addr] != [_norm(demo.get(c)) for c in cols]:
            out.append("address")
    return out


def _span_for(versions: list[Any], eff: dt.date | None, begin: dt.date | None) -> Any | None:
    if not versions:
        return None
    if begin is not None:
        same = [v for v in versions if v.valid_from == begin]
        if same:
            return same[-1]
    if eff is not None:
        covering = [v for v in versions if v.valid_from <= eff and (v.valid_to is None or v.valid_to > eff)]  # fmt: skip
        if covering:
            return covering[-1]
    return versions[-1]


def _cov_dates(tx: MemberTransaction, cov: Coverage) -> tuple[dt.date | None, dt.date | None]:
    begin = cov.date("348") or tx.date("356")
    end = cov.date("349")
    last = (end.end or end.begin) if end else None
    return (begin.begin if begin else None), (last + dt.timedelta(days=1) if last else None)


def compare_coverages(
    tx: MemberTransaction, held: Held, eff: dt.date | None
) -> tuple[dict[str, list[str]], list[str]]:
    """Per insurance line, the coverage fields that differ; and the lines that agree.

    A line in the file that the ledger lacks, or a line active in the ledger on
    `eff` that the file lacks, differs in field 'coverage'.
    """
    diffs: dict[str, list[str]] = {}
    agree: list[str] = []
    seen: set[str] = set()
    for cov in tx.coverages:
        if cov.insurance_line is None or cov.insurance_line.value in seen:
            continue
        line = cov.insurance_line.value
        seen.add(line)
        begin, end = _cov_dates(tx, cov)
        v = _span_for(held.spans.get(line, []), eff, begin)
        if v is None:
            diffs[line] = ["coverage"]
            continue
        out = []
        if _norm(cov.plan_description) != _norm(v.plan):
            out.append("plan")
        level = cov.coverage_level.value if cov.coverage_level else ""
        if level and level != v.coverage_level:
            out.append("coverage_level")
        if begin is not None and begin != v.valid_from:
            out.append("begin_date")
        if end != v.valid_to:
            out.append("end_date")
        if out:
            diffs[line] = out
        else:
            agree.append(line)
    for line, versions in held.spans.items():
        if line not in seen and any(is_active(v, eff) for v in versions):
            diffs[line] = ["coverage"]
    return diffs, agree


def is_active(v: Any, eff: dt.date | None) -> bool:
    return v.valid_to is None or (eff is not None and v.valid_to > eff)


def severity(fields: Iterable[str]) -> str:
    return max((SEVERITY.get(f, "low") for f in fields), key=_RANK.__getitem__, default="low")


def temp_tables(conn: Connection) -> None:
    conn.execute(
        sa.text("CREATE TEMPORARY TABLE IF NOT EXISTS rc_seen (member_id VARCHAR(24) PRIMARY KEY)")
    )
    conn.execute(sa.text(
        "CREATE TEMPORARY TABLE IF NOT EXISTS rc_apply (ordinal INTEGER PRIMARY KEY, "
        "kind VARCHAR(16) NOT NULL, member_id VARCHAR(24), tx TEXT)"))  # fmt: skip
    conn.execute(sa.text("DELETE FROM rc_seen"))
    conn.execute(sa.text("DELETE FROM rc_apply"))


def seen(conn: Connection, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    rows = conn.execute(sa.text("SELECT member_id FROM rc_seen WHERE member_id IN :ids")
                        .bindparams(sa.bindparam("ids", expanding=True)), {"ids": ids})  # fmt: skip
    return {r[0] for r in rows}


def active_members(sponsor: str, eff: dt.date | None) -> sa.Select[Any]:
    """Members of `sponsor` with a current coverage version not ended on `eff`."""
    m, cv, sup = t.members, t.coverage_versions, t.supersessions
    live = sa.exists().where(
        cv.c.member_id == m.c.member_id,
        ~sa.exists().where(sup.c.version_id == cv.c.version_id),
        sa.or_(cv.c.valid_to.is_(None), cv.c.valid_to > eff) if eff else cv.c.valid_to.is_(None),
    )
    return sa.select(m.c.member_id, m.c.subscriber_number, m.c.relationship).where(
        m.c.sponsor_id == sponsor, live
    )


class People(dict[str, KnownPerson]):
    by_tx: dict[int, list[str]]


def candidates(conn: Connection, txs: list[MemberTransaction], sponsor: str) -> People:
    """The sponsor's members sharing a blocking key with each transaction (batched queries)."""
    bk = t.blocking_keys
    keys_of = {k: list(dict.fromkeys(transaction_keys(tx))) for k, tx in enumerate(txs)}
    wanted = list(dict.fromkeys(key for ks in keys_of.values() for key in ks))
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, value in wanted:
        by_kind[kind].append(value)
    for kind, values in by_kind.items():  # kind = ? AND value IN (...): the primary key's index
        for i in range(0, len(values), 2000):
            q = sa.select(bk.c.value, bk.c.member_id).where(
                bk.c.kind == kind, bk.c.value.in_(values[i : i + 2000])
            )
            for r in conn.execute(q):
                holders[(kind, r.value)].append(r.member_id)
    ids = list(dict.fromkeys(m for ms in holders.values() for m in ms))
    people = People()
    for i in range(0, len(ids), 5000):
        for p in load_people(conn, ids[i : i + 5000]):
            if p.sponsor_id.strip() == sponsor:
                people[p.member_id] = p
    people.by_tx = {
        k: [m for m in dict.fromkeys(m for key in ks for m in holders.get(key, ())) if m in people][:200]
        for k, ks in keys_of.items()
    }  # fmt: skip
    return people


def family_people(
    conn: Connection, txs: list[MemberTransaction], sponsor: str
) -> dict[str, list[KnownPerson]]:
    """The sponsor's members by subscriber number, for the numbers in `txs` (batched)."""
    m = t.members
    numbers = list(dict.fromkeys(tx.subscriber_number for tx in txs if tx.subscriber_number))
    ids: list[str] = []
    for i in range(0, len(numbers), 2000):
        q = sa.select(m.c.member_id).where(m.c.sponsor_id == sponsor,
                                           m.c.subscriber_number.in_(numbers[i : i + 2000]))  # fmt: skip
        ids.extend(r.member_id for r in conn.execute(q))
    out: dict[str, list[KnownPerson]] = defaultdict(list)
    for i in range(0, len(ids), 5000):
        for p in load_people(conn, ids[i : i + 5000]):
            for number in p.subscriber_numbers:
                out[number].append(p)
    return out


def same_person(tx: MemberTransaction, p: KnownPerson) -> bool:
    """Every identifying value equal: place in the family, names, birth date and SSN."""
    g = tx.member.demographics
    rel = tx.relationship.value if tx.relationship else ""
    return (
        p.relationship == rel
        and p.birth_sequence == tx.birth_sequence
        and g is not None
        and g.birth_date is not None
        and p.birth_date == g.birth_date
        and _norm(p.first) == _norm(tx.member.name.first)
        and _norm(p.last) == _norm(tx.member.name.last)
        and p.ssn == tx.ssn
        and tx.incorrect is None
    )
