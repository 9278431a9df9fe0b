"""Decisions: what matching/ tells ledger/ to do with each member transaction.

matching/ never writes anything. It reads the transaction, the group's policy
and the candidates the ledger offers (through `CandidateSource`), and returns
one `Decision` per member transaction. ledger/ applies APPLY/NEW_MEMBER
decisions and stores REVIEW/REFER ones as review items; REJECT goes to the
sender's report. Every decision explains itself without PHI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from edi.records import MemberTransaction


class Outcome(StrEnum):
    APPLY = "apply"
    """Apply to the existing member `member_id`."""
    NEW_MEMBER = "new_member"
    """Certainly nobody we know: create a member, then apply."""
    REVIEW = "review"
    """A membership representative decides (queue 'review')."""
    REFER = "refer"
    """Medicare: referred to the group's representative (queue 'medicare')."""
    REJECT = "reject"
    """Not processed; `reason` goes into the sender's report."""


class Reason(StrEnum):
    """Why a transaction was held, referred or rejected (fixed text, no PHI)."""

    UNCERTAIN_MATCH = "uncertain_match"
    UNKNOWN_MEMBER = "unknown_member"
    """A change or termination for somebody the ledger does not know with certainty."""
    COBRA_SETTING_UNKNOWN = "cobra_setting_unknown"
    COBRA_THIRD_PARTY = "cobra_third_party"
    COBRA_BILL_AND_COLLECT = "cobra_bill_and_collect"
    MEDICARE_REFERRAL = "medicare_referral"
    FAMILY_HELD = "family_held"
    FAMILY_MISMATCH = "family_mismatch"
    """The family's members point at different existing families, or the subscriber
    looks new while dependents are known members: the family is decided together."""
    DEMOGRAPHIC_PROPOSAL = "demographic_proposal"
    """An automatic match on an enrollment whose identity fields (SSN, names, birth date,
    gender) differ from the ledger's: the differences wait for a person."""
    RETRO_DATE = "retro_date"
    FUTURE_DATE = "future_date"
    CONFLICT = "conflict"
    """SSN, birth date inside a family, or relationship conflicts with the best candidate."""
    REJECTED_BY_REVIEWER = "rejected_by_reviewer"


class CobraAdministration(StrEnum):
    SELF = "self"
    THIRD_PARTY = "third_party"
    BILL_AND_COLLECT = "bill_and_collect"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class GroupPolicy:
    """What the pipeline knows about the sponsor (employer group) of a transaction set."""

    sponsor_id: str
    cobra: CobraAdministration = CobraAdministration.UNKNOWN
    representative: str | None = None


@dataclass(frozen=True, slots=True)
class KnownPerson:
    """A ledger member as the matcher sees it (current values)."""

    member_id: str
    subscriber_numbers: tuple[str, ...] = ()
    ssn: str = ""
    last: str = ""
    first: str = ""
    middle: str = ""
    birth_date: dt.date | None = None
    gender: str = ""
    relationship: str = ""
    """INS02 code of this person's place in the family ('18' self, '01' spouse, '19' child...)."""
    birth_sequence: int | None = None
    address_line1: str = ""
    postal_code: str = ""
    medicare_id: str = ""
    other_ids: tuple[tuple[str, str], ...] = ()
    """(REF qualifier, value) of supplemental identifiers."""
    sponsor_id: str = ""


BlockingKey = tuple[str, str]
"""(kind, value), e.g. ('ssn', '123456789'), ('dob_surname', '1980-01-02|S530')."""


class CandidateSource(Protocol):
    """What matching needs from the ledger: the people sharing any blocking key, and how
    many people it searches among (a stranger agreeing by chance is likelier in a large
    roster: `score.could_be_the_enrollee`)."""

    def candidates(self, keys: Sequence[BlockingKey]) -> list[KnownPerson]: ...

    def roster_size(self) -> int: ...


@dataclass(frozen=True, slots=True)
class FieldComparison:
    """One field's contribution to a match score: level name, weight, plain description."""

    field: str
    level: str
    weight: float
    description: str


@dataclass(frozen=True, slots=True)
class Candidate:
    member_id: str
    score: float
    comparisons: tuple[FieldComparison, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    """The routing verdict for one member transaction."""

    outcome: Outcome
    transaction: MemberTransaction
    member_id: str | None = None
    score: float | None = None
    candidates: tuple[Candidate, ...] = ()
    reason: Reason | None = None
    explanation: str = ""
    """Fixed text plus codes/scores; never names, SSNs, dates of birth or addresses."""
    decided_by: str = "auto"
    """'auto', or the user id of the reviewer who resolved it."""
    queue: str | None = None
    """'review' or 'medicare' for REVIEW/REFER."""
    due_at: dt.datetime | None = None
    held_with: str | None = None
    """For FAMILY_HELD: the subscriber number of the family whose hold this follows."""
    notes: tuple[str, ...] = field(default_factory=tuple)
    model_version: int | None = None
    """The match model whose weights decided (matching/model.py; 0 = the hand-set prior);
    None for a person's decision."""
