"""Candidates written earlier in the same unit of work, before and after a batch write."""

from __future__ import annotations

import datetime as dt

from ledger.store.db import engine, upgrade
from ledger.store.unit import MAX_CANDIDATES, UnitOfWork
from matching.blocking import person_keys
from matching.decisions import KnownPerson


def _person(mid: str, first: str) -> KnownPerson:
    # one family: the subscriber number and address keys are shared, the names are not
    return KnownPerson(
        member_id=mid, subscriber_numbers=("SUB100",), last="KOWALSKI", first=first,
        birth_date=dt.date(1980, 3, 4), relationship="18" if first == "ROBERT" else "19",
        address_line1="12 Maple Street", postal_code="55101",
    )  # fmt: skip


def test_people_sharing_keys_are_found_in_registration_order(db_url: str) -> None:
    upgrade(db_url)
    with engine(db_url).connect() as conn, conn.begin():
        uow = UnitOfWork(conn)
        robert, anna, bob = _person("M1", "ROBERT"), _person("M2", "ANNA"), _person("M3", "BOB")
        for p in (robert, anna, bob):
            uow.register_person(p, new=True)
        shared = [("subscriber", "SUB100")]
        assert [p.member_id for p in uow.candidates(shared)] == ["M1", "M2", "M3"]
        # BOB is short for ROBERT: their given-name keys are shared, ANNA's are not
        only_roberts = [
            k for k in person_keys(bob) if k in person_keys(robert) and k[0] == "dob_given"
        ]
        assert [p.member_id for p in uow.candidates(only_roberts)] == ["M1", "M3"]
        assert [p.member_id for p in uow.candidates([("ssn", "212345678")])] == []
        uow.flush()  # written once each, in one batch
        rows = conn.exec_driver_sql(
            "SELECT member_id FROM blocking_keys WHERE kind = 'subscriber' ORDER BY member_id"
        ).all()
        assert [r.member_id for r in rows] == ["M1", "M2", "M3"]
        stored = conn.exec_driver_sql("SELECT count(*) FROM blocking_keys").scalar()
        assert stored == sum(len(person_keys(p)) for p in (robert, anna, bob))


def _stranger(n: int) -> KnownPerson:
    # all share the surname and given name (the `name` key), none the family's number
    return KnownPerson(
        member_id=f"M{n:03d}", subscriber_numbers=(f"OTHER{n}",), last="KOWALSKI",
        first="ROBERT", birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=n), relationship="18",
    )  # fmt: skip


def test_a_large_block_keeps_the_earlier_keys_members_the_same_every_time(db_url: str) -> None:
    upgrade(db_url)
    with engine(db_url).connect() as conn, conn.begin():
        uow = UnitOfWork(conn)
        strangers = [_stranger(n) for n in range(1, 251)]  # M001..M250: more than the limit
        big = next(k for k in person_keys(strangers[0]) if k[0] == "name")
        assert all(big in person_keys(p) for p in strangers)
        for p in strangers:
            uow.register_person(p, new=True)
        uow.flush()  # the large block is stored
        child = KnownPerson(member_id="M300", subscriber_numbers=("SUB100",), last="KOWALSKI",
                            first="ROBERT", birth_date=dt.date(2015, 6, 1), relationship="19")
        uow.register_person(child, new=True)  # buffered: found in memory
        family = ("subscriber", "SUB100")
        ids = [p.member_id for p in uow.candidates([family, big])]
        # the family first, then the block in member-id order, at most MAX_CANDIDATES in all
        assert ids == ["M300"] + [f"M{n:03d}" for n in range(1, MAX_CANDIDATES)]
        # asked the other way round, the block's first members fill the list
        ids = [p.member_id for p in uow.candidates([big, family])]
        assert ids == [f"M{n:03d}" for n in range(1, MAX_CANDIDATES + 1)]
        uow.flush()  # the family member stored too: the same answer
        ids = [p.member_id for p in uow.candidates([family, big])]
        assert ids == ["M300"] + [f"M{n:03d}" for n in range(1, MAX_CANDIDATES)]
