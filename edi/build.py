"""The 834 loop builder: the segments of one ST..SE → header + member transactions.

`SetBuilder` is fed the segments strictly between ST and SE, in order. It
returns the `TransactionSetHeader` when the first INS (or the end) closes the
header, and each `MemberTransaction` as soon as the next INS or the end closes
its 2000 loop, so memory stays flat in the number of members.

Conservation: every segment fed is either mapped into a record or reported as
a finding ('model.unmapped_segment', or a finding that says why it could not
be mapped). `stats` counts both; `mapped + reported == fed` always holds and
each reported segment has a finding at its position.

Records are built with `edi.loops.construct` (`model_construct` without
validation) for speed; the builder guarantees the field types itself (dates
parsed, enums looked up in precomputed tables, unknown codes → None + finding).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, TypeVar

from edi import codes as c
from edi.envelope import Context, safe_id
from edi.findings import Finding, Level, Severity
from edi.loops import (
    ACTION_CODE,
    ADDRESS_LOOPS,
    BENEFIT_STATUS,
    BGN_PURPOSE,
    CATEGORY_LOOPS,
    COBRA_EVENT,
    CONFIDENTIALITY,
    CONTACT_LOOPS,
    COVERAGE_LEVEL,
    COVERAGE_LOOPS,
    EMPLOYMENT_STATUS,
    ENTITY_LOOPS,
    GENDER,
    INSURANCE_LINE,
    MAINTENANCE_REASON,
    MAINTENANCE_TYPE,
    MARITAL_STATUS,
    MEDICARE_PLAN,
    MEDICARE_REASON,
    NM1_LOOPS,
    PARTY_CODES,
    RELATIONSHIP,
    SINGLE_ENTITY_LOOPS,
    STUDENT_STATUS,
    YES_NO,
    BuildStats,
    CategoryLoop,
    CobLoop,
    CoverageLoop,
    Entity,
    MemberLoop,
    assemble_member,
    construct,
    parse_d8,
)
from edi.records import (
    Amount,
    Contact,
    DatePeriod,
    Demographics,
    HealthInfo,
    IdCard,
    Income,
    Language,
    Lineage,
    MemberTransaction,
    Party,
    PersonName,
    Reference,
    TransactionSetHeader,
)
from edi.segments import Segment

E = TypeVar("E", bound=StrEnum)
_BLANK = ("",) * 20
"""Padding so `el[n]` is element n (1-based) or '' when absent, without a call per element."""


class SetBuilder:
    """Builds one transaction set's header and members from its segments.

    Feed every segment strictly between ST and SE to `feed()`; call `close()`
    once at SE (or where the set ends). `lineage` is the set's lineage
    (source, envelope keys, ST position); records get copies with their own
    positions. `version4010` selects the 4010 reading of INS06. `lenient`
    (used for the 005010X307 exchange variant, which adds segments X220A1
    does not define) reports unmapped segments and missing required ones as
    WARNINGs instead of ERRORs.
    """

    def __init__(self, st: Segment, lineage: Lineage, ctx: Context, *, version4010: bool = False,
                 lenient: bool = False) -> None:
        self.st = st
        self.strictness = Severity.WARNING if lenient else Severity.ERROR
        self.lineage = lineage
        self._lineage_base = {k: v for k, v in lineage.__dict__.items()
                              if k not in ("first_position", "last_position", "first_offset",
                                           "member_ordinal")}
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
        self._header_last = st
        self._member: MemberLoop | None = None
        self._loop = "HEADER"
        self._entity: Entity | None = None
        self._coverage: CoverageLoop | None = None
        self._cob: CobLoop | None = None
        self._dsb: list[DatePeriod] | None = None
        self._category: CategoryLoop | None = None
        self._handlers = {
            "INS": self._ins, "REF": self._ref, "DTP": self._dtp, "NM1": self._nm1,
            "PER": self._per, "N3": self._n3, "N4": self._n4, "DMG": self._dmg, "EC": self._ec,
            "ICM": self._icm, "AMT": self._amt, "HLH": self._hlh, "LUI": self._lui,
            "DSB": self._dsb_seg, "HD": self._hd, "IDC": self._idc, "LX": self._lx,
            "PLA": self._pla, "COB": self._cob_seg, "LS": self._ls, "LE": self._le,
            "N1": self._n1, "BGN": self._bgn, "QTY": self._qty, "ACT": self._act,
        }

    # ------------------------------------------------------------ driving

    def feed(self, seg: Segment) -> TransactionSetHeader | MemberTransaction | None:
        """Map one segment; returns the header or a member when this segment closes one."""
        sid = seg.id
        if sid == "INS":
            done = self._close_current(seg)
            self._ins(seg)
            self._mapped += 1
            return done
        m = self._member
        if m is not None:
            m.last = seg
        else:
            self._header_last = seg
        handler = self._handlers.get(sid)
        if handler is not None and handler(seg):
            self._mapped += 1
        else:
            if handler is None:
                self._unmapped(seg)
            self._reported.append(seg.position)
        return None

    @property
    def stats(self) -> BuildStats:
        """Conservation counters so far (`fed` = mapped + reported, counted separately)."""
        reported = len(self._reported)
        return BuildStats(fed=self._mapped + reported, mapped=self._mapped, reported=reported,
                          reported_positions=list(self._reported))

    def close(self) -> list[TransactionSetHeader | MemberTransaction]:
        """End of the set: the header (if no INS came) and the last member."""
        out: list[TransactionSetHeader | MemberTransaction] = []
        if self._header is not None:
            out.append(self._build_header())
        if self._member is not None:
            out.append(self._build_member(self._member))
            self._member = None
        return out

    def _close_current(self, ins: Segment) -> TransactionSetHeader | MemberTransaction | None:
        if self._header is not None:
            return self._build_header()
        if self._member is not None:
            return self._build_member(self._member)
        return None

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
        (m.findings if m is not None else self.findings).append(f)

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
        el = ("",) + seg.elements + _BLANK
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
        return construct(DatePeriod, qualifier=el[1], begin=begin, end=end,
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
        el = ("",) + seg.elements + _BLANK
        h.update(
            purpose=self._code(seg, 1, BGN_PURPOSE, el[1]), reference=el[2],
            date=self._date_element(seg, 3), time=el[4], time_zone=el[5], original_reference=el[6],
            action_code=self._code(seg, 8, ACTION_CODE, el[8]),
        )
        return True

    def _qty(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + _BLANK
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
        el = ("",) + seg.elements + _BLANK
        code = el[1]
        if self._loop in CATEGORY_LOOPS and code == "75" and self._category is not None:
            self._category.name = el[2]
            self._loop = "2750"
            return True
        if self._header is None or code not in PARTY_CODES:
            return self._unmapped(seg)
        self._loop = {"P5": "1000A", "IN": "1000B"}.get(code, "1000C")
        self._parties.append(construct(
            Party, entity_code=code, name=el[2], id_qualifier=el[3], id=el[4],
            account_number="", position=seg.position))
        return True

    def _act(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + _BLANK
        if self._loop != "1000C" or not self._parties or self._parties[-1].account_number:
            return self._unmapped(seg)
        last = self._parties[-1]
        self._parties[-1] = last.model_copy(update={"account_number": el[1]})
        self._loop = "1100C"
        return True

    def _build_header(self) -> TransactionSetHeader:
        h = self._header or {}
        self._header = None
        parties = self._parties
        sponsor = next((p for p in parties if p.entity_code == "P5"), None)
        payer = next((p for p in parties if p.entity_code == "IN"), None)
        lineage = self.lineage.model_copy(update={
            "first_position": self.st.position, "last_position": self._header_last.position,
            "first_offset": self.st.offset})
        return construct(
            TransactionSetHeader, lineage=lineage, transaction_set_id=self.st.get(1),
            implementation_reference=self.st.get(3), **h, dates=tuple(self._header_dates),
            control_totals=tuple((q, n) for q, n, _ in self.control_totals),
            sponsor=sponsor, payer=payer,
            administrators=tuple(p for p in parties if p.entity_code in ("TV", "BO")),
        )

    # ------------------------------------------------------------ 2000

    def _ins(self, seg: Segment) -> bool:
        self.members += 1
        m = MemberLoop(seg, self.members)
        self._member = m
        self._loop = "2000"
        self._entity = self._coverage = self._cob = self._category = None
        self._dsb = None
        el = ("",) + seg.elements + _BLANK
        sub = YES_NO.get(el[1])
        if sub is None:
            self._report(seg, "model.unknown_code", Severity.ERROR, Level.ELEMENT,
                         "INS01 is neither Y nor N", "7", 1)
        if sub:
            self.subscribers += 1
        ins06 = el[6]
        if self.version4010:
            plan_raw, reason_raw = ins06, ""
        else:
            comp = seg.delimiters.component
            plan_raw, _, reason_raw = ins06.partition(comp)
        handicap = YES_NO.get(el[10])
        if handicap is None and el[10].strip():
            self._report(seg, "model.unknown_code", Severity.WARNING, Level.ELEMENT,
                         "INS10 is neither Y nor N", "7", 10)
        death: dt.date | None = None
        if el[11] or el[12]:
            if el[11] != "D8":
                self._report(seg, "model.unknown_code", Severity.WARNING, Level.ELEMENT,
                             "INS11 date format is not D8", "7", 11)
            death = self._date_element(seg, 12)
        seq_raw = el[17].strip()
        birth_seq: int | None = None
        if seq_raw:
            if seq_raw.isdigit():
                birth_seq = int(seq_raw)
            else:
                self._report(seg, "model.invalid_number", Severity.WARNING, Level.ELEMENT,
                             "INS17 birth sequence is not a number", "6", 17)
        err = Severity.ERROR
        m.fields = {
            "subscriber": bool(sub),
            "relationship": self._code(seg, 2, RELATIONSHIP, el[2], err),
            "maintenance_type": self._code(seg, 3, MAINTENANCE_TYPE, el[3], err),
            "maintenance_reason": self._code(seg, 4, MAINTENANCE_REASON, el[4]),
            "benefit_status": self._code(seg, 5, BENEFIT_STATUS, el[5], err),
            "medicare_plan": self._code(seg, 6, MEDICARE_PLAN, plan_raw),
            "medicare_reason": self._code(seg, 6, MEDICARE_REASON, reason_raw),
            "cobra_event": self._code(seg, 7, COBRA_EVENT, el[7]),
            "employment_status": self._code(seg, 8, EMPLOYMENT_STATUS, el[8]),
            "student_status": self._code(seg, 9, STUDENT_STATUS, el[9]),
            "handicap": handicap,
            "death_date": death,
            "confidentiality": self._code(seg, 13, CONFIDENTIALITY, el[13]),
            "birth_sequence": birth_seq,
        }
        return True

    def _ref(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + _BLANK
        loop = self._loop
        q = el[1]
        m = self._member
        if m is None:
            h = self._header
            if h is not None and loop == "HEADER" and q == "38" and "master_policy" not in h:
                h["master_policy"] = el[2]
                return True
            return self._unmapped(seg)
        if loop == "2000":
            if q == "0F" and not m.subscriber_number:
                m.subscriber_number = el[2]
            elif q == "1L" and not m.group_policy:
                m.group_policy = el[2]
            elif q in c.IDENTIFIER_QUALIFIERS and q not in ("0F", "1L"):
                m.refs.append(self._reference(seg))
            else:
                return self._unmapped(seg)
            return True
        if loop == "2300" and self._coverage is not None:
            if q == "QQ" and not self._coverage.qq:
                self._coverage.qq = el[2]
            else:
                self._coverage.refs.append(self._reference(seg))
            return True
        if loop in ("2320",) and self._cob is not None:
            self._cob.refs.append(self._reference(seg))
            return True
        cat = self._category
        if loop == "2750" and cat is not None and not cat.qualifier:
            cat.qualifier = q
            cat.value = el[2]
            return True
        return self._unmapped(seg)

    @staticmethod
    def _reference(seg: Segment) -> Reference:
        el = ("",) + seg.elements + _BLANK
        return construct(Reference, qualifier=el[1], value=el[2], description=el[3],
                         position=seg.position)

    def _dtp(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + _BLANK
        loop = self._loop
        if loop == "2000":
            target = self._member.dates if self._member is not None else None
        elif loop == "2300" and self._coverage is not None:
            target = self._coverage.dates
        elif loop == "2200" and self._dsb is not None:
            target = self._dsb
        elif loop == "2320" and self._cob is not None:
            target = self._cob.dates
        elif loop in ("HEADER", "1000A", "1000B", "1000C", "1100C") and self._header is not None:
            if loop != "HEADER":
                return self._unmapped(seg)
            target = self._header_dates
        elif loop == "2750" and self._category is not None and self._category.date is None:
            d = self._dtp_value(seg)
            if d is None:
                return False
            cat = self._category
            cat.date = d.begin
            if not cat.qualifier:
                cat.value = el[3]
            return True
        else:
            return self._unmapped(seg)
        if target is None:
            return self._unmapped(seg)
        value = self._dtp_value(seg)
        if value is None:
            return False
        target.append(value)
        return True

    # ------------------------------------------------------------ 2100 loops

    def _nm1(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + _BLANK
        m = self._member
        if m is None:
            return self._unmapped(seg)
        code = el[1]
        loop = self._loop
        if loop == "2310" and self._entity is not None and self._entity.name is None:
            self._entity.name = self._person(seg)
            return True
        if loop in ("2320", "2330") and self._cob is not None:
            if len(self._cob.entities) >= 3:
                return self._unmapped(seg)
            self._entity = Entity("2330", self._person(seg))
            self._cob.entities.append(self._entity)
            self._loop = "2330"
            return True
        target = ENTITY_LOOPS.get(code)
        if target is None or loop not in NM1_LOOPS:
            return self._unmapped(seg)
        count = m.by_loop.get(target, 0)
        if count >= (1 if target in SINGLE_ENTITY_LOOPS else 13 if target == "2100G" else 3):
            return self._unmapped(seg)
        m.by_loop[target] = count + 1
        self._loop = target
        self._entity = Entity(target, self._person(seg))
        m.entities.append(self._entity)
        return True

    @staticmethod
    def _person(seg: Segment) -> PersonName:
        el = ("",) + seg.elements + _BLANK
        return construct(
            PersonName, entity_code=el[1], entity_type=el[2], last=el[3], first=el[4],
            middle=el[5], prefix=el[6], suffix=el[7], id_qualifier=el[8], id=el[9],
            relationship_code=el[10], position=seg.position)

    def _per(self, seg: Segment) -> bool:
        e = self._entity
        limit = 2 if self._loop == "2310" else 1
        if e is None or self._loop not in CONTACT_LOOPS or len(e.contacts) >= limit:
            return self._unmapped(seg)
        el = ("",) + seg.elements + _BLANK
        numbers = tuple((el[i], el[i + 1]) for i in (3, 5, 7) if el[i] or el[i + 1])
        e.contacts.append(construct(Contact, function=el[1], name=el[2], numbers=numbers,
                                    position=seg.position))
        return True

    def _n3(self, seg: Segment) -> bool:
        e = self._entity
        if e is None or self._loop not in ADDRESS_LOOPS or e.n3 is not None:
            return self._unmapped(seg)
        e.n3 = seg
        return True

    def _n4(self, seg: Segment) -> bool:
        e = self._entity
        if e is None or self._loop not in ADDRESS_LOOPS or e.n4 is not None:
            return self._unmapped(seg)
        e.n4 = seg
        return True

    def _dmg(self, seg: Segment) -> bool:
        e = self._entity
        if e is None or self._loop not in ("2100A", "2100B") or e.dmg is not None:
            return self._unmapped(seg)
        el = ("",) + seg.elements + _BLANK
        comp = seg.delimiters.component
        races = tuple(r.replace(comp, ":") for r in seg.repeats(5) if r)
        if el[1] and el[1] != "D8":
            self._report(seg, "model.unknown_code", Severity.WARNING, Level.ELEMENT,
                         "DMG01 date format is not D8", "7", 1)
        e.dmg = construct(
            Demographics, birth_date=self._date_element(seg, 2),
            gender=self._code(seg, 3, GENDER, el[3]),
            marital_status=self._code(seg, 4, MARITAL_STATUS, el[4]), race_ethnicity=races,
            citizenship=el[6], race_collection_code=el[11], position=seg.position)
        return True

    def _in_2100a(self) -> Entity | None:
        e = self._entity
        return e if e is not None and self._loop == "2100A" else None

    def _ec(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + _BLANK
        e = self._in_2100a()
        if e is None:
            return self._unmapped(seg)
        e.ecs.extend(x for x in (el[1], el[2], el[3]) if x)
        return True

    def _icm(self, seg: Segment) -> bool:
        e = self._in_2100a()
        if e is None or e.icm is not None:
            return self._unmapped(seg)
        el = ("",) + seg.elements + _BLANK
        e.icm = construct(Income, frequency=el[1], wage=el[2], hours=el[3], location=el[4],
                          salary_grade=el[5])
        return True

    def _amt(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + _BLANK
        amount = construct(Amount, qualifier=el[1], amount=el[2], position=seg.position)
        e = self._in_2100a()
        if e is not None and len(e.amts) < 7:
            e.amts.append(amount)
            return True
        if self._loop == "2300" and self._coverage is not None and len(self._coverage.amts) < 9:
            self._coverage.amts.append(amount)
            return True
        return self._unmapped(seg)

    def _hlh(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + _BLANK
        e = self._in_2100a()
        if e is None or e.hlh is not None:
            return self._unmapped(seg)
        e.hlh = construct(HealthInfo, health_code=el[1], height=el[2], weight=el[3])
        return True

    def _lui(self, seg: Segment) -> bool:
        e = self._in_2100a()
        if e is None:
            return self._unmapped(seg)
        el = ("",) + seg.elements + _BLANK
        e.luis.append(construct(Language, qualifier=el[1], code=el[2], description=el[3],
                                use=el[4]))
        return True

    # ------------------------------------------------------------ 2200 / 2300 and below

    def _dsb_seg(self, seg: Segment) -> bool:
        m = self._member
        if m is None or self._loop in COVERAGE_LOOPS or self._loop in CATEGORY_LOOPS:
            return self._unmapped(seg)
        self._loop = "2200"
        self._entity = None
        self._dsb = []
        m.disabilities.append((seg, self._dsb))
        return True

    def _hd(self, seg: Segment) -> bool:
        m = self._member
        if m is None or self._loop in CATEGORY_LOOPS or len(m.coverages) >= 99:
            return self._unmapped(seg)
        el = ("",) + seg.elements + _BLANK
        late = YES_NO.get(el[9])
        if late is None and el[9].strip():
            self._report(seg, "model.unknown_code", Severity.WARNING, Level.ELEMENT,
                         "HD09 is neither Y nor N", "7", 9)
        self._loop = "2300"
        self._entity = self._cob = None
        self._coverage = CoverageLoop(seg, {
            "maintenance_type": self._code(seg, 1, MAINTENANCE_TYPE, el[1], Severity.ERROR),
            "maintenance_reason": el[2],
            "insurance_line": self._code(seg, 3, INSURANCE_LINE, el[3]),
            "plan_description": el[4],
            "coverage_level": self._code(seg, 5, COVERAGE_LEVEL, el[5]),
            "late_enrollment": late,
        })
        m.coverages.append(self._coverage)
        return True

    def _idc(self, seg: Segment) -> bool:
        cov = self._coverage
        if self._loop != "2300" or cov is None or len(cov.idcs) >= 3:
            return self._unmapped(seg)
        el = ("",) + seg.elements + _BLANK
        cov.idcs.append(construct(IdCard, plan_coverage_description=el[1], card_type=el[2],
                                  quantity=el[3], action=el[4]))
        return True

    def _lx(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + _BLANK
        if self._loop in CATEGORY_LOOPS:
            self._category = CategoryLoop(seg.position)
            assert self._member is not None
            self._member.categories.append(self._category)
            self._loop = "2700"
            return True
        cov = self._coverage
        if cov is None or self._loop not in ("2300", "2310") or len(cov.providers) >= 30:
            return self._unmapped(seg)
        self._loop = "2310"
        self._entity = Entity("2310", None, el[1])
        cov.providers.append(self._entity)
        return True

    def _pla(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + _BLANK
        e = self._entity
        if self._loop != "2310" or e is None or e.pla is not None:
            return self._unmapped(seg)
        if el[3]:
            self._date_element(seg, 3)
        e.pla = seg
        return True

    def _cob_seg(self, seg: Segment) -> bool:
        cov = self._coverage
        if cov is None or self._loop not in COVERAGE_LOOPS:
            return self._unmapped(seg)
        self._loop = "2320"
        self._entity = None
        self._cob = CobLoop(seg)
        cov.cobs.append(self._cob)
        return True

    def _ls(self, seg: Segment) -> bool:
        m = self._member
        if m is None or self._loop in CATEGORY_LOOPS or m.categories:
            return self._unmapped(seg)
        self._loop = "2700"
        self._entity = self._coverage = self._cob = None
        self._dsb = None
        return True

    def _le(self, seg: Segment) -> bool:
        if self._loop not in CATEGORY_LOOPS:
            return self._unmapped(seg)
        self._loop = "2000-LE"
        self._category = None
        return True

    # ------------------------------------------------------------ member

    def _build_member(self, m: MemberLoop) -> MemberTransaction:
        self._member = None
        if "2100A" not in m.by_loop:
            self._report(m.ins, "model.missing_member_name", self.strictness, Level.SEGMENT,
                         "member loop has no 2100A member name (NM1*IL)", "3", member=m,
                         loop="2000")
        if not m.subscriber_number:
            self._report(m.ins, "model.missing_subscriber_number", self.strictness, Level.SEGMENT,
                         "member loop has no REF*0F subscriber number", "3", member=m,
                         loop="2000")
        lineage = construct(
            Lineage, **self._lineage_base, first_position=m.ins.position,
            last_position=m.last.position, first_offset=m.ins.offset, member_ordinal=m.ordinal)
        return assemble_member(m, lineage)
