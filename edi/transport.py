"""Transport: any real-world 834 byte stream → decoded text chunks, plus ISA delimiter discovery.

This module knows how files travel, not what X12 means beyond the ISA header:

* input: `bytes`, a binary file object or a `Path`, read in `CHUNK_SIZE` pieces
  (never the whole file);
* a UTF-8 byte-order mark is skipped;
* character set: ASCII family (UTF-8, falling back to latin-1 for the rest of
  the file at the first undecodable chunk, with an INFO finding) or EBCDIC
  (cp037 or cp500, chosen by which one decodes the ISA to plausible delimiters;
  EBCDIC NL, U+0085 after decoding, becomes a line feed);
* 80-column "diskette" images (a line break inserted after every W bytes, even
  inside elements) are unwrapped before decoding;
* fixed-block tape dumps need no transformation: their records carry no
  separators and the tokenizer ignores the space/NUL padding at the end.

Offsets. The tokenizer counts bytes of the *transformed* stream (BOM skipped,
diskette line breaks removed). `TextStream.to_original` maps such an offset
back to the byte offset in the original input: exact for BOM and diskette
unwrapping; for UTF-8 text the tokenizer counts encoded bytes, so offsets are
exact too, except for a segment that straddles the point where a file falls
back from UTF-8 to latin-1 (there the count may be off by a few bytes).
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from edi.findings import Finding, Level, Severity
from edi.segments import Delimiters

CHUNK_SIZE = 1 << 18
SNIFF_SIZE = 1 << 16
"""Bytes examined up front to choose the character set and detect diskette wrapping."""

ISA_SCAN_LIMIT = 256
"""The 16 ISA element separators must occur within this many characters of 'ISA'."""

UTF8_BOM = b"\xef\xbb\xbf"
EBCDIC_ISA = b"\xc9\xe2\xc1"
EBCDIC_CODEPAGES = ("cp037", "cp500")

Input = bytes | bytearray | memoryview | BinaryIO | Path

# Delimiters real senders use; an EBCDIC code page that decodes the ISA to others is unlikely.
_USUAL_DELIMITERS = "*~:^>!|\\%\n+`'\"{}"


def _finding(
    code: str,
    severity: Severity,
    level: Level,
    message: str,
    source: str,
    **where: Any,
) -> Finding:
    return Finding(
        code=code,
        severity=severity,
        level=level,
        message=message,
        source=source,
        validator="transport",
        **where,
    )


# ------------------------------------------------------------------ ISA scanning


@dataclass(frozen=True, slots=True)
class IsaScan:
    """What an ISA header says about its interchange's delimiters.

    `segment_end` is the index (in the scanned text) where the ISA segment's
    text ends (its terminator, or the CR of a CRLF terminator); `end` is the
    index just after the terminator. When `problem` is set the header is
    unusable: `x12_code` is the TA105 code and `delimiters` is None.
    """

    delimiters: Delimiters | None
    segment_end: int
    end: int
    isa16_missing: bool = False
    repetition_clash: bool = False
    problem: str | None = None
    x12_code: str | None = None


def _bad_char(c: str) -> bool:
    return c.isalnum() or c in " \t\x00"


def scan_isa(text: str, start: int = 0, final: bool = True) -> IsaScan | None:
    """Discover the delimiters of the ISA that begins at `text[start]` ('ISA').

    Element separator = the character after 'ISA'; ISA16 = the character after
    the 16th separator; terminator = the character after ISA16 (CR/LF: newline).
    ISA widths are not trusted (collapsed padding is common). When ISA16 is
    missing (the header ends '*P*~' and the next line also ends with '~') the
    terminator is that character and ':' is assumed (`isa16_missing`).
    Returns None when `text` ends too early to decide and `final` is False.
    """
    n = len(text)
    limit = start + ISA_SCAN_LIMIT
    sep_at = start + 3
    if sep_at >= n:
        return None if not final else IsaScan(None, n, n, problem="short", x12_code="026")
    el = text[sep_at]
    pos = sep_at
    for _ in range(15):
        pos = text.find(el, pos + 1, limit)
        if pos < 0:
            if not final and n < limit:
                return None
            return IsaScan(None, n, n, problem="short", x12_code="026")
    if pos + 2 >= n and not final:
        return None
    if _bad_char(el) or el in "\r\n":
        return IsaScan(None, pos, pos, problem="element", x12_code="026")
    isa16 = text[pos + 1] if pos + 1 < n else ""
    term = text[pos + 2] if pos + 2 < n else ""
    isa16_missing = False
    segment_end = pos + 2
    end = pos + 3
    if term in ("\r", "\n") and isa16:
        line_end = text.find("\n", pos + 2)
        nxt_start = line_end + 1 if line_end >= 0 else n
        while nxt_start < n and text[nxt_start] in "\r\n":
            nxt_start += 1
        nxt_end = text.find("\n", nxt_start)
        if nxt_end < 0 and not final:
            return None
        nxt = text[nxt_start : nxt_end if nxt_end >= 0 else n].rstrip("\r \t\x00")
        if (nxt.endswith(isa16) if nxt else isa16 == "~") and not _bad_char(isa16):
            isa16_missing = True
            term = isa16
            segment_end = pos + 1
            end = pos + 2
        elif term == "\r" and pos + 3 < n and text[pos + 3] == "\n":
            term = "\n"
            end = pos + 4
        elif term == "\r" and pos + 3 >= n and not final:
            return None
    elements = text[start + 4 : pos + 1].split(el)
    isa11 = elements[10] if len(elements) > 10 else ""
    component = isa16
    if isa16_missing:
        component = next(c for c in ":>\\^!|" if c not in (el, term, isa11))
    if not term or (term not in "\r\n" and _bad_char(term)) or term == el:
        return IsaScan(None, segment_end, end, problem="segment", x12_code="004")
    if not component or _bad_char(component) or component in ("\r", "\n", el, term):
        return IsaScan(None, segment_end, end, problem="component", x12_code="027")
    repetition: str | None = None
    clash = False
    if len(isa11) == 1 and not _bad_char(isa11):
        if isa11 in (el, term, component):
            clash = True
        else:
            repetition = isa11
    return IsaScan(
        Delimiters(element=el, component=component, segment=term, repetition=repetition),
        segment_end,
        end,
        isa16_missing=isa16_missing,
        repetition_clash=clash,
    )


# ------------------------------------------------------------------ raw bytes


def _raw_chunks(data: Input, size: int) -> Iterator[bytes]:
    if isinstance(data, Path):
        with data.open("rb") as fh:
            yield from _read_file(fh, size)
    elif isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data)
        for i in range(0, len(view), size):
            yield bytes(view[i : i + size])
    else:
        yield from _read_file(data, size)


def _read_file(fh: BinaryIO | io.BufferedReader, size: int) -> Iterator[bytes]:
    while True:
        block = fh.read(size)
        if not block:
            return
        yield bytes(block)


@dataclass(frozen=True, slots=True)
class _Wrap:
    """Diskette wrapping: `width` data bytes, then `brk`, repeated."""

    width: int
    brk: bytes


def _detect_wrap(head: bytes, at_eof: bool, breaks: tuple[bytes, ...]) -> _Wrap | None:
    """Lines of one fixed width (>= 40), not all ending in the same character."""
    for brk in breaks:
        first = head.find(brk)
        if first < 40:
            continue
        rec = first + len(brk)
        full = len(head) // rec
        if full < 2:
            continue
        lines = [head[i * rec : (i + 1) * rec] for i in range(full)]
        tail = head[full * rec :]
        if not all(line.endswith(brk) and brk not in line[:first] for line in lines):
            continue
        if (
            at_eof
            and brk in tail
            and tail.strip(b" \r\n\x00\x15\x25\x0d")
            and (tail.find(brk) != len(tail) - len(brk))
        ):
            continue
        if len({line[first - 1] for line in lines}) == 1 and not _isa_cut(lines[0][:first]):
            continue
        return _Wrap(first, brk)
    return None


def _skip(parts: Iterator[bytes], n: int) -> Iterator[bytes]:
    """`parts` without its first `n` bytes."""
    for part in parts:
        if n >= len(part):
            n -= len(part)
            continue
        yield part[n:]
        n = 0


def _isa_cut(line: bytes) -> bool:
    """True when `line` starts an ISA header that does not fit in it (a wrapped ISA)."""
    at = max(line.find(b"ISA"), line.find(EBCDIC_ISA))
    if at < 0 or at + 3 >= len(line):
        return False
    return line.count(line[at + 3 : at + 4], at + 3) < 16


def _unwrap(chunks: Iterator[bytes], wrap: _Wrap, state: _UnwrapState) -> Iterator[bytes]:
    """Drop the line break after every `wrap.width` bytes; stop at the first irregular record."""
    rec = wrap.width + len(wrap.brk)
    carry = b""
    for chunk in chunks:
        if state.stopped:
            yield chunk
            continue
        buf = carry + chunk
        full = len(buf) // rec
        out: list[bytes] = []
        for i in range(full):
            record = buf[i * rec : (i + 1) * rec]
            if not record.endswith(wrap.brk):
                state.stopped = True
                out.append(buf[i * rec :])
                break
            out.append(record[: wrap.width])
            state.records += 1
        else:
            carry = buf[full * rec :]
        if state.stopped:
            carry = b""
        yield b"".join(out)
    if carry:
        if carry.endswith(wrap.brk) and len(carry) - len(wrap.brk) <= wrap.width:
            carry = carry[: -len(wrap.brk)]  # the break after the last, short record
        if wrap.brk in carry:
            state.stopped = True
        yield carry


@dataclass(slots=True)
class _UnwrapState:
    records: int = 0
    stopped: bool = False


# ------------------------------------------------------------------ decoded text


@dataclass(slots=True)
class TextStream:
    """The decoded text of one input, read lazily in chunks.

    `chunks()` yields text; findings noticed while decoding are appended to
    `findings` (the caller drains them). `one_to_one` is True when every
    character is one byte of the transformed stream (EBCDIC, latin-1); for
    UTF-8 the caller measures non-ASCII text with `byte_length`. Offsets of
    the transformed stream start at `base` (the BOM length).
    """

    source: str
    encoding: str
    base: int
    one_to_one: bool
    findings: list[Finding]
    _parts: Iterator[bytes]
    _wrap: _Wrap | None = None
    _unwrap_state: _UnwrapState = field(default_factory=_UnwrapState)

    @property
    def maps_offsets(self) -> bool:
        """True when `to_original` is not the identity (diskette unwrapping)."""
        return self._wrap is not None

    def to_original(self, offset: int) -> int:
        """Byte offset of the transformed stream → byte offset in the original input."""
        wrap = self._wrap
        if wrap is None:
            return offset
        records = offset // wrap.width
        if self._unwrap_state.stopped:
            records = min(records, self._unwrap_state.records)
        return offset + len(wrap.brk) * records

    def byte_length(self, text: str) -> int:
        """Bytes `text` occupied in the transformed stream."""
        return len(text) if self.one_to_one else len(text.encode(self.encoding, "replace"))

    def chunks(self) -> Iterator[str]:
        """The text, chunk by chunk (no chunk splits a multi-byte character)."""
        parts = self._watched()
        if self.encoding in EBCDIC_CODEPAGES:
            for part in parts:
                yield part.decode(self.encoding).replace("\x85", "\n")
            return
        if self.encoding == "latin-1":
            for part in parts:
                yield part.decode("latin-1")
            return
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        for part in parts:
            try:
                text = decoder.decode(part)
            except UnicodeDecodeError:
                pending = decoder.getstate()[0]
                self._fall_back_to_latin1()
                yield (pending + part).decode("latin-1")
                for rest in parts:
                    yield rest.decode("latin-1")
                return
            if text:
                yield text
        try:
            tail = decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            pending = decoder.getstate()[0]
            self._fall_back_to_latin1()
            tail = pending.decode("latin-1")
        if tail:
            yield tail

    def _fall_back_to_latin1(self) -> None:
        self.encoding = "latin-1"
        self.one_to_one = True
        self.findings.append(
            _finding(
                "transport.latin1_fallback",
                Severity.INFO,
                Level.FILE,
                "input is not valid UTF-8; the rest of the file is read as latin-1",
                self.source,
            )
        )

    def _watched(self) -> Iterator[bytes]:
        """The byte parts; reports (once, as soon as it happens) where diskette unwrapping stops."""
        reported = False
        for part in self._parts:
            if not reported and self._wrap is not None and self._unwrap_state.stopped:
                reported = True
                self._report_irregular()
            yield part

    def _report_irregular(self) -> None:
        assert self._wrap is not None
        self.findings.append(
            _finding(
                "transport.diskette_irregular",
                Severity.WARNING,
                Level.FILE,
                "fixed-width line wrapping stops part-way; the rest is read as written",
                self.source,
                offset=self.to_original(self._unwrap_state.records * self._wrap.width),
            )
        )


def _choose_codepage(head: bytes) -> str:
    """The EBCDIC code page whose decoding of the ISA gives the most usual delimiters.

    Ties go to cp037 (US). One byte cannot be told apart from the ISA alone:
    0x4F is '|' in cp037 and '!' in cp500, so a cp500 file using '!' reads as cp037.
    """
    at = head.find(EBCDIC_ISA)
    best, best_score = EBCDIC_CODEPAGES[0], -1
    for cp in EBCDIC_CODEPAGES:
        text = head[at : at + 2 * ISA_SCAN_LIMIT].decode(cp).replace("\x85", "\n")
        scan = scan_isa(text, 0, final=True)
        if scan is None or scan.delimiters is None:
            continue
        d = scan.delimiters
        chars = [d.element, d.component, d.segment] + ([d.repetition] if d.repetition else [])
        score = sum(c in _USUAL_DELIMITERS for c in chars)
        if score > best_score:
            best, best_score = cp, score
    return best


def open_text(data: Input, source: str = "<bytes>", chunk_size: int | None = None) -> TextStream:
    """Open `data` as a `TextStream`: sniff the start, then stream the rest.

    Only the first `SNIFF_SIZE` bytes (or the first chunk, if larger) are held
    before text starts flowing; memory does not grow with the input size.
    """
    raw = _raw_chunks(data, chunk_size or CHUNK_SIZE)
    head = b""
    for part in raw:
        head += part
        if len(head) >= SNIFF_SIZE:
            break
    at_eof = len(head) < SNIFF_SIZE
    base = 0
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM) :]
        base = len(UTF8_BOM)

    ascii_at = head.find(b"ISA")
    ebcdic_at = head.find(EBCDIC_ISA)
    ebcdic = ebcdic_at >= 0 and (ascii_at < 0 or ebcdic_at < ascii_at)
    breaks = (b"\x0d\x25", b"\x25", b"\x15") if ebcdic else (b"\r\n", b"\n")

    wrap = None
    if base:
        wrapped = _detect_wrap((UTF8_BOM + head)[:SNIFF_SIZE], at_eof, breaks)
        if wrapped:
            wrap = wrapped
            head = UTF8_BOM + head
    else:
        wrap = _detect_wrap(head[:SNIFF_SIZE], at_eof, breaks)

    if ebcdic:
        encoding = _choose_codepage(head)
    else:
        # judged after unwrapping: a diskette break may split a UTF-8 character
        probe = head
        if wrap:
            rec = wrap.width + len(wrap.brk)
            probe = b"".join(head[i : i + wrap.width] for i in range(0, len(head), rec))
        encoding = "utf-8"
        try:
            probe[: max(0, len(probe) - 4)].decode("utf-8")
        except UnicodeDecodeError:
            encoding = "latin-1"

    def parts() -> Iterator[bytes]:
        if head:
            yield head
        yield from raw

    state = _UnwrapState()
    stream_parts = _unwrap(parts(), wrap, state) if wrap else parts()
    if wrap and base:
        stream_parts = _skip(stream_parts, base)
    stream = TextStream(
        source=source,
        encoding=encoding,
        base=base,
        one_to_one=encoding != "utf-8",
        findings=[],
        _parts=stream_parts,
        _wrap=wrap,
        _unwrap_state=state,
    )
    if encoding == "latin-1":
        stream.findings.append(
            _finding(
                "transport.latin1_fallback",
                Severity.INFO,
                Level.FILE,
                "input is not valid UTF-8; it is read as latin-1",
                source,
            )
        )
    if encoding in EBCDIC_CODEPAGES:
        stream.findings.append(
            _finding(
                "transport.ebcdic",
                Severity.INFO,
                Level.FILE,
                f"input is EBCDIC, read with code page {encoding}",
                source,
            )
        )
    if wrap:
        stream.findings.append(
            _finding(
                "transport.diskette_wrapped",
                Severity.INFO,
                Level.FILE,
                f"input is wrapped at {wrap.width} bytes per line; the line breaks are removed",
                source,
            )
        )
    return stream


ByteLength = Callable[[str], int]
