"""Online forms as 834s: what a client's form says, written as the X12 834 a trading
partner would send for the same change, and the reader's findings put back beside the
form's fields.

A form is parsed into `MemberLine`s (one per person, INS..HD) by `changes.py`;
`interchange(...)` writes them as one interchange with one transaction set whose sender
is the client (ISA06 = client id, receiver `ENROLL834WEB`: the online channel) and whose
ISA13 is the submission number. `edi.reader.read` then builds exactly the
`MemberTransaction` records a file would give, with the implementation-guide validator's
findings (the same situational rules: a COBRA enrollment needs its qualifying event).
`field_errors` maps those findings to form fields by segment and element.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from edi.findings import Finding, Severity

RECEIVER = "ENROLL834WEB"
"""ISA08 of every online submission: the online channel."""
CHANNEL_SOURCE = "online"


@dataclass(frozen=True, slots=True)
class MemberLine:
    """One person of a form, as the 2000 loop of an 834 carries it."""

    subscriber: bool
    relationship: str
    maintenance: str
    """INS03: 001 change, 021 addition, 024 termination."""
    reason: str
    """INS04."""
    subscriber_number: str
    last: str
    first: str
    middle: str = ""
    ssn: str = ""
    birth_date: dt.date | None = None
    gender: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""
    benefit_status: str = "A"
    medicare: str = ""
    cobra_event: str = ""
    employment: str = "FT"
    member_dates: tuple[tuple[str, dt.date], ...] = ()
    """Member-level DTPs: (qualifier, date), e.g. ('303', effective), ('357', end)."""
    coverages: tuple[tuple[str, str, str, str, dt.date], ...] = ()
    """(HD01, HD03 line, HD04 plan, HD05 level, date): 348 begin or 349 end."""
    old_last: str = ""
    old_first: str = ""
    old_birth_date: dt.date | None = None
    old_gender: str = ""
    prefix: str = ""
    """The form fields' prefix of this person ('' or 'dep1_' ...)."""


def _d8(d: dt.date) -> str:
    return d.strftime("%Y%m%d")


def _clean(text: str) -> str:
    """X12 text: upper case, no delimiters."""
    return "".join(ch for ch in text.upper().strip() if ch not in "*~:^\n\r")


def member_segments(m: MemberLine) -> list[str]:
    """The segments of one 2000 loop (INS .. 2300)."""
    sub = "Y" if m.subscriber else "N"
    ins = [sub, m.relationship, m.maintenance, m.reason, m.benefit_status, m.medicare,
           m.cobra_event, m.employment if m.subscriber else ""]  # fmt: skip
    segs = ["INS*" + "*".join(ins), f"REF*0F*{_clean(m.subscriber_number)}"]
    segs += [f"DTP*{q}*D8*{_d8(d)}" for q, d in m.member_dates]
    nm1 = f"NM1*IL*1*{_clean(m.last)}*{_clean(m.first)}*{_clean(m.middle)}"
    if m.ssn:
        nm1 += f"***34*{_clean(m.ssn)}"
    segs.append(nm1)
    if m.phone:
        segs.append(f"PER*IP**HP*{''.join(ch for ch in m.phone if ch.isdigit())}")
    if m.line1:
        segs.append(f"N3*{_clean(m.line1)}*{_clean(m.line2)}")
        segs.append(f"N4*{_clean(m.city)}*{_clean(m.state)}*{_clean(m.postal_code)}")
    if m.birth_date or m.gender:
        segs.append(f"DMG*D8*{_d8(m.birth_date) if m.birth_date else ''}*{m.gender}")
    if m.old_last or m.old_birth_date:
        segs.append(f"NM1*70*1*{_clean(m.old_last)}*{_clean(m.old_first)}")
        if m.old_birth_date:
            segs.append(f"DMG*D8*{_d8(m.old_birth_date)}*{m.old_gender}")
    for hd01, line, plan, level, day in m.coverages:
        segs.append(f"HD*{hd01}**{line}*{_clean(plan)}*{level}")
        segs.append(f"DTP*{'349' if hd01 == '024' else '348'}*D8*{_d8(day)}")
    return [seg.rstrip("*") for seg in segs]


def interchange(client_id: str, sponsor_id: str, sponsor_name: str, submission: int,
                members: Iterable[MemberLine], at: dt.datetime) -> bytes:  # fmt: skip
    """One 5010 834 interchange holding the form's members in one transaction set."""
    control = f"{submission:09d}"
    body = [
        "ST*834*0001*005010X220A1",
        f"BGN*00*WEB{submission}*{at:%Y%m%d}*{at:%H%M}****2",
        f"N1*P5*{_clean(sponsor_name) or 'EMPLOYER'}*FI*{_clean(sponsor_id)}",
        "N1*IN*SYNTHETIC HEALTH PLAN*FI*990000001",
    ]
    for m in members:
        body += member_segments(m)
    body.append(f"SE*{len(body) + 1}*0001")
    segs = [
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{client_id:<15}*ZZ*{RECEIVER:<15}*"
        f"{at:%y%m%d}*{at:%H%M}*^*00501*{control}*0*P*:",
        f"GS*BE*{client_id}*{RECEIVER}*{at:%Y%m%d}*{at:%H%M}*{submission}*X*005010X220A1",
        *body,
        f"GE*1*{submission}",
        f"IEA*1*{control}",
    ]
    return ("~\n".join(segs) + "~\n").encode("ascii", "replace")


FIELD_OF: dict[tuple[str, int | None], str] = {
    ("INS", 2): "relationship", ("INS", 4): "reason", ("INS", 6): "medicare",
    ("INS", 7): "cobra_event", ("INS", 5): "cobra_event", ("REF", 2): "subscriber_number",
    ("NM1", 3): "last", ("NM1", 4): "first", ("NM1", 5): "middle", ("NM1", 9): "ssn",
    ("N3", 1): "line1", ("N3", 2): "line2", ("N4", 1): "city", ("N4", 2): "state",
    ("N4", 3): "postal_code", ("DMG", 2): "birth_date", ("DMG", 3): "gender",
    ("HD", 3): "insurance_line", ("HD", 4): "plan", ("HD", 5): "coverage_level",
    ("DTP", 3): "date", ("PER", 4): "phone",
}  # fmt: skip
"""(segment id, element) -> the form field that fills it."""


@dataclass
class FieldErrors:
    """Errors by form field ('' = the whole form); messages never hold the values."""

    by_field: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.by_field)


def field_errors(findings: Iterable[Finding], lines: list[MemberLine], errors: FieldErrors) -> None:
    """Put the reader's error findings beside the fields they concern (by member ordinal,
    segment and element); what maps to no field goes to the whole form."""
    for f in findings:
        if f.severity is not Severity.ERROR:
            continue
        prefix = ""
        if f.member_ordinal and 0 < f.member_ordinal <= len(lines):
            prefix = lines[f.member_ordinal - 1].prefix
        name = FIELD_OF.get((f.segment_id or "", f.element))
        if name is None and f.segment_id:
            name = FIELD_OF.get((f.segment_id, None))
        errors.add(prefix + name if name else "", f.message)
