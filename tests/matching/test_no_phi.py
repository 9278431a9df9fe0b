"""Explanations, notes and field comparisons never carry a member's values (canaries)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from edi.records import Lineage, TransactionSetHeader
from matching.decisions import CobraAdministration, Decision, GroupPolicy, KnownPerson
from matching.memory import MemoryCandidates
from matching.route import MatchingSettings, decide_family
from matching.synthetic import OldValues, transaction_for

CANARY = KnownPerson(
    member_id="M-CANARY",
    subscriber_numbers=("QZSUB4471",),
    ssn="517298843",
    last="ZYQUAVERLY",
    first="XANTHIPPA",
    middle="Q",
    birth_date=dt.date(1977, 7, 19),
    gender="F",
    relationship="18",
    address_line1="4471 Canarywood Lane",
    postal_code="55123",
    medicare_id="7QX4CN9MK21",
)
TWIN = replace(
    CANARY,
    member_id="M-CANARY-2",
    first="XANTHIA",
    ssn="",
    relationship="19",
    birth_date=dt.date(2010, 2, 14),
    birth_sequence=1,
)
FORBIDDEN = (
    "517298843",
    "517-29-8843",
    "8843",
    "ZYQUAVERLY",
    "XANTHIPPA",
    "XANTHIA",
    "1977-07-19",
    "19770719",
    "07/19/1977",
    "2010-02-14",
    "20100214",
    "CANARYWOOD",
    "4471",
    "55123",
    "QZSUB4471",
    "7QX4CN9MK21",
    "ZYQ",
    "XANTH",
)


def texts(decision: Decision) -> list[str]:
    out = [decision.explanation, *decision.notes, str(decision.reason or "")]
    for candidate in decision.candidates:
        for c in candidate.comparisons:
            out += [c.field, c.level, c.description]
    return out


def test_no_canary_value_in_any_decision_text() -> None:
    source = MemoryCandidates([CANARY, TWIN])
    header = TransactionSetHeader(lineage=Lineage(source="canary.edi"))
    group = GroupPolicy(sponsor_id="G", cobra=CobraAdministration.UNKNOWN, representative="Desk 7")
    variants = [
        transaction_for(CANARY),  # apply
        transaction_for(CANARY, ssn="517298834"),  # one-edit SSN
        transaction_for(CANARY, ssn="611223344"),  # conflict → review
        transaction_for(CANARY, benefit_status="C"),  # COBRA unknown → review
        transaction_for(CANARY, medicare_plan="A", identifiers=(("F6", CANARY.medicare_id),)),
        transaction_for(
            CANARY,
            maintenance="001",
            coverages=(),
            last="ZYQUAVERLY-SMITH",
            old=OldValues(last="ZYQUAVERLY", ssn=CANARY.ssn),
        ),
        transaction_for(TWIN, first="XANTHIE", birth_sequence=None, subscriber=False),
        transaction_for(
            TWIN,
            maintenance="024",
            coverages=("024",),
            subscriber=False,
            birth_date=dt.date(2010, 2, 15),
        ),
    ]
    decisions: list[Decision] = []
    for tx in variants:
        decisions += decide_family(
            header,
            [tx],
            candidates=source,
            group=group,
            received_at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC),
            settings=MatchingSettings(),
        )
    decisions += decide_family(
        header,
        [variants[2], variants[6]],
        candidates=source,
        group=group,
        received_at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC),
    )
    assert {d.outcome.value for d in decisions} >= {"apply", "review", "refer"}
    for decision in decisions:
        for text in texts(decision):
            upper = text.upper()
            for canary in FORBIDDEN:
                assert canary not in upper, (canary, text)
    for third in (CobraAdministration.THIRD_PARTY, CobraAdministration.BILL_AND_COLLECT):
        (rejected,) = decide_family(
            header,
            [variants[3]],
            candidates=source,
            group=replace(group, cobra=third),
            received_at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC),
        )
        assert rejected.outcome.value == "reject"
        assert not any(c in rejected.explanation.upper() for c in FORBIDDEN)
