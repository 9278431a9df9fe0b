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
- ``ssn4_name``       last four SSN digits | Soundex(surname) | Soundex(given root)
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import jellyfish

from edi.records import MemberTransaction
from matching.decisions import BlockingKey, KnownPerson
from matching.normalize import (
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
    "ssn4_dob",
    "dob_surname",
    "dob_given",
    "name_year",
    "medicare",
    "address",
    "address_given",
    "ssn4_name",
)


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
    return _keys(person, dobs=dobs, swap_names=False)


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
        if len(_RECENT_OWN) >= _RECENT_MAX:
            del _RECENT_OWN[next(iter(_RECENT_OWN))]
        _RECENT_OWN[_key_fields(person)] = list(dict.fromkeys(own))
        return keys
    keys = []
    for person in people:
        keys.extend(_keys(person, dobs=_dob_variants(person.birth_date), swap_names=True))
    return list(dict.fromkeys(keys))
