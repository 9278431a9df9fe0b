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
from collections.abc import Iterable, Iterator
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
    """What `reconcile_file` did: one Reconciliation per full-file set, notes, report paths."""

    source: str
    runs: list[Reconciliation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "runs": [r.to_json() for r in self.runs],
                "notes": list(self.notes), "reports": list(self.reports)}  # fmt: skip


_END = object()


def _opens_full_set(header: Any, events: Iterator[Any]) -> tuple[bool, Iterator[Any]]:
    """Whether the set `header` opens is a full file (BGN08 4/RX, or a first member with
    INS03=030), and `events` unchanged (the member looked at is put back)."""
    first = next(events, None)
    rest = chain([first], events) if first is not None else events
    full = is_full_file(header) or (
        isinstance(first, MemberTransaction) and first.maintenance_type is MaintenanceType.AUDIT
    )
    return full, rest


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
) -> FileReconciliation:
    """Reconcile every full-file transaction set of the 834 at `path` against `target`.

    A set is a full file when BGN08 is 4/RX or its first member has INS03=030;
    other sets are noted and skipped. Each set is one database transaction
    (rolled back for `dry_run`, or when the reader rejects the set). With
    `outbox`, the operations and sender reports (text and JSON) are written
    there for each set, and a set the guard holds is kept as a copy under
    `outbox/held/` that its review item points at (`keep_held_copy`).
    """
    from pathlib import Path

    from edi.findings import Finding
    from edi.reader import file_sha256, read
    from edi.records import SetStart, SetStatus
    from ledger.fullfile.report import write_reports
    from ledger.store import engine

    eng = target if isinstance(target, Engine) else engine(str(target))
    p = Path(path)
    # Streamed from the path: memory does not grow with the file.
    sha = file_sha256(p)
    events = iter(read(p, p.name, validator=validator, file_sha256=sha))
    out = FileReconciliation(p.name)
    while (ev := next(events, _END)) is not _END:
        if isinstance(ev, Finding) and ev.rejects and ev.interchange_control is None:
            out.notes.append(f"{ev.message}; rejected")  # e.g. no X12 interchange at all
            continue
        if not isinstance(ev, SetStart):
            continue
        header = ev.header
        full, events = _opens_full_set(header, events)
        st = header.lineage.set_control
        if not full:
            out.notes.append(
                f"transaction set {st}: not a full file (BGN08 2, no INS03 030); skipped"
            )
            continue
        end: list[Any] = []
        with eng.connect() as conn:
            trans = conn.begin()
            try:
                rec = reconcile_set(
                    conn, header, set_members(events, end), policy=policy, dry_run=dry_run,
                    recorded_at=recorded_at, actor=actor, source=p.name,
                    override_guard=override_guard,
                )  # fmt: skip
                if end and end[0].status is SetStatus.REJECTED:
                    trans.rollback()
                    out.notes.append(
                        f"transaction set {st}: rejected by validation; not reconciled"
                    )
                    continue
                if rec.status == "held":
                    copy = None
                    if outbox is not None and not dry_run:
                        try:
                            copy = keep_held_copy(p, Path(outbox), sha)
                        except OSError as exc:
                            raise _cannot_keep(p, exc) from None
                    hold_for_supervisor(conn, rec, header, source=p.name, policy=policy,
                                        received_at=recorded_at, held_file=copy,
                                        outbox=outbox)  # fmt: skip
                elif override_guard and not dry_run:
                    settle_held(conn, header, actor=actor)
                if outbox is not None:
                    out.reports.extend(
                        str(x) for x in write_reports(conn, rec, Path(outbox), p.name)
                    )
                if dry_run:
                    trans.rollback()
                else:
                    trans.commit()
            except BaseException:
                if trans.is_active:
                    trans.rollback()
                raise
        out.runs.append(rec)
        if rec.guard:
            out.notes.append(f"transaction set {st}: guard: {rec.guard}")
    return out


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
    set already in `transaction_sets`, or from an interchange ingest treats
    as duplicate or refused, is passed on so ingest reports it as usual.
    """
    from edi.records import InterchangeStart, SetStart

    events = iter(events)
    isa: Any = None
    while (ev := next(events, _END)) is not _END:
        if isinstance(ev, InterchangeStart):
            isa = ev.header
        if not isinstance(ev, SetStart) or isa is None:
            yield ev
            continue
        full, rest = _opens_full_set(ev.header, events)
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
