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
5. Families are decided together: the members' certain matches must agree on
   one existing family (a shared subscriber number), or on none. A subscriber
   who would be NEW while a dependent is a known member (matched with
   certainty, or held with a plausible candidate), or whose match points at
   another family than a dependent's, is held for review (family_mismatch,
   with the existing family's subscriber among the candidates), and so is one
   held as uncertain while dependents are known members of a family the set
   names by another number; without a subscriber enrollment in the set,
   dependents that disagree are held.
6. A family renumbered: when the subscriber matched a known member with
   certainty and the set names the family by a number no member holds, the
   dependents are decided again as members of the subscriber's family.
7. Family hold: when the subscriber is held (REVIEW/REFER) or rejected (by
   matching or by validation: `tx.rejected`), the dependents' enrollments that
   would have been applied are held too (REVIEW, family_held, held_with =
   subscriber number). `hold_dependents` is the same rule for the ledger's
   own holds (the date window, a refused subscriber).

Nothing here writes anywhere; explanations carry codes and scores only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import msgspec

from edi.codes import BenefitStatus, MaintenanceType, MedicarePlan
from edi.records import MemberTransaction, TransactionSetHeader
from matching.blocking import lookup_keys, person_keys, wide_keys
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
from matching.levels import apart_bound, apart_from_all, prepared
from matching.model import PRIOR, MatchModel
from matching.normalize import normalize_id, relationship_group
from matching.person import enrollee_probes
from matching.score import (
    DEFAULT_LOWER,
    DEFAULT_MARGIN,
    DEFAULT_UPPER,
    HARD_BLOCKERS,
    Assessment,
    Thresholds,
    assess,
    desk_order,
    identify_known,
    nobody_more,
    rank,
    raw_scores,
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
    """Model, thresholds and review SLA. Defaults are the tuned values (see matching/README.md).

    `upper` and `lower` are match probabilities under `model`'s stated prior (the
    prior model's scores 23 and 12); `margin` is bits of score. Every decision names
    `model.version`.

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
    model: MatchModel = PRIOR
    """The weights scores are summed from (version 0: the hand-set prior)."""

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(upper=self.upper, lower=self.lower, margin=self.margin)

    @property
    def lower_score(self) -> float:
        return self.thresholds.lower_score(self.model)


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
    seen: dict[str, KnownPerson] = field(default_factory=dict)
    """Every candidate looked up for this family, by member id (for the family rule)."""


def _lookup(tx: MemberTransaction, ctx: _Context) -> tuple[list[KnownPerson], list[KnownPerson]]:
    """(probes, candidates): the people `transaction_keys(tx)` finds, built once."""
    probes = enrollee_probes(tx)
    people = ctx.candidates.candidates(lookup_keys(probes[::-1]))
    ctx.seen.update((p.member_id, p) for p in people)
    return probes, people


def _top(assessment: Assessment, settings: MatchingSettings) -> tuple[Candidate, ...]:
    return assessment.candidates[: settings.max_candidates]


def _desk(assessment: Assessment, settings: MatchingSettings) -> tuple[Candidate, ...]:
    """A held decision's candidates for the representative, most likely first (`desk_order`)."""
    return desk_order(assessment.candidates)[: settings.max_candidates]


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
        candidates=_desk(assessment, ctx.settings) if assessment else (),
        reason=reason,
        explanation=explanation,
        queue="review",
        due_at=due_at(ctx.received_at, ctx.settings),
        notes=notes,
        model_version=ctx.settings.model.version,
    )


def _wider(probes: list[KnownPerson], people: list[KnownPerson], ctx: _Context) -> list[KnownPerson]:
    """The wider search before a NEW decision: people sharing the birth date alone, the
    names without a date or the street line alone, not already among `people`."""
    known = {p.member_id for p in people}
    more = [
        p for p in ctx.candidates.candidates(wide_keys(probes[::-1])) if p.member_id not in known
    ]
    ctx.seen.update((p.member_id, p) for p in more)
    return more


INFANT_DAYS = 366
"""An enrollee born at most this many days before the enrollment arrived is an infant."""


def _infant(tx: MemberTransaction, received_at: dt.datetime) -> bool:
    """Born in the year before `received_at` (or after it: a date sent ahead)."""
    demographics = tx.member.demographics
    born = demographics.birth_date if demographics else None
    return born is not None and (received_at.date() - born).days <= INFANT_DAYS


def _screen(
    probes: list[KnownPerson], more: list[KnownPerson], model: MatchModel, lower: float
) -> tuple[list[KnownPerson], list[KnownPerson]]:
    """The wider search's people split into those certainly not plausible — `levels.apart`
    from every probe while `model` scores such a pair below `lower` however the names,
    gender, place and birth sequence compare (`levels.apart_bound`), so that no score,
    identifier, family or two agreeing fields make them a possible enrollee (see
    `score.could_be_the_enrollee`: a birth date conflicting outside the household with
    no street and no SSN agreement is a namesake) — and the rest, to be scored."""
    if not more or apart_bound(model) >= lower - 0.05:
        return [], more
    mine = [prepared(p) for p in probes]
    apart: list[KnownPerson] = []
    doubtful: list[KnownPerson] = []
    for person in more:
        (apart if apart_from_all(mine, person) else doubtful).append(person)
    return apart, doubtful


def _gate(tx: MemberTransaction, ctx: _Context) -> Assessment:
    """The certainty gate over the enrollee's candidates (also shown on referrals and reviews).

    Before a ``new`` verdict stands, the wider search must find nobody who could be
    the enrollee either."""
    probes, people = _lookup(tx, ctx)
    group = relationship_group(tx.relationship.value if tx.relationship else "")
    dependent = group not in ("self", "spouse")
    model, thresholds = ctx.settings.model, ctx.settings.thresholds
    roster = ctx.candidates.roster_size()
    infant = _infant(tx, ctx.received_at)
    raw = raw_scores(probes, people, model)
    assessment = assess(
        rank(raw), thresholds, dependent=dependent, place=group, model=model, roster=roster,
        infant=infant,
    )
    if assessment.verdict == "new":
        more = _wider(probes, people, ctx)
        apart, doubtful = _screen(probes, more, model, thresholds.lower_score(model))
        extra = raw_scores(probes, doubtful, model)
        # nobody_more: the wider search's people alone say whether the verdict could change
        if extra and not nobody_more(raw, extra, thresholds, place=group, model=model,
                                     roster=roster, infant=infant):  # fmt: skip
            wider = assess(
                rank([*raw, *extra, *raw_scores(probes, apart, model)]), thresholds,
                dependent=dependent, place=group, model=model, roster=roster, infant=infant,
            )  # fmt: skip
            if wider.verdict != "new":
                return wider  # somebody the first search missed could be the enrollee
    return assessment


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
        model_version=ctx.settings.model.version,
    )


def _known_member(tx: MemberTransaction, ctx: _Context) -> Decision:
    probes, people = _lookup(tx, ctx)
    place = relationship_group(tx.relationship.value if tx.relationship else "")
    thresholds = ctx.settings.thresholds
    assessment = identify_known(
        probes, tx.subscriber_number, place, tx.birth_sequence, people, thresholds,
        ctx.settings.model, roster=ctx.candidates.roster_size(),
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
            model_version=ctx.settings.model.version,
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
            candidates=_desk(desk, ctx.settings),
            reason=Reason.MEDICARE_REFERRAL,
            explanation="Medicare indicated by "
            + ", ".join(triggers)
            + f"; referred to {who}; "
            + _summary(desk),
            queue="medicare",
            due_at=due_at(ctx.received_at, ctx.settings),
            notes=(f"representative: {rep}",) if rep else ("representative: not set",),
            model_version=ctx.settings.model.version,
        )
    enrollment = is_enrollment(tx) and not is_termination(tx)
    if enrollment and tx.benefit_status is BenefitStatus.COBRA:
        cobra = ctx.group.cobra
        if cobra in _COBRA_TEXT:
            reason, text = _COBRA_TEXT[cobra]
            return Decision(outcome=Outcome.REJECT, transaction=tx, reason=reason,
                            explanation=text, model_version=ctx.settings.model.version)
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


def _numbers(person: KnownPerson | None) -> frozenset[str]:
    """The family (subscriber numbers, normalised) a known person belongs to."""
    if person is None:
        return frozenset()
    return frozenset(n for n in (normalize_id(x) for x in person.subscriber_numbers) if n)


def _known_dependent(d: Decision, settings: MatchingSettings) -> bool:
    """A dependent who is a known member: matched with certainty, or held with a plausible
    candidate (at or above the lower threshold)."""
    if d.outcome is Outcome.APPLY:
        return True
    return (
        d.outcome in (Outcome.REVIEW, Outcome.REFER)
        and d.reason is not Reason.FAMILY_HELD
        and d.score is not None
        and d.score >= settings.lower_score
    )


def _family_context(sub: Decision, families: set[str], ctx: _Context) -> tuple[Candidate, ...]:
    """The subscriber's candidates plus the subscriber(s) of `families`, scored, best first."""
    keys = [
        k
        for n in sorted(families)
        for k in person_keys(KnownPerson(member_id="", subscriber_numbers=(n,)))
    ]
    heads = [
        p
        for p in ctx.candidates.candidates(keys)
        if relationship_group(p.relationship) == "self" and _numbers(p) & families
    ]
    known = {c.member_id for c in sub.candidates}
    extra = score_candidates(
        enrollee_probes(sub.transaction), [p for p in heads if p.member_id not in known],
        ctx.settings.model,
    )
    merged = sorted((*sub.candidates, *extra), key=lambda c: (-c.score, c.member_id))
    return tuple(merged[: ctx.settings.max_candidates + len(extra)])


def _mismatch(d: Decision, ctx: _Context, text: str, candidates: tuple[Candidate, ...]) -> Decision:
    return replace(
        d,
        outcome=Outcome.REVIEW,
        member_id=None,
        score=candidates[0].score if candidates else None,
        candidates=candidates,
        reason=Reason.FAMILY_MISMATCH,
        explanation=f"{text}; the family is decided together; this member alone would be"
        f" {d.outcome.value}: {d.explanation}",
        queue="review",
        due_at=due_at(ctx.received_at, ctx.settings),
        notes=(*d.notes, f"suggested: {d.outcome.value}"),
    )


def _who(d: Decision) -> str:
    """The member a decision points at: its match, else its best candidate ('' for none)."""
    return d.member_id or (d.candidates[0].member_id if d.candidates else "")


def _together(decisions: list[Decision], ctx: _Context) -> list[Decision]:
    """Rule 5: the family's certain matches agree on one existing family, or on none."""
    out = list(decisions)
    sub_at = next((i for i, d in enumerate(out) if d.transaction.subscriber), None)
    sub = out[sub_at] if sub_at is not None else None
    dependents = [(i, d) for i, d in enumerate(out) if not d.transaction.subscriber]
    matched = {
        i: nums
        for i, d in dependents
        if d.outcome is Outcome.APPLY and (nums := _numbers(ctx.seen.get(_who(d))))
    }
    if sub is not None and sub_at is not None and is_enrollment(sub.transaction):
        if sub.outcome is Outcome.NEW_MEMBER:
            known = [d for _, d in dependents if _known_dependent(d, ctx.settings)]
            if known:
                ids = sorted({_who(d) for d in known})
                families = set().union(*(_numbers(ctx.seen.get(m)) for m in ids))
                out[sub_at] = _mismatch(
                    sub, ctx,
                    f"the subscriber would be new, but {len(known)} dependent(s) are known"
                    f" members ({', '.join(ids)})",
                    _family_context(sub, families, ctx),
                )  # fmt: skip
        elif sub.outcome is Outcome.REVIEW and sub.reason is Reason.UNCERTAIN_MATCH:
            # held as uncertain while dependents are known members of a family the set
            # names by another number (a family renumbered): the family decides together
            known = [d for _, d in dependents if d.outcome is Outcome.APPLY]
            ids = sorted({_who(d) for d in known})
            families = set().union(*(_numbers(ctx.seen.get(m)) for m in ids)) if ids else set()
            if families and normalize_id(sub.transaction.subscriber_number) not in families:
                out[sub_at] = _mismatch(
                    sub, ctx,
                    f"the subscriber is not matched with certainty, and {len(known)}"
                    f" dependent(s) are known members ({', '.join(ids)}) of a family sent"
                    " under another subscriber number",
                    _family_context(sub, families, ctx),
                )  # fmt: skip
        elif sub.outcome is Outcome.APPLY:
            own = _numbers(ctx.seen.get(_who(sub)))
            apart = sorted(i for i, nums in matched.items() if own and not nums & own)
            if apart:
                families = set().union(*(matched[i] for i in apart))
                out[sub_at] = _mismatch(
                    sub, ctx,
                    f"{len(apart)} dependent(s) matched members of another family than"
                    " the subscriber's",
                    _family_context(sub, families, ctx),
                )  # fmt: skip
        return out
    # No subscriber enrollment anchors the family: dependents' enrollments must agree with a
    # subscriber matched by a change or termination, or else among themselves.
    if sub is not None and sub.outcome is Outcome.APPLY:
        common = _numbers(ctx.seen.get(_who(sub)))
    else:
        common = frozenset.intersection(*matched.values()) if matched else frozenset()
    if not matched or (common and all(nums & common for nums in matched.values())):
        return out
    if sub is not None and sub.outcome is Outcome.APPLY and not common:
        return out  # the subscriber's family is not known by number: nothing to compare
    for i in matched:
        if is_enrollment(out[i].transaction):
            out[i] = _mismatch(
                out[i], ctx, "the family's members matched members of different families",
                out[i].candidates,
            )  # fmt: skip
    return out


def _within_matched_family(decisions: list[Decision], ctx: _Context) -> list[Decision]:
    """A family renumbered: when the subscriber matched a known member with certainty and
    the set names the family by a number no member holds, each dependent is decided again
    as a member of the subscriber's family (its number in place of the sent one), so the
    family's members are compared as family members — with the twin and sibling
    blockers — instead of as strangers. The decision keeps the transaction as sent."""
    sub = next((d for d in decisions if d.transaction.subscriber), None)
    if sub is None or sub.outcome is not Outcome.APPLY:
        return decisions
    sent = normalize_id(sub.transaction.subscriber_number)
    own = _numbers(ctx.seen.get(_who(sub)))
    if not sent or not own or sent in own:
        return decisions
    if any(sent in _numbers(p) for p in ctx.seen.values()):
        return decisions  # the sent number is another known family's: not a renumbering
    number = min(own)
    out = []
    for d in decisions:
        tx = d.transaction
        if tx.subscriber or normalize_id(tx.subscriber_number) != sent:
            out.append(d)
            continue
        again = decide_member(msgspec.structs.replace(tx, subscriber_number=number), ctx)
        out.append(replace(
            again, transaction=tx,
            explanation=f"{again.explanation}; decided in the family the subscriber matched"
            " (the set names it by a number no member holds)",
        ))  # fmt: skip
    return out


def hold_dependents(
    decisions: Sequence[Decision],
    *,
    held_by: str,
    subscriber_number: str,
    due: dt.datetime | None,
) -> list[Decision]:
    """The family hold: each dependent enrollment that would be APPLY/NEW_MEMBER becomes
    REVIEW family_held (held_with = `subscriber_number`, note 'suggested: <outcome>').

    `held_by` says in fixed words what holds the subscriber (e.g. 'review
    (uncertain_match)', 'held (retro_date)'); `due` is the review item's due
    time (None: the ledger's SLA). Subscribers and dependents' changes and
    terminations are returned unchanged.
    """
    out: list[Decision] = []
    for d in decisions:
        tx = d.transaction
        if (
            not tx.subscriber
            and d.outcome in (Outcome.APPLY, Outcome.NEW_MEMBER)
            and is_enrollment(tx)
        ):
            d = replace(
                d,
                outcome=Outcome.REVIEW,
                member_id=None,
                reason=Reason.FAMILY_HELD,
                explanation=f"held with the family: the subscriber's transaction is {held_by};"
                f" this dependent would otherwise be {d.outcome.value}: {d.explanation}",
                queue="review",
                due_at=due,
                held_with=subscriber_number or None,
                notes=(*d.notes, f"suggested: {d.outcome.value}"),
            )
        out.append(d)
    return out


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
    transaction set (already validated). Each member is decided by rules 1-4;
    then the family is decided together (rule 5: the certain matches agree on
    one existing family, or on none; otherwise REVIEW family_mismatch); then,
    when the subscriber is held (REVIEW/REFER) or rejected, dependents'
    enrollments that would have been applied automatically become REVIEW with
    reason family_held. Every decision names the version of the settings' model.
    `header` identifies the transaction set; it is not used for routing.
    """
    del header
    ctx = _Context(candidates, group, received_at, settings or MatchingSettings())
    decisions = _within_matched_family([decide_member(tx, ctx) for tx in family], ctx)
    decisions = _together(decisions, ctx)
    version = ctx.settings.model.version
    if any(d.model_version != version for d in decisions):  # each site names it; a guard
        decisions = [replace(d, model_version=version) for d in decisions]
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
    why = held.reason.value if held.reason else held.outcome.value
    return hold_dependents(
        decisions,
        held_by=f"{held.outcome.value} ({why})",
        subscriber_number=held.transaction.subscriber_number,
        due=due_at(received_at, ctx.settings),
    )
