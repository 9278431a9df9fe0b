"""The pyx12 adapter: pyx12's errors as located, value-free findings."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from edi import ig_pyx12
from edi.acks import CODE_TABLES
from edi.control import MemoryControlNumbers
from edi.findings import Finding, Level, Severity
from edi.ig_pyx12 import Pyx12Validator, validate_segments
from edi.records import encode_json
from edi.segments import Delimiters, Segment
from edi.tokenize import read_segments
from edi.validate import validate_file
from tests.edi.synthetic834 import CANARIES, interchange, member

EOL = "pyx12__x12testdata_834_eol_in_element.edi"

# Corpus files whose source calls them valid and on which pyx12 agrees.
CLEAN = [
    "lfh__add-dependent.edi", "lfh__add-subscriber-coverage.edi", "lfh__cancel-dependent.edi",
    "lfh__change-subscriber-information.edi", "lfh__enroll-employee-multiple-products.edi",
    "lfh__reinstate-employee-coverage-level.edi", "lfh__reinstate-employee.edi",
    "lfh__reinstate-member-eligibility-ins.edi", "lfh__terminate-subscriber-eligibility.edi",
    "pyx12__834_deident_family.edi", "pyx12__834_deident_new_enroll.edi",
    "pyx12__834_deident_term.edi", "pyx12__834_ls_le_ls.edi", "pyx12__834_lui_id_4010.edi",
    "pyx12__multiple_st_loops.edi", "pyx12__x12testdata_834_lui_id_5010.edi",
    "stupidedi__tr3ex_add-dependent-student_oneline.edi",
    "stupidedi__tr3ex_change-subscriber-information_oneline.edi",
    "stupidedi__tr3ex_enroll-multiple-products_oneline.edi",
    "stupidedi__tr3ex_terminate-subscriber_oneline.edi",
]

# Known differences from "valid per source", each checked to the position:
# (file, segment id, set position, x12 code).
KNOWN = {
    # DTP*358 is not a 2000-loop date qualifier in X220A1: no map node matches it
    "lfh__enroll-employee-managed-care.edi": {("DTP", 8, "1")},
    # INS06-1 padded to 'C   ' (too long, spaces, not a code)
    "pyx12__example834_5010.edi": {("INS", 6, "5"), ("INS", 6, "6"), ("INS", 6, "7")},
    # trailing spaces in REF02 and N102, NM1*QD**1 shifts NM102, SE01 one short
    "pyx12__834_ls_le_ls_2016orig.edi": {("REF", 3, "6"), ("NM1", 26, "1"), ("N1", 50, "6"),
                                         ("SE", 74, "4")},
}


def ig(data: bytes | Path, source: str = "t.edi", *, recover: bool = False) -> list[Finding]:
    return list(Pyx12Validator(recover=recover).findings(data, source))


def test_eol_in_element_matches_pyx12_expected_999(corpus_dir: Path) -> None:
    found = ig(corpus_dir / EOL, EOL)
    assert len(found) == 1
    (f,) = found
    assert (f.level, f.segment_id, f.set_position, f.loop_id) == (Level.ELEMENT, "N3", 12, "2100A")
    assert (f.element, f.data_element, f.x12_code, f.component) == (1, "166", "6", None)
    assert f.segment_position == 14 and f.offset is not None and f.validator == "pyx12"
    assert f.severity is Severity.ERROR and f.code == "ig.element.invalid_character"
    # the expected 999 shipped with the sample says IK3*N3*12**8 / IK4*1*166*6
    expected = (corpus_dir / "pyx12__x12testdata_834_eol_in_element.999.edi").read_text()
    assert "IK3*N3*12**8~" in expected and "IK4*1*166*6*" in expected


def test_every_corpus_file_without_exception(corpus_dir: Path) -> None:
    messages = {text for table in CODE_TABLES.values() for _, text in table.values()}
    for path in sorted(corpus_dir.iterdir()):
        if path.name == "SOURCES.md":
            continue
        found = ig(path, path.name)
        assert all(f.code != "ig.pyx12_failed" for f in found), path.name
        for f in found:
            assert f.validator == "pyx12" and f.source == path.name
            assert f.message in messages or f.code == "ig.group.not_validated", (path.name, f)
        positions = [f.segment_position or 0 for f in found]
        assert positions == sorted(positions), path.name
        if path.name in CLEAN:
            assert found == [], (path.name, [str(f) for f in found])
        if path.name in KNOWN:
            got = {(f.segment_id, f.set_position, f.x12_code) for f in found}
            assert got == KNOWN[path.name], path.name


def test_unmapped_version_is_skipped_with_one_warning(corpus_dir: Path) -> None:
    found = ig(corpus_dir / "lfh__x307-shop-exchange.edi")
    assert [(f.code, f.severity, f.level, f.segment_id) for f in found] == [
        ("ig.group.not_validated", Severity.WARNING, Level.GROUP, "GS")]


def test_pre_errata_x220_validated_with_a1_map(corpus_dir: Path) -> None:
    # GS08/ST03 '005010X220': the version itself is the envelope check's business
    assert ig(corpus_dir / "stupidedi__bcs01-good.txt") == []


def test_synthetic_interchange_clean_and_bad_member_located() -> None:
    assert ig(interchange().encode()) == []
    found = ig(interchange([member(1), member(2, ins05="Q"), member(3)]).encode())
    assert [(f.segment_id, f.set_position, f.element, f.data_element, f.x12_code)
            for f in found] == [("INS", 15, 5, "1216", "7")]
    assert found[0].segment_position == 17 and found[0].loop_id == "2000"


def test_interchange_level_codes() -> None:
    found = ig(interchange(iea_control="000004799").encode())
    assert [(f.level, f.x12_code, f.segment_id) for f in found] == [
        (Level.INTERCHANGE, "001", "IEA")]
    found = ig(interchange(se_delta=2).encode())
    assert [(f.level, f.x12_code, f.segment_id, f.set_position) for f in found] == [
        (Level.TRANSACTION_SET, "4", "SE", 15)]


def test_80_column_wrapped_and_prose_prefixed_input() -> None:
    text = interchange([member(1), member(2, ins05="Q")]).replace("\n", "")
    wrapped = "\r\n".join(text[i:i + 80] for i in range(0, len(text), 80)) + "\r\n"
    prose = "Business case: two members, the second one bad.\n\n" + text
    for data in (wrapped, prose):
        found = ig(data.encode())
        assert [(f.segment_id, f.set_position, f.x12_code) for f in found] == [("INS", 15, "7")]


def test_non_ascii_text_is_a_finding_not_a_crash() -> None:
    found = ig(interchange([member(1, last="ZYXQUARTZ\u00c9")]).encode("utf-8"))
    assert [(f.segment_id, f.element, f.x12_code) for f in found] == [("NM1", 3, "6")]


def test_multiple_interchanges_are_validated_each() -> None:
    data = (interchange(control="000000001") + interchange(
        [member(1, ins05="Q")], control="000000002")).encode()
    found = ig(data)
    assert [(f.segment_id, f.segment_position, f.x12_code) for f in found] == [("INS", 26, "7")]


def test_empty_segment_reported_and_positions_kept() -> None:
    d = Delimiters("*", ":", "~", "^")
    segs = [Segment(s.id, s.elements, s.position, s.offset, s.delimiters)
            for s in read_segments(interchange().encode()) if isinstance(s, Segment)]
    at = next(i for i, s in enumerate(segs) if s.id == "BGN")
    segs.insert(at + 1, Segment("", (), 0, 0, d))
    bad = next(i for i, s in enumerate(segs) if s.id == "DMG")
    segs[bad] = Segment("DMG", ("D8", "19800101", "Q"), segs[bad].position, 0, d)
    found = list(validate_segments(segs, "t.edi"))
    assert [(f.segment_id, f.set_position, f.level, f.x12_code) for f in found] == [
        ("", 3, Level.SEGMENT, "1"), ("DMG", 13, Level.ELEMENT, "7")]


def test_pyx12_failure_is_one_finding_without_values(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: object, stream: object) -> None:
        raise RuntimeError("CANARY0F1 secret value")

    monkeypatch.setattr(ig_pyx12._Run, "drive", boom)
    found = ig(interchange().encode())
    assert [(f.code, f.severity, f.level, f.x12_code) for f in found] == [
        ("ig.pyx12_failed", Severity.ERROR, Level.INTERCHANGE, "024")]
    assert "CANARY" not in encode_json(found[0])
    report = validate_file(interchange().encode(), "t.edi", validator=Pyx12Validator(),
                           control=MemoryControlNumbers())
    ic = report.interchanges[0]
    assert (ic.ta1_code, ic.ta1_note, ic.ack_text) == ("R", "024", None)
    assert ic.ta1_text is not None and "*R*024~" in ic.ta1_text


def test_garbage_after_isa_does_not_raise() -> None:
    junk = interchange().split("GS*")[0].encode() + bytes(range(256)) * 3
    for f in ig(junk):
        assert f.validator == "pyx12"


def test_no_values_in_findings_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    bad = interchange([
        member(1, birth="19800231", last="ZYXQUARTZ\u00c9"),
        member(2, ins05="CANARYVILLE"),
    ])
    with caplog.at_level(logging.DEBUG):
        found = ig(bad.encode())
    assert {f.x12_code for f in found} >= {"5", "6", "7", "8"}
    for f in found:
        dumped = encode_json(f) + str(f)
        assert not any(c in dumped for c in CANARIES), dumped
    assert not any(c in caplog.text for c in CANARIES)
    assert "pyx12" not in {r.name.split(".")[0] for r in caplog.records}


def test_recover_keeps_envelope_segment_errors_and_relocates_reader_errors() -> None:
    text = (interchange()
            .replace("ST*834*0001*005010X220A1~", "ST*834*0001*005010X220A1*~")
            .replace("DMG*D8*19800101*F~", "DMG*D8*19800101*F*~")
            .replace("SE*15*0001~", "SE*15*0001*~")
            .replace("GE*1*4711~", "GE*1*4711*~")).encode()
    where = [(f.segment_id, f.set_position, f.level, f.x12_code) for f in ig(text, recover=True)]
    assert where == [
        ("ST", 1, Level.SEGMENT, "8"), ("DMG", 12, Level.SEGMENT, "8"),
        ("SE", 15, Level.SEGMENT, "8"), ("GE", None, Level.SEGMENT, "8")]
    # pyx12 as is: the ST and GE errors are lost, the SE one is filed under the DTP before it
    where = [(f.segment_id, f.set_position, f.x12_code) for f in ig(text)]
    assert where == [("DMG", 12, "8"), ("DTP", 14, "8")]
