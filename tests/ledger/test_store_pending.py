"""Candidates written earlier in the same unit of work, before and after a batch write."""

from __future__ import annotations

import datetime as dt

from ledger.store.db import engine, upgrade
from ledger.store.unit import UnitOfWork
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
