"""The public corpus: every file reads, member counts match SOURCES.md, known defects are found."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from edi.codes import CoverageLevel, InsuranceLine, MaintenanceReason, MaintenanceType, MedicarePlan
from edi.findings import Finding, Severity
from edi.reader import findings_of, read
from edi.records import (
    InterchangeStart,
    MemberTransaction,
    SetEnd,
    SetStart,
    SetStatus,
)


def table(corpus: Path) -> dict[str, dict[str, str]]:
    """SOURCES.md's file table: file name → column → cell."""
    rows: dict[str, dict[str, str]] = {}
    columns: list[str] = []
    for line in (corpus / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "file":
            columns = cells
        elif columns and not set(cells[0]) <= {"-", " "}:
            rows[cells[0]] = dict(zip(columns, cells, strict=False))
    return rows


def events(corpus: Path, name: str) -> list[object]:
    return list(read(corpus / name, name))


def of(evs: list[object], kind: type) -> list:
    return [e for e in evs if isinstance(e, kind)]


def all_findings(evs: list[object]) -> list[Finding]:
    return [f for e in evs for f in findings_of(e)]  # type: ignore[arg-type]


def test_every_file_reads_with_its_counts(corpus_dir: Path) -> None:
    rows = table(corpus_dir)
    assert len(rows) >= 40
    for name, row in rows.items():
        evs = events(corpus_dir, name)
        assert len(of(evs, MemberTransaction)) == int(row["n_INS"]), name
        assert len(of(evs, SetStart)) == int(row["n_ST"]) == len(of(evs, SetEnd)), name
        assert of(evs, InterchangeStart), name


def test_files_the_sources_call_valid_are_accepted(corpus_dir: Path) -> None:
    rows = table(corpus_dir)
    valid = [n for n, r in rows.items()
             if r["valid_per_source"].startswith(("valid", "library 'pass'"))]
    assert len(valid) >= 15
    for name in valid:
        statuses = {e.status for e in of(events(corpus_dir, name), SetEnd)}
        assert statuses <= {SetStatus.ACCEPTED, SetStatus.ACCEPTED_WITH_ERRORS}, name


def test_wrong_se01_in_2016_original(corpus_dir: Path) -> None:
    evs = events(corpus_dir, "pyx12__834_ls_le_ls_2016orig.edi")
    (f,) = [f for f in all_findings(evs) if f.code == "envelope.se.segment_count"]
    assert (f.x12_code, f.segment_id, f.element) == ("4", "SE", 1)
    assert f.set_position == 74  # the SE is the 74th segment of the set; SE01 says 73
    assert of(evs, SetEnd)[0].status is SetStatus.REJECTED


def test_se02_mismatch_and_prose_in_bcs01_bad(corpus_dir: Path) -> None:
    evs = events(corpus_dir, "stupidedi__bcs01-bad.txt")
    found = all_findings(evs)
    (se,) = [f for f in found if f.code == "envelope.se.control_number"]
    assert se.x12_code == "3"
    assert any(f.code == "envelope.gs.functional_id" for f in found)  # GS01 = XX
    first = evs[0]
    assert isinstance(first, Finding) and first.code.startswith("transport.")
    assert isinstance(evs[1], InterchangeStart)


def test_4010_file(corpus_dir: Path) -> None:
    evs = events(corpus_dir, "pyx12__834_lui_id_4010.edi")
    assert all_findings(evs) == []
    (m,) = of(evs, MemberTransaction)
    assert (m.maintenance_type, m.medicare_plan, m.medicare_reason) == (
        MaintenanceType.AUDIT, MedicarePlan.PARTS_A_AND_B, None)
    assert m.member.languages and m.member.languages[0].description == "ESSPANISH"  # LUI***ESSPANISH: LUI03 only
    assert m.coverages[0].coverage_level is CoverageLevel.INDIVIDUAL
    assert of(evs, SetStart)[0].header.implementation_reference == ""


def test_multiple_st_loops(corpus_dir: Path) -> None:
    evs = events(corpus_dir, "pyx12__multiple_st_loops.edi")
    assert all_findings(evs) == []
    ends = of(evs, SetEnd)
    assert [e.lineage.set_control for e in ends] == ["0001", "0002", "0003", "0004"]
    assert [e.members for e in ends] == [1, 1, 1, 1]
    assert [m.lineage.set_control for m in of(evs, MemberTransaction)] == ["0001", "0002", "0003", "0004"]


def test_change_subscriber_information_keeps_old_values(corpus_dir: Path) -> None:
    (m,) = of(events(corpus_dir, "lfh__change-subscriber-information.edi"), MemberTransaction)
    assert (m.maintenance_type, m.maintenance_reason) == (
        MaintenanceType.CHANGE, MaintenanceReason.CHANGE_IN_IDENTIFYING_DATA)
    old = m.incorrect
    assert old is not None and old.name.entity_code == "70"
    assert old.demographics and m.member.demographics
    new_dob, old_dob = m.member.demographics.birth_date, old.demographics.birth_date
    assert new_dob and old_dob and old_dob - new_dob == dt.timedelta(days=1)
    assert old.name.last == m.member.name.last and old.name.middle and not m.member.name.middle


def test_reporting_categories(corpus_dir: Path) -> None:
    (m,) = of(events(corpus_dir, "pyx12__834_ls_le_ls.edi"), MemberTransaction)
    cats = m.reporting_categories
    assert len(cats) == 13 and m.findings == ()
    assert cats[0].name == "NEWBORN INDICATOR" and cats[0].reference_qualifier == "ZZ"
    dated = [c for c in cats if c.date is not None]
    assert [c.name for c in dated] == ["PREVIOUS PMP END DATE", "DUE DATE"]
    assert m.member.name.entity_code == "74" and m.incorrect is not None
    assert m.mailing_address is not None and len(m.responsible_persons) == 2
    assert [c.payer_responsibility for c in m.coverages[0].coordination] == ["U", "U"]
    assert m.member.demographics and m.member.demographics.race_ethnicity == ("C:RET:2186-5",)


def test_cob_in_multiple_products(corpus_dir: Path) -> None:
    (m,) = of(events(corpus_dir, "stupidedi__tr3ex_enroll-multiple-products_oneline.edi"),
              MemberTransaction)
    assert [c.insurance_line for c in m.coverages] == [
        InsuranceLine.HEALTH, InsuranceLine.DENTAL, InsuranceLine.VISION]
    (cob,) = m.coverages[0].coordination
    assert (cob.payer_responsibility, cob.coordination) == ("P", "5")
    assert m.coverages[1].coordination == () == m.coverages[2].coordination


@pytest.mark.parametrize("name", ["lfh__x307-individual-exchange.edi", "lfh__x307-shop-exchange.edi"])
def test_x307_is_read_with_warnings_only(corpus_dir: Path, name: str) -> None:
    evs = events(corpus_dir, name)
    assert {e.status for e in of(evs, SetEnd)} == {SetStatus.ACCEPTED_WITH_ERRORS}
    assert not any(f.severity is Severity.ERROR for f in all_findings(evs))


def test_line_break_inside_element_rejects_the_member(corpus_dir: Path) -> None:
    evs = events(corpus_dir, "pyx12__x12testdata_834_eol_in_element.edi")
    (m,) = of(evs, MemberTransaction)
    assert m.rejected and m.findings[0].segment_id == "N3"
    assert of(evs, SetEnd)[0].status is SetStatus.REJECTED
