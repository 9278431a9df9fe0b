"""Field comparisons, declared like splink's: each field has ordered levels with m/u probabilities.

A `Comparison` names a field and lists its `Level`s from most to least
similar. Comparing two people picks the first level whose test holds and
yields a `FieldComparison` carrying the level name, its Fellegi–Sunter
weight log2(m/u) and a fixed description ("surname: Jaro-Winkler ≥ 0.92").
A field missing on either side (absent, or a placeholder) scores the
'missing' level with weight 0: it neither helps nor hurts.

m is P(level | same person), u is P(level | different people among the
candidates blocking brings together); the values are stated in `COMPARISONS`
and justified in matching/README.md. Descriptions never contain values.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from matching.decisions import FieldComparison, KnownPerson
from matching.normalize import (
    common_nickname_links,
    compact_name,
    nickname_links,
    nickname_related,
    normalize_address,
    normalize_id,
    normalize_ssn,
    postal5,
    relationship_group,
)


@dataclass(frozen=True, slots=True)
class Stored:
    """What `levels.apart` reads of a person (SSN, birth date, street, ZIP, family and
    Medicare id), normalised exactly as `prepare` does, from a person's stored values:
    the wider search's people are ruled out from these before anybody builds them."""

    ssn: str
    birth_date: dt.date | None
    birth_digits: str
    """The birth date as YYYYMMDD ('' when missing): what one keyed digit changes."""
    street: str
    street_number: str
    """The house number (the street line's first word when it is digits)."""
    street_letters: str
    """The street line's letters without spaces (POYNTON ST = POYNTONST)."""
    postal: str
    subscriber_numbers: frozenset[str]
    medicare_id: str


@dataclass(frozen=True, slots=True)
class Prepared(Stored):
    """A person's fields normalised once for comparison ('' / None = missing): the
    `Stored` fields and the rest."""

    last: str
    first: str
    first_links: frozenset[str]
    """The given name, its roots and nicknames (see normalize.nickname_links)."""
    first_common: frozenset[str]
    """Direct links in the project's own table of common nicknames (BILL-WILLIAM)."""
    first_shared: frozenset[str]
    """Nicknames of one root in the project's own table (WILLIE-LIAM: both WILLIAM)."""
    gender: str
    relationship: str
    birth_sequence: int | None
    last_again: str
    """`compact_name(last)`: what `nickname_related` reads of the surname (name swaps)."""
    last_again_links: frozenset[str]
    """`nickname_links(last_again)`."""
    first_again: str
    """`compact_name(first)`: what `nickname_related` reads of the given name."""
    first_again_links: frozenset[str]
    """`nickname_links(first_again)`."""


def birth_digits(birth_date: dt.date | None) -> str:
    """`birth_date.strftime("%Y%m%d")` ('' for None): the ISO text without its hyphens
    costs a fifth of strftime, and is the same text from the year 1000 on (strftime does
    not pad a shorter year)."""
    if birth_date is None:
        return ""
    if birth_date.year >= 1000:
        return birth_date.isoformat().replace("-", "")
    return birth_date.strftime("%Y%m%d")


def _street_parts(line1: str) -> tuple[str, str, str]:
    """(street, house number, street letters) of a street line, as `Prepared` holds them."""
    street = normalize_address(line1)
    number = street.split(" ", 1)[0] if street[:1].isdigit() else ""
    return street, number, "".join(c for c in street if c.isalpha())


def _family(numbers: Iterable[str]) -> frozenset[str]:
    return frozenset(n for n in (normalize_id(s) for s in numbers) if n)


def stored(
    ssn: str, birth_date: dt.date | None, subscriber_numbers: Iterable[str], medicare_id: str,
    address_line1: str, postal_code: str,
) -> Stored:
    """The `Stored` form of a person's values (the `KnownPerson` fields of the same names)."""
    street, number, letters = _street_parts(address_line1)
    return Stored(
        ssn=normalize_ssn(ssn), birth_date=birth_date, birth_digits=birth_digits(birth_date),
        street=street, street_number=number, street_letters=letters,
        postal=postal5(postal_code), subscriber_numbers=_family(subscriber_numbers),
        medicare_id=normalize_id(medicare_id),
    )  # fmt: skip


def prepare(person: KnownPerson) -> Prepared:
    """Normalise a person for comparison (placeholders become missing)."""
    gender = person.gender.strip().upper()
    last, first = compact_name(person.last), compact_name(person.first)
    last_again, first_again = compact_name(last), compact_name(first)
    street, number, letters = _street_parts(person.address_line1)
    return Prepared(
        ssn=normalize_ssn(person.ssn),
        last=last,
        first=first,
        first_links=nickname_links(person.first),
        first_common=common_nickname_links(person.first, shared_roots=False),
        first_shared=common_nickname_links(person.first),
        birth_date=person.birth_date,
        birth_digits=birth_digits(person.birth_date),
        gender=gender if gender in ("M", "F") else "",
        relationship=relationship_group(person.relationship),
        birth_sequence=person.birth_sequence or None,
        street=street,
        street_number=number,
        street_letters=letters,
        postal=postal5(person.postal_code),
        subscriber_numbers=_family(person.subscriber_numbers),
        medicare_id=normalize_id(person.medicare_id),
        last_again=last_again,
        last_again_links=nickname_links(last_again),
        first_again=first_again,
        first_again_links=nickname_links(first_again),
    )


Test = Callable[[Prepared, Prepared], bool]


@dataclass(frozen=True, slots=True)
class Level:
    """One similarity level of a field: a test, m and u, and a value-free description."""

    name: str
    description: str
    m: float
    u: float
    test: Test

    @property
    def weight(self) -> float:
        """Fellegi–Sunter match weight log2(m/u), rounded to 0.01."""
        return round(math.log2(self.m / self.u), 2)


@dataclass(frozen=True, slots=True)
class Comparison:
    """A field and its levels, most similar first; the last level should always hold."""

    field: str
    present: Test
    levels: tuple[Level, ...]

    def compare(self, a: Prepared, b: Prepared) -> FieldComparison:
        """The first level that holds for (a, b), or 'missing' (weight 0)."""
        if not self.present(a, b):
            return FieldComparison(self.field, "missing", 0.0, f"{self.field}: missing on one side")
        for level in self.levels:
            if level.test(a, b):
                return FieldComparison(self.field, level.name, level.weight, level.description)
        raise AssertionError(f"comparison {self.field} has no catch-all level")


def _always(a: Prepared, b: Prepared) -> bool:
    return True


def _one_edit(x: str, y: str) -> bool:
    """Equal length and one substitution or one adjacent transposition apart."""
    return len(x) == len(y) and DamerauLevenshtein.distance(x, y) == 1


def _jw(x: str, y: str) -> float:
    return JaroWinkler.similarity(x, y)


# ---------------------------------------------------------------- SSN


def _ssn_exact(a: Prepared, b: Prepared) -> bool:
    return a.ssn == b.ssn


def _ssn_one_edit(a: Prepared, b: Prepared) -> bool:
    return _one_edit(a.ssn, b.ssn)


SSN = Comparison(
    "ssn",
    present=lambda a, b: bool(a.ssn and b.ssn),
    levels=(
        Level("exact", "ssn: identical", 0.95, 1e-5, _ssn_exact),
        Level(
            "one_edit",
            "ssn: one digit differs or two adjacent digits transposed",
            0.03,
            1e-4,
            _ssn_one_edit,
        ),
        Level("conflict", "ssn: different", 0.02, 0.9999, _always),
    ),
)

# ---------------------------------------------------------------- birth date


def _dob_exact(a: Prepared, b: Prepared) -> bool:
    return a.birth_date == b.birth_date


def _dob_swapped(a: Prepared, b: Prepared) -> bool:
    x, y = a.birth_date, b.birth_date
    assert x is not None and y is not None
    return x.year == y.year and x.month == y.day and x.day == y.month


def _dob_one_edit(a: Prepared, b: Prepared) -> bool:
    return _one_edit(a.birth_digits, b.birth_digits)


BIRTH_DATE = Comparison(
    "birth_date",
    present=lambda a, b: a.birth_date is not None and b.birth_date is not None,
    levels=(
        Level("exact", "birth date: identical", 0.94, 1e-3, _dob_exact),
        Level(
            "day_month_swapped", "birth date: day and month transposed", 0.01, 1e-4, _dob_swapped
        ),
        Level(
            "one_edit",
            "birth date: one digit differs or two adjacent digits transposed",
            0.03,
            8e-4,
            _dob_one_edit,
        ),
        Level("conflict", "birth date: different", 0.02, 0.998, _always),
    ),
)

# ---------------------------------------------------------------- names


def _close(x: str, y: str) -> bool:
    """The same name allowing a nickname, a close spelling (Jaro-Winkler ≥ 0.85: both
    names must match crosswise) or one part of a double name."""
    if not x or not y:
        return False
    if x == y or _jw(x, y) >= 0.85 or nickname_related(x, y):
        return True
    short, long_ = sorted((x, y), key=len)
    return len(short) >= 3 and (long_.startswith(short) or long_.endswith(short))


def _swapped(a: Prepared, b: Prepared) -> bool:
    """Given name and surname swapped (each allowing a nickname or a close spelling)."""
    return (
        bool(a.first and b.first)
        and a.last != b.last
        and _close(a.last, b.first)
        and _close(a.first, b.last)
    )


def _last_exact(a: Prepared, b: Prepared) -> bool:
    return a.last == b.last


def _last_part(a: Prepared, b: Prepared) -> bool:
    """One surname is a whole part of the other (hyphenated or double surnames)."""
    short, long_ = sorted((a.last, b.last), key=len)
    return len(short) >= 3 and (long_.startswith(short) or long_.endswith(short))


def _single_letter(x: str, y: str) -> bool:
    """One side is a single letter: an initial or a filler, which says nothing."""
    return len(x) == 1 or len(y) == 1


def _last_initial(a: Prepared, b: Prepared) -> bool:
    return _single_letter(a.last, b.last)


def _last_jw(threshold: float) -> Test:
    return lambda a, b: _jw(a.last, b.last) >= threshold


SURNAME = Comparison(
    "surname",
    present=lambda a, b: bool(a.last and b.last),
    levels=(
        Level(
            "initial", "surname: a single letter on one side (weighs nothing)", 0.005, 0.005,
            _last_initial,
        ),
        Level("exact", "surname: identical", 0.86, 0.02, _last_exact),
        Level(
            "swapped", "surname: matches the other given name (names swapped)", 0.01, 2e-4, _swapped
        ),
        Level(
            "part", "surname: one is part of the other (double surname)", 0.02, 0.002, _last_part
        ),
        Level("jw_0.92", "surname: Jaro-Winkler ≥ 0.92", 0.06, 0.01, _last_jw(0.92)),
        Level("jw_0.80", "surname: Jaro-Winkler ≥ 0.80", 0.01, 0.04, _last_jw(0.80)),
        Level("conflict", "surname: different", 0.04, 0.928, _always),
    ),
)


def _first_exact(a: Prepared, b: Prepared) -> bool:
    return a.first == b.first


def _first_nickname(a: Prepared, b: Prepared) -> bool:
    return b.first in a.first_common


def _first_shared(a: Prepared, b: Prepared) -> bool:
    return b.first in a.first_shared


def _first_listed(a: Prepared, b: Prepared) -> bool:
    return b.first in a.first_links


def _first_jw(threshold: float) -> Test:
    return lambda a, b: _jw(a.first, b.first) >= threshold


def _first_close(a: Prepared, b: Prepared) -> bool:
    """One edit apart (a first letter mistyped too) or Jaro-Winkler ≥ 0.80."""
    return DamerauLevenshtein.distance(a.first, b.first) <= 1 or _jw(a.first, b.first) >= 0.80


def _first_initial(a: Prepared, b: Prepared) -> bool:
    return _single_letter(a.first, b.first)


GIVEN_NAME = Comparison(
    "given_name",
    present=lambda a, b: bool(a.first and b.first),
    levels=(
        Level(
            "initial", "given name: a single letter on one side (weighs nothing)", 0.01, 0.01,
            _first_initial,
        ),
        Level("exact", "given name: identical", 0.86, 0.01, _first_exact),
        Level(
            "swapped", "given name: matches the other surname (names swapped)", 0.01, 2e-4, _swapped
        ),
        Level("nickname", "given name: a common nickname of the other", 0.05, 0.003, _first_nickname),
        Level(
            "nickname_shared",
            "given name: both common nicknames of one name",
            0.01, 0.002, _first_shared,
        ),  # fmt: skip
        Level(
            "nickname_listed",
            "given name: listed as a nickname of the other in the public table",
            0.02, 0.004, _first_listed,
        ),  # fmt: skip
        Level("jw_0.92", "given name: Jaro-Winkler ≥ 0.92", 0.04, 0.01, _first_jw(0.92)),
        Level("close", "given name: one edit apart or Jaro-Winkler ≥ 0.80", 0.02, 0.04, _first_close),
        Level("conflict", "given name: different", 0.03, 0.967, _always),
    ),
)

# ---------------------------------------------------------------- other fields

GENDER = Comparison(
    "gender",
    present=lambda a, b: bool(a.gender and b.gender),
    levels=(
        Level("agree", "gender: agrees", 0.98, 0.5, lambda a, b: a.gender == b.gender),
        Level("conflict", "gender: differs", 0.02, 0.5, _always),
    ),
)

RELATIONSHIP = Comparison(
    "relationship",
    present=lambda a, b: bool(a.relationship and b.relationship),
    levels=(
        Level(
            "agree",
            "relationship: same place in the family (self/spouse/dependent)",
            0.97,
            0.6,
            lambda a, b: a.relationship == b.relationship,
        ),
        Level("conflict", "relationship: different place in the family", 0.03, 0.4, _always),
    ),
)

BIRTH_SEQUENCE = Comparison(
    "birth_sequence",
    present=lambda a, b: a.birth_sequence is not None and b.birth_sequence is not None,
    levels=(
        Level(
            "agree",
            "birth sequence (INS17): same",
            0.95,
            0.3,
            lambda a, b: a.birth_sequence == b.birth_sequence,
        ),
        Level("conflict", "birth sequence (INS17): different", 0.05, 0.7, _always),
    ),
)

def _street_similar(a: Stored, b: Stored) -> bool:
    """The same street name spelt alike (spaces ignored), the same or no house number."""
    if a.postal and b.postal and a.postal != b.postal:
        return False
    if a.street_number and b.street_number and a.street_number != b.street_number:
        return False
    x, y = a.street_letters, b.street_letters
    return len(x) >= 3 and len(y) >= 3 and _jw(x, y) >= 0.92


def _street_only(a: Prepared, b: Prepared) -> bool:
    """Same street line where the ZIP is missing on one side (or both)."""
    return bool(a.street) and a.street == b.street and not (a.postal and b.postal)


ADDRESS = Comparison(
    "address",
    present=lambda a, b: bool(a.postal and b.postal) or bool(a.street and b.street),
    levels=(
        Level(
            "exact",
            "address: same street line and ZIP",
            0.6,
            0.02,
            lambda a, b: bool(a.street) and a.street == b.street and a.postal == b.postal,
        ),
        Level(
            "street",
            "address: same street line, ZIP missing on one side",
            0.6,
            0.03,
            _street_only,
        ),
        Level(
            "similar",
            "address: street names Jaro-Winkler ≥ 0.92 (spaces ignored), same or no house"
            " number, ZIP the same or missing",
            0.1,
            0.02,
            _street_similar,
        ),
        Level(
            "same_zip",
            "address: same ZIP, other street line",
            0.1,
            0.05,
            lambda a, b: bool(a.postal) and a.postal == b.postal,
        ),
        Level("conflict", "address: different ZIP or street line", 0.3, 0.93, _always),
    ),
)

SUBSCRIBER = Comparison(
    "subscriber_number",
    present=lambda a, b: bool(a.subscriber_numbers and b.subscriber_numbers),
    levels=(
        Level(
            "same_family",
            "subscriber number (REF*0F): same family",
            0.85,
            0.02,
            lambda a, b: bool(a.subscriber_numbers & b.subscriber_numbers),
        ),
        Level("other_family", "subscriber number (REF*0F): other family", 0.15, 0.98, _always),
    ),
)

MEDICARE_ID = Comparison(
    "medicare_id",
    present=lambda a, b: bool(a.medicare_id and b.medicare_id),
    levels=(
        Level(
            "exact",
            "Medicare id: identical",
            0.97,
            1e-6,
            lambda a, b: a.medicare_id == b.medicare_id,
        ),
        Level("conflict", "Medicare id: different", 0.03, 0.999999, _always),
    ),
)

COMPARISONS: tuple[Comparison, ...] = (
    SSN,
    BIRTH_DATE,
    SURNAME,
    GIVEN_NAME,
    GENDER,
    RELATIONSHIP,
    BIRTH_SEQUENCE,
    ADDRESS,
    SUBSCRIBER,
    MEDICARE_ID,
)
"""Every field the matcher weighs, in the order explanations list them."""


def compare(a: Prepared, b: Prepared) -> tuple[FieldComparison, ...]:
    """One FieldComparison per declared field, in `COMPARISONS` order."""
    return tuple(c.compare(a, b) for c in COMPARISONS)


def tf_values(p: Prepared) -> dict[str, str]:
    """The normalised values term frequencies are kept for (surname, given name, birth
    date), by field; '' when missing."""
    return {
        "surname": p.last,
        "given_name": p.first,
        "birth_date": p.birth_date.isoformat() if p.birth_date else "",
    }
