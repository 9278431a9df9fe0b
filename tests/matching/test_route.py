"""Routing rules: changes/terms, the enrollment gate, COBRA, Medicare, family holds, SLA."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from edi.records import Lineage, MemberTransaction, TransactionSetHeader
from matching.decisions import (
    CobraAdministration,
    Decision,
    GroupPolicy,
    KnownPerson,
    Outcome,
    Reason,
)
from matching.memory import MemoryCandidates
from matching.route import MatchingSettings, decide_family, due_at, hold_dependents
from matching.synthetic import OldValues, member_transaction, transaction_for

HEADER = TransactionSetHeader(lineage=Lineage(source="test.edi"))
RECEIVED = dt.datetime(2026, 1, 9, 16, 0, tzinfo=dt.UTC)  # a Friday
GROUP = GroupPolicy(sponsor_id="ACME", cobra=CobraAdministration.SELF, representative="Desk 7")

FAMILY = "SUB100"
COMMON = {"subscriber_numbers": (FAMILY,), "address_line1": "12 Maple St", "postal_code": "55101"}
ROBERT = KnownPerson(
    member_id="M1",
    ssn="212345678",
    last="KOWALSKI",
    first="ROBERT",
    birth_date=dt.date(1980, 3, 4),
    gender="M",
    relationship="18",
    **COMMON,  # type: ignore[arg-type]
)
ANNA = KnownPerson(
    member_id="M2",
    ssn="298765432",
    last="KOWALSKI",
    first="ANNA",
    birth_date=dt.date(1982, 7, 21),
    gender="F",
    relationship="01",
    **COMMON,  # type: ignore[arg-type]
)
TWIN1 = KnownPerson(
    member_id="M3",
    last="KOWALSKI",
    first="JADEN",
    birth_date=dt.date(2015, 5, 6),
    gender="M",
    relationship="19",
    birth_sequence=1,
    **COMMON,  # type: ignore[arg-type]
)
TWIN2 = replace(TWIN1, member_id="M4", first="JAYDEN", birth_sequence=2)
OLDER = replace(
    TWIN1,
    member_id="M5",
    first="MAYA",
    gender="F",
    birth_date=dt.date(2011, 9, 30),
    birth_sequence=None,
)
STRANGER = KnownPerson(
    member_id="M9",
    subscriber_numbers=("SUB900",),
    ssn="301223344",
    last="NAKAMURA",
    first="HIRO",
    birth_date=dt.date(1975, 11, 2),
    gender="M",
    relationship="18",
    address_line1="4 Elm Road",
    postal_code="60601",
)
SOURCE = MemoryCandidates([ROBERT, ANNA, TWIN1, TWIN2, OLDER, STRANGER])


def decide(
    *family: MemberTransaction,
    group: GroupPolicy = GROUP,
    settings: MatchingSettings | None = None,
) -> list[Decision]:
    return decide_family(
        HEADER,
        list(family),
        candidates=SOURCE,
        group=group,
        received_at=RECEIVED,
        settings=settings,
    )


def one(tx: MemberTransaction, **kw: object) -> Decision:
    (decision,) = decide(tx, **kw)  # type: ignore[arg-type]
    assert decision.transaction is tx
    return decision


# ---------------------------------------------------------------- rule 1: changes and terms


def test_demographic_change_of_known_subscriber_applies_now() -> None:
    d = one(transaction_for(ROBERT, maintenance="001", coverages=(), address_line1="9 Oak Ave"))
    assert (d.outcome, d.member_id, d.reason) == (Outcome.APPLY, "M1", None)
    assert d.candidates[0].member_id == "M1" and d.score is not None


def test_name_correction_matched_on_2100b_old_values() -> None:
    tx = transaction_for(
        ANNA,
        maintenance="001",
        coverages=(),
        last="NOWAK",
        ssn="",
        old=OldValues(last="KOWALSKI", first="ANNA"),
    )
    d = one(tx)
    assert (d.outcome, d.member_id) == (Outcome.APPLY, "M2")


def test_birth_date_correction_of_a_twin_uses_birth_sequence_and_old_dob() -> None:
    tx = transaction_for(
        TWIN2,
        maintenance="001",
        coverages=(),
        birth_date=dt.date(2015, 5, 7),
        old=OldValues(birth_date=dt.date(2015, 5, 6)),
    )
    d = one(tx)
    assert (d.outcome, d.member_id) == (Outcome.APPLY, "M4")


def test_termination_by_ins03_or_hd_of_known_member_applies() -> None:
    d = one(transaction_for(OLDER, maintenance="024", coverages=("024",)))
    assert (d.outcome, d.member_id) == (Outcome.APPLY, "M5")
    d = one(transaction_for(ANNA, maintenance="001", coverages=("024",)))
    assert (d.outcome, d.member_id) == (Outcome.APPLY, "M2")
    assert d.explanation.startswith("termination")


def test_change_for_unknown_member_goes_to_review() -> None:
    tx = member_transaction(
        maintenance="024",
        subscriber_number="SUB555",
        ssn="405060708",
        last="OKAFOR",
        first="CHIDI",
        birth_date=dt.date(1990, 1, 15),
        gender="M",
        coverages=("024",),
    )
    d = one(tx)
    assert (d.outcome, d.reason, d.queue) == (Outcome.REVIEW, Reason.UNKNOWN_MEMBER, "review")
    assert d.member_id is None


def test_twin_without_birth_sequence_or_clear_name_is_uncertain() -> None:
    tx = transaction_for(TWIN1, maintenance="001", coverages=(), first="J", birth_sequence=None)
    d = one(tx)
    assert d.outcome is Outcome.REVIEW
    assert d.reason in (Reason.UNCERTAIN_MATCH, Reason.CONFLICT)
    assert {c.member_id for c in d.candidates[:2]} == {"M3", "M4"}


def test_change_with_conflicting_ssn_is_not_applied() -> None:
    tx = transaction_for(ROBERT, maintenance="001", coverages=(), ssn="509876123")
    d = one(tx)
    assert d.outcome is Outcome.REVIEW
    assert d.reason is Reason.CONFLICT


# ---------------------------------------------------------------- rule 2: the certainty gate


def test_enrollment_certain_match_applies_to_that_person() -> None:
    d = one(transaction_for(ROBERT, first="BOB", maintenance="025", coverages=("025",)))
    assert (d.outcome, d.member_id) == (Outcome.APPLY, "M1")
    assert d.score is not None and d.score >= MatchingSettings().thresholds.upper_score()


def test_coverage_addition_under_a_change_goes_through_the_gate() -> None:
    d = one(transaction_for(STRANGER, maintenance="001", coverages=("021",)))
    assert (d.outcome, d.member_id) == (Outcome.APPLY, "M9")


def test_enrollment_of_somebody_certainly_new() -> None:
    tx = member_transaction(
        subscriber_number="SUB777",
        ssn="402938475",
        last="OKAFOR",
        first="CHIDI",
        birth_date=dt.date(1990, 1, 15),
        gender="M",
        address_line1="8 Pine Ln",
        postal_code="73301",
    )
    d = one(tx)
    assert (d.outcome, d.member_id, d.reason) == (Outcome.NEW_MEMBER, None, None)


def test_new_twin_never_applied_to_the_known_twin() -> None:
    tx = transaction_for(TWIN1, first="JAIDEN", birth_sequence=None, relationship="19")
    d = one(tx)
    assert d.outcome is Outcome.REVIEW
    assert d.due_at == RECEIVED + dt.timedelta(hours=48)


def test_namesake_with_other_ssn_is_held_as_conflict() -> None:
    tx = transaction_for(
        STRANGER,
        ssn="587654321",
        subscriber_number="SUB901",
        address_line1="1 Bay St",
        postal_code="94105",
    )
    d = one(tx)
    assert (d.outcome, d.reason) == (Outcome.REVIEW, Reason.CONFLICT)
    assert "ssn_conflict" in d.explanation


def test_audit_members_use_the_same_gate() -> None:
    d = one(transaction_for(ANNA, maintenance="030", coverages=("030",)))
    assert (d.outcome, d.member_id) == (Outcome.APPLY, "M2")


def test_newborn_added_to_a_known_family_is_not_applied_to_a_sibling() -> None:
    tx = transaction_for(
        OLDER, first="ZOE", birth_date=dt.date(2025, 11, 1), birth_sequence=3, ssn=""
    )
    d = one(tx)
    assert d.outcome in (Outcome.NEW_MEMBER, Outcome.REVIEW)
    assert d.member_id is None


# ---------------------------------------------------------------- rule 3: COBRA


@pytest.mark.parametrize(
    ("cobra", "outcome", "reason"),
    [
        (CobraAdministration.SELF, Outcome.APPLY, None),
        (CobraAdministration.THIRD_PARTY, Outcome.REJECT, Reason.COBRA_THIRD_PARTY),
        (CobraAdministration.BILL_AND_COLLECT, Outcome.REJECT, Reason.COBRA_BILL_AND_COLLECT),
        (CobraAdministration.UNKNOWN, Outcome.REVIEW, Reason.COBRA_SETTING_UNKNOWN),
    ],
)
def test_cobra_matrix(cobra: CobraAdministration, outcome: Outcome, reason: Reason | None) -> None:
    tx = transaction_for(ROBERT, benefit_status="C", maintenance="021")
    d = one(tx, group=replace(GROUP, cobra=cobra))
    assert (d.outcome, d.reason) == (outcome, reason)
    if outcome is Outcome.REJECT:
        assert "COBRA" in d.explanation and d.queue is None
    if outcome is Outcome.REVIEW:
        assert d.queue == "review" and d.due_at is not None


def test_cobra_termination_is_not_an_enrollment() -> None:
    tx = transaction_for(ROBERT, benefit_status="C", maintenance="024", coverages=("024",))
    d = one(tx, group=replace(GROUP, cobra=CobraAdministration.THIRD_PARTY))
    assert (d.outcome, d.member_id) == (Outcome.APPLY, "M1")


# ---------------------------------------------------------------- rule 4: Medicare


@pytest.mark.parametrize(
    "medicare",
    [
        {"medicare_plan": "A"},
        {"medicare_plan": "B"},
        {"medicare_plan": "C"},
        {"medicare_plan": "D"},
        {"member_dates": (("338", dt.date(2025, 1, 1)),)},
        {"identifiers": (("F6", "1EG4TE5MK72"),)},
    ],
)
def test_medicare_triggers_refer_to_the_representative(medicare: dict[str, object]) -> None:
    for maintenance, coverages in (("021", ("021",)), ("024", ("024",))):
        tx = transaction_for(ROBERT, maintenance=maintenance, coverages=coverages, **medicare)
        d = one(tx)
        assert (d.outcome, d.reason, d.queue) == (
            Outcome.REFER,
            Reason.MEDICARE_REFERRAL,
            "medicare",
        )
        assert "Desk 7" in d.explanation and any("Desk 7" in n for n in d.notes)
        assert d.member_id is None
        assert d.candidates[0].member_id == "M1"  # shown to the representative, not applied


def test_no_medicare_code_e_is_not_a_trigger() -> None:
    d = one(transaction_for(ROBERT, medicare_plan="E"))
    assert d.outcome is Outcome.APPLY


# ---------------------------------------------------------------- rule 5: family holds


def family_of_three(**subscriber: object) -> list[MemberTransaction]:
    return [
        transaction_for(ROBERT, **subscriber),
        transaction_for(ANNA),
        transaction_for(OLDER, maintenance="001", coverages=()),
    ]


def test_family_applies_together_when_subscriber_applies() -> None:
    outcomes = [(d.outcome, d.member_id) for d in decide(*family_of_three())]
    assert outcomes == [(Outcome.APPLY, "M1"), (Outcome.APPLY, "M2"), (Outcome.APPLY, "M5")]


@pytest.mark.parametrize(
    ("subscriber", "group"),
    [
        ({"medicare_plan": "C"}, GROUP),
        ({"ssn": "509876123"}, GROUP),
        ({"benefit_status": "C"}, replace(GROUP, cobra=CobraAdministration.UNKNOWN)),
        ({"benefit_status": "C"}, replace(GROUP, cobra=CobraAdministration.THIRD_PARTY)),
    ],
)
def test_held_subscriber_holds_dependent_enrollments(
    subscriber: dict[str, object], group: GroupPolicy
) -> None:
    sub, spouse, child = decide(*family_of_three(**subscriber), group=group)
    assert sub.outcome in (Outcome.REFER, Outcome.REVIEW, Outcome.REJECT)
    assert (spouse.outcome, spouse.reason, spouse.held_with) == (
        Outcome.REVIEW,
        Reason.FAMILY_HELD,
        FAMILY,
    )
    assert spouse.queue == "review" and spouse.due_at is not None
    assert spouse.member_id is None and "suggested: apply" in spouse.notes
    assert "held with the family" in spouse.explanation
    # a dependent's demographic change is not an enrollment: it still applies
    assert (child.outcome, child.member_id) == (Outcome.APPLY, "M5")


# ---------------------------------------------------------------- rule 5: families together

NEWCOMER = {
    "subscriber_number": "SUB777",
    "ssn": "",
    "last": "OKAFOR",
    "first": "CHIDI",
    "birth_date": dt.date(1990, 1, 15),
    "gender": "M",
    "address_line1": "8 Pine Ln",
    "postal_code": "73301",
}


def test_new_subscriber_with_known_dependents_is_reviewed_with_the_family() -> None:
    """The split family of issue 14: the subscriber alone looks new, her dependent is known."""
    alone = one(member_transaction(**NEWCOMER))  # type: ignore[arg-type]
    assert alone.outcome is Outcome.NEW_MEMBER
    sub, spouse = decide(
        member_transaction(**NEWCOMER),  # type: ignore[arg-type]
        transaction_for(ANNA, subscriber_number="SUB777", address_line1="8 Pine Ln"),
    )
    assert (sub.outcome, sub.reason, sub.member_id) == (
        Outcome.REVIEW,
        Reason.FAMILY_MISMATCH,
        None,
    )
    assert "M2" in sub.explanation and "suggested: new_member" in sub.notes
    # the existing family's subscriber is shown to the reviewer as a candidate
    assert "M1" in [c.member_id for c in sub.candidates]
    assert (spouse.outcome, spouse.reason, spouse.held_with) == (
        Outcome.REVIEW,
        Reason.FAMILY_HELD,
        "SUB777",
    )
    assert "suggested: apply" in spouse.notes


def test_new_family_with_new_dependents_stays_new() -> None:
    kid = member_transaction(
        subscriber=False, relationship="19", subscriber_number="SUB777", last="OKAFOR",
        first="ADAEZE", birth_date=dt.date(2019, 6, 2), gender="F", address_line1="8 Pine Ln",
        postal_code="73301",
    )  # fmt: skip
    outcomes = [d.outcome for d in decide(member_transaction(**NEWCOMER), kid)]  # type: ignore[arg-type]
    assert outcomes == [Outcome.NEW_MEMBER, Outcome.NEW_MEMBER]


def test_subscriber_and_dependent_matched_to_different_families_are_held() -> None:
    sub, spouse = decide(
        transaction_for(STRANGER), transaction_for(ANNA, subscriber_number="SUB900")
    )
    assert (sub.outcome, sub.reason) == (Outcome.REVIEW, Reason.FAMILY_MISMATCH)
    assert "another family" in sub.explanation and sub.candidates[0].member_id == "M9"
    assert "M1" in [c.member_id for c in sub.candidates]
    assert (spouse.outcome, spouse.reason) == (Outcome.REVIEW, Reason.FAMILY_HELD)


def test_dependents_without_subscriber_must_agree_on_one_family() -> None:
    kid9 = replace(OLDER, member_id="M10", first="KENJI", last="NAKAMURA", gender="M",
                   subscriber_numbers=("SUB900",), address_line1="4 Elm Road",
                   postal_code="60601")  # fmt: skip
    source = MemoryCandidates([ROBERT, ANNA, TWIN1, TWIN2, OLDER, STRANGER, kid9])
    family = [transaction_for(ANNA), transaction_for(kid9, subscriber_number=FAMILY)]
    together = decide_family(HEADER, family[:1] + [transaction_for(OLDER)], candidates=source,
                             group=GROUP, received_at=RECEIVED)  # fmt: skip
    assert [(d.outcome, d.member_id) for d in together] == [
        (Outcome.APPLY, "M2"),
        (Outcome.APPLY, "M5"),
    ]
    apart = decide_family(HEADER, family, candidates=source, group=GROUP, received_at=RECEIVED)
    assert [(d.outcome, d.reason) for d in apart] == [(Outcome.REVIEW, Reason.FAMILY_MISMATCH)] * 2
    assert [d.notes[-1] for d in apart] == ["suggested: apply"] * 2


def test_hold_dependents_is_the_family_hold_for_any_cause() -> None:
    decisions = decide(*family_of_three())
    held = hold_dependents(decisions, held_by="held (retro_date)", subscriber_number=FAMILY,
                           due=None)  # fmt: skip
    assert [d.outcome for d in held] == [Outcome.APPLY, Outcome.REVIEW, Outcome.APPLY]
    assert held[1].reason is Reason.FAMILY_HELD and "held (retro_date)" in held[1].explanation


# ---------------------------------------------------------------- SLA


def test_sla_clock_hours() -> None:
    assert due_at(RECEIVED, MatchingSettings()) == RECEIVED + dt.timedelta(hours=48)
    assert due_at(RECEIVED, MatchingSettings(sla_hours=4)) == RECEIVED + dt.timedelta(hours=4)


def test_sla_business_hours_skip_nights_weekends_and_holidays() -> None:
    settings = MatchingSettings(business_hours=True)
    # Friday 16:00: 1 h Friday, 5 × 8 h the next week, 7 h on the Monday after.
    assert due_at(RECEIVED, settings) == dt.datetime(2026, 1, 19, 16, 0, tzinfo=dt.UTC)
    holiday = replace(settings, holidays=frozenset({dt.date(2026, 1, 12)}))
    assert due_at(RECEIVED, holiday) == dt.datetime(2026, 1, 20, 16, 0, tzinfo=dt.UTC)
    saturday = dt.datetime(2026, 1, 10, 11, 0, tzinfo=dt.UTC)
    short = replace(settings, sla_hours=2)
    assert due_at(saturday, short) == dt.datetime(2026, 1, 12, 11, 0, tzinfo=dt.UTC)
    late = dt.datetime(2026, 1, 13, 20, 30, tzinfo=dt.UTC)
    assert due_at(late, short) == dt.datetime(2026, 1, 14, 11, 0, tzinfo=dt.UTC)
    custom = replace(short, day_start=dt.time(8), day_end=dt.time(12), business_days=frozenset({5}))
    assert due_at(RECEIVED, custom) == dt.datetime(2026, 1, 10, 10, 0, tzinfo=dt.UTC)


def test_review_decisions_carry_the_business_hours_due_time() -> None:
    tx = transaction_for(TWIN1, first="JAIDEN", birth_sequence=None)
    d = one(tx, settings=MatchingSettings(business_hours=True))
    assert d.due_at == dt.datetime(2026, 1, 19, 16, 0, tzinfo=dt.UTC)


def test_change_for_an_unknown_twin_is_not_applied_to_the_known_one() -> None:
    only_one_twin = MemoryCandidates([ROBERT, TWIN1])
    tx = transaction_for(TWIN1, first="NOAH", maintenance="001", coverages=(), birth_sequence=None)
    (d,) = decide_family(HEADER, [tx], candidates=only_one_twin, group=GROUP, received_at=RECEIVED)
    assert d.outcome is Outcome.REVIEW and d.member_id is None


def test_the_wider_search_runs_before_a_new_member() -> None:
    """No SSN, a new subscriber number, moved, and both names mistyped at the first letter:
    the first search finds nobody, the birth date alone finds the subscriber, so the
    enrollment is held for a person instead of creating him again."""
    tx = transaction_for(ROBERT, ssn="", subscriber_number="SUB555", first="NOBERT",
                         last="DOWALSKI", address_line1="77 Birch Ave", postal_code="")  # fmt: skip
    from matching.blocking import transaction_keys

    assert "M1" not in {p.member_id for p in SOURCE.candidates(transaction_keys(tx))}
    d = one(tx)
    assert d.outcome is Outcome.REVIEW
    assert d.candidates and d.candidates[0].member_id == "M1"


def test_a_newborn_in_a_known_family_is_still_new() -> None:
    """The wider search brings the family's members; a far birth date and a placeholder
    name rule each of them out."""
    baby = transaction_for(TWIN1, first="NEWBORN", birth_date=dt.date(2025, 6, 1),
                           birth_sequence=None, gender="F")  # fmt: skip
    d = one(baby)
    assert d.outcome is Outcome.NEW_MEMBER, d.explanation


def test_a_nameless_child_with_another_birth_date_is_not_certainly_new() -> None:
    """Maya re-sent without a given name and with a birth date keyed wrong: only that date
    tells her from a new child, so a person decides; a newborn sent so is new (above)."""
    nameless = transaction_for(OLDER, first="", birth_date=dt.date(2013, 2, 14),
                               birth_sequence=None)  # fmt: skip
    d = one(nameless)
    assert d.outcome is Outcome.REVIEW, d.explanation
    assert d.candidates[0].member_id == "M5"


def test_a_renumbered_family_is_decided_in_the_family_its_subscriber_matched() -> None:
    """The whole family re-sent under a number nobody holds: the subscriber matches by
    SSN; his daughter (no SSN, moved with him, no ZIP) is then compared as a member of
    his family and applied; a newborn sent with them is new."""
    moved = {"subscriber_number": "SUB777", "address_line1": "8 Pine Ln", "postal_code": ""}
    baby = replace(OLDER, member_id="", first="ZOE", birth_date=dt.date(2025, 11, 2))
    sub, maya, newborn = decide(
        transaction_for(ROBERT, **moved),
        transaction_for(OLDER, ssn="", gender="", **moved),
        transaction_for(baby, ssn="", **moved),
    )
    assert (sub.outcome, sub.member_id) == (Outcome.APPLY, "M1")
    assert (maya.outcome, maya.member_id) == (Outcome.APPLY, "M5"), maya.explanation
    assert "decided in the family the subscriber matched" in maya.explanation
    assert maya.transaction.subscriber_number == "SUB777"  # applied as sent
    assert newborn.outcome is Outcome.NEW_MEMBER, newborn.explanation


def test_a_new_twin_named_with_another_nickname_of_his_brothers_name_is_never_applied() -> None:
    """WILLIE and LIAM are both nicknames of WILLIAM: for a dependent of the same family
    and birth date without an identical SSN, two nicknames of one name are not one name."""
    liam = replace(TWIN1, member_id="M7", first="LIAM", birth_date=dt.date(2009, 10, 26),
                   birth_sequence=None)  # fmt: skip
    source = MemoryCandidates([ROBERT, ANNA, liam])
    willie = transaction_for(replace(liam, first="WILLIE"), birth_sequence=2)
    (d,) = decide_family(HEADER, [willie], candidates=source, group=GROUP, received_at=RECEIVED)
    assert d.outcome is Outcome.REVIEW
    assert {c.field: c.level for c in d.candidates[0].comparisons}["given_name"] == (
        "nickname_shared"
    )
    bill = transaction_for(replace(liam, first="WILLIAM"))  # a direct nickname: the same boy
    (d,) = decide_family(HEADER, [bill], candidates=source, group=GROUP, received_at=RECEIVED)
    assert (d.outcome, d.member_id) == (Outcome.APPLY, "M7")


def test_a_new_twin_sent_with_his_sisters_ssn_is_never_applied_to_her() -> None:
    """A family's SSNs get keyed from one form: a new twin sent with his known twin
    sister's SSN agrees on SSN, birth date, surname, address and family number and
    scores far above `upper` — the given name that conflicts (or a different INS17)
    must still hold him."""
    sister = replace(TWIN1, member_id="M7", first="NAOMI", gender="F", ssn="312345678")
    source = MemoryCandidates([ROBERT, ANNA, sister])
    tx = transaction_for(sister, first="ELIAS", gender="M", birth_sequence=None)
    (d,) = decide_family(HEADER, [tx], candidates=source, group=GROUP, received_at=RECEIVED)
    assert d.outcome is Outcome.REVIEW and d.member_id is None
    assert "family_given_name" in d.explanation
    other = transaction_for(sister, birth_sequence=2)  # her INS17 is 1
    (d,) = decide_family(HEADER, [other], candidates=source, group=GROUP, received_at=RECEIVED)
    assert d.outcome is Outcome.REVIEW and "family_birth_sequence" in d.explanation
    (d,) = decide_family(HEADER, [transaction_for(sister)], candidates=source, group=GROUP,
                         received_at=RECEIVED)  # fmt: skip
    assert (d.outcome, d.member_id) == (Outcome.APPLY, "M7")  # she herself is applied


def test_the_desk_sees_the_family_member_of_that_name_before_a_twin_of_that_birth_date() -> None:
    # Maya re-sent with her twin brothers' birth date: against strangers the identical
    # birth date outweighs the given name, inside one family a twin shares the date and
    # no sibling the name, so the representative sees Maya first.
    tx = transaction_for(
        OLDER, maintenance="021", coverages=("021",), birth_date=TWIN1.birth_date, gender=""
    )
    d = one(tx)
    assert d.outcome is Outcome.REVIEW
    scores = {c.member_id: c.score for c in d.candidates}
    assert scores["M3"] > scores["M5"] and scores["M4"] > scores["M5"]  # scores unchanged
    assert d.candidates[0].member_id == "M5"
    assert d.score == max(scores.values())  # the decision keeps the gate's best score
