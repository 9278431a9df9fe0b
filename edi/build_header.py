"""The half of the 834 builder every loop shares: state, findings, codes, dates, and the header.

`BuilderBase` holds one transaction set's builder state, the helpers that turn
elements into typed values (reporting what cannot be mapped), and the
handlers of the header (BGN, REF*38, DTP, QTY, 1000A/B/C N1 and 1100C ACT).
`edi.build.SetBuilder` adds the 2000 member loops and the driving API.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, TypeVar

from msgspec.structs import replace

from edi.envelope import Context, safe_id
from edi.findings import Finding, Level, Severity
from edi.loops import (
    ACTION_CODE,
    BGN_PURPOSE,
    CATEGORY_LOOPS,
    PARTY_CODES,
    CategoryLoop,
    CobLoop,
    CoverageLoop,
    Entity,
    MemberLoop,
    parse_d8,
)
from edi.records import DatePeriod, Lineage, Party, TransactionSetHeader
from edi.segments import Segment

E = TypeVar("E", bound=StrEnum)
BLANK = ("",) * 20
"""Padding so `el[n]` is element n (1-based) or '' when absent, without a call per element."""
_PARTY_LOOP = {"P5": "1000A", "IN": "1000B"}


class BuilderBase:
    """State and shared helpers of `edi.build.SetBuilder`, plus the header handlers.

    Handlers take one segment and return True when they mapped it, False when
    they reported it instead (each report is a finding at its position).
    """

    def __init__(self, st: Segment, lineage: Lineage, ctx: Context, *, version4010: bool = False,
                 lenient: bool = False) -> None:
        self.st = st
        self.strictness = Severity.WARNING if lenient else Severity.ERROR
        self.lineage = lineage
        """A member's lineage is this one with its positions and ordinal replaced."""
        self.ctx = ctx
        self.version4010 = version4010
        self._mapped = 0
        self._reported: list[int] = []
        self.findings: list[Finding] = []
        """Findings outside any member (header), in order."""
        self.members = 0
        self.subscribers = 0
        self.control_totals: list[tuple[str, int, Segment]] = []
        self._header: dict[str, Any] | None = {}
        self._header_dates: list[DatePeriod] = []
        self._parties: list[Party] = []
        self._last = st
        """The last segment fed."""
        self._member: MemberLoop | None = None
        self._loop = "HEADER"
        self._entity: Entity | None = None
        self._coverage: CoverageLoop | None = None
        self._cob: CobLoop | None = None
        self._dsb: list[DatePeriod] | None = None
        self._category: CategoryLoop | None = None

    # ------------------------------------------------------------ findings

    def _report(self, seg: Segment, code: str, severity: Severity, level: Level, message: str,
                x12: str | None, element: int | None = None, *, member: MemberLoop | None = None,
                loop: str | None = None) -> None:
        m = member or self._member
        f = self.ctx.finding(
            code, severity, level, message, seg, x12_code=x12, element=element,
            loop_id=loop or self._loop, member_ordinal=m.ordinal if m is not None else None,
            validator="model", in_set=True,
        )
        if m is not None:
            m.findings += (f,)
        else:
            self.findings.append(f)

    def _unmapped(self, seg: Segment) -> bool:
        sid = safe_id(seg.id)
        if sid is None:
            self._report(seg, "model.unrecognized_segment", self.strictness, Level.SEGMENT,
                         f"unrecognized segment id in loop {self._loop}; not mapped", "1")
        else:
            self._report(seg, "model.unmapped_segment", self.strictness, Level.SEGMENT,
                         f"{sid} segment not expected in loop {self._loop}; not mapped", "2")
        return False

    def _code(self, seg: Segment, element: int, table: dict[str, E], raw: str,
              severity: Severity = Severity.WARNING) -> E | None:
        """The enum for a code element (padding tolerated); unknown → None + finding."""
        value = table.get(raw)
        if value is not None or not raw:
            return value
        value = table.get(raw.strip())
        if value is None and raw.strip():
            self._report(seg, "model.unknown_code", severity, Level.ELEMENT,
                         f"{seg.id}{element:02d} holds a code outside its code list", "7",
                         element)
        return value

    def _dtp_value(self, seg: Segment) -> DatePeriod | None:
        el = seg.elements
        if len(el) > 2 and el[1] == "D8":
            begin = parse_d8(el[2])
            if begin is not None:
                return DatePeriod(qualifier=el[0], begin=begin, end=None,
                                  position=seg.position)
        return self._dtp_slow(seg)

    def _dtp_slow(self, seg: Segment) -> DatePeriod | None:
        el = ("",) + seg.elements + BLANK
        fmt = el[2]
        raw = el[3]
        begin: dt.date | None
        end: dt.date | None = None
        if fmt == "D8":
            begin = parse_d8(raw)
        elif fmt == "RD8":
            begin = parse_d8(raw[:8])
            end = parse_d8(raw[9:]) if len(raw) == 17 and raw[8] == "-" else None
            if end is None:
                begin = None
        else:
            self._report(seg, "model.unknown_code", Severity.ERROR, Level.ELEMENT,
                         "DTP02 date format is neither D8 nor RD8", "7", 2)
            return None
        if begin is None:
            self._report(seg, "model.invalid_date", Severity.ERROR, Level.ELEMENT,
                         "DTP03 is not a valid date for its format", "8", 3)
            return None
        return DatePeriod(qualifier=el[1], begin=begin, end=end,
                          position=seg.position)

    def _date_element(self, seg: Segment, element: int) -> dt.date | None:
        raw = seg.get(element)
        if not raw:
            return None
        value = parse_d8(raw)
        if value is None:
            self._report(seg, "model.invalid_date", Severity.ERROR, Level.ELEMENT,
                         f"{seg.id}{element:02d} is not a valid CCYYMMDD date", "8", element)
        return value

    # ------------------------------------------------------------ header

    def _bgn(self, seg: Segment) -> bool:
        h = self._header
        if h is None or "purpose" in h:
            return self._unmapped(seg)
        el = ("",) + seg.elements + BLANK
        h.update(
            purpose=self._code(seg, 1, BGN_PURPOSE, el[1]), reference=el[2],
            date=self._date_element(seg, 3), time=el[4], time_zone=el[5], original_reference=el[6],
            action_code=self._code(seg, 8, ACTION_CODE, el[8]),
        )
        return True

    def _qty(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + BLANK
        if self._header is None:
            return self._unmapped(seg)
        raw = el[2].strip()
        try:
            value = int(float(raw))
        except ValueError:
            self._report(seg, "model.invalid_number", Severity.ERROR, Level.ELEMENT,
                         "QTY02 is not a number", "6", 2)
            return False
        self.control_totals.append((el[1], value, seg))
        return True

    def _n1(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + BLANK
        code = el[1]
        if self._loop in CATEGORY_LOOPS and code == "75" and self._category is not None:
            self._category.name = el[2]
            self._loop = "2750"
            return True
        if self._header is None or code not in PARTY_CODES:
            return self._unmapped(seg)
        self._loop = _PARTY_LOOP.get(code, "1000C")
        self._parties.append(Party(entity_code=code, name=el[2], id_qualifier=el[3], id=el[4],
                                   account_number="", position=seg.position))
        return True

    def _act(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + BLANK
        if self._loop != "1000C" or not self._parties or self._parties[-1].account_number:
            return self._unmapped(seg)
        last = self._parties[-1]
        self._parties[-1] = replace(last, account_number=el[1])
        self._loop = "1100C"
        return True

    def _header_ref(self, seg: Segment) -> bool:
        """A REF before the first INS: only REF*38 (master policy), once."""
        h = self._header
        el = seg.elements
        if (h is not None and self._loop == "HEADER" and el and el[0] == "38"
                and "master_policy" not in h):
            h["master_policy"] = el[1] if len(el) > 1 else ""
            return True
        return self._unmapped(seg)

    def _build_header(self, last: Segment) -> TransactionSetHeader:
        h = self._header or {}
        self._header = None
        parties = self._parties
        sponsor = next((p for p in parties if p.entity_code == "P5"), None)
        payer = next((p for p in parties if p.entity_code == "IN"), None)
        lineage = replace(self.lineage, first_position=self.st.position,
                          last_position=last.position, first_offset=self.st.offset)
        return TransactionSetHeader(
            lineage=lineage, transaction_set_id=self.st.get(1),
            implementation_reference=self.st.get(3), **h, dates=tuple(self._header_dates),
            control_totals=tuple((q, n) for q, n, _ in self.control_totals),
            sponsor=sponsor, payer=payer,
            administrators=tuple(p for p in parties if p.entity_code in ("TV", "BO")),
        )
