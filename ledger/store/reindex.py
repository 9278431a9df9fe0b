"""Blocking keys of given kinds built for the members a ledger already holds.

A revision that adds a kind to `matching.blocking` calls `index_stored(conn,
kinds)`: the keys of those kinds are worked out for every stored member — for
each demographics version, as the ledger indexes every version it applies —
with the member's current identifiers, and the ones missing are inserted (safe
to run again). Blocking keys are an index, not ledger history: entries and
their hash chain are untouched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa

from ledger.store import schema as t
from ledger.store.unit import person_from
from matching.blocking import person_keys

BATCH = 500


def index_stored(conn: sa.Connection, kinds: Collection[str]) -> None:
    """Insert every stored member's missing blocking keys of `kinds`."""
    ids = [r[0] for r in conn.execute(sa.select(t.members.c.member_id).order_by("member_id"))]
    for start in range(0, len(ids), BATCH):
        _index(conn, ids[start : start + BATCH], tuple(kinds))


def drop_kinds(conn: sa.Connection, kinds: Collection[str]) -> None:
    """Delete the blocking keys of `kinds` (a downgrade: older code never looks them up)."""
    conn.execute(sa.delete(t.blocking_keys).where(t.blocking_keys.c.kind.in_(list(kinds))))


def _index(conn: sa.Connection, ids: list[str], kinds: tuple[str, ...]) -> None:
    members = {r.member_id: r for r in conn.execute(
        sa.select(t.members).where(t.members.c.member_id.in_(ids)))}  # fmt: skip
    d = t.demographics_versions
    versions: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(
        sa.select(d).where(d.c.member_id.in_(ids)).order_by(d.c.member_id, d.c.version_id)
    ):
        versions[row.member_id].append(row)
    i = t.member_identifiers
    idents: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in conn.execute(sa.select(i.c.member_id, i.c.type, i.c.value).where(
            i.c.member_id.in_(ids))):  # fmt: skip
        idents[row.member_id].append((row.type, row.value))
    k = t.blocking_keys
    have = {
        (r.kind, r.value, r.member_id)
        for r in conn.execute(
            sa.select(k.c.kind, k.c.value, k.c.member_id).where(
                k.c.member_id.in_(ids), k.c.kind.in_(kinds)
            )
        )
    }
    rows: dict[tuple[str, str, str], None] = {}
    for mid in ids:
        member = members.get(mid)
        if member is None:
            continue
        for demo in versions.get(mid) or [None]:
            person = person_from(member, demo, idents.get(mid, []))
            for kind, value in person_keys(person):
                key = (kind, value, mid)
                if kind in kinds and key not in have:
                    rows[key] = None
    if rows:
        conn.execute(
            k.insert(), [{"kind": a, "value": b, "member_id": c} for a, b, c in sorted(rows)]
        )
