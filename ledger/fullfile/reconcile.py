"""Full files: compare the sender's picture of a sponsor with the ledger, then apply by policy.

A full file (BGN08 4 "verify" or RX "replace"; members carried with INS03=030)
is not a list of changes. `reconcile_set` takes one such transaction set and:

1. identifies every listed member among the sponsor's ledger members with the
   matcher (`matching.score.identify_known`: subscriber number and place in
   the family, else the certainty gate), candidates fetched set-based per
   batch of members, never one query per member;
2. compares names, birth date, SSN, gender, address and, per insurance line,
   plan, coverage level and begin/end dates. Agreement is recorded in
   `confirmations` (member and each coverage, stamped with the file's BGN
   date/time); differences become `discrepancies`: missing_in_ledger,
   field_mismatch, and missing_in_file (active in the ledger for this sponsor
   on the effective date, not in the file; found with one set-based query
   against a temporary table of the members seen);
3. applies by the partner's `FullFilePolicy`. Default `verify`: nothing is
   changed, every difference is for review. `replace` (and only for a BGN08=RX
   set): mismatches are applied as changes, certainly-new members enrolled and
   members missing from the file terminated as of the effective date — unless
   the guard trips (more than `max_termination_share` of the active members
   would be terminated, or more than `max_change_share` changed): then nothing
   is applied and the run is held for a supervisor with its counts.

Never applied, only reported: members with an open review item (pending
enrollment or termination), members whose newest ledger entry was recorded
after the file's BGN date/time (a stale full file never undoes a change),
uncertain matches, and terminations when the set had members rejected by
validation. A member with no open coverage is never terminated (twice).

Everything happens on the caller's connection inside its transaction; a dry
run is the same work rolled back. Nothing here logs or raises PHI.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from edi.codes import ActionCode, MaintenanceType
from edi.records import MemberTransaction, TransactionSetHeader, decode_json, encode_json
from ledger.fullfile.bgn_time import bgn_instant
from ledger.fullfile.changes import lines_only_in_ledger, terminate_member
from ledger.fullfile.state import (
    Held,
    active_members,
    candidates,
    compare_coverages,
    compare_member,
    family_people,
    last_recorded,
    ledger_state,
    pending_reviews,
    same_person,
    seen,
    severity,
    temp_tables,
)
from ledger.fullfile.work import queue_discrepancies
from ledger.store import (
    FullFilePolicy,
    LedgerError,
    LedgerSettings,
    UnitOfWork,
    active_model,
    apply_in,
    bulk_insert,
    canonical_json,
    partner_settings,
)
from ledger.store import reconcile_tables as rt
from ledger.store import schema as t
from matching.decisions import Decision, Outcome
from matching.normalize import relationship_group
from matching.person import prior_person, transaction_person
from matching.score import Thresholds, identify_known

BATCH = 2000
DECIDED_BY = "full_file"
"""`decided_by` on entries a full file applies (the partner's replace policy decided)."""


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One difference: kind, severity, who (ids only), which fields, and what was done.

    `action`: review (for a person) | apply (replace policy: to be applied; what a
    dry run reports) | applied | refused (a ledger rule refused it) | held (the
    guard stopped the file) | pending_review | stale | uncertain.
    """

    ordinal: int
    kind: str
    severity: str
    member_id: str | None
    subscriber_number: str
    relationship: str = ""
    insurance_line: str = ""
    fields: tuple[str, ...] = ()
    action: str = "review"
    member_ordinal: int | None = None
    position: int | None = None
    status: str = "open"
    """open, or what a person decided (`ledger.fullfile.work.DECISIONS`)."""


@dataclass
class Reconciliation:
    """The outcome of reconciling one full-file transaction set (no PHI)."""

    run_id: int
    sponsor_id: str
    sender_id: str
    interchange_control: str
    set_control: str
    action_code: str
    semantics: str
    effective_date: dt.date | None
    file_time: dt.datetime | None
    status: str = "verified"
    """verified | applied | held (guard) | dry_run."""
    guard: str = ""
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rejected_ordinals: tuple[int, ...] = ()
    """Member loops of the set its acknowledgment rejected: counted, never compared (a
    supervisor's override of a held run leaves the same ones out)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "sponsor_id": self.sponsor_id, "sender_id": self.sender_id,
            "interchange_control": self.interchange_control, "set_control": self.set_control,
            "action_code": self.action_code, "semantics": self.semantics, "status": self.status,
            "guard": self.guard,
            "effective_date": self.effective_date.isoformat() if self.effective_date else None,
            "file_time": self.file_time.isoformat() if self.file_time else None,
            "counts": {**dict.fromkeys(COUNTERS, 0), **dict(sorted(self.counts.items()))},
            "discrepancies": sum(self.counts.get(k, 0) for k in DISCREPANCY_KINDS),
        }  # fmt: skip


DISCREPANCY_KINDS = ("missing_in_ledger", "missing_in_file", "field_mismatch")
COUNTERS = ("file_members", "matched", "confirmed_members", "confirmed_coverages",
            *DISCREPANCY_KINDS, *(f"action_{a}" for a in ("review", "uncertain",
            "pending_review", "apply", "stale")), "active_in_ledger", "would_enrol",
            "would_change", "would_terminate", "enrolled", "changed", "terminated",
            "not_audit_members", "rejected_members")  # fmt: skip
"""Every counter `Reconciliation.to_json` lists, zero included (the --json contract)."""


def is_full_file(header: TransactionSetHeader) -> bool:
    """BGN08 = 4 (verify) or RX (replace)."""
    return header.action_code in (ActionCode.VERIFY, ActionCode.REPLACE)


def file_time(header: TransactionSetHeader) -> dt.datetime | None:
    """BGN03 + BGN04 in the BGN05 time zone, as UTC (`ledger.fullfile.bgn_time`)."""
    return bgn_instant(header.date, header.time, header.time_zone)


def effective_date(header: TransactionSetHeader) -> dt.date | None:
    """Header DTP*007 (effective), else BGN03."""
    eff = next((d.begin for d in header.dates if d.qualifier == "007"), None)
    return eff or header.date


# ------------------------------------------------------------------ the run


class _Run:
    """State of one reconciliation: ids, counters, buffered rows."""

    def __init__(self, conn: Connection, header: TransactionSetHeader, policy: FullFilePolicy,
                 *, dry_run: bool, recorded_at: dt.datetime, actor: str, source: str) -> None:  # fmt: skip
        self.conn, self.header, self.policy, self.dry_run = conn, header, policy, dry_run
        self.recorded_at = recorded_at
        self.received_at = recorded_at
        self.sponsor = header.sponsor.id.strip() if header.sponsor else ""
        self.model = active_model(conn)
        """The match model ingest scores with: file members are identified as ingest would."""
        self.eff = effective_date(header)
        self.ftime = file_time(header)
        replace = policy.policy == "replace" and header.action_code is ActionCode.REPLACE
        ln = header.lineage
        self.result = Reconciliation(
            0, self.sponsor, ln.sender_id.strip(), ln.interchange_control, ln.set_control,
            header.action_code.value if header.action_code else "",
            "replace" if replace else "verify", self.eff, self.ftime,
        )  # fmt: skip
        self.replace = replace
        self.ordinal = 0
        self.disc_rows: list[dict[str, Any]] = []
        self.conf_rows: list[dict[str, Any]] = []
        self.pending_ids, self.pending_keys = pending_reviews(conn, self.sponsor)
        rr = rt.reconciliation_runs
        self.run_id = int(conn.execute(rr.insert().values(
            sponsor_id=self.sponsor, sender_qualifier=ln.sender_qualifier.strip(),
            sender_id=ln.sender_id.strip(), interchange_control=ln.interchange_control,
            group_control=ln.group_control, set_control=ln.set_control,
            file_sha256=ln.file_sha256, source=source, action_code=self.result.action_code,
            semantics=self.result.semantics, file_time=self.ftime, effective_date=self.eff,
            status="running", counts="{}", guard="", actor=actor, recorded_at=recorded_at,
        )).inserted_primary_key[0])  # type: ignore[index]  # fmt: skip
        self.result.run_id = self.run_id
        temp_tables(conn)

    # ---------------------------------------------------------------- buffers

    def discrepancy(self, kind: str, fields: list[str], *, member_id: str | None,
                    tx: MemberTransaction | None = None, sub: str = "", rel: str = "",
                    line: str = "", action: str = "review") -> Discrepancy:  # fmt: skip
        self.ordinal += 1
        if tx is not None:
            sub, rel = tx.subscriber_number, tx.relationship.value if tx.relationship else ""
        sev = "high" if kind != "field_mismatch" else severity(fields)
        d = Discrepancy(
            self.ordinal, kind, sev, member_id, sub, rel, line, tuple(fields), action,
            tx.lineage.member_ordinal if tx else None, tx.lineage.first_position if tx else None,
        )  # fmt: skip
        self.result.counts[kind] += 1
        self.result.counts[f"action_{action}"] += 1
        self.disc_rows.append({
            "run_id": self.run_id, "ordinal": d.ordinal, "kind": d.kind, "severity": d.severity,
            "member_id": d.member_id, "subscriber_number": d.subscriber_number,
            "relationship": d.relationship, "insurance_line": d.insurance_line,
            "fields": canonical_json(list(d.fields)), "action": d.action,
            "member_ordinal": d.member_ordinal, "position": d.position, "status": "open",
            # what a person deciding it needs of the file (verify policy): the member loop
            "member_tx": encode_json(tx) if tx is not None and action == "review"
            and not self.replace else None,
        })  # fmt: skip
        if len(self.disc_rows) >= BATCH:
            self.flush()
        return d

    def confirm(self, member_id: str, line: str) -> None:
        self.conf_rows.append({"run_id": self.run_id, "member_id": member_id,
                               "insurance_line": line, "confirmed_at": self.ftime,
                               "recorded_at": self.recorded_at})  # fmt: skip
        self.result.counts["confirmed_members" if not line else "confirmed_coverages"] += 1
        if len(self.conf_rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.disc_rows:
            bulk_insert(self.conn, rt.discrepancies, self.disc_rows)
            self.disc_rows = []
        if self.conf_rows:
            bulk_insert(self.conn, rt.confirmations, self.conf_rows)
            self.conf_rows = []

    def stage(self, action_kind: str, member_id: str | None, tx: MemberTransaction | None,
              ordinal: int) -> None:  # fmt: skip
        """Remember a change the replace policy would apply (applied after the guard)."""
        self.conn.execute(sa.text(
            "INSERT INTO rc_apply (ordinal, kind, member_id, tx) VALUES (:o, :k, :m, :tx)"
        ), {"o": ordinal, "k": action_kind, "m": member_id,
            "tx": encode_json(tx) if tx is not None else None})  # fmt: skip

    # ---------------------------------------------------------------- file members

    def batch(self, txs: list[MemberTransaction]) -> None:
        """Identify and compare one batch of file members (a handful of queries).

        A member whose subscriber number, relationship, birth sequence, names,
        birth date and SSN all equal exactly one ledger member's is that
        member (identify_known's first rule, taken without scoring); everyone
        else goes through the matcher with candidates from the blocking keys.
        """
        matched: dict[int, str] = {}
        verdicts: dict[int, str] = {}
        families = family_people(self.conn, txs, self.sponsor)
        rest = []
        for k, tx in enumerate(txs):
            found = [p for p in families.get(tx.subscriber_number, ()) if same_person(tx, p)]
            if len(found) == 1:
                matched[k], verdicts[k] = found[0].member_id, "match"
            else:
                rest.append(k)
        people = candidates(self.conn, [txs[k] for k in rest], self.sponsor)
        thresholds = Thresholds()
        for j, k in enumerate(rest):
            tx = txs[k]
            probes = [transaction_person(tx)]
            prior = prior_person(tx)
            if prior is not None:
                probes.insert(0, prior)
            mine = [people[m] for m in people.by_tx[j]]
            rel = relationship_group(tx.relationship.value if tx.relationship else "")
            a = identify_known(probes, tx.subscriber_number, rel, tx.birth_sequence, mine,
                               thresholds, self.model)  # fmt: skip
            verdicts[k] = a.verdict
            if a.verdict == "match" and a.best is not None:
                matched[k] = a.best.member_id
        ids = list(dict.fromkeys(matched.values()))
        already = seen(self.conn, ids)
        counts: dict[str, int] = defaultdict(int)
        for member_id in matched.values():
            counts[member_id] += 1
        dup = {m for m, c in counts.items() if c > 1} | already
        fresh = [m for m in ids if m not in dup]
        if fresh:
            self.conn.execute(sa.text("INSERT INTO rc_seen (member_id) VALUES (:m)"),
                              [{"m": m} for m in fresh])  # fmt: skip
        state = ledger_state(self.conn, fresh)
        last = last_recorded(self.conn, fresh)
        for k, tx in enumerate(txs):
            self.result.counts["file_members"] += 1
            mid = matched.get(k)
            if mid is None or mid in dup:
                self._unmatched(tx, "uncertain" if mid or verdicts[k] == "uncertain" else "new")
                continue
            self.result.counts["matched"] += 1
            self._matched(tx, mid, state[mid], last.get(mid))

    def _unmatched(self, tx: MemberTransaction, verdict: str) -> None:
        rel = tx.relationship.value if tx.relationship else ""
        if verdict == "uncertain":
            self.discrepancy("missing_in_ledger", [], member_id=None, tx=tx, action="uncertain")
        elif (tx.subscriber_number, rel) in self.pending_keys:
            self.discrepancy("missing_in_ledger", [], member_id=None, tx=tx,
                             action="pending_review")  # fmt: skip
        elif self.replace:
            d = self.discrepancy("missing_in_ledger", [], member_id=None, tx=tx, action="apply")
            self.stage("enrol", None, tx, d.ordinal)
            self.result.counts["would_enrol"] += 1
        else:
            self.discrepancy("missing_in_ledger", [], member_id=None, tx=tx)

    def _matched(self, tx: MemberTransaction, mid: str, held: Held,
                 last: dt.datetime | None) -> None:  # fmt: skip
        demo = compare_member(tx, held)
        cov_diffs, agree = compare_coverages(tx, held, self.eff)
        if not demo:
            self.confirm(mid, "")
        for line in agree:
            self.confirm(mid, line)
        if not demo and not cov_diffs:
            return
        action = self._replace_action(mid, last) if self.replace else "review"
        first = 0
        if demo:
            first = self.discrepancy("field_mismatch", demo, member_id=mid, tx=tx,
                                     action=action).ordinal  # fmt: skip
        for line, fields in sorted(cov_diffs.items()):
            o = self.discrepancy("field_mismatch", fields, member_id=mid, tx=tx, line=line,
                                 action=action).ordinal  # fmt: skip
            first = first or o
        if action == "apply":
            self.stage("change", mid, tx, first)
            self.result.counts["would_change"] += 1

    def _replace_action(self, mid: str, last: dt.datetime | None, *, review: bool = False) -> str:
        """Under replace, what a discrepancy of ledger member `mid` (last recorded at `last`)
        gets: 'pending_review' while a review item is open for it, 'review' when `review`,
        'stale' when the ledger changed after the file's time, else 'apply'."""
        if mid in self.pending_ids:
            return "pending_review"
        if review:
            return "review"
        if last is not None and self.ftime is not None and last > self.ftime:
            return "stale"
        return "apply"

    # ---------------------------------------------------------------- absent members

    def absent(self, rejected_members: int) -> None:
        """missing_in_file: the sponsor's active members nobody in the file matched."""
        self.flush()
        last_id = ""
        active = active_members(self.sponsor, self.eff)
        self.result.counts["active_in_ledger"] = int(self.conn.execute(
            sa.select(sa.func.count()).select_from(active.subquery())
        ).scalar_one())  # fmt: skip
        unseen = active.where(sa.text("NOT EXISTS (SELECT 1 FROM rc_seen s WHERE s.member_id = members.member_id)"))  # fmt: skip
        while True:
            rows = list(self.conn.execute(
                unseen.where(t.members.c.member_id > last_id)
                .order_by(t.members.c.member_id).limit(BATCH)
            ))  # fmt: skip
            if not rows:
                break
            last_id = rows[-1].member_id
            ids = [r.member_id for r in rows]
            last = last_recorded(self.conn, ids) if self.replace else {}
            for r in rows:
                action = "review"
                if self.replace:  # a rejected member in the file leaves the absent ones to review
                    action = self._replace_action(r.member_id, last.get(r.member_id),
                                                  review=bool(rejected_members))  # fmt: skip
                d = self.discrepancy("missing_in_file", [], member_id=r.member_id,
                                     sub=r.subscriber_number, rel=r.relationship, action=action)  # fmt: skip
                if action == "apply":
                    self.stage("terminate", r.member_id, None, d.ordinal)
                    self.result.counts["would_terminate"] += 1
        self.flush()

    # ---------------------------------------------------------------- guard and apply

    def guard(self) -> str:
        c = self.result.counts
        active = c["active_in_ledger"]
        if not self.replace or active == 0:
            return ""
        reasons = []
        if c["would_terminate"] > self.policy.max_termination_share * active:
            reasons.append(f"would terminate {c['would_terminate']} of {active} active members"
                           f" (limit {self.policy.max_termination_share:.0%})")  # fmt: skip
        if c["would_change"] > self.policy.max_change_share * active:
            reasons.append(f"would change {c['would_change']} of {active} active members"
                           f" (limit {self.policy.max_change_share:.0%})")  # fmt: skip
        return "; ".join(reasons)

    def apply(self, settings: LedgerSettings) -> None:
        """Apply the staged changes in file order through the ledger's rules."""
        uow = UnitOfWork(self.conn, self.recorded_at)
        outcome: list[tuple[str, str, str | None, int]] = []
        last = 0
        while True:
            rows = list(self.conn.execute(sa.text(
                "SELECT ordinal, kind, member_id, tx FROM rc_apply WHERE ordinal > :o "
                "ORDER BY ordinal LIMIT 500"), {"o": last}))  # fmt: skip
            if not rows:
                break
            last = rows[-1].ordinal
            for r in rows:
                outcome.append((self._apply_one(uow, r, settings), r.kind, r.member_id, r.ordinal))
        uow.finish()
        self._mark(outcome)

    def _apply_one(self, uow: UnitOfWork, r: Any, settings: LedgerSettings) -> str:
        if r.kind == "terminate":
            return self._terminate(uow, r.member_id)
        tx = decode_json(MemberTransaction, r.tx)
        outcome = Outcome.NEW_MEMBER if r.kind == "enrol" else Outcome.APPLY
        decision = Decision(outcome=outcome, transaction=tx, member_id=r.member_id,
                            decided_by=DECIDED_BY, model_version=self.model.version,
                            explanation=f"full file reconciliation run {self.run_id}")  # fmt: skip
        res = apply_in(uow, self.header, decision, received_at=self.received_at,
                       settings=settings)  # fmt: skip
        if r.kind == "change" and res.status in ("applied", "noop"):
            for line in self._lines_only_in_ledger(uow, r.member_id, tx):
                self._terminate(uow, r.member_id, line)
        self.result.counts["enrolled" if r.kind == "enrol" else "changed"] += int(
            res.status in ("new", "applied")
        )
        return "applied" if res.status in ("new", "applied", "noop") else "refused"

    def _lines_only_in_ledger(self, uow: UnitOfWork, mid: str, tx: MemberTransaction) -> list[str]:
        return lines_only_in_ledger(uow, mid, tx, self.eff)

    def _terminate(self, uow: UnitOfWork, mid: str, only_line: str | None = None) -> str:
        assert self.eff is not None
        done = terminate_member(uow, mid, self.eff, self.header.lineage, decided_by=DECIDED_BY,
                                note=f"absent from full file (run {self.run_id})",
                                only_line=only_line)  # fmt: skip
        if only_line is None and done:
            self.result.counts["terminated"] += 1
        return "applied" if done or only_line else "refused"

    def _mark(self, outcome: list[tuple[str, str, str | None, int]]) -> None:
        """Staged discrepancies become applied / refused (a member's rows together)."""
        d = rt.discrepancies
        base = d.update().where(d.c.run_id == self.run_id, d.c.action == "apply")
        for status in ("applied", "refused"):
            ords = [o for s, k, _, o in outcome if s == status and k == "enrol"]
            mids = [m for s, k, m, _ in outcome if s == status and k != "enrol" and m]
            for i in range(0, max(len(ords), len(mids)), 500):
                if ords[i : i + 500]:
                    self.conn.execute(base.where(d.c.ordinal.in_(ords[i : i + 500]))
                                      .values(action=status))  # fmt: skip
                if mids[i : i + 500]:
                    self.conn.execute(base.where(d.c.member_id.in_(mids[i : i + 500]))
                                      .values(action=status))  # fmt: skip

    def hold(self) -> None:
        """The guard tripped: every staged discrepancy is held for the supervisor."""
        d = rt.discrepancies
        self.conn.execute(d.update().where(d.c.run_id == self.run_id, d.c.action == "apply")
                          .values(action="held"))  # fmt: skip
        c = self.result.counts
        c["action_held"] = c.pop("action_apply", 0)

    def finish(self, status: str) -> Reconciliation:
        self.result.status = status
        rr = rt.reconciliation_runs
        self.conn.execute(rr.update().where(rr.c.id == self.run_id).values(
            status=status, counts=canonical_json(dict(self.result.counts)),
            guard=self.result.guard))  # fmt: skip
        self.conn.execute(sa.text("DELETE FROM rc_seen"))
        self.conn.execute(sa.text("DELETE FROM rc_apply"))
        self.result.counts = dict(sorted(self.result.counts.items()))
        return self.result


# ------------------------------------------------------------------ entry point


def reconcile_set(
    conn: Connection,
    header: TransactionSetHeader,
    members: Iterable[MemberTransaction],
    *,
    policy: FullFilePolicy | None = None,
    dry_run: bool = False,
    recorded_at: dt.datetime | None = None,
    actor: str = "system",
    source: str = "",
    settings: LedgerSettings | None = None,
    override_guard: bool = False,
    received_at: dt.datetime | None = None,
) -> Reconciliation:
    """Reconcile one full-file transaction set on `conn` (the caller commits or rolls back).

    `policy` defaults to the sender's stored policy. With `dry_run` nothing is
    applied (the caller rolls back; the result says what would happen).
    `override_guard` (a supervisor's decision, checked by the caller) applies
    a replace file the guard would hold. `recorded_at` (default now) is the
    record time of everything written; `received_at` dates review items. Members rejected by validation are
    counted, never compared.
    """
    from ledger.store import audit, get_policy, utcnow

    ln = header.lineage
    policy = policy or get_policy(conn, ln.sender_qualifier, ln.sender_id)
    if effective_date(header) is None:
        raise LedgerError(f"transaction set {ln.set_control}: full file without a BGN03 date")
    run = _Run(conn, header, policy, dry_run=dry_run, recorded_at=recorded_at or utcnow(),
               actor=actor, source=source)  # fmt: skip
    run.received_at = received_at or run.recorded_at
    rejected: list[int] = []
    batch: list[MemberTransaction] = []
    for tx in members:
        if tx.rejected:
            rejected.append(tx.lineage.member_ordinal or 0)
            continue
        if tx.maintenance_type not in (None, MaintenanceType.AUDIT):
            run.result.counts["not_audit_members"] += 1
        batch.append(tx)
        if len(batch) >= BATCH:
            run.batch(batch)
            batch = []
    if batch:
        run.batch(batch)
    run.result.counts["rejected_members"] = len(rejected)
    run.result.rejected_ordinals = tuple(rejected)
    run.absent(len(rejected))
    run.result.guard = run.guard()
    if not dry_run and not run.replace:  # verify: a person decides each member's differences
        sla = (settings or partner_settings(conn, ln.sender_qualifier, ln.sender_id))
        run.result.counts["work_items"] = queue_discrepancies(
            conn, run.run_id, header, received_at=run.received_at,
            sla_hours=sla.review_sla_hours, source=source, eff=run.eff)  # fmt: skip
    c = run.result.counts
    staged = c["would_terminate"] + c["would_change"] + c["would_enrol"]
    if dry_run:
        status = "dry_run"
    elif run.result.guard and not override_guard:
        run.hold()
        status = "held"
    elif run.replace and staged:
        run.apply(settings or LedgerSettings())
        status = "applied"
    else:
        status = "verified"
    result = run.finish(status)
    if not dry_run:
        audit(conn, actor, "reconcile.transaction_set",
              target=f"{result.sender_id}/{result.interchange_control}/{result.set_control}",
              details={"run_id": result.run_id, "status": status, "counts": result.counts,
                       "override_guard": bool(override_guard and result.guard)})  # fmt: skip
    return result


def iter_discrepancies(conn: Connection, run_id: int) -> Iterator[Discrepancy]:
    """The run's discrepancies in order, read in batches."""
    d = rt.discrepancies
    last = 0
    while True:
        rows = list(conn.execute(sa.select(d).where(d.c.run_id == run_id, d.c.ordinal > last)
                                 .order_by(d.c.ordinal).limit(BATCH)))  # fmt: skip
        if not rows:
            return
        last = rows[-1].ordinal
        for r in rows:
            yield Discrepancy(r.ordinal, r.kind, r.severity, r.member_id, r.subscriber_number,
                              r.relationship, r.insurance_line, tuple(json.loads(r.fields)),
                              r.action, r.member_ordinal, r.position, r.status)  # fmt: skip
