"""The parse fast paths give exactly what the general paths give.

The tokenizer skips stripping and line-break checks for buffers it proves clean,
and the builder looks codes and D8 dates up inline, falling back to the exact
(reporting) path only when something is off. These tests put the same content
through both: chunk boundaries anywhere, padding that forces the general loop,
codes that force the reporting path.
"""

from __future__ import annotations

import datetime as dt

import pytest
from msgspec.structs import asdict, replace
from x834 import member, simple

from edi import transport
from edi.findings import Finding
from edi.generate import FORMS, generate
from edi.reader import read
from edi.records import MemberTransaction, decode_json, encode_json
from edi.segments import Segment
from edi.tokenize import read_segments


def tokens(data: bytes) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for item in read_segments(data, "t"):
        if isinstance(item, Segment):
            out.append((item.id, item.elements, item.position, item.offset, item.delimiters))
        else:
            assert isinstance(item, Finding)
            out.append((item.code, item.offset, item.segment_position))
    return out


@pytest.mark.parametrize("ascii_only", [True, False])
@pytest.mark.parametrize("form", sorted(FORMS))
def test_chunk_boundaries_do_not_change_segments(
    form: str, ascii_only: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = b"".join(generate(40, 3, form, ascii_only=ascii_only))
    whole = tokens(data)
    assert sum(1 for t in whole if t[0] == "INS") == 40
    layout = FORMS[form]
    if layout.encoding is None and not layout.wrap:  # offsets index the bytes as written
        for t in whole:
            if isinstance(t[1], tuple):
                sid, offset = str(t[0]), t[3]
                assert isinstance(offset, int)
                assert data[offset:offset + len(sid) + 1] == f"{sid}*".encode(), (sid, offset)
    for size in (97, 1000, 4099):
        monkeypatch.setattr(transport, "CHUNK_SIZE", size)
        assert tokens(data) == whole, size


def test_padding_after_terminators_takes_the_general_loop_with_the_same_segments() -> None:
    clean = simple(member("900110001"), member("900110002"))
    padded = clean.replace(b"~\nINS", b"~\n  INS")
    a = [t for t in tokens(clean) if isinstance(t[1], tuple)]
    b = [t for t in tokens(padded) if isinstance(t[1], tuple)]
    assert [(t[0], t[1], t[2]) for t in a] == [(t[0], t[1], t[2]) for t in b]
    offsets = [t[3] for t in b if t[0] == "INS"]
    assert [padded[o:o + 4] for o in offsets if isinstance(o, int)] == [b"INS*", b"INS*"]
    codes = [t[0] for t in tokens(padded) if not isinstance(t[1], tuple)]
    assert codes == ["transport.padding_after_terminator"]


def test_line_break_inside_an_element_is_still_found() -> None:
    data = simple(member()).replace(b"TESTER", b"TES\nTER")
    codes = [t[0] for t in tokens(data) if not isinstance(t[1], tuple)]
    assert codes == ["transport.line_break_in_element"]


def only(data: bytes) -> MemberTransaction:
    (m,) = [e for e in read(data) if isinstance(e, MemberTransaction)]
    return m


def test_padded_and_unknown_codes_match_the_reporting_path() -> None:
    fast = only(simple(member(ins="INS*Y*18*021*28*A***FT")))
    padded = only(simple(member(ins="INS*Y*18 *021*28 *A***FT ")))
    assert padded.findings == () and (
        padded.relationship, padded.maintenance_reason, padded.employment_status) == (
        fast.relationship, fast.maintenance_reason, fast.employment_status)
    bad = only(simple(member(ins="INS*Y*98*021*QQ*A***ZZ")))
    assert [(f.code, f.element) for f in bad.findings] == [
        ("model.unknown_code", 2), ("model.unknown_code", 4), ("model.unknown_code", 8)]
    assert (bad.relationship, bad.maintenance_reason, bad.employment_status) == (None, None, None)


def members(data: bytes) -> list[MemberTransaction]:
    return [e for e in read(data) if isinstance(e, MemberTransaction)]


def test_repeated_ins_and_hd_elements_read_alike_and_keep_their_findings() -> None:
    clean = "INS*Y*18*021*28*A***FT"
    bad = "INS*Y*98*021*QQ*A***ZZ"
    bad_hd = ("HD*021**HLT**EMP****Q",)
    ms = members(simple(member("900110001", ins=clean), member("900110002", ins=bad),
                        member("900110003", ins=clean), member("900110004", ins=bad),
                        member("900110005", extra=bad_hd), member("900110006", extra=bad_hd)))
    assert [m.lineage.member_ordinal for m in ms] == [1, 2, 3, 4, 5, 6]
    assert ms[0].findings == ms[2].findings == ()
    differ = {"lineage", "subscriber_number", "member", "dates", "coverages"}
    assert ({k: v for k, v in asdict(ms[0]).items() if k not in differ}
            == {k: v for k, v in asdict(ms[2]).items() if k not in differ})
    for m in (ms[1], ms[3]):
        assert [(f.code, f.element, f.member_ordinal) for f in m.findings] == [
            ("model.unknown_code", 2, m.lineage.member_ordinal),
            ("model.unknown_code", 4, m.lineage.member_ordinal),
            ("model.unknown_code", 8, m.lineage.member_ordinal)]
        assert m.relationship is None and m.rejected
    for m in (ms[4], ms[5]):
        assert [(f.code, f.segment_id, f.element) for f in m.findings] == [
            ("model.unknown_code", "HD", 9)]
        assert [c.late_enrollment for c in m.coverages] == [None, None]
        assert [c.position for c in m.coverages] == [
            m.lineage.first_position + 4, m.lineage.first_position + 6]


@pytest.mark.parametrize(("sep", "term"), [("~", "~"), ("~\n", "~"), ("~\r\n", "~"),
                                         ("\n", "\n"), ("'\n", "'"), ("|", "|")])
def test_padding_scan_is_the_plain_check_in_one_pass(sep: str, term: str) -> None:
    import random

    from edi.tokenize import WS, _padding

    def plain(buf: str) -> bool:  # a segment after `sep` starts with padding or is empty
        return (buf[:1] in WS or buf.startswith(sep) or (sep + term) in buf
                or any(sep + c in buf for c in WS))

    rng = random.Random(7)
    alphabet = ["INS*Y", "REF*0F*1", " ", "\t", "\x00", "\x0b", "\r", "\n", "~", "'", "|", "*"]
    found = 0
    for _ in range(500):
        buf = sep.join("".join(rng.choices(alphabet, k=rng.randint(0, 3)))
                       for _ in range(rng.randint(1, 6)))
        assert _padding(buf, sep, term) == plain(buf), (sep, buf)
        found += plain(buf)
    assert 0 < found < 500


@pytest.mark.parametrize("sep", ["~\n", "~\r\n", "~"])
def test_boundary_scan_finds_every_isa_and_iea_the_per_segment_test_would(sep: str) -> None:
    """The tokenizer's clean loop skips its per-segment ISA/IEA test when `_boundary` says
    no segment of the chunk can start with either (`NM1*IL*1*ISAAC` is data)."""
    import random

    from edi.tokenize import _boundary

    rng = random.Random(11)
    alphabet = ["INS*Y", "NM1*IL*1*ISAAC", "ISA*00", "IEA*1", "ISA", "IEA", "LISA*", "*IEA",
                "~", "\n", "I", "SA", "EA"]
    found = 0
    for _ in range(800):
        buf = sep.join("".join(rng.choices(alphabet, k=rng.randint(0, 3)))
                       for _ in range(rng.randint(1, 6)))
        plain = any(p.startswith(("ISA", "IEA")) for p in buf.split(sep))
        assert _boundary(buf, sep) == plain, (sep, buf)
        found += plain
    assert 0 < found < 800


def test_repeated_and_new_dates_parse_alike() -> None:
    m = only(simple(member(extra=("DTP*349*D8*20240101", "DTP*349*D8*20240229",
                                  "DTP*349*RD8*20240101-20240131"))))
    assert [(d.begin, d.end) for d in m.coverages[0].dates] == [
        (dt.date(2024, 1, 1), None), (dt.date(2024, 1, 1), None), (dt.date(2024, 2, 29), None),
        (dt.date(2024, 1, 1), dt.date(2024, 1, 31))]
    assert m.findings == ()


def test_fast_built_records_are_ordinary_frozen_records() -> None:
    m = only(simple(member()))
    assert decode_json(type(m), encode_json(m)) == m
    copy = replace(m, rejected=True)
    assert copy.rejected and not m.rejected and replace(copy, rejected=False) == m
    with pytest.raises(AttributeError):
        m.member.name.last = "X"  # type: ignore[misc]


@pytest.mark.parametrize("variant", [b"~", b"~\n\n", b"~\r\n", b"~ \n"])
def test_a_terminator_without_its_line_break_or_a_stray_one_reads_the_same(
    variant: bytes,
) -> None:
    """The one-segment-per-line layout is taken only when every terminator in the buffer
    is followed by a LF and every LF follows a terminator; one pair out of place reads the
    same segments (the general loop)."""
    clean = simple(member("900110001"), member("900110002"))
    mixed = clean.replace(b"~\nNM1*IL*1*TESTER*ALICE****34*900110002~\n",
                          b"~\nNM1*IL*1*TESTER*ALICE****34*900110002" + variant, 1)
    assert mixed != clean
    want = [(t[0], t[1], t[2]) for t in tokens(clean) if isinstance(t[1], tuple)]
    got = [(t[0], t[1], t[2]) for t in tokens(mixed) if isinstance(t[1], tuple)]
    assert got == want
