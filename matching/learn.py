"""Fitting a match model to a roster: u from random pairs, m by expectation–maximisation.

`fit(people, version=..., trained_at=...)` returns a `MatchModel` (matching/model.py):

- **u** (P(level | different people)) is counted over `random_pairs` pairs of the
  roster's people drawn at random (different people with overwhelming probability),
  for the person-level fields; a level never seen counts half a pair. The family-level
  fields (address, subscriber number) keep the prior's u: random pairs cannot see
  that a household shares its street and number with its surname, and their evidence
  would be counted twice.
- **m** (P(level | same person)) by EM over the pairs blocking brings together
  (people sharing a first-search `blocking.person_keys` key, blocks of at most
  `max_block`; two members of one family — a shared subscriber number — are
  never a pair: a household is a cluster of look-alikes EM would take for one
  person), a two-class mixture of matches (m) and look-alikes (their own u),
  started from the prior and held towards it by `prior_strength` pseudo-pairs per
  field (a Dirichlet prior: with few matches in the roster, m stays the prior's).
  A level with fewer than `min_level_observations` expected matches keeps the prior's
  m (`Diagnostics.prior_levels`).
- **λ**, the match share among blocked pairs, the log-likelihood and the iterations
  are kept in `Diagnostics`.
- **term frequencies** of surname, given name and birth date: the share of the
  roster holding each value (`model.tf_adjustment` turns them into bits).
- **guards**: m and u are clipped to [1e-9, 1 − 1e-9], every weight to
  ±`max_weight`; the conflict levels behind hard blockers (SSN, relationship, birth
  date, birth sequence) never weigh less against a candidate than in the prior; a
  level named `initial` (one letter: says nothing) keeps weight 0.

The prior odds of a fitted model (`prior_odds`):

- ``anchored`` (default): set so that the *identifier-free agreement* — birth date,
  surname and given name identical, gender and place in the family agreeing, and
  nothing else (no SSN, address, family number) — has the match probability it has
  under the prior model. A roster holds no labelled matches to set the absolute level,
  and the gate's thresholds were tuned at exactly that evidence (a namesake in
  another family); the fitted weights still move everything else relative to it.
- ``roster``: log2(1 / (2N)) for a roster of N people — even odds that an enrollee
  is known, then any of the N alike: the textbook prior of a random pair (u comes
  from random pairs).

Values are normalised roster data (PHI): nothing here prints or logs them.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from matching.blocking import WIDE_KINDS, person_keys
from matching.compare import COMPARISONS, Comparison, Prepared, prepare, tf_values
from matching.decisions import KnownPerson
from matching.model import (
    PRIOR,
    TF_FIELDS,
    Diagnostics,
    LevelParams,
    MatchModel,
    TermFrequencies,
)
from matching.normalize import normalize_id

HOUSEHOLD_FIELDS = frozenset({"address", "subscriber_number"})
"""Fields whose u stays the prior's (look-alike) u: shared by a household."""
BLOCKER_CONFLICTS = frozenset(
    {("ssn", "conflict"), ("relationship", "conflict"), ("birth_date", "conflict"),
     ("birth_sequence", "conflict")}
)  # fmt: skip
"""Levels behind hard blockers: a learned weight may only be as negative or more."""
FIXED_LEVELS = frozenset({"initial"})
"""Levels that say nothing (m = u): kept as the prior states them, out of the fit."""


PRIOR_ODDS = ("anchored", "roster")
ANCHOR = (("birth_date", "exact"), ("surname", "exact"), ("given_name", "exact"),
          ("gender", "agree"), ("relationship", "agree"))  # fmt: skip
"""The identifier-free agreement a fitted model's prior odds are anchored at."""


class TrainingError(ValueError):
    """The roster cannot be fitted (too few people, bad settings)."""


@dataclass(frozen=True, slots=True)
class FitSettings:
    """How a model is fitted (defaults are what `enroll834 matching train` uses)."""

    random_pairs: int = 50_000
    max_block: int = 50
    max_blocked_pairs: int = 300_000
    max_iterations: int = 200
    tolerance: float = 1e-7
    prior_strength: float = 50.0
    min_level_observations: float = 5.0
    max_weight: float = 30.0
    seed: int = 834
    prior_odds: str = "anchored"
    """'anchored' or 'roster' (see the module doc)."""
    household_u: str = "prior"
    """'prior': address and subscriber number keep the prior's look-alike u; 'random':
    counted over random pairs like the person-level fields."""

    def check(self) -> None:
        if self.prior_odds not in PRIOR_ODDS:
            raise TrainingError(f"prior_odds is one of {', '.join(PRIOR_ODDS)}")
        if self.random_pairs < 100:
            raise TrainingError("the random-pair sample must be at least 100 pairs")
        if self.max_block < 2 or self.max_iterations < 1 or self.prior_strength < 0:
            raise TrainingError("max_block ≥ 2, max_iterations ≥ 1 and prior_strength ≥ 0")


Vector = tuple[int, ...]
"""A pair's level index per comparison, in `COMPARISONS` order (-1: missing)."""


def _level_index(c: Comparison, a: Prepared, b: Prepared) -> int:
    if not c.present(a, b):
        return -1
    for i, level in enumerate(c.levels):
        if level.test(a, b):
            return -1 if level.name in FIXED_LEVELS else i
    return -1


def vector(a: Prepared, b: Prepared) -> Vector:
    """The comparison vector of one pair (levels named `initial` count as missing)."""
    return tuple(_level_index(c, a, b) for c in COMPARISONS)


def random_pair_counts(
    prepared: Sequence[Prepared], n: int, rng: random.Random
) -> tuple[list[Counter[int]], int]:
    """Level counts per comparison over `n` random pairs of different people."""
    counts: list[Counter[int]] = [Counter() for _ in COMPARISONS]
    size = len(prepared)
    drawn = 0
    for _ in range(n):
        i, j = rng.randrange(size), rng.randrange(size)
        if i == j:
            continue
        drawn += 1
        for k, level in enumerate(vector(prepared[i], prepared[j])):
            counts[k][level] += 1
    return counts, drawn


def blocked_pairs(
    people: Sequence[KnownPerson], settings: FitSettings, rng: random.Random
) -> list[tuple[int, int]]:
    """Index pairs of people of different families sharing a first-search blocking key
    (blocks ≤ `max_block`), each pair once; sampled down to `max_blocked_pairs`."""
    blocks = _first_search_blocks(people)
    family = [frozenset(normalize_id(n) for n in p.subscriber_numbers) - {""} for p in people]
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if 2 <= len(members) <= settings.max_block:
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    a, b = members[x], members[y]
                    if not family[a] & family[b]:
                        pairs.add((a, b))
    ordered = sorted(pairs)
    if len(ordered) > settings.max_blocked_pairs:
        ordered = rng.sample(ordered, settings.max_blocked_pairs)
    return ordered


def _first_search_blocks(people: Sequence[KnownPerson]) -> dict[tuple[str, str], list[int]]:
    """The indexes of `people` holding each first-search blocking key (no wide kinds)."""
    wide = frozenset(WIDE_KINDS)
    blocks: dict[tuple[str, str], list[int]] = {}
    for i, person in enumerate(people):
        for key in person_keys(person):
            if key[0] not in wide:
                blocks.setdefault(key, []).append(i)
    return blocks


def incoming_pairs(
    people: Sequence[KnownPerson], incoming: Sequence[KnownPerson], settings: FitSettings
) -> list[tuple[int, int]]:
    """(incoming index, roster index) pairs sharing a first-search blocking key (roster
    blocks ≤ `max_block`): an incoming file's people against the roster, as ingest looks
    them up — unlabelled, but where a person and their record meet."""
    blocks = _first_search_blocks(people)
    pairs: dict[tuple[int, int], None] = {}
    for j, person in enumerate(incoming):
        for key in person_keys(person):
            members = blocks.get(key, ())
            if len(members) <= settings.max_block:
                pairs.update(((j, i), None) for i in members)
    return list(pairs)[: settings.max_blocked_pairs]


@dataclass
class EMResult:
    """m and look-alike u per comparison level, λ, and how the fit went."""

    m: list[list[float]]
    u: list[list[float]]
    match_share: float
    iterations: int
    converged: bool
    log_likelihood: float
    expected: list[list[float]]
    """Expected matched observations per level."""


def _prior_table(attr: str) -> list[list[float]]:
    table = []
    for c in COMPARISONS:
        row = [getattr(lv, attr) for lv in c.levels]
        total = sum(row)
        table.append([v / total for v in row])
    return table


def em(
    vectors: Sequence[Vector],
    *,
    prior_strength: float = 50.0,
    start_share: float = 0.01,
    max_iterations: int = 200,
    tolerance: float = 1e-7,
    prior_m: list[list[float]] | None = None,
    prior_u: list[list[float]] | None = None,
) -> EMResult:
    """Two-class EM over comparison vectors (conditional independence of fields).

    Starts from (and, with `prior_strength` pseudo-pairs per field, is held towards)
    the prior's m and u, each normalised over a field's levels. Distinct vectors are
    weighted by their counts, so cost follows the number of distinct patterns.
    """
    m = [row[:] for row in (prior_m or _prior_table("m"))]
    u = [row[:] for row in (prior_u or _prior_table("u"))]
    pm = [row[:] for row in m]
    pu = [row[:] for row in u]
    patterns = Counter(vectors)
    items = list(patterns.items())
    total = float(sum(patterns.values()))
    lam = start_share
    previous = -math.inf
    converged = False
    iterations = 0
    ll = 0.0
    expected: list[list[float]] = [[0.0] * len(row) for row in m]
    for iterations in range(1, max_iterations + 1):  # noqa: B007 (kept: reported)
        cm = [[0.0] * len(row) for row in m]
        cu = [[0.0] * len(row) for row in u]
        matched = 0.0
        ll = 0.0
        for vec, count in items:
            pmatch, pnon = lam, 1.0 - lam
            for k, level in enumerate(vec):
                if level >= 0:
                    pmatch *= m[k][level]
                    pnon *= u[k][level]
            both = pmatch + pnon
            if both <= 0:
                continue
            ll += count * math.log(both)
            post = pmatch / both
            matched += count * post
            for k, level in enumerate(vec):
                if level >= 0:
                    cm[k][level] += count * post
                    cu[k][level] += count * (1.0 - post)
        expected = cm
        for k in range(len(m)):
            nm = sum(cm[k]) + prior_strength
            nu = sum(cu[k]) + prior_strength
            m[k] = [(cm[k][i] + prior_strength * pm[k][i]) / nm for i in range(len(m[k]))]
            u[k] = [(cu[k][i] + prior_strength * pu[k][i]) / nu for i in range(len(u[k]))]
        lam = min(max(matched / total, 1e-9), 1 - 1e-9) if total else start_share
        if abs(ll - previous) <= tolerance * max(1.0, abs(ll)):
            converged = True
            break
        previous = ll
    return EMResult(m, u, lam, iterations, converged, ll, expected)


def term_frequencies(prepared: Sequence[Prepared]) -> tuple[TermFrequencies, ...]:
    """The share of people holding each normalised surname, given name and birth date."""
    out = []
    n = len(prepared)
    for field in TF_FIELDS:
        counts = Counter(v for p in prepared if len(v := tf_values(p)[field]) > 1)
        held = sum(counts.values())
        if not held:
            continue
        values = tuple(sorted((v, c / held) for v, c in counts.items()))
        out.append(TermFrequencies(field, values, floor=1.0 / max(held, n)))
    return tuple(out)


EXACT_BY_FREQUENCY = frozenset({"ssn", "birth_date", "surname", "given_name", "medicare_id"})
"""Fields whose exact-agreement u is counted from value frequencies over every pair."""


def _exact_value(field: str, p: Prepared) -> str:
    if field == "ssn":
        return p.ssn
    if field == "medicare_id":
        return p.medicare_id
    value = tf_values(p)[field]
    return value if len(value) > 1 else ""


def exact_u(prepared: Sequence[Prepared], field: str) -> float:
    """P(two different people agree exactly on `field`) over every pair of people holding
    it: Σ n(n−1) / (M(M−1)) over the values' counts n, at least one pair's share."""
    counts = Counter(v for p in prepared if (v := _exact_value(field, p)))
    held = sum(counts.values())
    if held < 2:
        return 0.0
    pairs = held * (held - 1)
    return max(sum(n * (n - 1) for n in counts.values()), 2) / pairs


def _clip(p: float) -> float:
    return min(max(p, 1e-9), 1 - 1e-9)


def fit(
    people: Sequence[KnownPerson],
    *,
    version: int,
    trained_at: str,
    settings: FitSettings | None = None,
    prior: MatchModel = PRIOR,
    incoming: Sequence[KnownPerson] = (),
) -> MatchModel:
    """A model fitted to `people` (the roster), versioned `version`; with `incoming` (the
    people of incoming files, unlabelled), their blocked pairs with the roster join the
    EM too. See the module doc."""
    settings = settings or FitSettings()
    settings.check()
    if len(people) < 2:
        raise TrainingError("a model needs a roster of at least two people")
    rng = random.Random(settings.seed)
    prepared = [prepare(p) for p in people]
    counts, drawn = random_pair_counts(prepared, settings.random_pairs, rng)
    pairs = blocked_pairs(people, settings, rng)
    vectors = [vector(prepared[i], prepared[j]) for i, j in pairs]
    cross = incoming_pairs(people, incoming, settings)
    arriving = [prepare(p) for p in incoming]
    vectors += [vector(arriving[j], prepared[i]) for j, i in cross]
    result = em(
        vectors, prior_strength=settings.prior_strength,
        max_iterations=settings.max_iterations, tolerance=settings.tolerance,
    )  # fmt: skip
    base = {(p.field, p.level): p for p in prior.levels}
    exact = {f: exact_u(prepared, f) for f in EXACT_BY_FREQUENCY}
    levels: list[LevelParams] = []
    prior_kept: list[str] = []
    clipped: list[str] = []
    for k, c in enumerate(COMPARISONS):
        present = sum(n for level, n in counts[k].items() if level >= 0)
        for i, lv in enumerate(c.levels):
            old = base[(c.field, lv.name)]
            name = f"{c.field}.{lv.name}"
            if lv.name in FIXED_LEVELS:
                levels.append(old)
                continue
            if result.expected[k][i] >= settings.min_level_observations:
                m = _clip(result.m[k][i])
            else:
                m = old.m
                prior_kept.append(name)
            household = c.field in HOUSEHOLD_FIELDS and settings.household_u == "prior"
            if lv.name == "exact" and c.field in EXACT_BY_FREQUENCY and exact[c.field]:
                u = _clip(exact[c.field])
            elif household or present == 0:
                u = old.u
            else:
                u = _clip(max(counts[k][i], 0.5) / present)
            weight = math.log2(m / u)
            if abs(weight) > settings.max_weight:
                u = m / 2.0 ** math.copysign(settings.max_weight, weight)
                clipped.append(name)
            if (c.field, lv.name) in BLOCKER_CONFLICTS and math.log2(m / u) > old.weight:
                m = u * 2.0**old.weight
                clipped.append(name)
            levels.append(LevelParams(c.field, lv.name, m, u))
    diagnostics = Diagnostics(
        iterations=result.iterations,
        converged=result.converged,
        log_likelihood=round(result.log_likelihood, 4),
        match_share=result.match_share,
        roster_people=len(people),
        blocked_pairs=len(pairs) + len(cross),
        incoming_people=len(incoming),
        random_pairs=drawn,
        prior_levels=tuple(prior_kept),
        clipped_levels=tuple(clipped),
    )
    if settings.prior_odds == "roster":
        odds = math.log2(1.0 / (2 * len(people)))
    else:
        fitted = {(p.field, p.level): math.log2(p.m / p.u) for p in levels}
        odds = prior.log2_prior_odds - sum(
            fitted[k] - math.log2(base[k].m / base[k].u) for k in ANCHOR
        )
    return MatchModel(
        version=version,
        levels=tuple(levels),
        log2_prior_odds=round(odds, 4),
        trained_at=trained_at,
        tf=term_frequencies(prepared),
        diagnostics=diagnostics,
    )
