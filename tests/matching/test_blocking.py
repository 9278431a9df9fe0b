"""Blocking keys: the true person stays reachable through corrupted fields."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from matching.blocking import KEY_KINDS, person_keys, transaction_keys
from matching.decisions import KnownPerson
from matching.memory import MemoryCandidates
from matching.normalize import normalize_ssn
from matching.synthetic import OldValues, Roster, member_transaction, transaction_for

ROBERT = KnownPerson(
    member_id="M1",
    subscriber_numbers=("SUB100",),
    ssn="212345678",
    last="KOWALSKI",
    first="ROBERT",
    birth_date=dt.date(1980, 3, 4),
    gender="M",
    relationship="18",
    address_line1="12 Maple Street",
    postal_code="55101",
    medicare_id="1EG4TE5MK72",
)


def shared(tx_keys: list[tuple[str, str]], person: KnownPerson) -> set[str]:
    return {kind for kind, value in set(tx_keys) & set(person_keys(person))}


def test_person_keys_cover_every_kind_once() -> None:
    keys = person_keys(ROBERT)
    assert {kind for kind, _ in keys} == set(KEY_KINDS)
    assert len(keys) == len(set(keys))
    assert ("ssn", "212345678") in keys
    assert ("subscriber", "SUB100") in keys


def test_placeholder_ssn_gives_no_key() -> None:
    for placeholder in ("000000000", "999999999", "123456789", "777777777", "123-45-6789"):
        kinds = {kind for kind, _ in person_keys(replace(ROBERT, ssn=placeholder))}
        assert "ssn" not in kinds and "ssn4_dob" not in kinds


def test_exact_enrollment_shares_identifier_keys() -> None:
    assert shared(transaction_keys(transaction_for(ROBERT)), ROBERT) >= {
        "subscriber",
        "ssn",
        "dob_surname",
        "dob_given",
        "address",
    }


def test_nickname_reaches_the_root_name() -> None:
    tx = transaction_for(ROBERT, first="BOB", ssn="", subscriber_number="")
    assert "dob_given" in shared(transaction_keys(tx), ROBERT)


def test_transposed_birth_date_and_swapped_names_still_share_keys() -> None:
    tx = transaction_for(
        ROBERT, birth_date=dt.date(1980, 4, 3), ssn="", subscriber_number="", postal_code=""
    )
    assert "dob_surname" in shared(transaction_keys(tx), ROBERT)
    tx = transaction_for(
        ROBERT, first="KOWALSKI", last="ROBERT", ssn="", subscriber_number="", postal_code=""
    )
    assert "dob_surname" in shared(transaction_keys(tx), ROBERT)


def test_birth_year_typo_still_reaches_through_ssn_or_address() -> None:
    tx = transaction_for(ROBERT, birth_date=dt.date(1989, 3, 4), subscriber_number="")
    assert "ssn" in shared(transaction_keys(tx), ROBERT)


def test_correction_uses_old_values_from_2100b() -> None:
    """A surname and SSN correction: the ledger still holds the OLD values."""
    tx = member_transaction(
        maintenance="001",
        subscriber_number="",
        ssn="298765432",
        last="NOWAK",
        first="ROBERT",
        birth_date=dt.date(1980, 3, 4),
        old=OldValues(last="KOWALSKI", ssn="212345678"),
        coverages=(),
    )
    assert {"ssn", "dob_surname"} <= shared(transaction_keys(tx), ROBERT)


def test_memory_source_returns_each_sharer_once_and_nobody_else() -> None:
    roster = Roster(3)
    people = [p for _ in range(50) for p in roster.family()]
    source = MemoryCandidates(people)
    target = people[7]
    found = source.candidates(transaction_keys(transaction_for(target)))
    ids = [p.member_id for p in found]
    assert target.member_id in ids
    assert len(ids) == len(set(ids))
    assert len(ids) < len(people) // 4
    assert source.candidates([("ssn", "no-such")]) == []


def test_every_roster_person_reaches_themselves() -> None:
    roster = Roster(5)
    people = [p for _ in range(100) for p in roster.family()]
    for p in people:
        assert shared(transaction_keys(transaction_for(p)), p), p.member_id


def test_keys_remembered_from_a_lookup_equal_keys_worked_out_afresh() -> None:
    """A looked-up enrollee registered next gets the keys `person_keys` would work out,
    in the same order, for every kind of person (no SSN, no birth date, swapped-date DOBs)."""
    from matching import blocking

    people = [ROBERT, replace(ROBERT, ssn="", medicare_id=""), replace(ROBERT, birth_date=None),
              replace(ROBERT, birth_date=dt.date(1980, 11, 11), last="", first="BOB"),
              replace(ROBERT, birth_date=dt.date(1980, 12, 25), address_line1="")]  # fmt: skip
    people += [p for family in (Roster(5).family() for _ in range(40)) for p in family]
    for person in people:
        blocking._RECENT_OWN.clear()
        fresh = person_keys(person)
        blocking.lookup_keys([replace(person, member_id="")])
        assert blocking._RECENT_OWN, "the lookup remembers the enrollee's own keys"
        assert person_keys(person) == fresh
    blocking._RECENT_OWN.clear()


def test_any_one_ssn_keying_error_still_shares_a_key() -> None:
    """Every single-digit change and every adjacent transposition of the SSN, with the
    names and birth date also changed, still reaches the person before a NEW decision
    (the wider search's ssn_part, or a transposed look-up in the first)."""
    from matching.blocking import wide_keys
    from matching.person import transaction_person

    ssn = ROBERT.ssn
    variants = {ssn[:i] + d + ssn[i + 1 :] for i in range(9) for d in "0123456789"}
    variants |= {ssn[:i] + ssn[i + 1] + ssn[i] + ssn[i + 2 :] for i in range(8)}
    variants.discard(ssn)
    for variant in sorted(v for v in variants if normalize_ssn(v)):  # placeholders say nothing
        tx = transaction_for(ROBERT, ssn=variant, last="NOWAK", first="PIOTR",
                             birth_date=dt.date(1971, 9, 9), subscriber_number="",
                             address_line1="", postal_code="")  # fmt: skip
        keys = transaction_keys(tx) + wide_keys([transaction_person(tx)])
        if not shared(keys, ROBERT):
            raise AssertionError(f"SSN variant at {[i for i in range(9) if variant[i] != ssn[i]]}")


def test_a_street_line_blocks_without_a_zip() -> None:
    tx = transaction_for(ROBERT, ssn="", first="BOBBY", last="KOVALSKY", postal_code="",
                         subscriber_number="")  # fmt: skip
    assert "street_year" in shared(transaction_keys(tx), ROBERT)


def test_the_wider_search_reaches_what_the_first_misses() -> None:
    """First-letter typos in both names and no SSN: no first-search key is left, but the
    birth date alone is; a mistyped birth year with a new surname: the given name with
    the month and day; no names at all: the house and street."""
    from matching.blocking import WIDE_KINDS, wide_keys
    from matching.person import transaction_person

    def wide(**o: object) -> set[str]:
        person = transaction_person(transaction_for(ROBERT, ssn="", subscriber_number="", **o))
        return {kind for kind, _ in set(wide_keys([person])) & set(person_keys(ROBERT))}

    both = transaction_for(ROBERT, ssn="", first="NOBERT", last="DOWALSKI", subscriber_number="",
                           address_line1="", postal_code="")  # fmt: skip
    assert not {k for k in shared(transaction_keys(both), ROBERT)} - {"ssn4_dob"}
    assert "dob" in wide(first="NOBERT", last="DOWALSKI", address_line1="")
    assert "given_md" in wide(last="NOWAK", birth_date=dt.date(1981, 3, 4), address_line1="")
    assert "street" in wide(first="", last="", birth_date=None, address_line1="12 MAPLESTREET")
    # a first-letter typo of the given name, another birth date and a move: the surname
    # with the given name less its first letter is the one key left
    moved = {"first": "NOBERT", "birth_date": dt.date(1979, 11, 30),
             "address_line1": "9 OTHER RD", "postal_code": "99999"}  # fmt: skip
    assert wide(**moved) == {"given_tail"}
    # no birth date, no SSN, a move and a second surname joined on (or a typo after the
    # third letter): the surname's first three letters with the given name's sound
    gone = {"birth_date": None, "address_line1": "9 OTHER RD", "postal_code": "99999"}
    assert wide(last="KOWALSKI-NOWAK", **gone) == {"sur3_given"}
    assert wide(last="KOWALSKY", first="ROBBY", **gone) >= {"sur3_given"}
    dated = transaction_person(transaction_for(ROBERT, ssn="", subscriber_number=""))
    assert "sur3_given" not in {kind for kind, _ in wide_keys([dated])}  # a date reaches further
    # a first-letter typo of the surname beside a mistyped month, a given-name typo and a
    # move: the surname less its first letter with the birth year
    month = {"first": "NOBERT", "birth_date": dt.date(1980, 8, 4),
             "address_line1": "9 OTHER RD", "postal_code": "99999"}  # fmt: skip
    assert wide(last="NOWALSKI", **month) == {"surname_tail"}
    # two surname letters transposed at the front, the same elsewhere
    assert wide(last="OKWALSKI", **month) == {"surname_letters"}
    # a month mistyped beside another surname and a move: the given name with year and day
    assert wide(last="NOWAK", birth_date=dt.date(1980, 9, 4), address_line1="9 OTHER RD",
                postal_code="99999") == {"given_yd"}  # fmt: skip
    assert set(WIDE_KINDS) <= {kind for kind, _ in person_keys(ROBERT)}
    assert not set(WIDE_KINDS) & {kind for kind, _ in transaction_keys(transaction_for(ROBERT))}
