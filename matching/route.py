"""Routing: one Decision per member transaction of a family, by the payer's rules.

Rules, in the order they are applied to each member:

1. Medicare (INS06-1 in A/B/C/D, a DTP*338, or a REF*F6) → REFER to the
   'medicare' queue for the group's representative; never automatic.
2. COBRA enrollments (INS05=C): the group's COBRA administration decides —
   self → treated as any enrollment; third party / bill-and-collect → REJECT
   with a plain reason for the sender report; unknown → REVIEW.
3. Demographic changes (INS03=001/026) and terminations (INS03=024/002 or
   HD01=024) of a known member → APPLY now, the member found by identifiers
   (subscriber number + place in the family, 2100B OLD values); not known
   with certainty → REVIEW (unknown_member / uncertain_match / conflict).
4. Enrollments (INS03=021/025, HD01=021/025, audit 030, or no maintenance
   type) → the certainty gate: APPLY to the matched person, NEW_MEMBER when
   certainly nobody known, otherwise REVIEW (due after the SLA).
5. Family hold: when the subscriber is held (REVIEW/REFER) or rejected, the
   dependents' enrollments that would have been applied are held too
   (REVIEW, family_held, held_with = subscriber number).

Nothing here writes anywhere; explanations carry codes and scores only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from edi.codes import BenefitStatus, MaintenanceType, MedicarePlan
from edi.records import MemberTransaction, TransactionSetHeader
from matching.blocking import lookup_keys
from matching.decisions import (
    Candidate,
    CandidateSource,
    CobraAdministration,
    Decision,
    GroupPolicy,
    KnownPerson,
    Outcome,
    Reason,
)
from matching.normalize import relationship_group
from matching.person import prior_person, transaction_person
from matching.score import (
    DEFAULT_LOWER,
    DEFAULT_MARGIN,
    DEFAULT_UPPER,
    HARD_BLOCKERS,
    Assessment,
    Thresholds,
    assess,
    identify_known,
    score_candidates,
)

MEDICARE_PLANS = frozenset(
    {MedicarePlan.PART_A, MedicarePlan.PART_B, MedicarePlan.PARTS_A_AND_B, MedicarePlan.MEDICARE}
)
KNOWN_MEMBER_TYPES = frozenset(
    {
        MaintenanceType.CHANGE,
        MaintenanceType.CORRECTION,
        MaintenanceType.TERMINATION,
        MaintenanceType.DELETE,
    }
)
ENROLLMENT_TYPES = frozenset({MaintenanceType.ADDITION, MaintenanceType.REINSTATEMENT})


@dataclass(frozen=True, slots=True)
class MatchingSettings:
    """Thresholds and review SLA. Defaults are the tuned values (see matching/README.md).

    With `business_hours`, the SLA counts only hours inside
    [`day_start`, `day_end`) on `business_days` (0 = Monday) that are not in
    `holidays`, in the time zone of `received_at`.
    """

    upper: float = DEFAULT_UPPER
    lower: float = DEFAULT_LOWER
    margin: float = DEFAULT_MARGIN
    sla_hours: float = 48.0
    business_hours: bool = False
    day_start: dt.time = dt.time(9, 0)
    day_end: dt.time = dt.time(17, 0)
    business_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    max_candidates: int = 5
    """How many scored candidates a decision carries for the review desk."""

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(upper=self.upper, lower=self.lower, margin=self.margin)


def due_at(received_at: dt.datetime, settings: MatchingSettings) -> dt.datetime:
    """When a review item falls due: `sla_hours` after receipt, clock or business hours."""
    if not settings.business_hours:
        return received_at + dt.timedelta(hours=settings.sla_hours)
    if settings.day_end <= settings.day_start or not settings.business_days:
        raise ValueError("business hours need day_end after day_start and at least one day")
    remaining = dt.timedelta(hours=settings.sla_hours)
    cursor = received_at
    while True:
        day = cursor.date()
        start = dt.datetime.combine(day, settings.day_start, tzinfo=cursor.tzinfo)
        end = dt.datetime.combine(day, settings.day_end, tzinfo=cursor.tzinfo)
        if day.weekday() in settings.business_days and day not in settings.holidays:
            begin = max(cursor, start)
            if begin < end:
                available = end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        cursor = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=cursor.tzinfo)


# ---------------------------------------------------------------- triggers


def medicare_triggers(tx: MemberTransaction) -> tuple[str, ...]:
    """Which Medicare signals a member carries: 'INS06', 'DTP*338', 'REF*F6'."""
    found: list[str] = []
    if tx.medicare_plan in MEDICARE_PLANS:
        found.append("INS06")
    if tx.date("338") is not None:
        found.append("DTP*338")
    if tx.medicare_id.strip():
        found.append("REF*F6")
    return tuple(found)


def _coverage_types(tx: MemberTransaction) -> set[MaintenanceType]:
    return {c.maintenance_type for c in tx.coverages if c.maintenance_type is not None}


def is_termination(tx: MemberTransaction) -> bool:
    """INS03 = 024/002, or any HD01 = 024."""
    return tx.maintenance_type in (
        MaintenanceType.TERMINATION,
        MaintenanceType.DELETE,
    ) or MaintenanceType.TERMINATION in _coverage_types(tx)


def is_enrollment(tx: MemberTransaction) -> bool:
    """INS03 = 021/025/030 or unknown, or an HD01 = 021/025 coverage addition."""
    if ENROLLMENT_TYPES & _coverage_types(tx):
        return True
    return tx.maintenance_type not in KNOWN_MEMBER_TYPES


# ---------------------------------------------------------------- explanations

_COBRA_TEXT = {
    CobraAdministration.THIRD_PARTY: (
        Reason.COBRA_THIRD_PARTY,
        "COBRA enrollment not accepted: this group's COBRA is administered by a third party,"
        " not by the employer, so COBRA enrollments cannot come on the employer's file.",
    ),
    CobraAdministration.BILL_AND_COLLECT: (
        Reason.COBRA_BILL_AND_COLLECT,
        "COBRA enrollment not accepted: this group's COBRA is set up as bill-and-collect,"
        " so COBRA enrollments cannot come on the employer's file.",
    ),
}


def _summary(assessment: Assessment) -> str:
    best = assessment.best
    if best is None:
        return "no candidate shares a blocking key"
    others = len(assessment.candidates) - 1
    text = f"best candidate score {best.score:.2f}"
    if others:
        text += f", runner-up {assessment.candidates[1].score:.2f} ({others} other candidates)"
    if assessment.blockers:
        text += "; not automatic: " + ", ".join(assessment.blockers)
    return text


def _review_reason(assessment: Assessment, *, known_member: bool) -> Reason:
    if HARD_BLOCKERS & set(assessment.blockers):
        return Reason.CONFLICT
    if known_member and assessment.verdict == "new":
        return Reason.UNKNOWN_MEMBER
    return Reason.UNCERTAIN_MATCH


# ---------------------------------------------------------------- one member


@dataclass(frozen=True, slots=True)
class _Context:
    candidates: CandidateSource
    group: GroupPolicy
    received_at: dt.datetime
    settings: MatchingSettings


def _probes(tx: MemberTransaction) -> list[KnownPerson]:
    """The enrollee as scored: the 2100B prior values (if any) first, then 2100A."""
    probes = [transaction_person(tx)]
    prior = prior_person(tx, probes[0])
    if prior is not None:
        probes.insert(0, prior)
    return probes


def _lookup(tx: MemberTransaction, ctx: _Context) -> tuple[list[KnownPerson], list[KnownPerson]]:
    """(probes, candidates): the people `transaction_keys(tx)` finds, built once."""
    probes = _probes(tx)
    return probes, ctx.candidates.candidates(lookup_keys(probes[::-1]))


def _top(assessment: Assessment, settings: MatchingSettings) -> tuple[Candidate, ...]:
    return assessment.candidates[: settings.max_candidates]


def _review(
    tx: MemberTransaction,
    ctx: _Context,
    reason: Reason,
    explanation: str,
    assessment: Assessment | None = None,
    notes: tuple[str, ...] = (),
) -> Decision:
    best = assessment.best if assessment else None
    return Decision(
        outcome=Outcome.REVIEW,
        transaction=tx,
        score=best.score if best else None,
        candidates=_top(assessment, ctx.settings) if assessment else (),
        reason=reason,
        explanation=explanation,
        queue="review",
        due_at=due_at(ctx.received_at, ctx.settings),
        notes=notes,
    )


def _gate(tx: MemberTransaction, ctx: _Context) -> Assessment:
    """The certainty gate over the enrollee's candidates (also shown on referrals and reviews)."""
    probes, people = _lookup(tx, ctx)
    group = relationship_group(tx.relationship.value if tx.relationship else "")
    scored = score_candidates(probes, people)
    return assess(scored, ctx.settings.thresholds, dependent=group not in ("self", "spouse"))


def _apply(tx: MemberTransaction, ctx: _Context, assessment: Assessment, text: str) -> Decision:
    """APPLY to the assessment's best candidate (the caller checked it is certain)."""
    best = assessment.best
    assert best is not None
    return Decision(
        outcome=Outcome.APPLY,
        transaction=tx,
        member_id=best.member_id,
        score=best.score,
        candidates=_top(assessment, ctx.settings),
        explanation=f"{text}; " + _summary(assessment),
    )


def _known_member(tx: MemberTransaction, ctx: _Context) -> Decision:
    probes, people = _lookup(tx, ctx)
    assessment = identify_known(
        probes,
        tx.subscriber_number,
        relationship_group(tx.relationship.value if tx.relationship else ""),
        tx.birth_sequence,
        people,
        ctx.settings.thresholds,
    )
    kind = "termination" if is_termination(tx) else "change"
    if assessment.verdict == "match" and assessment.best is not None:
        return _apply(tx, ctx, assessment, f"{kind} of a known member, identified with certainty")
    reason = _review_reason(assessment, known_member=True)
    return _review(
        tx,
        ctx,
        reason,
        f"{kind} for a member not known with certainty; " + _summary(assessment),
        assessment,
    )


def _enrollment(tx: MemberTransaction, ctx: _Context, prefix: str = "enrollment") -> Decision:
    assessment = _gate(tx, ctx)
    best = assessment.best
    if assessment.verdict == "match" and best is not None:
        return _apply(tx, ctx, assessment, f"{prefix} matched an existing person with certainty")
    if assessment.verdict == "new":
        return Decision(
            outcome=Outcome.NEW_MEMBER,
            transaction=tx,
            score=best.score if best else None,
            candidates=_top(assessment, ctx.settings),
            explanation=f"{prefix} of a person certainly not known; " + _summary(assessment),
        )
    return _review(
        tx,
        ctx,
        _review_reason(assessment, known_member=False),
        f"{prefix} not matched with certainty; " + _summary(assessment),
        assessment,
    )


def decide_member(tx: MemberTransaction, ctx: _Context) -> Decision:
    """Rules 1–4 for one member (the family hold is applied by `decide_family`)."""
    triggers = medicare_triggers(tx)
    if triggers:
        rep = ctx.group.representative
        who = f"group representative {rep}" if rep else "the group's representative (not set)"
        desk = _gate(tx, ctx)
        return Decision(
            outcome=Outcome.REFER,
            transaction=tx,
            score=desk.best.score if desk.best else None,
            candidates=_top(desk, ctx.settings),
            reason=Reason.MEDICARE_REFERRAL,
            explanation="Medicare indicated by "
            + ", ".join(triggers)
            + f"; referred to {who}; "
            + _summary(desk),
            queue="medicare",
            due_at=due_at(ctx.received_at, ctx.settings),
            notes=(f"representative: {rep}",) if rep else ("representative: not set",),
        )
    enrollment = is_enrollment(tx) and not is_termination(tx)
    if enrollment and tx.benefit_status is BenefitStatus.COBRA:
        cobra = ctx.group.cobra
        if cobra in _COBRA_TEXT:
            reason, text = _COBRA_TEXT[cobra]
            return Decision(outcome=Outcome.REJECT, transaction=tx, reason=reason, explanation=text)
        if cobra is not CobraAdministration.SELF:
            desk = _gate(tx, ctx)
            return _review(
                tx,
                ctx,
                Reason.COBRA_SETTING_UNKNOWN,
                "COBRA enrollment: the group's COBRA administration is not configured;"
                " a person must check who administers COBRA for this group; " + _summary(desk),
                desk,
            )
        return _enrollment(tx, ctx, prefix="COBRA enrollment (self-administered)")
    if enrollment:
        return _enrollment(tx, ctx)
    return _known_member(tx, ctx)


def decide_family(
    header: TransactionSetHeader,
    family: Sequence[MemberTransaction],
    *,
    candidates: CandidateSource,
    group: GroupPolicy,
    received_at: dt.datetime,
    settings: MatchingSettings | None = None,
) -> list[Decision]:
    """One Decision per member of a family (subscriber and dependents), in order.

    `family` holds the members of one subscriber's family from one
    transaction set (already validated). When the subscriber is held
    (REVIEW/REFER) or rejected, dependents' enrollments that would have been
    applied automatically become REVIEW with reason family_held.
    `header` identifies the transaction set; it is not used for routing.
    """
    del header
    ctx = _Context(candidates, group, received_at, settings or MatchingSettings())
    decisions = [decide_member(tx, ctx) for tx in family]
    held = next(
        (
            d
            for d in decisions
            if d.transaction.subscriber
            and d.outcome in (Outcome.REVIEW, Outcome.REFER, Outcome.REJECT)
        ),
        None,
    )
    if held is None:
        return decisions
    out: list[Decision] = []
    for d in decisions:
        tx = d.transaction
        if (
            not tx.subscriber
            and d.outcome in (Outcome.APPLY, Outcome.NEW_MEMBER)
            and is_enrollment(tx)
        ):
            why = held.reason.value if held.reason else held.outcome.value
            d = replace(
                d,
                outcome=Outcome.REVIEW,
                member_id=None,
                reason=Reason.FAMILY_HELD,
                explanation=f"held with the family: the subscriber's transaction is {held.outcome.value}"
                f" ({why}); this dependent would otherwise be {d.outcome.value}: {d.explanation}",
                queue="review",
                due_at=due_at(received_at, ctx.settings),
                held_with=held.transaction.subscriber_number or None,
                notes=(*d.notes, f"suggested: {d.outcome.value}"),
            )
        out.append(d)
    return out
