"""Field comparisons: each level is reachable, and descriptions carry no values."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from matching.compare import COMPARISONS, compare, prepare
from matching.decisions import KnownPerson
from matching.normalize import (
    clean_name,
    name_roots,
    nickname_related,
    normalize_address,
    normalize_ssn,
)

BASE = KnownPerson(
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
)


def level(field: str, a: KnownPerson, b: KnownPerson = BASE) -> str:
    found = {c.field: c.level for c in compare(prepare(a), prepare(b))}
    return found[field]


def person(**changes: object) -> KnownPerson:
    values = {name: getattr(BASE, name) for name in KnownPerson.__dataclass_fields__}
    values.update(changes)
    return KnownPerson(**values)


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        ("ROBERT", "exact"),
        ("BOB", "nickname"),
        ("Bobby", "nickname"),
        ("ROB", "nickname"),
        ("ROBRET", "jw_0.92"),
        ("R", "initial"),
        ("WILLIAM", "conflict"),
    ],
)
def test_given_name_levels(first: str, expected: str) -> None:
    assert level("given_name", person(first=first)) == expected


def test_nickname_table_links_both_directions_and_shared_roots() -> None:
    assert nickname_related("BILL", "WILLIAM")
    assert nickname_related("WILLIAM", "WILL")
    assert nickname_related("LIZ", "BETH")  # both short for ELIZABETH
    assert not nickname_related("BOB", "BILL")
    assert name_roots("RICK") >= {"RICHARD", "FREDERICK", "PATRICK"}


def test_swapped_given_and_surname() -> None:
    swapped = person(first="KOWALSKI", last="ROBERT")
    assert level("surname", swapped) == "swapped"
    assert level("given_name", swapped) == "swapped"


@pytest.mark.parametrize(
    ("last", "expected"),
    [
        ("Kowalski", "exact"),
        ("KOWALSKY", "jw_0.92"),
        ("KOWALSKI-NOWAK", "part"),
        ("Nowak Kowalski", "part"),
        ("NOWAK", "conflict"),
    ],
)
def test_surname_levels(last: str, expected: str) -> None:
    assert level("surname", person(last=last)) == expected


@pytest.mark.parametrize(
    ("dob", "expected"),
    [
        (dt.date(1980, 3, 4), "exact"),
        (dt.date(1980, 4, 3), "day_month_swapped"),
        (dt.date(1981, 3, 4), "one_edit"),
        (dt.date(1980, 3, 14), "one_edit"),
        (dt.date(1908, 3, 4), "one_edit"),  # adjacent digits transposed in the year
        (dt.date(1975, 9, 21), "conflict"),
        (None, "missing"),
    ],
)
def test_birth_date_levels(dob: dt.date | None, expected: str) -> None:
    assert level("birth_date", person(birth_date=dob)) == expected


@pytest.mark.parametrize(
    ("ssn", "expected"),
    [
        ("212345678", "exact"),
        ("212-34-5678", "exact"),
        ("212345679", "one_edit"),
        ("213245678", "one_edit"),  # adjacent digits transposed
        ("212345687", "one_edit"),
        ("212345987", "conflict"),
        ("401234567", "conflict"),
        ("", "missing"),
        ("000000000", "missing"),
        ("999999999", "missing"),
        ("123456789", "missing"),
        ("123-45-6789", "missing"),
        ("444444444", "missing"),
        ("21234567", "missing"),
    ],
)
def test_ssn_levels_and_placeholders(ssn: str, expected: str) -> None:
    assert level("ssn", person(ssn=ssn)) == expected


def test_ssn_normalisation_reads_letter_o_as_zero() -> None:
    assert normalize_ssn("2O1-23-4567") == "201234567"
    assert normalize_ssn("666123456") == ""
    assert normalize_ssn("212004567") == ""


@pytest.mark.parametrize("placeholder", ["BABY BOY", "Baby Girl", "NEWBORN", "UNKNOWN", "fnu"])
def test_placeholder_names_count_as_missing(placeholder: str) -> None:
    assert clean_name(placeholder) == ""
    assert level("given_name", person(first=placeholder)) == "missing"
    both = person(first=placeholder)
    assert level("given_name", both, both) == "missing"


def test_two_placeholder_ssns_never_agree() -> None:
    a = person(ssn="999999999")
    assert level("ssn", a, a) == "missing"


def test_address_levels() -> None:
    assert level("address", person(address_line1="12 MAPLE ST.")) == "exact"
    assert level("address", person(address_line1="99 Oak Avenue")) == "same_zip"
    assert level("address", person(postal_code="60601")) == "conflict"
    assert normalize_address("12 North Maple Street, Apt. 4") == "12 N MAPLE ST APT 4"


def test_gender_relationship_and_family_levels() -> None:
    assert level("gender", person(gender="F")) == "conflict"
    assert level("gender", person(gender="U")) == "missing"
    assert level("relationship", person(relationship="01")) == "conflict"
    assert level("relationship", person(relationship="19"), person(relationship="17")) == "agree"
    assert level("subscriber_number", person()) == "same_family"
    assert level("subscriber_number", person(subscriber_numbers=("SUB200",))) == "other_family"
    assert level("birth_sequence", person(birth_sequence=1), person(birth_sequence=2)) == "conflict"


def test_weights_are_log2_likelihood_ratios_and_every_comparison_has_a_catch_all() -> None:
    far = KnownPerson(
        member_id="X",
        ssn="501928374",
        last="Q",
        first="Z",
        birth_date=dt.date(1901, 1, 1),
        gender="F",
        relationship="19",
        birth_sequence=9,
        address_line1="1 X",
        postal_code="99001",
        subscriber_numbers=("OTHER",),
        medicare_id="9ZZ9ZZ9ZZ99",
    )
    near = person(birth_sequence=1, medicare_id="1AA1AA1AA11")
    for comparison in COMPARISONS:
        for lvl in comparison.levels:
            assert lvl.weight == round(math.log2(lvl.m / lvl.u), 2)
            assert 0 < lvl.m < 1 and 0 < lvl.u < 1
        result = comparison.compare(prepare(far), prepare(near))
        assert result.level != "missing", comparison.field
    agree = [c.weight for c in compare(prepare(BASE), prepare(BASE))]
    assert all(w >= 0 for w in agree) and sum(agree) > 40


def test_descriptions_name_the_rule_not_the_values() -> None:
    results = compare(prepare(person(last="KOWALSKY")), prepare(BASE))
    surname = next(c for c in results if c.field == "surname")
    assert surname.description == "surname: Jaro-Winkler ≥ 0.92"
    for c in results:
        assert "KOWAL" not in c.description and "5678" not in c.description


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("ssn", {"ssn": ""}),
        ("ssn", {"ssn": "999-99-9999"}),
        ("birth_date", {"birth_date": None}),
        ("gender", {"gender": ""}),
        ("gender", {"gender": "U"}),
        ("given_name", {"first": "MAN OF THE HOUSE"}),
        ("given_name", {"first": "NFN"}),
        ("surname", {"last": "UNKNOWN"}),
        ("address", {"address_line1": "", "postal_code": ""}),
        ("subscriber_number", {"subscriber_numbers": ()}),
        ("relationship", {"relationship": ""}),
    ],
)
def test_missing_on_either_side_weighs_nothing(field: str, changes: dict[str, object]) -> None:
    """Missing is not disagreement: absent, a placeholder or a filler weighs 0, either way."""
    absent = person(**changes)
    for a, b in ((absent, BASE), (BASE, absent)):
        found = {c.field: c for c in compare(prepare(a), prepare(b))}[field]
        assert (found.level, found.weight) == ("missing", 0.0)


def test_a_missing_zip_compares_the_street_line_alone() -> None:
    assert level("address", person(postal_code="")) == "street"
    assert level("address", person(postal_code="", address_line1="9 Oak Ave")) == "conflict"
    assert level("address", person(postal_code="", address_line1="12 MAPLESTREET")) == "similar"
    assert level("address", person(address_line1="", postal_code="55101"), person(postal_code="")) == "missing"


def test_a_subscriber_number_nobody_holds_weighs_nothing() -> None:
    """Another family's number counts against a candidate only when the enrollee's number
    belongs to a known family; a new or renumbered family's number says nothing."""
    from matching.score import score_candidates

    probe = person(member_id="", subscriber_numbers=("SUB999",))
    (alone,) = score_candidates([probe], [BASE])
    levels = {c.field: c.level for c in alone.comparisons}
    assert levels["subscriber_number"] == "new_number"
    assert abs(alone.score - sum(c.weight for c in alone.comparisons)) < 0.05
    sibling = person(member_id="M2", first="ANNA", subscriber_numbers=("SUB999",))
    scored = {c.member_id: c for c in score_candidates([probe], [BASE, sibling])}
    levels = {c.field: c.level for c in scored["M1"].comparisons}
    assert levels["subscriber_number"] == "other_family"
