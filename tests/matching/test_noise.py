"""The evaluation's noise: every kind occurs, at about its stated rate."""

from __future__ import annotations

import random
from collections import Counter

from matching.labelled import vocabulary
from matching.noise import HARD, SYNTHETIC, NoiseProfile, corrupt, family_noise
from matching.normalize import clean_name, normalize_ssn
from matching.synthetic import Roster


def _draw(profile: NoiseProfile, n: int = 6000) -> tuple[Counter[tuple[str, str]], Counter[int], int]:
    roster = Roster(7)
    vocab = vocabulary(roster)
    rng = random.Random(5)
    households = [roster.family() for _ in range(400)]
    people = [(p, h) for h in households for p in h]
    kinds: Counter[tuple[str, str]] = Counter()
    noisy: Counter[int] = Counter()
    for i in range(n):
        person, household = people[i % len(people)]
        c = corrupt(rng, profile, person, household, vocab)
        kinds.update(c.kinds)
        noisy[min(c.noisy_fields, 2)] += 1
    return kinds, noisy, n


def test_every_kind_occurs_in_the_hard_profile() -> None:
    kinds, _, _ = _draw(HARD)
    for f, rates in HARD.fields.items():
        for kind in rates:
            assert kinds[(f, kind)] > 0, (f, kind)


def test_hard_profile_has_two_or_more_noisy_fields_in_a_fifth_of_pairs() -> None:
    _, noisy, n = _draw(HARD)
    assert 0.17 <= noisy[2] / n <= 0.23


def test_synthetic_rates_are_about_as_stated() -> None:
    kinds, noisy, n = _draw(SYNTHETIC, 20000)
    # names nobody shortens keep their nickname draw unused: fewer than the stated 8 %
    assert 0.02 < kinds[("given", "nickname")] / n <= 0.08
    # a day above 12 cannot be swapped with the month: that draw becomes a typo
    swapped_or_typo = kinds[("birth_date", "day_month_swap")] + kinds[("birth_date", "typo")]
    assert abs(swapped_or_typo / n - 0.035) < 0.008
    assert abs(kinds[("gender", "unknown")] / n - 0.03) < 0.01
    assert noisy[2] / n < 0.1


def test_family_noise_rates() -> None:
    rng = random.Random(3)
    hits = Counter(k for _ in range(4000) for k in family_noise(rng, HARD))
    assert abs(hits["renumbered"] / 4000 - 0.5) < 0.04
    assert abs(hits["zip_missing"] / 4000 - 0.3) < 0.04


def test_noise_values_look_like_what_senders_send() -> None:
    roster = Roster(2)
    vocab = vocabulary(roster)
    household = roster.family()
    person = household[0]
    rng = random.Random(1)
    seen: dict[tuple[str, str], dict[str, object]] = {}
    for _ in range(3000):
        c = corrupt(rng, HARD, person, household, vocab)
        for kind in c.kinds:
            seen.setdefault(kind, c.overrides)
    assert seen[("ssn", "replaced")]["ssn"] != person.ssn
    assert normalize_ssn(str(seen[("ssn", "replaced")]["ssn"]))
    assert seen[("birth_date", "missing")]["birth_date"] is None
    assert seen[("birth_date", "missing")]["gender"] == ""  # a blank DMG takes gender along
    assert clean_name(str(seen[("given", "blank")]["first"])) == ""
    first_letter = str(seen[("surname", "first_letter_typo")]["last"])
    assert first_letter[0] != person.last[0] and first_letter[1:] == person.last[1:]
