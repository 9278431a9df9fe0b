"""Full files at the edges: partner policies, reconciling a file, and routing from ingest.

- Policies: `[[partners]]` entries of the groups/partners TOML may carry
  `full_file_policy` ('verify' default | 'replace'), `max_termination_share`
  (0.10) and `max_change_share` (0.25); `groups load` stores them in
  `full_file_policies` (`load_policy_file`), `get_policy` reads them.
- `reconcile_file(url, path)`: every full-file set of a file, one database
  transaction each (rolled back for a dry run), reports into an outbox.
- `divert_full_sets(...)`: the hook `ledger.ingest` streams events through;
  full-file sets are reconciled here (registered in `transaction_sets` in the
  same transaction, so they are processed exactly once) and change sets pass on.
- A set the guard holds becomes a supervisor item with a kept copy of the file
  (`ledger.fullfile.held`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from edi.codes import MaintenanceType
from edi.records import MemberTransaction
from ledger.fullfile.held import hold_for_supervisor, keep_held_copy, record_held_copy, settle_held
from ledger.fullfile.reconcile import Reconciliation, is_full_file, reconcile_set
from ledger.fullfile.runs import load_run, set_members
from ledger.store import FullFilePolicy, LedgerError
from ledger.store import reconcile_tables as rt

# ------------------------------------------------------------------ files


@dataclass
class FileReconciliation:
    """What `reconcile_file` did: one Reconciliation per full-file set, notes, report paths,
    and the acknowledgments of the verdict it obeyed.

    `transaction_sets` counts the file's sets: `reconciled`, `skipped` (not a full file),
    `rejected` (the 999 or TA1 rejects it: nothing recorded) and `not_applied` (an
    interchange of the other usage: acknowledged, not applied); a partner's test ledger's
    are counted under `test_*` and its runs are `test_runs`.
    """

    source: str
    runs: list[Reconciliation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    transaction_sets: dict[str, int] = field(default_factory=lambda: {
        "reconciled": 0, "skipped": 0, "rejected": 0, "not_applied": 0})  # fmt: skip
    errors: list[str] = field(default_factory=list)
    """File-level errors (e.g. no X12 interchange found): fixed texts, no values."""
    acks: list[tuple[str, str]] = field(default_factory=list)
    """(file name, text) of the TA1/999/997 of the verdict: what was reconciled is exactly
    what these accept (written into the outbox unless it is a dry run)."""
    test_runs: list[Reconciliation] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        """True when anything was rejected: the file, a set or a member (exit 1)."""
        return bool(self.errors or self.transaction_sets["rejected"]
                    or any(r.counts.get("rejected_members") for r in self.runs))

    @property
    def held(self) -> bool:
        """True when the guard held a set (exit 1: a supervisor decides)."""
        return any(r.status == "held" for r in self.runs)

    def merge_test(self, other: FileReconciliation) -> None:
        """Add what was reconciled in a partner's test ledger, under test_* counts."""
        for k, v in other.transaction_sets.items():
            self.transaction_sets[f"test_{k}"] = self.transaction_sets.get(f"test_{k}", 0) + v
        self.test_runs.extend(other.runs)
        self.notes.extend(f"test ledger: {n}" for n in other.notes)
        self.reports.extend(other.reports)

    def run_lines(self) -> list[str]:
        """`reconcile`'s line per set: semantics, status, member counts, discrepancies."""
        out = []
        for run in self.runs:
            c = run.counts
            out.append(f"{self.source} ST {run.set_control} sponsor {run.sponsor_id} "
                       f"{run.semantics} {run.status}  members {c.get('file_members', 0)} "
                       f"confirmed {c.get('confirmed_members', 0)}  missing_in_ledger "
                       f"{c.get('missing_in_ledger', 0)} missing_in_file "
                       f"{c.get('missing_in_file', 0)} field_mismatch "
                       f"{c.get('field_mismatch', 0)}  discrepancies "
                       f"{run.to_json()['discrepancies']}")  # fmt: skip
        return out

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "runs": [r.to_json() for r in self.runs],
                "transaction_sets": dict(self.transaction_sets), "errors": list(self.errors),
                "notes": list(self.notes), "reports": list(self.reports),
                "acknowledgments": [name for name, _ in self.acks],
                "test_runs": [r.to_json() for r in self.test_runs]}  # fmt: skip


_END = object()


def _peek(events: Iterator[Any]) -> tuple[Any, Iterator[Any]]:
    """The next event of `events` (None at the end) and `events` unchanged (it is put back)."""
    first = next(events, None)
    return first, (chain([first], events) if first is not None else events)


def _is_full(header: Any, first: Any) -> bool:
    """Whether the set `header` opens is a full file: BGN08 4/RX, or its first member
    (`first`, the event after the SetStart) carries INS03=030."""
    return is_full_file(header) or (
        isinstance(first, MemberTransaction) and first.maintenance_type is MaintenanceType.AUDIT
    )


def _rejected_set(first: Any) -> bool:
    """Whether the event after a SetStart is the SetEnd of a set the verdict rejected (what
    `edi.verdict.obey` leaves of one: no members)."""
    from edi.records import SetEnd, SetStatus

    return isinstance(first, SetEnd) and first.status is SetStatus.REJECTED


def reconcile_file(
    target: Any,
    path: Any,
    *,
    dry_run: bool = False,
    outbox: Any = None,
    actor: str = "system",
    policy: FullFilePolicy | None = None,
    override_guard: bool = False,
    recorded_at: dt.datetime | None = None,
    validator: Any = None,
    usage: str = "production",
    test_ledger: Callable[[Any], str | None] | None = None,
) -> FileReconciliation:
    """Reconcile every full-file transaction set of the 834 at `path` that its
    acknowledgments accept against `target`.

    The file is judged first (`edi.verdict.judge_events`, the one verdict its
    TA1/999/997 are written from, `validator` the implementation-guide
    validator) and read again cut to that verdict (`edi.verdict.obey`):
    nothing of a rejected interchange, group or set is reconciled, members the
    999 rejects are counted and never compared, and an interchange whose ISA15
    is not the instance's `usage` is acknowledged and not applied (on
    production, a partner's test interchanges go to the ledger
    `test_ledger(header)` names, if any). A set is a full file when BGN08 is
    4/RX or its first member has INS03=030; other accepted sets are noted and
    skipped. Each set is one database transaction (rolled back for
    `dry_run`). With `outbox`, the operations and sender reports (text and
    JSON) are written there for each set, the acknowledgments too (not for a
    dry run: their control numbers come from the ledger), and a set the guard
    holds is kept as a copy under `outbox/held/` that its review item points
    at (`keep_held_copy`).
    """
    from pathlib import Path

    from edi.control import MemoryControlNumbers
    from edi.reader import file_sha256, read
    from edi.validate import ack_files, with_acks, write_acks
    from edi.verdict import judge_events, not_applied, obey, test_ledger_routes, usage_applies
    from ledger.store import DbControlNumbers, engine, upgrade, utcnow

    eng = target if isinstance(target, Engine) else engine(str(target))
    p = Path(path)
    # Streamed from the path, twice: memory does not grow with the file.
    sha = file_sha256(p)
    report = judge_events(read(p, p.name, validator=validator, file_sha256=sha), p.name)
    applies = usage_applies(usage)
    job = _FileJob(p, sha, dry_run=dry_run, outbox=outbox, actor=actor, policy=policy,
                   override_guard=override_guard, recorded_at=recorded_at)  # fmt: skip
    out = FileReconciliation(p.name)
    job.run(eng, obey(read(p, p.name, validator=validator, file_sha256=sha), report,
                      applies=applies), out)  # fmt: skip
    skipped, notes = not_applied(report, applies, usage, test_ledger)
    out.transaction_sets["not_applied"] += skipped
    out.notes.extend(notes)
    for url, routed in test_ledger_routes(report, applies, usage, test_ledger).items():
        upgrade(url)
        test = FileReconciliation(p.name)
        job.run(engine(url), obey(read(p, p.name, validator=validator, file_sha256=sha), report,
                                  applies=routed), test)  # fmt: skip
        out.merge_test(test)
    control = MemoryControlNumbers() if dry_run else DbControlNumbers.for_engine(eng)
    acked = with_acks(report, control, utcnow())
    out.acks = ack_files(acked)
    if outbox is not None and not dry_run:
        try:
            write_acks(acked, Path(outbox))
        except OSError as exc:
            raise LedgerError(f"{p.name}: cannot write the acknowledgments "
                              f"({type(exc).__name__})") from None
    return out


@dataclass(frozen=True)
class _FileJob:
    """One `reconcile_file` call's options, run over a ledger's share of the file's events."""

    path: Any
    sha: str
    dry_run: bool
    outbox: Any
    actor: str
    policy: FullFilePolicy | None
    override_guard: bool
    recorded_at: dt.datetime | None

    def run(self, eng: Engine, events: Iterable[Any], out: FileReconciliation) -> None:
        """Reconcile the full-file sets of `events` (a reading cut to the verdict) into `out`."""
        from edi.findings import Finding
        from edi.records import SetStart

        events = iter(events)
        while (ev := next(events, _END)) is not _END:
            if isinstance(ev, Finding) and ev.rejects and ev.interchange_control is None:
                out.errors.append(f"{self.path.name}: {ev.message}")
                out.notes.append(f"{ev.message}; rejected")  # e.g. no X12 interchange at all
                continue
            if not isinstance(ev, SetStart):
                continue
            header = ev.header
            st = header.lineage.set_control
            first, events = _peek(events)
            if _rejected_set(first):
                out.transaction_sets["rejected"] += 1
                out.notes.append(f"transaction set {st}: rejected by its acknowledgment; "
                                 "nothing recorded")  # fmt: skip
                continue
            if not _is_full(header, first):
                out.transaction_sets["skipped"] += 1
                out.notes.append(
                    f"transaction set {st}: not a full file (BGN08 2, no INS03 030); skipped"
                )
                continue
            rec = self._set(eng, header, events, out.reports)
            out.transaction_sets["reconciled"] += 1
            out.runs.append(rec)
            if rec.guard:
                out.notes.append(f"transaction set {st}: guard: {rec.guard}")

    def _set(self, eng: Engine, header: Any, events: Iterator[Any],
             reports: list[str]) -> Reconciliation:
        """One full-file set in one database transaction (rolled back for a dry run); the
        paths of its reports are added to `reports`."""
        from pathlib import Path

        from ledger.fullfile.report import write_reports

        p = self.path
        with eng.connect() as conn:
            trans = conn.begin()
            try:
                rec = reconcile_set(
                    conn, header, set_members(events, []), policy=self.policy,
                    dry_run=self.dry_run, recorded_at=self.recorded_at, actor=self.actor,
                    source=p.name, override_guard=self.override_guard,
                )  # fmt: skip
                if rec.status == "held":
                    copy = None
                    if self.outbox is not None and not self.dry_run:
                        try:
                            copy = keep_held_copy(p, Path(self.outbox), self.sha)
                        except OSError as exc:
                            raise _cannot_keep(p, exc) from None
                    hold_for_supervisor(conn, rec, header, source=p.name, policy=self.policy,
                                        received_at=self.recorded_at, held_file=copy,
                                        outbox=self.outbox)  # fmt: skip
                elif self.override_guard and not self.dry_run:
                    settle_held(conn, header, actor=self.actor)
                if self.outbox is not None:
                    reports.extend(
                        str(x) for x in write_reports(conn, rec, Path(self.outbox), p.name)
                    )
                if self.dry_run:
                    trans.rollback()
                else:
                    trans.commit()
            except BaseException:
                if trans.is_active:
                    trans.rollback()
                raise
        return rec


# ------------------------------------------------------------------ ingest routing


def divert_full_sets(
    eng: Engine,
    events: Iterable[Any],
    summary: Any,
    *,
    received_at: dt.datetime,
    actor: str = "system",
    settings: Any = None,
) -> Iterator[Any]:
    """Pass change sets on to ingest; reconcile full-file sets here by the partner's policy.

    `summary` is ingest's `IngestSummary` (sets counted accepted / rejected,
    applied changes as members applied / new, one note per set). A full-file
    set already in `transaction_sets`, from an interchange ingest treats as
    duplicate or refused, or rejected by its acknowledgment (a SetEnd with no
    members: `edi.verdict.obey`) is passed on so ingest reports it as usual.
    """
    from edi.records import InterchangeEnd, InterchangeStart, SetStart

    events = iter(events)
    isa: Any = None
    while (ev := next(events, _END)) is not _END:
        if isinstance(ev, InterchangeStart | InterchangeEnd):
            isa = ev.header if isinstance(ev, InterchangeStart) else None
        if not isinstance(ev, SetStart) or isa is None:
            yield ev
            continue
        first, rest = _peek(events)
        full = _is_full(ev.header, first) and not _rejected_set(first)
        set_id = _register(eng, isa, ev.header) if full else None
        if set_id is None:
            events = rest
            yield ev
            continue
        events = _reconcile_registered(eng, set_id, ev.header, rest, summary,
                                       received_at=received_at, actor=actor, settings=settings)  # fmt: skip


def _register(eng: Engine, isa: Any, header: Any) -> int | None:
    """The interchange row ingest wrote, when this set is new for it; else None."""
    from ledger.store import schema as t

    ic, ts = t.interchanges, t.transaction_sets
    ln = header.lineage
    key = {"sender_qualifier": isa.sender_qualifier.strip(), "sender_id": isa.sender_id.strip(),
           "receiver_qualifier": isa.receiver_qualifier.strip(),
           "receiver_id": isa.receiver_id.strip(), "control_number": isa.control_number.strip()}  # fmt: skip
    with eng.connect() as conn:
        row = conn.execute(sa.select(ic).where(*[ic.c[k] == v for k, v in key.items()])).first()
        if row is None or row.completed_at is not None or row.file_sha256 != ln.file_sha256:
            return None
        done = conn.execute(sa.select(ts.c.id).where(
            ts.c.interchange_id == row.id, ts.c.group_control == ln.group_control,
            ts.c.set_control == ln.set_control)).first()  # fmt: skip
    return None if done is not None else int(row.id)


def _reconcile_registered(
    eng: Engine, interchange_id: int, header: Any, rest: Iterator[Any], summary: Any, *,
    received_at: dt.datetime, actor: str, settings: Any,
) -> Iterator[Any]:  # fmt: skip
    """Reconcile one set (registry row first, one transaction); returns the remaining events."""
    from edi.records import SetStatus
    from ledger.store import schema as t
    from ledger.store import utcnow

    ln = header.lineage
    end: list[Any] = []
    with eng.connect() as conn:
        trans = conn.begin()
        try:
            ts = t.transaction_sets
            key = conn.execute(ts.insert().values(
                interchange_id=interchange_id, group_control=ln.group_control,
                set_control=ln.set_control, status="in_progress",
                purpose=header.purpose.value if header.purpose else "",
            )).inserted_primary_key  # fmt: skip
            set_id = key[0] if key else None
            rec = reconcile_set(conn, header, set_members(rest, end), received_at=received_at,
                                actor=actor, source=ln.source, settings=settings)  # fmt: skip
            if end and end[0].status is SetStatus.REJECTED:
                trans.rollback()
                summary.transaction_sets["rejected"] += 1
                summary.notes.append(
                    f"transaction set {ln.set_control}: rejected; nothing recorded"
                )
                return rest
            if rec.status == "held":
                hold_for_supervisor(conn, rec, header, source=ln.source, received_at=received_at)
            conn.execute(ts.update().where(ts.c.id == set_id).values(
                status=end[0].status.value if end else "accepted",
                members=rec.counts.get("file_members", 0), applied_at=utcnow()))  # fmt: skip
            trans.commit()
        except BaseException:
            if trans.is_active:
                trans.rollback()
            raise
    summary.transaction_sets["accepted"] += 1
    summary.members["applied"] += rec.counts.get("changed", 0)
    summary.members["new"] += rec.counts.get("enrolled", 0)
    summary.notes.append(_note(rec))
    return rest


def _note(rec: Reconciliation) -> str:
    c = rec.counts
    text = (f"transaction set {rec.set_control}: full file ({rec.semantics}) {rec.status}, run "
            f"{rec.run_id}: {c.get('file_members', 0)} members, {c.get('confirmed_members', 0)} "
            f"confirmed, {c.get('missing_in_ledger', 0)} missing in ledger, "
            f"{c.get('missing_in_file', 0)} missing in file, {c.get('field_mismatch', 0)} "
            f"field mismatches")  # fmt: skip
    return text + (f"; guard: {rec.guard}" if rec.guard else "")


# ------------------------------------------------------------------ reports after ingest


def write_reports_since(
    target: Any, after_run_id: int, file_sha256: str, outbox: Any, source: str,
    *, path: Any = None,
) -> list[str]:  # fmt: skip
    """Write the reconciliation reports of every run of the file `file_sha256` recorded
    after run `after_run_id` (what one ingest of it reconciled) into `outbox`.

    `drops run` calls it after ingest so full files reach the outbox like the 999:
    `<source>.<ISA13>.<ST02>.recon-{ops,sender}.{txt,json}`. With `path` (the file
    itself), a run the guard held gets its copy kept under `outbox/held/` and its
    review item points at it, so a supervisor can apply it later from the desk.
    Returns the file names.
    """
    from pathlib import Path

    from ledger.fullfile.report import write_reports
    from ledger.store import engine

    eng = target if isinstance(target, Engine) else engine(str(target))
    rr = rt.reconciliation_runs
    names: list[str] = []
    held: list[int] = []
    with eng.connect() as conn:
        ids = _runs_of_file_since(conn, after_run_id, file_sha256, rr.c.status != "dry_run")
        for run_id in ids:
            rec = load_run(conn, int(run_id))
            names.extend(p.name for p in write_reports(conn, rec, Path(outbox), source))
            if rec.status == "held":
                held.append(rec.run_id)
    if held and path is not None:
        keep_held_runs(eng, held, file_sha256, outbox, path)
    return names


def keep_held_since(eng: Engine, after_run_id: int, file_sha256: str, outbox: Any, path: Any) -> list[int]:
    """Keep the file at `path` under `outbox/held/` if the guard held a run of it (SHA-256
    `file_sha256`) recorded after run `after_run_id`; the ids of the items pointed at it.

    `ingest --outbox` calls it so a supervisor can apply the held file from the desk.
    LedgerError when the copy cannot be written (the ingest itself stays recorded).
    """
    from pathlib import Path

    rr = rt.reconciliation_runs
    with eng.connect() as conn:
        held = _runs_of_file_since(conn, after_run_id, file_sha256, rr.c.status == "held")
    if not held:
        return []
    try:
        return keep_held_runs(eng, held, file_sha256, outbox, path)
    except OSError as exc:
        raise _cannot_keep(Path(path), exc) from None


def _cannot_keep(path: Any, exc: OSError) -> LedgerError:
    """The located, PHI-free error for a held copy that could not be written."""
    return LedgerError(f"{path.name}: cannot keep the held file ({type(exc).__name__})")


def _runs_of_file_since(conn: Connection, after_run_id: int, file_sha256: str,
                        status: Any) -> list[int]:  # fmt: skip
    """Ids of the runs of file `file_sha256` after run `after_run_id` matching `status`, in order."""
    rr = rt.reconciliation_runs
    return [int(i) for i in conn.execute(sa.select(rr.c.id).where(
        rr.c.id > after_run_id, rr.c.file_sha256 == file_sha256, status,
    ).order_by(rr.c.id)).scalars()]  # fmt: skip


def keep_held_runs(eng: Engine, run_ids: list[int], file_sha256: str, outbox: Any, path: Any) -> list[int]:
    """Copy the file at `path` under `outbox/held/` and point the items of `run_ids` at it."""
    from pathlib import Path

    copy = keep_held_copy(Path(path), Path(outbox), file_sha256)
    with eng.begin() as conn:
        return record_held_copy(conn, run_ids, copy, Path(outbox))
