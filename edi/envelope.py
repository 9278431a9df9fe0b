"""Envelope checks: ISA/IEA, GS/GE and ST/SE, and their header records.

Each check takes the segments it needs (a trailer may be None when it is
missing) and returns findings; none raises on bad input. Findings carry the
acknowledgment code their level maps to: TA105 for the interchange, AK905 for
the group, IK502 for the transaction set. They name positions and element
numbers, never values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from edi.findings import Finding, Level, Severity
from edi.records import GroupHeader, InterchangeHeader
from edi.segments import Segment

VERSIONS_ISA = frozenset({"00401", "00501"})
VERSIONS_GS = frozenset({"005010X220A1", "004010X095A1"})
VERSIONS_GS_WARN = frozenset({"005010X220", "005010X307"})
"""Read as 834s, with a WARNING: pre-errata X220 and the exchange X307."""

ID_QUALIFIERS = frozenset([
    "01", "02", "03", "04", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17",
    "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32",
    "33", "34", "35", "36", "37", "38", "AM", "NR", "SA", "SN", "ZZ",
])
"""X12 element I05 (interchange id qualifier)."""


def safe_id(segment_id: str) -> str | None:
    """The segment id when it looks like one (2–3 ASCII capitals/digits), else None.

    Garbage where an id should be may be data (PHI): it never reaches a finding.
    """
    if 2 <= len(segment_id) <= 3 and segment_id.isascii() and segment_id.isalnum() \
            and segment_id.upper() == segment_id:
        return segment_id
    return None


@dataclass(slots=True)
class Context:
    """Where the reader is: the keys every finding and lineage repeats."""

    source: str
    interchange_control: str = ""
    group_control: str = ""
    set_control: str = ""
    st_position: int = 0

    def finding(
        self,
        code: str,
        severity: Severity,
        level: Level,
        message: str,
        seg: Segment | None = None,
        *,
        x12_code: str | None = None,
        element: int | None = None,
        loop_id: str | None = None,
        member_ordinal: int | None = None,
        validator: str = "envelope",
        in_set: bool = False,
    ) -> Finding:
        """A finding located at `seg` (when given) with the current envelope keys."""
        return Finding(
            code=code,
            severity=severity,
            level=level,
            message=message,
            source=self.source,
            offset=seg.offset if seg is not None else None,
            segment_position=seg.position if seg is not None else None,
            set_position=(seg.position - self.st_position + 1)
            if in_set and seg is not None and self.st_position
            else None,
            segment_id=safe_id(seg.id) if seg is not None else None,
            loop_id=loop_id,
            element=element,
            x12_code=x12_code,
            interchange_control=self.interchange_control or None,
            group_control=self.group_control or None,
            set_control=self.set_control or None,
            member_ordinal=member_ordinal,
            validator=validator,
        )


def _valid_yymmdd(value: str) -> bool:
    if len(value) != 6 or not value.isdigit():
        return False
    try:
        dt.date(2000 + int(value[:2]), int(value[2:4]), int(value[4:6]))
    except ValueError:
        return False
    return True


def _valid_hhmm(value: str) -> bool:
    return len(value) == 4 and value.isdigit() and int(value[:2]) < 24 and int(value[2:]) < 60


# ---------------------------------------------------------------- interchange


def interchange_header(
    isa: Segment, ctx: Context, file_sha256: str | None = None
) -> tuple[InterchangeHeader, list[Finding]]:
    """The ISA as a header record, and its TA1-level findings (TA105 codes).

    Padding (spaces, or '.' as some guides print them) is stripped from ids.
    """
    g = isa.get
    control = g(13).strip()
    ctx.interchange_control = control
    ctx.group_control = ctx.set_control = ""
    ctx.st_position = 0
    d = isa.delimiters
    header = InterchangeHeader(
        source=ctx.source,
        sender_qualifier=g(5).strip(),
        sender_id=g(6).strip(" ."),
        receiver_qualifier=g(7).strip(),
        receiver_id=g(8).strip(" ."),
        date=g(9).strip(),
        time=g(10).strip(),
        version=g(12).strip(),
        control_number=control,
        ack_requested=g(14).strip() == "1",
        usage=g(15).strip(),
        element_separator=d.element,
        component_separator=d.component,
        segment_terminator=d.segment,
        repetition_separator=d.repetition,
        offset=isa.offset,
        position=isa.position,
        file_sha256=file_sha256,
    )
    out: list[Finding] = []

    def bad(code: str, x12: str, element: int, message: str) -> None:
        out.append(
            ctx.finding(
                f"envelope.isa.{code}", Severity.ERROR, Level.INTERCHANGE, message, isa,
                x12_code=x12, element=element,
            )
        )

    if header.sender_qualifier not in ID_QUALIFIERS:
        bad("sender_qualifier", "005", 5, "ISA05 sender id qualifier is not a valid code")
    if header.receiver_qualifier not in ID_QUALIFIERS:
        bad("receiver_qualifier", "007", 7, "ISA07 receiver id qualifier is not a valid code")
    if not _valid_yymmdd(header.date):
        bad("date", "014", 9, "ISA09 interchange date is not a valid YYMMDD date")
    if not _valid_hhmm(header.time):
        bad("time", "015", 10, "ISA10 interchange time is not a valid HHMM time")
    if header.version not in VERSIONS_ISA:
        bad("version", "017", 12, "ISA12 version is neither 00401 nor 00501")
    if len(control) != 9 or not control.isdigit():
        bad("control_number", "018", 13, "ISA13 control number is not 9 digits")
    if header.ack_requested is False and g(14).strip() != "0":
        bad("ack_requested", "019", 14, "ISA14 acknowledgment requested is neither 0 nor 1")
    if header.usage not in ("P", "T"):
        bad("usage", "020", 15, "ISA15 usage indicator is neither P nor T")
    return header, out


def _check_trailer(
    trailer: Segment | None, ctx: Context, at: Segment | None, level: Level, name: str,
    missing: tuple[str, str], control: tuple[str, str, str], count: tuple[str, str, str],
) -> list[Finding]:
    """The three checks every envelope trailer gets: present, element 2 repeats the header's
    control number, element 1 counts what it closes. Each tuple: (x12 code, message, [value])."""
    if trailer is None:
        return [ctx.finding(f"envelope.{name}.missing", Severity.ERROR, level, missing[1], at,
                            x12_code=missing[0])]
    out: list[Finding] = []
    if trailer.get(2).strip() != control[2]:
        out.append(ctx.finding(f"envelope.{name}.control_number", Severity.ERROR, level,
                               control[1], trailer, x12_code=control[0], element=2))
    if trailer.get(1).strip() != count[2]:
        out.append(ctx.finding(f"envelope.{name}.{'group' if name == 'iea' else 'set'}_count",
                               Severity.ERROR, level, count[1], trailer, x12_code=count[0],
                               element=1))
    return out


def check_iea(
    iea: Segment | None, header: InterchangeHeader, groups: int, ctx: Context, at: Segment | None
) -> list[Finding]:
    """IEA present (023), IEA02 = ISA13 (001), IEA01 = number of GS (021).

    `at` locates a missing IEA (the last segment read, or None at end of file).
    """
    ctx.group_control = ctx.set_control = ""
    return _check_trailer(
        iea, ctx, at, Level.INTERCHANGE, "iea",
        ("023", "interchange ends without IEA (premature end of file)"),
        ("001", "IEA02 does not match ISA13", header.control_number),
        ("021", "IEA01 does not match the number of functional groups", str(groups)),
    )


# ---------------------------------------------------------------- group


def group_header(gs: Segment, ctx: Context, seen: set[str]) -> tuple[GroupHeader, list[Finding]]:
    """The GS as a header record, and its AK905-level findings.

    `seen` holds the GS06 values already used in this interchange; it is updated.
    """
    g = gs.get
    control = g(6).strip()
    ctx.group_control = control
    ctx.set_control = ""
    header = GroupHeader(
        functional_id=g(1).strip(),
        sender=g(2).strip(),
        receiver=g(3).strip(),
        date=g(4).strip(),
        time=g(5).strip(),
        control_number=control,
        agency=g(7).strip(),
        version=g(8).strip(),
        position=gs.position,
    )
    out: list[Finding] = []
    if header.functional_id != "BE":
        out.append(
            ctx.finding(
                "envelope.gs.functional_id", Severity.ERROR, Level.GROUP,
                "GS01 functional identifier is not BE (benefit enrollment)", gs,
                x12_code="1", element=1,
            )
        )
    if header.version in VERSIONS_GS_WARN:
        out.append(
            ctx.finding(
                "envelope.gs.version_variant", Severity.WARNING, Level.GROUP,
                "GS08 names a variant of the 834 guide; read as 005010X220A1", gs,
                element=8,
            )
        )
    elif header.version not in VERSIONS_GS:
        out.append(
            ctx.finding(
                "envelope.gs.version", Severity.ERROR, Level.GROUP,
                "GS08 version is not a supported 834 implementation guide", gs,
                x12_code="2", element=8,
            )
        )
    if control in seen:
        out.append(
            ctx.finding(
                "envelope.gs.duplicate_control", Severity.ERROR, Level.GROUP,
                "GS06 group control number repeats within the interchange", gs,
                x12_code="19", element=6,
            )
        )
    seen.add(control)
    return header, out


def check_ge(
    ge: Segment | None, header: GroupHeader, sets: int, ctx: Context, at: Segment | None
) -> list[Finding]:
    """GE present (AK905 3), GE02 = GS06 (4), GE01 = number of ST (5)."""
    ctx.set_control = ""
    return _check_trailer(
        ge, ctx, at, Level.GROUP, "ge",
        ("3", "functional group ends without GE"),
        ("4", "GE02 does not match GS06", header.control_number),
        ("5", "GE01 does not match the number of transaction sets", str(sets)),
    )


# ---------------------------------------------------------------- transaction set


@dataclass(slots=True)
class SetCheck:
    """The verdict of `check_st`: findings and whether the set can be read as an 834."""

    findings: list[Finding] = field(default_factory=list)
    readable: bool = True


def check_st(st: Segment, group: GroupHeader | None, ctx: Context, seen: set[str]) -> SetCheck:
    """ST01 = 834 (IK502 1, or 6 when missing/malformed), ST02 unique in the group (23),
    ST03 = GS08 in 5010 (19; a WARNING when ST03 is absent, as real files omit it).

    `seen` holds the ST02 values already used in this group; it is updated.
    """
    control = st.get(2).strip()
    ctx.set_control = control
    ctx.st_position = st.position
    result = SetCheck()

    def add(code: str, sev: Severity, x12: str, element: int, message: str) -> None:
        result.findings.append(
            ctx.finding(
                f"envelope.st.{code}", sev, Level.TRANSACTION_SET, message, st,
                x12_code=x12, element=element, in_set=True, loop_id="HEADER",
            )
        )

    ts_id = st.get(1).strip()
    if ts_id != "834":
        result.readable = False
        if len(ts_id) == 3 and ts_id.isdigit():
            add("not_834", Severity.ERROR, "1", 1, "ST01 transaction set is not an 834")
        else:
            add("set_id", Severity.ERROR, "6", 1,
                "ST01 transaction set identifier missing or invalid")
    if not control:
        add("control_number", Severity.ERROR, "7", 2, "ST02 control number is missing")
    elif control in seen:
        add("duplicate_control", Severity.ERROR, "23", 2,
            "ST02 control number repeats within the group")
    seen.add(control)
    version = group.version if group else ""
    st03 = st.get(3).strip()
    if version.startswith("00501"):
        if not st03:
            add("implementation_missing", Severity.WARNING, "19", 3,
                "ST03 implementation reference is absent")
        elif st03 != version:
            add("implementation", Severity.ERROR, "19", 3, "ST03 does not match GS08")
    return result


def check_se(
    se: Segment | None, st: Segment, ctx: Context, at: Segment | None
) -> list[Finding]:
    """SE present (IK502 2), SE02 = ST02 (3), SE01 = segments ST..SE inclusive (4)."""
    if se is None:
        return [
            ctx.finding(
                "envelope.se.missing", Severity.ERROR, Level.TRANSACTION_SET,
                "transaction set ends without SE", at, x12_code="2", in_set=True,
                loop_id="TRAILER",
            )
        ]
    out: list[Finding] = []
    if se.get(2).strip() != st.get(2).strip():
        out.append(
            ctx.finding(
                "envelope.se.control_number", Severity.ERROR, Level.TRANSACTION_SET,
                "SE02 does not match ST02", se, x12_code="3", element=2, in_set=True,
                loop_id="TRAILER",
            )
        )
    if se.get(1).strip() != str(se.position - st.position + 1):
        out.append(
            ctx.finding(
                "envelope.se.segment_count", Severity.ERROR, Level.TRANSACTION_SET,
                "SE01 does not match the number of segments from ST to SE", se,
                x12_code="4", element=1, in_set=True, loop_id="TRAILER",
            )
        )
    return out


def check_control_totals(
    totals: list[tuple[str, int, Segment]], members: int, subscribers: int, ctx: Context
) -> list[Finding]:
    """QTY TO/ET/DT against the members actually read (WARNING: a mismatch does not reject)."""
    actual = {"TO": members, "ET": subscribers, "DT": members - subscribers}
    out: list[Finding] = []
    for qualifier, value, seg in totals:
        expected = actual.get(qualifier)
        if expected is not None and expected != value:
            out.append(
                ctx.finding(
                    "envelope.qty.control_total", Severity.WARNING, Level.SEGMENT,
                    f"QTY {qualifier} control total does not match the members read", seg,
                    element=2, loop_id="HEADER", in_set=True,
                )
            )
    return out


def outside_envelope(seg: Segment, ctx: Context, where: str) -> Finding:
    """A segment found where no envelope allows it (TA105 024); the run it starts is skipped."""
    return ctx.finding(
        "envelope.outside", Severity.ERROR, Level.INTERCHANGE,
        f"segment outside {where}; skipped until the next envelope", seg, x12_code="024",
    )
