"""Reconciliation reports: one for the operations team, one for the sender; text and JSON.

Both list the counts, then one line per discrepancy with the member id,
subscriber number, kind, insurance line and the NAMES of the fields that
differ — never a value, so no SSN, birth date, name or address ever appears.
The operations report adds severity, the action taken, the member loop's
position in the file and, once a person decided a verify file's difference at the
desk, the decision (`decided terminate`, ...; written again after each decision). Files are written like the 999 (`<file>.<ISA13>.<ST02>`
stem, written to a temporary name and renamed), streaming the discrepancies
from the database so a million-line report never sits in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.engine import Connection

from ledger.fullfile.reconcile import Discrepancy, Reconciliation, iter_discrepancies

SENDER_COUNTS = ("file_members", "matched", "confirmed_members", "confirmed_coverages",
                 "missing_in_ledger", "missing_in_file", "field_mismatch")  # fmt: skip


def _line(d: Discrepancy, *, ops: bool) -> str:
    fields = ",".join(d.fields) or "-"
    text = (f"{d.ordinal:>7}  {d.kind:<17} member {d.member_id or '-':<10} subscriber "
            f"{d.subscriber_number or '-'} rel {d.relationship or '-'} line "
            f"{d.insurance_line or '-'} fields {fields}")  # fmt: skip
    if ops:
        text += f"  severity {d.severity}  action {d.action}"
        if d.position is not None:
            text += f"  loop {d.member_ordinal} at segment {d.position}"
        if d.status != "open":  # a person decided it (`ledger.fullfile.work`)
            text += f"  decided {d.status}"
    return text


def _item(d: Discrepancy, *, ops: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "kind": d.kind, "member_id": d.member_id, "subscriber_number": d.subscriber_number,
        "relationship": d.relationship, "insurance_line": d.insurance_line,
        "fields": list(d.fields), "member_ordinal": d.member_ordinal,
    }  # fmt: skip
    if ops:
        item |= {"ordinal": d.ordinal, "severity": d.severity, "action": d.action,
                 "position": d.position, "decided": None if d.status == "open" else d.status}  # fmt: skip
    return item


def _header(rec: Reconciliation, *, ops: bool) -> dict[str, Any]:
    head = rec.to_json()
    if not ops:
        head = {k: head[k] for k in ("sponsor_id", "interchange_control", "set_control",
                                     "action_code", "effective_date", "file_time")}  # fmt: skip
        head["counts"] = {k: rec.counts.get(k, 0) for k in SENDER_COUNTS}
    return head


def render_text(
    rec: Reconciliation, items: Iterator[Discrepancy], out: TextIO, *, ops: bool
) -> None:
    """Write the text report: a header block of counts, then one line per discrepancy."""
    head = _header(rec, ops=ops)
    title = "operations" if ops else "sender"
    out.write(f"reconciliation ({title}) sponsor {rec.sponsor_id} ISA13 "
              f"{rec.interchange_control} ST02 {rec.set_control} BGN08 {rec.action_code or '-'}\n")  # fmt: skip
    if ops:
        out.write(f"run {rec.run_id}  semantics {rec.semantics}  status {rec.status}\n")
        if rec.guard:
            out.write(f"guard: {rec.guard}\n")
    for k, v in head["counts"].items():
        out.write(f"{k:<24}{v:>10}\n")
    for d in items:
        out.write(_line(d, ops=ops) + "\n")


def render_json(
    rec: Reconciliation, items: Iterator[Discrepancy], out: TextIO, *, ops: bool
) -> None:
    """Write the JSON report: the header object with a streamed `discrepancies` array."""
    head = _header(rec, ops=ops)
    text = json.dumps(head, sort_keys=True)
    out.write(text[:-1] + ', "discrepancies": [')
    for i, d in enumerate(items):
        out.write(("," if i else "") + "\n" + json.dumps(_item(d, ops=ops), sort_keys=True))
    out.write("\n]}\n")


def _stem(rec: Reconciliation, source: str) -> str:
    return ".".join(
        "".join(c for c in part if c.isalnum() or c in "-_.") or "x"
        for part in (Path(source).name, rec.interchange_control, rec.set_control)
    )


def write_reports(conn: Connection, rec: Reconciliation, outbox: Path, source: str) -> list[Path]:
    """Write `<source>.<ISA13>.<ST02>.recon-{ops,sender}.{txt,json}` into `outbox`."""
    outbox.mkdir(parents=True, exist_ok=True)
    stem = _stem(rec, source)
    written: list[Path] = []
    for ops in (True, False):
        for ext, render in (("txt", render_text), ("json", render_json)):
            path = outbox / f"{stem}.recon-{'ops' if ops else 'sender'}.{ext}"
            tmp = path.with_name(path.name + ".tmp")
            with tmp.open("w", encoding="utf-8") as fh:
                render(rec, iter_discrepancies(conn, rec.run_id), fh, ops=ops)
            tmp.replace(path)
            written.append(path)
    return written


REJECTED_COUNTS = ("file_members", "active_in_ledger", "would_terminate", "would_change",
                   "would_enrol")  # fmt: skip


def write_rejection(rec: Reconciliation, outbox: Path, source: str, reason: str) -> list[Path]:
    """The sender's notice that a full file the guard held was rejected by a supervisor:
    `<source>.<ISA13>.<ST02>.recon-rejected.{txt,json}` — keys, the guard's counts and text,
    the supervisor's reason (free text kept free of PHI by the desk's rules), and that
    nothing in the file was applied."""
    outbox.mkdir(parents=True, exist_ok=True)
    head = {k: v for k, v in _header(rec, ops=False).items() if k != "counts"}
    head |= {"status": "rejected", "applied": False, "guard": rec.guard, "reason": reason,
             "counts": {k: rec.counts.get(k, 0) for k in REJECTED_COUNTS}}  # fmt: skip
    text = (f"reconciliation (sender) sponsor {rec.sponsor_id} ISA13 {rec.interchange_control} "
            f"ST02 {rec.set_control} BGN08 {rec.action_code or '-'}\n"
            f"REJECTED: the full file was held by the mass-termination guard and a supervisor "
            f"rejected it; nothing in it was applied.\nguard: {rec.guard}\nreason: {reason}\n"
            + "".join(f"{k:<24}{v:>10}\n" for k, v in head["counts"].items()))  # fmt: skip
    written: list[Path] = []
    stem = _stem(rec, source)
    for ext, body in (("txt", text), ("json", json.dumps(head, sort_keys=True) + "\n")):
        path = outbox / f"{stem}.recon-rejected.{ext}"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written


def report_guard_resolution(
    target: Any, summary: dict[str, Any], run_id: int, *, reason: str | None = None
) -> list[str]:
    """After a supervisor resolved a held full file (item `summary`): tell the sender.

    Written into the item's `outbox` (nothing when the item has none): for an
    override, the reports of the run `run_id` that applied the file; for a
    rejection (`reason`), `write_rejection` for the held run `run_id`. Returns
    the file names.
    """
    from ledger.fullfile.runs import load_run
    from ledger.store import engine

    if not summary.get("outbox"):
        return []
    outbox, source = Path(summary["outbox"]), str(summary.get("source") or "full-file")
    eng = engine(target) if isinstance(target, str) else target
    with eng.connect() as conn:
        rec = load_run(conn, run_id)
        paths = (write_rejection(rec, outbox, source, reason) if reason is not None
                 else write_reports(conn, rec, outbox, source))  # fmt: skip
    return [p.name for p in paths]
