"""Tokenizer: decoded 834 text → `Segment`s of every interchange, with file-level findings.

Contract of `read_segments`:

* every segment of every interchange, in file order; `position` counts all of
  them from 1 (ISA and IEA included), `offset` is the byte offset in the
  original input where the segment id starts (see `edi.transport` for how
  transformed forms map back), `delimiters` is one shared object per interchange;
* each interchange's delimiters come from its own ISA (`transport.scan_isa`);
  "ISA" is looked for only at interchange boundaries (file start, after IEA),
  or when skipping text that is not X12;
* spaces, CR/LF, tabs and NULs before a segment id are dropped; padding other
  than line breaks is reported once per file (INFO, like W10009);
* a line break inside a segment whose terminator is not a newline is kept in
  the element and reported (ERROR, IK403 '6');
* findings are interleaved where they are noticed and never carry values.
  Problems never raise: empty, binary or ISA-less input yields exactly one
  `transport.no_interchange` finding.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from edi.findings import Finding, Level, Severity
from edi.segments import Delimiters, Segment
from edi.transport import IsaScan, TextStream, open_text, scan_isa

__all__ = ["read_segments", "read_batches", "segments_text", "normalise"]

WS = " \t\r\n\x00\x0b\x0c"
"""Characters dropped before a segment id (padding, line formatting)."""

_LINE = "\r\n"
_LOOKAHEAD = 4096
_BOUNDARY = frozenset({"ISA", "IEA"})
_ISA_CANDIDATE = re.compile(r"ISA[^0-9A-Za-z\s]")
_ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)

_BATCH = 128
"""Segments per list: the tokenizer yields lists, `read_segments` chains them (a
generator resumed per segment cost more than the rest of the tokenizer's work on
it); few enough per list that memory stays bounded by the chunk size."""


DataInput = bytes | bytearray | memoryview | BinaryIO | Path
_T = TypeVar("_T")
_R = TypeVar("_R")


class _Tokenizer:
    """One pass over one input; `batches()` is the generator behind `read_segments`."""

    def __init__(self, stream: TextStream, source: str) -> None:
        self.stream = stream
        self.source = source
        self.chunks = stream.chunks()
        self.buf = ""
        self.off = stream.base
        self.eof = False
        self.position = 0
        self.seen_isa = False
        self.padding_reported = False

    # -------------------------------------------------------------- plumbing

    def pull(self) -> bool:
        """Append the next chunk to `buf`; False at end of input."""
        try:
            chunk = next(self.chunks)
        except StopIteration:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def drain(self) -> Iterator[Finding]:
        """Transport findings so far; held back until an interchange is seen (else dropped)."""
        pending = self.stream.findings
        while pending and self.seen_isa:
            yield pending.pop(0)

    def blen(self, text: str) -> int:
        return len(text) if text.isascii() else self.stream.byte_length(text)

    def orig(self, offset: int) -> int:
        return self.stream.to_original(offset)

    def finding(
        self, code: str, severity: Severity, level: Level, message: str, **where: Any
    ) -> Finding:
        return Finding(
            code=code,
            severity=severity,
            level=level,
            message=message,
            source=self.source,
            validator="transport",
            **where,
        )

    # -------------------------------------------------------------- driver

    def batches(self) -> Iterator[list[Segment | Finding]]:
        """The items of `read_segments` in order, a list at a time."""
        yield list(self.drain())
        while True:
            delimiters = yield from _singles(self.boundary())
            if delimiters is None:
                break
            yield from self.interchange(delimiters)
        yield list(self.drain())

    # -------------------------------------------------------------- between interchanges

    def boundary(self) -> Generator[Segment | Finding, None, Delimiters | None]:
        """Find the next interchange; yield its ISA; return its delimiters (None at EOF)."""
        garbage_at: int | None = None
        after_bad = False
        search_from = 0
        while True:
            while not self.eof and len(self.buf) < _LOOKAHEAD:
                self.pull()
                yield from self.drain()
            buf = self.buf
            text = buf.lstrip(WS)
            if len(text) != len(buf):
                self.off += self.blen(buf[: len(buf) - len(text)])
                self.buf = buf = text
                search_from = 0
            if not buf:
                if not self.eof:
                    continue
                yield from self.finish(garbage_at, after_bad)
                return None
            if garbage_at is None and _ISA_CANDIDATE.match(buf):
                scan = scan_isa(buf, 0, self.eof)
                if scan is None:
                    self.pull()
                    yield from self.drain()
                    continue
                if scan.delimiters is not None:
                    return (yield from self.start(scan))
                yield self.bad_isa(scan)
                garbage_at = self.orig(self.off)
                after_bad = True
                search_from = 1
            if garbage_at is None:
                garbage_at = self.orig(self.off)
            found: IsaScan | None = None
            need_more_at = -1
            for match in _ISA_CANDIDATE.finditer(buf, search_from):
                scan = scan_isa(buf, match.start(), self.eof)
                if scan is None:
                    need_more_at = match.start()
                    break
                if scan.delimiters is not None and _plausible(buf, match.start(), scan):
                    found = scan
                    self.off += self.blen(buf[: match.start()])
                    self.buf = buf[match.start() :]
                    break
            if found is not None:
                if not after_bad:
                    yield self.text_finding(garbage_at)
                scan = scan_isa(self.buf, 0, self.eof)
                assert scan is not None and scan.delimiters is not None
                return (yield from self.start(scan))
            cut = need_more_at if need_more_at >= 0 else max(search_from, len(buf) - 3)
            self.off += self.blen(buf[:cut])
            self.buf = buf[cut:]
            search_from = 0
            if self.eof and need_more_at < 0:
                yield from self.finish(garbage_at, after_bad)
                return None
            self.pull()
            yield from self.drain()

    def finish(self, garbage_at: int | None, after_bad: bool) -> Iterator[Finding]:
        """End of input between interchanges."""
        yield from self.drain()
        if not self.seen_isa:
            if not after_bad:
                yield self.finding(
                    "transport.no_interchange",
                    Severity.ERROR,
                    Level.FILE,
                    "no X12 interchange (ISA) found in the input",
                )
        elif garbage_at is not None and not after_bad:
            yield self.finding(
                "transport.text_after_iea",
                Severity.WARNING,
                Level.FILE,
                "text that is not an interchange follows the last IEA",
                offset=garbage_at,
            )

    def text_finding(self, at: int) -> Finding:
        if not self.seen_isa:
            return self.finding(
                "transport.text_before_isa",
                Severity.WARNING,
                Level.FILE,
                "text before the first ISA is ignored",
                offset=at,
            )
        return self.finding(
            "transport.text_between_interchanges",
            Severity.WARNING,
            Level.FILE,
            "text between interchanges is ignored",
            offset=at,
        )

    def bad_isa(self, scan: IsaScan) -> Finding:
        what = {
            "element": "element separator",
            "component": "component separator",
            "segment": "segment terminator",
            "short": "ISA header (fewer than 16 element separators)",
        }.get(scan.problem or "", "delimiters")
        return self.finding(
            "transport.bad_delimiters",
            Severity.ERROR,
            Level.INTERCHANGE,
            f"invalid {what} in ISA; interchange skipped",
            offset=self.orig(self.off),
            segment_id="ISA",
            x12_code=scan.x12_code,
        )

    def start(self, scan: IsaScan) -> Generator[Segment | Finding, None, Delimiters]:
        """Yield the ISA at the start of `buf` (scanned by `scan`) and step past it."""
        d = scan.delimiters
        assert d is not None
        buf = self.buf
        self.seen_isa = True
        yield from self.drain()
        self.position += 1
        text = buf[: scan.segment_end]
        isa = Segment(
            "ISA", tuple(text[4:].split(d.element)), self.position, self.orig(self.off), d
        )
        yield isa
        if scan.isa16_missing:
            yield self.finding(
                "transport.isa16_missing",
                Severity.WARNING,
                Level.INTERCHANGE,
                "ISA16 component separator is missing; ':' (or the first unused of :>\\^!|) is assumed",
                offset=isa.offset,
                segment_position=isa.position,
                segment_id="ISA",
                element=16,
                data_element="I15",
                x12_code="027",
            )
        if scan.repetition_clash:
            yield self.finding(
                "transport.repetition_separator_clash",
                Severity.WARNING,
                Level.INTERCHANGE,
                "ISA11 equals another delimiter; the interchange is read without a repetition separator",
                offset=isa.offset,
                segment_position=isa.position,
                segment_id="ISA",
                element=11,
                data_element="I65",
            )
        self.off += self.blen(buf[: scan.end])
        self.buf = buf[scan.end :]
        return d

    # -------------------------------------------------------------- inside an interchange

    def interchange(self, d: Delimiters) -> Iterator[list[Segment | Finding]]:
        """The segments after the ISA, up to and including IEA (or EOF), in lists."""
        stream = self.stream
        mapped = stream.maps_offsets
        to_original = stream.to_original
        el = d.element
        term = d.segment
        nl = term == "\n"
        tl = self.blen(term)
        term_lf = term + "\n"
        term_crlf = term + "\r\n"
        position = self.position
        off = self.off
        buf = self.buf
        after_iea = False
        padded = self.padding_reported
        ws = WS
        seg: Any
        while True:
            # One segment per line is the usual layout: when every terminator in
            # this buffer is followed by the same line break, split on both, and
            # when no other line break occurs, skip the per-segment check for them.
            sep, sl, clean = term, tl, False
            if not nl:
                # the line break after the previous buffer's last terminator (or the ISA)
                k = 1 if buf[:1] == "\n" else 2 if buf[:2] == "\r\n" and term != "\r" else 0
                if k:
                    off += k
                    buf = buf[k:]
                # split on terminator + LF first (the usual layout); what is left between the
                # pairs, joined, holds no terminator when each is followed by a LF, and no LF
                # when each follows a terminator (a copy and two memchr scans: two counts
                # cost more)
                parts = buf.split(term_lf)
                if len(parts) > 1 and term not in (between := "".join(parts)):
                    sep, sl = term_lf, tl + 1
                    clean = "\n" not in between and "\r" not in buf
                else:
                    n = buf.count(term)
                    if n and buf.count(term_crlf) == n:
                        sep, sl = term_crlf, tl + 2
                        clean = buf.count("\n") == n and buf.count("\r") == n
                    else:
                        clean = "\n" not in buf and "\r" not in buf
                    parts = buf.split(sep)
            else:
                parts = buf.split(sep)
            rest = parts.pop()
            one = stream.one_to_one or buf.isascii()
            todo: Iterable[str] = parts
            fast = clean and one and not mapped and not after_iea and not _padding(buf, sep, term)
            if fast and not _boundary(buf, sep):
                # nothing to strip, check or map here, and no ISA or IEA: the loop below
                # without those steps
                todo = ()
                for lo in range(0, len(parts), _BATCH):
                    batch: list[Segment | Finding] = []
                    append = batch.append
                    for p in parts[lo : lo + _BATCH]:
                        f = p.split(el)
                        sid = f.pop(0)
                        position += 1
                        append(Segment(sid, tuple(f), position, off, d))
                        off += len(p) + sl
                    yield batch
            elif fast:
                # the same, stopping at the first ISA or IEA
                todo = ()
                for lo in range(0, len(parts), _BATCH):
                    batch = []
                    append = batch.append
                    for p in parts[lo : lo + _BATCH]:
                        f = p.split(el)
                        sid = f.pop(0)
                        if sid in _BOUNDARY:
                            # the first part equal to p is p itself: an earlier one would
                            # have stopped here
                            todo = itertools.islice(parts, parts.index(p), None)
                            break
                        position += 1
                        append(Segment(sid, tuple(f), position, off, d))
                        off += len(p) + sl
                    if batch:
                        yield batch
                    if todo != ():
                        break
            out: list[Segment | Finding] = []
            for p in todo:
                s = p.lstrip(ws)
                if s is p and s:
                    seg_off = off
                else:
                    lead = len(p) - len(s)
                    if not padded and (
                        (not p and sep is term and not nl) or p[:lead].strip(_LINE)
                    ):
                        padded = self.padding_reported = True
                        out.append(self.padding(off, mapped))
                    if not s:
                        off += (lead if one else self.blen(p)) + sl
                        continue
                    seg_off = off + lead
                broken = False
                if nl:
                    if s[-1] == "\r":
                        s = s[:-1]
                elif not clean and ("\n" in s or "\r" in s):
                    broken = True
                f = s.split(el)
                sid = f.pop(0)
                if after_iea or sid == "ISA":
                    nd = _inline_isa([sid, *f], el, term) if after_iea and sid == "ISA" else None
                    if nd is None:
                        if out:
                            yield out
                        j = next(i for i, x in enumerate(parts) if x is p)
                        self.buf = sep.join(parts[j:]) + sep + rest
                        self.off = off
                        self.position = position
                        return
                    d = nd
                    after_iea = False
                    self.seen_isa = True
                position += 1
                seg = Segment(sid, tuple(f), position,
                              to_original(seg_off) if mapped else seg_off, d)
                out.append(seg)
                if broken:
                    out.append(self.line_break([sid, *f], position, seg.offset))
                off += (len(p) if one else self.blen(p)) + sl
                if sid == "IEA":
                    after_iea = True
                if len(out) >= _BATCH:
                    yield out
                    out = []
            if out:
                yield out
            buf = self.buf = rest
            if not self.eof and self.pull():
                buf = self.buf
                yield list(self.drain())
                continue
            yield list(self.drain())
            self.position = position
            self.off = off
            self.buf = buf
            if not buf.strip(ws):
                self.off += self.blen(buf)
                self.buf = ""
                return
            if after_iea:
                return
            yield list(self.tail(buf, d))
            return

    def tail(self, buf: str, d: Delimiters) -> Iterator[Segment | Finding]:
        """The unterminated text at EOF inside an interchange."""
        text = buf.lstrip(WS)
        off = self.off + self.blen(buf[: len(buf) - len(text)])
        at = self.orig(off)
        self.buf = ""
        self.off += self.blen(buf)
        if d.segment == "\n":
            fields = text.rstrip("\r").split(d.element)
        else:
            fields = text.rstrip(WS).split(d.element)
            if fields[0] != "IEA":
                yield self.finding(
                    "transport.truncated",
                    Severity.ERROR,
                    Level.FILE,
                    "input ends inside a segment (no segment terminator); the partial segment is dropped",
                    offset=at,
                )
                return
        self.position += 1
        yield Segment(fields[0], tuple(fields[1:]), self.position, at, d)
        if d.segment != "\n":
            yield self.finding(
                "transport.missing_final_terminator",
                Severity.WARNING,
                Level.SEGMENT,
                "the last segment has no segment terminator",
                offset=at,
                segment_position=self.position,
                segment_id=fields[0],
            )

    def padding(self, off: int, mapped: bool) -> Finding:
        return self.finding(
            "transport.padding_after_terminator",
            Severity.INFO,
            Level.FILE,
            "padding, spaces or control characters after a segment terminator (first occurrence)",
            offset=self.orig(off) if mapped else off,
        )

    def line_break(self, fields: list[str], position: int, offset: int) -> Finding:
        element = next((k for k, v in enumerate(fields) if "\n" in v or "\r" in v), 0)
        return self.finding(
            "transport.line_break_in_element",
            Severity.ERROR,
            Level.ELEMENT if element else Level.SEGMENT,
            "line break inside a segment (invalid character)",
            offset=offset,
            segment_position=position,
            segment_id=fields[0] if element else None,
            element=element or None,
            x12_code="6" if element else None,
        )


def _singles(gen: Generator[_T, None, _R]) -> Generator[list[_T], None, _R]:
    """`gen`'s items one per list (the rare paths between interchanges), and its result."""
    while True:
        try:
            item = next(gen)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        yield [item]


def _padding(buf: str, sep: str, term: str) -> bool:
    """True when some segment in `buf` (split on `sep`) may have leading padding or be empty."""
    return buf[:1] in WS or buf.startswith(sep) or _after_sep(sep, term).search(buf) is not None


def _boundary(buf: str, sep: str) -> bool:
    """True when some segment in `buf` (split on `sep`) may be an ISA or IEA: each starts
    `buf` or follows a `sep` (two memchr scans instead of a test per segment)."""
    return buf.startswith(_BOUNDARY_IDS) or sep + "IEA" in buf or sep + "ISA" in buf


_BOUNDARY_IDS = ("ISA", "IEA")


@functools.lru_cache(maxsize=64)
def _after_sep(sep: str, term: str) -> re.Pattern[str]:
    """`sep` followed by padding or another terminator (one scan instead of eight)."""
    return re.compile(f"{re.escape(sep)}(?:{re.escape(term)}|[{re.escape(WS)}])")


def _inline_isa(fields: list[str], element: str, term: str) -> Delimiters | None:
    """Delimiters of an ISA split with the previous interchange's delimiters, when they agree.

    The common case of back-to-back interchanges with the same separators is
    handled here without leaving the fast loop; anything else returns None
    and is re-read from the text by `scan_isa`.
    """
    if len(fields) != 17 or len(fields[16]) != 1:
        return None
    component = fields[16]
    if component.isalnum() or component in WS or component == term:
        return None
    isa11 = fields[11]
    repetition: str | None = None
    if len(isa11) == 1 and not isa11.isalnum() and isa11 not in WS:
        if isa11 in (term, component):
            return None
        repetition = isa11
    return Delimiters(element=element, component=component, segment=term, repetition=repetition)


def _plausible(text: str, start: int, scan: IsaScan) -> bool:
    """An 'ISA' met while skipping non-X12 text: accept it only if ISA12/ISA13 look right."""
    d = scan.delimiters
    assert d is not None
    elements = text[start + 4 : scan.segment_end].split(d.element)
    if len(elements) != 16:
        return False
    version, control = elements[11].strip(), elements[12].strip()
    return len(version) == 5 and version.isdigit() and control.isdigit()


# ---------------------------------------------------------------------- public API


def read_segments(data: DataInput, source: str = "<bytes>") -> Iterator[Segment | Finding]:
    """Every segment of every interchange in file order, with file-level findings interleaved.

    `data` is bytes, a binary file object or a Path; files are streamed in
    chunks, so memory does not grow with the input. Never raises for bad
    input: problems come out as `Finding`s (validator 'transport').
    """
    return itertools.chain.from_iterable(read_batches(data, source))


def read_batches(data: DataInput, source: str = "<bytes>") -> Iterator[list[Segment | Finding]]:
    """The items of `read_segments` a list at a time, as the tokenizer makes them (lists of
    at most a few hundred items, some empty; never changed once yielded)."""
    return _Tokenizer(open_text(data, source), source).batches()


def segments_text(data: DataInput, source: str = "<bytes>") -> Iterator[str]:
    """Each segment as text with its interchange's delimiters, without terminator."""
    for item in read_segments(data, source):
        if isinstance(item, Segment):
            yield item.delimiters.element.join((item.id, *item.elements))


def normalise(data: DataInput, source: str = "<bytes>") -> Iterator[str]:
    """The input re-emitted as clean X12 text, one segment per line.

    Each segment is followed by its interchange's terminator and a newline
    ('~\\n'; a newline-terminated interchange gives just '\\n'), original
    delimiters kept, for tools that cannot read the odd forms (pyx12).
    Differences from the input, all meant for fixed-offset ISA readers: an ISA
    whose elements are shorter than their fixed widths is padded with spaces
    to 106 characters, and a missing ISA16 is written as the assumed
    component separator. Text outside interchanges and padding are dropped;
    line breaks inside elements are kept (so validators still see them).
    Findings are not emitted: use `read_segments` for them.
    """
    for item in read_segments(data, source):
        if not isinstance(item, Segment):
            continue
        d = item.delimiters
        if item.id == "ISA":
            yield _isa_text(item) + d.segment + ("" if d.segment == "\n" else "\n")
            continue
        line = d.element.join((item.id, *item.elements))
        yield line + d.segment + ("" if d.segment == "\n" else "\n")


def _isa_text(isa: Segment) -> str:
    d = isa.delimiters
    elements = list(isa.elements[:16]) + [""] * max(0, 16 - len(isa.elements))
    if not elements[15]:
        elements[15] = d.component
    padded = [v.ljust(w) if len(v) < w else v for v, w in zip(elements, _ISA_WIDTHS, strict=True)]
    return d.element.join(("ISA", *padded))
