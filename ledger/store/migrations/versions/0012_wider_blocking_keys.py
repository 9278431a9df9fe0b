"""Blocking keys of the kinds added for a search that cannot miss: built for stored members.

Revision ID: 0012_wider_blocking_keys
Revises: 0011_open_review_items

matching/blocking.py now indexes, besides the older kinds, `ssn_part` (the SSN with
one third masked), `sur3_year`, `street_year` (no ZIP needed) and the wider
search's `dob`, `name`, `surname_md`, `given_md`, `given_ym` and `street`. A
member written before this revision has none of them, so the wider search before
a NEW decision would not find them. This revision works the keys of these kinds
out for every stored member — for each demographics version, as the ledger indexes
every version it applies — with the member's current identifiers, and inserts the
ones missing (safe to run again). Blocking keys are an index, not ledger history:
entries and their hash chain are untouched. Downgrade deletes the keys of these
kinds (older code never looks them up).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

from ledger.store import schema as t
from ledger.store.unit import person_from
from matching.blocking import person_keys

revision = "0012_wider_blocking_keys"
down_revision = "0011_open_review_items"
branch_labels = None
depends_on = None

NEW_KINDS = (
    "ssn_part",
    "sur3_year",
    "street_year",
    "dob",
    "name",
    "surname_md",
    "given_md",
    "given_ym",
    "street",
)
BATCH = 500


def upgrade() -> None:
    conn = op.get_bind()
    ids = [r[0] for r in conn.execute(sa.select(t.members.c.member_id).order_by("member_id"))]
    for start in range(0, len(ids), BATCH):
        _index(conn, ids[start : start + BATCH])


def _index(conn: sa.Connection, ids: list[str]) -> None:
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
                k.c.member_id.in_(ids), k.c.kind.in_(NEW_KINDS)
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
                if kind in NEW_KINDS and key not in have:
                    rows[key] = None
    if rows:
        conn.execute(
            k.insert(), [{"kind": a, "value": b, "member_id": c} for a, b, c in sorted(rows)]
        )


def downgrade() -> None:
    kinds = ", ".join(f"'{kind}'" for kind in NEW_KINDS)
    op.execute(f"DELETE FROM blocking_keys WHERE kind IN ({kinds})")
