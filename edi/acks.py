"""Acknowledgments: TA1 and 999 (5010) / 997 (4010) text built from records and findings.

Pure functions: they take the inbound interchange's header, the verdicts
(`SetStatus`) and the `Finding`s, plus an outbound control number and a
clock reading, and return X12 text. They never read element values from the
input, so an ack can only carry envelope identifiers (sender/receiver ids,
control numbers, version strings) and codes: no IK404/AK404 bad-data copies.

Layout of the 999 for one inbound interchange: ISA / GS*FA (GS08
005010X231A1) / per inbound group one ST*999 with AK1, per inbound set AK2,
IK3 (segment id, IK302 position, IK303 loop id only for LS-bounded loops,
IK304), IK4 (position[:component[:repetition]], data element, IK403), IK5,
then AK9 / SE; GE / IEA. A 4010 interchange gets the same shape as a 997
(AK3/AK4/AK5, GS08 004010, codes mapped to the 4010 lists). Acks use the
inbound delimiters; each segment is followed by a newline unless the
terminator already is one.

The code tables (`TA105`, `AK905`, `IK502`, `IK304`, `IK403`) give every X12
code a rule slug and fixed text: validators build `Finding.code`/`message`
from them, never from the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from edi.findings import Finding, Level, Severity
from edi.records import GroupHeader, InterchangeHeader, SetStatus

# ------------------------------------------------------------------ code tables
# code -> (rule slug, fixed message)

TA105: dict[str, tuple[str, str]] = {
    "000": ("no_error", "no error"),
    "001": ("control_number_mismatch", "interchange control number in header and trailer do not match"),
    "002": ("standard_not_supported", "this standard as noted in the control standards identifier is not supported"),
    "003": ("version_not_supported", "this version of the controls is not supported"),
    "004": ("segment_terminator", "the segment terminator is invalid"),
    "005": ("sender_qualifier", "invalid interchange ID qualifier for sender"),
    "006": ("sender_id", "invalid interchange sender ID"),
    "007": ("receiver_qualifier", "invalid interchange ID qualifier for receiver"),
    "008": ("receiver_id", "invalid interchange receiver ID"),
    "009": ("unknown_receiver", "unknown interchange receiver ID"),
    "010": ("authorization_qualifier", "invalid authorization information qualifier value"),
    "011": ("authorization_value", "invalid authorization information value"),
    "012": ("security_qualifier", "invalid security information qualifier value"),
    "013": ("security_value", "invalid security information value"),
    "014": ("date", "invalid interchange date value"),
    "015": ("time", "invalid interchange time value"),
    "016": ("standards_identifier", "invalid interchange standards identifier value"),
    "017": ("version_id", "invalid interchange version ID value"),
    "018": ("control_number", "invalid interchange control number value"),
    "019": ("ack_requested", "invalid acknowledgment requested value"),
    "020": ("test_indicator", "invalid test indicator value"),
    "021": ("group_count", "invalid number of included groups value"),
    "022": ("control_structure", "invalid control structure"),
    "023": ("premature_end", "improper (premature) end-of-file (transmission)"),
    "024": ("content", "invalid interchange content (e.g. invalid GS segment)"),
    "025": ("duplicate", "duplicate interchange control number"),
    "026": ("element_separator", "invalid data element separator"),
    "027": ("component_separator", "invalid component element separator"),
}

AK905: dict[str, tuple[str, str]] = {
    "1": ("not_supported", "functional group not supported"),
    "2": ("version_not_supported", "functional group version not supported"),
    "3": ("trailer_missing", "functional group trailer missing"),
    "4": ("control_number_mismatch", "group control number in the functional group header and trailer do not agree"),
    "5": ("set_count", "number of included transaction sets does not match actual count"),
    "6": ("control_number_syntax", "group control number violates syntax"),
    "19": ("duplicate", "functional group control number not unique within interchange"),
}

IK502: dict[str, tuple[str, str]] = {
    "1": ("not_supported", "transaction set not supported"),
    "2": ("trailer_missing", "transaction set trailer missing"),
    "3": ("control_number_mismatch", "transaction set control number in header and trailer do not match"),
    "4": ("segment_count", "number of included segments does not match actual count"),
    "5": ("segments_in_error", "one or more segments in error"),
    "6": ("set_identifier", "missing or invalid transaction set identifier"),
    "7": ("set_control_number", "missing or invalid transaction set control number"),
    "18": ("not_in_group", "transaction set not in functional group"),
    "19": ("implementation_reference", "invalid transaction set implementation convention reference"),
    "23": ("duplicate", "transaction set control number not unique within the functional group"),
    "I5": ("implementation_segments_in_error", "implementation one or more segments in error"),
    "I6": ("implementation_not_supported", "implementation convention not supported"),
}

IK304: dict[str, tuple[str, str]] = {
    "1": ("unrecognized", "unrecognized segment ID"),
    "2": ("unexpected", "unexpected segment"),
    "3": ("required_missing", "required segment missing"),
    "4": ("loop_over_max", "loop occurs over maximum times"),
    "5": ("over_max_use", "segment exceeds maximum use"),
    "6": ("not_in_set", "segment not in defined transaction set"),
    "7": ("sequence", "segment not in proper sequence"),
    "8": ("element_errors", "segment has data element errors"),
    "I4": ("not_used", "implementation 'not used' segment present"),
    "I6": ("dependent_missing", "implementation dependent segment missing"),
    "I7": ("loop_under_min", "implementation loop occurs under minimum times"),
    "I8": ("under_min_use", "implementation segment below minimum use"),
    "I9": ("dependent_not_used", "implementation dependent 'not used' segment present"),
}

IK403: dict[str, tuple[str, str]] = {
    "1": ("required_missing", "required data element missing"),
    "2": ("conditional_missing", "conditional required data element missing"),
    "3": ("too_many_elements", "too many data elements"),
    "4": ("too_short", "data element too short"),
    "5": ("too_long", "data element too long"),
    "6": ("invalid_character", "invalid character in data element"),
    "7": ("code", "invalid code value"),
    "8": ("date", "invalid date"),
    "9": ("time", "invalid time"),
    "10": ("exclusion", "exclusion condition violated"),
    "12": ("too_many_repetitions", "too many repetitions"),
    "13": ("too_many_components", "too many components"),
    "I6": ("code_not_used", "code value not used in implementation"),
    "I9": ("dependent_missing", "implementation dependent data element missing"),
    "I10": ("not_used", "implementation 'not used' data element present"),
    "I11": ("too_few_repetitions", "implementation too few repetitions"),
    "I12": ("pattern", "implementation pattern match failure"),
    "I13": ("dependent_not_used", "implementation dependent 'not used' data element present"),
}

CODE_TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "TA105": TA105,
    "AK905": AK905,
    "IK502": IK502,
    "IK304": IK304,
    "IK403": IK403,
}

# 4010 997 code lists are shorter; 5010-only codes are sent as their nearest 4010 meaning.
_AK304_4010 = {"I4": "2", "I6": "3", "I7": "3", "I8": "3", "I9": "2"}
_AK403_4010 = {"12": "3", "13": "3", "I6": "7", "I9": "2", "I10": "10", "I11": "1", "I12": "6", "I13": "10"}
_AK502_TO_4010 = {"I5": "5", "I6": "1"}

# Loops bounded by LS/LE: only these are named in IK303 (the LS01 value).
_BOUNDED_LOOPS = {"2700": "2700", "2710": "2700", "2750": "2700", "LS_LOOP": "2700"}

ACK_999_VERSION = "005010X231A1"
ACK_997_VERSION = "004010"


def describe(element: str, code: str) -> tuple[str, str]:
    """(rule slug, fixed text) for an X12 ack code, e.g. describe('IK403', '6')."""
    table = CODE_TABLES[element]
    return table.get(code, (f"code_{code.lower()}", f"{element} code {code}"))


# ------------------------------------------------------------------ inputs


@dataclass(frozen=True, slots=True)
class SetAck:
    """What the 999 says about one inbound transaction set.

    `findings` are all findings located in the set (set-level and inside
    members); ERROR and WARNING ones are written (INFO never): set-level
    codes in IK502, segment/element ones in IK3/IK4.
    """

    control_number: str
    status: SetStatus
    implementation_reference: str = ""
    transaction_set_id: str = "834"
    findings: tuple[Finding, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupAck:
    """What the 999 says about one inbound functional group."""

    header: GroupHeader
    sets: tuple[SetAck, ...] = ()
    findings: tuple[Finding, ...] = ()
    """Group-level findings (AK905 codes)."""
    included: int | None = None
    """GE01 as sent (AK902); None: the number received is used."""


# ------------------------------------------------------------------ what an ack may name

AK101_CODES = frozenset({"BE", "HB", "HC", "HI", "HN", "HP", "HR", "HS", "RA"})
"""Functional identifiers a 999 (and a 4010 997) may name in AK101."""
AK201_CODES = frozenset({"270", "271", "276", "277", "278", "820", "834", "835", "837"})
"""Transaction set identifiers a 999/997 may name in AK201."""
_AK905_4010 = frozenset({"1", "2", "3", "4", "5", "6", "10", "11", "12", "13", "14", "15", "16",
                         "17", "18", "23", "24", "25", "26"})
_AK502_4010 = frozenset({"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13",
                         "15", "16", "17", "23", "24", "25", "26", "27"})
_QUALIFIERS = frozenset([
    "01", "02", "03", "04", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17",
    "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32",
    "33", "34", "35", "36", "37", "38", "AM", "NR", "SA", "SN", "ZZ",
])


def clean(value: str, delimiters: str = "*:^~") -> str:
    """`value` as an ack may carry it: printable ASCII only, no delimiter, outer spaces removed.

    A received id broken across lines (80-column images), padded with '.' or
    holding a control character comes out as the id alone.
    """
    kept = "".join(c for c in value if " " <= c <= "~" and c not in delimiters)
    return kept.strip(" .")


def _fits(value: str, low: int, high: int, delimiters: str = "*:^~") -> bool:
    return low <= len(value) <= high and clean(value, delimiters) == value


def group_nameable(header: GroupHeader) -> bool:
    """Whether a 999/997 can acknowledge this group in valid codes.

    GS01 must be a functional identifier the 999 lists (AK101), GS06 1-9
    digits (AK102) and GS08 1-12 printable characters (AK103). A group that
    fails this is an invalid GS segment: the interchange is answered with a
    TA1 R, note 024 ("invalid interchange content, e.g. invalid GS segment").
    """
    return (
        header.functional_id in AK101_CODES
        and header.control_number.isdigit() and 1 <= len(header.control_number) <= 9
        and _fits(header.version, 1, 12)
    )


def set_nameable(transaction_set_id: str, control_number: str) -> bool:
    """Whether a 999/997 can name this set: ST01 in the AK201 list, ST02 4-9 characters."""
    return transaction_set_id in AK201_CODES and _fits(control_number, 4, 9)


# ------------------------------------------------------------------ helpers


def _delimiters(header: InterchangeHeader) -> tuple[str, str, str]:
    """(element, component, terminator) for an ack: the inbound ones when usable, else * : ~.

    Usable: one printable, non-alphanumeric, non-space character each, all
    different (a newline terminator is kept as is).
    """
    ele, comp, term = header.element_separator, header.component_separator, \
        header.segment_terminator

    def ok(c: str | None) -> bool:
        return bool(c) and len(c or "") == 1 and "!" <= (c or "") <= "~" and not (c or "").isalnum()

    if not ok(ele):
        ele = "*"
    if not ok(comp) or comp == ele:
        comp = next(c for c in ":>\\" if c != ele)
    if not (ok(term) or term == "\n") or term in (ele, comp):
        term = next(c for c in "~!" if c not in (ele, comp))
    return ele, comp, term


class _Writer:
    """Collects segments with the ack's delimiters and counts them."""

    def __init__(self, header: InterchangeHeader) -> None:
        self.ele, self.comp, term = _delimiters(header)
        self.end = term if term == "\n" else term + "\n"
        self.rep = _repetition_for(header, self.ele, self.comp, term)
        self.forbidden = "".join({self.ele, self.comp, self.rep, term})
        self.lines: list[str] = []

    def clean(self, value: str) -> str:
        return clean(value, self.forbidden)

    def seg(self, seg_id: str, *elements: str) -> None:
        parts = list(elements)
        while parts and parts[-1] == "":
            parts.pop()
        self.lines.append(self.ele.join([seg_id, *parts]) + self.end)

    def text(self) -> str:
        return "".join(self.lines)


def _repetition_for(header: InterchangeHeader, ele: str, comp: str, term: str) -> str:
    if header.version != "00501":
        return "U"
    rep = header.repetition_separator
    used = {ele, comp, term}
    if rep and len(rep) == 1 and rep not in used and "!" <= rep <= "~" and not rep.isalnum():
        return rep
    return next(c for c in "^|!%" if c not in used)


def _party(w: _Writer, qualifier: str, ident: str) -> tuple[str, str]:
    q = qualifier.strip()
    value = w.clean(ident)[:15] or "UNKNOWN"
    return (q if q in _QUALIFIERS else "ZZ"), value.ljust(15)


def _isa(w: _Writer, header: InterchangeHeader, control: str, now: datetime) -> None:
    """The response ISA: exactly 106 characters with its terminator, whatever the inbound one."""
    rq, rid = _party(w, header.receiver_qualifier, header.receiver_id)
    sq, sid = _party(w, header.sender_qualifier, header.sender_id)
    w.seg(
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        rq,
        rid,
        sq,
        sid,
        now.strftime("%y%m%d"),
        now.strftime("%H%M"),
        w.rep,
        header.version if header.version in ("00401", "00501") else "00501",
        control,
        "0",
        header.usage if header.usage in ("P", "T") else "P",
        w.comp,
    )


def _isa_control(ack_control: str) -> str:
    digits = ack_control.strip()
    if not digits.isdigit() or not 0 < int(digits) <= 999_999_999:
        raise ValueError("ack control number must be 1..999999999")
    return f"{int(digits):09d}"


def ack_9xx_name(header: InterchangeHeader) -> str:
    """'997' for a 00401 interchange, else '999': the functional ack `ack_999` writes for it."""
    return "997" if header.version == "00401" else "999"


def ta1_ack_code(note_code: str, findings: Iterable[Finding] = ()) -> str:
    """TA104: R when a rejecting interchange finding exists, E for a note without one, else A."""
    if any(f.rejects and f.level in (Level.INTERCHANGE, Level.FILE) for f in findings):
        return "R"
    return "A" if note_code == "000" else "E"


def ta1(
    header: InterchangeHeader,
    note_code: str,
    *,
    ack_control: str,
    now: datetime,
    ack_code: str | None = None,
) -> str:
    """A TA1 for `header`'s interchange, in its own ISA/IEA envelope (sender/receiver swapped).

    TA101 = inbound ISA13, TA102/TA103 = inbound ISA09/ISA10, TA104 = `ack_code`
    (default: A for note '000', R otherwise), TA105 = `note_code`. '025'
    (duplicate interchange) is what the ledger sends for a replayed ISA13.
    """
    if note_code not in TA105:
        raise ValueError("unknown TA105 note code")
    code = ack_code or ("A" if note_code == "000" else "R")
    if code not in ("A", "E", "R"):
        raise ValueError("TA104 must be A, E or R")
    control = _isa_control(ack_control)
    w = _Writer(header)
    _isa(w, header, control, now)
    w.seg("TA1", *_ta1_echo(header, now), code, note_code)
    w.seg("IEA", "0", control)
    return w.text()


def _ta1_echo(header: InterchangeHeader, now: datetime) -> tuple[str, str, str]:
    """TA101-TA103: the received ISA13/ISA09/ISA10, or (when one cannot be echoed as a valid
    value: not 9 digits, not a date or time) 000000000 / the date / the time of the answer."""
    control = header.control_number.strip()
    date, time = header.date.strip(), header.time.strip()
    if not (len(control) == 9 and control.isdigit()):
        control = "000000000"
    if not _yymmdd(date):
        date = now.strftime("%y%m%d")
    if not (len(time) == 4 and time.isdigit() and int(time[:2]) < 24 and int(time[2:]) < 60):
        time = now.strftime("%H%M")
    return control, date, time


def _yymmdd(value: str) -> bool:
    if len(value) != 6 or not value.isdigit():
        return False
    try:
        datetime(2000 + int(value[:2]), int(value[2:4]), int(value[4:6]))
    except ValueError:
        return False
    return True


def ik5_code(status: SetStatus) -> str:
    """IK501 for a set verdict: A accepted; E accepted with errors or partially accepted; R."""
    if status is SetStatus.ACCEPTED:
        return "A"
    if status is SetStatus.REJECTED:
        return "R"
    return "E"


def _reportable(f: Finding) -> bool:
    return f.x12_code is not None and f.severity in (Severity.ERROR, Severity.WARNING)


def _noted(f: Finding) -> bool:
    """A segment/element finding the 999 names in IK3/IK4 (errors and warnings, inside a set)."""
    return (
        f.severity in (Severity.ERROR, Severity.WARNING)
        and f.level in (Level.SEGMENT, Level.ELEMENT)
        and bool(f.set_position)
    )


def _set_codes(ack: SetAck, v4010: bool) -> list[str]:
    codes = {f.x12_code for f in ack.findings if _reportable(f) and f.level is Level.TRANSACTION_SET}
    if any(_noted(f) for f in ack.findings):
        codes.add("5")
    found = sorted((c for c in codes if c), key=_code_order)
    if v4010:
        found = sorted({_AK502_TO_4010.get(c, c) for c in found} & _AK502_4010, key=_code_order)
    if not found and ack.status is not SetStatus.ACCEPTED:
        found = ["5"]
    return found[:5]


def _code_order(code: str) -> tuple[int, int, str]:
    return (1, 0, code) if not code.isdigit() else (0, int(code), code)


def _segment_loops(w: _Writer, ack: SetAck, v4010: bool) -> None:
    """IK3/IK4 (or AK3/AK4) for the segment and element findings of one set, in position order.

    A segment finding without an IK304 code is noted as IK304 '8'; element
    findings with an IK403 code get an IK4 under the segment's IK3 '8'.
    """
    by_segment: dict[tuple[int, str], list[Finding]] = {}
    for f in ack.findings:
        if _noted(f):
            by_segment.setdefault((f.set_position or 0, f.segment_id or ""), []).append(f)
    ik3, ik4 = ("AK3", "AK4") if v4010 else ("IK3", "IK4")
    for (position, seg_id), items in sorted(by_segment.items()):
        if not _fits(seg_id, 2, 3, w.forbidden) or position < 1:
            continue  # a segment id that cannot be named: IK502 5 still says the set has errors
        loop = next((_BOUNDED_LOOPS[f.loop_id] for f in items if f.loop_id in _BOUNDED_LOOPS), "")
        seg_codes: list[str] = []
        elements: list[Finding] = []
        for f in items:
            if f.level is Level.ELEMENT and f.x12_code in IK403:
                elements.append(f)
                continue
            code = f.x12_code if f.level is Level.SEGMENT and f.x12_code in IK304 else "8"
            code = _AK304_4010.get(code, code) if v4010 else code
            if code not in seg_codes:
                seg_codes.append(code)
        for code in seg_codes:
            if code != "8":
                w.seg(ik3, seg_id, str(position), loop, code)
        if elements or "8" in seg_codes:
            w.seg(ik3, seg_id, str(position), loop, "8")
        seen: set[tuple[str, str]] = set()
        # several validators may report the same element: one IK4 per position and code,
        # preferring the finding that knows the data element number
        order = sorted(elements, key=lambda e: (e.element or 0, e.component or 0,
                                                 e.repetition or 0, e.data_element is None))
        for f in order:
            where = str(f.element or 0)
            repeat = f.repetition if not v4010 else None
            if f.component or repeat:
                where += w.comp + (str(f.component) if f.component else "")
            if repeat:
                where += w.comp + str(repeat)
            code = f.x12_code or ""
            if v4010:
                code = _AK403_4010.get(code, code)
            key = (where, code)
            if key in seen:
                continue
            seen.add(key)
            element = f.data_element or ""
            w.seg(ik4, where, element if element.isdigit() and len(element) <= 4 else "", code)


def _group_codes(group: GroupAck) -> list[str]:
    codes = {f.x12_code for f in group.findings
             if _reportable(f) and f.level is Level.GROUP and f.x12_code in AK905}
    return sorted((c for c in codes if c), key=_code_order)[:5]


def _written_sets(group: GroupAck) -> list[SetAck]:
    """The sets the 999 has an AK2 loop for: none when the group itself is rejected (its AK9
    says so), else every set it can name (`set_nameable`)."""
    if any(f.rejects for f in group.findings):
        return []
    return [s for s in group.sets if set_nameable(s.transaction_set_id, s.control_number)]


def ak9_code(group: GroupAck) -> str:
    """AK901: R (group error or no set accepted), P (some rejected), E (errors noted), A.

    Always agrees with the IK5s written: AK904 counts the A and E ones.
    """
    if any(f.rejects for f in group.findings) or not group.sets:
        return "R"
    written = _written_sets(group)
    codes = [ik5_code(s.status) if s in written else "R" for s in group.sets]
    if all(c == "R" for c in codes):
        return "R"
    if "R" in codes:
        return "P"
    return "E" if "E" in codes else "A"


def ack_999(
    header: InterchangeHeader,
    groups: Sequence[GroupAck],
    *,
    ack_control: str,
    now: datetime,
) -> str:
    """The 999 (or, for a 00401 interchange, the 997) acknowledging `groups` of one interchange.

    One outbound interchange (ISA13 = `ack_control`) with one GS*FA (GS06 =
    the same number; GS02/GS03 = the first inbound group's GS03/GS02, cleaned)
    holding one ST*999 per inbound group (ST02 0001, 0002 ...).

    Every group must be `group_nameable` (ValueError otherwise: such an
    interchange is answered by a TA1 024). A group rejected at the group level
    (AK905 codes) gets AK1 and AK9*R with no AK2 loops; otherwise every set
    `set_nameable` gets an AK2 loop. AK904 counts the IK5s that are A or E, so
    the AK9 always agrees with the IK5s.
    """
    if not groups:
        raise ValueError("a 999 needs at least one functional group")
    if not all(group_nameable(g.header) for g in groups):
        raise ValueError("a functional group a 999 cannot name is answered by a TA1 024")
    v4010 = header.version == "00401"
    control = _isa_control(ack_control)
    w = _Writer(header)
    _isa(w, header, control, now)
    first = groups[0].header
    version = ACK_997_VERSION if v4010 else ACK_999_VERSION
    gs02 = w.clean(first.receiver)[:15]
    gs03 = w.clean(first.sender)[:15]
    gs02 = gs02 if len(gs02) >= 2 else _party(w, "", header.receiver_id)[1].strip()
    gs03 = gs03 if len(gs03) >= 2 else _party(w, "", header.sender_id)[1].strip()
    w.seg("GS", "FA", gs02, gs03, now.strftime("%Y%m%d"),
          now.strftime("%H%M"), str(int(control)), "X", version)
    for n, group in enumerate(groups, start=1):
        start = len(w.lines)
        st02 = f"{n:04d}"
        gh = group.header
        if v4010:
            w.seg("ST", "997", st02)
            w.seg("AK1", gh.functional_id, gh.control_number)
        else:
            w.seg("ST", "999", st02, ACK_999_VERSION)
            w.seg("AK1", gh.functional_id, gh.control_number, gh.version)
        accepted = 0
        for s in _written_sets(group):
            if v4010:
                w.seg("AK2", s.transaction_set_id, s.control_number)
            else:
                ref = s.implementation_reference
                w.seg("AK2", s.transaction_set_id, s.control_number,
                      ref if _fits(ref, 1, 35, w.forbidden) else "")
            _segment_loops(w, s, v4010)
            code = ik5_code(s.status)
            accepted += code != "R"
            w.seg("AK5" if v4010 else "IK5", code, *([] if code == "A" else _set_codes(s, v4010)))
        received = len(group.sets)
        included = group.included if group.included is not None else received
        codes = _group_codes(group)
        if v4010:
            codes = [c for c in codes if c in _AK905_4010]
        w.seg("AK9", ak9_code(group), str(included), str(received), str(accepted), *codes)
        w.seg("SE", str(len(w.lines) - start + 1), st02)
    w.seg("GE", str(len(groups)), str(int(control)))
    w.seg("IEA", "1", control)
    return w.text()
