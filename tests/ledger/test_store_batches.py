"""A change file is written in batches: a member's rows are written before that member's
rows are read again, and only then (`UnitOfWork.flush_for`). SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from ledger_helpers import RECEIVED, M, interchange, simple_decide, transaction_set, write

from ledger.ingest import ingest_file
from ledger.store import schema as t
from ledger.store.db import engine, upgrade
from ledger.store.queries import verify_chain
from ledger.store.unit import UnitOfWork

PEOPLE = [M(sub=f"SUB{i:04d}", first=f"FIRST{chr(65 + i % 26)}{chr(65 + i // 26)}",
            dob=f"1970{1 + i % 12:02d}{1 + i % 28:02d}", street=f"{i + 1} MAIN ST")
          for i in range(40)]  # fmt: skip


def _ingest(url: str, path: Path):  # type: ignore[no-untyped-def]
    return ingest_file(url, path, decide=simple_decide, received_at=RECEIVED)  # type: ignore[arg-type]


def _address_change(m: M, street: str) -> M:
    return dataclasses.replace(m, ins03="001", ins04="43", street=street, hds=(),
                               member_dates=(("303", "20260301"),))  # fmt: skip


def _count_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of buffered rows each `UnitOfWork.flush` wrote (empty flushes left out)."""
    writes: list[int] = []
    real = UnitOfWork.flush

    def counting(self: UnitOfWork) -> None:
        if self._buffered:
            writes.append(self._buffered)
        real(self)

    monkeypatch.setattr(UnitOfWork, "flush", counting)
    return writes


def test_members_each_sent_once_are_written_in_one_batch(
    ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ingest(ledger_url, write(tmp_path, "enrol.834", interchange([transaction_set(PEOPLE)])))
    writes = _count_writes(monkeypatch)
    changes = [_address_change(m, f"{i + 1} NEW RD") for i, m in enumerate(PEOPLE)]
    path = write(tmp_path, "change.834", interchange([transaction_set(changes)], isa13="000000102"))
    res = _ingest(ledger_url, path)
    assert res.members["applied"] == len(PEOPLE)
    # before, every member's reads wrote the buffer first: one write per member
    assert len(writes) == 1, writes
    with engine(ledger_url).connect() as conn:
        dv = t.demographics_versions
        newest = conn.execute(
            sa.select(dv.c.member_id, dv.c.address_line1)
            .where(dv.c.version_id.in_(sa.select(sa.func.max(dv.c.version_id)).group_by(dv.c.member_id)))
        ).all()  # fmt: skip
        assert sorted(r.address_line1 for r in newest) == sorted(f"{i + 1} NEW RD" for i in range(40))
        assert verify_chain(conn).ok


def test_a_member_sent_again_in_the_set_reads_its_own_earlier_rows(
    ledger_url: str, tmp_path: Path
) -> None:
    alice = PEOPLE[0]
    _ingest(ledger_url, write(tmp_path, "enrol.834", interchange([transaction_set([alice])])))
    # a new address, another, a plan change, then the end of all coverage: each later loop
    # must see what the earlier ones buffered (demographics, coverage versions, supersessions)
    plan = dataclasses.replace(alice, ins03="001", ins04="22", street="7 SECOND ST",
                               member_dates=(("303", "20260210"),),
                               hds=(("001", "HLT", "HMO2", (("303", "20260210"),)),))  # fmt: skip
    end = dataclasses.replace(alice, ins03="024", ins04="07", street="7 SECOND ST",
                              member_dates=(("357", "20260315"),), hds=())  # fmt: skip
    loops = [_address_change(alice, "5 FIRST ST"), _address_change(alice, "7 SECOND ST"), plan, end]
    path = write(tmp_path, "change.834", interchange([transaction_set(loops)], isa13="000000102"))
    res = _ingest(ledger_url, path)
    assert res.members["applied"] == 4, (res.members, res.notes)
    with engine(ledger_url).connect() as conn:
        dv, cv, sup = t.demographics_versions, t.coverage_versions, t.supersessions
        streets = conn.execute(sa.select(dv.c.address_line1).order_by(dv.c.version_id)).scalars()
        assert list(streets) == [alice.street, "5 FIRST ST", "7 SECOND ST"]
        current = conn.execute(
            sa.select(cv.c.plan, cv.c.valid_from, cv.c.valid_to)
            .where(~sa.exists().where(sup.c.version_id == cv.c.version_id))
            .order_by(cv.c.valid_from)
        ).all()  # fmt: skip
        assert [tuple(r) for r in current] == [
            ("PPO1", dt.date(2026, 2, 1), dt.date(2026, 2, 10)),
            ("HMO2", dt.date(2026, 2, 10), dt.date(2026, 3, 16)),
        ]
        assert verify_chain(conn).ok


LINES = (("021", "HLT", "PPO1", (("348", "20260201"),)),
         ("021", "DEN", "DENT1", (("348", "20260201"),)),
         ("021", "VIS", "VIS1", (("348", "20260201"),)))  # fmt: skip


def _current(conn: sa.Connection) -> list[tuple[str, str, dt.date, dt.date | None]]:
    cv, sup = t.coverage_versions, t.supersessions
    rows = conn.execute(
        sa.select(cv.c.member_id, cv.c.insurance_line, cv.c.plan, cv.c.valid_from, cv.c.valid_to)
        .where(~sa.exists().where(sup.c.version_id == cv.c.version_id))
        .order_by(cv.c.member_id, cv.c.insurance_line, cv.c.valid_from)
    ).all()  # fmt: skip
    return [tuple(r)[1:] for r in rows]


def _enrol_with_three_lines(
    ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[M], list[int]]:
    """Twenty members with three lines each, enrolled; then the writes are counted."""
    people = [dataclasses.replace(m, hds=LINES) for m in PEOPLE[:20]]
    _ingest(ledger_url, write(tmp_path, "enrol.834", interchange([transaction_set(people)])))
    return people, _count_writes(monkeypatch)


def test_every_line_of_a_member_is_ended_or_changed_without_a_write_between(
    ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people, writes = _enrol_with_three_lines(ledger_url, tmp_path, monkeypatch)
    # the first ten end all coverage; the others change the plan of two lines in one loop
    ends = [dataclasses.replace(m, ins03="024", ins04="07", member_dates=(("357", "20260228"),),
                                hds=()) for m in people[:10]]  # fmt: skip
    plans = [dataclasses.replace(m, ins03="001", ins04="22", member_dates=(),
                                 hds=(("001", "HLT", "HMO2", (("303", "20260301"),)),
                                      ("001", "DEN", "DENT2", (("303", "20260301"),))))
             for m in people[10:]]  # fmt: skip
    path = write(tmp_path, "change.834", interchange([transaction_set(ends + plans)], isa13="000000102"))
    res = _ingest(ledger_url, path)
    assert res.members["applied"] == 20, (res.members, res.notes)
    # before, each line after a member's first was read after writing the buffer
    assert len(writes) == 1, writes
    with engine(ledger_url).connect() as conn:
        current = _current(conn)
        feb, mar = dt.date(2026, 2, 1), dt.date(2026, 3, 1)
        ended = [(line, plan, feb, mar) for _, line, plan, _ in LINES]
        changed = [("DEN", "DENT1", feb, mar), ("DEN", "DENT2", mar, None),
                   ("HLT", "PPO1", feb, mar), ("HLT", "HMO2", mar, None), ("VIS", "VIS1", feb, None)]
        assert current == sorted(ended, key=lambda v: v[0]) * 10 + changed * 10
        assert verify_chain(conn).ok


def test_a_new_address_and_plan_in_one_loop_are_written_in_the_batch(
    ledger_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people, writes = _enrol_with_three_lines(ledger_url, tmp_path, monkeypatch)
    # the coverage read before the demographics were buffered still holds for the plan
    both = [dataclasses.replace(m, ins03="001", ins04="22", street="9 NEW RD",
                                member_dates=(("303", "20260301"),),
                                hds=(("001", "HLT", "HMO2", (("303", "20260301"),)),))
            for m in people]  # fmt: skip
    path = write(tmp_path, "change.834", interchange([transaction_set(both)], isa13="000000102"))
    res = _ingest(ledger_url, path)
    assert res.members["applied"] == 20, (res.members, res.notes)
    assert len(writes) == 1, writes
    with engine(ledger_url).connect() as conn:
        feb, mar = dt.date(2026, 2, 1), dt.date(2026, 3, 1)
        assert _current(conn) == [("DEN", "DENT1", feb, None), ("HLT", "PPO1", feb, mar),
                                  ("HLT", "HMO2", mar, None), ("VIS", "VIS1", feb, None)] * 20
        dv = t.demographics_versions
        streets = conn.execute(sa.select(dv.c.address_line1).order_by(dv.c.version_id)).scalars()
        assert list(streets)[20:] == ["9 NEW RD"] * 20
        assert verify_chain(conn).ok


def test_flush_for_writes_only_for_a_member_with_rows_buffered(db_url: str) -> None:
    upgrade(db_url)
    with engine(db_url).connect() as conn, conn.begin():
        uow = UnitOfWork(conn)
        uow.add(t.members, {"member_id": "M000000001", "sponsor_id": "", "subscriber_number": "SUB1",
                            "relationship": "18", "created_at": RECEIVED})  # fmt: skip

        def stored() -> int:
            return int(conn.execute(sa.select(sa.func.count()).select_from(t.members)).scalar_one())

        uow.flush_for("M000000002")
        assert stored() == 0
        uow.flush_for("M000000001")
        assert stored() == 1
        # a supersession names its member; so does a blocking key
        uow.add(t.supersessions, {"version_id": 1, "superseded_at": RECEIVED,
                                  "superseded_by": None, "entry_seq": 1},
                member_id="M000000003")  # fmt: skip
        uow.flush_for("M000000001")
        assert uow._buffered == 1
        uow.flush_for("M000000003")
        assert uow._buffered == 0
