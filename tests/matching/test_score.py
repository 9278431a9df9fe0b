"""The certainty gate: scores are sums of named weights; blockers and plausibility hold."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from matching.decisions import Candidate, FieldComparison, KnownPerson
from matching.score import (
    CERTAINLY_ELSE,
    Thresholds,
    assess,
    blockers,
    chance_it_is,
    could_be_the_enrollee,
    score_candidates,
)

CHILD = KnownPerson(
    member_id="C1",
    subscriber_numbers=("SUB1",),
    last="OKONKWO",
    first="ADAEZE",
    birth_date=dt.date(2016, 4, 12),
    gender="F",
    relationship="19",
    birth_sequence=1,
    address_line1="3 Birch Way",
    postal_code="44101",
)
SIBLING = replace(
    CHILD, member_id="C2", first="CHIOMA", birth_date=dt.date(2018, 4, 12), birth_sequence=2
)


def test_score_is_the_sum_of_field_weights_and_sorted() -> None:
    probe = replace(CHILD, member_id="")
    scored = score_candidates([probe], [SIBLING, CHILD, CHILD])
    assert [c.member_id for c in scored] == ["C1", "C2"]  # duplicates dropped, best first
    for c in scored:
        assert abs(c.score - sum(f.weight for f in c.comparisons)) < 0.05
        assert {f.field for f in c.comparisons} >= {"ssn", "birth_date", "surname", "given_name"}


def test_sibling_one_digit_dob_away_is_never_automatic() -> None:
    # a brother or sister born one keyed digit apart, named alike but not the same
    for first in ("ADAEZI", "ADA", ""):
        probe = replace(SIBLING, member_id="", first=first, birth_date=dt.date(2016, 4, 13),
                        birth_sequence=None)  # fmt: skip
        scored = score_candidates([probe], [CHILD])
        assert "family_birth_date" in blockers(scored[0], dependent=True), first
        assert assess(scored, Thresholds(), dependent=True).verdict == "uncertain", first


def test_a_birth_date_typo_beside_the_same_given_name_is_this_child() -> None:
    # no two brothers or sisters share a given name: one keyed digit (or day and month
    # swapped) beside an identical given name is this child's date sent wrong ...
    for born in (dt.date(2016, 4, 13), dt.date(2016, 12, 4)):
        typo = replace(CHILD, member_id="", birth_date=born)
        scored = score_candidates([typo], [CHILD, SIBLING])
        assert scored[0].member_id == "C1"
        assert "family_birth_date" not in blockers(scored[0], dependent=True), born
        assert assess(scored, Thresholds(), dependent=True).verdict == "match", born
    # ... unless the gender or the birth sequence says another child
    for other in ({"gender": "M"}, {"birth_sequence": 2}):
        typo = replace(CHILD, member_id="", birth_date=dt.date(2016, 4, 13), **other)
        (scored,) = score_candidates([typo], [CHILD])
        assert "family_birth_date" in blockers(scored, dependent=True), other


def test_same_family_near_birth_date_is_never_certainly_new() -> None:
    probe = replace(
        CHILD,
        member_id="",
        first="ZED",
        last="OKONKWO-BELL",
        birth_date=dt.date(2016, 4, 21),
        gender="",
        address_line1="",
        postal_code="",
    )
    scored = score_candidates([probe], [CHILD])
    assert scored[0].score < Thresholds().lower_score()
    assert assess(scored, Thresholds(), dependent=True).verdict == "uncertain"
    far = replace(probe, birth_date=dt.date(2025, 12, 1))
    assert assess(score_candidates([far], [CHILD]), Thresholds(), dependent=True).verdict == "new"


def test_margin_over_runner_up_is_required() -> None:
    probe = replace(CHILD, member_id="", subscriber_numbers=(), relationship="")
    twin = replace(CHILD, member_id="C3", subscriber_numbers=("SUB9",))
    scored = score_candidates([probe], [CHILD, twin])
    result = assess(scored, Thresholds(), dependent=False)
    assert result.verdict == "uncertain"
    assert "runner_up_within_margin" in result.blockers
    assert assess(scored[:1], Thresholds(), dependent=False).verdict == "match"


def test_no_candidates_means_new() -> None:
    assert assess((), Thresholds(), dependent=True).verdict == "new"


def _levels(**levels: str) -> Candidate:
    return Candidate("X", 0.0, tuple(FieldComparison(f, lv, 0.0, "") for f, lv in levels.items()))


def test_a_newborn_is_certainly_not_a_sibling_nor_a_parent() -> None:
    """Inside one family surname and street are shared: for an infant (born in the year
    before the enrollment arrived) a far birth date alone (the given name a placeholder)
    rules a sibling out, so a newborn is new; anybody older sent so could be the member."""
    sibling = _levels(birth_date="conflict", surname="exact", given_name="missing",
                      address="exact", subscriber_number="same_family",
                      relationship="agree")  # fmt: skip
    assert not could_be_the_enrollee(sibling, "dependent", infant=True)
    assert could_be_the_enrollee(sibling, "dependent")
    born_near = _levels(birth_date="one_edit", surname="exact", subscriber_number="same_family")
    assert could_be_the_enrollee(born_near, "dependent")  # a twin or a sibling


def test_two_fields_sent_wrong_never_make_a_person_certainly_new() -> None:
    """SSN and given name replaced, the rest agreeing (FEBRL's noise): not certain."""
    replaced = _levels(ssn="conflict", given_name="conflict", birth_date="exact",
                       surname="exact", address="similar",
                       subscriber_number="other_family")  # fmt: skip
    assert could_be_the_enrollee(replaced)
    three = _levels(ssn="conflict", given_name="conflict", birth_date="conflict",
                    surname="exact", subscriber_number="other_family")  # fmt: skip
    assert not could_be_the_enrollee(three)


def test_a_namesake_elsewhere_born_another_day_is_somebody_else() -> None:
    namesake = _levels(birth_date="conflict", surname="exact", given_name="exact",
                       address="conflict", subscriber_number="other_family")  # fmt: skip
    assert not could_be_the_enrollee(namesake)
    neighbour = _levels(birth_date="conflict", surname="exact", given_name="exact",
                        ssn="conflict", address="street",
                        subscriber_number="other_family")  # fmt: skip
    assert could_be_the_enrollee(neighbour)  # same name at the same street: the household


def test_the_family_subscriber_is_never_certainly_another_subscriber() -> None:
    head = _levels(ssn="conflict", birth_date="conflict", given_name="missing",
                   surname="exact", relationship="agree",
                   subscriber_number="same_family")  # fmt: skip
    assert could_be_the_enrollee(head, "self")
    assert not could_be_the_enrollee(head, "dependent")


def test_assess_holds_a_plausible_candidate_below_the_lower_threshold() -> None:
    probe = replace(CHILD, member_id="", ssn="", first="ADAEZE", birth_date=dt.date(2009, 1, 1),
                    subscriber_numbers=("SUB9",), birth_sequence=None)  # fmt: skip
    scored = score_candidates([probe], [replace(CHILD, address_line1="")])
    assert scored[0].score < Thresholds().lower_score()
    # other family, birth date replaced: only the names agree → a namesake
    assert assess(scored, Thresholds(), dependent=True).verdict == "new"
    near = replace(probe, address_line1=CHILD.address_line1, postal_code="", gender="M")
    scored = score_candidates([near], [CHILD])
    assert scored[0].score < Thresholds().lower_score()
    # the same street line: one household, where the same given name is the same child
    assert assess(scored, Thresholds(), dependent=True).verdict == "uncertain"


def test_a_look_alike_is_evidence_in_a_small_roster_and_chance_in_a_large_one() -> None:
    """A stranger sharing the given name and a birth date one keyed digit apart, the surname
    and the street different: among ten thousand people that is rare enough to hold the
    enrollee for a person (a married name, a move, a typo); among a million, a few
    strangers look like that by chance, so the enrollee is certainly new."""
    lookalike = _levels(given_name="exact", birth_date="one_edit", surname="conflict",
                        gender="agree", address="conflict",
                        subscriber_number="new_number")  # fmt: skip
    assert could_be_the_enrollee(lookalike)  # roster unknown: no chance rule
    assert chance_it_is(lookalike, 10_000) > CERTAINLY_ELSE
    assert could_be_the_enrollee(lookalike, roster=10_000)
    assert chance_it_is(lookalike, 1_000_000) < CERTAINLY_ELSE
    assert not could_be_the_enrollee(lookalike, roster=1_000_000)
    # the same given name and birth date exactly: rare among a million too
    same_day = _levels(given_name="exact", birth_date="exact", surname="conflict",
                       gender="agree", address="conflict",
                       subscriber_number="new_number")  # fmt: skip
    assert could_be_the_enrollee(same_day, roster=1_000_000)
    # the birth date and the street line the same, SSN and both names replaced: among
    # five thousand people no stranger agrees so; the counts alone would call it new
    replaced = _levels(ssn="conflict", surname="conflict", given_name="conflict",
                       birth_date="exact", address="exact",
                       subscriber_number="new_number")  # fmt: skip
    assert not could_be_the_enrollee(replaced)
    assert could_be_the_enrollee(replaced, roster=5_000)
    # the birth date alone with three fields replaced stays somebody else
    only_born = _levels(ssn="conflict", surname="conflict", given_name="conflict",
                        birth_date="exact", address="conflict",
                        subscriber_number="new_number")  # fmt: skip
    assert not could_be_the_enrollee(only_born, roster=100)
    # inside the household the rule never applies: a sibling may be a twin
    born_near = _levels(birth_date="one_edit", surname="exact", given_name="conflict",
                        subscriber_number="same_family")  # fmt: skip
    assert could_be_the_enrollee(born_near, "dependent", roster=10_000_000)


def test_the_gate_speaks_of_the_roster_the_candidates_came_from() -> None:
    """assess and the route pass the source's roster size: the same candidate holds the
    enrollee in a small ledger and not in a large one."""
    probe = replace(CHILD, member_id="", ssn="", last="ZYLSTRA", postal_code="99999",
                    address_line1="1 OTHER RD", subscriber_numbers=("SUB9",),
                    birth_date=CHILD.birth_date + dt.timedelta(days=1),
                    birth_sequence=None)  # fmt: skip
    scored = score_candidates([probe], [CHILD])
    levels = {f.field: f.level for f in scored[0].comparisons}
    assert levels["birth_date"] == "one_edit" and levels["surname"] == "conflict"
    assert assess(scored, Thresholds(), dependent=True, roster=10_000).verdict == "uncertain"
    assert assess(scored, Thresholds(), dependent=True, roster=5_000_000).verdict == "new"


def test_a_nameless_enrollee_of_a_household_is_never_certainly_another_member() -> None:
    # sent without a given name and with a birth date that differs: nothing but a birth
    # date, perhaps sent wrong, tells this person from the member of that household
    nameless = replace(CHILD, member_id="", first="", birth_date=dt.date(2009, 11, 3))
    (scored,) = score_candidates([nameless], [CHILD])
    assert could_be_the_enrollee(scored, "dependent")
    assert assess((scored,), Thresholds(), dependent=True).verdict == "uncertain"
    for placeholder in ("B", "BABY"):  # a single letter and a filler name count as missing
        (s,) = score_candidates([replace(nameless, first=placeholder)], [CHILD])
        assert could_be_the_enrollee(s, "dependent"), placeholder
    # another gender, or a given name that differs, is somebody else of the household
    (boy,) = score_candidates([replace(nameless, gender="M")], [CHILD])
    assert not could_be_the_enrollee(boy, "dependent")
    (named,) = score_candidates([replace(nameless, first="NNEKA")], [CHILD])
    assert not could_be_the_enrollee(named, "dependent")
