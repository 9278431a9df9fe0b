"""The pipeline edi -> decide -> ledger, one database transaction per transaction set.

`ingest_file` reads a file with `edi.reader.read`, groups member transactions
into families (a subscriber and the dependents after it with the same
REF*0F), asks `decide` (matching.route.decide_family by default) for one
decision per member, and applies them through `ledger.store.apply.apply_in`.

Exactly once: an interchange is keyed by sender qualifier + id, receiver
qualifier + id and ISA13, and remembers the file's SHA-256. The same key with
the same bytes is a duplicate (TA1 note 025; nothing changes); the same key
with other bytes is refused. The interchange row is written before its sets,
but only a transaction_sets row (written first inside the set's own
transaction) marks a set as done, so a run killed between sets resumes where
it stopped. A set the reader rejects is rolled back and only reported.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from edi.codes import BgnPurpose
from edi.findings import Finding
from edi.reader import file_sha256
from edi.records import (
    Event,
    InterchangeEnd,
    InterchangeHeader,
    InterchangeStart,
    MemberTransaction,
    SetEnd,
    SetStart,
    SetStatus,
    TransactionSetHeader,
)
from ledger.store import (
    Applied,
    LedgerError,
    LedgerSettings,
    UnitOfWork,
    active_model,
    apply_in,
    audit,
    crash_point,
    engine,
    next_control_number,
    partner_settings,
    upgrade,
    utcnow,
)
from ledger.store import schema as t
from matching.decisions import CobraAdministration, Decision, GroupPolicy, Outcome
from matching.route import hold_dependents

if TYPE_CHECKING:
    from ledger.settings import PartnerSettings

Decider = Callable[..., list[Decision]]
"""decide(header, family, *, candidates, group, received_at) -> one Decision per member."""

_STATUS_TO_COUNT = {
    "new": "new",
    "applied": "applied",
    "noop": "applied",
    "held": "review",
    "review": "review",
    "referred": "referred",
    "rejected": "rejected",
    "refused": "rejected",
}

_LEDGER_HOLDS = {"held": "held by the date window", "refused": "refused by the ledger"}
"""Apply statuses of a subscriber that hold its dependents' enrollments (fixed words)."""


@dataclass
class IngestSummary:
    """What an ingest did (no PHI); `summary_json()` and `summary_line()` are what
    `enroll834 ingest` prints."""

    files: int = 0
    transaction_sets: dict[str, int] = field(
        default_factory=lambda: {"accepted": 0, "rejected": 0, "duplicate": 0, "not_applied": 0}
    )
    members: dict[str, int] = field(
        default_factory=lambda: {"applied": 0, "new": 0, "review": 0, "referred": 0, "rejected": 0}
    )
    notes: list[str] = field(default_factory=list)
    ta1_notes: list[tuple[str, str]] = field(default_factory=list)
    """(ISA13, TA105 note code) for interchanges that need a TA1 (e.g. '025' duplicate)."""
    ta1_acks: list[str] = field(default_factory=list)
    """The TA1 interchanges themselves (edi.acks.ta1), control numbers from the database."""
    rejections: list[dict[str, Any]] = field(default_factory=list)
    """Rejected members: controls, ordinal, last 4 of REF*0F, reason, text, and `source`:
    'payer_rules' (matching rejected it) or 'validation' (the 999 rejected it)."""
    errors: list[str] = field(default_factory=list)
    """File-level errors (e.g. no X12 interchange found): '<file>: <fixed text>'."""
    acks: list[tuple[str, str]] = field(default_factory=list)
    """(file name, text) of the TA1/999/997 the verdict gave (`ingest_file`): what was
    recorded is exactly what these accept."""

    def merge(self, other: IngestSummary) -> None:
        self.files += other.files
        for k, v in other.transaction_sets.items():
            self.transaction_sets[k] = self.transaction_sets.get(k, 0) + v
        for k, v in other.members.items():
            self.members[k] += v
        self.notes.extend(other.notes)
        self.ta1_notes.extend(other.ta1_notes)
        self.ta1_acks.extend(other.ta1_acks)
        self.rejections.extend(other.rejections)
        self.errors.extend(other.errors)
        self.acks.extend(other.acks)

    @property
    def rejected(self) -> bool:
        """True when anything was rejected: a file, a transaction set or a member (exit 1)."""
        return bool(self.errors or self.transaction_sets["rejected"] or self.members["rejected"])

    def merge_test(self, other: IngestSummary) -> None:
        """Add what was recorded in a partner's test ledger: counted under test_* keys."""
        for k, v in other.transaction_sets.items():
            self.transaction_sets[f"test_{k}"] = self.transaction_sets.get(f"test_{k}", 0) + v
        self.notes.extend(f"test ledger: {n}" for n in other.notes)

    def summary_json(self) -> dict[str, Any]:
        """The `enroll834 ingest --json` object: counts, rejections and errors."""
        out = self.to_json()
        return {k: out[k] for k in ("files", "transaction_sets", "members", "rejections", "errors")}

    def summary_line(self) -> str:
        """The `enroll834 ingest` line: files, sets and members by outcome."""
        sets, mem = self.transaction_sets, self.members
        return (f"files {self.files}  sets " + " ".join(f"{k} {v}" for k, v in sets.items())
                + "  members " + " ".join(f"{k} {v}" for k, v in mem.items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "transaction_sets": dict(self.transaction_sets),
            "members": dict(self.members),
            "notes": list(self.notes),
            "ta1_notes": [{"interchange": i, "note": n} for i, n in self.ta1_notes],
            "rejections": [dict(r) for r in self.rejections],
            "errors": list(self.errors),
        }


def _default_decider(eng: Engine) -> Decider:
    """`decide_family` with the ledger's active match model, loaded once for the run
    (the prior, version 0, when none is active): every decision names its version."""
    try:
        from matching.route import MatchingSettings, decide_family
    except ImportError as exc:  # pragma: no cover - depends on the matching package
        raise LedgerError("matching.route.decide_family is not available") from exc
    with eng.connect() as conn:
        settings = MatchingSettings(model=active_model(conn))

    def decide(*args: Any, **kw: Any) -> list[Decision]:
        return decide_family(*args, settings=settings, **kw)

    return decide


def _engine(target: str | Engine) -> Engine:
    return target if isinstance(target, Engine) else engine(target)


def ingest_file(
    target: str | Engine,
    path: str | Path,
    *,
    decide: Decider | None = None,
    received_at: dt.datetime | None = None,
    actor: str = "system",
    settings: LedgerSettings | None = None,
    validator: Any = None,
    outbox: str | Path | None = None,
    partners: tuple[PartnerSettings, ...] = (),
    through: Callable[[Iterable[Event]], Iterable[Event]] | None = None,
    usage: str = "production",
    test_ledger: Callable[[InterchangeHeader], str | None] | None = None,
) -> IngestSummary:
    """Read `path` and record in the ledger at `target` (a URL or an Engine) what its
    acknowledgments accept (`ledger.verdicts`): the file is judged first, then read again
    and cut to the verdict; `summary.acks` holds the TA1/999/997 texts of that verdict.

    `usage` is the instance's ('production' records ISA15 P, 'test' records T);
    other interchanges are acknowledged and not applied, except that on
    production `test_ledger(header)` may name the database URL a partner's
    test interchanges are recorded in. With `outbox`, a full file the guard
    holds is kept under `outbox/held/` and its supervisor item points at the
    copy, so the desk can apply it later.
    `partners`
    (the configuration's [[partners]]) set each sender's windows and termination rule
    (see `ledger.store.groups.partner_settings`). `through`, when given, sees every event
    on its way from the reader to the ledger and may hold some back (the partner rules
    of `ledger.drops.events.Tap`).
    """
    from edi.reader import read
    from edi.validate import ack_files, with_acks
    from edi.verdict import judge_events, usage_applies
    from ledger.store import DbControlNumbers
    from ledger.verdicts import settle

    p = Path(path)
    sha = file_sha256(p)
    eng = _engine(target)
    if outbox is not None:
        from ledger.fullfile import keep_held_since, last_run_id

        with eng.connect() as conn:
            watermark = last_run_id(conn)
    # Streamed from the path, twice: memory does not grow with the file.
    report = judge_events(read(p, p.name, validator=validator, file_sha256=sha), p.name)
    report, refused, _kinds = settle(eng, report, sha, None, usage_applies(usage))
    summary = record_verdict(
        eng, p, report, refused, source=p.name, file_sha256=sha, usage=usage,
        test_ledger=test_ledger, validator=validator, decide=decide,
        received_at=received_at, actor=actor, settings=settings, partners=partners,
        wrap=through or _unchanged,
    )  # fmt: skip
    if outbox is not None:
        keep_held_since(eng, watermark, sha, outbox, p)
    acked = with_acks(report, DbControlNumbers.for_engine(eng), utcnow())
    summary.acks.extend(ack_files(acked))
    return summary


def _reading(data: Path | bytes, name: str, validator: Any, file_sha256: str) -> Iterable[Event]:
    """The events of `data`: a large file is read and validated in a second process."""
    from edi.reader import read
    from ledger.pipeline import read_events

    if isinstance(data, Path):
        return read_events(data, name, validator=validator, file_sha256=file_sha256)
    return read(data, name, validator=validator, file_sha256=file_sha256)


def _unchanged(events: Iterable[Event]) -> Iterable[Event]:
    return events


def record_verdict(
    eng: Engine,
    data: Path | bytes,
    report: Any,
    refused: frozenset[int],
    *,
    source: str,
    file_sha256: str,
    usage: str = "production",
    test_ledger: Callable[[InterchangeHeader], str | None] | None = None,
    validator: Any = None,
    wrap: Callable[[Iterable[Event]], Iterable[Event]] = lambda events: events,
    name: str | None = None,
    **kw: Any,
) -> IngestSummary:
    """The second reading of a judged file, recorded as its verdict `report` says.

    `edi.verdict.obey` cuts the events to what `report` accepts (interchanges
    in `refused` pass whole, for the registry to count); interchanges whose
    ISA15 is not the instance's `usage` are noted 'acknowledged, not applied'
    (counted `not_applied`), or, on production, recorded in the ledger
    `test_ledger(header)` names (counted under `test_*`). `wrap` sees the
    events on their way to `ingest_events` (drops: log context, progress);
    `name` is the file name the events carry (default `source`, the registry's
    name for the file); `kw` goes to `ingest_events`.
    """
    from edi.verdict import not_applied, obey, test_ledger_routes, usage_applies
    from ledger.verdicts import settle

    applies = usage_applies(usage)
    name = name or source
    events = obey(_reading(data, name, validator, file_sha256), report,
                  applies=applies, passthrough=refused)
    summary = ingest_events(eng, wrap(events), source=source, file_sha256=file_sha256, **kw)
    skipped, notes = not_applied(report, applies, usage, test_ledger)
    summary.transaction_sets["not_applied"] += skipped
    summary.notes.extend(notes)
    for url, routed in test_ledger_routes(report, applies, usage, test_ledger).items():
        upgrade(url)
        test_eng = _engine(url)
        test_report, test_refused, _ = settle(test_eng, report, file_sha256, None, routed)
        events = obey(_reading(data, name, validator, file_sha256),
                      test_report, applies=routed, passthrough=test_refused)
        summary.merge_test(ingest_events(test_eng, wrap(events), source=source,
                                         file_sha256=file_sha256, **kw))
    return summary


def ingest_events(
    target: str | Engine,
    events: Iterable[Event],
    *,
    source: str,
    file_sha256: str,
    decide: Decider | None = None,
    received_at: dt.datetime | None = None,
    actor: str = "system",
    settings: LedgerSettings | None = None,
    partners: tuple[PartnerSettings, ...] = (),
) -> IngestSummary:
    """Record a stream of edi events (what `edi.reader.read` yields) in the ledger.

    `settings` is the base policy; each sender's is `ledger.store.groups.partner_settings`
    over it (the configured `partners`, then partners loaded into the database).
    """
    eng = _engine(target)
    run = _Run(
        eng, source, file_sha256, decide or _default_decider(eng),
        received_at or utcnow(), actor, settings or LedgerSettings(),
    )  # fmt: skip
    run.partners = partners
    from ledger.fullfile import divert_full_sets  # full files are reconciled, not applied

    # Ingest allocates millions of short-lived, acyclic objects; the cyclic
    # collector's full passes over a large heap cost a third of bulk ingest.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for ev in divert_full_sets(
            run.eng,
            events,
            run.summary,
            received_at=run.received_at,
            actor=run.actor,
            settings=run.settings,
        ):
            run.feed(ev)
    finally:
        run.close()
        if gc_was_enabled:
            gc.enable()
    run.summary.files = 1
    return run.summary


@dataclass
class _Set:
    conn: Connection
    trans: Any
    uow: UnitOfWork
    header: TransactionSetHeader
    set_id: int
    group: GroupPolicy
    settings: LedgerSettings
    counts: dict[str, int] = field(default_factory=dict)
    family: list[MemberTransaction] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    rejected_subscriber: str | None = None
    """REF*0F of the last subscriber the validator rejected (its dependents are held)."""


class _Run:
    """State of one ingest: the current interchange mode and the open transaction set."""

    def __init__(
        self, eng: Engine, source: str, sha: str, decide: Decider,
        received_at: dt.datetime, actor: str, settings: LedgerSettings,
    ) -> None:  # fmt: skip
        self.eng, self.source, self.sha, self.decide = eng, source, sha, decide
        self.received_at, self.actor, self.settings = received_at, actor, settings
        self.summary = IngestSummary()
        self.mode = "none"
        self.interchange_id: int | None = None
        self.isa13 = ""
        self.open: _Set | None = None
        self.unopened_rejected = False
        """A set rejected before it opened (its interchange unregistered) awaits its SetEnd."""
        self.partners: tuple[PartnerSettings, ...] = ()

    # ---------------------------------------------------------------- events

    def feed(self, ev: Event) -> None:
        if isinstance(ev, MemberTransaction):
            self._member(ev)
        elif isinstance(ev, SetStart):
            self._set_start(ev.header)
        elif isinstance(ev, SetEnd):
            self._set_end(ev)
        elif isinstance(ev, InterchangeStart):
            self._interchange_start(ev)
        elif isinstance(ev, InterchangeEnd):
            self._interchange_end()
        elif isinstance(ev, Finding) and ev.rejects and ev.interchange_control is None:
            self.summary.errors.append(f"{self.source}: {ev.message}")

    def close(self) -> None:
        """Roll back a set left open (truncated input or an error)."""
        if self.open is not None:
            self.open.trans.rollback()
            self.open.conn.close()
            self.open = None

    # ---------------------------------------------------------------- interchange

    def _interchange_start(self, ev: InterchangeStart) -> None:
        h = ev.header
        self.isa13 = h.control_number
        ic = t.interchanges
        key = {
            "sender_qualifier": h.sender_qualifier.strip(),
            "sender_id": h.sender_id.strip(),
            "receiver_qualifier": h.receiver_qualifier.strip(),
            "receiver_id": h.receiver_id.strip(),
            "control_number": h.control_number.strip(),
        }
        where = sa.and_(*[ic.c[k] == v for k, v in key.items()])
        with self.eng.begin() as conn:
            row = conn.execute(sa.select(ic).where(where)).first()
            if row is None:
                self.interchange_id = conn.execute(
                    ic.insert().values(
                        **key, file_sha256=self.sha, source=self.source, first_seen_at=utcnow()
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
                self.mode = "process"
        if row is None:
            crash_point()
            return
        self.interchange_id = row.id
        where_txt = f"interchange {key['control_number']} from sender {key['sender_id']}"
        if row.file_sha256 != self.sha:
            self.mode = "refused"
            self.summary.notes.append(f"{where_txt}: already received with other content; refused")
            self._ta1(h, "025")
        elif row.completed_at is not None:
            self.mode = "duplicate"
            self.summary.notes.append(f"{where_txt}: duplicate of an interchange already recorded")
            self._ta1(h, "025")
        else:
            self.mode = "process"
            self.summary.notes.append(f"{where_txt}: resuming an interrupted run")

    def _ta1(self, header: InterchangeHeader, note: str) -> None:
        self.summary.ta1_notes.append((header.control_number, note))
        try:
            from edi.acks import ta1
        except ImportError:  # pragma: no cover - edi.acks ships with edi
            return
        with self.eng.begin() as conn:
            control = next_control_number(conn, "interchange")
        self.summary.ta1_acks.append(ta1(header, note, ack_control=str(control), now=utcnow()))

    def _interchange_end(self) -> None:
        if self.mode == "process" and self.interchange_id is not None:
            with self.eng.begin() as conn:
                conn.execute(
                    t.interchanges.update()
                    .where(t.interchanges.c.id == self.interchange_id)
                    .where(t.interchanges.c.completed_at.is_(None))
                    .values(completed_at=utcnow())
                )
            crash_point()
        self.mode = "none"

    def _audit_rejected(self, ev: SetEnd) -> None:
        """Nothing of a rejected set is kept but this record (the dashboard counts it)."""
        ln = ev.lineage
        with self.eng.begin() as conn:
            audit(conn, self.actor, "ingest.set_rejected", details={"members": ev.members},
                  target=f"{ln.sender_id}/{ln.interchange_control}/{ln.group_control}/"
                  f"{ln.set_control}")  # fmt: skip

    # ---------------------------------------------------------------- transaction set

    def _set_start(self, header: TransactionSetHeader) -> None:
        self.close()
        ln = header.lineage
        if self.mode == "duplicate":
            self.summary.transaction_sets["duplicate"] += 1
            return
        if self.mode != "process" or self.interchange_id is None:
            self.summary.transaction_sets["rejected"] += 1
            self.unopened_rejected = True  # its SetEnd leaves the dashboard's record
            return
        conn = self.eng.connect()
        trans = conn.begin()
        try:
            uow = UnitOfWork(conn, review_ids=False)  # nothing here reads an item's id
            ts = t.transaction_sets
            done = conn.execute(
                sa.select(ts.c.id).where(
                    ts.c.interchange_id == self.interchange_id,
                    ts.c.group_control == ln.group_control,
                    ts.c.set_control == ln.set_control,
                )
            ).first()
            if done is not None:
                trans.rollback()
                conn.close()
                self.summary.transaction_sets["duplicate"] += 1
                return
            set_id = conn.execute(
                ts.insert().values(
                    interchange_id=self.interchange_id,
                    group_control=ln.group_control,
                    set_control=ln.set_control,
                    status="in_progress",
                    purpose=header.purpose.value if header.purpose else "",
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        except sa.exc.IntegrityError:
            trans.rollback()
            conn.close()
            self.summary.transaction_sets["duplicate"] += 1
            return
        except BaseException:
            trans.rollback()
            conn.close()
            raise
        crash_point()
        group, settings = self._policy(conn, header)
        self.open = _Set(conn, trans, uow, header, int(set_id), group, settings)
        if header.purpose is BgnPurpose.RESUBMISSION:
            self.open.notes.append(
                f"transaction set {ln.set_control}: BGN01=15 (resubmission) processed as new data"
            )

    def _policy(
        self, conn: Connection, header: TransactionSetHeader
    ) -> tuple[GroupPolicy, LedgerSettings]:
        sponsor = header.sponsor.id if header.sponsor else ""
        row = conn.execute(sa.select(t.groups).where(t.groups.c.sponsor_id == sponsor)).first()
        try:
            cobra = (
                CobraAdministration(row.cobra_administration)
                if row
                else CobraAdministration.UNKNOWN
            )
        except ValueError:
            cobra = CobraAdministration.UNKNOWN
        group = GroupPolicy(sponsor, cobra, row.representative if row else None)
        ln = header.lineage
        return group, partner_settings(conn, ln.sender_qualifier, ln.sender_id, self.settings,
                                       configured=self.partners)

    def _member(self, tx: MemberTransaction) -> None:
        st = self.open
        if st is None:
            return
        if tx.rejected:
            st.counts["rejected"] = st.counts.get("rejected", 0) + 1
            st.rejections.append(_validation_rejection(tx))
            if tx.subscriber:
                self._family(st)
                st.rejected_subscriber = tx.subscriber_number
            return
        if st.family and (tx.subscriber or tx.subscriber_number != st.family[0].subscriber_number):
            self._family(st)
        if tx.subscriber:
            st.rejected_subscriber = None
        st.family.append(tx)

    def _family(self, st: _Set) -> None:
        family, st.family = st.family, []
        if not family:
            return
        decisions = self.decide(
            st.header, family, candidates=st.uow, group=st.group, received_at=self.received_at
        )
        number = family[0].subscriber_number
        if not family[0].subscriber and number and number == st.rejected_subscriber:
            # the family hold also covers a subscriber the validator rejected
            decisions = hold_dependents(decisions, held_by="rejected by validation",
                                        subscriber_number=number, due=None)  # fmt: skip
        subscriber_mid: str | None = None
        for i in range(len(decisions)):
            decision = decisions[i]
            res: Applied = apply_in(
                st.uow, st.header, decision, received_at=self.received_at, settings=st.settings,
                subscriber_member_id=subscriber_mid, transaction_set_id=st.set_id,
            )  # fmt: skip
            if decision.transaction.subscriber and res.member_id:
                subscriber_mid = res.member_id
            if decision.transaction.subscriber and res.status in _LEDGER_HOLDS:
                # a subscriber the ledger holds (date window) or refuses holds its family too
                decisions[i + 1 :] = hold_dependents(
                    decisions[i + 1 :], held_by=_LEDGER_HOLDS[res.status],
                    subscriber_number=decision.transaction.subscriber_number, due=None,
                )  # fmt: skip
            key = _STATUS_TO_COUNT[res.status]
            st.counts[key] = st.counts.get(key, 0) + 1
            ordinal = decision.transaction.lineage.member_ordinal
            if res.status == "rejected" and decision.outcome is Outcome.REJECT:
                st.rejections.append(_rejection(decision))
            st.notes.extend(
                f"set {st.header.lineage.set_control} member {ordinal}: {n}" for n in res.notes
            )
        crash_point()

    def _set_end(self, ev: SetEnd) -> None:
        st = self.open
        if st is None:
            if self.unopened_rejected:
                self.unopened_rejected = False
                self._audit_rejected(ev)
            return
        try:
            if ev.status is SetStatus.REJECTED:
                self.close()
                self._audit_rejected(ev)
                self.summary.transaction_sets["rejected"] += 1
                self.summary.notes.append(
                    f"transaction set {ev.lineage.set_control}: rejected; nothing recorded"
                )
                return
            self._family(st)
            ln = st.header.lineage
            st.conn.execute(
                t.transaction_sets.update().where(t.transaction_sets.c.id == st.set_id)
                .values(status=ev.status.value, members=ev.members, applied_at=utcnow())
            )  # fmt: skip
            st.uow.finish()
            audit(
                st.conn, self.actor, "ingest.transaction_set",
                target=f"{ln.sender_id}/{ln.interchange_control}/{ln.group_control}/{ln.set_control}",
                details={"status": ev.status.value, "members": st.counts, "entries": st.uow.entries_written},
            )  # fmt: skip
            crash_point()
            st.trans.commit()
        except BaseException:
            self.close()
            raise
        st.conn.close()
        self.open = None
        crash_point()
        self.summary.transaction_sets["accepted"] += 1
        for k, v in st.counts.items():
            self.summary.members[k] += v
        self.summary.notes.extend(st.notes)
        self.summary.rejections.extend(st.rejections)


def _rejection(decision: Decision) -> dict[str, Any]:
    """A matching REJECT for the sender: controls, ordinal, last 4 of REF*0F, reason, text."""
    ln = decision.transaction.lineage
    return {
        "interchange_control": ln.interchange_control, "group_control": ln.group_control,
        "set_control": ln.set_control, "member_ordinal": ln.member_ordinal,
        "subscriber_number_last4": decision.transaction.subscriber_number[-4:],
        "reason": decision.reason.value if decision.reason else None,
        "explanation": decision.explanation, "source": "payer_rules",
    }  # fmt: skip


def _validation_rejection(tx: MemberTransaction) -> dict[str, Any]:
    """A member the validator rejected, as `_rejection` says it: the first error's rule and
    acknowledgment code and its fixed text (never an element value)."""
    ln = tx.lineage
    first = next((f for f in tx.findings if f.rejects), None)
    where = f" (segment {first.segment_position})" if first and first.segment_position else ""
    return {
        "interchange_control": ln.interchange_control, "group_control": ln.group_control,
        "set_control": ln.set_control, "member_ordinal": ln.member_ordinal,
        "subscriber_number_last4": tx.subscriber_number[-4:],
        "reason": first.code if first else "validation",
        "explanation": (f"{first.message}{where}; see the 999" if first
                        else "rejected by validation; see the 999"),
        "source": "validation",
    }  # fmt: skip


def summary_json(summary: IngestSummary) -> str:
    """The summary as one line of JSON."""
    return json.dumps(summary.to_json(), sort_keys=True)
