"""One member as a person at the desk sees them: identifiers, demographics as they changed,
coverages as of a date and as known at a time (the bitemporal view), and the ledger
entries with the files they came from.

`member_page` needs 'ledger.history' (reviewer, supervisor, auditor) and is audited
'ledger.history' with the member id (no values). SSNs are masked unless `show_phi`
(which needs the show_phi privilege; audited like any history read with it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger.desk.access import member_history
from ledger.desk.users import Actor
from ledger.desk.views import mask_ssn, utc
from ledger.store import LedgerError, engine, queries
from ledger.store import schema as t


def member_page(
    target: str | Engine,
    actor: Actor,
    member_id: str,
    *,
    as_of: dt.date | None = None,
    known_at: dt.datetime | None = None,
    show_phi: bool = False,
) -> dict[str, Any]:
    """{member, identifiers, demographics, coverages, entries} for `member_id`.

    `coverages` are the spans covering `as_of` (every span when None) as the ledger knew
    them at `known_at` (now when None); `entries` carry their lineage (sender, ISA13,
    GS06, ST02, file SHA-256, member ordinal) and the names of the fields they changed.
    """
    eng = target if isinstance(target, Engine) else engine(target)
    entries = member_history(eng, actor, member_id, show_phi=show_phi)  # checks + audits
    m, i, d, e = t.members, t.member_identifiers, t.demographics_versions, t.entries
    with eng.connect() as conn:
        member = conn.execute(sa.select(m).where(m.c.member_id == member_id)).first()
        if member is None:
            raise LedgerError(f"member {member_id} not found")
        idents = [{"type": r.type, "value": (r.value if show_phi or r.type != "ssn"
                                              else mask_ssn(r.value)),
                   "first_seen_at": utc(r.first_seen_at)}
                  for r in conn.execute(sa.select(i).where(i.c.member_id == member_id)
                                        .order_by(i.c.type, i.c.first_seen_at))]  # fmt: skip
        demo = [dict(r._mapping) for r in conn.execute(
            sa.select(d).where(d.c.member_id == member_id).order_by(d.c.version_id))]  # fmt: skip
        spans = queries.spans(conn, member_ids=[member_id], as_of=as_of, known_at=known_at)
        files = {r.seq: (r.file_sha256, r.sender_id) for r in conn.execute(
            sa.select(e.c.seq, e.c.file_sha256, e.c.sender_id).where(e.c.member_id == member_id))}
        names = {r.file_sha256: r.source for r in conn.execute(
            sa.select(t.interchanges.c.file_sha256, t.interchanges.c.source)
            .where(t.interchanges.c.file_sha256.in_({f for f, _ in files.values() if f})))}
    for entry in entries:
        sha, sender = files.get(entry["seq"], (None, None))
        entry["file_sha256"], entry["sender_id"] = sha, sender
        entry["file"] = names.get(sha, "") if sha else ""
    return {
        "member": dict(member._mapping), "identifiers": idents, "demographics": demo,
        "coverages": [{"line": s.line, "plan": s.plan, "level": s.level, "begin": s.begin,
                       "last_day": s.last_day} for s in spans],
        "entries": entries, "as_of": as_of, "known_at": known_at,
    }  # fmt: skip


__all__ = ["member_page"]
