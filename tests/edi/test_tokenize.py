"""read_segments on every input form: the same segments as the plain form, with findings."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest

import edi.transport as transport
from edi.findings import Finding, Level, Severity
from edi.segments import Delimiters, Segment
from edi.tokenize import normalise, read_segments, segments_text

# An invented 834 (no real people). NM1*IL*1*ISAAC is data, not an interchange start.
SEGMENTS = [
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
    "*260101*1200*^*00501*000000001*0*P*:",
    "GS*BE*SENDER*RECEIVER*20260101*1200*1*X*005010X220A1",
    "ST*834*0001*005010X220A1",
    "BGN*00*REF1*20260101*1200****2",
    "N1*P5*ACME WIDGETS*FI*999888777",
    "N1*IN*PAYER*FI*999888666",
    "INS*Y*18*021*20*A***FT",
    "REF*0F*999001234",
    "NM1*IL*1*DOE*JANE*Q***34*999001234",
    "N3*12 MAIN ST*APT 3",
    "DMG*D8*19800101*F**A^B",
    "HD*021**HLT*",
    "DTP*348*D8*20260101",
    "INS*N*19*021*20*A",
    "REF*0F*999001234",
    "NM1*IL*1*ISAAC*JOHN",
    "DMG*D8*20100101*M",
    "SE*16*0001",
    "GE*1*1",
    "IEA*1*000000001",
]
PLAIN = "".join(s + "~\n" for s in SEGMENTS).encode()


def expected(segments: list[str] = SEGMENTS) -> list[tuple[str, tuple[str, ...]]]:
    return [(s.split("*")[0], tuple(s.split("*")[1:])) for s in segments]


def read(data: bytes, source: str = "t.edi") -> tuple[list[Segment], list[Finding]]:
    segs: list[Segment] = []
    finds: list[Finding] = []
    for item in read_segments(data, source):
        (segs if isinstance(item, Segment) else finds).append(item)  # type: ignore[arg-type]
    return segs, finds


def shape(segs: list[Segment]) -> list[tuple[str, tuple[str, ...]]]:
    return [(s.id, s.elements) for s in segs]


def codes(finds: list[Finding]) -> list[str]:
    return [f.code for f in finds]


def assert_same_as_plain(data: bytes) -> tuple[list[Segment], list[Finding]]:
    segs, finds = read(data)
    assert shape(segs) == expected()
    assert [s.position for s in segs] == list(range(1, len(SEGMENTS) + 1))
    assert all(s.delimiters is segs[0].delimiters for s in segs)
    return segs, finds


# ---------------------------------------------------------------- form helpers


def one_line(segments: list[str] = SEGMENTS, term: str = "~") -> bytes:
    return "".join(s + term for s in segments).encode()


def diskette(data: bytes, width: int = 80, brk: bytes = b"\r\n") -> bytes:
    return b"".join(data[i : i + width] + brk for i in range(0, len(data), width))


def tape(data: bytes, record: int = 80, pad: bytes = b" ") -> bytes:
    return data + pad * (-len(data) % record)


# ---------------------------------------------------------------- plain forms


def test_plain_one_segment_per_line_offsets_and_delimiters() -> None:
    segs, finds = assert_same_as_plain(PLAIN)
    assert finds == []
    starts = [0]
    for s in SEGMENTS[:-1]:
        starts.append(starts[-1] + len(s) + 2)
    assert [s.offset for s in segs] == starts
    assert segs[0].delimiters == Delimiters(element="*", component=":", segment="~", repetition="^")
    assert segs[10].repeats(5) == ("A", "B")
    assert segs[11].elements == ("021", "", "HLT", "")  # trailing empty element kept


def test_one_line_file() -> None:
    data = one_line()
    segs, finds = assert_same_as_plain(data)
    assert finds == []
    assert [data[s.offset : s.offset + 3] for s in segs[:3]] == [b"ISA", b"GS*", b"ST*"]


@pytest.mark.parametrize("brk", ["\r\n", "\n"])
def test_line_breaks_after_terminator(brk: str) -> None:
    segs, finds = assert_same_as_plain(one_line(term="~" + brk))
    assert finds == []


def test_mixed_lines() -> None:
    text = "".join(s + ("~" if i % 3 else "~\r\n") for i, s in enumerate(SEGMENTS))
    segs, finds = assert_same_as_plain(text.encode())
    assert finds == []


@pytest.mark.parametrize("brk", ["\n", "\r\n"])
def test_newline_is_the_terminator(brk: str) -> None:
    data = brk.join(SEGMENTS).encode()  # no final line break either
    segs, finds = assert_same_as_plain(data)
    assert finds == []
    assert segs[0].delimiters.segment == "\n"
    assert data[segs[5].offset : segs[5].offset + 2] == b"N1"


def test_spaces_after_terminator_reported_once() -> None:
    data = one_line(term="~   \n")
    segs, finds = assert_same_as_plain(data)
    assert codes(finds) == ["transport.padding_after_terminator"]
    assert finds[0].severity is Severity.INFO and finds[0].offset == len(SEGMENTS[0]) + 1
    assert data[segs[1].offset : segs[1].offset + 2] == b"GS"


def test_leading_indentation_and_nul_padding() -> None:
    data = "".join("  " + s + "~\x00\n" for s in SEGMENTS).encode()
    segs, finds = assert_same_as_plain(data)
    assert codes(finds) == ["transport.padding_after_terminator"]
    assert all(data[s.offset : s.offset + len(s.id)] == s.id.encode() for s in segs)


def test_utf8_bom() -> None:
    segs, finds = assert_same_as_plain(b"\xef\xbb\xbf" + PLAIN)
    assert finds == []
    assert segs[0].offset == 3


def test_text_before_isa() -> None:
    prose = b"Business case 1: enrol JANE\r\nNotes about ISA: none\r\n\r\n"
    segs, finds = assert_same_as_plain(prose + PLAIN)
    assert codes(finds) == ["transport.text_before_isa"]
    assert finds[0].offset == 0 and finds[0].level is Level.FILE
    assert segs[0].offset == len(prose)


# ---------------------------------------------------------------- transport forms


@pytest.mark.parametrize("brk", [b"\r\n", b"\n"])
def test_diskette_80_columns(brk: bytes) -> None:
    data = diskette(one_line(), 80, brk)
    segs, finds = assert_same_as_plain(data)
    assert codes(finds) == ["transport.diskette_wrapped"]
    for s in segs:
        # offset maps back into the wrapped file: the id starts there (the break may follow it)
        assert (
            data[s.offset : s.offset + 2 + len(brk)].replace(brk, b"").startswith(s.id.encode()[:2])
        )
    assert segs[1].offset == len(SEGMENTS[0]) + 1 + len(brk)  # ISA (106 chars) spans one break


def test_diskette_break_inside_a_utf8_character() -> None:
    for filler in range(80):
        segments = [s.replace("ACME WIDGETS", "X" * filler + "ÉCOLE") for s in SEGMENTS]
        flat = one_line(segments)
        if flat.index("É".encode()) % 80 == 79:
            break
    data = diskette(flat, 80)
    assert b"\xc3\r\n\x89" in data
    segs, finds = read(data)
    assert codes(finds) == ["transport.diskette_wrapped"]  # not a latin-1 fallback
    assert shape(segs) == expected(segments)


def test_diskette_with_line_per_segment_inside() -> None:
    segs, _ = assert_same_as_plain(diskette(PLAIN, 80, b"\r\n"))


@pytest.mark.parametrize("record", [80, 128])
@pytest.mark.parametrize("pad", [b" ", b"\x00"])
def test_fixed_block_tape(record: int, pad: bytes) -> None:
    data = tape(one_line(), record, pad)
    assert len(data) % record == 0
    segs, finds = assert_same_as_plain(data)
    assert finds == []


@pytest.mark.parametrize(
    ("codepage", "repetition"),
    [("cp037", "^"), ("cp500", "^"), ("cp037", "!"), ("cp037", "|"), ("cp500", "|")],
)
def test_ebcdic(codepage: str, repetition: str) -> None:
    segments = [SEGMENTS[0].replace("*^*", f"*{repetition}*")] + SEGMENTS[1:]
    segments = [s.replace("A^B", f"A{repetition}B") for s in segments]
    data = "".join(s + "~\x85" for s in segments).encode(codepage)  # EBCDIC NL after each
    assert data.startswith(b"\xc9\xe2\xc1\x5c")
    segs, finds = read(data)
    assert shape(segs) == expected(segments)
    assert segs[0].delimiters.repetition == repetition
    assert codes(finds) == ["transport.ebcdic"]
    assert [s.offset for s in segs[:2]] == [0, len(segments[0]) + 2]


def test_ebcdic_ambiguous_byte_goes_to_cp037() -> None:
    """0x4F is '!' in cp500 and '|' in cp037: the ISA cannot tell, cp037 wins (documented)."""
    data = one_line([SEGMENTS[0].replace("*^*", "*!*")] + SEGMENTS[1:]).decode().encode("cp500")
    segs, _ = read(data)
    assert segs[0].delimiters.repetition == "|" and len(segs) == len(SEGMENTS)


@pytest.mark.parametrize("brk", [b"\x0d\x25", b"\x15"])
def test_ebcdic_diskette(brk: bytes) -> None:
    data = diskette(one_line().decode().encode("cp037"), 80, brk)
    segs, finds = assert_same_as_plain(data)
    assert codes(finds) == ["transport.ebcdic", "transport.diskette_wrapped"]
    assert segs[1].offset == len(SEGMENTS[0]) + 1 + len(brk)


def test_ebcdic_fixed_block() -> None:
    data = tape(one_line().decode().encode("cp037"), 80, b"\x40")
    segs, finds = assert_same_as_plain(data)
    assert codes(finds) == ["transport.ebcdic"]


# ---------------------------------------------------------------- several interchanges


def test_several_interchanges_with_own_delimiters() -> None:
    second = [s.replace("*", "|").replace("^", "!").replace(":", ">") for s in SEGMENTS]
    data = PLAIN + "".join(s + "\n" for s in second).encode() + PLAIN
    segs, finds = read(data)
    n = len(SEGMENTS)
    assert finds == []
    assert [s.id for s in segs].count("ISA") == 3 and len(segs) == 3 * n
    assert shape(segs[:n]) == shape(segs[2 * n :]) == expected()
    assert shape(segs[n : 2 * n]) == [(s.split("|")[0], tuple(s.split("|")[1:])) for s in second]
    assert segs[n].delimiters == Delimiters("|", ">", "\n", "!")
    assert segs[2 * n].delimiters == segs[0].delimiters
    assert segs[2 * n].delimiters is not segs[0].delimiters
    assert [s.position for s in segs] == list(range(1, 3 * n + 1))
    assert segs[2 * n].offset == data.rindex(b"ISA*")


def test_back_to_back_interchanges_one_line() -> None:
    data = one_line() * 3
    segs, finds = read(data)
    assert finds == [] and len(segs) == 3 * len(SEGMENTS)
    assert [s.offset for s in segs if s.id == "ISA"] == [0, len(data) // 3, 2 * len(data) // 3]


def test_text_between_and_after_interchanges() -> None:
    data = PLAIN + b"-- next --\n" + PLAIN + b"trailer text\n"
    segs, finds = read(data)
    assert len(segs) == 2 * len(SEGMENTS)
    assert codes(finds) == ["transport.text_between_interchanges", "transport.text_after_iea"]
    assert finds[0].offset == len(PLAIN)
    assert finds[1].offset == 2 * len(PLAIN) + len(b"-- next --\n")


def test_isa_without_iea_starts_a_new_interchange() -> None:
    first = "".join(s + "~\n" for s in SEGMENTS[:-1])  # no IEA
    data = first.encode() + PLAIN
    segs, finds = read(data)
    assert [s.id for s in segs].count("ISA") == 2 and finds == []


# ---------------------------------------------------------------- character sets


def test_latin1_and_utf8_names() -> None:
    utf8 = PLAIN.replace(b"DOE*JANE", "MÜLLER*JOSÉ".encode())
    segs, finds = read(utf8)
    assert finds == [] and segs[8].elements[2:4] == ("MÜLLER", "JOSÉ")
    assert utf8[segs[9].offset : segs[9].offset + 3] == b"N3*"  # offsets count UTF-8 bytes
    latin1 = PLAIN.replace(b"DOE*JANE", "MÜLLER*JOSÉ".encode("latin-1"))
    segs, finds = read(latin1)
    assert codes(finds) == ["transport.latin1_fallback"]
    assert segs[8].elements[2:4] == ("MÜLLER", "JOSÉ")
    assert latin1[segs[9].offset : segs[9].offset + 3] == b"N3*"


def test_splitlines_trap_characters_survive() -> None:
    data = PLAIN.replace(b"12 MAIN ST", "12\x1cMAIN\x85ST\x1d\x0b\x0c".encode())
    segs, finds = read(data)
    assert segs[9].elements[0] == "12\x1cMAIN\x85ST\x1d\x0b\x0c"
    assert len(segs) == len(SEGMENTS) and finds == []


# ---------------------------------------------------------------- broken inputs


def test_line_break_inside_element_is_kept_and_reported() -> None:
    data = PLAIN.replace(b"N3*12 MAIN ST*APT 3", b"N3*12 MAIN ST*APT\n3")
    segs, finds = read(data)
    assert segs[9].elements == ("12 MAIN ST", "APT\n3")
    (f,) = finds
    assert (f.code, f.severity, f.level, f.element, f.x12_code) == (
        "transport.line_break_in_element",
        Severity.ERROR,
        Level.ELEMENT,
        2,
        "6",
    )
    assert f.segment_position == 10 and f.offset == segs[9].offset
    assert "APT" not in f.message and "MAIN" not in str(f)


def test_missing_isa16() -> None:
    data = PLAIN.replace(b"*P*:~", b"*P*~")
    segs, finds = read(data)
    assert shape(segs)[1:] == expected()[1:]
    assert segs[0].elements[15] == "" and segs[0].delimiters.component == ":"
    assert segs[0].delimiters.segment == "~"
    (f,) = finds
    assert (f.code, f.severity, f.x12_code) == ("transport.isa16_missing", Severity.WARNING, "027")


def test_short_isa_with_collapsed_padding() -> None:
    isa = "ISA*00* *00* *ZZ*SENDER *ZZ*RECEIVER *260101*1200*^*00501*000000001*0*P*:"
    segs, finds = read(PLAIN.replace(SEGMENTS[0].encode(), isa.encode()))
    assert finds == [] and segs[0].elements[5] == "SENDER " and len(segs) == len(SEGMENTS)
    assert segs[1].offset == len(isa) + 2


@pytest.mark.parametrize(
    ("old", "new", "x12"),
    [
        (b"*P*:~\n", b"*P**~\n", "027"),
        (b"*P*:~\n", b"*P*::\n", "027"),
        (b"*P*:~\n", b"*P*:A\n", "004"),
        (SEGMENTS[0].encode(), SEGMENTS[0].replace("*", "\x00").encode(), "026"),
    ],
)
def test_bad_delimiters_skip_to_next_interchange(old: bytes, new: bytes, x12: str) -> None:
    bad = PLAIN.replace(old, new, 1)
    segs, finds = read(bad + PLAIN)
    assert [f.code for f in finds] == ["transport.bad_delimiters"]
    assert finds[0].x12_code == x12 and finds[0].severity is Severity.ERROR
    assert finds[0].offset == 0
    assert shape(segs) == expected() and segs[0].offset == len(bad)


def test_isa_word_in_prose_is_not_an_interchange() -> None:
    segs, finds = read(b"ISA segments come first.\n" + PLAIN)
    assert codes(finds) == ["transport.text_before_isa"] and shape(segs) == expected()


def test_truncated_mid_segment() -> None:
    data = PLAIN[: PLAIN.index(b"DOE*JANE") + 3]
    segs, finds = read(data)
    assert [s.id for s in segs] == [s.split("*")[0] for s in SEGMENTS[:8]]
    (f,) = finds
    assert f.code == "transport.truncated" and f.severity is Severity.ERROR
    assert f.offset == PLAIN.index(b"NM1*IL*1*DOE")


def test_clean_cut_without_iea_is_not_a_transport_finding() -> None:
    segs, finds = read(PLAIN[: PLAIN.index(b"GE*")])
    assert finds == [] and segs[-1].id == "SE"


def test_unterminated_final_iea_is_kept() -> None:
    segs, finds = read(PLAIN.rstrip(b"~\n"))
    assert shape(segs) == expected()
    assert codes(finds) == ["transport.missing_final_terminator"]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n\x00\x00",
        bytes(range(256)) * 4,
        b"hello ISA world\n",
        b"\xff\xfe\x00I\x00S\x00A",
    ],
)
def test_no_interchange(data: bytes) -> None:
    items = list(read_segments(data, "x.bin"))
    assert len(items) == 1
    f = items[0]
    assert isinstance(f, Finding)
    assert (f.code, f.severity, f.level) == ("transport.no_interchange", Severity.ERROR, Level.FILE)


def test_sources_file_object_and_path(tmp_path: Path) -> None:
    path = tmp_path / "in.edi"
    path.write_bytes(PLAIN)
    assert shape(read(PLAIN)[0]) == expected()
    assert [s for s in read_segments(path) if isinstance(s, Segment)] == read(PLAIN)[0]
    from_file = [s for s in read_segments(io.BytesIO(PLAIN)) if isinstance(s, Segment)]
    assert from_file == read(PLAIN)[0]


def test_fast_segments_equal_constructed_ones() -> None:
    seg = read(PLAIN)[0][7]
    built = Segment("REF", ("0F", "999001234"), 8, seg.offset, seg.delimiters)
    assert seg == built and hash(seg) == hash(built) and repr(seg) == repr(built)
    with pytest.raises(AttributeError):
        seg.id = "X"  # type: ignore[misc]


# ---------------------------------------------------------------- helpers


def test_normalise_and_segments_text() -> None:
    odd = diskette(b"\xef\xbb\xbf" + one_line(), 80)
    text = "".join(normalise(odd))
    assert text == PLAIN.decode()
    assert list(segments_text(PLAIN)) == SEGMENTS


def test_normalise_repairs_isa_for_fixed_offset_readers() -> None:
    isa = "ISA*00* *00* *ZZ*SENDER *ZZ*RECEIVER *260101*1200*^*00501*000000001*0*P*~"
    data = PLAIN.replace(SEGMENTS[0].encode() + b"~", isa.encode())
    first = next(normalise(data))
    assert len(first) == 107 and first[102:107] == "P*:~\n"  # 106 chars + newline


# ---------------------------------------------------------------- streaming


class _Generated(io.RawIOBase):
    """A file object producing a long invented 834 on the fly (never held in memory)."""

    def __init__(self, members: int) -> None:
        self.parts = self._parts(members)
        self.pending = b""
        self.size = 0

    def _parts(self, members: int):  # type: ignore[no-untyped-def]
        yield "".join(s + "~\n" for s in SEGMENTS[:6]).encode()
        member = "".join(s + "~\n" for s in SEGMENTS[6:13]).encode()
        for _ in range(members):
            yield member
        yield "".join(s + "~\n" for s in SEGMENTS[-3:]).encode()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while len(self.pending) < size:
            nxt = next(self.parts, None)
            if nxt is None:
                break
            self.pending += nxt
        out, self.pending = self.pending[:size], self.pending[size:]
        self.size += len(out)
        return out


def test_stream_does_not_hold_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory is bounded by the chunk size, not by the input (here with 16 KiB chunks)."""
    monkeypatch.setattr(transport, "CHUNK_SIZE", 1 << 14)
    monkeypatch.setattr(transport, "SNIFF_SIZE", 1 << 12)
    source = _Generated(members=28_600)  # 200k segments, ~4.5 MB
    tracemalloc.start()
    count = 0
    for item in read_segments(source, "gen.edi"):  # type: ignore[arg-type]
        count += isinstance(item, Segment)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == 28_600 * 7 + 9
    assert source.size > 4_000_000
    assert peak < 20 * (1 << 14) < source.size / 4
