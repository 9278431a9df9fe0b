"""Blocking keys: the cheap, indexable values that select candidates for comparison.

The ledger stores `person_keys(p)` for every person in an indexed table and
answers `CandidateSource.candidates(transaction_keys(tx))` with everyone who
shares at least one key. A key is `(kind, value)`; values are normalised so
that equal keys mean "worth comparing", never "the same person". Keys are
deliberately redundant (SSN, family, DOB + surname sound, DOB +
given-name root, name + birth year, Medicare id, address + birth year) so a
typo in any one field still leaves the true person reachable through
another. Each key selects a small block, so cost does not grow with the
roster.

Kinds and values (values are PHI: they live only in the ledger's index):

- ``subscriber``      REF*0F subscriber number: the whole family
- ``ssn``             nine digits (placeholders give no key)
- ``ssn4_dob``        last four SSN digits | birth date
- ``dob_surname``     birth date | Soundex(surname)
- ``dob_given``       birth date | Soundex of the given name and of each root it is short for
- ``name_year``       Soundex(surname) | Soundex(given root) | birth year
- ``medicare``        REF*F6 Medicare id (HIC/MBI)
- ``address``         normalised street line | ZIP5 | birth year
- ``address_given``   normalised street line | ZIP5 | Soundex(given name or root)
- ``street_year``     normalised street line | birth year (no ZIP needed)
- ``ssn4_name``       last four SSN digits | Soundex(surname) | Soundex(given root)

The *wider search* (`wide_keys`), looked up only before a NEW decision (these
blocks grow with the roster, so every decision does not pay for them):

- ``ssn_part``        the SSN with one third masked (``___456789``, ``123___789``,
                      ``123456___``): one keyed digit leaves two thirds intact
- ``sur3_year``       first three letters of the surname | given initial | birth year
                      (a typo that changes a Soundex code after the third letter)
- ``dob``             birth date alone
- ``name``            Soundex(surname) | Soundex(given root), no date
- ``surname_md``      Soundex(surname) | month-day of birth (a year mistyped)
- ``given_md``        Soundex(given root) | month-day of birth
- ``given_ym``        Soundex(given root) | year-month of birth (a day mistyped)
- ``given_yd``        Soundex(given root) | year and day of birth (a month mistyped
                      beside a surname changed or left out)
- ``given_tail``      Soundex(surname) | the given name without its first letter (a
                      first-letter typo: JESSICA/TESSICA; every Soundex keeps the first)
- ``street``          house number | first four letters of the street (spaces ignored)
- ``sur3_given``      first three letters of the surname | Soundex(given root), no date (a
                      birth date left out beside a surname typo after the third letter,
                      or a second surname joined on: SMITHCASTRO for SMITH); looked up
                      only for an enrollee sent without a birth date
- ``surname_tail``    the surname without its first letter | birth year (a first-letter
                      typo of the surname: OMITH for SMITH, beside a mistyped month)
- ``surname_letters`` the surname's letters in alphabetical order | birth year (two
                      letters transposed: GACRIA for GARCIA, beside a given-name typo)

A look-up also tries the SSN with the digits on either side of a masked third
transposed (the one keyed error the masks miss; exact SSNs, so in the first
search), the 2100B OLD values, the given/surname swap and the birth date with
day and month transposed.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import jellyfish

from edi.records import MemberTransaction
from matching.decisions import BlockingKey, KnownPerson
from matching.normalize import (
    compact_name,
    name_roots,
    normalize_address,
    normalize_id,
    normalize_ssn,
    postal5,
    soundex,
    surname_key,
)
from matching.person import prior_person, transaction_person

KEY_KINDS = (
    "subscriber",
    "ssn",
    "ssn_part",
    "ssn4_dob",
    "dob_surname",
    "dob_given",
    "name_year",
    "sur3_year",
    "medicare",
    "address",
    "address_given",
    "street_year",
    "ssn4_name",
    "dob",
    "name",
    "surname_md",
    "given_md",
    "given_ym",
    "given_yd",
    "given_tail",
    "street",
    "sur3_given",
    "surname_tail",
    "surname_letters",
)
WIDE_KINDS = (
    "ssn_part", "sur3_year", "dob", "name", "surname_md", "given_md", "given_ym", "given_yd",
    "given_tail", "street", "sur3_given", "surname_tail", "surname_letters",
)
"""Kinds looked up only by the wider search before a NEW decision (`wide_keys`)."""


@lru_cache(maxsize=65536)
def _given_sounds(first: str) -> tuple[str, ...]:
    return tuple(sorted({jellyfish.soundex(name) for name in name_roots(first)}))


def _keys(
    person: KnownPerson,
    *,
    dobs: list[dt.date],
    swap_names: bool,
    own: list[BlockingKey] | None = None,
) -> list[BlockingKey]:
    """The keys of `person` for each birth date in `dobs` (and the given/surname swap).

    With `own`, the keys `person_keys(person)` gives (first birth date, names as
    they are) are also appended to it, in its order: a lookup works them out anyway.
    """
    keys: list[BlockingKey] = []
    add = keys.append
    mine = own.append if own is not None else None
    for number in person.subscriber_numbers:
        sub = normalize_id(number)
        if sub:
            add(("subscriber", sub))
    ssn = normalize_ssn(person.ssn)
    if ssn:
        add(("ssn", ssn))
    if own is not None:
        own.extend(keys)
    if ssn and swap_names:
        # a look-up (only look-ups try swaps): transpositions across a masked third's edge
        for i in (2, 5):
            if ssn[i] != ssn[i + 1]:
                add(("ssn", ssn[:i] + ssn[i + 1] + ssn[i] + ssn[i + 2 :]))
    # per name pair: the surname's Soundex (None when there is no usable surname)
    # and the given name's sounds, worked out once for every key that uses them
    pairs = [(person.last, person.first)]
    if swap_names:
        pairs.append((person.first, person.last))
    names = [
        (soundex(last) if surname_key(last) else None, _given_sounds(first))
        for last, first in pairs
    ]
    for d, dob in enumerate(dobs):
        iso = dob.isoformat()
        if ssn:
            add(key := ("ssn4_dob", f"{ssn[5:]}|{iso}"))
            if mine is not None and d == 0:
                mine(key)
        for n, (surname, sounds) in enumerate(names):
            if surname is not None:
                add(key := ("dob_surname", f"{iso}|{surname}"))
                if mine is not None and d == 0 and n == 0:
                    mine(key)
            for sound in sounds:
                add(key := ("dob_given", f"{iso}|{sound}"))
                if mine is not None and d == 0 and n == 0:
                    mine(key)
    years = sorted({d.year for d in dobs})
    first_year = dobs[0].year if dobs else None
    for year in years:
        for n, (surname, sounds) in enumerate(names):
            if surname is not None:
                for sound in sounds:
                    add(key := ("name_year", f"{surname}|{sound}|{year}"))
                    if mine is not None and n == 0 and year == first_year:
                        mine(key)
    medicare = normalize_id(person.medicare_id) if person.medicare_id else ""
    if medicare:
        add(key := ("medicare", medicare))
        if mine is not None:
            mine(key)
    street, zip5 = normalize_address(person.address_line1), postal5(person.postal_code)
    if street:
        for year in years:
            add(key := ("street_year", f"{street}|{year}"))
            if mine is not None and year == first_year:
                mine(key)
    if street and zip5:
        for year in years:
            add(key := ("address", f"{street}|{zip5}|{year}"))
            if mine is not None and year == first_year:
                mine(key)
        for n, (_, sounds) in enumerate(names):
            for sound in sounds:
                add(key := ("address_given", f"{street}|{zip5}|{sound}"))
                if mine is not None and n == 0:
                    mine(key)
    if ssn:
        for n, (surname, sounds) in enumerate(names):
            if surname is not None:
                for sound in sounds:
                    add(key := ("ssn4_name", f"{ssn[5:]}|{surname}|{sound}"))
                    if mine is not None and n == 0:
                        mine(key)
    return list(dict.fromkeys(keys))


def _sur3(last: str) -> str:
    name = surname_key(last)
    return name[:3] if len(name) >= 2 else ""


def _initial(first: str) -> str:
    return compact_name(first)[:1]


def _wide(person: KnownPerson, *, dobs: list[dt.date], swap_names: bool) -> list[BlockingKey]:
    """The wider search's keys (see the module docstring)."""
    keys: list[BlockingKey] = [("dob", d.isoformat()) for d in dobs]
    ssn = normalize_ssn(person.ssn)
    if ssn:
        keys.extend(("ssn_part", f"{ssn[:i]}___{ssn[i + 3 :]}") for i in (0, 3, 6))
    pairs = [(person.last, person.first)]
    if swap_names:
        pairs.append((person.first, person.last))
    years = sorted({d.year for d in dobs})
    for last, first in pairs:
        sur3, initial = _sur3(last), _initial(first)
        if sur3 and initial:
            keys.extend(("sur3_year", f"{sur3}|{initial}|{year}") for year in years)
        if sur3 and (not swap_names or not dobs):
            # stored for everyone, looked up (swaps: a look-up) only without a birth date:
            # its blocks grow with the roster, and with a date the date keys reach further
            keys.extend(("sur3_given", f"{sur3}|{sound}") for sound in _given_sounds(first))
        surname = surname_key(last)
        if len(surname) >= 4:
            tail, letters = surname[1:], "".join(sorted(surname))
            keys.extend(("surname_tail", f"{tail}|{year}") for year in years)
            keys.extend(("surname_letters", f"{letters}|{year}") for year in years)
    days = sorted({f"{d.month:02d}-{d.day:02d}" for d in dobs})
    months = sorted({f"{d.year}-{d.month:02d}" for d in dobs})
    year_days = sorted({f"{d.year}-{d.day:02d}" for d in dobs})
    for last, first in pairs:
        sounds = _given_sounds(first)
        if surname_key(last):
            surname = soundex(last)
            keys.extend(("name", f"{surname}|{sound}") for sound in sounds)
            keys.extend(("surname_md", f"{surname}|{day}") for day in days)
            tail = compact_name(first)[1:]
            if len(tail) >= 3:
                keys.append(("given_tail", f"{surname}|{tail}"))
        keys.extend(("given_md", f"{sound}|{day}") for sound in sounds for day in days)
        keys.extend(("given_ym", f"{sound}|{ym}") for sound in sounds for ym in months)
        keys.extend(("given_yd", f"{sound}|{yd}") for sound in sounds for yd in year_days)
    street = _street_key(person.address_line1)
    if street:
        keys.append(("street", street))
    return keys


def _street_key(line1: str) -> str:
    """House number | the street's first four letters, spaces ignored ('' without both)."""
    words = normalize_address(line1).split()
    if len(words) < 2 or not words[0].isdigit():
        return ""
    letters = "".join(c for c in "".join(words[1:]) if c.isalpha())
    return f"{words[0]}|{letters[:4]}" if len(letters) >= 3 else ""


_KeyFields = tuple[object, ...]
_RECENT_OWN: dict[_KeyFields, list[BlockingKey]] = {}
"""person_keys of the last people looked up (see `lookup_keys`), by `_key_fields`."""
_RECENT_MAX = 256


def _key_fields(person: KnownPerson) -> _KeyFields:
    """Everything `_keys` reads of a person: equal fields, equal keys."""
    return (
        person.subscriber_numbers, person.relationship, person.ssn, person.last, person.first,
        person.birth_date, person.medicare_id, person.address_line1, person.postal_code,
    )  # fmt: skip


def person_keys(person: KnownPerson) -> list[BlockingKey]:
    """The keys the ledger indexes for a person (current values; no duplicates)."""
    if _RECENT_OWN:
        known = _RECENT_OWN.get(_key_fields(person))
        if known is not None:
            return list(known)
    dobs = [person.birth_date] if person.birth_date else []
    keys = _keys(person, dobs=dobs, swap_names=False)
    keys += _wide(person, dobs=dobs, swap_names=False)
    return list(dict.fromkeys(keys))


def _dob_variants(dob: dt.date | None) -> list[dt.date]:
    if dob is None:
        return []
    variants = [dob]
    if dob.day <= 12 and dob.day != dob.month:
        # day <= 12 is a valid month and any month is a valid day: no ValueError.
        variants.append(dob.replace(month=dob.day, day=dob.month))
    return variants


def transaction_keys(tx: MemberTransaction) -> list[BlockingKey]:
    """The keys to look a transaction's enrollee up by (no duplicates).

    Besides the 2100A values: the OLD values of a 2100B correction, the
    given/surname swap, and the birth date with day and month transposed, so
    that the people these errors point at are among the candidates.
    """
    people = [transaction_person(tx)]
    prior = prior_person(tx, people[0])
    if prior is not None:
        people.append(prior)
    return lookup_keys(people)


def lookup_keys(people: list[KnownPerson]) -> list[BlockingKey]:
    """`transaction_keys` for the enrollee already built: the 2100A person first,
    then the 2100B prior values (if any)."""
    if len(people) == 1:
        # an enrollee looked up is often registered as a new member next: its
        # own keys come out of the same pass and are kept for `person_keys`
        person = people[0]
        own: list[BlockingKey] = []
        keys = _keys(person, dobs=_dob_variants(person.birth_date), swap_names=True, own=own)
        dob = [person.birth_date] if person.birth_date else []
        own += _wide(person, dobs=dob, swap_names=False)
        if len(_RECENT_OWN) >= _RECENT_MAX:
            del _RECENT_OWN[next(iter(_RECENT_OWN))]
        _RECENT_OWN[_key_fields(person)] = list(dict.fromkeys(own))
        return keys
    keys = []
    for person in people:
        keys.extend(_keys(person, dobs=_dob_variants(person.birth_date), swap_names=True))
    return list(dict.fromkeys(keys))


def wide_keys(people: list[KnownPerson]) -> list[BlockingKey]:
    """The wider search's keys for an enrollee (2100A and 2100B values, swaps and
    transposed birth dates included), looked up before a NEW decision."""
    keys: list[BlockingKey] = []
    for person in people:
        keys.extend(_wide(person, dobs=_dob_variants(person.birth_date), swap_names=True))
    return list(dict.fromkeys(keys))
