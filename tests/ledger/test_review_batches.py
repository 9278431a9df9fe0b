"""Review items written in batches by ingest's unit of work: file order, one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from ledger.store import schema as t
from ledger.store.db import engine, upgrade
from ledger.store.unit import REVIEW_ROWS, UnitOfWork

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def _item(n: int) -> dict[str, Any]:
    return {
        "queue": "review", "reason": "uncertain_match", "explanation": f"member {n}",
        "sponsor_id": "G1", "transaction": "{}", "header": "{}", "candidates": "[]",
        "suggested_member_id": None, "family_key": f"S|1|0001|{n}", "transaction_set_id": None,
        "received_at": NOW, "due_at": NOW + dt.timedelta(hours=48), "status": "open",
        "model_version": None,
    }  # fmt: skip


def _stored(conn: sa.Connection) -> list[tuple[int, str]]:
    ri = t.review_items
    return [(r.id, r.explanation) for r in conn.execute(sa.select(ri.c.id, ri.c.explanation)
                                                         .order_by(ri.c.id))]


def test_buffered_review_items_are_written_in_order_and_in_bounded_batches(db_url: str) -> None:
    upgrade(db_url)
    with engine(db_url).connect() as conn, conn.begin():
        now = UnitOfWork(conn)  # the default: one insert, the id returned
        first = now.add_review_item(_item(0))
        assert first is not None and _stored(conn) == [(first, "member 0")]
        uow = UnitOfWork(conn, review_ids=False)
        assert all(uow.add_review_item(_item(n)) is None for n in range(1, REVIEW_ROWS))
        assert len(_stored(conn)) == 1  # buffered, not yet written
        uow.add_review_item(_item(REVIEW_ROWS))  # the batch is full: written now
        rows = _stored(conn)
        assert [e for _, e in rows] == [f"member {n}" for n in range(REVIEW_ROWS + 1)]
        assert [i for i, _ in rows] == sorted(i for i, _ in rows)  # ids follow the order added
        uow.add_review_item(_item(REVIEW_ROWS + 1))
        uow.finish()
        assert _stored(conn)[-1][1] == f"member {REVIEW_ROWS + 1}"
