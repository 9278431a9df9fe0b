"""What a drop-folder run writes for people: the sender's report and the quarantine reason file.

Both are built from a file's outcome (ledger.drops) and the validation report
(edi.validate): verdicts, counts, control numbers, sender ids and findings with
their positions and codes. Findings never carry element values, so neither
text can hold member data.
"""

from __future__ import annotations

from typing import Any

from edi.findings import Severity

EXPLAIN = {
    "no_interchange": "no readable X12 interchange in the file",
    "rejected": "every transaction set (or an interchange) was rejected; see the TA1/999",
    "unknown_sender": "the sender is not a configured trading partner (strict partners)",
    "duplicate": "the interchange was already received with the same content",
    "control_number_reused": "the interchange control number was already used with other content",
    "internal_error": "the file could not be processed (an internal error); operators notified",
}


def reason_text(outcome: dict[str, Any]) -> str:
    """The PHI-free reason file left beside a quarantined file."""
    lines = [
        f"reason: {outcome['reason']}",
        f"explanation: {outcome['explanation']}",
        f"file: {outcome['file']}",
        f"sha256: {outcome['file_sha256']}",
        f"quarantined_at: {outcome['processed_at']}",
        f"worker: {outcome['worker']}",
        f"claim: {outcome['claim']}",
        "transaction_sets: " + " ".join(f"{k} {v}" for k, v in outcome["sets"].items()),
        "acknowledgments: " + (", ".join(outcome["acks"]) or "none"),
    ]
    lines += [f"interchange: {i['isa13']} sender {i['sender']} TA1 {i['ta1_code']}/{i['ta1_note']}"
              f" ({i['kind']})" for i in outcome["interchanges"]]  # fmt: skip
    lines += [f"note: {n}" for n in outcome.get("notes") or []]
    return "\n".join(lines) + "\n"


def sender_report(outcome: dict[str, Any], report: Any) -> str:
    """A human-readable report for the sender: verdicts, counts, located findings, no values."""
    out = [
        f"Processing report for {outcome['file']}",
        f"received and processed: {outcome['processed_at']}",
        f"file SHA-256: {outcome['file_sha256']}",
        f"result: {outcome['disposition']}"
        + (f" ({outcome['reason']}: {outcome['explanation']})" if outcome["reason"] else ""),
        "",
    ]
    for i in outcome["interchanges"]:
        out.append(
            f"interchange {i['isa13']} from {i['sender']}: TA1 {i['ta1_code']} "
            f"note {i['ta1_note']}" + ("" if i["kind"] == "processed" else f" ({i['kind']})")
        )
    if report is not None:
        for ic in report.interchanges:
            for g in ic.groups:
                for s in g.transaction_sets:
                    out.append(f"  group {g.control_number} set {s.control_number}: "
                               f"{_set_verdict(s)}, {s.members} members, "
                               f"{s.rejected_members} rejected")  # fmt: skip
        findings = [f for f in report.all_findings() if f.severity is not Severity.INFO]
        if findings:
            out += ["", "Findings (position, rule, acknowledgment code):"]
            out += [f"  {f}" + (f" [X12 {f.x12_code}]" if f.x12_code else "") for f in findings]
    out += [f"note: {n}" for n in outcome.get("notes") or []]
    out += rejection_lines(outcome.get("rejections") or [])
    sets = outcome["sets"]
    out += ["", "transaction sets: " + ", ".join(f"{v} {k}" for k, v in sets.items()),
            "Acknowledgments: " + (", ".join(outcome["acks"]) or "none")]  # fmt: skip
    return "\n".join(out) + "\n"



def verdict_rows(report: Any) -> list[dict[str, Any]]:
    """What the acknowledgments say, one row per interchange, group and set (no values):
    `{"level", "isa13", "gs06", "st02", "ack", "code", "words", "members", "rejected"}`,
    `ack` being 'TA1', 'AK9' or 'IK5' and `words` ACK_WORDS' (e.g. 'partially accepted')."""
    from edi.validate import ack_words

    if report is None:
        return []
    rows: list[dict[str, Any]] = []
    for ic in report.interchanges:
        sets = [s for g in ic.groups for s in g.transaction_sets]
        rows.append({"level": "interchange", "isa13": ic.control_number, "gs06": "", "st02": "",
                     "ack": "TA1", "code": ic.ta1_code, "note": ic.ta1_note,
                     "words": ack_words(ic.ta1_code), "members": sum(s.members for s in sets),
                     "rejected": sum(s.rejected_members for s in sets)})  # fmt: skip
        for g in ic.groups:
            rows.append({"level": "group", "isa13": ic.control_number, "gs06": g.control_number,
                         "st02": "", "ack": "AK9", "code": g.ack_code, "note": "",
                         "words": ack_words(g.ack_code),
                         "members": sum(s.members for s in g.transaction_sets),
                         "rejected": sum(s.rejected_members for s in g.transaction_sets)})  # fmt: skip
            for s in g.transaction_sets:
                ack, code = {"group": ("AK9", "R"), "interchange": ("TA1", "R")}.get(
                    s.rejected_by, ("IK5", s.ack_code))
                rows.append({"level": "set", "isa13": ic.control_number,
                             "gs06": g.control_number, "st02": s.control_number, "ack": ack,
                             "code": code, "note": "", "words": ack_words(code),
                             "members": s.members, "rejected": s.rejected_members})  # fmt: skip
    return rows


def _set_verdict(s: Any) -> str:
    """A set's verdict as its acknowledgment states it: 'IK5 E (accepted with errors)', or
    'AK9 R (group rejected)' / 'TA1 R (interchange rejected)' when no IK5 was written for it."""
    from edi.validate import ack_words

    if s.rejected_by == "group":
        return "AK9 R (group rejected)"
    if s.rejected_by == "interchange":
        return "TA1 R (interchange rejected)"
    return f"IK5 {s.ack_code} ({ack_words(s.ack_code)})"


def rejection_lines(rejections: list[dict[str, Any]]) -> list[str]:
    """The members the payer's rules rejected, located by controls and ordinal.

    Each names the last 4 characters of the subscriber number at most, the
    reason code and its fixed-text explanation; never a name, SSN or date.
    """
    # Members the validator rejected are in the findings above and the 999.
    rejections = [r for r in rejections if r.get("source") != "validation"]
    if not rejections:
        return []
    out = ["", "Members rejected by the payer's enrollment rules:",
           "  (ISA13/GS06/ST02 member ordinal: subscriber number ending: reason: explanation)"]
    for r in rejections:
        last4 = str(r.get("subscriber_number_last4") or "")[-4:] or "-"
        out.append(
            f"  {r.get('interchange_control') or '-'}/{r.get('group_control') or '-'}/"
            f"{r.get('set_control') or '-'} member {r.get('member_ordinal')}: "
            f"subscriber number ending {last4}: {r.get('reason') or 'rejected'}: "
            f"{r.get('explanation') or 'rejected'}"
        )
    return out
