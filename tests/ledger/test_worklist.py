"""A queue as pages (`ledger.desk.page_items`): order, totals, counts, the rows' summary, and
the open-items index the pages are read through (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

from desk834 import (  # noqa: E402
    ALICE,
    Member,
    Person,
    desk_test_env,  # noqa: E402, F401 - autouse fixture
    interchange,
)

from ledger.desk import QueueFilter, page_items  # noqa: E402
from ledger.desk.auth import initialise  # noqa: E402
from ledger.desk.users import Actor, add_user  # noqa: E402
from ledger.desk.worklist import queue_counts  # noqa: E402
from ledger.ingest import ingest_file  # noqa: E402
from ledger.store import schema as t  # noqa: E402
from ledger.store.db import engine  # noqa: E402

ROOT = Actor("root", frozenset({"administrator", "show_phi"}))
RITA = Actor("rita", frozenset({"reviewer"}))
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
ALICIA = Person("TESTPERSON", "ALICIA", ALICE.dob, "F")


def _queue(url: str, tmp: Path, dues: list[dt.datetime | None]) -> list[int]:
    """One held item (Alicia, uncertain against Alice) copied once per due time; ids in
    the order of `dues`."""
    initialise(url, "root")
    add_user(url, ROOT, "rita", ["reviewer"])
    for n, member in enumerate((Member(ALICE, "S100"), Member(ALICIA, "S500")), start=1):
        path = tmp / f"f{n}.edi"
        path.write_bytes(interchange([member], control=n))
        ingest_file(url, path, actor="ops")
    ri = t.review_items
    with engine(url).begin() as conn:
        (proto,) = [dict(r._mapping) for r in conn.execute(sa.select(ri))]
        conn.execute(ri.delete())
        del proto["id"]
        ids = []
        for k, due in enumerate(dues):
            key = conn.execute(ri.insert().values(
                {**proto, "family_key": f"copy|{k}", "due_at": due})).inserted_primary_key
            assert key is not None
            ids.append(int(key[0]))
    return ids


def test_pages_earliest_due_first_undated_last_either_way(ledger_url: str, tmp_path: Path) -> None:
    h = dt.timedelta(hours=1)
    dues = [NOW + 5 * h, None, NOW - 2 * h, NOW + 5 * h, NOW + h, None, NOW - 9 * h]
    ids = _queue(ledger_url, tmp_path, dues)
    by_due = [ids[6], ids[2], ids[4], ids[0], ids[3], ids[1], ids[5]]
    pages = [page_items(ledger_url, RITA, QueueFilter(), page=p, size=3, now=NOW)
             for p in (1, 2, 3)]  # fmt: skip
    assert [i.id for p in pages for i in p.items] == by_due
    assert [p.total for p in pages] == [7, 7, 7] and pages[0].pages == 3
    assert pages[0].items[0].overdue and not pages[0].items[2].overdue
    # descending: latest due first (equal dues by id, descending), undated still last
    down = page_items(ledger_url, RITA, QueueFilter(), descending=True, size=10, now=NOW)
    assert [i.id for i in down.items] == [ids[3], ids[0], ids[4], ids[2], ids[6], ids[5], ids[1]]
    by_id = page_items(ledger_url, RITA, QueueFilter(), sort="id", size=10, now=NOW)
    assert [i.id for i in by_id.items] == sorted(ids)


def test_totals_and_counts_follow_the_filter(ledger_url: str, tmp_path: Path) -> None:
    h = dt.timedelta(hours=1)
    ids = _queue(ledger_url, tmp_path, [NOW - h, NOW + h, NOW + 2 * h, None])
    with engine(ledger_url).begin() as conn:
        ri = t.review_items
        conn.execute(ri.update().where(ri.c.id == ids[1]).values(status="assigned",
                                                                  assignee="rita"))
        conn.execute(ri.update().where(ri.c.id == ids[2]).values(status="resolved",
                                                                  resolution="rejected"))
        counts = queue_counts(conn, NOW)
    assert counts["review"] == {"open": 3, "overdue": 1}
    assert counts["medicare"] == {"open": 0, "overdue": 0}
    whole = page_items(ledger_url, RITA, QueueFilter(), now=NOW)
    assert whole.total == 3 and [i.id for i in whole.items] == [ids[0], ids[1], ids[3]]
    assert whole.counts == counts
    for f, want in ((QueueFilter(status="open"), [ids[0], ids[3]]),
                    (QueueFilter(status="assigned"), [ids[1]]),
                    (QueueFilter(assignee="rita"), [ids[1]]),
                    (QueueFilter(assignee="-"), [ids[0], ids[3]]),
                    (QueueFilter(overdue=True), [ids[0]]),
                    (QueueFilter(queue="medicare"), [])):  # fmt: skip
        got = page_items(ledger_url, RITA, f, now=NOW)
        assert ([i.id for i in got.items], got.total) == (want, len(want)), f


def test_a_row_shows_the_codes_not_the_person(ledger_url: str, tmp_path: Path) -> None:
    _queue(ledger_url, tmp_path, [NOW])
    (row,) = page_items(ledger_url, RITA, QueueFilter(), now=NOW).items
    assert row.transaction == {"maintenance_type": "021", "maintenance_reason": "28",
                               "relationship": "18", "benefit_status": "A",
                               "subscriber": True}  # fmt: skip
    assert row.candidates == ()


def test_open_items_are_read_through_their_partial_index(ledger_url: str) -> None:
    eng = engine(ledger_url)
    with eng.connect() as conn:
        found = {ix["name"]: ix for ix in sa.inspect(conn).get_indexes("review_items")}
    assert found["ix_review_items_open"]["column_names"] == ["queue", "due_at", "id"]
    with eng.connect() as conn:
        if conn.dialect.name == "sqlite":
            sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = "
                                       "'ix_review_items_open'").scalar()  # fmt: skip
        else:
            sql = conn.exec_driver_sql("SELECT indexdef FROM pg_indexes WHERE indexname = "
                                       "'ix_review_items_open'").scalar()  # fmt: skip
    assert "open" in str(sql) and "assigned" in str(sql) and "WHERE" in str(sql).upper()


def _true_counts(url: str) -> dict[str, int]:
    ri = t.review_items
    with engine(url).connect() as conn:
        return {q: int(n) for q, n in conn.execute(
            sa.select(ri.c.queue, sa.func.count())
            .where(ri.c.status.in_(("open", "assigned"))).group_by(ri.c.queue))}


def _kept_counts(url: str) -> dict[str, int]:
    qc = t.review_queue_counts
    with engine(url).connect() as conn:
        return {q: int(n) for q, n in conn.execute(
            sa.select(qc.c.queue, sa.func.sum(qc.c.open_items)).group_by(qc.c.queue)) if n}


def test_the_kept_counts_follow_every_change_of_an_item(ledger_url: str, tmp_path: Path) -> None:
    ids = _queue(ledger_url, tmp_path, [NOW, NOW, NOW, None])
    ri = t.review_items
    assert _kept_counts(ledger_url) == _true_counts(ledger_url) == {"review": 4}
    changes = [
        {"status": "assigned", "assignee": "rita"},  # still open: nothing moves
        {"status": "resolved", "resolution": "rejected"},
        {"status": "open"},  # reopened (a test's hand, not the desk)
        {"queue": "medicare"},
        {"queue": "supervisor", "status": "resolved"},
        {"queue": "review", "status": "assigned"},
    ]
    for k, change in enumerate(changes):
        with engine(ledger_url).begin() as conn:
            conn.execute(ri.update().where(ri.c.id == ids[k % 2]).values(**change))
        assert _kept_counts(ledger_url) == _true_counts(ledger_url), change
    with engine(ledger_url).begin() as conn:
        conn.execute(ri.update().where(ri.c.id.in_(ids[2:])).values(queue="medicare"))
        conn.execute(ri.delete().where(ri.c.id == ids[3]))
    assert _kept_counts(ledger_url) == _true_counts(ledger_url) == {"review": 1, "medicare": 1}
    with engine(ledger_url).connect() as conn:
        counts = queue_counts(conn, NOW + dt.timedelta(minutes=1))
    assert counts["review"] == {"open": 1, "overdue": 1}
    assert counts["medicare"] == {"open": 1, "overdue": 1}
    assert counts["supervisor"] == {"open": 0, "overdue": 0}


def test_a_transaction_opening_many_items_counts_each_once(ledger_url: str, tmp_path: Path) -> None:
    """More open items in one transaction than the counts have slots (a large file's ingest):
    every slot moves as often as its items, none is lost or counted twice."""
    from ledger.store import bulk_insert
    from ledger.store.db import QUEUE_COUNT_SLOTS

    _queue(ledger_url, tmp_path, [NOW])
    ri = t.review_items
    with engine(ledger_url).begin() as conn:
        (proto,) = [dict(r._mapping) for r in conn.execute(sa.select(ri))]
        del proto["id"]
        n = QUEUE_COUNT_SLOTS + 45
        bulk_insert(conn, ri, [{**proto, "family_key": f"bulk|{k}",
                                "queue": "medicare" if k % 3 else "review"} for k in range(n)])
        conn.execute(ri.update().where(ri.c.family_key.like("bulk|%"), ri.c.id % 2 == 0)
                     .values(status="resolved", resolution="rejected"))  # fmt: skip
    assert _kept_counts(ledger_url) == _true_counts(ledger_url)
    assert sum(_true_counts(ledger_url).values()) > QUEUE_COUNT_SLOTS // 2
