"""The match model the scorer reads: per-level m/u, term frequencies, a stated prior.

A `MatchModel` is versioned data, not code. Version 0 is `PRIOR`: the hand-set
m/u of `matching.compare.COMPARISONS`, no term-frequency tables, and the stated
prior odds `PRIOR_LOG2_ODDS`. Fitted models (matching/learn.py) are stored by
the ledger (table ``match_models``) and carry the diagnostics of their fit.

Scoring with a model (`weigh`): each field's level weight is log2(m/u) from the
model; an exact agreement on surname, given name or birth date is adjusted by
the value's frequency in the roster (`TermFrequencies`): weight + log2(u / tf),
the adjustment bounded by `tf_min_bits` .. `tf_max_bits` (-6 .. 0 bits: a common
SMITH agreeing says less than a rare name, a rare name no more than the average). A field missing on either side stays weight 0.

Probabilities: a score s (bits) and the model's prior odds give the match
probability 1 / (1 + 2^-(s + log2_prior_odds)) (`probability`, `score_for`).

Term-frequency tables hold normalised roster values (PHI at rest, like the
ledger's demographics); nothing here prints or logs them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import msgspec

from matching.compare import COMPARISONS
from matching.decisions import FieldComparison

PRIOR_LOG2_ODDS = -17.0
"""The prior model's stated prior: before its fields are compared, a candidate is the
enrollee at odds 1 : 2^17 (about one in 131,000). With it the gate's probabilities
0.9846 / 0.0303 are the tuned scores 23 / 12 (see matching/README.md)."""

TF_FIELDS = ("surname", "given_name", "birth_date")
"""Fields whose exact agreement is adjusted by the agreed value's frequency."""


class LevelParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One comparison level's probabilities: m = P(level | same person), u = P(level |
    different people)."""

    field: str
    level: str
    m: float
    u: float

    @property
    def weight(self) -> float:
        return round(math.log2(self.m / self.u), 2)


class TermFrequencies(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A field's value frequencies in the roster (share of people holding each value)."""

    field: str
    values: tuple[tuple[str, float], ...]
    floor: float
    """The frequency assumed for a value the roster does not hold (one person's share)."""


class Diagnostics(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How a model was fitted (all zero / empty for the prior)."""

    iterations: int = 0
    converged: bool = True
    log_likelihood: float = 0.0
    match_share: float = 0.0
    """λ: the estimated share of matches among the blocked pairs used."""
    roster_people: int = 0
    blocked_pairs: int = 0
    random_pairs: int = 0
    incoming_people: int = 0
    """People of incoming files paired with the roster (their blocked pairs are among
    `blocked_pairs`): where most pairs of one person are found."""
    prior_levels: tuple[str, ...] = ()
    """'field.level' whose m fell back to the prior (too few expected matches)."""
    clipped_levels: tuple[str, ...] = ()
    """'field.level' whose weight was clipped (a blocker kept at least as strong as the prior,
    or the weight bound)."""


class MatchModel(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A versioned match model: what the scorer and the gate read."""

    version: int
    levels: tuple[LevelParams, ...]
    log2_prior_odds: float = PRIOR_LOG2_ODDS
    trained_at: str = ""
    """ISO timestamp of the fit ('' for the prior)."""
    tf: tuple[TermFrequencies, ...] = ()
    tf_min_bits: float = -6.0
    tf_max_bits: float = 0.0
    """TF only lowers a level's weight by default: a rare value says no more than the level's
    average, so the anchored prior odds (matching/learn.py) bound a namesake's probability."""
    diagnostics: Diagnostics = Diagnostics()

    def weights(self) -> dict[tuple[str, str], float]:
        """(field, level) → weight in bits."""
        return {(p.field, p.level): p.weight for p in self.levels}


def prior_levels() -> tuple[LevelParams, ...]:
    """The hand-set m/u of `COMPARISONS`, level by level."""
    return tuple(
        LevelParams(c.field, lv.name, lv.m, lv.u) for c in COMPARISONS for lv in c.levels
    )


PRIOR = MatchModel(version=0, levels=prior_levels())
"""Version 0: the hand-set weights (the model of an empty ledger)."""


def probability(score: float, log2_prior_odds: float) -> float:
    """Match probability of a score (bits) under the stated prior odds."""
    x = score + log2_prior_odds
    if x < -1000:
        return 0.0
    return float(1.0 / (1.0 + 2.0 ** (-x)))


def score_for(p: float, log2_prior_odds: float) -> float:
    """The score (bits) whose match probability is `p` under the prior odds."""
    if not 0.0 < p < 1.0:
        raise ValueError("a probability threshold must lie strictly between 0 and 1")
    return math.log2(p / (1.0 - p)) - log2_prior_odds


class _Compiled:
    """A model's look-up tables, built once per model."""

    __slots__ = ("model", "weights", "tf", "u_exact")

    def __init__(self, model: MatchModel) -> None:
        self.model = model
        self.weights = model.weights()
        self.tf: dict[str, tuple[Mapping[str, float], float]] = {
            t.field: (dict(t.values), t.floor) for t in model.tf
        }
        self.u_exact = {p.field: p.u for p in model.levels if p.level == "exact"}


_COMPILED: dict[int, _Compiled] = {}


def compiled(model: MatchModel) -> _Compiled:
    """The look-up tables of `model` (cached by identity; the entry keeps the model alive)."""
    found = _COMPILED.get(id(model))
    if found is not None and found.model is model:
        return found
    if len(_COMPILED) >= 16:
        _COMPILED.pop(next(iter(_COMPILED)))
    built = _COMPILED[id(model)] = _Compiled(model)
    return built


def tf_adjustment(model: MatchModel, field: str, value: str) -> float:
    """Bits added to an exact agreement on `field` with `value` (0 without a table)."""
    tables = compiled(model)
    entry = tables.tf.get(field)
    if entry is None or not value:
        return 0.0
    table, floor = entry
    share = max(table.get(value, floor), floor)
    u = tables.u_exact.get(field)
    if not u:
        return 0.0
    bits = math.log2(u / share)
    return min(max(bits, model.tf_min_bits), model.tf_max_bits)


def weigh(
    comparisons: tuple[FieldComparison, ...], model: MatchModel, values: Mapping[str, str]
) -> tuple[FieldComparison, ...]:
    """`comparisons` (made with the prior's weights) re-weighted by `model`.

    `values` holds the agreed normalised value of each TF field (surname, given name,
    birth date) for exact agreements. The prior model returns `comparisons` as they are.
    """
    if model is PRIOR:
        return comparisons
    tables = compiled(model)
    out = []
    for c in comparisons:
        if c.level in ("missing", "new_number", "initial"):
            out.append(c)
            continue
        weight = tables.weights.get((c.field, c.level), c.weight)
        if c.level == "exact" and c.field in values:
            weight = round(weight + tf_adjustment(model, c.field, values[c.field]), 2)
        out.append(c if weight == c.weight else FieldComparison(c.field, c.level, weight,
                                                                c.description))
    return tuple(out)
