"""How a sender's copy of a known person differs from the ledger's: the evaluation's noise.

A `NoiseProfile` states, for every kind of error seen in real enrollment data, the
share of re-sent people (or families) it hits. `corrupt` applies a profile to one
known person and returns the field values to send plus the kinds applied, so the
evaluation can report how noisy its pairs really were.

Two kinds of noise are told apart:

- *absence*: a value not sent (SSN blank or a placeholder, gender unknown). Drawn
  independently at its rate; never counted as a noisy field.
- *corruption*: a value sent wrong (typos, nicknames, replaced numbers and dates,
  blank or filler names, swapped names). In the `synthetic` profile each field is
  drawn independently; in the `hard` profile the number of corrupted fields is drawn
  first (`noisy_fields`: a fifth of pairs have two or more), then which fields, then
  a kind per field in proportion to its rate.

Family-level kinds (`renumbered`, `moved`, `zip_missing`) hit every member sent for
a family alike. Rates are stated in matching/README.md; they are our estimates of
partner data, not measurements.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from matching.decisions import KnownPerson
from matching.normalize import nicknames_of, normalize_ssn

TODAY = dt.date(2026, 1, 5)

ABSENCE = frozenset({("ssn", "missing"), ("ssn", "placeholder"), ("gender", "unknown")})
"""Kinds that leave a value out rather than send it wrong."""


@dataclass(frozen=True, slots=True)
class NoiseProfile:
    """Rates of every noise kind: per field (person-level) and per family."""

    name: str
    fields: dict[str, dict[str, float]]
    """field → kind → share of re-sent people hit (the field must be present)."""
    family: dict[str, float]
    """'renumbered' (every member sent with a new REF*0F), 'moved', 'zip_missing'."""
    noisy_fields: tuple[float, ...] | None = None
    """P(0, 1, 2, ... corrupted fields) — None: each field drawn independently."""
    hyphenated_ssn: float = 0.03
    """SSNs sent as 123-45-6789 (formatting, not noise)."""
    birth_sequence_dropped: float = 0.3


SYNTHETIC = NoiseProfile(
    name="synthetic",
    fields={
        "ssn": {"missing": 0.05, "placeholder": 0.03, "one_edit": 0.04, "replaced": 0.005},
        "surname": {
            "typo": 0.04, "first_letter_typo": 0.01, "married": 0.03, "double": 0.02,
            "replaced": 0.003, "blank": 0.003, "filler": 0.002,
        },
        "given": {
            "nickname": 0.08, "rare_nickname": 0.02, "typo": 0.03, "first_letter_typo": 0.01, "replaced": 0.003,
            "blank": 0.003, "filler": 0.004,
        },
        "names": {"swapped": 0.02, "swapped_corrupted": 0.003},
        "birth_date": {
            "day_month_swap": 0.02, "typo": 0.015, "month_typo": 0.005, "missing": 0.01,
            "replaced": 0.003, "household": 0.002,
        },
        "gender": {"unknown": 0.03, "conflict": 0.003},
    },
    family={"renumbered": 0.05, "moved": 0.12, "zip_missing": 0.03},
)  # fmt: skip

HARD = NoiseProfile(
    name="hard",
    fields={
        "ssn": {"missing": 0.10, "placeholder": 0.03, "one_edit": 0.04, "replaced": 0.03},
        "surname": {
            "typo": 0.05, "first_letter_typo": 0.03, "married": 0.03, "double": 0.02,
            "replaced": 0.01, "blank": 0.01, "filler": 0.01,
        },
        "given": {
            "nickname": 0.08, "rare_nickname": 0.04, "typo": 0.04, "first_letter_typo": 0.03, "replaced": 0.01,
            "blank": 0.02, "filler": 0.02,
        },
        "names": {"swapped": 0.02, "swapped_corrupted": 0.01},
        "birth_date": {
            "day_month_swap": 0.02, "typo": 0.03, "month_typo": 0.02, "missing": 0.03,
            "replaced": 0.02, "household": 0.01,
        },
        "gender": {"unknown": 0.30, "conflict": 0.01},
    },
    family={"renumbered": 0.5, "moved": 0.2, "zip_missing": 0.3},
    noisy_fields=(0.40, 0.40, 0.15, 0.05),
)  # fmt: skip

PROFILES = {p.name: p for p in (SYNTHETIC, HARD)}

FILLERS = ("MAN OF THE HOUSE", "WOMAN OF THE HOUSE", "HEAD OF HOUSEHOLD", "SPOUSE", "NFN")


@dataclass(slots=True)
class Corruption:
    """What `corrupt` sends for one person: transaction_for overrides and the kinds applied."""

    overrides: dict[str, object] = field(default_factory=dict)
    kinds: list[tuple[str, str]] = field(default_factory=list)

    @property
    def noisy_fields(self) -> int:
        """How many fields were sent wrong (absences not counted)."""
        return len({f for f, k in self.kinds if (f, k) not in ABSENCE})


# ---------------------------------------------------------------- elementary edits

LETTERS = "ABCDEFGHIJKLMNOPRSTUVWY"


def typo(rng: random.Random, text: str, *, first_letter: bool = False) -> str:
    """One keying error: substitution, deletion, insertion or adjacent transposition.

    Never at position 0 unless `first_letter` (then the first letter is replaced)."""
    if first_letter and text:
        letter = rng.choice([c for c in LETTERS if c != text[0]])
        return letter + text[1:]
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text))
    op = rng.choice(("sub", "del", "swap", "ins"))
    letter = rng.choice("AEIOURSTLNMHK")
    if op == "sub":
        return text[:i] + letter + text[i + 1 :]
    if op == "del":
        return text[:i] + text[i + 1 :]
    if op == "ins":
        return text[:i] + letter + text[i:]
    if i + 1 < len(text):
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def ssn_typo(rng: random.Random, ssn: str) -> str:
    """One digit changed or two adjacent digits transposed."""
    i = rng.randrange(0, 8)
    if rng.random() < 0.5 and ssn[i] != ssn[i + 1]:
        return ssn[:i] + ssn[i + 1] + ssn[i] + ssn[i + 2 :]
    digit = rng.choice([d for d in "0123456789" if d != ssn[i]])
    return ssn[:i] + digit + ssn[i + 1 :]


def _date_edit(rng: random.Random, dob: dt.date, positions: Sequence[int]) -> dt.date:
    text = dob.strftime("%Y%m%d")
    for _ in range(30):
        i = rng.choice(positions)
        candidate = text[:i] + rng.choice("0123456789") + text[i + 1 :]
        try:
            value = dt.datetime.strptime(candidate, "%Y%m%d").date()
        except ValueError:
            continue
        if value != dob and value < TODAY:
            return value
    return dob


def dob_typo(rng: random.Random, dob: dt.date) -> dt.date:
    """One keyed digit in the year's last two digits or the day."""
    return _date_edit(rng, dob, (2, 3, 6, 7))


def month_typo(rng: random.Random, dob: dt.date) -> dt.date:
    """One keyed digit in the month."""
    return _date_edit(rng, dob, (4, 5))


def random_date(rng: random.Random, min_age: int, max_age: int) -> dt.date:
    return TODAY - dt.timedelta(days=rng.randint(min_age * 365, max_age * 365))


# ---------------------------------------------------------------- one person

@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Where replacement values come from (a roster's generators)."""

    surname: Callable[[], str]
    given: Callable[[str], str]
    ssn: Callable[[], str]
    address: Callable[[], tuple[str, str]]
    subscriber_number: Callable[[], str]


def _pick(rng: random.Random, rates: dict[str, float]) -> str | None:
    """Independent draw: a kind with its rate, or None (cumulative, one kind at most)."""
    r = rng.random()
    for kind, rate in rates.items():
        if r < rate:
            return kind
        r -= rate
    return None


def _weighted(rng: random.Random, rates: dict[str, float]) -> str:
    kinds = list(rates)
    return rng.choices(kinds, weights=[rates[k] for k in kinds])[0]


def _kinds(
    rng: random.Random, profile: NoiseProfile, present: dict[str, bool]
) -> list[tuple[str, str]]:
    """Which (field, kind) pairs hit one person."""
    out: list[tuple[str, str]] = []
    fields = {f: r for f, r in profile.fields.items() if present.get(f, True)}
    if profile.noisy_fields is None:
        for f, rates in fields.items():
            kind = _pick(rng, rates)
            if kind is not None:
                out.append((f, kind))
        return out
    # hard: absences independently, then k corrupted fields
    corrupting: dict[str, dict[str, float]] = {}
    for f, rates in fields.items():
        for kind, rate in rates.items():
            if (f, kind) in ABSENCE:
                if rng.random() < rate:
                    out.append((f, kind))
            else:
                corrupting.setdefault(f, {})[kind] = rate
    absent = {f for f, _ in out}
    k = rng.choices(range(len(profile.noisy_fields)), weights=profile.noisy_fields)[0]
    candidates = [f for f in corrupting if f not in absent]
    while k and candidates:
        weights = [sum(corrupting[f].values()) for f in candidates]
        f = rng.choices(candidates, weights=weights)[0]
        candidates.remove(f)
        out.append((f, _weighted(rng, corrupting[f])))
        k -= 1
    return out


def corrupt(
    rng: random.Random,
    profile: NoiseProfile,
    person: KnownPerson,
    household: Sequence[KnownPerson],
    vocabulary: Vocabulary,
) -> Corruption:
    """The values a sender sends for `person` (a member of `household`) under `profile`."""
    c = Corruption()
    o = c.overrides
    present = {"ssn": bool(normalize_ssn(person.ssn)), "birth_date": person.birth_date is not None}
    kinds = _kinds(rng, profile, present)
    last, first = person.last, person.first
    adult = person.relationship in ("18", "01")
    for f, kind in kinds:
        applied = kind
        if f == "ssn":
            if kind == "missing":
                o["ssn"] = ""
            elif kind == "placeholder":
                o["ssn"] = rng.choice(("999999999", "000000000", "123456789"))
            elif kind == "one_edit":
                o["ssn"] = ssn_typo(rng, person.ssn)
            else:
                o["ssn"] = vocabulary.ssn()
        elif f == "surname":
            if kind == "married" and not adult:
                applied = "typo"
            if applied in ("typo", "first_letter_typo"):
                last = typo(rng, last, first_letter=applied == "first_letter_typo")
            elif applied in ("married", "replaced"):
                while (new := vocabulary.surname()) == last:
                    pass
                last = new
            elif applied == "double":
                last = f"{last}-{vocabulary.surname()}"
            elif applied == "blank":
                last = ""
            else:
                last = rng.choice(("UNKNOWN", "X", last[:1] or "X"))
        elif f == "given":
            common = nicknames_of(first, common=True)
            rare = sorted(nicknames_of(first) - common)
            if kind == "rare_nickname" and not rare:
                applied = "nickname"
            if applied == "nickname" and not common:
                continue  # a name nobody shortens is sent as it is
            if applied == "nickname":
                first = rng.choice(sorted(common))
            elif applied == "rare_nickname":
                first = rng.choice(rare)
            elif applied in ("typo", "first_letter_typo"):
                first = typo(rng, first, first_letter=applied == "first_letter_typo")
            elif applied == "replaced":
                while (new := vocabulary.given(person.gender)) == first:
                    pass
                first = new
            elif applied == "blank":
                first = ""
            else:
                first = rng.choice((*FILLERS, first[:1] or "X"))
        elif f == "names":
            if kind == "swapped_corrupted":
                last = typo(rng, last)
                first = typo(rng, first)
            first, last = last, first
        elif f == "birth_date":
            dob = person.birth_date
            assert dob is not None
            if kind == "day_month_swap" and not (dob.day <= 12 and dob.day != dob.month):
                applied = "typo"
            if applied == "day_month_swap":
                o["birth_date"] = dob.replace(month=dob.day, day=dob.month)
            elif applied == "typo":
                o["birth_date"] = dob_typo(rng, dob)
            elif applied == "month_typo":
                o["birth_date"] = month_typo(rng, dob)
            elif applied == "missing":
                o["birth_date"], o["gender"] = None, ""  # a DMG left out takes gender along
            else:
                others = [
                    p.birth_date for p in household if p.birth_date and p.birth_date != dob
                ]
                if applied == "household" and others:
                    o["birth_date"] = rng.choice(others)
                else:
                    applied = "replaced"
                    o["birth_date"] = random_date(rng, 0, 80)
        elif f == "gender":
            if kind == "unknown" or person.gender not in ("M", "F"):
                o["gender"] = ""
            elif "gender" not in o:
                o["gender"] = "F" if person.gender == "M" else "M"
        c.kinds.append((f, applied))
    if "ssn" not in o and person.ssn and rng.random() < profile.hyphenated_ssn:
        s = person.ssn
        o["ssn"] = f"{s[:3]}-{s[3:5]}-{s[5:]}"
    o["last"], o["first"] = last, first
    if person.birth_sequence is not None and rng.random() < profile.birth_sequence_dropped:
        o["birth_sequence"] = None
    return c


def family_noise(rng: random.Random, profile: NoiseProfile) -> list[str]:
    """The family-level kinds that hit one family sent: renumbered, moved, zip_missing."""
    return [kind for kind, rate in profile.family.items() if rng.random() < rate]


def apply_family(
    kinds: Sequence[str], vocabulary: Vocabulary
) -> dict[str, object]:
    """transaction_for overrides shared by every member sent for a family."""
    o: dict[str, object] = {}
    if "renumbered" in kinds:
        o["subscriber_number"] = vocabulary.subscriber_number()
    if "moved" in kinds:
        o["address_line1"], o["postal_code"] = vocabulary.address()
    if "zip_missing" in kinds:
        o["postal_code"] = ""
    return o
