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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from edi.codes import MaintenanceType
from edi.records import MemberTransaction
from ledger import reconcile_tables as rt
from ledger.db import LedgerError
from ledger.reconcile import FullFilePolicy, Reconciliation, is_full_file, reconcile_set

# ------------------------------------------------------------------ policy storage


def get_policy(conn: Connection, sender_qualifier: str, sender_id: str) -> FullFilePolicy:
    """The partner's full-file policy, or the safe default (verify, 10 %, 25 %)."""
    p = rt.full_file_policies
    row = conn.execute(
        sa.select(p).where(p.c.sender_qualifier == sender_qualifier.strip(),
                           p.c.sender_id == sender_id.strip())
    ).first()  # fmt: skip
    if row is None:
        return FullFilePolicy()
    return FullFilePolicy(row.policy, row.max_termination_share, row.max_change_share)


def set_policy(conn: Connection, spec: dict[str, Any], *, user: str) -> FullFilePolicy | None:
    """Store the full-file keys of one `[[partners]]` TOML table; None when it has none.

    Keys: full_file_policy (verify | replace), max_termination_share,
    max_change_share. Audited as 'partner.full_file_policy'.
    """
    from ledger.auth import audit
    from ledger.db import utcnow

    keys = ("full_file_policy", "max_termination_share", "max_change_share")
    if not any(k in spec for k in keys):
        return None
    try:
        qual, sender = str(spec["sender_qualifier"]).strip(), str(spec["sender_id"]).strip()
        default = FullFilePolicy()
        policy = FullFilePolicy(
            str(spec.get("full_file_policy", default.policy)),
            float(spec.get("max_termination_share", default.max_termination_share)),
            float(spec.get("max_change_share", default.max_change_share)),
        )
    except KeyError as exc:
        raise LedgerError(f"partner without {exc.args[0]}") from None
    except (TypeError, ValueError):
        raise LedgerError("full-file guard shares must be numbers") from None
    p = rt.full_file_policies
    values = {
        "policy": policy.policy, "max_termination_share": policy.max_termination_share,
        "max_change_share": policy.max_change_share, "updated_at": utcnow(), "updated_by": user,
    }  # fmt: skip
    where = sa.and_(p.c.sender_qualifier == qual, p.c.sender_id == sender)
    if conn.execute(sa.select(p.c.sender_id).where(where)).first():
        conn.execute(p.update().where(where).values(**values))
    else:
        conn.execute(p.insert().values(sender_qualifier=qual, sender_id=sender, **values))
    audit(conn, user, "partner.full_file_policy", target=f"{qual}/{sender}",
          details={"policy": policy.policy})  # fmt: skip
    return policy


def load_policies(conn: Connection, doc: dict[str, Any], *, user: str) -> int:
    """Store the full-file policy of every `[[partners]]` entry of a parsed TOML document."""
    return sum(set_policy(conn, p, user=user) is not None for p in doc.get("partners", []))


def load_policy_file(conn: Connection, path: Any, *, user: str) -> int:
    """`load_policies` for the groups/partners TOML file at `path` (`groups load` calls it)."""
    import tomllib
    from pathlib import Path

    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LedgerError(f"{p.name}: cannot read TOML ({type(exc).__name__})") from None
    return load_policies(conn, doc, user=user)


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


def _set_members(events: Iterator[Any], end: list[Any]) -> Iterator[MemberTransaction]:
    from edi.records import SetEnd

    for ev in events:
        if isinstance(ev, MemberTransaction):
            yield ev
        elif isinstance(ev, SetEnd):
            end.append(ev)
            return


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
    from itertools import chain
    from pathlib import Path

    from edi.reader import read
    from edi.records import SetStart, SetStatus
    from ledger.db import engine
    from ledger.ingest import file_sha256
    from ledger.reconcile_report import write_reports

    eng = target if isinstance(target, Engine) else engine(str(target))
    p = Path(path)
    # Streamed from the path: memory does not grow with the file.
    sha = file_sha256(p)
    events = iter(read(p, p.name, validator=validator, file_sha256=sha))
    out = FileReconciliation(p.name)
    while (ev := next(events, _END)) is not _END:
        if not isinstance(ev, SetStart):
            continue
        header = ev.header
        first = next(events, None)
        events = chain([first], events) if first is not None else events
        full = is_full_file(header) or (
            isinstance(first, MemberTransaction) and first.maintenance_type is MaintenanceType.AUDIT
        )
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
                    conn, header, _set_members(events, end), policy=policy, dry_run=dry_run,
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
                            raise LedgerError(f"{p.name}: cannot keep the held file "
                                              f"({type(exc).__name__})") from None  # fmt: skip
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
    from itertools import chain

    from edi.records import InterchangeStart, SetStart

    events = iter(events)
    isa: Any = None
    while (ev := next(events, _END)) is not _END:
        if isinstance(ev, InterchangeStart):
            isa = ev.header
        if not isinstance(ev, SetStart) or isa is None:
            yield ev
            continue
        first = next(events, None)
        rest: Iterator[Any] = chain([first], events) if first is not None else events
        full = is_full_file(ev.header) or (
            isinstance(first, MemberTransaction) and first.maintenance_type is MaintenanceType.AUDIT
        )
        set_id = _register(eng, isa, ev.header) if full else None
        if set_id is None:
            events = rest
            yield ev
            continue
        events = _reconcile_registered(eng, set_id, ev.header, rest, summary,
                                       received_at=received_at, actor=actor, settings=settings)  # fmt: skip


def _register(eng: Engine, isa: Any, header: Any) -> int | None:
    """The interchange row ingest wrote, when this set is new for it; else None."""
    from ledger import schema as t

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
    from ledger import schema as t
    from ledger.db import utcnow

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
            rec = reconcile_set(conn, header, _set_members(rest, end), received_at=received_at,
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


def held_runs(conn: Connection, sponsor: str | None = None) -> list[dict[str, Any]]:
    """Runs the guard held for a supervisor (newest first): ids, keys, counts, guard text."""
    import json

    rr = rt.reconciliation_runs
    q = sa.select(rr).where(rr.c.status == "held").order_by(rr.c.id.desc())
    if sponsor is not None:
        q = q.where(rr.c.sponsor_id == sponsor)
    return [{"run_id": r.id, "sponsor_id": r.sponsor_id, "sender_id": r.sender_id,
             "interchange_control": r.interchange_control, "set_control": r.set_control,
             "source": r.source, "guard": r.guard, "counts": json.loads(r.counts),
             "recorded_at": r.recorded_at.isoformat()} for r in conn.execute(q)]  # fmt: skip


# ------------------------------------------------------------------ reports after ingest


def last_run_id(conn: Connection) -> int:
    """The highest reconciliation run id so far (0 when none): a watermark for `runs_since`."""
    rr = rt.reconciliation_runs
    return int(conn.execute(sa.select(sa.func.max(rr.c.id))).scalar() or 0)


def load_run(conn: Connection, run_id: int) -> Reconciliation:
    """The stored outcome of one reconciliation run; LedgerError when there is none."""
    import json

    rr = rt.reconciliation_runs
    r = conn.execute(sa.select(rr).where(rr.c.id == run_id)).first()
    if r is None:
        raise LedgerError(f"reconciliation run {run_id}: not found")
    return Reconciliation(
        int(r.id), r.sponsor_id, r.sender_id, r.interchange_control, r.set_control,
        r.action_code, r.semantics, r.effective_date, r.file_time, status=r.status,
        guard=r.guard, counts=dict(json.loads(r.counts)),
    )  # fmt: skip


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

    from ledger.db import engine
    from ledger.reconcile_report import write_reports

    eng = target if isinstance(target, Engine) else engine(str(target))
    rr = rt.reconciliation_runs
    names: list[str] = []
    held: list[int] = []
    with eng.connect() as conn:
        ids = conn.execute(sa.select(rr.c.id).where(
            rr.c.id > after_run_id, rr.c.file_sha256 == file_sha256,
            rr.c.status != "dry_run").order_by(rr.c.id)).scalars().all()  # fmt: skip
        for run_id in ids:
            rec = load_run(conn, int(run_id))
            names.extend(p.name for p in write_reports(conn, rec, Path(outbox), source))
            if rec.status == "held":
                held.append(rec.run_id)
    if held and path is not None:
        copy = keep_held_copy(Path(path), Path(outbox), file_sha256)
        with eng.begin() as conn:
            record_held_copy(conn, held, copy, Path(outbox))
    return names


# ------------------------------------------------------------------ the guard's review item

GUARD_REASON = "full_file_guard"
GUARD_QUEUE = "supervisor"


def guard_summary(rec: Reconciliation, policy: FullFilePolicy, source: str) -> dict[str, Any]:
    """What a supervisor sees for a held file: counts, shares against limits, keys. No PHI."""
    c = rec.counts
    active = int(c.get("active_in_ledger", 0))
    term, change = int(c.get("would_terminate", 0)), int(c.get("would_change", 0))
    return {
        "kind": "full_file", "run_id": rec.run_id, "sponsor_id": rec.sponsor_id,
        "sender_id": rec.sender_id, "source": source,
        "interchange_control": rec.interchange_control, "set_control": rec.set_control,
        "file_members": int(c.get("file_members", 0)), "active_members": active,
        "would_terminate": term, "would_change": change,
        "would_enrol": int(c.get("would_enrol", 0)),
        "termination_share": round(term / active, 4) if active else 0.0,
        "change_share": round(change / active, 4) if active else 0.0,
        "max_termination_share": policy.max_termination_share,
        "max_change_share": policy.max_change_share,
    }  # fmt: skip


def hold_for_supervisor(
    conn: Connection, rec: Reconciliation, header: Any, *, source: str,
    received_at: dt.datetime | None = None, policy: FullFilePolicy | None = None,
    held_file: Any = None, outbox: Any = None,
) -> int:  # fmt: skip
    """Queue a held run (the guard tripped) as ONE supervisor review item; its id.

    The item's `transaction` is `guard_summary` (no PHI) plus, when known, where
    the held copy of the file is (`held_file`, see `keep_held_copy`) and the
    `outbox` the sender's reports go to; `header` is the set's header, as for
    every review item. The run row points at the item.
    """
    import json

    from ledger import schema as t
    from ledger.db import utcnow

    ln = header.lineage
    policy = policy or get_policy(conn, ln.sender_qualifier, ln.sender_id)
    summary = guard_summary(rec, policy, source) | {"file_sha256": ln.file_sha256}
    if held_file is not None:
        summary["held_file"] = str(held_file)
    if outbox is not None:
        summary["outbox"] = str(outbox)
    item_id = int(conn.execute(t.review_items.insert().values(
        queue=GUARD_QUEUE, reason=GUARD_REASON, explanation=f"full file held: {rec.guard}",
        sponsor_id=rec.sponsor_id, transaction=json.dumps(summary, sort_keys=True),
        header=header.model_dump_json(), candidates="[]", family_key="",
        received_at=received_at or utcnow(), status="open",
    )).inserted_primary_key[0])  # type: ignore[index]  # fmt: skip
    rr = rt.reconciliation_runs
    conn.execute(rr.update().where(rr.c.id == rec.run_id).values(review_item_id=item_id))
    return item_id


HELD_DIR = "held"
"""Under the outbox: copies of full files the guard held, until a supervisor decides."""


def keep_held_copy(path: Any, outbox: Any, sha256: str) -> Any:
    """Copy the file at `path` (SHA-256 `sha256`) into `outbox/held/`; the copy's Path.

    The copy is named by its digest and the file name, written under a temporary
    name, checked against `sha256` and then renamed, so a copy that exists is
    whole. An existing copy with the same content is reused. OSError when the
    copy cannot be written (the caller decides whether that is fatal).
    """
    import shutil
    from pathlib import Path

    from ledger.ingest import file_sha256

    src = Path(path)
    held = Path(outbox) / HELD_DIR
    held.mkdir(parents=True, exist_ok=True)
    safe = "".join(c for c in src.name if c.isalnum() or c in "-_.") or "file"
    dest = held / f"{sha256[:16]}.{safe}"
    if dest.is_file() and file_sha256(dest) == sha256:
        return dest
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.copyfile(src, tmp)
    if file_sha256(tmp) != sha256:
        tmp.unlink(missing_ok=True)
        raise LedgerError(f"{src.name}: changed while it was being held (SHA-256 differs)")
    tmp.replace(dest)
    return dest


def record_held_copy(conn: Connection, run_ids: list[int], copy: Any, outbox: Any) -> list[int]:
    """Point the supervisor items of the held runs `run_ids` at the kept `copy`; their ids."""
    import json

    from ledger import schema as t

    rr, ri = rt.reconciliation_runs, t.review_items
    items = conn.execute(sa.select(rr.c.review_item_id).where(
        rr.c.id.in_(run_ids), rr.c.status == "held", rr.c.review_item_id.is_not(None)
    )).scalars().all()  # fmt: skip
    for item_id in items:
        summary = json.loads(conn.execute(
            sa.select(ri.c.transaction).where(ri.c.id == item_id)).scalar_one())  # fmt: skip
        summary |= {"held_file": str(copy), "outbox": str(outbox)}
        conn.execute(ri.update().where(ri.c.id == item_id)
                     .values(transaction=json.dumps(summary, sort_keys=True)))  # fmt: skip
    return [int(i) for i in items]


def override_held(conn: Connection, run_id: int, path: Any, *, actor: str) -> Reconciliation:
    """Apply the held run `run_id` from its file at `path` (a supervisor's override).

    The file must be the one held (same SHA-256) and still hold the set; its set
    is reconciled again on `conn` with the guard overridden, and the held run is
    marked 'overridden'. The caller checks the permission and commits.
    """
    from pathlib import Path

    from edi.reader import read
    from edi.records import SetStart, SetStatus
    from ledger.ingest import file_sha256

    rr = rt.reconciliation_runs
    run = conn.execute(sa.select(rr).where(rr.c.id == run_id)).first()
    if run is None or run.status != "held":
        raise LedgerError(f"reconciliation run {run_id}: not held")
    p = Path(path)
    try:
        sha = file_sha256(p)
    except FileNotFoundError:
        raise LedgerError(f"{p.name}: the held file is missing") from None
    except OSError as exc:
        raise LedgerError(f"{p.name}: cannot read ({type(exc).__name__})") from None
    if run.file_sha256 and sha != run.file_sha256:
        raise LedgerError(f"{p.name}: not the file held by run {run_id} (SHA-256 differs)")
    events = iter(read(p, run.source or p.name, file_sha256=sha))
    for ev in events:
        if not isinstance(ev, SetStart):
            continue
        ln = ev.header.lineage
        if (ln.interchange_control, ln.group_control, ln.set_control) != (
            run.interchange_control, run.group_control, run.set_control
        ):
            continue
        end: list[Any] = []
        # the semantics the run was held under, even when they came from a by-hand policy
        policy = FullFilePolicy(run.semantics) if run.semantics in ("verify", "replace") else None
        rec = reconcile_set(conn, ev.header, _set_members(events, end), actor=actor,
                            source=run.source, override_guard=True, policy=policy)  # fmt: skip
        if end and end[0].status is SetStatus.REJECTED:
            raise LedgerError(f"transaction set {ln.set_control}: rejected by validation")
        conn.execute(rr.update().where(rr.c.id == run_id).values(status="overridden"))
        return rec
    raise LedgerError(f"{p.name}: transaction set of run {run_id} not found")


def close_held(conn: Connection, run_id: int) -> None:
    """Mark the held run `run_id` rejected (a supervisor declined to apply it)."""
    rr = rt.reconciliation_runs
    done = conn.execute(rr.update().where(rr.c.id == run_id, rr.c.status == "held")
                        .values(status="rejected"))  # fmt: skip
    if not done.rowcount:
        raise LedgerError(f"reconciliation run {run_id}: not held")


def settle_held(conn: Connection, header: Any, *, actor: str) -> list[int]:
    """After a by-hand override of `header`'s set: its held runs become 'overridden' and
    their open supervisor items resolved by `actor` (audited); the item ids."""
    from ledger import schema as t
    from ledger.auth import audit
    from ledger.db import utcnow

    ln, rr, ri = header.lineage, rt.reconciliation_runs, t.review_items
    held = list(conn.execute(sa.select(rr.c.id, rr.c.review_item_id).where(
        rr.c.status == "held", rr.c.sender_id == ln.sender_id.strip(),
        rr.c.interchange_control == ln.interchange_control,
        rr.c.group_control == ln.group_control, rr.c.set_control == ln.set_control,
        rr.c.file_sha256 == ln.file_sha256)))  # fmt: skip
    items: list[int] = []
    for run_id, item_id in held:
        conn.execute(rr.update().where(rr.c.id == run_id).values(status="overridden"))
        if item_id is None:
            continue
        done = conn.execute(ri.update().where(
            ri.c.id == item_id, ri.c.status.in_(("open", "assigned"))).values(
            status="resolved", resolution="overridden", resolved_by=actor,
            resolved_at=utcnow()))  # fmt: skip
        if done.rowcount:
            items.append(int(item_id))
            audit(conn, actor, "review.resolve", target=str(item_id),
                  details={"held_run": run_id, "resolution": "overridden", "by": "reconcile"})  # fmt: skip
    return items
