"""The documented pyx12 defects of the differential suite, each shown on a small input.

Every difference test_ig_differential.py discounts is named in its module
docstring; each test here builds an input that triggers one, shows what pyx12
and the compiled validator each report, and that the comparison accepts it
under that name (and only because of it).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from test_ig_differential import BASE_4010, BASE_5010, COMPILED, PYX12, compare, mutate, render

from edi.findings import Finding, Level
from edi.segments import Segment
from edi.tokenize import read_segments

pytest.importorskip("edi.ig_pyx12")


def _copy(base: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    return [(sid, list(els)) for sid, els in base]


def _index(s: list[tuple[str, list[str]]], sid: str) -> int:
    """Index of the first segment `sid` in `s`."""
    return next(k for k, (seg_id, _) in enumerate(s) if seg_id == sid)


def _at(data: bytes, sid: str) -> list[int]:
    """File positions of the segments `sid` in `data`."""
    return [x.position for x in read_segments(data, "d") if isinstance(x, Segment) and x.id == sid]


def _with(segments: list[tuple[str, list[str]]], index_of: str, new: tuple[str, list[str]] | None,
          *, replace: bool = True) -> bytes:
    s = _copy(segments)
    i = next(k for k, (sid, els) in enumerate(s) if sid + "*" + "*".join(els[:1]) == index_of)
    if new is None:
        del s[i]
    elif replace:
        s[i] = new
    else:
        s.insert(i, new)
    return render(s)


def _positions(findings: Iterable[Finding], code: str) -> list[int | None]:
    return [f.segment_position for f in findings if f.x12_code == code and f.level is Level.SEGMENT]


def test_pyx12_defect_reader_error_misplaced_after_unrecognised_segment() -> None:
    # An unrecognised, element-less 'DTP' in the header: pyx12 files its "empty segment"
    # IK304 8 under the next segment it recognises; we file it under the segment itself.
    data = _with(BASE_5010, "N1*P5", ("DTP", []), replace=False)
    segments = [s for s in read_segments(data, "d") if isinstance(s, Segment)]
    bad = next(s.position for s in segments if s.id == "DTP" and not s.elements)
    pyx = list(PYX12.findings(data, "d"))
    ours = list(COMPILED.findings(data, "d"))
    assert bad in _positions(ours, "8") and bad in _positions(ours, "1")
    assert bad not in _positions(pyx, "8") and bad + 1 in _positions(pyx, "8")
    assert compare(data).same and "READER_ERROR_MISPLACED" in compare(data).defects


def test_pyx12_defect_reader_error_misplaced_onto_a_segment_with_its_own() -> None:
    # The element-less DMG's "empty segment" IK304 8 goes to the next segment, an HD that
    # has its own IK304 8 (trailing separators): pyx12's one IK3 for that HD holds both.
    s = _copy(BASE_5010)
    i = next(k for k, (sid, _) in enumerate(s) if sid == "DMG" and s[k + 1][0] == "HD")
    s[i] = ("DMG", [])
    s[i + 1] = ("HD", [s[i + 1][1][0], s[i + 1][1][1], ""])
    data = render(s)
    dmg = next(x.position for x in read_segments(data, "d") if isinstance(x, Segment)
               and x.id == "DMG" and not x.elements)
    pyx = list(PYX12.findings(data, "d"))
    ours = list(COMPILED.findings(data, "d"))
    assert dmg in _positions(ours, "8") and dmg + 1 in _positions(ours, "8")
    assert dmg not in _positions(pyx, "8") and dmg + 1 in _positions(pyx, "8")
    diff = compare(data)
    assert diff.same and "READER_ERROR_MISPLACED" in diff.defects


def test_pyx12_defect_open_set_not_checked_at_the_next_st() -> None:
    # A second ST right after the BGN: the open set never had its N1 loops, members or SE.
    s = _copy(BASE_5010)
    i = _index(s, "BGN")
    s.insert(i + 1, s[i - 1])
    data = render(s)
    inner = _at(data, "ST")[1]
    pyx = list(PYX12.findings(data, "d"))
    ours = list(COMPILED.findings(data, "d"))
    assert inner in _positions(ours, "3")
    assert inner not in _positions(pyx, "3")
    diff = compare(data)
    assert diff.same and "ENVELOPE_ORDER_BROKEN" in diff.defects


def test_pyx12_defect_repeated_st_called_an_unrecognised_segment() -> None:
    # ST twice in a row (and two element edits; the case soak found): edi.envelope closes
    # the first set (no SE) and flags the control number; pyx12 calls the second ST an
    # unrecognised segment of the first set.
    data = render(mutate(BASE_4010, [
        ("duplicate", 2.225073858507e-311, 0.4709391143024503, "021", 63),
        ("change", 0.031487097603659205, 2.796506157922588e-210, "TX", 85),
        ("empty", 0.9589711258222995, 0.1792905798244653, "IL", 86)]))
    second = _at(data, "ST")[1]
    assert second in _positions(PYX12.findings(data, "d"), "1")
    assert second not in _positions(COMPILED.findings(data, "d"), "1")
    diff = compare(data)
    assert diff.same and "ENVELOPE_ORDER_BROKEN" in diff.defects


def test_pyx12_defect_segments_after_ge_still_counted_in_the_set() -> None:
    # GE before SE: the set ends at the GE (SE missing); the stray SE after it is in no set.
    # (The ST is repeated twice as well: with one ST, pyx12 crashes on the stray SE.)
    s = _copy(BASE_4010)
    i = _index(s, "SE")
    s[i], s[i + 1] = s[i + 1], s[i]
    i = _index(s, "ST")
    s[i:i] = [s[i], s[i]]
    data = render(s)
    segments = [x for x in read_segments(data, "d") if isinstance(x, Segment)]
    st = max(x.position for x in segments if x.id == "ST")  # pyx12 counts from the last
    se = next(x.position for x in segments if x.id == "SE")

    def stray(findings: Iterable[Finding]) -> list[int | None]:
        """Set positions given to the SE's "unexpected segment" (IK304 1)."""
        return [f.set_position for f in findings if f.segment_position == se
                and f.x12_code == "1" and f.level is Level.SEGMENT]

    assert stray(COMPILED.findings(data, "d")) == [None]
    assert stray(PYX12.findings(data, "d")) == [se - st + 1]
    diff = compare(data)
    assert diff.same and "ENVELOPE_ORDER_BROKEN" in diff.defects


def test_pyx12_defect_reader_error_of_se_filed_under_a_segment_missing_there() -> None:
    # An element-less SE right where the last member's DTP*348 is missing: pyx12 files the
    # SE's IK304 8 under the DTP it finds missing at that position.
    s = _copy(BASE_5010)
    i = _index(s, "SE")
    assert s[i - 1][0] == "DTP"
    s[i - 1:i + 1] = [("SE", [])]
    data = render(s)
    se = _at(data, "SE")[0]

    def eights(findings: Iterable[Finding]) -> set[str | None]:
        """Segment ids under which the IK304 8s at the SE's position are filed."""
        return {f.segment_id for f in findings if f.segment_position == se and f.x12_code == "8"}

    assert eights(COMPILED.findings(data, "d")) == {"SE"}
    assert eights(PYX12.findings(data, "d")) == {"DTP"}
    diff = compare(data)
    assert diff.same and "READER_ERROR_MISPLACED" in diff.defects


def test_pyx12_defect_reader_error_of_se_filed_under_previous_segment() -> None:
    s = _copy(BASE_5010)
    i = _index(s, "SE")
    s[i] = ("SE", [s[i][1][0], ""])  # SE02 empty: a trailing separator
    data = render(s)
    se = _at(data, "SE")[0]
    pyx = list(PYX12.findings(data, "d"))
    ours = list(COMPILED.findings(data, "d"))
    assert se in _positions(ours, "8")
    assert se not in _positions(pyx, "8") and se - 1 in _positions(pyx, "8")
    assert compare(data).same


def test_pyx12_defect_invalid_segment_id_reported_twice() -> None:
    data = _with(BASE_5010, "N1*P5", ("N_1", ["X"]), replace=False)
    bad = _at(data, "N_1")[0]
    pyx = list(PYX12.findings(data, "d"))
    ours = list(COMPILED.findings(data, "d"))
    assert _positions(ours, "1") == [bad]
    assert len(_positions(pyx, "1")) == 2 and bad in _positions(pyx, "1")
    diff = compare(data)
    assert diff.same and "INVALID_ID_TWICE" in diff.defects


def test_pyx12_defect_crash_on_too_many_components() -> None:
    s = _copy(BASE_5010)
    i = _index(s, "INS")
    els = s[i][1] + [""] * 8
    els[5] = "C:1:2:3:4:5:6"  # INS06 is a composite of four components
    s[i] = ("INS", els[: max(6, len(s[i][1]))])
    data = render(s)
    pyx = list(PYX12.findings(data, "d"))
    ours = list(COMPILED.findings(data, "d"))
    assert any(f.code == "ig.pyx12_failed" for f in pyx)
    assert any(f.code == "ig.composite.too_many_components" and f.element == 6 for f in ours)
    diff = compare(data)
    assert diff.same and diff.defects == {"CRASH_TOO_MANY_COMPONENTS"}


def test_pyx12_defect_crash_on_rd8_with_several_dashes() -> None:
    s = _copy(BASE_5010)
    i = next(k for k, (sid, els) in enumerate(s) if sid == "DTP" and els[0] == "348")
    s[i] = ("DTP", ["348", "RD8", "20240101-2024-0201"])
    data = render(s)
    pyx = list(PYX12.findings(data, "d"))
    ours = list(COMPILED.findings(data, "d"))
    assert any(f.code == "ig.pyx12_failed" for f in pyx)
    assert any(f.code == "ig.element.date" and f.segment_id == "DTP" for f in ours)
    diff = compare(data)
    assert diff.same and diff.defects == {"CRASH_RD8_DASHES"}


@pytest.mark.parametrize(("sid", "extra"), [("ST", "X"), ("SE", "N")])
def test_pyx12_defect_st_se_segment_errors_lost(sid: str, extra: str) -> None:
    s = _copy(BASE_5010)
    i = _index(s, sid)
    s[i] = (sid, [*s[i][1], extra])  # one element more than the segment has
    data = render(s)
    at = _at(data, sid)[0]
    pyx = list(PYX12.findings(data, "d"))
    ours = list(COMPILED.findings(data, "d"))
    assert [f.code for f in ours if f.segment_position == at] == ["ig.segment.too_many_elements"]
    assert at not in _positions(pyx, "8")
    diff = compare(data)
    assert diff.same and diff.defects == {"ST_SE_SEGMENT_ERRORS_LOST"}
