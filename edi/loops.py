"""The loop accumulators of the 834 builder and member assembly.

`edi.build.SetBuilder` collects one 2000 loop into a `MemberLoop` (mutable,
private to the builder) and turns it into a frozen `MemberTransaction` with
`assemble_member` once the loop is closed. Also the code tables (raw code →
enum member, precomputed so the hot path never re-creates enums) and `parse_d8`.
Records are msgspec Structs built by keyword (no validation: every value is
already typed here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import repeat
from typing import Any, TypeVar

import msgspec
from msgspec.structs import replace

from edi import codes as c
from edi.findings import Finding, Severity
from edi.records import (
    Address,
    Amount,
    Contact,
    CoordinationOfBenefits,
    Coverage,
    DatePeriod,
    Demographics,
    Disability,
    HealthInfo,
    IdCard,
    Income,
    IncorrectMember,
    Language,
    Lineage,
    MemberName,
    MemberTransaction,
    PersonName,
    Provider,
    Reference,
    RelatedEntity,
    ReportingCategory,
)
from edi.segments import Segment

E = TypeVar("E", bound=StrEnum)


def _table(enum: type[E]) -> dict[str, E]:
    return {m.value: m for m in enum}


RELATIONSHIP = _table(c.Relationship)
MAINTENANCE_TYPE = _table(c.MaintenanceType)
MAINTENANCE_REASON = _table(c.MaintenanceReason)
BENEFIT_STATUS = _table(c.BenefitStatus)
MEDICARE_PLAN = _table(c.MedicarePlan)
MEDICARE_REASON = _table(c.MedicareReason)
COBRA_EVENT = _table(c.CobraEvent)
EMPLOYMENT_STATUS = _table(c.EmploymentStatus)
STUDENT_STATUS = _table(c.StudentStatus)
CONFIDENTIALITY = _table(c.Confidentiality)
GENDER = _table(c.Gender)
MARITAL_STATUS = _table(c.MaritalStatus)
INSURANCE_LINE = _table(c.InsuranceLine)
COVERAGE_LEVEL = _table(c.CoverageLevel)
BGN_PURPOSE = _table(c.BgnPurpose)
ACTION_CODE = _table(c.ActionCode)
YES_NO = {"Y": True, "N": False}

LOOP_2100G = frozenset(
    ["6Y", "9K", "E1", "EI", "EXS", "GB", "GD", "J6", "LR", "QD", "S1", "TZ", "X4"]
)
ENTITY_LOOPS: dict[str, str] = {
    "IL": "2100A", "74": "2100A", "70": "2100B", "31": "2100C", "36": "2100D",
    "M8": "2100E", "S3": "2100F", "45": "2100H", **{code: "2100G" for code in LOOP_2100G},
}
"""2100 loop selected by NM101."""
SINGLE_ENTITY_LOOPS = frozenset({"2100A", "2100B", "2100C", "2100F", "2100H"})
PARTY_CODES = frozenset({"P5", "IN", "TV", "BO"})
CONTACT_LOOPS = frozenset({"2100A", "2100D", "2100E", "2100F", "2100G", "2310", "2330"})
ADDRESS_LOOPS = frozenset(
    {"2100A", "2100C", "2100D", "2100E", "2100F", "2100G", "2100H", "2310", "2330"}
)
COVERAGE_LOOPS = frozenset({"2300", "2310", "2320", "2330"})
CATEGORY_LOOPS = frozenset({"2700", "2750"})
NM1_LOOPS = frozenset(
    {"2000", "2100A", "2100B", "2100C", "2100D", "2100E", "2100F", "2100G", "2100H"}
)
"""Loops after which a 2100 NM1 may still start a new 2100 loop."""


@dataclass(slots=True)
class BuildStats:
    """Conservation counters for one transaction set (segments between ST and SE)."""

    fed: int = 0
    mapped: int = 0
    reported: int = 0
    reported_positions: list[int] = field(default_factory=list)
    """Positions of the segments reported instead of mapped (each has a finding there)."""


_from_iso = dt.date.fromisoformat
_DATES: dict[str, dt.date] = {}
"""Valid D8 strings seen so far: files repeat a handful of dates many times."""


def parse_d8(value: str) -> dt.date | None:
    """CCYYMMDD → date, None when malformed or not a calendar date."""
    found = _DATES.get(value)
    if found is not None:
        return found
    if len(value) != 8 or not value.isdigit():
        return None
    try:
        if value.isascii():
            found = _from_iso(value)  # CCYYMMDD is ISO 8601 basic format
        else:
            found = dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None
    if len(_DATES) >= 50_000:  # birth dates are many; keep memory bounded
        _DATES.clear()
    _DATES[value] = found
    return found


class Entity(msgspec.Struct, gc=False):
    """A 2100x / 2310 / 2330 loop being read: NM1 plus what attaches to it.

    The loop accumulators are mutable msgspec Structs: built in C with their defaults (the
    rarely used parts start as the shared empty tuple and grow by `+=`, so most loops never
    allocate them), and not tracked by the cycle collector (they never form a cycle)."""

    loop_id: str
    name: PersonName | None
    sequence: str = ""
    n3: Segment | None = None
    n4: Segment | None = None
    contacts: tuple[Contact, ...] = ()
    dmg: Demographics | None = None
    ecs: tuple[str, ...] = ()
    icm: Income | None = None
    amts: tuple[Amount, ...] = ()
    hlh: HealthInfo | None = None
    luis: tuple[Language, ...] = ()
    pla: Segment | None = None

    def address(self, k: Assembly) -> Any:
        """The loop's `Address` (N3 + N4) built by `k`, None without either."""
        n3, n4 = self.n3, self.n4
        if n3 is None and n4 is None:
            return None
        a = n3.elements + _BLANK if n3 is not None else _BLANK
        b = n4.elements + _BLANK if n4 is not None else _BLANK
        return k.address(
            line1=a[0], line2=a[1], city=b[0], state=b[1], postal_code=b[2],
            country=b[3], location_qualifier=b[4], location_id=b[5],
            country_subdivision=b[6])

    def related(self, k: Assembly) -> Any:
        """The loop as a `RelatedEntity` built by `k`."""
        assert self.name is not None
        return k.related(
            loop_id=self.loop_id, name=self.name, address=self.address(k),
            contact=self.contacts[0] if self.contacts else None)


_BLANK = ("",) * 8


class CoverageLoop(msgspec.Struct, gc=False):
    """A 2300 loop being read (see `Entity`)."""

    hd: Segment
    fields: tuple[Any, ...]
    """maintenance_type, maintenance_reason, insurance_line, plan_description,
    coverage_level, late_enrollment (in the order of `Coverage`; shared, never changed)."""
    dates: list[DatePeriod] = msgspec.field(default_factory=list)
    amts: tuple[Amount, ...] = ()
    refs: tuple[Reference, ...] = ()
    qq: str = ""
    idcs: tuple[IdCard, ...] = ()
    providers: tuple[Entity, ...] = ()
    cobs: tuple[CobLoop, ...] = ()

    def build(self, k: Assembly) -> Any:
        """The loop as a `Coverage` built by `k`."""
        maintenance_type, reason, line, plan, level, late = self.fields
        return k.coverage(
            maintenance_type=maintenance_type,
            maintenance_reason=reason,
            insurance_line=line,
            plan_description=plan,
            coverage_level=level,
            late_enrollment=late,
            dates=tuple(self.dates),
            amounts=self.amts,
            references=self.refs,
            prior_coverage_months=self.qq,
            id_cards=self.idcs,
            providers=tuple([_provider(p, k) for p in self.providers]) if self.providers else (),
            coordination=tuple([b.build(k) for b in self.cobs]) if self.cobs else (),
            position=self.hd.position,
        )


def _provider(p: Entity, k: Assembly) -> Any:
    name = p.name or PersonName(entity_code="", position=0)
    pla = p.pla
    return k.provider(sequence=p.sequence, name=name, address=p.address(k),
                    contacts=p.contacts,
                    change_reason=pla.get(5) if pla is not None else "",
                    change_date=parse_d8(pla.get(3)) if pla is not None else None)


class CobLoop(msgspec.Struct, gc=False):
    """A 2320 loop being read (see `Entity`)."""

    seg: Segment
    refs: list[Reference] = msgspec.field(default_factory=list)
    dates: list[DatePeriod] = msgspec.field(default_factory=list)
    entities: list[Entity] = msgspec.field(default_factory=list)

    def build(self, k: Assembly) -> Any:
        """The loop as a `CoordinationOfBenefits` built by `k`."""
        s = self.seg
        return k.coordination(
            payer_responsibility=s.get(1), policy_number=s.get(2), coordination=s.get(3),
            service_types=tuple(x for x in s.repeats(4) if x), references=tuple(self.refs),
            dates=tuple(self.dates), entities=tuple(e.related(k) for e in self.entities),
            position=s.position)


class CategoryLoop(msgspec.Struct, gc=False):
    """A 2700/2750 reporting category being read (see `Entity`)."""

    position: int
    name: str = ""
    value: str = ""
    qualifier: str = ""
    date: dt.date | None = None


class MemberLoop(msgspec.Struct, gc=False):
    """The 2000 loop being read (see `Entity`)."""

    ins: Segment
    ordinal: int
    fields: tuple[Any, ...] = ()
    """`MemberTransaction`'s fields read from INS, in its order (`INS_FIELDS`; shared, never
    changed)."""
    refs: tuple[Reference, ...] = ()
    dates: list[DatePeriod] = msgspec.field(default_factory=list)
    entities: list[Entity] = msgspec.field(default_factory=list)
    by_loop: dict[str, int] = msgspec.field(default_factory=dict)
    disabilities: tuple[tuple[Segment, list[DatePeriod]], ...] = ()
    coverages: list[CoverageLoop] = msgspec.field(default_factory=list)
    categories: tuple[CategoryLoop, ...] = ()
    findings: tuple[Finding, ...] = ()
    subscriber_number: str = ""
    group_policy: str = ""


class Assembly(msgspec.Struct, frozen=True, gc=False):
    """The constructors `assemble` builds a member's records with. `RECORDS` builds the
    records of `edi.records`; `edi.jsonout.JSON_ASSEMBLY` builds their JSON twins straight
    from the loops (what `parse --json` prints), so both read the loops through the one
    mapping in `assemble`. `member` takes the fields of `MemberTransaction` positionally, in
    declaration order, those read from INS as the one tuple `MemberLoop.fields` holds them
    in (`INS_FIELDS`): a keyword call of 32 arguments cost more than the rest of the twin,
    and CPython compiles a call of more than 30 into a list built item by item, then copied
    into a tuple. The others take their record's keyword arguments. A record built while
    reading a segment (a name, a date, a reference, demographics) is passed to them as it
    is.
    `lineage(set_lineage, first_position, last_position, first_offset, member_ordinal)`
    makes a member's lineage from its set's, as `member` takes it."""

    lineage: Callable[[Lineage, int, int, int, int], Any]
    member: Callable[..., Any]
    member_name: Callable[..., Any]
    incorrect: Callable[..., Any]
    related: Callable[..., Any]
    address: Callable[..., Any]
    coverage: Callable[..., Any]
    provider: Callable[..., Any]
    coordination: Callable[..., Any]
    disability: Callable[..., Any]
    category: Callable[..., Any]


INS_FIELDS = ("subscriber", "relationship", "maintenance_type", "maintenance_reason",
              "benefit_status", "medicare_plan", "medicare_reason", "cobra_event",
              "employment_status", "student_status", "handicap", "death_date",
              "confidentiality", "birth_sequence")
"""The fields of `MemberTransaction` read from INS, in its order: what `MemberLoop.fields`
holds, and what `Assembly.member` takes as one tuple, after the lineage."""
assert MemberTransaction.__struct_fields__[1:1 + len(INS_FIELDS)] == INS_FIELDS


def member_constructor(cls: type[MemberTransaction]) -> Callable[..., Any]:
    """`cls`'s constructor as `Assembly.member` takes its fields: the lineage, the INS fields
    as one tuple (`INS_FIELDS`), then the others, positionally in declaration order."""
    names = cls.__struct_fields__
    rest = names[1 + len(INS_FIELDS):]
    env: dict[str, Any] = {"cls": cls}
    source = (f"def make({names[0]}, fields, {', '.join(rest)}):\n"
              f"    {', '.join(INS_FIELDS)} = fields\n"
              f"    return cls({', '.join(f'{n}={n}' for n in names)})\n")
    exec(source, env)  # noqa: S102 - source built above from field names only
    make: Callable[..., Any] = env["make"]
    return make


ASSEMBLED: dict[str, type[msgspec.Struct]] = {
    "member": MemberTransaction, "member_name": MemberName, "incorrect": IncorrectMember,
    "related": RelatedEntity, "address": Address, "coverage": Coverage, "provider": Provider,
    "coordination": CoordinationOfBenefits, "disability": Disability,
    "category": ReportingCategory}
"""The record type each constructor of an `Assembly` stands for."""


def member_lineage(lineage: Lineage, first_position: int, last_position: int,
                   first_offset: int, member_ordinal: int) -> Lineage:
    """A member's `Lineage`: its set's with the member's positions and ordinal."""
    return replace(lineage, first_position=first_position, last_position=last_position,
                   first_offset=first_offset, member_ordinal=member_ordinal)


LINEAGE_OWN = ("first_position", "last_position", "first_offset", "member_ordinal")
"""The fields of a member's `Lineage` that are its own (the last ones); the others are its
set's."""
assert Lineage.__struct_fields__[-len(LINEAGE_OWN):] == LINEAGE_OWN
RECORDS = Assembly(lineage=member_lineage, **{
    name: member_constructor(MemberTransaction) if name == "member" else cls
    for name, cls in ASSEMBLED.items()})
"""The records of `edi.records` (`assemble_member`)."""


def assemble_member(m: MemberLoop, lineage: Lineage) -> MemberTransaction:
    """The frozen member transaction for a closed 2000 loop (findings must be complete)."""
    member: MemberTransaction = assemble(m, lineage, RECORDS)
    return member


def assemble(m: MemberLoop, lineage: Any, k: Assembly) -> Any:
    """The member transaction of a closed 2000 loop built by `k` (findings must be
    complete): a `MemberTransaction` with `RECORDS`. `lineage` is the member's, as
    `k.lineage` makes it."""
    member = incorrect = mailing_address = custodial_parent = drop_off_location = None
    # the rare repeated loops start as the shared empty tuple (no list per member)
    employers: tuple[Any, ...] = ()
    schools: tuple[Any, ...] = ()
    responsible_persons: tuple[Any, ...] = ()
    for e in m.entities:
        loop = e.loop_id
        assert e.name is not None
        if loop == "2100A":
            member = k.member_name(
                name=e.name, contact=e.contacts[0] if e.contacts else None,
                address=e.address(k), demographics=e.dmg,
                employment_classes=e.ecs, income=e.icm, amounts=e.amts,
                health=e.hlh, languages=e.luis)
        elif loop == "2100B":
            incorrect = k.incorrect(name=e.name, demographics=e.dmg)
        elif loop == "2100C":
            mailing_address = e.related(k)
        elif loop == "2100D":
            employers += (e.related(k),)
        elif loop == "2100E":
            schools += (e.related(k),)
        elif loop == "2100F":
            custodial_parent = e.related(k)
        elif loop == "2100G":
            responsible_persons += (e.related(k),)
        else:
            drop_off_location = e.related(k)
    if member is None:
        member = k.member_name(name=EMPTY_NAME)
    subscriber_number = m.subscriber_number
    group_policy_number = m.group_policy
    identifiers = m.refs
    dates = tuple(m.dates)
    disabilities = tuple([
        k.disability(disability_type=s.get(1), diagnosis_qualifier=s.get(7),
                     diagnosis=s.get(8), dates=tuple(d), position=s.position)
        for s, d in m.disabilities]) if m.disabilities else ()
    coverages = tuple(map(CoverageLoop.build, m.coverages, repeat(k))) if m.coverages else ()
    reporting_categories = tuple([
        k.category(name=cat.name, value=cat.value, reference_qualifier=cat.qualifier,
                   date=cat.date, position=cat.position)
        for cat in m.categories]) if m.categories else ()
    findings = m.findings
    rejected = any(f.severity is Severity.ERROR for f in findings) if findings else False
    # every field of MemberTransaction, in its order, those read from INS as one tuple (see
    # `Assembly`; a test holds the names equal)
    return k.member(
        lineage, m.fields, subscriber_number, group_policy_number, identifiers, dates,
        member, incorrect, mailing_address, employers, schools, custodial_parent,
        responsible_persons, drop_off_location, disabilities, coverages, reporting_categories,
        findings, rejected)


EMPTY_NAME = PersonName(entity_code="", position=0)
