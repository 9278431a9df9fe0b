"""Blocking keys: the cheap, indexable values that select candidates for comparison.

The ledger stores `person_keys(p)` for every person in an indexed table and
answers `CandidateSource.candidates(transaction_keys(tx))` with everyone who
shares at least one key. A key is `(kind, value)`; values are normalised so
that equal keys mean "worth comparing", never "the same person". Keys are
deliberately redundant (SSN, family position, DOB + surname sound, DOB +
given-name root, name + birth year, Medicare id, address + birth year) so a
typo in any one field still leaves the true person reachable through
another. Each key selects a small block, so cost does not grow with the
roster.

Kinds and values (values are PHI: they live only in the ledger's index):

- ``subscriber``      REF*0F subscriber number: the whole family
- ``subscriber_rel``  subscriber number | self/spouse/dependent
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
    compact_name,
    name_roots,
    normalize_address,
    normalize_id,
    normalize_ssn,
    postal5,
    relationship_group,
    soundex,
)
from matching.person import prior_person, transaction_person

KEY_KINDS = (
    "subscriber",
    "subscriber_rel",
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


def _keys(person: KnownPerson, *, dobs: list[dt.date], swap_names: bool) -> list[BlockingKey]:
    keys: list[BlockingKey] = []
    group = relationship_group(person.relationship)
    for number in person.subscriber_numbers:
        sub = normalize_id(number)
        if sub:
            keys.append(("subscriber", sub))
            if group:
                keys.append(("subscriber_rel", f"{sub}|{group}"))
    ssn = normalize_ssn(person.ssn)
    if ssn:
        keys.append(("ssn", ssn))
    name_pairs = [(person.last, person.first)]
    if swap_names:
        name_pairs.append((person.first, person.last))
    for dob in dobs:
        iso = dob.isoformat()
        if ssn:
            keys.append(("ssn4_dob", f"{ssn[5:]}|{iso}"))
        for last, first in name_pairs:
            if compact_name(last):
                keys.append(("dob_surname", f"{iso}|{soundex(last)}"))
            for sound in _given_sounds(first):
                keys.append(("dob_given", f"{iso}|{sound}"))
    years = sorted({d.year for d in dobs})
    for year in years:
        for last, first in name_pairs:
            if compact_name(last):
                for sound in _given_sounds(first):
                    keys.append(("name_year", f"{soundex(last)}|{sound}|{year}"))
    medicare = normalize_id(person.medicare_id)
    if medicare:
        keys.append(("medicare", medicare))
    street, zip5 = normalize_address(person.address_line1), postal5(person.postal_code)
    if street and zip5:
        for year in years:
            keys.append(("address", f"{street}|{zip5}|{year}"))
        for _, first in name_pairs:
            for sound in _given_sounds(first):
                keys.append(("address_given", f"{street}|{zip5}|{sound}"))
    if ssn:
        for last, first in name_pairs:
            if compact_name(last):
                for sound in _given_sounds(first):
                    keys.append(("ssn4_name", f"{ssn[5:]}|{soundex(last)}|{sound}"))
    return list(dict.fromkeys(keys))


def person_keys(person: KnownPerson) -> list[BlockingKey]:
    """The keys the ledger indexes for a person (current values; no duplicates)."""
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
    keys: list[BlockingKey] = []
    people = [transaction_person(tx)]
    prior = prior_person(tx)
    if prior is not None:
        people.append(prior)
    for person in people:
        keys.extend(_keys(person, dobs=_dob_variants(person.birth_date), swap_names=True))
    return list(dict.fromkeys(keys))
