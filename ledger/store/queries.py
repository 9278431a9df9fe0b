"""Read side: member history, bitemporal roster, member export, and chain verification.

"As of D known at T": a coverage version counts when valid_from <= D <
valid_to (open end = forever), it was recorded at or before T, and no
supersession recorded at or before T replaced it. Without T, what we know now.
Every query is driven by an index (entries by member, versions by member and
line or by valid_from, blocking keys by kind and value).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.store import schema as t
from ledger.store.audit_log import AUDIT_FIELDS
from ledger.store.unit import chain_hash

ONE_DAY = dt.timedelta(days=1)


def as_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC (naive values are taken as UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class Span:
    """One coverage span as known: [begin, end) in valid time; `last_day` is end - 1."""

    member_id: str
    line: str
    plan: str
    level: str
    begin: dt.date
    end: dt.date | None

    @property
    def last_day(self) -> dt.date | None:
        return self.end - ONE_DAY if self.end else None


def _known(cv: sa.Table, known_at: dt.datetime | None) -> sa.ColumnElement[bool]:
    sup = t.supersessions
    if known_at is None:
        return ~sa.exists().where(sup.c.version_id == cv.c.version_id)
    at = as_utc(known_at)
    return sa.and_(
        cv.c.recorded_at <= at,
        ~sa.exists().where(sup.c.version_id == cv.c.version_id, sup.c.superseded_at <= at),
    )


def spans(
    conn: Connection,
    *,
    member_ids: Sequence[str] | None = None,
    as_of: dt.date | None = None,
    known_at: dt.datetime | None = None,
) -> list[Span]:
    """Coverage spans known at `known_at`, optionally only those covering `as_of`."""
    cv = t.coverage_versions
    q = sa.select(cv).where(_known(cv, known_at))
    if member_ids is not None:
        q = q.where(cv.c.member_id.in_(list(member_ids)))
    if as_of is not None:
        q = q.where(
            cv.c.valid_from <= as_of, sa.or_(cv.c.valid_to.is_(None), cv.c.valid_to > as_of)
        )
    q = q.order_by(cv.c.member_id, cv.c.insurance_line, cv.c.valid_from)
    return [
        Span(r.member_id, r.insurance_line, r.plan, r.coverage_level, r.valid_from, r.valid_to)
        for r in conn.execute(q)
    ]


def roster(conn: Connection, as_of: dt.date, known_at: dt.datetime | None = None) -> list[Span]:
    """Who was covered on `as_of`, according to what the ledger knew at `known_at`."""
    return spans(conn, as_of=as_of, known_at=known_at)


def member_history(conn: Connection, member_id: str) -> list[dict[str, Any]]:
    """The member's ledger entries in order (before/after decoded)."""
    e = t.entries
    out = []
    for r in conn.execute(sa.select(e).where(e.c.member_id == member_id).order_by(e.c.seq)):
        d = dict(r._mapping)
        d["before"] = json.loads(d["before"]) if d["before"] else None
        d["after"] = json.loads(d["after"]) if d["after"] else None
        d["notes"] = json.loads(d["notes"]) if d["notes"] else []
        out.append(d)
    return out


def mask_ssn(value: str) -> str:
    return "*****" + value[-4:] if len(value) >= 4 else "*" * len(value)


def export_members(
    conn: Connection,
    *,
    as_of: dt.date | None = None,
    known_at: dt.datetime | None = None,
    show_phi: bool = False,
    batch: int = 1000,
) -> Iterator[dict[str, Any]]:
    """One dict per member (covered on `as_of` when given), as known at `known_at`.

    Shape: member_id, identifiers [{type, value}], name, birth_date, coverages
    [{line, plan, begin, end}] where end is the last covered day. SSNs are
    masked to the last four digits unless `show_phi`.
    """
    m, cv = t.members, t.coverage_versions
    if as_of is None:
        q = sa.select(m.c.member_id).order_by(m.c.member_id)
        if known_at is not None:
            q = q.where(m.c.created_at <= as_utc(known_at))
    else:
        q = (
            sa.select(cv.c.member_id)
            .where(_known(cv, known_at), cv.c.valid_from <= as_of)
            .where(sa.or_(cv.c.valid_to.is_(None), cv.c.valid_to > as_of))
            .distinct()
            .order_by(cv.c.member_id)
        )
    ids = [r[0] for r in conn.execute(q)]
    for i in range(0, len(ids), batch):
        yield from _export_batch(conn, ids[i : i + batch], as_of, known_at, show_phi)


def _export_batch(
    conn: Connection, ids: list[str], as_of: dt.date | None, known_at: dt.datetime | None,
    show_phi: bool,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    d, i = t.demographics_versions, t.member_identifiers
    dq = sa.select(d).where(d.c.member_id.in_(ids)).order_by(d.c.version_id)
    iq = sa.select(i).where(i.c.member_id.in_(ids)).order_by(i.c.type, i.c.value)
    if known_at is not None:
        dq = dq.where(d.c.recorded_at <= as_utc(known_at))
        iq = iq.where(i.c.first_seen_at <= as_utc(known_at))
    demo = {r.member_id: r for r in conn.execute(dq)}  # the last version wins
    idents: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in conn.execute(iq):
        value = r.value if show_phi or r.type != "ssn" else mask_ssn(r.value)
        idents[r.member_id].append({"type": r.type, "value": value})
    covs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in spans(conn, member_ids=ids, as_of=as_of, known_at=known_at):
        covs[s.member_id].append({
            "line": s.line, "plan": s.plan, "begin": s.begin.isoformat(),
            "end": s.last_day.isoformat() if s.last_day else None,
        })  # fmt: skip
    for mid in ids:
        dr = demo.get(mid)
        name = " ".join(p for p in (dr.first, dr.middle, dr.last) if p) if dr else ""
        yield {
            "member_id": mid,
            "identifiers": idents.get(mid, []),
            "name": name,
            "birth_date": dr.birth_date.isoformat() if dr and dr.birth_date else None,
            "coverages": covs.get(mid, []),
        }


# ------------------------------------------------------------------ verification


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """Result of recomputing a hash chain: `first_bad` names the first broken seq."""

    chain: str
    checked: int
    first_bad: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad is None

    def to_json(self) -> dict[str, Any]:
        return {"chain": self.chain, "checked": self.checked, "ok": self.ok,
                "first_bad": self.first_bad, "problem": self.problem}  # fmt: skip

    def __str__(self) -> str:
        if self.ok:
            return f"{self.chain}: {self.checked} records, chain intact"
        return f"{self.chain}: record {self.first_bad}: {self.problem}"


def verify_chain(conn: Connection, chain: str = "entries", batch: int = 5000) -> VerifyReport:
    """Recompute the 'entries' or 'audit' chain; report the first record that does not fit."""
    from ledger.store.unit import HASHED_FIELDS

    table, fields = (
        (t.entries, HASHED_FIELDS) if chain == "entries" else (t.audit_log, AUDIT_FIELDS)
    )
    prev_hash, prev_seq, checked = "", 0, 0
    last = 0
    while True:
        rows = list(conn.execute(
            sa.select(table).where(table.c.seq > last).order_by(table.c.seq).limit(batch)
        ))  # fmt: skip
        if not rows:
            break
        for r in rows:
            row = dict(r._mapping)
            if row["seq"] != prev_seq + 1:
                return VerifyReport(chain, checked, prev_seq + 1, "missing (the chain skips it)")
            if row["prev_hash"] != prev_hash:
                return VerifyReport(
                    chain, checked, row["seq"], "does not follow the previous record"
                )
            if chain_hash(row, fields) != row["hash"]:
                return VerifyReport(chain, checked, row["seq"], "content does not match its hash")
            prev_hash, prev_seq = row["hash"], row["seq"]
            checked += 1
        last = rows[-1].seq
    head = conn.execute(
        sa.select(t.chain_heads.c.seq, t.chain_heads.c.hash).where(t.chain_heads.c.name == chain)
    ).first()
    if head is not None and (head.seq, head.hash) != (prev_seq, prev_hash):
        return VerifyReport(chain, checked, prev_seq + 1, "missing (the chain head is further on)")
    return VerifyReport(chain, checked)
