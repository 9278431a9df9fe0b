"""The 834 loop builder: the segments of one ST..SE → header + member transactions.

`SetBuilder` is fed the segments strictly between ST and SE, in order. It
returns the `TransactionSetHeader` when the first INS (or the end) closes the
header, and each `MemberTransaction` as soon as the next INS or the end closes
its 2000 loop, so memory stays flat in the number of members.

Conservation: every segment fed is either mapped into a record or reported as
a finding ('model.unmapped_segment', or a finding that says why it could not
be mapped). `stats` counts both; `mapped + reported == fed` always holds and
each reported segment has a finding at its position.

Records (msgspec Structs) are built by keyword without validation, for speed;
the builder guarantees the field types itself (dates parsed, enums looked up in
precomputed tables, unknown codes → None + finding).
The header half and the shared helpers live in `edi.build_header`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import msgspec
from msgspec.structs import replace

from edi import codes as c
from edi.build_header import BLANK, BuilderBase
from edi.envelope import Context
from edi.findings import Level, Severity
from edi.loops import (
    _DATES,
    ADDRESS_LOOPS,
    BENEFIT_STATUS,
    CATEGORY_LOOPS,
    COBRA_EVENT,
    CONFIDENTIALITY,
    CONTACT_LOOPS,
    COVERAGE_LEVEL,
    COVERAGE_LOOPS,
    EMPLOYMENT_STATUS,
    EMPTY_NAME,
    ENTITY_LOOPS,
    GENDER,
    INSURANCE_LINE,
    MAINTENANCE_REASON,
    MAINTENANCE_TYPE,
    MARITAL_STATUS,
    MEDICARE_PLAN,
    MEDICARE_REASON,
    NM1_LOOPS,
    RECORDS,
    RELATIONSHIP,
    SINGLE_ENTITY_LOOPS,
    STUDENT_STATUS,
    YES_NO,
    Assembly,
    BuildStats,
    CategoryLoop,
    CobLoop,
    CoverageLoop,
    Entity,
    MemberLoop,
    assemble,
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
    MemberVerdict,
    PersonName,
    Reference,
    TransactionSetHeader,
)
from edi.segments import Segment

_HEADER_DATE_LOOPS = frozenset({"HEADER", "1000A", "1000B", "1000C", "1100C"})
Closed = TransactionSetHeader | MemberTransaction | MemberVerdict | msgspec.Struct
"""What a segment closes: the set's header or a member (a record, a verdict, or what the
builder's `assembly` built)."""
ENVELOPE_IDS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
"""Segment ids that end a set's run of segments (the reader's: never fed to a builder)."""


_READ = Demographics()
"""The demographics of an entity read for the verdict only (`records=False`): there, not kept."""

_REMEMBERED = 4096
"""Distinct INS / HD element tuples kept per set (bounded: memory stays flat)."""


def _stop(seg: Segment) -> bool:
    """`SetBuilder.feed_run`'s marker for the envelope ids: the run ends before them."""
    raise AssertionError("an envelope segment is never fed to a set's builder")


def _remember(seen: dict[tuple[str, ...], tuple[Any, ...]], key: tuple[str, ...],
              fields: tuple[Any, ...]) -> None:
    if len(seen) >= _REMEMBERED:
        seen.clear()
    seen[key] = fields


class SetBuilder(BuilderBase):
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
                 lenient: bool = False, records: bool = True) -> None:
        super().__init__(st, lineage, ctx, version4010=version4010, lenient=lenient)
        self.records = records
        """False: each closed member is a `MemberVerdict` (lineage, findings, rejected);
        every check runs as before, only the member's record is not assembled."""
        self.assembly: Assembly | None = None
        """When set (and `records`), a member whose loop has no findings is assembled by it
        (`edi.loops.assemble`) instead of as a `MemberTransaction`; its owner sets it only
        while nothing else can add findings to the members it closes (the reader: while
        no finding waits in its queue)."""
        # INS and HD elements repeat across members: their clean readings are
        # kept (shared, never mutated) so each distinct one is decoded once
        self._ins_seen: dict[tuple[str, ...], tuple[Any, ...]] = {}
        self._hd_seen: dict[tuple[str, ...], tuple[Any, ...]] = {}
        self._handlers: dict[str, Callable[[Segment], bool]] = {
            "REF": self._ref, "DTP": self._dtp, "NM1": self._nm1,
            "PER": self._per, "N3": self._n3, "N4": self._n4, "DMG": self._dmg, "EC": self._ec,
            "ICM": self._icm, "AMT": self._amt, "HLH": self._hlh, "LUI": self._lui,
            "DSB": self._dsb_seg, "HD": self._hd, "IDC": self._idc, "LX": self._lx,
            "PLA": self._pla, "COB": self._cob_seg, "LS": self._ls, "LE": self._le,
            "N1": self._n1, "BGN": self._bgn, "QTY": self._qty, "ACT": self._act,
        }
        # feed_run's table: every handler, plus INS and the envelope ids as markers (one
        # dict look-up per segment decides all three). A builder holds 28 attributes: from
        # 30 on, CPython 3.11 keeps them in a dict instead of inline, and every `self.` in
        # the handlers costs a look-up (+0.6 % of `parse --json`'s instructions, measured)
        self._run_handlers: dict[str, Callable[[Segment], bool]] = {
            **self._handlers, "INS": self._ins, **dict.fromkeys(ENVELOPE_IDS, _stop)}

    # ------------------------------------------------------------ driving

    def feed(self, seg: Segment) -> Closed | None:
        """Map one segment; returns the header or a member when this segment closes one."""
        if seg.id == "INS":
            done: Closed | None = None
            if self._header is not None:
                done = self._build_header(self._last)
            elif self._member is not None:
                done = self._build_member(self._member, self._last)
            self._last = seg
            self._ins(seg)
            self._mapped += 1
            return done
        self._last = seg
        try:
            handler = self._handlers[seg.id]
        except KeyError:
            self._unmapped(seg)
            self._reported.append(seg.position)
            return None
        if handler(seg):
            self._mapped += 1
        else:
            self._reported.append(seg.position)
        return None

    def feed_run(self, items: list[Any], i: int,
                 ) -> tuple[int, list[Closed]]:
        """`feed` each of `items[i:]` up to the first that is not a segment or is an
        envelope segment (ISA, IEA, GS, GE, ST, SE); returns the index of that item (or
        len(items)) and what those segments closed, in order. The reader's loop for the
        segments of a set: one call per run of them instead of one per segment."""
        out: list[Closed] = []
        handlers = self._run_handlers
        ins = handlers["INS"]
        unmapped = self._unmapped
        stop = _stop
        reported = self._reported
        start, reported_before = i, len(reported)
        last = self._last
        n = len(items)
        while i < n:
            seg = items[i]
            if type(seg) is not Segment:
                break
            try:
                handler = handlers[seg.id]
            except KeyError:
                handler = unmapped
            if handler is stop:  # an envelope segment
                break
            i += 1
            if handler is ins:
                if self._header is not None:
                    out.append(self._build_header(last))
                elif self._member is not None:
                    out.append(self._build_member(self._member, last))
                last = seg
                ins(seg)
                continue
            last = seg
            if not handler(seg):
                reported.append(seg.position)
        self._last = last
        # every segment fed is mapped, or reported with its position appended above
        self._mapped += (i - start) - (len(reported) - reported_before)
        return i, out

    @property
    def stats(self) -> BuildStats:
        """Conservation counters so far (`fed` = mapped + reported, counted separately)."""
        reported = len(self._reported)
        return BuildStats(fed=self._mapped + reported, mapped=self._mapped, reported=reported,
                          reported_positions=list(self._reported))

    def close(self) -> list[Closed]:
        """End of the set: the header (if no INS came) and the last member."""
        out: list[Closed] = []
        if self._header is not None:
            out.append(self._build_header(self._last))
        if self._member is not None:
            out.append(self._build_member(self._member, self._last))
        return out

    # ------------------------------------------------------------ 2000

    def _ins(self, seg: Segment) -> bool:
        self.members += 1
        # an INS read before gives its fields to the constructor (a Struct's attribute is set
        # through the generic path); a new one is read onto the loop, which takes its findings
        m = MemberLoop(seg, self.members, self._ins_seen.get(seg.elements, ()))
        self._member = m
        self._loop = "2000"
        self._entity = self._coverage = self._cob = self._category = None
        self._dsb = None
        fields = m.fields
        if not fields:
            fields = m.fields = self._ins_fields(seg, m)
        if fields[0]:
            self.subscribers += 1
        return True

    def _ins_fields(self, seg: Segment, m: MemberLoop) -> tuple[Any, ...]:
        """INS01..17 as `MemberLoop.fields` (reported on `m`); remembered when clean."""
        el = ("",) + seg.elements + BLANK
        sub = YES_NO.get(el[1])
        if sub is None:
            self._report(seg, "model.unknown_code", Severity.ERROR, Level.ELEMENT,
                         "INS01 is neither Y nor N", "7", 1)
        ins06 = el[6]
        if self.version4010:
            plan_raw, reason_raw = ins06, ""
        else:
            plan_raw, _, reason_raw = ins06.partition(seg.delimiters.component)
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
        seq_raw = el[17]
        birth_seq: int | None = None
        if seq_raw:
            seq_raw = seq_raw.strip()
            if seq_raw.isdigit():
                birth_seq = int(seq_raw)
            elif seq_raw:
                self._report(seg, "model.invalid_number", Severity.WARNING, Level.ELEMENT,
                             "INS17 birth sequence is not a number", "6", 17)
        relationship = RELATIONSHIP.get(el[2])
        maintenance_type = MAINTENANCE_TYPE.get(el[3])
        maintenance_reason = MAINTENANCE_REASON.get(el[4])
        benefit_status = BENEFIT_STATUS.get(el[5])
        medicare_plan = MEDICARE_PLAN.get(plan_raw)
        medicare_reason = MEDICARE_REASON.get(reason_raw)
        cobra_event = COBRA_EVENT.get(el[7])
        employment_status = EMPLOYMENT_STATUS.get(el[8])
        student_status = STUDENT_STATUS.get(el[9])
        confidentiality = CONFIDENTIALITY.get(el[13])
        if ((relationship is None and el[2]) or (maintenance_type is None and el[3])
                or (maintenance_reason is None and el[4]) or (benefit_status is None and el[5])
                or (medicare_plan is None and plan_raw) or (medicare_reason is None and reason_raw)
                or (cobra_event is None and el[7]) or (employment_status is None and el[8])
                or (student_status is None and el[9]) or (confidentiality is None and el[13])):
            # some code is padded or unknown: the exact path, which reports in element order
            err = Severity.ERROR
            relationship = self._code(seg, 2, RELATIONSHIP, el[2], err)
            maintenance_type = self._code(seg, 3, MAINTENANCE_TYPE, el[3], err)
            maintenance_reason = self._code(seg, 4, MAINTENANCE_REASON, el[4])
            benefit_status = self._code(seg, 5, BENEFIT_STATUS, el[5], err)
            medicare_plan = self._code(seg, 6, MEDICARE_PLAN, plan_raw)
            medicare_reason = self._code(seg, 6, MEDICARE_REASON, reason_raw)
            cobra_event = self._code(seg, 7, COBRA_EVENT, el[7])
            employment_status = self._code(seg, 8, EMPLOYMENT_STATUS, el[8])
            student_status = self._code(seg, 9, STUDENT_STATUS, el[9])
            confidentiality = self._code(seg, 13, CONFIDENTIALITY, el[13])
        fields = (bool(sub), relationship, maintenance_type, maintenance_reason, benefit_status,
                  medicare_plan, medicare_reason, cobra_event, employment_status, student_status,
                  handicap, death, confidentiality, birth_seq)
        if not m.findings:
            _remember(self._ins_seen, seg.elements, fields)
        return fields

    def _ref(self, seg: Segment) -> bool:
        m = self._member
        if m is None:
            return self._header_ref(seg)
        el = seg.elements + BLANK
        loop = self._loop
        q = el[0]
        if loop == "2000":
            if q == "0F" and not m.subscriber_number:
                m.subscriber_number = el[1]
            elif q == "1L" and not m.group_policy:
                m.group_policy = el[1]
            elif q in c.IDENTIFIER_QUALIFIERS and q not in ("0F", "1L"):
                m.refs += (self._reference(seg, el),)
            else:
                return self._unmapped(seg)
            return True
        if loop == "2300" and self._coverage is not None:
            if q == "QQ" and not self._coverage.qq:
                self._coverage.qq = el[1]
            else:
                self._coverage.refs += (self._reference(seg, el),)
            return True
        if loop == "2320" and self._cob is not None:
            self._cob.refs.append(self._reference(seg, el))
            return True
        cat = self._category
        if loop == "2750" and cat is not None and not cat.qualifier:
            cat.qualifier = q
            cat.value = el[1]
            return True
        return self._unmapped(seg)

    @staticmethod
    def _reference(seg: Segment, el: tuple[str, ...]) -> Reference:
        return Reference(qualifier=el[0], value=el[1], description=el[2],
                         position=seg.position)

    def _dtp(self, seg: Segment) -> bool:
        loop = self._loop
        target: list[DatePeriod] | None
        if loop == "2300" and self._coverage is not None:
            target = self._coverage.dates
        elif loop == "2000":
            target = self._member.dates if self._member is not None else None
        elif loop == "2200" and self._dsb is not None:
            target = self._dsb
        elif loop == "2320" and self._cob is not None:
            target = self._cob.dates
        elif loop in _HEADER_DATE_LOOPS and self._header is not None:
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
                cat.value = seg.get(3)
            return True
        else:
            return self._unmapped(seg)
        if target is None:
            return self._unmapped(seg)
        el = seg.elements
        begin = _DATES.get(el[2]) if len(el) > 2 and el[1] == "D8" else None
        if begin is not None:  # a D8 date seen before: the common case, inline
            if self.records or target is self._header_dates:  # the header is always built
                target.append(DatePeriod(qualifier=el[0], begin=begin, end=None,
                                         position=seg.position))
            return True
        value = self._dtp_value(seg)
        if value is None:
            return False
        target.append(value)
        return True

    # ------------------------------------------------------------ 2100 loops

    def _nm1(self, seg: Segment) -> bool:
        m = self._member
        if m is None:
            return self._unmapped(seg)
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
        el = seg.elements + BLANK
        target = ENTITY_LOOPS.get(el[0])
        if target is None or loop not in NM1_LOOPS:
            return self._unmapped(seg)
        by_loop = m.by_loop
        count = by_loop.get(target, 0)
        if count >= (1 if target in SINGLE_ENTITY_LOOPS else 13 if target == "2100G" else 3):
            return self._unmapped(seg)
        by_loop[target] = count + 1
        self._loop = target
        # the loop's name, as `_person` reads it (inline: one call less per member)
        e = self._entity = Entity(target, PersonName(
            entity_code=el[0], entity_type=el[1], last=el[2], first=el[3],
            middle=el[4], prefix=el[5], suffix=el[6], id_qualifier=el[7],
            id=el[8], relationship_code=el[9], position=seg.position,
        ) if self.records else EMPTY_NAME)
        m.entities.append(e)
        return True

    def _person(self, seg: Segment) -> PersonName:
        if not self.records:
            return EMPTY_NAME  # read for the verdict: an entity has a name, never read
        el = seg.elements + BLANK
        return PersonName(
            entity_code=el[0], entity_type=el[1], last=el[2], first=el[3],
            middle=el[4], prefix=el[5], suffix=el[6], id_qualifier=el[7],
            id=el[8], relationship_code=el[9], position=seg.position,
        )

    def _per(self, seg: Segment) -> bool:
        e = self._entity
        limit = 2 if self._loop == "2310" else 1
        if e is None or self._loop not in CONTACT_LOOPS or len(e.contacts) >= limit:
            return self._unmapped(seg)
        el = ("",) + seg.elements + BLANK
        numbers = tuple([(el[i], el[i + 1]) for i in (3, 5, 7) if el[i] or el[i + 1]])
        e.contacts += (Contact(function=el[1], name=el[2], numbers=numbers,
                               position=seg.position),)
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
        el = ("",) + seg.elements + BLANK
        if el[5] and self.records:
            comp = seg.delimiters.component
            races = tuple(r.replace(comp, ":") for r in seg.repeats(5) if r)
        else:
            races = ()
        if el[1] and el[1] != "D8":
            self._report(seg, "model.unknown_code", Severity.WARNING, Level.ELEMENT,
                         "DMG01 date format is not D8", "7", 1)
        birth = parse_d8(el[2]) if el[2] else None
        if birth is None and el[2]:
            self._report(seg, "model.invalid_date", Severity.ERROR, Level.ELEMENT,
                         "DMG02 is not a valid CCYYMMDD date", "8", 2)
        gender = GENDER.get(el[3])
        if gender is None and el[3]:
            gender = self._code(seg, 3, GENDER, el[3])
        marital = MARITAL_STATUS.get(el[4])
        if marital is None and el[4]:
            marital = self._code(seg, 4, MARITAL_STATUS, el[4])
        e.dmg = Demographics(
            birth_date=birth, gender=gender,
            marital_status=marital, race_ethnicity=races, citizenship=el[6],
            race_collection_code=el[11], position=seg.position,
        ) if self.records else _READ  # read for the verdict: the loop has its DMG
        return True

    def _in_2100a(self) -> Entity | None:
        e = self._entity
        return e if e is not None and self._loop == "2100A" else None

    def _ec(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + BLANK
        e = self._in_2100a()
        if e is None:
            return self._unmapped(seg)
        e.ecs += tuple([x for x in (el[1], el[2], el[3]) if x])
        return True

    def _icm(self, seg: Segment) -> bool:
        e = self._in_2100a()
        if e is None or e.icm is not None:
            return self._unmapped(seg)
        el = ("",) + seg.elements + BLANK
        e.icm = Income(frequency=el[1], wage=el[2], hours=el[3],
                       location=el[4], salary_grade=el[5])
        return True

    def _amt(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + BLANK
        amount = Amount(qualifier=el[1], amount=el[2], position=seg.position)
        e = self._in_2100a()
        if e is not None and len(e.amts) < 7:
            e.amts += (amount,)
            return True
        if self._loop == "2300" and self._coverage is not None and len(self._coverage.amts) < 9:
            self._coverage.amts += (amount,)
            return True
        return self._unmapped(seg)

    def _hlh(self, seg: Segment) -> bool:
        el = ("",) + seg.elements + BLANK
        e = self._in_2100a()
        if e is None or e.hlh is not None:
            return self._unmapped(seg)
        e.hlh = HealthInfo(health_code=el[1], height=el[2], weight=el[3])
        return True

    def _lui(self, seg: Segment) -> bool:
        e = self._in_2100a()
        if e is None:
            return self._unmapped(seg)
        el = ("",) + seg.elements + BLANK
        e.luis += (Language(qualifier=el[1], code=el[2], description=el[3],
                            use=el[4]),)
        return True

    # ------------------------------------------------------------ 2200 / 2300 and below

    def _dsb_seg(self, seg: Segment) -> bool:
        m = self._member
        if m is None or self._loop in COVERAGE_LOOPS or self._loop in CATEGORY_LOOPS:
            return self._unmapped(seg)
        self._loop = "2200"
        self._entity = None
        self._dsb = []
        m.disabilities += ((seg, self._dsb),)
        return True

    def _hd(self, seg: Segment) -> bool:
        m = self._member
        if m is None or self._loop in CATEGORY_LOOPS or len(m.coverages) >= 99:
            return self._unmapped(seg)
        fields = self._hd_seen.get(seg.elements)
        if fields is None:
            fields = self._hd_fields(seg, m)
        else:
            self._loop = "2300"
            self._entity = self._cob = None
        self._coverage = CoverageLoop(seg, fields)
        m.coverages.append(self._coverage)
        return True

    def _hd_fields(self, seg: Segment, m: MemberLoop) -> tuple[Any, ...]:
        """HD01..09 as `CoverageLoop.fields` (reported on `m`, entering 2300); remembered when clean."""
        found = len(m.findings)
        el = ("",) + seg.elements + BLANK
        late = YES_NO.get(el[9])
        if late is None and el[9].strip():
            self._report(seg, "model.unknown_code", Severity.WARNING, Level.ELEMENT,
                         "HD09 is neither Y nor N", "7", 9)
        self._loop = "2300"
        self._entity = self._cob = None
        maintenance_type = MAINTENANCE_TYPE.get(el[1])
        if maintenance_type is None and el[1]:
            maintenance_type = self._code(seg, 1, MAINTENANCE_TYPE, el[1], Severity.ERROR)
        line = INSURANCE_LINE.get(el[3])
        if line is None and el[3]:
            line = self._code(seg, 3, INSURANCE_LINE, el[3])
        level = COVERAGE_LEVEL.get(el[5])
        if level is None and el[5]:
            level = self._code(seg, 5, COVERAGE_LEVEL, el[5])
        fields = (maintenance_type, el[2], line, el[4], level, late)
        if len(m.findings) == found:
            _remember(self._hd_seen, seg.elements, fields)
        return fields

    def _idc(self, seg: Segment) -> bool:
        cov = self._coverage
        if self._loop != "2300" or cov is None or len(cov.idcs) >= 3:
            return self._unmapped(seg)
        el = ("",) + seg.elements + BLANK
        cov.idcs += (IdCard(plan_coverage_description=el[1], card_type=el[2],
                            quantity=el[3], action=el[4]),)
        return True

    def _lx(self, seg: Segment) -> bool:
        if self._loop in CATEGORY_LOOPS:
            self._category = CategoryLoop(seg.position)
            assert self._member is not None
            self._member.categories += (self._category,)
            self._loop = "2700"
            return True
        cov = self._coverage
        if cov is None or self._loop not in ("2300", "2310") or len(cov.providers) >= 30:
            return self._unmapped(seg)
        self._loop = "2310"
        self._entity = Entity("2310", None, seg.get(1))
        cov.providers += (self._entity,)
        return True

    def _pla(self, seg: Segment) -> bool:
        e = self._entity
        if self._loop != "2310" or e is None or e.pla is not None:
            return self._unmapped(seg)
        if seg.get(3):
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
        cov.cobs += (self._cob,)
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

    def _build_member(self, m: MemberLoop, last: Segment) -> Closed:
        self._member = None
        if "2100A" not in m.by_loop:
            self._report(m.ins, "model.missing_member_name", self.strictness, Level.SEGMENT,
                         "member loop has no 2100A member name (NM1*IL)", "3", member=m,
                         loop="2000")
        if not m.subscriber_number:
            self._report(m.ins, "model.missing_subscriber_number", self.strictness, Level.SEGMENT,
                         "member loop has no REF*0F subscriber number", "3", member=m,
                         loop="2000")
        ins = m.ins
        if not self.records:
            findings = m.findings
            return MemberVerdict(
                lineage=replace(self.lineage, first_position=ins.position,
                                last_position=last.position, first_offset=ins.offset,
                                member_ordinal=m.ordinal),
                findings=findings, rejected=any(
                    f.severity is Severity.ERROR for f in findings) if findings else False)
        assembly = self.assembly
        if assembly is not None and not m.findings:
            assembled: msgspec.Struct = assemble(m, assembly.lineage(
                self.lineage, ins.position, last.position, ins.offset, m.ordinal), assembly)
            return assembled
        member: MemberTransaction = assemble(m, replace(
            self.lineage, first_position=ins.position, last_position=last.position,
            first_offset=ins.offset, member_ordinal=m.ordinal), RECORDS)
        return member
