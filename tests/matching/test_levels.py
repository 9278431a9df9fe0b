"""The compiled comparisons give the declared levels; the wider search's screen and
`nobody_more` never change a verdict; prepared forms are kept per object."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import Counter, OrderedDict
from dataclasses import replace

import pytest

import matching.levels as levels
import matching.route as route
from matching.blocking import lookup_keys, wide_keys
from matching.compare import COMPARISONS, Stored, compare, prepare, stored, tf_values
from matching.decisions import Candidate, GroupPolicy, KnownPerson, Outcome
from matching.evaluate import HEADER, RECEIVED, labelled_set, learned_model
from matching.levels import apart, apart_bound, apart_from_all, level_indices, prepared, scored
from matching.memory import MemoryCandidates
from matching.model import PRIOR, MatchModel, weigh
from matching.person import enrollee_probes, transaction_person
from matching.route import MatchingSettings, decide_family
from matching.score import (
    Thresholds,
    _plausible_without_score,
    _unheld_number,
    assess,
    could_be_the_enrollee,
    nobody_more,
    rank,
    raw_scores,
    score_pair,
)

# Each field's values are chosen to reach every level of it against the others.
SSNS = ["212345678", "212345687", "212345679", "312345678", "987654320", "", "123456789"]
LASTS = ["KOWALSKI", "KOWALSKY", "KOWAL", "SMITH-JONES", "SMITH", "JONES", "ROBERT", "K",
         "KOWALCZYK", "BOB", "", "DE LA CRUZ", "DELACRUZ", "NGUYEN"]  # fmt: skip
FIRSTS = ["ROBERT", "BOB", "ROB", "ROBRET", "ROBERTA", "R", "WILLIAM", "BILL", "LIAM",
          "WILLIE", "KOWALSKI", "SMITH", "ANDREW", "RANDY", "", "OBERT", "ROVERT"]  # fmt: skip
DOBS = [dt.date(1980, 3, 4), dt.date(1980, 4, 3), dt.date(1980, 3, 5), dt.date(1981, 3, 4),
        dt.date(1980, 3, 14), dt.date(1975, 11, 30), dt.date(1980, 12, 3), None]  # fmt: skip
GENDERS = ["M", "F", "U", ""]
PLACES = ["18", "01", "19", ""]
SEQUENCES = [1, 2, None]
STREETS = [("12 Maple Street", "55101"), ("12 Maple Street", ""), ("12 MAPLESTREET", "55101"),
           ("14 Maple Street", "55101"), ("12 Maple Streat", "55101"), ("9 Oak Ave", "55101"),
           ("9 Oak Ave", "60601"), ("", "55101"), ("", ""), ("12 Maple Street", "60601")]  # fmt: skip
NUMBERS = [("SUB100",), ("SUB200",), ("SUB100", "SUB300"), ()]
MEDICARE = ["1EG4TE5MK73", "1EG4TE5MK74", ""]


def _pool(size: int, seed: int) -> list[KnownPerson]:
    rng = random.Random(seed)
    out = []
    for i in range(size):
        street, postal = rng.choice(STREETS)
        out.append(KnownPerson(
            member_id=f"P{i:05d}", subscriber_numbers=rng.choice(NUMBERS), ssn=rng.choice(SSNS),
            last=rng.choice(LASTS), first=rng.choice(FIRSTS), birth_date=rng.choice(DOBS),
            gender=rng.choice(GENDERS), relationship=rng.choice(PLACES),
            birth_sequence=rng.choice(SEQUENCES), address_line1=street, postal_code=postal,
            medicare_id=rng.choice(MEDICARE) if rng.random() < 0.2 else "",
        ))  # fmt: skip
    return out


def _pairs(count: int, seed: int) -> list[tuple[KnownPerson, KnownPerson]]:
    people = _pool(600, seed)
    rng = random.Random(seed + 1)
    out = []
    for _ in range(count):
        a = rng.choice(people)
        b = rng.choice(people)
        if rng.random() < 0.5:  # a near copy: one to three fields of a
            fields = rng.sample(
                ["ssn", "last", "first", "birth_date", "gender", "address_line1"], rng.randint(1, 3)
            )
            b = replace(a, member_id=b.member_id, **{f: getattr(b, f) for f in fields})
        out.append((a, b))
    return out


def test_compiled_levels_are_the_declared_levels_and_reach_every_level() -> None:
    reached: Counter[tuple[str, str]] = Counter()
    for a, b in _pairs(20_000, seed=3):
        x, y = prepare(a), prepare(b)
        declared = compare(x, y)
        score, found = scored(x, y)
        assert found == declared
        assert score == round(sum(c.weight for c in declared), 2)
        reached.update((c.field, c.level) for c in found)
    every = {(c.field, lv.name) for c in COMPARISONS for lv in c.levels}
    every |= {(c.field, "missing") for c in COMPARISONS}
    assert every - set(reached) == set()


def test_compiled_levels_on_the_labelled_sets_people() -> None:
    """Real noise: each incoming member against everybody the first and wider searches bring."""
    labelled = labelled_set("hard", 2, 300, 300, 100)
    source = MemoryCandidates(p for p, _ in labelled.store)
    model = learned_model(labelled)
    pairs = 0
    for family in labelled.incoming:
        for member in family:
            probes = enrollee_probes(member.tx)
            keys = lookup_keys(probes[::-1]) + wide_keys(probes[::-1])
            for probe in probes:
                for person in source.candidates(keys):
                    x, y = prepare(probe), prepare(person)
                    assert level_indices(x, y) == level_indices(prepared(probe), prepared(person))
                    assert scored(x, y)[1] == compare(x, y)
                    pairs += 1
                    if pairs % 7 == 0:  # a learned model weighs the same levels
                        learned = score_pair(x, y, model)
                        again = weigh(compare(x, y), model, tf_values(x))
                        assert learned == (round(sum(c.weight for c in again), 2), again)
    assert pairs > 1_000


def _plausible_anyhow(c: Candidate, lower: float, roster: int) -> bool:
    return (
        c.score >= lower
        or _plausible_without_score(c)
        or any(
            could_be_the_enrollee(c, place, family_known=known, roster=roster)
            for place in ("self", "spouse", "dependent", "")
            for known in (False, True)
        )
    )


@pytest.mark.parametrize("use_learned", [False, True])
def test_apart_pairs_are_certainly_somebody_else(use_learned: bool) -> None:
    model: MatchModel = PRIOR
    if use_learned:
        model = learned_model(labelled_set("synthetic", 1, 300, 300, 100))
    lower = Thresholds().lower_score(model)
    bound = apart_bound(model)
    assert bound < lower - 0.05  # the screen is on for both models
    held = 0
    for a, b in _pairs(20_000, seed=5):
        x, y = prepare(a), prepare(b)
        if not apart(x, y):
            continue
        held += 1
        score, found = score_pair(x, y, model)
        lv = {c.field: c.level for c in found}
        assert lv["ssn"] == "conflict" and lv["birth_date"] == "conflict"
        assert lv["address"] not in ("exact", "street", "similar")
        assert lv["subscriber_number"] != "same_family" and lv["medicare_id"] != "exact"
        raw = Candidate(b.member_id, score, found)
        for c in (raw, _unheld_number(raw)):
            assert c.score <= bound
            for roster in (0, 10, 5_000, 1_000_000):
                assert not _plausible_anyhow(c, lower, roster)
    assert held > 500


def test_nobody_more_is_assess_of_the_whole() -> None:
    """Whenever the first search's people leave 'new', `nobody_more` answers as ranking
    and assessing everybody together does (or defers: False)."""
    people = _pool(400, seed=11)
    rng = random.Random(12)
    thresholds = Thresholds()
    checked = Counter()
    for _ in range(3_000):
        probe = replace(rng.choice(people), member_id="")
        if rng.random() < 0.5:
            probe = replace(probe, subscriber_numbers=("SUB900",))  # a family nobody holds
        group = rng.choice(["self", "spouse", "dependent", ""])
        roster = rng.choice([0, 400, 1_000_000])
        first_people = rng.sample(people, rng.randint(0, 3))
        more_people = [p for p in rng.sample(people, rng.randint(1, 6)) if p not in first_people]
        first = raw_scores([probe], first_people)
        kw = {"dependent": group not in ("self", "spouse"), "place": group, "roster": roster}
        if assess(rank(first), thresholds, **kw).verdict != "new":
            continue
        more = raw_scores([probe], more_people)
        whole = assess(rank([*first, *more]), thresholds, **kw).verdict
        answer = nobody_more(first, more, thresholds, place=group, roster=roster)
        if answer:
            assert whole == "new"
        elif not any(c.comparisons[8].level == "same_family" for c in more):
            assert whole != "new"
        checked[(answer, whole)] += 1
    assert checked[(True, "new")] > 100 and sum(v for (a, _), v in checked.items() if not a) > 100


@pytest.mark.parametrize("data", ["synthetic", "hard"])
def test_the_screen_changes_no_decision(data: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every decision of a labelled set, with the wider search's screen, without it, and
    without judging the wider search's people alone."""
    labelled = labelled_set(data, 4, 400, 400, 150)
    group = GroupPolicy(sponsor_id="LABELLED")

    def run() -> list[tuple[object, ...]]:
        source = MemoryCandidates(p for p, _ in labelled.store)
        out = []
        for n, family in enumerate(labelled.incoming):
            decisions = decide_family(HEADER, [m.tx for m in family], candidates=source,
                                      group=group, received_at=RECEIVED,
                                      settings=MatchingSettings())  # fmt: skip
            for i, d in enumerate(decisions):
                out.append((d.outcome, d.member_id, d.score, d.reason, d.explanation,
                            d.candidates))  # fmt: skip
                if d.outcome is Outcome.NEW_MEMBER:
                    source.add(replace(transaction_person(d.transaction),
                                       member_id=f"N{n}.{i}"))  # fmt: skip
        return out

    screened = run()
    screened_people = Counter[str]()
    real_screen = route._screen

    def counting(*args: object, **kw: object) -> tuple[list[KnownPerson], list[KnownPerson]]:
        found = real_screen(*args, **kw)  # type: ignore[arg-type]
        screened_people["apart"] += len(found[0])
        return found

    monkeypatch.setattr(route, "_screen", counting)
    assert run() == screened
    assert screened_people["apart"] > 0  # the screen did set people aside
    monkeypatch.setattr(route, "_screen", lambda probes, more, model, lower: ([], more))
    assert run() == screened
    # and as the gate was before either: everybody ranked and assessed together
    monkeypatch.setattr(route, "nobody_more", lambda *args, **kw: False)
    assert run() == screened


def test_prepared_is_kept_per_object_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(levels, "_PREPARED", OrderedDict())
    monkeypatch.setattr(levels, "PREPARED_MAX", 3)
    people = _pool(5, seed=1)
    first = prepared(people[0])
    assert prepared(people[0]) is first
    twin = replace(people[0])  # equal, another object: prepared on its own, the same values
    assert prepared(twin) == first and prepared(twin) is not first
    for p in people:
        assert prepared(p) == prepare(p)
    assert len(levels._PREPARED) == 3
    kept = prepared(people[2])  # used: kept, while the least recently used goes
    prepared(people[0])
    assert prepared(people[2]) is kept and id(people[3]) not in levels._PREPARED
    assert all(held is person for key, (held, _) in levels._PREPARED.items()
               for person in [held] if id(person) == key)  # fmt: skip


def test_every_declared_level_has_its_shared_field_comparison() -> None:
    for c, shared in zip(COMPARISONS, levels._LEVELS, strict=True):
        assert [f.level for f in shared] == [lv.name for lv in c.levels] + ["missing"]
        assert [f.weight for f in shared[:-1]] == [lv.weight for lv in c.levels]
    assert list(itertools.chain.from_iterable(levels._LEVELS))


def test_the_stored_form_is_what_prepare_gives_those_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`compare.stored` normalises SSN, birth date, street, ZIP, family and Medicare id
    exactly as `prepare` does, so `apart` reads the same either way, and `apart_from_all`
    is `apart` from each probe, on people prepared or not."""
    people = _pool(600, seed=5) + [
        replace(p, birth_date=d) for p, d in zip(
            _pool(4, seed=6), [dt.date(999, 1, 2), dt.date(1, 12, 31), dt.date(1000, 1, 1),
                               dt.date(2024, 2, 29)], strict=True)
    ]  # fmt: skip
    for person in people:
        x = prepare(person)
        y = stored(person.ssn, person.birth_date, person.subscriber_numbers,
                   person.medicare_id, person.address_line1, person.postal_code)  # fmt: skip
        for name in Stored.__slots__:
            assert getattr(y, name) == getattr(x, name), name
        if person.birth_date is not None:
            assert x.birth_digits == person.birth_date.strftime("%Y%m%d")
    monkeypatch.setattr(levels, "_PREPARED", OrderedDict())
    pairs = _pairs(6_000, seed=9)
    rng = random.Random(10)
    answers: Counter[bool] = Counter()
    for i in range(0, len(pairs) - 2, 3):
        (a, b), (c, _), (e, _) = pairs[i : i + 3]
        mine = [prepare(a), prepare(c), prepare(e)][: rng.randint(1, 3)]
        whole = all(apart(p, prepare(b)) for p in mine)
        assert apart_from_all(mine, b) == whole  # b not prepared: not kept either
        assert not levels._PREPARED
        assert apart(mine[0], prepare(b)) == apart(mine[0], y_of(b))
        answers[whole] += 1
        prepared(b)
        assert apart_from_all(mine, b) == whole  # on the kept prepared form
        levels._PREPARED.clear()
    assert answers[True] > 10 and answers[False] > 100


def y_of(person: KnownPerson) -> Stored:
    return stored(person.ssn, person.birth_date, person.subscriber_numbers, person.medicare_id,
                  person.address_line1, person.postal_code)  # fmt: skip
