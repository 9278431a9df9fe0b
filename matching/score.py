"""Scoring candidates and the certainty gate.

`score_candidates` compares the enrollee (one or more probes: the 2100A
values and, for corrections, the 2100B OLD values) with every candidate and
returns `Candidate`s sorted best first; a candidate's score is the sum of its
field weights for the probe that fits it best.

`assess` is the certainty gate on top of the scores:

- ``match``: the best score is at least `upper`, leads the runner-up by at
  least `margin`, and nothing blocks automation (see `blockers`);
- ``new``: every candidate scores below `lower`, none shares an SSN (or
  one edit of it) or a Medicare id with the enrollee, nobody in the
  enrollee's family has the same or a near birth date, and none could be
  the enrollee with two fields sent wrong (`could_be_the_enrollee`);
- ``uncertain``: everything else — a person decides.

`identify_known` finds the member a change or termination is about by
identifiers (subscriber number + place in the family), falling back to the
gate.

Scores are sums of the weights of a `MatchModel` (matching/model.py; default
the prior, version 0, the hand-set weights). The gate's `upper` and `lower` are
match probabilities: a score s is read as 1 / (1 + 2^-(s + log2 prior odds)) with
the model's stated prior odds; `margin` stays in bits of score.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from matching.compare import COMPARISONS, Prepared, prepare, tf_values
from matching.decisions import Candidate, FieldComparison, KnownPerson
from matching.levels import evict_oldest, prepared, scored
from matching.model import PRIOR, PRIOR_LOG2_ODDS, MatchModel, probability, score_for, weigh
from matching.normalize import normalize_id

Verdict = Literal["match", "new", "uncertain"]

HARD_BLOCKERS = frozenset({"ssn_conflict", "relationship_conflict", "family_birth_date"})
"""Blockers that are conflicts in the data (Reason.CONFLICT), not mere weak evidence."""


UPPER_SCORE = 23.0
"""Tuned on evaluation seed 1 with the prior model: the best unblocked truly-new lookalike
scored 19.06."""
LOWER_SCORE = 12.0
DEFAULT_UPPER = probability(UPPER_SCORE, PRIOR_LOG2_ODDS)
"""Match probability for an automatic APPLY: 0.9846, score 23 under the prior model."""
DEFAULT_LOWER = probability(LOWER_SCORE, PRIOR_LOG2_ODDS)
"""Every candidate below this match probability for NEW: 0.0303, score 12 under the prior."""
DEFAULT_MARGIN = 8.0


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The certainty gate's thresholds: `upper` and `lower` are match probabilities,
    `margin` is bits of score (the lead over the runner-up)."""

    upper: float = DEFAULT_UPPER
    lower: float = DEFAULT_LOWER
    margin: float = DEFAULT_MARGIN

    def upper_score(self, model: MatchModel = PRIOR) -> float:
        """The score at which `model` reaches the `upper` probability."""
        return _score_at(self.upper, model.log2_prior_odds)

    def lower_score(self, model: MatchModel = PRIOR) -> float:
        """The score at which `model` reaches the `lower` probability."""
        return _score_at(self.lower, model.log2_prior_odds)


@lru_cache(maxsize=64)
def _score_at(p: float, log2_prior_odds: float) -> float:
    return round(score_for(p, log2_prior_odds), 4)


@dataclass(frozen=True, slots=True)
class Assessment:
    """The gate's verdict with the evidence behind it."""

    verdict: Verdict
    candidates: tuple[Candidate, ...]
    """All scored candidates, best first."""
    blockers: tuple[str, ...] = ()
    """Why the best candidate was not taken automatically (codes, no values)."""

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


_BY_TUPLE_MAX = 4096
_LEVELS_BY_TUPLE: OrderedDict[int, tuple[tuple[FieldComparison, ...], Mapping[str, str]]] = (
    OrderedDict()
)
"""Level by field of comparison tuples seen (scoring shares one tuple per combination of
levels: `levels.scored`), by the tuple's identity; the entry holds the tuple."""


def _levels(candidate: Candidate) -> Mapping[str, str]:
    comparisons = candidate.comparisons
    hit = _LEVELS_BY_TUPLE.get(id(comparisons))
    if hit is not None and hit[0] is comparisons:
        return hit[1]
    found = {c.field: c.level for c in comparisons}
    if len(_LEVELS_BY_TUPLE) >= _BY_TUPLE_MAX:
        evict_oldest(_LEVELS_BY_TUPLE)
    _LEVELS_BY_TUPLE[id(comparisons)] = (comparisons, found)
    return found


def score_pair(
    probe: Prepared, person: Prepared, model: MatchModel = PRIOR
) -> tuple[float, tuple[FieldComparison, ...]]:
    """Sum of field weights and the per-field comparisons for one pair, weighed by `model`."""
    if model is PRIOR:
        return scored(probe, person)
    comparisons = weigh(scored(probe, person)[1], model, tf_values(probe))
    return round(sum(c.weight for c in comparisons), 2), comparisons


def score_candidates(
    probes: Sequence[KnownPerson], people: Sequence[KnownPerson], model: MatchModel = PRIOR
) -> tuple[Candidate, ...]:
    """Every distinct person scored against the best-fitting probe, best first.

    Ties are broken by member_id so the order is deterministic. When no candidate
    holds the enrollee's subscriber number (the family is new or renumbered — the
    subscriber key brings every holder), "other family" weighs 0 (`NEW_NUMBER`).
    """
    return rank(raw_scores(probes, people, model))


def raw_scores(
    probes: Sequence[KnownPerson], people: Sequence[KnownPerson], model: MatchModel = PRIOR
) -> list[Candidate]:
    """`score_candidates` before `rank`: each distinct person against its best probe, in
    the order given (scores of two searches can be ranked together without scoring a
    person twice)."""
    if not people:
        return []
    prepared_probes = [prepared(p) for p in probes]
    seen: set[str] = set()
    out: list[Candidate] = []
    for person in people:
        if person.member_id in seen:
            continue
        seen.add(person.member_id)
        target = prepared(person)
        best: tuple[float, tuple[FieldComparison, ...]] | None = None
        for probe in prepared_probes:
            scored = score_pair(probe, target, model)
            if best is None or scored[0] > best[0]:
                best = scored
        if best is not None:
            out.append(Candidate(person.member_id, best[0], best[1]))
    return out


def rank(raw: Sequence[Candidate]) -> tuple[Candidate, ...]:
    """Raw scores (each person once) best first; a subscriber number nobody among them
    holds weighs 0 (`NEW_NUMBER`)."""
    out = list(raw)
    if out and not any(_same_family(c) for c in out):
        out = [_unheld_number(c) for c in out]
    out.sort(key=lambda c: (-c.score, c.member_id))
    return tuple(out)


NEW_NUMBER = FieldComparison(
    "subscriber_number",
    "new_number",
    0.0,
    "subscriber number (REF*0F): held by no member (a new or renumbered family)",
)


_UNHELD: OrderedDict[
    int, tuple[tuple[FieldComparison, ...], tuple[FieldComparison, ...] | None, float]
] = OrderedDict()
"""`_unheld_number`'s comparisons and score by the identity of the tuple it replaces (None:
nothing to replace); the entry holds the tuple."""


def _unheld_number(candidate: Candidate) -> Candidate:
    """Another family's number weighs against a candidate only when the enrollee's number
    belongs to a known family; a number nobody holds (a family new or renumbered) says
    nothing about which person this is: weight 0."""
    before = candidate.comparisons
    hit = _UNHELD.get(id(before))
    if hit is None or hit[0] is not before:
        comparisons = tuple(
            NEW_NUMBER if c.field == "subscriber_number" and c.level == "other_family" else c
            for c in before
        )
        same = comparisons == before
        hit = (before, None if same else comparisons,
               0.0 if same else round(sum(c.weight for c in comparisons), 2))  # fmt: skip
        if len(_UNHELD) >= _BY_TUPLE_MAX:
            evict_oldest(_UNHELD)
        _UNHELD[id(before)] = hit
    if hit[1] is None:
        return candidate
    return Candidate(candidate.member_id, hit[2], hit[1])


_FAMILY_U = {
    ("birth_date", "exact"): 0.03,
    ("given_name", "exact"): 0.001,
    ("given_name", "nickname"): 0.001,
}
"""u among the members of one family instead of among strangers, for the levels that tell
them apart: a brother or sister shares the birth date when a twin (about 3 in 100 pairs of
children) but almost never the given name (about 1 in 1,000)."""
_WITHIN_FAMILY: dict[tuple[str, str], float] = {
    (c.field, lv.name): round(math.log2(lv.m / _FAMILY_U[c.field, lv.name]), 2)
    for c in COMPARISONS
    for lv in c.levels
    if (c.field, lv.name) in _FAMILY_U
}
"""Those levels' weights within one family (m is compare.py's)."""


def _same_family(candidate: Candidate) -> bool:
    """The candidate holds the enrollee's subscriber number."""
    return _levels(candidate).get("subscriber_number") == "same_family"


def desk_order(candidates: Sequence[Candidate]) -> tuple[Candidate, ...]:
    """Candidates for a person to decide between, most likely first.

    Scores weigh evidence against strangers, and against strangers an identical birth
    date says more than a given name. Inside the enrollee's family (the same subscriber
    number) it is the other way round: a twin shares the birth date, no sibling the given
    name. So a candidate of the enrollee's family is ranked here with those levels at
    their weights within one family (`_WITHIN_FAMILY`); scores are unchanged, and so is
    every automatic decision (the gate ranks by score)."""

    def key(c: Candidate) -> tuple[float, str]:
        value = c.score
        if _same_family(c):
            for f in c.comparisons:
                family = _WITHIN_FAMILY.get((f.field, f.level))
                if family is not None:
                    value += family - f.weight
        return -value, c.member_id

    return tuple(sorted(candidates, key=key))


def blockers(candidate: Candidate, *, dependent: bool) -> tuple[str, ...]:
    """Reasons a candidate may never be taken automatically, whatever its score.

    SSNs that conflict; places in the family that conflict; and inside one
    family (same subscriber number), where siblings and twins share surname,
    address and sometimes birth date: birth dates that conflict (unless SSN and
    given name — identical or a common nickname — are the same); and for
    dependents without an identical SSN, a birth date that is not identical
    (siblings are often one digit apart; a typo is let through only beside an
    identical given name and no conflicting gender or birth sequence, since no
    two brothers or sisters share a given name) or missing, a given
    name that is neither identical, a common nickname of it nor swapped with the
    surname (a close spelling, two nicknames of one name or a nickname only the
    public table lists, only with an agreeing birth sequence, INS17), or a
    different birth sequence — and with an identical SSN, a given name that
    conflicts or a different birth sequence (a sibling sent with a twin's SSN).
    `dependent` says the enrollee is
    neither subscriber nor spouse (or their place is unknown).
    """
    lv = _levels(candidate)
    out: list[str] = []
    if lv.get("ssn") == "conflict":
        out.append("ssn_conflict")
    if lv.get("relationship") == "conflict":
        out.append("relationship_conflict")
    if lv.get("subscriber_number") == "same_family":
        # An identical SSN tells family members apart; without one, only birth
        # date, given name and birth sequence do.
        ssn_exact = lv.get("ssn") == "exact"
        birth_date = lv.get("birth_date")
        # the same SSN and given name: a birth date sent wrong, not another family member
        same_person = ssn_exact and lv.get("given_name") in ("exact", "nickname")
        # the same given name with a birth date one keyed digit off (or day and month
        # swapped): a typo of this member's date — siblings share no given name
        typo = (
            birth_date in ("one_edit", "day_month_swapped")
            and lv.get("given_name") == "exact"
            and lv.get("birth_sequence") != "conflict"
            and lv.get("gender") != "conflict"
        )
        if (birth_date == "conflict" and not same_person) or (
            dependent and not ssn_exact and birth_date not in ("exact", "missing") and not typo
        ):
            out.append("family_birth_date")
        if dependent and not ssn_exact:
            given = lv.get("given_name")
            sequence_agrees = lv.get("birth_sequence") == "agree"
            if given not in ("exact", "nickname", "swapped") and not (
                given in ("jw_0.92", "nickname_shared", "nickname_listed") and sequence_agrees
            ):
                out.append("family_given_name")
            if lv.get("birth_sequence") == "conflict":
                out.append("family_birth_sequence")
            if birth_date == "missing":
                out.append("family_birth_date_missing")
        elif dependent:
            # An identical SSN with another given name or birth sequence: a sibling sent
            # with the SSN of a brother or sister (a twin's, keyed from the family's
            # papers) is likelier than a child renamed.
            if lv.get("given_name") == "conflict":
                out.append("family_given_name")
            if lv.get("birth_sequence") == "conflict":
                out.append("family_birth_sequence")
    return tuple(out)


def _plausible_without_score(candidate: Candidate) -> bool:
    """Shares an SSN (or one edit of it) or a Medicare id, or is in the same family
    with the same or a near birth date: never 'certainly somebody else'."""
    lv = _levels(candidate)
    if lv.get("ssn") in ("exact", "one_edit") or lv.get("medicare_id") == "exact":
        return True
    return lv.get("subscriber_number") == "same_family" and lv.get("birth_date") in (
        "exact",
        "day_month_swapped",
        "one_edit",
    )


_AGREES = {
    "ssn": frozenset({"exact", "one_edit"}),
    "birth_date": frozenset({"exact", "day_month_swapped", "one_edit"}),
    "surname": frozenset({"exact", "swapped", "part", "jw_0.92", "jw_0.80"}),
    "given_name": frozenset(
        {"exact", "swapped", "nickname", "nickname_shared", "nickname_listed", "jw_0.92", "close"}
    ),
}
"""Levels at which a person-level field agrees, even loosely."""
STRONG_LEVELS = {
    "ssn": frozenset({"exact", "one_edit"}),
    "birth_date": frozenset({"exact"}),
    "surname": frozenset({"exact", "swapped", "part", "jw_0.92"}),
    "given_name": frozenset(
        {"exact", "swapped", "nickname", "nickname_shared", "nickname_listed", "jw_0.92"}
    ),
}
"""Levels at which a field agrees closely (another family's member needs two)."""
_RARITY: dict[str, dict[str, float]] = {
    "birth_date": {"exact": 15.0, "day_month_swapped": 14.0, "one_edit": 10.0},
    "surname": {"exact": 7.0, "swapped": 12.0, "part": 7.0, "jw_0.92": 6.0, "jw_0.80": 3.0},
    "given_name": {
        "exact": 6.5,
        "swapped": 12.0,
        "nickname": 6.0,
        "nickname_shared": 5.0,
        "nickname_listed": 5.0,
        "jw_0.92": 5.0,
        "close": 3.0,
    },
    "gender": {"agree": 1.0},
    "address": {"exact": 16.0, "street": 15.0, "similar": 12.0},
}
"""How rare each agreement is between two *different* people drawn at random from a roster,
in bits (−log2 of the chance): a birth date is one of about 31,000 days in 85 years and one
keyed digit away from about 30; a surname or given name is shared by up to one person in
a hundred; a street line by a household. Estimates of the same kind as the m/u table."""
KNOWN_SHARE = 0.5
"""The prior: the share of incoming enrollments that are of people the ledger holds."""
CERTAINLY_ELSE = 0.001
"""A candidate with a conflicting field is *certainly somebody else* when the chance that it
is the enrollee — the enrollee's agreeing fields against the strangers of a roster its
size who would agree so far by chance, the conflicts at their m — is below this."""
_M = {
    c.field: {lv.name: math.log2(lv.m) for lv in c.levels}
    for c in COMPARISONS
    if c.field in ("ssn", "birth_date", "surname", "given_name", "gender", "address")
}
"""log2 m of each level of the person-level fields (compare.py's declared m)."""
STREET_LEVELS = frozenset({"exact", "street", "similar"})
"""Address levels at which two people share a street line (ZIP or not)."""
_HOUSEHOLD_SURNAME = frozenset({"exact", "part", "jw_0.92"})
"""Surname levels that make one street line one household (a swap is the person's)."""


def chance_it_is(candidate: Candidate, roster: int) -> float:
    """The chance that `candidate` is the enrollee rather than one of the strangers of a
    roster of `roster` people who would agree as it does by chance alone: each field's
    level counts at m (the share of true pairs sent so) over its chance between
    strangers (`_RARITY`; a conflict is what strangers show), and the prior is
    `KNOWN_SHARE`."""
    return _chance(_levels(candidate), roster)


def _chance(lv: Mapping[str, str], roster: int) -> float:
    bits = sum(table.get(lv.get(name, ""), 0.0) for name, table in _RARITY.items())
    for name, levels in _M.items():
        bits += levels.get(lv.get(name, ""), 0.0)
    odds = KNOWN_SHARE / (1 - KNOWN_SHARE) * math.pow(2.0, bits) / max(roster, 1)
    return odds / (1 + odds)


def could_be_the_enrollee(
    candidate: Candidate,
    place: str = "",
    *,
    family_known: bool = False,
    roster: int = 0,
    infant: bool = False,
) -> bool:
    """False when the candidate cannot be the enrollee even if any two fields were sent wrong.

    Agreements: SSN (or one edit), birth date (one keyed digit or day/month
    swapped count only beside a given name that does not conflict), surname,
    given name — loosely — and the street line. Conflicts: SSN, birth date,
    surname, given name, gender. A field missing on either side is neither.

    A *household* is the same subscriber number, or the same surname at the
    same street line (a family renumbered): there surname and street are
    shared, so they are no evidence of the person. Never certainly somebody
    else: the family's subscriber for a subscriber sent for the family; a
    household member born on the same or a near date (a twin, a sibling); a
    household member of the same given name with at most two conflicts; a
    household member when the enrollee or the member has no given name (missing,
    a filler or a single letter) and only the birth date conflicts (no SSN,
    gender or place that conflicts: a birth date may be sent wrong, and nothing
    else tells the two apart) — unless the enrollee is an `infant`, born in the
    year before the enrollment arrived: a newborn not yet named is enrolled beside
    the brothers and sisters born before. A spouse's place in the same family agrees.

    Certainly somebody else: when the enrollee's own family is known (a
    candidate holds its number), another family's member unless two of SSN,
    birth date, surname and given name agree closely (a person re-sent for a
    family is found in it; streets, birthdays, look-alike surnames are shared
    by strangers); outside the household, a birth date that conflicts with only
    the names agreeing (a namesake); three or more conflicts; two with at most
    one agreement; one with none. When the roster's size is known (`roster` > 0), a
    candidate outside the household with a conflicting field is judged by chance
    first (`chance_it_is`: the chance that it is the enrollee rather than one of the
    strangers a roster of `roster` people holds who agree so far by chance): below
    `CERTAINLY_ELSE` it is somebody else — among a million people a stranger sharing
    a given name and a birth date one keyed digit apart is common, so that is no
    evidence of the person; at or above it, two agreements make it a possible
    enrollee however many fields conflict — a birth date and a street line with
    three fields replaced, among five thousand, are no coincidence. `place` is the
    enrollee's place in the family (self/spouse/dependent).
    """
    lv = _levels(candidate)
    family = lv.get("subscriber_number") == "same_family"
    if family and place == "self" and lv.get("relationship") == "agree":
        return True  # a family has one subscriber
    street = lv.get("address") in STREET_LEVELS
    household = family or (street and lv.get("surname") in _HOUSEHOLD_SURNAME)
    dob = lv.get("birth_date")
    if household and dob in _AGREES["birth_date"]:
        return True  # a twin or a sibling born a keyed digit apart
    if (
        household
        and dob == "conflict"
        and lv.get("given_name") in ("missing", "initial")
        and not infant
        and "conflict" not in (lv.get("ssn"), lv.get("gender"), lv.get("relationship"))
    ):
        return True  # nameless in this household: only a birth date, perhaps sent wrong, differs
    agree = int(family and place == "spouse" and lv.get("relationship") == "agree")
    disagree = int(lv.get("gender") == "conflict")
    given_conflicts = lv.get("given_name") == "conflict"
    for name, levels in _AGREES.items():
        level = lv.get(name)
        if level == "conflict":
            disagree += 1
        elif level in levels:
            if household and name == "surname" and level != "swapped":
                continue
            if name == "birth_date" and level != "exact" and given_conflicts:
                continue
            agree += 1
    if family_known and not family:
        strong = sum(lv.get(name) in levels for name, levels in STRONG_LEVELS.items())
        if strong < 2:
            return False  # a person re-sent for a known family is found in it
    if not household and street:
        agree += 1
    if household and lv.get("given_name") in ("exact", "nickname"):
        return disagree <= 2  # one household rarely has two members of one given name
    if not household and dob == "conflict" and not street and lv.get("ssn") not in _AGREES["ssn"]:
        return False  # a namesake elsewhere: only the names agree, the birth date does not
    if disagree and not household and roster:
        if _chance(lv, roster) < CERTAINLY_ELSE:
            return False  # in a roster this large, strangers agree so far by chance
        if agree >= 2:
            return True  # two agreements no stranger of a roster this size shows by chance
    if disagree >= 3:
        return False
    if disagree == 2:
        return agree >= 2
    if disagree == 1:
        return agree >= 1
    return True


def _plausible(
    candidate: Candidate, lower: float, place: str, known: bool, roster: int, infant: bool
) -> bool:
    """Not certainly somebody else (`assess`): at or above `lower`, plausible without
    a score, or a possible enrollee (`known`: a candidate holds the enrollee's number)."""
    return (
        candidate.score >= lower
        or _plausible_without_score(candidate)
        or could_be_the_enrollee(
            candidate, place, family_known=known, roster=roster, infant=infant
        )
    )


def nobody_more(
    first: Sequence[Candidate],
    more: Sequence[Candidate],
    thresholds: Thresholds,
    *,
    place: str = "",
    model: MatchModel = PRIOR,
    roster: int = 0,
    infant: bool = False,
) -> bool:
    """True when `assess(rank([*first, *more]), …)` is certainly 'new', given that
    `assess(rank(first), …)` is, with the same thresholds, place, model, roster and infant
    (`first` and `more`: raw scores of distinct people). False: assess the whole.

    When no person of `more` holds the enrollee's subscriber number, ranking them with
    `first` changes none of `first`'s candidates (a number held by nobody weighs 0 for
    all or for none) nor what `assess` reads of the whole (whether the family is known),
    so the verdict is 'new' exactly when none of `more`, as ranked there, is plausible.
    """
    known = any(_same_family(c) for c in first)
    lower = thresholds.lower_score(model)
    for c in more:
        if _same_family(c):
            return False
        if _plausible(c if known else _unheld_number(c), lower, place, known, roster, infant):
            return False
    return True


def assess(
    candidates: tuple[Candidate, ...],
    thresholds: Thresholds,
    *,
    dependent: bool,
    place: str = "",
    model: MatchModel = PRIOR,
    roster: int = 0,
    infant: bool = False,
) -> Assessment:
    """Apply the certainty gate to scored candidates (best first, scored with `model`);
    `place` is the enrollee's place in the family and `roster` the number of people the
    candidates were searched among (see `could_be_the_enrollee`; 0: not known, no
    chance rule); `infant`: the enrollee was born in the year before the enrollment
    arrived."""
    if not candidates:
        return Assessment("new", candidates)
    best = candidates[0]
    upper, lower = thresholds.upper_score(model), thresholds.lower_score(model)
    known = any(_same_family(c) for c in candidates)
    if not any(_plausible(c, lower, place, known, roster, infant) for c in candidates):
        return Assessment("new", candidates)
    found: list[str] = list(blockers(best, dependent=dependent))
    if best.score < upper:
        found.append("below_upper_threshold")
    if len(candidates) > 1 and best.score - candidates[1].score < thresholds.margin:
        found.append("runner_up_within_margin")
    if found:
        return Assessment("uncertain", candidates, tuple(found))
    return Assessment("match", candidates)


def identify_known(
    probes: Sequence[KnownPerson],
    subscriber_number: str,
    relationship_group: str,
    birth_sequence: int | None,
    people: Sequence[KnownPerson],
    thresholds: Thresholds,
    model: MatchModel = PRIOR,
    roster: int = 0,
) -> Assessment:
    """Find the known member a change or termination is about.

    First by identifiers: the family with this subscriber number, the members
    in the enrollee's place in it (self/spouse/dependent), narrowed by birth
    sequence and, as tie-break, by identical birth date with identical or
    nickname given name (against any probe, so 2100B OLD values count).
    Exactly one survivor without an SSN or relationship conflict is a
    ``match`` when it agrees on the SSN, or (subscriber/spouse) on birth date
    or given name, or (dependent) on birth date and given name. Otherwise
    the certainty gate decides.
    """
    dependent = relationship_group not in ("self", "spouse")
    scored = score_candidates(probes, people, model)
    by_id = {c.member_id: c for c in scored}
    family_key = normalize_id(subscriber_number)
    family = [
        p
        for p in people
        if family_key and family_key in {normalize_id(s) for s in p.subscriber_numbers}
    ]
    prepared = {p.member_id: prepare(p) for p in family}
    in_place = [
        p
        for p in family
        if not relationship_group or prepared[p.member_id].relationship in ("", relationship_group)
    ]
    if birth_sequence is not None:
        in_place = [
            p for p in in_place if prepared[p.member_id].birth_sequence in (None, birth_sequence)
        ]
    in_place = list({p.member_id: p for p in in_place}.values())
    if len(in_place) > 1:
        in_place = [
            p
            for p in in_place
            if _levels(by_id[p.member_id]).get("birth_date") == "exact"
            and _levels(by_id[p.member_id]).get("given_name") in ("exact", "nickname")
        ]
    if len(in_place) == 1:
        chosen = by_id[in_place[0].member_id]
        lv = _levels(chosen)
        conflicts = [
            b
            for b in blockers(chosen, dependent=dependent)
            if b in ("ssn_conflict", "relationship_conflict")
        ]
        same_name = lv.get("given_name") in ("exact", "nickname", "swapped")
        same_dob = lv.get("birth_date") == "exact"
        # A dependent may have an unknown twin or sibling: both must agree.
        agrees = lv.get("ssn") == "exact" or (
            same_dob and same_name if dependent else same_dob or same_name
        )
        if not conflicts and agrees:
            rest = tuple(c for c in scored if c.member_id != chosen.member_id)
            return Assessment("match", (chosen, *rest))
    return assess(
        scored, thresholds, dependent=dependent, place=relationship_group, model=model,
        roster=roster,
    )
