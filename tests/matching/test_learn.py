"""Fitting match models (matching/learn.py) and scoring with them (matching/model.py)."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from matching.compare import COMPARISONS, prepare
from matching.decisions import KnownPerson
from matching.learn import ANCHOR, FitSettings, TrainingError, em, fit
from matching.model import PRIOR, PRIOR_LOG2_ODDS, MatchModel, probability, score_for
from matching.score import DEFAULT_LOWER, DEFAULT_UPPER, Thresholds, score_pair


def _draw(rng: random.Random, dist: list[float]) -> int:
    x, acc = rng.random(), 0.0
    for i, p in enumerate(dist):
        acc += p
        if x < acc:
            return i
    return len(dist) - 1


def test_em_recovers_planted_m_u_and_match_share() -> None:
    """Vectors drawn from a planted two-class model (three fields, conditionally
    independent, a tenth of each field missing): EM started elsewhere finds m, u and λ."""
    m = [[0.9, 0.07, 0.03], [0.8, 0.2], [0.7, 0.2, 0.1]]
    u = [[0.01, 0.09, 0.9], [0.3, 0.7], [0.05, 0.15, 0.8]]
    share = 0.2
    rng = random.Random(7)
    vectors = []
    for _ in range(40_000):
        table = m if rng.random() < share else u
        vectors.append(tuple(-1 if rng.random() < 0.1 else _draw(rng, row) for row in table))
    flat = [[1 / len(row)] * len(row) for row in m]
    start_m = [[0.6, 0.3, 0.1], [0.6, 0.4], [0.5, 0.3, 0.2]]
    got = em(vectors, prior_strength=0, start_share=0.5, prior_m=start_m, prior_u=flat,
             max_iterations=500, tolerance=1e-10)
    assert got.converged
    assert got.match_share == pytest.approx(share, abs=0.01)
    for planted, fitted in ((m, got.m), (u, got.u)):
        for row, frow in zip(planted, fitted, strict=True):
            assert frow == pytest.approx(row, abs=0.02)


def _roster(n: int, common: int, seed: int = 3) -> list[KnownPerson]:
    """`common` people named SMITH, the rest each with a surname of their own."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        last = "SMITH" if i < common else "QU" + "".join(chr(65 + (i // 26**k) % 26)
                                                         for k in range(3))
        out.append(KnownPerson(
            member_id=f"M{i:09d}", subscriber_numbers=(f"S{i}",), last=last,
            first=rng.choice(("ANNA", "BRUNO", "CLARA", "DMITRI", "EMIL", "FLORA", "GUSTAV")),
            birth_date=dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20_000)),
            gender=rng.choice("MF"), ssn=f"{rng.randrange(10**8, 9 * 10**8)}",
            address_line1=f"{i} ELM ST", postal_code=f"{17000 + i % 50:05d}",
        ))  # fmt: skip
    return out


def _surname_weight(model: MatchModel, person: KnownPerson) -> float:
    p = prepare(person)
    _, comparisons = score_pair(p, p, model)
    return next(c.weight for c in comparisons if c.field == "surname")


def test_term_frequency_lowers_a_frequent_name() -> None:
    people = _roster(2000, common=300)
    model = fit(people, version=1, trained_at="t", settings=FitSettings(random_pairs=5000))
    smith = _surname_weight(model, people[0])
    rare = _surname_weight(model, people[-1])
    level = model.weights()[("surname", "exact")]
    assert smith < level and rare == level  # a rare name says no more than the average
    assert rare - smith > 2.5  # 300 SMITHs against one of a kind
    assert _surname_weight(PRIOR, people[0]) == _surname_weight(PRIOR, people[-1])  # no TF


def test_guards_blockers_never_weaken_and_prior_when_no_matches() -> None:
    people = _roster(600, common=40)
    model = fit(people, version=3, trained_at="t", settings=FitSettings(random_pairs=3000))
    prior = PRIOR.weights()
    learned = model.weights()
    for key in (("ssn", "conflict"), ("relationship", "conflict"), ("birth_date", "conflict"),
                ("birth_sequence", "conflict")):
        assert learned[key] <= prior[key], key
    assert learned[("surname", "initial")] == 0 and learned[("given_name", "initial")] == 0
    assert set(learned) == {(c.field, lv.name) for c in COMPARISONS for lv in c.levels}
    d = model.diagnostics
    assert d.roster_people == 600 and d.random_pairs > 2900 and d.converged
    # a roster without duplicates shows no matches: m falls back to the prior, level by level
    assert "ssn.exact" in d.prior_levels and d.match_share < 0.01
    by_level = {(p.field, p.level): p for p in model.levels}
    assert by_level[("ssn", "exact")].m == 0.95
    # anchored prior odds: the identifier-free agreement keeps its prior probability
    fitted = sum(learned[k] for k in ANCHOR) + model.log2_prior_odds
    assert fitted == pytest.approx(sum(prior[k] for k in ANCHOR) + PRIOR_LOG2_ODDS, abs=0.05)
    with pytest.raises(TrainingError):
        fit(people[:1], version=4, trained_at="t")
    with pytest.raises(TrainingError):
        fit(people, version=4, trained_at="t", settings=FitSettings(random_pairs=10))


def test_probability_thresholds_are_todays_scores_under_the_prior() -> None:
    assert Thresholds().upper_score() == 23.0 and Thresholds().lower_score() == 12.0
    assert pytest.approx(0.98462, abs=1e-5) == DEFAULT_UPPER
    assert pytest.approx(0.03030, abs=1e-5) == DEFAULT_LOWER
    assert probability(23.0, PRIOR_LOG2_ODDS) == DEFAULT_UPPER
    assert score_for(0.5, -10.0) == pytest.approx(10.0)
    assert math.isclose(score_for(probability(7.25, -3.0), -3.0), 7.25)
    with pytest.raises(ValueError):
        score_for(1.0, 0.0)
    odds = MatchModel(version=9, levels=PRIOR.levels, log2_prior_odds=-20.0)
    assert Thresholds().upper_score(odds) == 26.0
