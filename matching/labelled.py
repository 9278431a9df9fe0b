"""Labelled evaluation sets: a store the ledger already holds and incoming families.

A `LabelledSet` pairs every stored person and every incoming member transaction
with *who it is* (a person key), so the evaluation can tell a right APPLY from a
wrong one and a new member from a known person created again.

- `synthetic_set(seed, ..., profile)`: seeded households (matching/synthetic.py)
  re-sent as families with the profile's noise (matching/noise.py) — whole families,
  single members, subscriber plus some dependents; enrollments (021), audits (030),
  changes (001, half of them 2100B corrections) — and truly new people who look
  like known ones: newborns and new twins in a known family, new spouses
  (alone or with their family's subscriber), namesakes (same name and birth date,
  another family) and whole new families.
- `febrl_set(name, seed)`: a FEBRL data set converted to two 834s (matching/febrl.py)
  and read back by edi/ with the compiled implementation-guide validator: members it
  rejects (no surname) are neither stored nor decided, as in ingest.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

from edi.records import MemberTransaction
from matching.decisions import KnownPerson
from matching.febrl import labelled_files
from matching.noise import (
    TODAY,
    NoiseProfile,
    Vocabulary,
    apply_family,
    corrupt,
    family_noise,
)
from matching.person import transaction_person
from matching.synthetic import FEMALE, MALE, OldValues, Roster, transaction_for
from matching.x834 import families, read_members


@dataclass(frozen=True, slots=True)
class Member:
    """One incoming member transaction and the truth about it."""

    tx: MemberTransaction
    person: str
    """Who it is: the person key it shares with its stored copy (if any)."""
    kind: str
    """enroll / audit / change / correction for known people; newborn, new_twin,
    new_spouse, namesake, stranger for new ones; 'febrl' for the public sets."""
    new: bool = False
    """Generated as a person the store does not hold (FEBRL: decided at run time)."""


@dataclass(frozen=True, slots=True)
class LabelledSet:
    name: str
    store: tuple[tuple[KnownPerson, str], ...]
    """Stored people (member ids set) and who each is."""
    incoming: tuple[tuple[Member, ...], ...]
    """Families in arrival order; each as ingest groups them."""
    rejected: int = 0
    """Incoming members the implementation guide rejects (never decided, as in ingest)."""


# ---------------------------------------------------------------- synthetic and hard


def vocabulary(roster: Roster) -> Vocabulary:
    """Replacement values drawn from `roster`'s generators."""
    return Vocabulary(
        surname=roster.surname,
        given=roster.given,
        ssn=roster.ssn,
        address=roster.address,
        subscriber_number=lambda: roster.next_id("S"),
    )


def _shape(rng: random.Random, household: list[KnownPerson]) -> tuple[list[KnownPerson], str]:
    """Which members of a known family are sent, and as what."""
    r = rng.random()
    if r < 0.35 or len(household) == 1:
        return list(household), "audit" if rng.random() < 0.2 else "enroll"
    if r < 0.70:
        return [rng.choice(household)], "enroll"
    if r < 0.85:
        return [rng.choice(household)], "change"
    dependents = [p for p in household[1:] if rng.random() < 0.5]
    return [household[0], *dependents], "enroll"


def _known(
    rng: random.Random,
    profile: NoiseProfile,
    vocab: Vocabulary,
    roster: Roster,
    household: list[KnownPerson],
    sent: list[KnownPerson],
    kind: str,
    shared: dict[str, object],
) -> list[Member]:
    out = []
    for p in sent:
        c = corrupt(rng, profile, p, household, vocab)
        o = {**shared, **c.overrides}
        k = kind
        if kind == "audit":
            o["maintenance"], o["coverages"] = "030", ("030",)
        elif kind == "change":
            o["maintenance"], o["coverages"] = "001", ()
            if rng.random() < 0.5:
                # a correction: 2100A new values, 2100B the values the ledger still has
                o["old"] = OldValues(last=p.last, first=p.first, birth_date=p.birth_date)
                o["last"] = roster.surname() if rng.random() < 0.5 else o["last"]
                k = "correction"
        out.append(Member(transaction_for(p, **o), p.member_id, k))
    return out


NEW_KINDS = ("newborn", "newborn", "new_twin", "new_spouse", "namesake", "stranger")


def _new_person(
    rng: random.Random, roster: Roster, household: list[KnownPerson], kind: str
) -> list[tuple[KnownPerson, str]]:
    """New people who resemble `household` (or nobody: a whole new family)."""
    sub = household[0]
    used = {p.first for p in household}
    gender = rng.choice("MF")
    first = rng.choice([n for n in (MALE if gender == "M" else FEMALE) if n not in used])
    if kind == "stranger":
        return [(p, "stranger") for p in roster.family()]
    if kind == "namesake":
        twin = rng.choice(household)
        line, zip5 = roster.address()
        person = replace(
            twin,
            member_id=roster.next_id("N"),
            ssn=roster.ssn() if rng.random() < 0.5 else "",
            subscriber_numbers=(roster.next_id("S"),),
            address_line1=line,
            postal_code=zip5,
            relationship="18",
            birth_sequence=None,
        )
        return [(person, kind)]
    if kind == "new_spouse":
        person = replace(
            sub,
            member_id=roster.next_id("N"),
            relationship="01",
            first=first,
            gender=gender,
            birth_date=roster.birth_date(22, 64),
            ssn=roster.ssn() if rng.random() < 0.8 else "",
        )
        return [(person, kind)]
    children = [p for p in household if p.relationship == "19"]
    twin_dob = rng.choice(children).birth_date if children else None
    if kind == "new_twin" and twin_dob is not None:
        dob = twin_dob
    else:
        kind, dob = "newborn", TODAY - dt.timedelta(days=rng.randint(1, 300))
    person = replace(
        sub,
        member_id=roster.next_id("N"),
        relationship="19",
        first=first,
        gender=gender,
        birth_date=dob,
        ssn="",
        birth_sequence=len(children) + 1 if rng.random() < 0.5 else None,
    )
    return [(person, kind)]


def synthetic_set(
    seed: int, families_: int, matches: int, new: int, profile: NoiseProfile
) -> LabelledSet:
    """A seeded roster and exactly `matches` known and `new` new incoming members."""
    rng = random.Random(seed * 7919 + 1)
    roster = Roster(seed)
    households = [roster.family() for _ in range(families_)]
    store = tuple((p, p.member_id) for h in households for p in h)
    vocab = vocabulary(roster)
    incoming: list[tuple[Member, ...]] = []
    m_left, n_left = matches, new
    while m_left or n_left:
        household = rng.choice(households)
        shared = apply_family(family_noise(rng, profile), vocab)
        members: list[Member] = []
        if rng.random() < n_left / (m_left + n_left):
            kind = rng.choice(NEW_KINDS)
            people = _new_person(rng, roster, household, kind)
            if kind in ("stranger", "namesake"):
                shared = {k: v for k, v in shared.items() if k != "subscriber_number"}
            elif rng.random() < 0.5 and m_left:
                members += _known(rng, profile, vocab, roster, household, [household[0]],
                                  "enroll", shared)  # fmt: skip
            members += [
                Member(transaction_for(p, **shared), p.member_id, k, new=True) for p, k in people
            ]
        else:
            sent, kind = _shape(rng, household)
            members = _known(rng, profile, vocab, roster, household, sent, kind, shared)
        kept: list[Member] = []
        for m in members:
            if m.new and n_left:
                n_left -= 1
                kept.append(m)
            elif not m.new and m_left:
                m_left -= 1
                kept.append(m)
        incoming.extend(_grouped(kept))
    return LabelledSet(profile.name, store, tuple(incoming))


def _grouped(members: list[Member]) -> Iterator[tuple[Member, ...]]:
    by_tx = {id(m.tx): m for m in members}
    for family in families([m.tx for m in members]):
        yield tuple(by_tx[id(tx)] for tx in family)


# ---------------------------------------------------------------- FEBRL


def febrl_set(name: str, seed: int, absent: float = 0.1) -> LabelledSet:
    """A FEBRL set: the store file's members as stored people, the incoming file's as
    families of one (both read back from 834 text by edi/)."""
    files = labelled_files(name, seed, absent)
    stored = read_members(files.store)
    incoming = read_members(files.incoming)
    if len(stored) != len(files.store_people) or len(incoming) != len(files.incoming_people):
        raise AssertionError("the 834 reader did not return one member per loop written")
    store = tuple(
        (replace(transaction_person(tx), member_id=f"F{i:07d}"), who)
        for i, (tx, who) in enumerate(zip(stored, files.store_people, strict=True), 1)
        if not tx.rejected
    )
    members = [
        Member(tx, who, "febrl")
        for tx, who in zip(incoming, files.incoming_people, strict=True)
        if not tx.rejected
    ]
    rejected = sum(tx.rejected for tx in incoming)
    return LabelledSet(name, store, tuple(_grouped(members)), rejected)
