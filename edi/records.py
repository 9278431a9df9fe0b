"""The typed, frozen records edi/ produces — the contract with matching/ and ledger/.

Reading a file yields a stream of events (see `Event`): the start of an
interchange, group and transaction set (with their headers), one
`MemberTransaction` per 2000 loop as soon as it is complete, findings, and the
ends of each envelope with their verdicts. Every record carries its `Lineage`.

Code-list fields hold the enum from `edi.codes` when the code is known and
None when absent or unknown (an unknown code is reported as a finding).

Records are `msgspec.Struct`s: frozen (nothing mutates them after they are
built), keyword-only, compiled, and not tracked by the cycle collector (a record
only holds strings, numbers, dates, enums, tuples and other records, so it can
never be part of a cycle). The builders construct them without validation from
values they have already checked (codes looked up in `edi.codes`, dates parsed
by `edi.loops.parse_d8`); `decode_json` validates every field (types, enums,
dates, unknown fields refused), as pydantic did when records were read back.
`encode_json` / `decode_json` are the stored form (the ledger's review items and
reconciliation rows): every field, enums as their codes, ISO dates.
`json_schema()` publishes the records' JSON Schema (edi/records.schema.json).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, TypeVar

import msgspec

from edi.codes import (
    ActionCode,
    BenefitStatus,
    BgnPurpose,
    CobraEvent,
    Confidentiality,
    CoverageLevel,
    EmploymentStatus,
    Gender,
    InsuranceLine,
    MaintenanceReason,
    MaintenanceType,
    MaritalStatus,
    MedicarePlan,
    MedicareReason,
    Relationship,
    StudentStatus,
)
from edi.findings import Finding
from edi.segments import Delimiters


class Record(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, gc=False):
    """Base of every edi record: frozen, keyword-only, no unknown fields when decoded."""


# ---------------------------------------------------------------- lineage


class Lineage(Record, frozen=True, kw_only=True):
    """Where a record came from: file, envelope keys and the segments it spans."""

    source: str
    """File name as given by the caller."""
    file_sha256: str | None = None
    sender_qualifier: str = ""
    sender_id: str = ""
    receiver_qualifier: str = ""
    receiver_id: str = ""
    interchange_control: str = ""
    """ISA13."""
    group_control: str = ""
    """GS06."""
    set_control: str = ""
    """ST02."""
    first_position: int = 0
    """Segment position (1-based, in the file) of the first segment of the record."""
    last_position: int = 0
    first_offset: int = 0
    """Byte offset of the first segment in the original file."""
    member_ordinal: int | None = None
    """1-based ordinal of the 2000 loop inside its transaction set."""


# ---------------------------------------------------------------- building blocks


class DatePeriod(Record, frozen=True, kw_only=True):
    """A DTP: qualifier (e.g. '348') with a date (D8) or a range (RD8: begin..end)."""

    qualifier: str
    begin: dt.date
    end: dt.date | None = None
    """Only for RD8 ranges."""
    position: int = 0


class Reference(Record, frozen=True, kw_only=True):
    """A REF: qualifier and value (value may be an identifier: PHI)."""

    qualifier: str
    value: str
    description: str = ""
    position: int = 0


class Amount(Record, frozen=True, kw_only=True):
    """An AMT: qualifier and amount."""

    qualifier: str
    amount: str
    position: int = 0


class Contact(Record, frozen=True, kw_only=True):
    """A PER: function code, name, and (qualifier, number) pairs."""

    function: str
    name: str = ""
    numbers: tuple[tuple[str, str], ...] = ()
    position: int = 0


class Address(Record, frozen=True, kw_only=True):
    """N3 + N4."""

    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    location_qualifier: str = ""
    """N405: 60 area, CY county."""
    location_id: str = ""
    country_subdivision: str = ""


class PersonName(Record, frozen=True, kw_only=True):
    """An NM1: entity code and type, name parts, id qualifier and id."""

    entity_code: str
    entity_type: str = ""
    last: str = ""
    first: str = ""
    middle: str = ""
    prefix: str = ""
    suffix: str = ""
    id_qualifier: str = ""
    """NM108: '34' = SSN, 'ZZ' mutually defined, 'FI', 'XX' ... """
    id: str = ""
    relationship_code: str = ""
    """NM110 (2310 provider: 25 established, 26 not established, 72 unknown)."""
    position: int = 0


class Demographics(Record, frozen=True, kw_only=True):
    """A DMG."""

    birth_date: dt.date | None = None
    gender: Gender | None = None
    marital_status: MaritalStatus | None = None
    race_ethnicity: tuple[str, ...] = ()
    """DMG05 repetitions, each as 'code' or 'code:RET:subcode' normalised to ':'."""
    citizenship: str = ""
    race_collection_code: str = ""
    """DMG11."""
    position: int = 0


class Income(Record, frozen=True, kw_only=True):
    """An ICM."""

    frequency: str = ""
    wage: str = ""
    hours: str = ""
    location: str = ""
    salary_grade: str = ""


class HealthInfo(Record, frozen=True, kw_only=True):
    """An HLH."""

    health_code: str = ""
    height: str = ""
    weight: str = ""


class Language(Record, frozen=True, kw_only=True):
    """A LUI."""

    qualifier: str = ""
    code: str = ""
    description: str = ""
    use: str = ""


class Party(Record, frozen=True, kw_only=True):
    """A 1000-loop N1 (sponsor P5, payer IN, TPA TV, broker BO) with its ACT account."""

    entity_code: str
    name: str = ""
    id_qualifier: str = ""
    id: str = ""
    account_number: str = ""
    """1100C ACT01, for TV/BO."""
    position: int = 0


# ---------------------------------------------------------------- 2100 loops


class MemberName(Record, frozen=True, kw_only=True):
    """2100A: the member's (new) name and person data."""

    name: PersonName
    contact: Contact | None = None
    address: Address | None = None
    demographics: Demographics | None = None
    employment_classes: tuple[str, ...] = ()
    income: Income | None = None
    amounts: tuple[Amount, ...] = ()
    health: HealthInfo | None = None
    languages: tuple[Language, ...] = ()


class IncorrectMember(Record, frozen=True, kw_only=True):
    """2100B: the OLD values a demographic correction replaces."""

    name: PersonName
    demographics: Demographics | None = None


class RelatedEntity(Record, frozen=True, kw_only=True):
    """2100C–H and 2330: an NM1 with its address and contact."""

    loop_id: str
    """'2100C' mailing address, '2100D' employer, '2100E' school, '2100F' custodial
    parent, '2100G' responsible person, '2100H' drop-off location, '2330' COB entity."""
    name: PersonName
    address: Address | None = None
    contact: Contact | None = None


class Disability(Record, frozen=True, kw_only=True):
    """2200: DSB with its DTP 360/361."""

    disability_type: str = ""
    diagnosis_qualifier: str = ""
    diagnosis: str = ""
    dates: tuple[DatePeriod, ...] = ()
    position: int = 0


# ---------------------------------------------------------------- 2300 and below


class IdCard(Record, frozen=True, kw_only=True):
    """An IDC."""

    plan_coverage_description: str = ""
    card_type: str = ""
    quantity: str = ""
    action: str = ""


class Provider(Record, frozen=True, kw_only=True):
    """2310: LX + NM1 provider with address, contacts and PLA change reason."""

    sequence: str = ""
    name: PersonName
    address: Address | None = None
    contacts: tuple[Contact, ...] = ()
    change_reason: str = ""
    change_date: dt.date | None = None


class CoordinationOfBenefits(Record, frozen=True, kw_only=True):
    """2320: COB with REFs, DTP 344/345, and its 2330 entities."""

    payer_responsibility: str = ""
    """COB01: P primary, S secondary, T tertiary, U unknown."""
    policy_number: str = ""
    coordination: str = ""
    """COB03: 1 coordination, 5 unknown, 6 no coordination."""
    service_types: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    dates: tuple[DatePeriod, ...] = ()
    entities: tuple[RelatedEntity, ...] = ()
    position: int = 0


class Coverage(Record, frozen=True, kw_only=True):
    """2300: one HD with its dates, amounts, references, id cards, providers and COB."""

    maintenance_type: MaintenanceType | None = None
    maintenance_reason: str = ""
    insurance_line: InsuranceLine | None = None
    plan_description: str = ""
    coverage_level: CoverageLevel | None = None
    late_enrollment: bool | None = None
    dates: tuple[DatePeriod, ...] = ()
    amounts: tuple[Amount, ...] = ()
    references: tuple[Reference, ...] = ()
    prior_coverage_months: str = ""
    """REF*QQ."""
    id_cards: tuple[IdCard, ...] = ()
    providers: tuple[Provider, ...] = ()
    coordination: tuple[CoordinationOfBenefits, ...] = ()
    position: int = 0
    """Segment position of the HD."""

    def date(self, qualifier: str) -> DatePeriod | None:
        """The first DTP with this qualifier (e.g. '348' benefit begin)."""
        return next((d for d in self.dates if d.qualifier == qualifier), None)


class ReportingCategory(Record, frozen=True, kw_only=True):
    """2700/2750: LX + N1*75 name + REF value + DTP*007 date, as a name → value pair."""

    name: str
    value: str = ""
    reference_qualifier: str = ""
    date: dt.date | None = None
    position: int = 0


# ---------------------------------------------------------------- member transaction


class MemberTransaction(Record, frozen=True, kw_only=True):
    """One 2000 member loop: who, what change, which coverages, and where it came from.

    `findings` are the findings located inside this member loop; `rejected` is
    True when any of them rejects the member (it then never reaches the ledger).
    """

    lineage: Lineage
    subscriber: bool
    """INS01 = Y."""
    relationship: Relationship | None = None
    maintenance_type: MaintenanceType | None = None
    maintenance_reason: MaintenanceReason | None = None
    benefit_status: BenefitStatus | None = None
    medicare_plan: MedicarePlan | None = None
    medicare_reason: MedicareReason | None = None
    cobra_event: CobraEvent | None = None
    employment_status: EmploymentStatus | None = None
    student_status: StudentStatus | None = None
    handicap: bool | None = None
    death_date: dt.date | None = None
    confidentiality: Confidentiality | None = None
    birth_sequence: int | None = None
    subscriber_number: str = ""
    """REF*0F: the subscriber's number, on every member of the family."""
    group_policy_number: str = ""
    """REF*1L."""
    identifiers: tuple[Reference, ...] = ()
    """Supplemental 2000 REFs (17, 23, 3H, 4A, 6O, ABB, D3, DX, F6, P5, Q4, QQ, ZZ)."""
    dates: tuple[DatePeriod, ...] = ()
    member: MemberName
    incorrect: IncorrectMember | None = None
    mailing_address: RelatedEntity | None = None
    employers: tuple[RelatedEntity, ...] = ()
    schools: tuple[RelatedEntity, ...] = ()
    custodial_parent: RelatedEntity | None = None
    responsible_persons: tuple[RelatedEntity, ...] = ()
    drop_off_location: RelatedEntity | None = None
    disabilities: tuple[Disability, ...] = ()
    coverages: tuple[Coverage, ...] = ()
    reporting_categories: tuple[ReportingCategory, ...] = ()
    findings: tuple[Finding, ...] = ()
    rejected: bool = False

    def date(self, qualifier: str) -> DatePeriod | None:
        """The first member-level DTP with this qualifier (e.g. '356' eligibility begin)."""
        return next((d for d in self.dates if d.qualifier == qualifier), None)

    def identifier(self, qualifier: str) -> str:
        """The first supplemental REF value with this qualifier, '' if none."""
        return next((r.value for r in self.identifiers if r.qualifier == qualifier), "")

    @property
    def ssn(self) -> str:
        """NM109 when NM108 = 34, else ''."""
        n = self.member.name
        return n.id if n.id_qualifier == "34" else ""

    @property
    def medicare_id(self) -> str:
        """REF*F6 (HIC/MBI), '' if none."""
        return self.identifier("F6")


class MemberVerdict(Record, frozen=True, kw_only=True):
    """A member loop read for its verdict only (`edi.reader.read(..., records=False)`):
    where it is, the findings located inside it and whether they reject it, exactly as
    its `MemberTransaction` would carry them; the member's values are not assembled."""

    lineage: Lineage
    findings: tuple[Finding, ...] = ()
    rejected: bool = False


# ---------------------------------------------------------------- envelope headers


class InterchangeHeader(Record, frozen=True, kw_only=True):
    """ISA."""

    source: str
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    date: str
    time: str
    version: str
    """ISA12: '00501' or '00401'."""
    control_number: str
    ack_requested: bool
    usage: str
    """ISA15: P production, T test."""
    element_separator: str
    component_separator: str
    segment_terminator: str
    repetition_separator: str | None
    offset: int = 0
    position: int = 0
    file_sha256: str | None = None

    @property
    def delimiters(self) -> Delimiters:
        return Delimiters(
            element=self.element_separator,
            component=self.component_separator,
            segment=self.segment_terminator,
            repetition=self.repetition_separator,
        )


class GroupHeader(Record, frozen=True, kw_only=True):
    """GS."""

    functional_id: str
    sender: str
    receiver: str
    date: str
    time: str
    control_number: str
    agency: str
    version: str
    """GS08: '005010X220A1', '004010X095A1' ..."""
    position: int = 0


class TransactionSetHeader(Record, frozen=True, kw_only=True):
    """ST + BGN + header REF/DTP/QTY + 1000A/B/C parties."""

    lineage: Lineage
    transaction_set_id: str = "834"
    implementation_reference: str = ""
    """ST03."""
    purpose: BgnPurpose | None = None
    reference: str = ""
    date: dt.date | None = None
    time: str = ""
    time_zone: str = ""
    original_reference: str = ""
    action_code: ActionCode | None = None
    master_policy: str = ""
    """REF*38."""
    dates: tuple[DatePeriod, ...] = ()
    control_totals: tuple[tuple[str, int], ...] = ()
    """QTY: ('TO', n), ('DT', n), ('ET', n)."""
    sponsor: Party | None = None
    payer: Party | None = None
    administrators: tuple[Party, ...] = ()
    """1000C TPA (TV) / broker (BO) with their ACT account."""


# ---------------------------------------------------------------- stream events


class SetStatus(StrEnum):
    """A transaction set's verdict, as the 999's IK5/AK9 say it."""

    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"


class InterchangeStart(Record, frozen=True, kw_only=True):
    header: InterchangeHeader


class GroupStart(Record, frozen=True, kw_only=True):
    header: GroupHeader
    interchange_control: str


class SetStart(Record, frozen=True, kw_only=True):
    header: TransactionSetHeader


class SetEnd(Record, frozen=True, kw_only=True):
    """The end of a transaction set: its verdict and the findings not inside a member."""

    lineage: Lineage
    status: SetStatus
    members: int
    rejected_members: int
    findings: tuple[Finding, ...] = ()


class GroupEnd(Record, frozen=True, kw_only=True):
    control_number: str
    interchange_control: str
    findings: tuple[Finding, ...] = ()


class InterchangeEnd(Record, frozen=True, kw_only=True):
    control_number: str
    findings: tuple[Finding, ...] = ()
    ta1_note: str = "000"
    """TA105 note code for this interchange ('000' none)."""


Event = (
    InterchangeStart
    | GroupStart
    | SetStart
    | MemberTransaction
    | MemberVerdict
    | SetEnd
    | GroupEnd
    | InterchangeEnd
    | Finding
)
"""What `edi.read()` yields, in file order. A bare `Finding` is a file-level finding; a
reading without records yields a `MemberVerdict` where a `MemberTransaction` would be."""


# ---------------------------------------------------------------- stored form and schema

R = TypeVar("R", bound=msgspec.Struct)
_ENCODER = msgspec.json.Encoder()
_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def encode_json(record: msgspec.Struct) -> str:
    """A record (or Finding) as one JSON object: every field, enums as codes, ISO dates."""
    return _ENCODER.encode(record).decode("utf-8")


def decode_json(cls: type[R], data: str | bytes) -> R:
    """A `cls` record from `encode_json`'s output, every field checked (types, enum codes,
    dates, no unknown fields). Raises ValueError on anything else; the message names the
    field path (`$.member.demographics.birth_date`), never its value.
    """
    decoder = _DECODERS.get(cls)
    if decoder is None:
        decoder = _DECODERS[cls] = msgspec.json.Decoder(cls)
    try:
        return decoder.decode(data)  # type: ignore[no-any-return]
    except msgspec.ValidationError as exc:  # its text may quote the value: keep the path only
        where = str(exc).rpartition(" - at ")[2] if " - at " in str(exc) else "$"
        raise ValueError(f"{cls.__name__}: invalid field at {where}") from None
    except msgspec.DecodeError:
        raise ValueError(f"{cls.__name__}: not a JSON record") from None


SCHEMA_TYPES: tuple[type[msgspec.Struct], ...] = (
    MemberTransaction, TransactionSetHeader, InterchangeHeader, GroupHeader, SetEnd,
)


def json_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of the stored records: `MemberTransaction`,
    `TransactionSetHeader`, `InterchangeHeader`, `GroupHeader`, `SetEnd` and every record
    and enum they hold, under `$defs`. edi/records.schema.json is this, written by
    `enroll834 parse --schema` (a test keeps the file equal to it)."""
    _, components = msgspec.json.schema_components(SCHEMA_TYPES,
                                                  ref_template="#/$defs/{name}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "enroll834 edi records",
        "anyOf": [{"$ref": f"#/$defs/{t.__name__}"} for t in SCHEMA_TYPES],
        "$defs": components,
    }
