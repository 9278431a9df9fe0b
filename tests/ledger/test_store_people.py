"""The people a unit of work hands matching: built once, the same as a fresh read, never stale."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from edi.reader import read
from edi.records import MemberTransaction, SetStart, TransactionSetHeader
from ledger.store import unit
from ledger.store.apply import apply_in
from ledger.store.db import engine, upgrade
from ledger.store.unit import UnitOfWork, load_people
from matching.blocking import transaction_keys
from matching.decisions import Decision, KnownPerson, Outcome
from tests.ledger.ledger_helpers import RECEIVED, M, interchange, transaction_set


def _events(members: list[M]) -> tuple[TransactionSetHeader, list[MemberTransaction]]:
    data = interchange([transaction_set(members)])
    events = list(read(data, "people.edi", file_sha256="0" * 64))
    header = next(e.header for e in events if isinstance(e, SetStart))
    return header, [e for e in events if isinstance(e, MemberTransaction)]


@contextmanager
def _people_statements(conn: Connection) -> Iterator[list[str]]:
    """The statements run on `conn` meanwhile that read a person's rows."""
    seen: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if "demographics_versions" in statement or "member_identifiers" in statement:
            seen.append(statement)

    event.listen(conn, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", count)


def _family(n: int) -> list[M]:
    return [M(sub=f"SUB{i:04d}", first=f"ALICE{chr(65 + i % 26)}", ssn=f"2123456{i:02d}",
              street=f"{i} MAIN ST") for i in range(n)]  # fmt: skip


def _new_members(
    conn: Connection, header: TransactionSetHeader, txs: list[MemberTransaction]
) -> tuple[UnitOfWork, list[str]]:
    """A unit of work that recorded each transaction as a new member (flushed), and their ids."""
    uow = UnitOfWork(conn)
    mids = [apply_in(uow, header, Decision(Outcome.NEW_MEMBER, tx), received_at=RECEIVED)
            .member_id for tx in txs]  # fmt: skip
    uow.flush()
    return uow, mids


def test_created_people_are_found_as_a_fresh_read_finds_them(db_url: str) -> None:
    upgrade(db_url)
    header, txs = _events(_family(3))
    with engine(db_url).connect() as conn, conn.begin():
        uow, mids = _new_members(conn, header, txs)
        keys = transaction_keys(txs[1])
        found = uow.candidates(keys)
        assert mids[1] in [p.member_id for p in found]
        by_id = {p.member_id: p for p in load_people(conn, [p.member_id for p in found])}
        assert found == [by_id[p.member_id] for p in found]
        # built once: asking again reads no person's rows, only the key index
        with _people_statements(conn) as seen:
            again = uow.candidates(keys)
        assert again == found
        assert seen == []


def test_a_changed_person_is_seen_with_the_new_values(db_url: str) -> None:
    upgrade(db_url)
    header, (tx,) = _events([M(sub="SUB7001", first="BERTA", street="5 OLD RD")])
    _, (moved,) = _events([M(sub="SUB7001", first="BERTA", ins03="001", street="9 NEW RD")])
    with engine(db_url).connect() as conn, conn.begin():
        uow = UnitOfWork(conn)
        mid = apply_in(uow, header, Decision(Outcome.NEW_MEMBER, tx), received_at=RECEIVED).member_id
        uow.flush()
        (before,) = [p for p in uow.candidates(transaction_keys(tx)) if p.member_id == mid]
        assert before.address_line1 == "5 OLD RD"
        res = apply_in(uow, header, Decision(Outcome.APPLY, moved, member_id=mid, score=1.0),
                       received_at=RECEIVED)  # fmt: skip
        assert res.status == "applied"
        for flushed in (False, True):
            if flushed:
                uow.flush()
            (after,) = [p for p in uow.candidates(transaction_keys(moved)) if p.member_id == mid]
            assert after.address_line1 == "9 NEW RD"
        assert [after] == load_people(conn, [mid])


def test_order_and_values_hold_when_the_cache_is_emptied(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unit, "PEOPLE_CACHE", 3)
    upgrade(db_url)
    header, txs = _events(_family(12))
    with engine(db_url).connect() as conn, conn.begin():
        uow, _ = _new_members(conn, header, txs)
        shared = [("address_given", k[1]) for tx in txs for k in transaction_keys(tx)
                  if k[0] == "address_given"]  # fmt: skip
        for _ in range(3):
            found = uow.candidates(shared + [("street_year", "0 NOWHERE|1980")])
            assert len(uow._people) <= 3 + len(found)
            assert found == load_people(conn, [p.member_id for p in found])


def test_people_loaded_for_a_look_up_go_through_the_units_own_cursor(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A look-up that must read stored people runs its two statements on the unit of
    work's driver cursor (no SQLAlchemy execution per statement), and builds them as a
    read through the connection does."""
    monkeypatch.setattr(unit, "PEOPLE_CACHE", 2)
    upgrade(db_url)
    header, txs = _events(_family(8))
    with engine(db_url).connect() as conn, conn.begin():
        uow, _ = _new_members(conn, header, txs)
        uow._people.clear()  # nobody built: each person is read from the database
        keys = [k for tx in txs for k in transaction_keys(tx) if k[0] == "ssn"]
        with _people_statements(conn) as seen:
            found = uow.candidates(keys)
        assert seen == []
        assert len(found) == 8
        assert found == load_people(conn, [p.member_id for p in found])


def test_a_full_cache_of_people_drops_its_oldest_eighth(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unit, "PEOPLE_CACHE", 16)
    upgrade(db_url)
    with engine(db_url).connect() as conn, conn.begin():
        uow = UnitOfWork(conn)
        people = [KnownPerson(member_id=f"M{i:09d}") for i in range(17)]
        uow._remember(people[:16])
        assert len(uow._people) == 16
        uow._remember(people[16:])
        # 17 kept are one over: the oldest 17 // 8 go, the rest stay in order
        assert list(uow._people) == [p.member_id for p in people[2:]]
