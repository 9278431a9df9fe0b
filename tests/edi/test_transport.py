"""Transport layer: ISA delimiter discovery, character sets, diskette unwrapping, chunking, corpus."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edi.transport as transport
from edi.findings import Finding, Severity
from edi.segments import Delimiters, Segment
from edi.tokenize import read_segments
from edi.transport import open_text, scan_isa

ISA = (
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
    "*260101*1200*^*00501*000000001*0*P*:~"
)
BODY = [
    "GS*BE*SENDER*RECEIVER*20260101*1200*1*X*005010X220A1",
    "ST*834*0001*005010X220A1",
    "INS*Y*18*021*20*A***FT",
    "NM1*IL*1*DOE*JANE****34*999001234",
    "SE*4*0001",
    "GE*1*1",
    "IEA*1*000000001",
]
PLAIN = ISA + "\n" + "".join(s + "~\n" for s in BODY)


# ---------------------------------------------------------------- scan_isa


def test_scan_standard_isa() -> None:
    scan = scan_isa(PLAIN)
    assert scan is not None
    assert scan.delimiters == Delimiters("*", ":", "~", "^")
    assert (scan.segment_end, scan.end) == (105, 106)
    assert not scan.isa16_missing and scan.problem is None


def test_scan_isa_not_106_chars() -> None:
    short = "ISA*00* *00* *ZZ*ORD *ZZ*MB8 *130312*0206*!*00501*000000238*0*P*:~GS*BE~"
    scan = scan_isa(short)
    assert scan is not None and scan.delimiters == Delimiters("*", ":", "~", "!")
    assert short[scan.end :].startswith("GS")


@pytest.mark.parametrize("brk", ["\n", "\r\n"])
def test_scan_newline_terminator(brk: str) -> None:
    text = ISA[:-1] + brk + "GS*BE*S*R*20260101*1200*1*X*005010X220A1" + brk
    scan = scan_isa(text)
    assert scan is not None and scan.delimiters is not None
    assert scan.delimiters.segment == "\n" and scan.delimiters.component == ":"
    assert text[scan.end :].startswith("GS") and scan.segment_end == 105


def test_scan_missing_isa16() -> None:
    text = ISA[:-2] + "~\nGS*BE*S*R*20260101*1200*1*X*005010X220A1~\n"
    scan = scan_isa(text)
    assert scan is not None and scan.isa16_missing
    assert scan.delimiters == Delimiters("*", ":", "~", "^")
    assert text[scan.end :].startswith("\nGS")


def test_scan_isa11_letter_means_no_repetition_separator() -> None:
    scan = scan_isa(ISA.replace("*^*", "*U*"))
    assert scan is not None and scan.delimiters is not None
    assert scan.delimiters.repetition is None and not scan.repetition_clash


def test_scan_isa11_clash_is_flagged_not_fatal() -> None:
    scan = scan_isa(ISA.replace("*^*", "*:*"))
    assert scan is not None and scan.delimiters is not None
    assert scan.delimiters.repetition is None and scan.repetition_clash


def test_scan_needs_more_text_unless_final() -> None:
    assert scan_isa(ISA[:50], final=False) is None
    bad = scan_isa(ISA[:50], final=True)
    assert bad is not None and bad.delimiters is None and bad.x12_code == "026"
    # a newline terminator cannot be told from a missing ISA16 before the next line is seen
    assert scan_isa(ISA[:-1] + "\nGS*BE", final=False) is None


def test_repetition_clash_reported_by_reader() -> None:
    data = PLAIN.replace("*^*", "*:*").encode()
    finds = [x for x in read_segments(data) if isinstance(x, Finding)]
    assert [f.code for f in finds] == ["transport.repetition_separator_clash"]
    assert finds[0].severity is Severity.WARNING


# ---------------------------------------------------------------- open_text


def text_of(data: bytes, **kw: int) -> tuple[str, transport.TextStream]:
    stream = open_text(data, "t", **kw)
    return "".join(stream.chunks()), stream


def test_bom_is_skipped_and_counted() -> None:
    text, stream = text_of(b"\xef\xbb\xbf" + PLAIN.encode())
    assert text == PLAIN and stream.base == 3 and stream.to_original(3) == 3


def test_utf8_char_split_across_chunks() -> None:
    data = ("X" * 9 + "É" * 20).encode()
    text, stream = text_of(data, chunk_size=4)
    assert text == "X" * 9 + "É" * 20 and stream.encoding == "utf-8"


def test_latin1_fallback_after_the_sniffed_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "SNIFF_SIZE", 16)
    data = PLAIN.replace("DOE", "MÜLLER").encode("latin-1")
    text, stream = text_of(data, chunk_size=16)
    assert text == PLAIN.replace("DOE", "MÜLLER")
    assert stream.encoding == "latin-1"
    assert [f.code for f in stream.findings] == ["transport.latin1_fallback"]


@pytest.mark.parametrize("codepage", ["cp037", "cp500"])
def test_ebcdic_codepage_choice_and_nl(codepage: str) -> None:
    data = PLAIN.replace("\n", "\x85").encode(codepage)
    text, stream = text_of(data)
    assert stream.encoding == codepage
    assert text == PLAIN


def test_diskette_detected_and_mapped_exactly() -> None:
    one_line = (ISA + "".join(s + "~" for s in BODY)).encode()
    wrapped = b"".join(one_line[i : i + 80] + b"\r\n" for i in range(0, len(one_line), 80))
    text, stream = text_of(wrapped)
    assert text.encode() == one_line and stream.maps_offsets
    for t in (0, 79, 80, 81, 200, len(one_line) - 1):
        assert wrapped[stream.to_original(t)] == one_line[t]


def test_one_segment_per_line_is_not_mistaken_for_diskette() -> None:
    same_width = "".join(s.ljust(78) + "~\n" for s in [ISA[:-1], *BODY])
    text, stream = text_of(same_width.encode())
    assert not stream.maps_offsets and text == same_width
    text, stream = text_of(PLAIN.encode())
    assert not stream.maps_offsets


def test_diskette_irregular_tail_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # the irregularity lies after the sniffed start
    monkeypatch.setattr(transport, "SNIFF_SIZE", 200)
    one_line = (ISA + "".join(s + "~" for s in BODY)).encode()
    wrapped = b"".join(one_line[i : i + 80] + b"\r\n" for i in range(0, 240, 80))
    wrapped += b"\r\n" + one_line[240:]
    items = list(read_segments(wrapped))
    finds = [x for x in items if isinstance(x, Finding)]
    assert [f.code for f in finds][:2] == [
        "transport.diskette_wrapped",
        "transport.diskette_irregular",
    ]
    assert finds[1].offset == 246  # the first record that does not end with a line break
    assert len([x for x in items if isinstance(x, Segment)]) == len(BODY) + 1


# ---------------------------------------------------------------- chunk boundaries


class Dribble(io.RawIOBase):
    """A file object returning a few bytes per read: every chunk boundary gets exercised."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0
        self.step = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.step = self.step % 13 + 1
        out = self.data[self.at : self.at + min(size, self.step)]
        self.at += len(out)
        return out


@pytest.mark.parametrize(
    "data",
    [
        PLAIN.encode(),
        (PLAIN + PLAIN).replace("~\n", "~").encode(),
        PLAIN.replace("~\n", "\r\n").encode(),
        ("prose ISA here\n" + PLAIN + "  \x00\x00").replace("DOE", "DÖE").encode(),
        PLAIN[:-30].encode(),
        PLAIN.replace("IEA*1*000000001~\n", "IEA*1*000000001~") + "garbage ISA not here",
    ],
    ids=["lines", "two-one-line", "newline-term", "prose-utf8-pad", "truncated", "garbage"],
)
def test_tiny_chunks_give_the_same_result(
    monkeypatch: pytest.MonkeyPatch, data: bytes | str
) -> None:
    raw = data if isinstance(data, bytes) else data.encode()
    whole = list(read_segments(raw, "t"))
    monkeypatch.setattr(transport, "SNIFF_SIZE", 8)
    dribbled = list(read_segments(Dribble(raw), "t"))  # type: ignore[arg-type]
    assert dribbled == whole
    assert any(isinstance(x, Segment) for x in whole)


# ---------------------------------------------------------------- the public corpus


def _sources_table(corpus: Path) -> dict[str, tuple[int, int]]:
    """file → (n_ST, n_INS) from the SOURCES.md table."""
    rows: dict[str, tuple[int, int]] = {}
    for line in (corpus / "SOURCES.md").read_text(encoding="utf-8").split("\n"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 7 and cells[5].isdigit() and cells[6].isdigit():
            rows[cells[0]] = (int(cells[5]), int(cells[6]))
    return rows


def test_corpus_reads_and_counts_match_sources(corpus_dir: Path) -> None:
    table = _sources_table(corpus_dir)
    files = sorted(p for p in corpus_dir.iterdir() if p.name != "SOURCES.md")
    assert len(table) >= 45 and files
    for path in files:
        items = list(read_segments(path, path.name))
        segs = [x for x in items if isinstance(x, Segment)]
        assert segs and segs[0].id == "ISA", path.name
        assert all(isinstance(x, Segment | Finding) for x in items)
        assert not [
            f for f in items if isinstance(f, Finding) and f.code == "transport.no_interchange"
        ]
        data = path.read_bytes()
        for seg in segs:
            assert data[seg.offset : seg.offset + len(seg.id)] == seg.id.encode(), (
                path.name,
                seg.position,
            )
        if path.name in table:
            n_st, n_ins = table[path.name]
            assert sum(s.id == "ST" for s in segs) == n_st, path.name
            assert sum(s.id == "INS" for s in segs) == n_ins, path.name


def test_corpus_missing_isa16(corpus_dir: Path) -> None:
    path = corpus_dir / "impendjcs__valid-834_missing_ISA16.edi"
    items = list(read_segments(path, path.name))
    segs = [x for x in items if isinstance(x, Segment)]
    finds = [x for x in items if isinstance(x, Finding)]
    assert [f.code for f in finds] == ["transport.isa16_missing"]
    assert finds[0].x12_code == "027" and finds[0].severity is Severity.WARNING
    assert segs[0].delimiters.segment == "~" and segs[1].id == "GS"
    assert [s.id for s in segs][-3:] == ["SE", "GE", "IEA"]


def test_corpus_eol_in_element(corpus_dir: Path) -> None:
    path = corpus_dir / "pyx12__x12testdata_834_eol_in_element.edi"
    items = list(read_segments(path, path.name))
    finds = [x for x in items if isinstance(x, Finding)]
    (f,) = finds
    n3 = next(x for x in items if isinstance(x, Segment) and x.id == "N3")
    assert (f.code, f.x12_code, f.element, f.segment_position) == (
        "transport.line_break_in_element",
        "6",
        1,
        n3.position,
    )
    assert "\n" in n3.elements[0]


def test_corpus_prose_and_padding(corpus_dir: Path) -> None:
    prose = list(read_segments(corpus_dir / "stupidedi__bcs01-good.txt"))
    assert [x.code for x in prose if isinstance(x, Finding)] == ["transport.text_before_isa"]
    padded = list(read_segments(corpus_dir / "pyx12__834_ls_le_ls_2016orig.edi"))
    assert [x.code for x in padded if isinstance(x, Finding)] == [
        "transport.padding_after_terminator"
    ]
    assert sum(isinstance(x, Segment) for x in padded) == 78


# ---------------------------------------------------------------- never raises


@settings(max_examples=150, deadline=None)
@given(
    cut=st.integers(min_value=0, max_value=len(PLAIN)),
    junk=st.one_of(
        st.binary(max_size=40),
        st.text(alphabet="*~:^>\r\n \x00\x85ISAEGX019", max_size=40).map(str.encode),
    ),
    at=st.integers(min_value=0, max_value=len(PLAIN)),
)
def test_mangled_input_never_raises(cut: int, junk: bytes, at: int) -> None:
    raw = PLAIN.encode()
    data = (raw[:at] + junk + raw[at:])[: cut + len(junk)]
    items = list(read_segments(data, "fuzz.edi"))
    assert items and all(isinstance(x, Segment | Finding) for x in items)
    segs = [x for x in items if isinstance(x, Segment)]
    assert [s.position for s in segs] == list(range(1, len(segs) + 1))
    assert all(0 <= s.offset < len(data) for s in segs)
    if not segs:
        assert len(items) == 1 or all(isinstance(x, Finding) for x in items)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data: bytes) -> None:
    items = list(read_segments(b"ISA" + data if data[:1] == b"*" else data, "fuzz.bin"))
    assert items and all(isinstance(x, Segment | Finding) for x in items)
