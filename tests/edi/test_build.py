"""The 834 loop builder: every segment lands in its typed field (or becomes a finding)."""

from __future__ import annotations

import datetime as dt

import msgspec
from x834 import HEADER, encode, group, interchange, member, simple, transaction_set

from edi.codes import (
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
from edi.findings import Finding, Level, Severity
from edi.reader import read
from edi.records import (
    ActionCode,
    MemberTransaction,
    SetStart,
    TransactionSetHeader,
    decode_json,
    encode_json,
)


def members(data: bytes) -> list[MemberTransaction]:
    return [e for e in read(data, "t.edi") if isinstance(e, MemberTransaction)]


def only(data: bytes) -> MemberTransaction:
    found = members(data)
    assert len(found) == 1
    return found[0]


def header_of(data: bytes) -> TransactionSetHeader:
    return next(e.header for e in read(data, "t.edi") if isinstance(e, SetStart))


def finding(m: MemberTransaction, code: str) -> Finding:
    found = [f for f in m.findings if f.code == code]
    assert len(found) == 1, [str(f) for f in m.findings]
    return found[0]


RICH = [
    "INS*N*19*021*28*C*C:1*2*FT*F*Y*D8*20240301*R****2",
    "REF*0F*900112222",
    "REF*1L*GRP-77",
    "REF*F6*1EG4TE5MK73",
    "REF*Q4*OLD-1",
    "DTP*356*D8*20240101",
    "DTP*338*D8*20240201",
    "NM1*IL*1*TESTER*BOBBY*Q*MR*JR*34*900113333",
    "PER*IP**HP*5550100001*WP*5550100002",
    "N3*1 INVENTED WAY*UNIT 2",
    "N4*NOWHERE*ZZ*00000**CY*001",
    "DMG*D8*20100505*M*I*7:RET:2106-3^B*1****REC*RC1",
    "EC*01*02",
    "ICM*1*1000*40*HQ*G1",
    "AMT*P3*12.50",
    "HLH*N*60*120",
    "LUI*LE*ENG**7",
    "LUI*LE*SPA**5",
    "NM1*70*1*TESTER*ROBERT",
    "DMG*D8*20100506*M",
    "NM1*31*1",
    "N3*PO BOX 1",
    "N4*NOWHERE*ZZ*00000",
    "NM1*36*2*INVENTED EMPLOYER",
    "PER*EP**TE*5550100003",
    "NM1*M8*2*INVENTED SCHOOL",
    "NM1*S3*1*PARENT*PAT",
    "NM1*QD*1*RESPONSIBLE*RAY",
    "NM1*GD*1*GUARDIAN*GAIL",
    "NM1*45*2*DROP SITE",
    "DSB*1******DX*Z99",
    "DTP*360*D8*20230101",
    "HD*021**HLT*GOLD PLAN*FAM****N",
    "DTP*348*RD8*20240101-20241231",
    "AMT*C1*20",
    "REF*17*X1",
    "REF*QQ*12",
    "IDC*GOLD*H*2*1",
    "LX*1",
    "NM1*P3*1*DOCTOR*DANA****XX*1234567893*25",
    "N3*2 CLINIC RD",
    "N4*NOWHERE*ZZ*00000",
    "PER*IC**TE*5550100004",
    "PLA*2*1P*20240115**AI",
    "COB*P*POL-1*1*1^30",
    "REF*SY*900114444",
    "DTP*344*D8*20200101",
    "NM1*IN*2*OTHER INSURER",
    "N3*3 OTHER ST",
    "N4*ELSEWHERE*ZZ*00001",
    "HD*021**DEN",
    "DTP*348*D8*20240101",
    "LS*2700",
    "LX*1",
    "N1*75*NEWBORN INDICATOR",
    "REF*ZZ*Y",
    "LX*2",
    "N1*75*DUE DATE",
    "DTP*007*D8*20240620",
    "LE*2700",
]


def test_rich_member_maps_every_segment() -> None:
    m = only(simple(RICH))
    assert m.findings == () and m.rejected is False
    assert (m.subscriber, m.relationship, m.maintenance_type, m.maintenance_reason) == (
        False, Relationship.CHILD, MaintenanceType.ADDITION, MaintenanceReason.INITIAL_ENROLLMENT)
    assert (m.benefit_status, m.medicare_plan, m.medicare_reason, m.cobra_event) == (
        BenefitStatus.COBRA, MedicarePlan.PARTS_A_AND_B, MedicareReason.DISABILITY,
        CobraEvent.REDUCTION_OF_HOURS)
    assert (m.employment_status, m.student_status, m.handicap) == (
        EmploymentStatus.FULL_TIME, StudentStatus.FULL_TIME, True)
    assert (m.death_date, m.confidentiality, m.birth_sequence) == (
        dt.date(2024, 3, 1), Confidentiality.RESTRICTED, 2)
    assert (m.subscriber_number, m.group_policy_number) == ("900112222", "GRP-77")
    assert m.medicare_id == "1EG4TE5MK73" and m.identifier("Q4") == "OLD-1"
    assert m.date("356") and m.date("356").begin == dt.date(2024, 1, 1)  # type: ignore[union-attr]
    assert [d.qualifier for d in m.dates] == ["356", "338"]

    a = m.member
    assert (a.name.last, a.name.first, a.name.middle, a.name.prefix, a.name.suffix) == (
        "TESTER", "BOBBY", "Q", "MR", "JR")
    assert m.ssn == "900113333"
    assert a.contact and a.contact.numbers == (("HP", "5550100001"), ("WP", "5550100002"))
    assert a.address and (a.address.line2, a.address.location_qualifier, a.address.location_id) == (
        "UNIT 2", "CY", "001")
    d = a.demographics
    assert d and (d.birth_date, d.gender, d.marital_status) == (
        dt.date(2010, 5, 5), Gender.MALE, MaritalStatus.SINGLE)
    assert d.race_ethnicity == ("7:RET:2106-3", "B") and d.citizenship == "1"
    assert d.race_collection_code == "RC1"
    assert a.employment_classes == ("01", "02")
    assert a.income and a.income.wage == "1000"
    assert [x.qualifier for x in a.amounts] == ["P3"]
    assert a.health and a.health.weight == "120"
    assert [x.code for x in a.languages] == ["ENG", "SPA"]

    assert m.incorrect and m.incorrect.name.first == "ROBERT"
    assert m.incorrect.demographics and m.incorrect.demographics.birth_date == dt.date(2010, 5, 6)
    assert m.mailing_address and m.mailing_address.address and m.mailing_address.address.line1 == "PO BOX 1"
    assert [e.loop_id for e in m.employers] == ["2100D"] and m.employers[0].contact
    assert [e.name.last for e in m.schools] == ["INVENTED SCHOOL"]
    assert m.custodial_parent and m.custodial_parent.loop_id == "2100F"
    assert [e.name.entity_code for e in m.responsible_persons] == ["QD", "GD"]
    assert m.drop_off_location and m.drop_off_location.loop_id == "2100H"
    assert [(x.disability_type, x.diagnosis_qualifier, x.diagnosis) for x in m.disabilities] == [
        ("1", "DX", "Z99")]
    assert m.disabilities[0].dates[0].qualifier == "360"

    hlt, den = m.coverages
    assert (hlt.maintenance_type, hlt.insurance_line, hlt.coverage_level, hlt.late_enrollment) == (
        MaintenanceType.ADDITION, InsuranceLine.HEALTH, CoverageLevel.FAMILY, False)
    assert hlt.plan_description == "GOLD PLAN"
    benefit = hlt.date("348")
    assert benefit and (benefit.begin, benefit.end) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert [x.qualifier for x in hlt.amounts] == ["C1"]
    assert [x.qualifier for x in hlt.references] == ["17"] and hlt.prior_coverage_months == "12"
    assert hlt.id_cards[0].card_type == "H"
    (pcp,) = hlt.providers
    assert (pcp.sequence, pcp.name.entity_code, pcp.name.relationship_code) == ("1", "P3", "25")
    assert pcp.address and pcp.address.line1 == "2 CLINIC RD" and len(pcp.contacts) == 1
    assert (pcp.change_reason, pcp.change_date) == ("AI", dt.date(2024, 1, 15))
    (cob,) = hlt.coordination
    assert (cob.payer_responsibility, cob.policy_number, cob.coordination) == ("P", "POL-1", "1")
    assert cob.service_types == ("1", "30")
    assert [r.qualifier for r in cob.references] == ["SY"] and cob.dates[0].qualifier == "344"
    assert [(e.loop_id, e.name.entity_code) for e in cob.entities] == [("2330", "IN")]
    assert cob.entities[0].address and cob.entities[0].address.city == "ELSEWHERE"
    assert den.insurance_line is InsuranceLine.DENTAL and den.providers == ()

    assert [(c.name, c.reference_qualifier, c.value, c.date) for c in m.reporting_categories] == [
        ("NEWBORN INDICATOR", "ZZ", "Y", None),
        ("DUE DATE", "", "20240620", dt.date(2024, 6, 20)),
    ]


def test_built_records_are_valid_models() -> None:
    data = simple(RICH, header=[
        "BGN*15*REF9*20240102*083000*ET*ORIG1**RX", "REF*38*MP-1", "DTP*007*D8*20240101",
        "QTY*TO*1", "N1*P5*ACME*FI*999999999", "N1*IN*PLAN*FI*888888888",
        "N1*TV*ADMIN CO*94*TPA1", "ACT*ACCT-1"])
    m = only(data)
    assert decode_json(type(m), encode_json(m)) == m
    h = header_of(data)
    assert decode_json(type(h), encode_json(h)) == h


def test_header_fields() -> None:
    h = header_of(simple(header=[
        "BGN*15*REF9*20240102*083000*ET*ORIG1**RX", "REF*38*MP-1", "DTP*007*D8*20240101",
        "QTY*TO*1", "QTY*ET*1", "N1*P5*ACME*FI*999999999", "N1*IN*PLAN*FI*888888888",
        "N1*TV*ADMIN CO*94*TPA1", "ACT*ACCT-1", "N1*BO*BROKER*94*BRK1"]))
    assert (h.purpose, h.reference, h.date, h.time, h.time_zone, h.original_reference,
            h.action_code) == (BgnPurpose.RESUBMISSION, "REF9", dt.date(2024, 1, 2), "083000",
                               "ET", "ORIG1", ActionCode.REPLACE)
    assert h.master_policy == "MP-1" and h.dates[0].qualifier == "007"
    assert h.control_totals == (("TO", 1), ("ET", 1))
    assert h.sponsor and h.sponsor.id == "999999999" and h.payer and h.payer.name == "PLAN"
    assert [(p.entity_code, p.account_number) for p in h.administrators] == [
        ("TV", "ACCT-1"), ("BO", "")]
    assert (h.implementation_reference, h.lineage.first_position, h.lineage.last_position) == (
        "005010X220A1", 3, 13)


def test_ins06_padding_and_unknown_codes() -> None:
    m = only(simple(member(ins="INS*Y*18*021*28*A*C   **FT")))
    assert m.medicare_plan is MedicarePlan.PARTS_A_AND_B and m.findings == ()

    m = only(simple(member(ins="INS*Y*99*021*QQ*A")))
    assert m.relationship is None and m.maintenance_reason is None
    rel = [f for f in m.findings if f.element == 2][0]
    assert (rel.code, rel.severity, rel.level, rel.x12_code, rel.set_position) == (
        "model.unknown_code", Severity.ERROR, Level.ELEMENT, "7", 5)
    reason = [f for f in m.findings if f.element == 4][0]
    assert reason.severity is Severity.WARNING
    assert m.rejected is True
    for f in m.findings:
        assert "99" not in f.message and "QQ" not in f.message
        assert (f.member_ordinal, f.loop_id, f.validator) == (1, "2000", "model")


def test_4010_ins06_is_a_simple_element() -> None:
    body = [*HEADER, *member(ins="INS*Y*18*030*XN*A*C**FT")]
    data = encode(interchange([group([transaction_set(body, st03=None)], version="004010X095A1")],
                              version="00401", rep="U"))
    m = only(data)
    assert (m.medicare_plan, m.medicare_reason, m.findings) == (MedicarePlan.PARTS_A_AND_B, None, ())


def test_invalid_dates_become_findings() -> None:
    m = only(simple(member(extra=("DTP*349*D8*20241301", "DTP*349*RD8*20240101"))))
    bad = [f for f in m.findings if f.code == "model.invalid_date"]
    assert [(f.x12_code, f.element, f.segment_id) for f in bad] == [("8", 3, "DTP"), ("8", 3, "DTP")]
    assert m.coverages[0].dates[1:] == () and m.rejected
    m = only(simple(member(extra=("DTP*349*XX*20240101",))))
    assert finding(m, "model.unknown_code").element == 2


def test_repeated_segment_beyond_capacity_is_reported_not_dropped() -> None:
    rows = member()
    rows.insert(4, "DMG*D8*19990101*M")  # a second DMG in 2100A
    m = only(simple(rows))
    f = finding(m, "model.unmapped_segment")
    assert (f.segment_id, f.loop_id, f.x12_code, f.set_position) == ("DMG", "2100A", "2", 9)
    assert m.member.demographics and m.member.demographics.birth_date == dt.date(1980, 1, 1)
    assert m.rejected


def test_unexpected_segment_in_header_goes_to_the_set() -> None:
    events = list(read(simple(header=[*HEADER, "NM1*IL*1*STRAY"]), "t.edi"))
    m = [e for e in events if isinstance(e, MemberTransaction)][0]
    assert m.findings == ()
    end = events[-3]
    assert [f.code for f in end.findings] == ["model.unmapped_segment"]  # type: ignore[union-attr]
    assert end.status.value == "rejected"  # type: ignore[union-attr]


def test_member_without_name_or_subscriber_number() -> None:
    m = only(simple(["INS*Y*18*021*28*A", "DTP*356*D8*20240101"]))
    assert {f.code for f in m.findings} == {"model.missing_member_name",
                                            "model.missing_subscriber_number"}
    assert m.member.name.last == "" and m.rejected


def test_lineage_of_members() -> None:
    a, b = members(simple(member("900110001"), member("900110002")))
    assert (a.lineage.first_position, a.lineage.last_position, a.lineage.member_ordinal) == (7, 12, 1)
    assert (b.lineage.first_position, b.lineage.last_position, b.lineage.member_ordinal) == (13, 18, 2)
    assert (a.lineage.sender_qualifier, a.lineage.sender_id, a.lineage.receiver_id) == (
        "ZZ", "SENDER", "RECEIVER")
    assert (a.lineage.interchange_control, a.lineage.group_control, a.lineage.set_control) == (
        "000000001", "1", "0001")
    assert a.lineage.source == "t.edi" and a.lineage.file_sha256 and len(a.lineage.file_sha256) == 64
    assert a.lineage.first_offset > 0


def test_garbage_segment_id_never_reaches_a_finding() -> None:
    m = only(simple(member(extra=("JANE ROE 1234*X",))))
    (f,) = m.findings
    assert (f.code, f.segment_id, f.x12_code, f.loop_id) == ("model.unrecognized_segment", None, "1",
                                                          "2300")
    assert "JANE" not in str(f) and "1234" not in str(f)


def test_a_2100_name_and_a_2310_name_map_the_nm1_elements_alike() -> None:
    """`_nm1` reads a 2100 loop's name inline; `_person` reads the others (2310, 2330)."""
    elements = "1*DOCTOR*DANA*Q*DR*III*XX*1234567893*25"
    data = simple([
        "INS*Y*18*021*28*A***FT", "REF*0F*900112222", f"NM1*IL*{elements}",
        "HD*021**HLT**EMP", "LX*1", f"NM1*P3*{elements}"])
    (m,) = [e for e in read(data, "t.edi") if isinstance(e, MemberTransaction)]
    name = m.member.name
    (provider,) = m.coverages[0].providers
    assert name.entity_code == "IL" and provider.name.entity_code == "P3"
    assert name.relationship_code == "25" and name.id == "1234567893" and name.suffix == "III"
    assert msgspec.structs.replace(provider.name, entity_code="IL", position=name.position) == name
