"""Resolving to a member: the member scored like a candidate, and the conflicts that refuse it.

A reviewer's `--match MEMBER` may name anybody in the ledger, listed among the
item's candidates or not. `check_match` scores that member against the held
transaction exactly as the matcher scores a candidate (per-field comparisons
and weights) and names the conflicts that make the match unsafe: an SSN, a
birth date or a place in the family (relationship) that disagree. The desk
(`ledger.desk.resolve`) refuses a match with conflicts unless a supervisor
overrides it with a reason, and records the check in its audit record; every
face (CLI, web) goes through that one function.

Everything here is codes, member ids and scores: no PHI.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.engine import Connection

from edi.records import MemberTransaction, decode_json
from ledger.desk.views import person_view
from ledger.store import LedgerError, UnitOfWork, get_model, load_people
from matching.decisions import Candidate, Decision, KnownPerson, Outcome, Reason
from matching.model import PRIOR, MatchModel
from matching.normalize import normalize_id
from matching.person import enrollee_probes
from matching.score import score_candidates

MATCH_CONFLICTS = ("ssn", "birth_date", "relationship")
"""Fields whose 'conflict' level refuses a reviewer's match without a supervisor's override."""

MAX_OVERRIDE_REASON = 200


@dataclass(frozen=True, slots=True)
class MatchCheck:
    """A member named by a resolution, scored against the held transaction."""

    member_id: str
    listed: bool
    """Among the item's stored candidates."""
    candidate: Candidate
    conflicts: tuple[str, ...]
    """'ssn_conflict', 'birth_date_conflict', 'relationship_conflict' (in that order)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "member_id": self.member_id,
            "listed": self.listed,
            "score": self.candidate.score,
            "conflicts": list(self.conflicts),
            "comparisons": [
                {"field": c.field, "level": c.level, "weight": c.weight,
                 "description": c.description}
                for c in self.candidate.comparisons
            ],
        }  # fmt: skip

    def audit(self) -> dict[str, Any]:
        """What the audit record keeps: member, listed, score, conflicts (no comparisons)."""
        out = self.to_json()
        del out["comparisons"]
        return out

    def summary(self) -> str:
        """One line without PHI: member, listed or not, score, conflicts."""
        where = "a listed candidate" if self.listed else "not among the item's candidates"
        text = f"member {self.member_id} ({where}) scores {self.candidate.score:.2f}"
        return text + (f"; conflicts: {', '.join(self.conflicts)}" if self.conflicts else "")


class MatchRefused(LedgerError):
    """A match refused for its conflicts (no supervisor override given); `check` names them."""

    def __init__(self, check: MatchCheck, message: str) -> None:
        super().__init__(message)
        self.check = check


def check_person(tx: MemberTransaction, person: KnownPerson, listed: set[str]) -> MatchCheck:
    """`person` scored against `tx` like a candidate, with the conflicts that refuse a match."""
    return _check(tx, person, listed)


def item_model(conn: Connection, row: Any) -> MatchModel:
    """The match model that scored review item `row` (the prior when it names none, or a
    version no longer stored), so members a reviewer adds are scored like its candidates."""
    version = getattr(row, "model_version", None)
    return (get_model(conn, int(version)) if version is not None else None) or PRIOR


def check_match(
    conn: Connection, tx: MemberTransaction, member_id: str, listed: set[str],
    model: MatchModel = PRIOR,
) -> MatchCheck | None:  # fmt: skip
    """`member_id` scored against `tx` (with `model`) with its conflicts; None when the ledger
    has no such member (the ledger then refuses the resolution itself). `listed` holds the
    item's candidate ids."""
    people = load_people(conn, [member_id])
    return _check(tx, people[0], listed, model) if people else None


def _check(
    tx: MemberTransaction, person: KnownPerson, listed: set[str], model: MatchModel = PRIOR
) -> MatchCheck:
    (candidate,) = score_candidates(enrollee_probes(tx), [person], model)
    levels = {c.field: c.level for c in candidate.comparisons}
    conflicts = tuple(f"{f}_conflict" for f in MATCH_CONFLICTS if levels.get(f) == "conflict")
    return MatchCheck(person.member_id, person.member_id in listed, candidate, conflicts)


def scored_members(
    conn: Connection, row: Any, member_ids: tuple[str, ...],
    listed: tuple[dict[str, Any], ...], show_phi: bool,
) -> list[dict[str, Any]]:  # fmt: skip
    """Members named by the reviewer (not already `listed`), each scored against the item's
    transaction like a candidate: the candidate JSON plus `listed`, `conflicts` and `person`
    (SSN masked unless `show_phi`). An unknown member id is a LedgerError."""
    wanted = [m for m in dict.fromkeys(member_ids) if m not in {c["member_id"] for c in listed}]
    if not wanted:
        return []
    try:
        tx = decode_json(MemberTransaction, row.transaction)
    except ValueError:
        raise LedgerError(f"review item {row.id}: no member transaction to score against") from None
    people = {p.member_id: p for p in load_people(conn, wanted)}
    missing = [m for m in wanted if m not in people]
    if missing:
        raise LedgerError(f"member {missing[0]} not found")
    ids = {str(c["member_id"]) for c in listed}
    model = item_model(conn, row)
    return [
        _check(tx, people[m], ids, model).to_json() | {"person": person_view(people[m], show_phi=show_phi)}
        for m in wanted
    ]


def _family(person: KnownPerson) -> set[str]:
    return {n for n in map(normalize_id, person.subscriber_numbers) if n}


def with_subscriber(uow: UnitOfWork, decision: Decision, subscriber_id: str | None) -> Decision:
    """A released dependent's decision, kept in its subscriber's family: an APPLY to a member
    whose family shares no subscriber number with the resolved subscriber `subscriber_id`
    becomes REVIEW family_mismatch (the family is decided together, after a resolution too)."""
    if decision.outcome is not Outcome.APPLY or not subscriber_id or not decision.member_id:
        return decision
    uow.flush()
    people = {p.member_id: p for p in load_people(uow.conn, [decision.member_id, subscriber_id])}
    dependent, subscriber = people.get(decision.member_id), people.get(subscriber_id)
    if dependent is None or subscriber is None or not _family(subscriber):
        return decision
    if _family(dependent) & _family(subscriber):
        return decision
    return replace(
        decision, outcome=Outcome.REVIEW, member_id=None, reason=Reason.FAMILY_MISMATCH,
        queue="review", due_at=None, notes=(*decision.notes, "suggested: apply"),
        explanation=f"released with subscriber {subscriber_id}, but matched {decision.member_id}"
        " of another family; the family is decided together: " + decision.explanation,
    )  # fmt: skip
