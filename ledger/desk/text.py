"""The desk's answers as plain text lines, for the command line (one renderer per answer).

Pure functions over the JSON-ready dicts `ledger.desk` returns (`show_item`, `resolve`'s
`to_json`, `sla_report`'s `to_json`, `list_items`' views, `member_history` rows, accounts,
audit records, groups): no
database, nothing decided here. Values are shown only as the caller's answer holds them
(masked unless the user asked with the right).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

QUEUE_HEADER = "ID\tQUEUE\tREASON\tSTATUS\tASSIGNEE\tDUE\tTIME LEFT\tSUBSCRIBER\tTYPE"
HISTORY_HEADER = "SEQ\tKIND\tVALID FROM..THROUGH\tDECIDED BY\tST"
USERS_HEADER = "USER\tDISPLAY NAME\tROLES\tSTATUS"
AUDIT_HEADER = "SEQ\tAT\tUSER\tACTION\tTARGET\tDETAILS"
_GUARD_KEYS = ("run_id", "sponsor_id", "sender_id", "source", "interchange_control",
               "set_control", "file_members", "active_members", "would_terminate",
               "would_change", "would_enrol", "termination_share", "max_termination_share",
               "change_share", "max_change_share")  # fmt: skip


_RECONCILIATION_KEYS = ("run_id", "discrepancy", "member_id", "subscriber_number",
                        "relationship", "lines", "fields", "severity", "effective_date",
                        "source", "set_control")  # fmt: skip
_DECISIONS = {"missing_in_file": "terminate [--as-of DATE] | keep",
              "missing_in_ledger": "enrol | ignore",
              "field_mismatch": "apply-file | keep-ledger"}  # fmt: skip


def time_left(seconds: int | None) -> str:
    """'5h03m', 'OVERDUE 2h10m' or '-' (no due time)."""
    if seconds is None:
        return "-"
    sign, s = ("OVERDUE ", -seconds) if seconds < 0 else ("", seconds)
    return f"{sign}{s // 3600}h{(s % 3600) // 60:02d}m"


def queue_line(item: Mapping[str, Any]) -> str:
    """One row under `QUEUE_HEADER` for a listed item (its `to_json()`)."""
    tx = item["transaction"]
    return (f"{item['id']}\t{item['queue']}\t{item['reason']}\t{item['status']}\t"
            f"{item['assignee'] or '-'}\t{item['due_at'] or '-'}\t"
            f"{time_left(item['time_left_seconds'])}\t{tx.get('subscriber_number', '?')}\t"
            f"{tx.get('maintenance_type') or '-'}")  # fmt: skip


def user_line(u: Mapping[str, Any]) -> str:
    """One row under `USERS_HEADER` for an account (`UserInfo.to_json()`)."""
    state = "active" if u["active"] else "inactive"
    return f"{u['user']}\t{u['display_name'] or '-'}\t{','.join(u['roles'])}\t{state}"


def audit_line(r: Mapping[str, Any]) -> str:
    """One row under `AUDIT_HEADER` for an audit record (`audit_records`)."""
    return (f"{r['seq']}\t{r['at']}\t{r['user']}\t{r['action']}\t{r['target'] or '-'}\t"
            f"{json.dumps(r['details'], sort_keys=True)}")


def group_line(g: Mapping[str, Any]) -> str:
    """A group (`group_rows`): sponsor, COBRA administration, representative, name."""
    return (f"{g['sponsor_id']}  cobra {g['cobra_administration']}  "
            f"representative {g['representative'] or '-'}  {g['name']}")


def item_lines(item: Mapping[str, Any]) -> Iterator[str]:
    """A shown item: status or resolution, the held transaction (or a held full file's
    counts), then each candidate with its per-field weights."""
    tx = item["transaction"]
    yield (f"item {item['id']}  queue {item['queue']}  reason {item['reason']}  "
           f"status {item['status']}  assignee {item['assignee'] or '-'}")
    if item["status"] == "resolved":
        yield (f"resolved {item['resolution'] or '-'} by {item['resolved_by'] or '-'} at "
               f"{item['resolved_at'] or '-'}  (was due {item['due_at'] or '-'})")
        if item.get("reject_reason"):
            yield f"reject reason: {item['reject_reason']}"
    else:
        yield f"due {item['due_at'] or '-'}  ({time_left(item['time_left_seconds'])})"
    yield f"why: {item['explanation']}"
    if item.get("model_version") is not None:
        yield f"match model: version {item['model_version']}"
    if tx.get("unreadable"):
        yield "member: (stored transaction unreadable)"
        return
    if tx.get("kind") == "reconciliation":  # ids, codes and field names only
        yield from (f"{k:<24}{tx.get(k)}" for k in _RECONCILIATION_KEYS)
        choices = _DECISIONS.get(tx.get("discrepancy") or "", "?")
        yield f"decide with: review decide {item['id']} DECISION  ({choices})"
        return
    if tx.get("kind") == "full_file":
        yield from (f"{k:<24}{tx.get(k)}" for k in _GUARD_KEYS)
        return
    name = tx["name"]
    yield (f"member: {name['last']}, {name['first']} {name['middle']}".rstrip()
           + f"  ssn {tx['ssn'] or '-'}  born {tx['birth_date'] or '-'}"
           f"  gender {tx['gender'] or '-'}  relationship {tx['relationship'] or '-'}")
    yield (f"subscriber number {tx['subscriber_number']}  INS03 {tx['maintenance_type']}"
           f"  INS05 {tx['benefit_status'] or '-'}  Medicare {tx['medicare_plan'] or '-'}")
    for c in tx["coverages"]:
        yield (f"  coverage {c['insurance_line']} {c['plan']} {c['coverage_level'] or ''}"
               f" HD01 {c['maintenance_type']} {c['begin'] or ''}..{c['end'] or ''}")
    for c in item["candidates"]:
        yield from _candidate_lines(c)


def _candidate_lines(c: Mapping[str, Any]) -> Iterator[str]:
    p = c.get("person")
    who = (f"  {p['name']['last']}, {p['name']['first']}  ssn {p['ssn'] or '-'}"
           f"  born {p['birth_date'] or '-'}" if p else "")
    extra = "" if c.get("listed", True) else "  (not among the item's candidates)"
    if c.get("conflicts"):
        extra += "  conflicts: " + ", ".join(c["conflicts"])
    yield f"candidate {c['member_id']}  score {c['score']:.2f}{who}{extra}"
    for f in c.get("comparisons", []):
        yield f"    {f['field']:<16} {f['level']:<18} {f['weight']:+7.2f}  {f['description']}"


def resolution_lines(item_id: int, out: Mapping[str, Any]) -> Iterator[str]:
    """What a resolve or a decide did: the outcome, the released family members, notes."""
    yield (f"item {item_id}: {out['resolution']} ({out['status']}"
           f"{', member ' + out['member_id'] if out['member_id'] else ''})")
    for r in out["released"]:
        yield (f"  released item {r['id']}: {r['status']}"
               + (f", now item {r['new_item']}" if r["new_item"] else ""))
    yield from (f"  item {i} still held" for i in out["still_held"])
    yield from (f"  {note}" for note in out["notes"])


def sla_lines(rep: Mapping[str, Any]) -> Iterator[str]:
    """The SLA report: totals, open items by queue and age, every breach."""
    yield f"open {rep['open']}  overdue {rep['overdue']}  breaches {len(rep['breaches'])}"
    for queue, buckets in rep["by_age"].items():
        yield f"{queue:<9} " + "  ".join(f"{k} {v}" for k, v in buckets.items())
    for b in rep["breaches"]:
        yield (f"breach item {b['id']} {b['queue']} {b['reason']} {b['status']} due "
               f"{b['due_at']} late {time_left(-b['late_by_seconds'])[8:]}")


def history_lines(rows: Sequence[Mapping[str, Any]]) -> Iterator[str]:
    """A member's entries under `HISTORY_HEADER`, before/after values flattened beneath."""
    yield HISTORY_HEADER
    for r in rows:
        yield (f"{r['seq']}\t{r['kind']}\t{r['valid_from'] or ''}..{r['valid_through'] or ''}"
               f"\t{r['decided_by']}\t{r['set_control'] or '-'}")
        for side in ("before", "after"):
            if r.get(side):
                yield f"\t{side}: " + "  ".join(_flat(r[side]))


def _flat(value: Any, prefix: str = "") -> list[str]:
    """`key=value` pairs of a nested before/after value (empty values left out)."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _flat(v, f"{prefix}{k}.")]
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return [f"{prefix[:-1]}={','.join(str(v) for v in value)}"] if value else []
        return [p for i, v in enumerate(value, 1) for p in _flat(v, f"{prefix}{i}.")]
    return [] if value in (None, "") else [f"{prefix[:-1]}={value}"]
