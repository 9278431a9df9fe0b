"""The review desk: held transactions, who works them, and how resolving one applies it.

Review items are written by the pipeline (`ledger.store.apply.store_review_item`)
for REVIEW and REFER decisions and for automatic changes held by the date
window. The desk reads and resolves them:

- `list_items` / `show_item` give a reviewer what they need to decide: the
  held transaction (SSNs masked to the last four digits unless the user holds
  the `show_phi` privilege and asks for it; every such use is audited), the
  reason, and the candidates best first with their per-field comparisons and
  weights. Lists put the earliest due (so every overdue item) first.
- `assign` hands an item to a reviewer: reviewers take unassigned items for
  themselves, supervisors assign and reassign anything.
- `resolve` turns the reviewer's answer (match a member, new member, reject)
  into a `Decision` with `decided_by` = the reviewer and applies it through
  `ledger.store.apply.apply_in`, the code path automatic decisions take. Resolving
  a subscriber releases the dependents held with its family: each is routed
  again (`matching.route.decide_family`) and applied, or re-queued for its own
  reason. All of it is one database transaction; nothing half-happens.
- `sla_report` (`ledger.desk.sla`, re-exported here) counts open items by age
  and lists every breach (open past due, or resolved late).

Every desk action (and every refusal) leaves an audit record naming the
acting user, in the same transaction as the action. Audit details and
error messages hold ids, codes and counts, never PHI.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from edi.records import MemberTransaction, TransactionSetHeader, decode_json
from ledger.desk import auth
from ledger.desk.candidates import enrich_candidates
from ledger.desk.match import (
    MAX_OVERRIDE_REASON,
    MatchCheck,
    MatchRefused,
    check_match,
    item_model,
    scored_members,
    with_subscriber,
)
from ledger.desk.sla import SlaReport, sla_report
from ledger.desk.users import Actor, NotPermitted, refuse, require
from ledger.desk.views import (
    FULL_FILE_GUARD,
    OPEN_STATUSES,
    QUEUES,
    ItemView,
    candidates_of,
    due_order,
    item_view,
    mask_ssn,
    person_view,
    reject_reason,
    transaction_view,
    utc,
)
from ledger.desk.worklist import context_of
from ledger.store import (
    Applied,
    LedgerError,
    LedgerSettings,
    UnitOfWork,
    active_model,
    apply_in,
    audit,
    engine,
    group_policy,
    load_people,
    partner_settings,
    utcnow,
)
from ledger.store import schema as t
from matching.decisions import (
    Decision,
    Outcome,
    Reason,
)

if TYPE_CHECKING:
    from ledger.settings import PartnerSettings

MAX_REJECT_REASON = 200


class _Refusal(Exception):
    """Raised inside a desk transaction so the refusal is audited after its rollback."""


def _engine(target: str | Engine) -> Engine:
    return target if isinstance(target, Engine) else engine(target)


def _check_phi(eng: Engine, actor: Actor, action: str, show_phi: bool) -> None:
    if show_phi and not actor.show_phi:
        raise refuse(eng, actor.user_id, action, "the user does not hold the show_phi privilege")


# ---------------------------------------------------------------- reading


def list_items(
    target: str | Engine,
    actor: Actor,
    *,
    queue: str | None = None,
    overdue_only: bool = False,
    show_phi: bool = False,
    now: dt.datetime | None = None,
) -> list[ItemView]:
    """Open and assigned items (optionally one queue, or only overdue), earliest due first.

    Audited as 'review.list' (with the ids shown when `show_phi`).
    """
    eng = _engine(target)
    require(eng, actor, "review.read")
    _check_phi(eng, actor, "review.list", show_phi)
    if queue is not None and queue not in QUEUES:
        raise LedgerError(f"unknown queue '{queue}' (queues: {', '.join(QUEUES)})")
    now = utc(now) or utcnow()
    ri = t.review_items
    q = sa.select(ri).where(ri.c.status.in_(OPEN_STATUSES))
    if queue is not None:
        q = q.where(ri.c.queue == queue)
    if overdue_only:
        q = q.where(ri.c.due_at < now)
    with eng.begin() as conn:
        views = sorted((item_view(r, now, show_phi) for r in conn.execute(q)), key=due_order)
        details: dict[str, Any] = {
            "queue": queue, "overdue_only": overdue_only, "count": len(views),
            "show_phi": show_phi,
        }  # fmt: skip
        if show_phi:
            details["items"] = [v.id for v in views]
        audit(conn, actor.user_id, "review.list", details=details)
    return views


def _load(conn: Connection, item_id: int, *, lock: bool = False) -> Any:
    q = sa.select(t.review_items).where(t.review_items.c.id == item_id)
    row = conn.execute(q.with_for_update() if lock else q).first()
    if row is None:
        raise LedgerError(f"review item {item_id} not found")
    return row


def show_item(
    target: str | Engine,
    actor: Actor,
    item_id: int,
    *,
    show_phi: bool = False,
    now: dt.datetime | None = None,
    members: tuple[str, ...] = (),
    context: bool = False,
) -> dict[str, Any]:
    """One item with its candidates' current values beside their comparisons; `members`
    adds those ledger members, scored like candidates (`listed` false). Every candidate
    carries the `conflicts` that refuse a match to it, its `coverages` today and its
    `family` (`ledger.desk.candidates`); `reject_reason` is the reviewer's words when it
    was rejected, else None. With `context`, `context` holds what the item page shows
    beside it (`ledger.desk.worklist.context_of`: source file, family items, history),
    read in the same transaction.

    Audited as 'review.show'; with `show_phi` also as 'review.show_phi'.
    """
    eng = _engine(target)
    require(eng, actor, "review.read", str(item_id))
    _check_phi(eng, actor, "review.show", show_phi)
    now = utc(now) or utcnow()
    with eng.begin() as conn:
        row = _load(conn, item_id)
        view = item_view(row, now, show_phi)
        people = {
            p.member_id: p for p in load_people(conn, [c["member_id"] for c in view.candidates])
        }
        out = view.to_json()
        out["reject_reason"] = (reject_reason(conn, item_id)
                                if row.resolution == "rejected" else None)
        out["candidates"] = [
            {**c, "person": person_view(people[c["member_id"]], show_phi=show_phi)}
            if c["member_id"] in people else c
            for c in view.candidates
        ]  # fmt: skip
        out["candidates"] += scored_members(conn, row, members, view.candidates, show_phi)
        extra = [c["member_id"] for c in out["candidates"] if c["member_id"] not in people]
        people |= {p.member_id: p for p in load_people(conn, extra)}
        out["candidates"] = enrich_candidates(conn, row, out["candidates"], people)
        if context:
            out["context"] = context_of(conn, row)
        audit(conn, actor.user_id, "review.show", target=str(item_id),
                   details={"show_phi": show_phi})  # fmt: skip
        if show_phi:
            audit(conn, actor.user_id, "review.show_phi", target=str(item_id))
    return out


# ---------------------------------------------------------------- assigning


def _may_work(conn: Connection, user_id: str) -> bool:
    active = conn.execute(sa.select(t.users.c.active).where(t.users.c.user_id == user_id)).scalar()
    if not active:
        return False
    return auth.has_role(conn, user_id, "reviewer") or auth.has_role(conn, user_id, "supervisor")


def assign(target: str | Engine, actor: Actor, item_id: int, assignee: str) -> ItemView:
    """Give item `item_id` to `assignee` (an active reviewer or supervisor).

    Reviewers may only take an unassigned item (or one already theirs) for
    themselves; supervisors assign and reassign freely. Audited as 'review.assign'.
    """
    eng = _engine(target)
    require(eng, actor, "review.assign", str(item_id))
    try:
        with eng.begin() as conn:
            row = _load(conn, item_id, lock=True)
            previous = row.assignee
            own = assignee == actor.user_id and previous in (None, actor.user_id)
            if not own and not actor.may("review.reassign"):
                raise _Refusal("reviewers may only take unassigned items for themselves")
            if row.status == "resolved":
                raise LedgerError(f"review item {item_id} is already resolved")
            if not _may_work(conn, assignee):
                raise LedgerError(
                    f"review item {item_id}: '{assignee}' is not an active reviewer or supervisor"
                )
            conn.execute(
                t.review_items.update()
                .where(t.review_items.c.id == item_id)
                .values(assignee=assignee, status="assigned")
            )
            audit(conn, actor.user_id, "review.assign", target=str(item_id),
                       details={"assignee": assignee, "previous": previous})  # fmt: skip
            row = _load(conn, item_id)
    except _Refusal as exc:
        raise refuse(eng, actor.user_id, "review.assign", str(exc), str(item_id)) from None
    return item_view(row, utcnow(), False)


# ---------------------------------------------------------------- resolving


@dataclass(frozen=True, slots=True)
class Released:
    """What happened to one dependent held with a resolved subscriber."""

    item_id: int
    status: str
    """The apply status (new/applied/noop/review/referred/rejected/refused/held)."""
    member_id: str | None = None
    new_item_id: int | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of `resolve`: the item's resolution and what the ledger did."""

    item_id: int
    resolution: str
    """'matched', 'new_member', 'rejected' or (a held full file) 'overridden'."""
    status: str
    member_id: str | None
    entries: tuple[int, ...]
    released: tuple[Released, ...] = ()
    still_held: tuple[int, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    match: MatchCheck | None = None
    """For a match: the member scored like a candidate, with its conflicts."""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.item_id,
            "match": self.match.to_json() if self.match else None,
            "resolution": self.resolution,
            "status": self.status,
            "member_id": self.member_id,
            "entries": list(self.entries),
            "released": [
                {
                    "id": r.item_id,
                    "status": r.status,
                    "member_id": r.member_id,
                    "new_item": r.new_item_id,
                }
                for r in self.released
            ],  # fmt: skip
            "still_held": list(self.still_held),
            "notes": list(self.notes),
        }


def ledger_settings(conn: Connection, header: TransactionSetHeader,
                    partners: tuple[PartnerSettings, ...] = ()) -> LedgerSettings:
    """LedgerSettings for the sender of `header`, read as ingest reads them
    (`ledger.store.groups.partner_settings`: configured `partners`, then the stored row)."""
    ln = header.lineage
    return partner_settings(conn, ln.sender_qualifier, ln.sender_id, configured=partners)


def _decision(
    row: Any, tx: MemberTransaction, actor: Actor, *,
    match: str | None, new_member: bool, reject_reason: str | None,
    check: MatchCheck | None = None, override: bool = False,
) -> tuple[Decision, str]:  # fmt: skip
    """The reviewer's answer as a Decision decided by them, and the item's resolution name."""
    from matching.route import is_termination

    scores = {c["member_id"]: c.get("score") for c in candidates_of(row.candidates)}
    base = Decision(
        outcome=Outcome.REJECT, transaction=tx, decided_by=actor.user_id,
        notes=(f"review item {row.id}",),
    )  # fmt: skip
    if match is not None:
        known = "a listed candidate" if match in scores else "a member not among the candidates"
        text = f"resolved by a reviewer: matched to {known}"
        if override and check is not None and check.conflicts:
            text += " despite " + ", ".join(check.conflicts) + " (supervisor override)"
        return replace(
            base, outcome=Outcome.APPLY, member_id=match, explanation=text,
            score=check.candidate.score if check else scores.get(match),
        ), "matched"  # fmt: skip
    if new_member:
        if is_termination(tx):
            raise LedgerError(f"review item {row.id}: a termination cannot create a new member")
        explanation = "resolved by a reviewer: a new member"
        return replace(base, outcome=Outcome.NEW_MEMBER, explanation=explanation), "new_member"
    if not reject_reason or not reject_reason.strip():
        raise LedgerError("a rejection needs a reason")
    return replace(
        base, reason=Reason.REJECTED_BY_REVIEWER, explanation="rejected by a reviewer"
    ), "rejected"


def resolve(
    target: str | Engine,
    actor: Actor,
    item_id: int,
    *,
    match: str | None = None,
    new_member: bool = False,
    reject_reason: str | None = None,
    override_file: Any = None,
    apply_held: bool = False,
    override_reason: str | None = None,
    partners: tuple[PartnerSettings, ...] = (),
) -> Resolution:
    """Resolve item `item_id` with exactly one of: `match` (a member id), `new_member`, or a
    rejection with `reject_reason`; apply it, release held family members, all atomically.

    A `match` is scored like a candidate (`ledger.desk.match.check_match`,
    listed among the item's candidates or not) and returned in
    `Resolution.match`. An SSN, birth-date or relationship conflict refuses it
    (LedgerError naming the member, score and conflicts; audited as
    'review.match_refused') unless a supervisor gives `override_reason`
    ('review.override'; audited with the reason, at most 200 characters, no
    PHI). A resolution without conflicts, to a listed candidate or not, needs
    no override.

    A held full file (reason `full_file_guard`, queue 'supervisor') is resolved
    by a supervisor only ('review.override'): `apply_held` applies the copy the
    item records (`held_file`, kept under the outbox's `held/`), `override_file`
    a file given by hand; either is checked by SHA-256 against the held run and
    applied with the guard overridden, exactly once. `reject_reason` closes it
    without applying anything. Resolutions 'overridden' / 'rejected'; after
    either, the sender's report (the applied run's reports, or a rejection
    notice) goes to the item's outbox, and its file names are in `notes`.

    Reviewers resolve unassigned items and their own; supervisors also others'
    (an override, audited as such). A ledger refusal (e.g. an end date before
    the begin date) raises LedgerError and changes nothing. `reject_reason` is
    the reviewer's text for the sender report; it goes to the audit record, so
    it must not contain PHI. Audited as 'review.resolve' and 'review.release'.
    `partners` (the configuration's [[partners]]) set the sender's policy as at ingest.
    """
    chosen = sum([match is not None, new_member, reject_reason is not None,
                  override_file is not None, apply_held])  # fmt: skip
    if chosen != 1:
        raise ValueError(
            "give exactly one of match, new_member, reject_reason, override_file, apply_held"
        )
    eng = _engine(target)
    require(eng, actor, "review.resolve", str(item_id))
    if override_reason is not None:
        if match is None:
            raise LedgerError("an override reason goes with a match")
        if not override_reason.strip():
            raise LedgerError("an override needs a reason")
        require(eng, actor, "review.override", str(item_id))
    try:
        with eng.connect() as conn:
            reason = conn.execute(sa.select(t.review_items.c.reason)
                                  .where(t.review_items.c.id == item_id)).scalar()  # fmt: skip
        if reason == FULL_FILE_GUARD:
            if match is not None or new_member:
                raise LedgerError(f"review item {item_id}: a held full file is overridden "
                                  "(with its file) or rejected")  # fmt: skip
            require(eng, actor, "review.override", str(item_id))
            return _resolve_guard(eng, actor, item_id, override_file, reject_reason, apply_held)
        if override_file is not None or apply_held:
            raise LedgerError(f"review item {item_id}: only a held full file is overridden")
        return _resolve(eng, actor, item_id, match, new_member, reject_reason, override_reason,
                        partners)
    except _Refusal as exc:
        raise refuse(eng, actor.user_id, "review.resolve", str(exc), str(item_id)) from None
    except _Conflicts as exc:
        with eng.begin() as conn:
            audit(conn, actor.user_id, "review.match_refused", target=str(item_id),
                  details=exc.check.audit())  # fmt: skip
        raise MatchRefused(exc.check, f"review item {item_id}: refused: {exc.check.summary()}; "
                           "a supervisor may override with a reason") from None  # fmt: skip


class _Conflicts(Exception):
    """A match with conflicts and no override: refused (and audited) after the rollback."""

    def __init__(self, check: MatchCheck) -> None:
        super().__init__(check.summary())
        self.check = check


def _resolve(
    eng: Engine, actor: Actor, item_id: int, match: str | None, new_member: bool,
    reject_reason: str | None, override_reason: str | None = None,
    partners: tuple[PartnerSettings, ...] = (),
) -> Resolution:  # fmt: skip
    override = False
    with eng.begin() as conn:
        # The ledger head is locked before any review item, as ingest does, so resolving
        # a subscriber and one of its held dependents at once cannot deadlock.
        uow = UnitOfWork(conn)
        row = _load(conn, item_id, lock=True)
        if row.status == "resolved":
            raise LedgerError(f"review item {item_id} is already resolved")
        if row.assignee not in (None, actor.user_id):
            if not actor.may("review.override"):
                raise _Refusal("the item is assigned to another user")
            override = True
        try:
            tx = decode_json(MemberTransaction, row.transaction)
            header = decode_json(TransactionSetHeader, row.header)
        except ValueError:
            raise LedgerError(f"review item {item_id}: stored transaction unreadable") from None
        check = None
        if match is not None:
            listed = {str(c["member_id"]) for c in candidates_of(row.candidates)}
            check = check_match(conn, tx, match, listed, item_model(conn, row))
            if check is not None and check.conflicts and override_reason is None:
                raise _Conflicts(check)
        decision, resolution = _decision(
            row, tx, actor, match=match, new_member=new_member, reject_reason=reject_reason,
            check=check, override=override_reason is not None,
        )  # fmt: skip
        received = utc(row.received_at)
        assert received is not None
        settings = ledger_settings(conn, header, partners)
        applied = apply_in(uow, header, decision, received_at=received, settings=settings,
                           transaction_set_id=row.transaction_set_id)  # fmt: skip
        if applied.status == "refused":
            why = "; ".join(applied.notes) or "refused"
            raise LedgerError(f"review item {item_id}: the ledger refused the resolution: {why}")
        now = utcnow()
        conn.execute(
            t.review_items.update().where(t.review_items.c.id == item_id).values(
                status="resolved", resolution=resolution, resolved_by=actor.user_id,
                resolved_at=now, assignee=row.assignee or actor.user_id,
            )
        )  # fmt: skip
        released: list[Released] = []
        still: list[int] = []
        if tx.subscriber:
            released, still = _release(
                conn, uow, actor, row, header, applied, settings,
                release=resolution != "rejected",
            )  # fmt: skip
        uow.finish()
        details: dict[str, Any] = {
            "resolution": resolution, "status": applied.status, "member_id": applied.member_id,
            "entries": list(applied.entries), "override": override,
            "released": [r.item_id for r in released], "still_held": still,
        }  # fmt: skip
        if reject_reason is not None:
            details["reason"] = reject_reason.strip()[:MAX_REJECT_REASON]
        if check is not None:
            details["match"] = check.audit()
        if override_reason is not None:
            details["override_reason"] = override_reason.strip()[:MAX_OVERRIDE_REASON]
        audit(conn, actor.user_id, "review.resolve", target=str(item_id), details=details)
    # an ordinary match to a listed candidate says nothing more; anything else is shown
    shown = (check.summary(),) if check and (check.conflicts or not check.listed) else ()
    return Resolution(
        item_id=item_id, resolution=resolution, status=applied.status,
        member_id=applied.member_id, entries=applied.entries, released=tuple(released),
        still_held=tuple(still), notes=(*shown, *applied.notes), match=check,
    )  # fmt: skip


def _resolve_guard(
    eng: Engine, actor: Actor, item_id: int, override_file: Any, reject_reason: str | None,
    apply_held: bool = False,
) -> Resolution:  # fmt: skip
    """Override (apply) or reject a held full file; the item, run and audit in one transaction,
    then the sender's report into the item's outbox."""
    import json
    from pathlib import Path

    from ledger.fullfile import close_held, override_held, report_guard_resolution

    with eng.begin() as conn:
        row = _load(conn, item_id, lock=True)
        if row.status == "resolved":
            raise LedgerError(f"review item {item_id} is already resolved")
        try:
            summary = json.loads(row.transaction)
            run_id = int(summary["run_id"])
        except (ValueError, KeyError, TypeError):
            raise LedgerError(f"review item {item_id}: stored summary unreadable") from None
        if apply_held:
            if not summary.get("held_file"):
                raise LedgerError(f"review item {item_id}: no copy of the held file was kept; "
                                  "apply it with the file (--override FILE)")  # fmt: skip
            override_file = Path(summary["held_file"])
            if not override_file.is_file():
                raise LedgerError(f"review item {item_id}: the held copy "
                                  f"{override_file.name} is missing")  # fmt: skip
        details: dict[str, Any] = {"held_run": run_id}
        if override_file is not None:
            rec = override_held(conn, run_id, override_file, actor=actor.user_id)
            resolution, status = "overridden", rec.status
            details |= {"run_id": rec.run_id, "status": rec.status, "counts": rec.counts,
                        "from": "held_copy" if apply_held else "file"}  # fmt: skip
        else:
            if not (reject_reason or "").strip():
                raise LedgerError("a rejection needs a reason")
            close_held(conn, run_id)
            resolution, status = "rejected", "rejected"
            details["reason"] = (reject_reason or "").strip()[:MAX_REJECT_REASON]
        conn.execute(
            t.review_items.update().where(t.review_items.c.id == item_id).values(
                status="resolved", resolution=resolution, resolved_by=actor.user_id,
                resolved_at=utcnow(), assignee=row.assignee or actor.user_id,
            )
        )  # fmt: skip
        details["resolution"] = resolution
        audit(conn, actor.user_id, "review.resolve", target=str(item_id), details=details)
    notes = [f"reconciliation run {details['run_id']}"] if "run_id" in details else []
    try:
        written = report_guard_resolution(eng, summary, details.get("run_id", run_id),
                                          reason=details.get("reason"))  # fmt: skip
        notes += [f"sender report {name}" for name in written]
    except OSError as exc:  # resolved and committed; only the report is missing
        notes.append(f"sender report not written ({type(exc).__name__})")
    return Resolution(item_id=item_id, resolution=resolution, status=status, member_id=None,
                      entries=(), notes=tuple(notes))  # fmt: skip


def _release(
    conn: Connection, uow: UnitOfWork, actor: Actor, row: Any, header: TransactionSetHeader,
    applied: Applied, settings: LedgerSettings, *, release: bool,
) -> tuple[list[Released], list[int]]:  # fmt: skip
    """Route again, and apply, each dependent held with the subscriber of item `row`."""
    from matching.route import MatchingSettings, decide_family

    ri = t.review_items
    held = list(
        conn.execute(
            sa.select(ri)
            .where(
                ri.c.family_key == row.family_key,
                ri.c.reason == Reason.FAMILY_HELD.value,
                ri.c.status.in_(OPEN_STATUSES),
                ri.c.id != row.id,
            )
            .order_by(ri.c.id)
            .with_for_update()
        )
    )
    if not release:
        return [], [int(h.id) for h in held]
    group = group_policy(conn, row.sponsor_id or "")
    matching = MatchingSettings(model=active_model(conn))
    out: list[Released] = []
    still: list[int] = []
    for h in held:
        tx = decode_json(MemberTransaction, h.transaction)
        received = utc(h.received_at)
        assert received is not None
        (decision,) = decide_family(header, [tx], candidates=uow, group=group, received_at=received,
                                    settings=matching)  # fmt: skip
        decision = with_subscriber(uow, decision, applied.member_id)
        res = apply_in(uow, header, decision, received_at=received, settings=settings,
                       subscriber_member_id=applied.member_id,
                       transaction_set_id=h.transaction_set_id)  # fmt: skip
        if res.status == "refused":
            still.append(int(h.id))
            audit(conn, actor.user_id, "review.release", target=str(h.id),
                       details={"from_item": int(row.id), "status": "refused"})  # fmt: skip
            continue
        requeued = res.review_item_id is not None
        conn.execute(
            ri.update().where(ri.c.id == h.id).values(
                status="resolved", resolution="rerouted" if requeued else "released",
                resolved_by=actor.user_id, resolved_at=utcnow(),
            )
        )  # fmt: skip
        out.append(Released(int(h.id), res.status, res.member_id, res.review_item_id))
        audit(conn, actor.user_id, "review.release", target=str(h.id),
                   details={"from_item": int(row.id), "status": res.status,
                            "member_id": res.member_id,
                            "new_item": res.review_item_id})  # fmt: skip
    return out, still


__all__ = [
    "ItemView",
    "NotPermitted",
    "Released",
    "Resolution",
    "SlaReport",
    "assign",
    "group_policy",
    "ledger_settings",
    "list_items",
    "mask_ssn",
    "person_view",
    "resolve",
    "show_item",
    "sla_report",
    "transaction_view",
]
