"""The pyx12 adapter: implementation-guide validation as `Finding`s.

The ONE module that imports pyx12; no pyx12 type, exception or message
leaves it. `Pyx12Validator` (the reader's Validator) re-tokenizes the input,
feeds pyx12 one clean interchange at a time (one segment per line, its own
delimiters, ISA padded to 106) from a lazy in-memory stream, drives pyx12's
map walker like `pyx12.x12n_document`, and harvests its error tree after
every segment:

    ISA node -> interchange / TA105     GS node -> group / AK905
    ST node  -> transaction_set / IK502 segment node -> segment / IK304
    element node -> element / IK403 (+ element, component, repetition, IK402)

- Positions are ours: pyx12's line number maps back to `Segment.position`,
  `offset` and the set position we count (ST = 1). Messages are the fixed
  texts of `edi.acks`' code tables; pyx12's strings and bad-data copies hold
  values and are dropped, and its loggers are silenced for the same reason.
- ISA/GS/ST/SE element errors map as pyx12's 999 writer does (ST03 -> IK502
  '19', SE01 -> '4'); 'SEG1' (trailing separators) -> IK304 '8'; other
  private codes -> WARNING without x12_code. GS08 (and an aliased ST03) is
  the envelope check's policy and not repeated.
- pyx12 4.0 gaps covered: 80-column, prose-prefixed, non-fixed-width ISA and
  non-ASCII input (it reads the clean text we render); an empty segment
  (where pyx12 stops silently) is never fed and is reported as IK304 '1';
  GS08 picks the map, '005010X220' uses the X220A1 map, a version without a
  map gives one WARNING 'ig.group.not_validated'; any pyx12 exception gives
  one ERROR 'ig.pyx12_failed' (TA105 '024', no values) for that interchange.
- `recover=False` (default) is pyx12 as is, defects included: the oracle of
  the differential tests. `recover=True` (used by `edi.validate`) locates
  reader errors (trailing separators, bad segment id) on the segment that has
  them rather than the one pyx12's tree saw last, keeps segment errors on
  ST/SE/GS/GE/ISA/IEA that pyx12 drops, and reports a code once per segment.

Findings come out in segment-position order, one interchange at a time.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyx12.error_handler
import pyx12.map_if
import pyx12.map_index
import pyx12.params
import pyx12.x12file
from pyx12.map_if._segment import apply_segment_errors
from pyx12.map_walker import apply_walk_errors, walk_tree

from edi.acks import CODE_TABLES, describe
from edi.findings import Finding, Level, Severity
from edi.segments import Segment


def _silence_pyx12() -> None:
    """Drop every pyx12 log record at the source: pyx12 logs raw element values (PHI)."""
    root = logging.getLogger("pyx12")
    root.setLevel(logging.CRITICAL + 1)
    root.propagate = False
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and (name == "pyx12" or name.startswith("pyx12.")):
            logger.disabled = True


_silence_pyx12()

VALIDATOR = "pyx12"

ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)

# GS08 values pyx12 has no map for but whose nearest map is right for an 834.
VERSION_ALIASES = {"005010X220": "005010X220A1"}

_ISA_ELEMENT_TA105 = {
    ("ISA", 1): "010", ("ISA", 2): "011", ("ISA", 3): "012", ("ISA", 4): "013",
    ("ISA", 5): "005", ("ISA", 6): "006", ("ISA", 7): "007", ("ISA", 8): "008",
    ("ISA", 9): "014", ("ISA", 10): "015", ("ISA", 11): "016", ("ISA", 12): "017",
    ("ISA", 13): "018", ("ISA", 14): "019", ("ISA", 15): "020", ("ISA", 16): "027",
    ("IEA", 1): "021", ("IEA", 2): "018",
}
_GS_ELEMENT_AK905 = {("GS", 6): "6", ("GS", 8): "2", ("GE", 2): "6"}
_ST_ELEMENT_IK502 = {("ST", 1): "6", ("ST", 2): "7", ("ST", 3): "19", ("SE", 1): "4", ("SE", 2): "7"}


class _Failed(Exception):
    """pyx12 could not go on with this interchange (raised inside this module only)."""


@dataclass(frozen=True, slots=True)
class _Line:
    """What we know about the segment fed to pyx12 as line `n`."""

    position: int
    offset: int
    segment_id: str
    set_position: int | None
    loop_id: str | None = None


class Pyx12Validator:
    """IG validation with pyx12 4.0 (slow, ~60 µs per segment; thorough code lists).

    `findings(data, source)` never raises on bad input: problems become
    findings, a pyx12 failure becomes 'ig.pyx12_failed'.
    """

    name = VALIDATOR

    def __init__(self, *, recover: bool = False) -> None:
        self.recover = recover

    def findings(self, data: bytes | Path, source: str) -> Iterator[Finding]:
        """IG findings for `data` (bytes or a file path), in segment-position order."""
        from edi.tokenize import read_segments

        segments = (s for s in read_segments(data, source) if isinstance(s, Segment))
        yield from validate_segments(segments, source, recover=self.recover)


def validate_segments(
    segments: Iterable[Segment], source: str, *, recover: bool = False
) -> Iterator[Finding]:
    """IG findings for a stream of segments (one file), interchange by interchange.

    Streams: pyx12 pulls each interchange's segments as it reads, so memory
    does not grow with the input. Segments outside ISA..IEA are not
    IG-validated (the envelope check reports them).
    """
    rest = iter(segments)
    isa = _next_isa(rest)
    while isa is not None:
        feed = _Feed(isa, rest, source)
        yield from _interchange(feed, source, recover)
        if feed.pending is not None:
            isa = feed.pending
        elif feed.exhausted:
            break
        else:
            isa = _next_isa(rest)


def _next_isa(rest: Iterator[Segment]) -> Segment | None:
    return next((s for s in rest if s.id == "ISA"), None)


# ------------------------------------------------------------------ feeding pyx12


def _render(seg: Segment) -> str:
    d = seg.delimiters
    elements = seg.elements
    if seg.id == "ISA":
        # pyx12 reads the ISA at fixed offsets; a missing ISA16 is the assumed separator
        fields = list(elements[:16]) + [""] * max(0, 16 - len(elements))
        fields[15] = fields[15] or d.component
        elements = tuple(v.ljust(w) for v, w in zip(fields, ISA_WIDTHS, strict=True))
    text = d.element.join((seg.id, *elements)) + d.segment
    return text if d.segment in "\r\n" else text + "\n"


class _Feed(io.TextIOBase):
    """pyx12's input: one interchange rendered one segment per line, pulled lazily.

    `lines` says what each line number is (a window of recent lines: pyx12
    reads ahead by a few KiB only). Reading stops after IEA, or before the
    next ISA, which is kept in `pending`. Empty segments are not fed (pyx12
    would stop at them) and become findings in `found`.
    """

    WINDOW = 4096

    def __init__(self, isa: Segment, rest: Iterator[Segment], source: str) -> None:
        self.source = source
        self.isa_line = _Line(isa.position, isa.offset, "ISA", None)
        self.lines: dict[int, _Line] = {}
        self.found: list[Finding] = []
        self.pending: Segment | None = None
        self.exhausted = False
        self.done = False
        self._first: Segment | None = isa
        self._rest = rest
        self._count = 0
        self._low = 1
        self._set_pos: int | None = None
        self._buffer = ""

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        want = size if size is not None and size >= 0 else None
        while want is None or len(self._buffer) < want:
            text = self._next_text()
            if text is None:
                break
            self._buffer += text
        if want is None:
            out, self._buffer = self._buffer, ""
        else:
            out, self._buffer = self._buffer[:want], self._buffer[want:]
        return out

    def drain(self) -> None:
        """Consume the rest of this interchange (pyx12 may stop early)."""
        while self._next_text() is not None:
            pass

    def forget_before(self, n: int) -> None:
        while self._low < n - self.WINDOW:
            self.lines.pop(self._low, None)
            self._low += 1

    def _next_text(self) -> str | None:
        while not self.done:
            if self._first is not None:
                seg, self._first = self._first, None
            else:
                nxt = next(self._rest, None)
                if nxt is None:
                    self.done = self.exhausted = True
                    return None
                if nxt.id == "ISA":
                    self.pending, self.done = nxt, True
                    return None
                seg = nxt
            if seg.id == "ST":
                self._set_pos = 1
            elif self._set_pos is not None:
                self._set_pos += 1
            if not seg.id and not any(seg.elements):
                if self._set_pos is not None:
                    at = _Line(seg.position, seg.offset, "", self._set_pos)
                    self.found.append(_segment_finding("1", at, self.source))
                continue
            self._count += 1
            self.lines[self._count] = _Line(seg.position, seg.offset, seg.id, self._set_pos)
            if seg.id == "SE":
                self._set_pos = None
            elif seg.id == "IEA":
                self.done = True
            return _render(seg)
        return None


def _interchange(feed: _Feed, source: str, recover: bool) -> Iterator[Finding]:
    found = feed.found
    run = _Run(feed, source, found, recover)
    try:
        run.drive()
    except Exception:  # any pyx12 failure is a finding, never a traceback
        found.append(run.failure())
    feed.drain()
    found.sort(key=lambda f: (f.segment_position or 0, f.element or 0, f.component or 0))
    yield from found


# ------------------------------------------------------------------ the driver


class _ErrHandler(pyx12.error_handler.err_handler):  # type: ignore[misc]
    """pyx12's error tree; with `recover`, keeps the segment errors pyx12 loses.

    A segment error (too many elements, trailing separators ...) on an
    ISA/GS/ST/SE/GE/IEA segment lands on pyx12's envelope node, whose
    `add_error` takes no value: pyx12 swallows the TypeError and the error is
    gone. With `recover` those codes go to `lost`, which the harvest locates
    at the segment being read.
    """

    def __init__(self, recover: bool) -> None:
        super().__init__()
        self.recover = recover
        self.lost: list[str] = []

    def seg_error(
        self, err_cde: str, err_str: str, err_value: str | None = None, src_line: int | None = None
    ) -> None:
        node = self.cur_seg_node
        if self.recover and node is not None and getattr(node, "id", None) in ("ISA", "GS", "ST"):
            self.lost.append(err_cde)
            return
        super().seg_error(err_cde, err_str, err_value, src_line)


class _Run:
    """One pyx12 pass over one interchange, harvesting errors after every segment."""

    def __init__(self, feed: _Feed, source: str, out: list[Finding], recover: bool) -> None:
        self.feed = feed
        self.recover = recover
        self.emitted: set[tuple[int, str]] = set()
        self.source = source
        self.out = out
        self.current: _Line | None = None
        self.counts: dict[int, tuple[int, int]] = {}
        self.seen_seg: dict[int, tuple[int, int]] = {}
        self.st_children = 0
        self.skipping_group = False
        self.aliased = False
        self.errh: _ErrHandler | None = None

    def line(self, n: int | None) -> _Line | None:
        found = self.feed.lines.get(n) if n is not None else None
        return found or self.current

    def failure(self) -> Finding:
        at = self.current or self.feed.isa_line
        return Finding(
            code="ig.pyx12_failed",
            severity=Severity.ERROR,
            level=Level.INTERCHANGE,
            message="the pyx12 validator could not process this interchange",
            source=self.source,
            segment_position=at.position if at else None,
            offset=at.offset if at else None,
            x12_code="024",
            validator=VALIDATOR,
        )

    def drive(self) -> None:
        """x12n_document's loop without its writers, harvesting after each segment."""
        _silence_pyx12()
        param = pyx12.params.ParamsBase()
        errh = _ErrHandler(self.recover)
        self.errh = errh
        src = pyx12.x12file.X12Reader(self.feed)
        control_map = pyx12.map_if.load_map_file(
            "x12.control.00501.xml" if src.icvn == "00501" else "x12.control.00401.xml", param
        )
        index = pyx12.map_index.map_index()
        map_file: str | None = None
        cur_map: Any = None
        icvn: str | None = None
        node: Any = control_map.getnodebypath("/ISA_LOOP/ISA")
        walker = walk_tree()
        for seg in src:
            n = src.get_cur_line()
            self.current = self.line(n)
            seg_id = seg.get_seg_id()
            if self.skipping_group and seg_id not in ("GE", "IEA", "ISA", "GS"):
                src.pop_errors()
                continue
            orig_node = node
            if seg_id == "ISA":
                node = control_map.getnodebypath("/ISA_LOOP/ISA")
                walker.forceWalkCounterToLoopStart("/ISA_LOOP", "/ISA_LOOP/ISA")
            elif seg_id == "GS":
                node = control_map.getnodebypath("/ISA_LOOP/GS_LOOP/GS")
                walker.forceWalkCounterToLoopStart("/ISA_LOOP/GS_LOOP", "/ISA_LOOP/GS_LOOP/GS")
            else:
                node, _pop, _push, walk_errors = walker.walk_errors(
                    node, seg, src.get_seg_count(), n, src.get_ls_id()
                )
                apply_walk_errors(errh, walk_errors)
            if node is None:
                node = orig_node
                if self.recover:
                    self._reader_errors(src)
            else:
                if seg_id == "ISA":
                    errh.add_isa_loop(seg, src)
                    icvn = seg.get_value("ISA12")
                    self._reader_errors(src)
                elif seg_id == "IEA":
                    self._reader_errors(src)
                    errh.close_isa_loop(node, seg, src)
                elif seg_id == "GS":
                    fic, vriic = seg.get_value("GS01"), seg.get_value("GS08")
                    self.aliased = (vriic or "") in VERSION_ALIASES
                    vriic = VERSION_ALIASES.get(vriic or "", vriic)
                    found_map = index.get_filename(icvn, vriic, fic)
                    errh.add_gs_loop(seg, src)
                    self._reader_errors(src)
                    if found_map is None:
                        self.skipping_group = True
                        self._not_validated()
                    else:
                        self.skipping_group = False
                        if found_map != map_file:
                            map_file = found_map
                            cur_map = pyx12.map_if.load_map_file(map_file, param)
                        node = cur_map.getnodebypath("/ISA_LOOP/GS_LOOP/GS")
                elif seg_id == "GE":
                    if self.skipping_group:
                        src.pop_errors()
                        self.skipping_group = False
                        node = control_map.getnodebypath("/ISA_LOOP/GS_LOOP/GS")
                        self.harvest()
                        continue
                    self._reader_errors(src)
                    errh.close_gs_loop(node, seg, src)
                elif seg_id == "ST":
                    errh.add_st_loop(seg, src)
                    self.st_children = 0
                    self._reader_errors(src)
                elif seg_id == "SE":
                    self._reader_errors(src)
                    errh.close_st_loop(node, seg, src)
                else:
                    errh.add_seg(node, seg, src.get_seg_count(), n, src.get_ls_id())
                    self._reader_errors(src)
                if isinstance(node, pyx12.map_if.segment_if):
                    apply_segment_errors(node, seg, errh)
                if self.current is not None and isinstance(node, pyx12.map_if.segment_if):
                    parent = node.get_parent()
                    loop = getattr(parent, "id", None)
                    self.current = _Line(
                        self.current.position, self.current.offset, self.current.segment_id,
                        self.current.set_position, loop,
                    )
                    self.feed.lines[n] = self.current
            self.harvest()
            self.feed.forget_before(n)
        src.cleanup()
        self._reader_errors(src)
        # missing trailers are located at the last segment read, inside the open envelopes
        self.harvest()

    def _reader_errors(self, src: Any) -> None:
        """Hand pyx12's reader errors to its error tree (with `recover`: segment ones to `lost`).

        pyx12 files reader errors (trailing separators, empty segment, bad
        segment id) under whichever segment its tree saw last: the next one
        after an unrecognised segment, the one before an SE, none on an ST.
        They all come from the segment being read, so `recover` puts them there.
        """
        assert self.errh is not None
        errors = src.pop_errors()
        if self.recover:
            self.errh.lost.extend(str(e[1]) for e in errors if e[0] == "seg")
            errors = [e for e in errors if e[0] != "seg"]
        self.errh.handle_errors(errors)

    # -------------------------------------------------------------- harvesting

    def _not_validated(self) -> None:
        at = self.current
        self.out.append(Finding(
            code="ig.group.not_validated",
            severity=Severity.WARNING,
            level=Level.GROUP,
            message="no implementation guide map for this functional group version; not IG-validated",
            source=self.source,
            segment_position=at.position if at else None,
            offset=at.offset if at else None,
            segment_id="GS",
            validator=VALIDATOR,
        ))

    def _new(self, node: Any) -> tuple[list[Any], list[Any]]:
        """Errors and element nodes added to an ISA/GS/ST node since the last harvest."""
        key = id(node)
        n_err, n_ele = self.counts.get(key, (0, 0))
        errors, elements = list(node.errors[n_err:]), list(node.elements[n_ele:])
        self.counts[key] = (len(node.errors), len(node.elements))
        return errors, elements

    def harvest(self) -> None:
        """Turn what pyx12 added to its error tree since the last call into findings."""
        errh = self.errh
        if errh is None:
            return
        self._harvest_tree(errh)
        at = self.current
        if errh.lost and at is not None:
            for code in dict.fromkeys("8" if c == "SEG1" else c for c in errh.lost):
                if (at.position, code) not in self.emitted:
                    self.out.append(_segment_finding(code, at, self.source))
        errh.lost.clear()

    def _harvest_tree(self, errh: _ErrHandler) -> None:
        at = self.current
        for node, level, table in (
            (errh.cur_isa_node, Level.INTERCHANGE, "TA105"),
            (errh.cur_gs_node, Level.GROUP, "AK905"),
            (errh.cur_st_node, Level.TRANSACTION_SET, "IK502"),
        ):
            if node is None:
                continue
            errors, elements = self._new(node)
            for err in errors:
                self.out.append(self._control_finding(level, table, str(err[0]), at, None))
            for ele in elements:
                if self._version_policy(at, ele.ele_pos):
                    continue
                for _err in ele.errors:
                    code = self._control_element_code(table, at, ele.ele_pos)
                    self.out.append(self._control_finding(level, table, code, at, ele.ele_pos))
        st = errh.cur_st_node
        if st is None:
            return
        children = st.children
        # the last harvested segment node can still collect errors (usage 'N' walks)
        start = max(self.st_children - 1, 0)
        for seg_node in children[start:]:
            self._segment_node(seg_node)
        self.st_children = len(children)
        if len(children) > 1:
            # keep pyx12's tree small: everything but the last node is harvested for good
            for old in children[:-1]:
                self.seen_seg.pop(id(old), None)
            del children[:-1]
            self.st_children = 1

    def _version_policy(self, at: _Line | None, ele_pos: int) -> bool:
        """True for GS08 (and ST03 of an aliased group): version policy is the envelope check's."""
        seg_id = at.segment_id if at else ""
        return (seg_id, ele_pos) == ("GS", 8) or (self.aliased and (seg_id, ele_pos) == ("ST", 3))

    def _control_element_code(self, table: str, at: _Line | None, ele_pos: int) -> str:
        seg_id = at.segment_id if at else ""
        if table == "TA105":
            return _ISA_ELEMENT_TA105.get((seg_id, ele_pos), "024")
        if table == "AK905":
            return _GS_ELEMENT_AK905.get((seg_id, ele_pos), "1")
        return _ST_ELEMENT_IK502.get((seg_id, ele_pos), "5")

    def _control_finding(
        self, level: Level, table: str, code: str, at: _Line | None, element: int | None
    ) -> Finding:
        slug, text = describe(table, code)
        known = code in CODE_TABLES[table]
        prefix = {Level.INTERCHANGE: "interchange", Level.GROUP: "group"}.get(level, "set")
        return Finding(
            code=f"ig.{prefix}.{slug}",
            severity=Severity.ERROR if known else Severity.WARNING,
            level=level,
            message=text,
            source=self.source,
            offset=at.offset if at else None,
            segment_position=at.position if at else None,
            set_position=at.set_position if at and level is Level.TRANSACTION_SET else None,
            segment_id=at.segment_id if at else None,
            element=element,
            x12_code=code if known else None,
            validator=VALIDATOR,
        )

    def _segment_node(self, seg_node: Any) -> None:
        key = id(seg_node)
        n_err, n_ele = self.seen_seg.get(key, (0, 0))
        errors, elements = seg_node.errors[n_err:], seg_node.elements[n_ele:]
        self.seen_seg[key] = (len(seg_node.errors), len(seg_node.elements))
        at = self._locate(seg_node)
        seg_id = str(seg_node.seg_id or "")
        # like pyx12's own 999 writer: one finding per code and segment, 'SEG1' read as '8'
        done = {"8" if e[0] == "SEG1" else str(e[0]) for e in seg_node.errors[:n_err]}
        for code in dict.fromkeys("8" if e[0] == "SEG1" else str(e[0]) for e in errors):
            if code not in done:
                self.out.append(_segment_finding(code, at, self.source, seg_id))
                self.emitted.add((at.position, code))
        for ele in elements:
            for err in ele.errors:
                self.out.append(_element_finding(str(err[0]), at, self.source, seg_id, ele))

    def _locate(self, seg_node: Any) -> _Line:
        line_no = getattr(seg_node, "cur_line", None)
        found = self.feed.lines.get(line_no) if isinstance(line_no, int) else None
        if found is not None:
            return found
        return self.current or self.feed.isa_line


def _segment_finding(code: str, at: _Line, source: str, seg_id: str | None = None) -> Finding:
    known = code in CODE_TABLES["IK304"]
    slug, text = describe("IK304", code) if known else ("pyx12_other", "pyx12 segment check failed")
    return Finding(
        code=f"ig.segment.{slug}",
        severity=Severity.ERROR if known else Severity.WARNING,
        level=Level.SEGMENT,
        message=text,
        source=source,
        offset=at.offset or None,
        segment_position=at.position or None,
        set_position=at.set_position,
        segment_id=seg_id if seg_id is not None else at.segment_id,
        loop_id=at.loop_id,
        x12_code=code if known else None,
        validator=VALIDATOR,
    )


def _element_finding(code: str, at: _Line, source: str, seg_id: str, ele: Any) -> Finding:
    known = code in CODE_TABLES["IK403"]
    slug, text = describe("IK403", code) if known else ("pyx12_other", "pyx12 element check failed")
    return Finding(
        code=f"ig.element.{slug}",
        severity=Severity.ERROR if known else Severity.WARNING,
        level=Level.ELEMENT,
        message=text,
        source=source,
        offset=at.offset or None,
        segment_position=at.position or None,
        set_position=at.set_position,
        segment_id=seg_id or at.segment_id,
        loop_id=at.loop_id,
        element=int(ele.ele_pos) if ele.ele_pos else None,
        component=int(ele.subele_pos) if ele.subele_pos else None,
        repetition=int(ele.repeat_pos) if ele.repeat_pos else None,
        data_element=str(ele.ele_ref_num) if ele.ele_ref_num else None,
        x12_code=code if known else None,
        validator=VALIDATOR,
    )


# ------------------------------------------------------------------ checking our own acks


def ack_problems(text: str) -> list[str]:
    """What pyx12's own validator says about an acknowledgment we wrote (TA1, 999 or 997).

    Runs `pyx12.x12n_document` on `text` exactly as written (no clean-up, no
    recovery) and returns one line per error pyx12 records ('<where>: <code>
    <text>'), or ['not X12: ...'] when pyx12 cannot read it at all. An empty
    list means pyx12 accepts the acknowledgment. Acks hold only envelope ids
    and codes, never member data, so pyx12's texts may be returned.
    """
    import json

    import pyx12.x12n_document

    _silence_pyx12()
    out = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(
            pyx12.params.ParamsBase(), io.StringIO(text), None, None, fd_json=out
        )
    except Exception as exc:  # noqa: BLE001 - pyx12 failing on our ack is the finding
        return [f"not X12: pyx12 failed ({type(exc).__name__})"]
    problems: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "errors" and isinstance(value, list):
                    problems.extend(f"{where or '/'}: {e.get('err_cde')} {e.get('err_str')}"
                                    for e in value if isinstance(e, dict))
                else:
                    walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    try:
        walk(json.loads(out.getvalue() or "{}"), "")
    except ValueError:
        problems.append("pyx12 wrote an unreadable error report")
    if not valid and not problems:
        problems.append("pyx12 says the acknowledgment is not valid")
    return problems
