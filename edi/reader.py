"""The public reading stream: bytes → envelope events, member transactions, findings.

`read()` tokenizes the input (edi.tokenize), checks the envelopes
(edi.envelope), builds each transaction set's header and members
(edi.build) and yields `edi.records.Event`s in file order, streaming: a member
is yielded as soon as the next INS or the SE closes its loop.

An optional `Validator` checks the input against its implementation guide.
An incremental one (`IncrementalValidator`, e.g. `edi.ig.CompiledValidator`)
is fed each segment just before the reader uses it, so the input is tokenized
once; any other runs a first pass over the whole input. Either way its findings
are merged, by segment position, into the member they fall in (which it then
rejects if any is an ERROR), or into the SetEnd/GroupEnd/InterchangeEnd that
encloses them; findings outside every envelope are yielded bare.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import BinaryIO, Protocol, cast, overload

import msgspec
from msgspec.structs import replace

from edi.build import ENVELOPE_IDS, Closed, SetBuilder
from edi.envelope import (
    Context,
    SetCheck,
    check_control_totals,
    check_ge,
    check_iea,
    check_se,
    check_st,
    group_header,
    interchange_header,
    outside_envelope,
)
from edi.findings import Finding, Level, Severity
from edi.loops import Assembly
from edi.records import (
    Event,
    GroupEnd,
    GroupHeader,
    GroupStart,
    InterchangeEnd,
    InterchangeHeader,
    InterchangeStart,
    Lineage,
    MemberTransaction,
    MemberVerdict,
    SetEnd,
    SetStart,
    SetStatus,
    TransactionSetHeader,
)
from edi.segments import Segment
from edi.tokenize import read_batches


class Validator(Protocol):
    """An implementation-guide validator run as a first pass over the whole input."""

    name: str

    def findings(self, data: bytes | Path, source: str) -> Iterator[Finding]:
        """IG findings for the whole input, in segment-position order (first pass)."""
        ...


class ValidationRun(Protocol):
    """One incremental validation pass over one input, fed segments in file order."""

    def feed_batch(self, items: Iterable[object]) -> list[list[Finding]]:
        """Each segment of `items` in order (other items skipped): for each, the findings
        located at it or earlier not returned before; the non-empty lists, in order."""
        ...

    def close(self) -> list[Finding]:
        """Findings still due at end of input."""
        ...


class IncrementalValidator(Validator, Protocol):
    """A validator that can also run inside the reader's own pass (one tokenization)."""

    def start(self, source: str) -> ValidationRun:
        """A new pass over the input named `source`."""
        ...


@overload
def read(
    data: bytes | BinaryIO | Path,
    source: str | None = None,
    *,
    validator: Validator | None = None,
    file_sha256: str | None = None,
    records: bool = True,
    assembly: None = None,
) -> Iterator[Event]: ...


@overload
def read(
    data: bytes | BinaryIO | Path,
    source: str | None = None,
    *,
    validator: Validator | None = None,
    file_sha256: str | None = None,
    records: bool = True,
    assembly: Assembly,
) -> Iterator[Event | msgspec.Struct]: ...


def read(
    data: bytes | BinaryIO | Path,
    source: str | None = None,
    *,
    validator: Validator | None = None,
    file_sha256: str | None = None,
    records: bool = True,
    assembly: Assembly | None = None,
) -> Iterator[Event] | Iterator[Event | msgspec.Struct]:
    """Read an 834 input and yield its events in file order (see `edi.records.Event`).

    `records=False` reads for the verdict only: each member loop is yielded as a
    `MemberVerdict` (its lineage, findings and whether they reject it, the same as its
    `MemberTransaction` would carry) and its record is not assembled; everything else,
    every check included, is the same.

    With an `assembly` (`edi.loops.Assembly`, e.g. `edi.jsonout.JSON_ASSEMBLY`, ignored with
    `records=False`), a member whose loop has no findings while no other finding waits to
    be merged is yielded as that assembly builds it instead of as a `MemberTransaction`;
    every other member, so every member that carries findings, is still a
    `MemberTransaction`. Everything else is the same.

    `source` names the input in findings and lineage (default: the path, or
    '<bytes>'/'<stream>'). `file_sha256` defaults to the SHA-256 of the bytes
    for bytes and Path inputs. With a `validator`, a BinaryIO input is read
    into memory first (the validator needs bytes or a Path). Never raises on
    bad data: problems are findings.
    """
    if isinstance(data, Path):
        name = source or str(data)
        if file_sha256 is None:
            file_sha256 = _sha256_path(data)
    elif isinstance(data, (bytes, bytearray)):
        data = bytes(data)
        name = source or "<bytes>"
        if file_sha256 is None:
            file_sha256 = hashlib.sha256(data).hexdigest()
    else:
        name = source or str(getattr(data, "name", "") or "<stream>")
        if validator is not None:
            data = data.read()
            if file_sha256 is None:
                file_sha256 = hashlib.sha256(data).hexdigest()
    checked: list[Finding] = []
    run: ValidationRun | None = None
    if validator is not None:
        assert isinstance(data, (bytes, Path))
        start = getattr(validator, "start", None)
        if callable(start):
            run = start(name)
        else:
            checked = list(validator.findings(data, name))
    return _Reader(name, file_sha256, checked, run, records, assembly).run(
        read_batches(data, name))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks (OSError when it cannot be read)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _sha256_path(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None  # the tokenizer reports the unreadable file


def events(
    items: Iterable[Segment | Finding],
    source: str,
    *,
    file_sha256: str | None = None,
    validator_findings: Iterable[Finding] = (),
    validation: ValidationRun | None = None,
) -> Iterator[Event]:
    """The event stream for an already tokenized input (what `read()` uses).

    `items` are segments with file-level findings interleaved, as
    `edi.tokenize.read_segments` yields them. Validator findings come either
    all at once (`validator_findings`, from a first pass) or from an
    incremental `validation` run fed each segment of `items` here; the events
    are the same.
    """
    # without an assembly the reader yields events only
    return cast(Iterator[Event], _Reader(source, file_sha256, validator_findings, validation).run(
        _batched(items) if validation is not None else ([item] for item in items)))


def _batched(items: Iterable[Segment | Finding]) -> Iterator[list[Segment | Finding]]:
    """`items` in lists of `_BATCH`, each validated before it is read (bounded: memory
    stays flat in file size); without a validator each item is read as it comes."""
    it = iter(items)
    while batch := list(islice(it, _BATCH)):
        yield batch


_SCOPED = ("interchange_control", "group_control", "set_control")
_Out = Event | msgspec.Struct
"""What the reader yields: events, and with an assembly the members it built."""


class _Reader:
    """The envelope state machine: one pass, one open ISA/GS/ST at a time."""

    def __init__(self, source: str, sha: str | None, checked: Iterable[Finding],
                 validation: ValidationRun | None = None, records: bool = True,
                 assembly: Assembly | None = None) -> None:
        self.ctx = Context(source)
        self.records = records
        self.assembly = assembly if records else None
        self.validation = validation
        self.unplaced: list[Finding] = []  # incremental findings without a position: last
        self.sha = sha
        ordered = sorted(
            checked, key=lambda f: (f.segment_position is None, f.segment_position or 0))
        self.checked: deque[Finding] = deque(ordered)
        self.isa: InterchangeHeader | None = None
        self.isa_findings: list[Finding] = []
        self.isa_seen: set[str] = set()
        self.groups = 0
        self.gs_seen: set[str] = set()
        self.gs: GroupHeader | None = None
        self.gs_findings: list[Finding] = []
        self.sets = 0
        self.st_seen: set[str] = set()
        self.st: Segment | None = None
        self.st_check = SetCheck()
        self.builder: SetBuilder | None = None
        self.set_lineage: Lineage | None = None
        self.set_findings: list[Finding] = []
        self.header_sent = False
        self.members = 0
        self.rejected = 0
        self.member_warnings = False
        self.skipping: str | None = None

    # ------------------------------------------------------------ validator findings

    def _defer(self, f: Finding) -> None:
        """A located tokenizer finding inside an interchange: merged like validator findings."""
        q = self.checked
        pos = f.segment_position or 0
        i = 0
        while i < len(q) and (q[i].segment_position or pos + 1) <= pos:
            i += 1
        q.insert(i, f)

    def _add(self, found: list[Finding]) -> None:
        """Findings of the incremental validator, in the order the first pass would queue them.

        They arrive in position order, before any tokenizer finding at their
        position (the reader feeds a segment before reading on), so appending
        keeps the queue sorted; unlocated ones wait for the end, as sorted
        first-pass findings do.
        """
        q = self.checked
        for f in found:
            pos = f.segment_position
            if pos is None:
                self.unplaced.append(f)
            elif not q or (q[-1].segment_position or 0) <= pos:
                q.append(f)
            else:
                self._defer(f)

    def _take(self, upto: int) -> list[Finding]:
        """Validator findings located at or before segment position `upto`."""
        q = self.checked
        out: list[Finding] = []
        while q and q[0].segment_position is not None and q[0].segment_position <= upto:
            out.append(self._scoped(q.popleft()))
        return out

    def _scoped(self, f: Finding) -> Finding:
        ctx = self.ctx
        update: dict[str, object] = {}
        for key in _SCOPED:
            value = getattr(ctx, key)
            if value and getattr(f, key) is None:
                update[key] = value
        if (f.set_position is None and ctx.st_position and self.st is not None
                and f.segment_position is not None):
            update["set_position"] = f.segment_position - ctx.st_position + 1
        return replace(f, **update) if update else f

    # ------------------------------------------------------------ main loop

    def run(self, batches: Iterable[list[Segment | Finding]]) -> Iterator[_Out]:
        """The events of the items, read a list at a time (the tokenizer's lists).

        With an incremental validator, each list is validated before it is read (findings
        queued), so every finding up to a segment is queued before the reader sees that
        segment; validating a list before reading it keeps each loop small and hot
        (interleaving the two per segment measured slower).
        """
        envelope = _ENVELOPE_IDS
        feed_run = None  # the open set's builder.feed_run
        builder: SetBuilder | None = None
        assembly = self.assembly
        member_type = MemberTransaction if self.records else MemberVerdict
        in_set = False
        last: Segment | None = None
        validate = self.validation.feed_batch if self.validation is not None else None
        add = self._add
        for batch in batches:
            if validate is not None:
                for found in validate(batch):
                    add(found)
            i = 0
            n = len(batch)
            while i < n:
                if feed_run is not None:
                    # the set's segments up to the next finding or envelope segment
                    if assembly is not None and builder is not None:
                        # an assembled member cannot take findings later: none may wait
                        builder.assembly = None if self.checked else assembly
                    j, closed = feed_run(batch, i)
                    if j > i:
                        fed = batch[j - 1]
                        if type(fed) is Segment:  # always: feed_run reads segments only
                            last = fed
                        i = j
                        for done in closed:
                            if type(done) is member_type:
                                if not done.findings and not self.checked:
                                    self.members += 1  # _emit's work for a clean member
                                    yield done
                                    continue
                            elif type(done) is not TransactionSetHeader:
                                # assembled: no findings, and none waited (see above)
                                self.members += 1
                                yield done
                                continue
                            yield from self._emit(done)
                        if i >= n:
                            break
                item = batch[i]
                i += 1
                if type(item) is not Segment:  # cheaper than isinstance
                    assert isinstance(item, Finding)
                    if (self.isa is not None and item.segment_position is not None
                            and item.severity is not Severity.INFO):
                        self._defer(item)
                    else:
                        yield item
                    continue
                seg = item
                sid = seg.id
                if in_set and sid not in envelope:
                    last = seg  # a set that cannot be read (no builder)
                    continue
                if sid == "ISA":
                    yield from self._end_interchange(None, seg)
                    yield from self._bare(seg.position - 1)
                    yield from self._start_interchange(seg)
                elif sid == "IEA":
                    if self.isa is None:
                        yield from self._outside(seg, "an interchange")
                    else:
                        yield from self._end_interchange(seg, seg)
                elif self.isa is None:
                    yield from self._outside(seg, "an interchange")
                elif sid == "GS":
                    yield from self._end_group(None, seg)
                    yield from self._start_group(seg)
                elif sid == "GE":
                    if self.gs is None:
                        self._inside_unexpected(seg, "a functional group")
                    else:
                        yield from self._end_group(seg, seg)
                elif self.gs is None:
                    self._inside_unexpected(seg, "a functional group")
                elif sid == "ST":
                    yield from self._end_set(None, seg)
                    yield from self._start_set(seg)
                elif sid == "SE":
                    if self.st is None:
                        self._inside_unexpected(seg, "a transaction set")
                    else:
                        yield from self._end_set(seg, seg)
                else:
                    self._inside_unexpected(seg, "a transaction set")
                last = seg
                in_set = self.st is not None
                builder = self.builder
                feed_run = builder.feed_run if builder is not None else None
        if self.validation is not None:
            self._add(self.validation.close())
        yield from self._end_interchange(None, last)
        self.checked.extend(self.unplaced)
        yield from self._bare(None)

    def _bare(self, upto: int | None) -> Iterator[Finding]:
        if upto is None:
            while self.checked:
                yield self.checked.popleft()
        else:
            yield from self._take(upto)

    def _outside(self, seg: Segment, where: str) -> Iterator[Finding]:
        if self.skipping != "outside":
            self.skipping = "outside"
            yield outside_envelope(seg, self.ctx, where)

    def _inside_unexpected(self, seg: Segment, where: str) -> None:
        if self.skipping != where:
            self.skipping = where
            self.isa_findings.append(outside_envelope(seg, self.ctx, where))

    # ------------------------------------------------------------ interchange

    def _start_interchange(self, seg: Segment) -> Iterator[Event]:
        self.skipping = None
        header, found = interchange_header(seg, self.ctx, self.sha)
        if header.control_number in self.isa_seen:
            found.append(self.ctx.finding(
                "envelope.isa.duplicate_control", Severity.ERROR, Level.INTERCHANGE,
                "ISA13 control number repeats within the file", seg, x12_code="025", element=13))
        self.isa_seen.add(header.control_number)
        self.isa, self.isa_findings = header, found
        self.groups, self.gs_seen = 0, set()
        yield InterchangeStart(header=header)

    def _end_interchange(self, iea: Segment | None, at: Segment | None) -> Iterator[_Out]:
        if self.isa is None:
            return
        yield from self._end_group(None, at)
        isa = self.isa
        found = self.isa_findings
        found.extend(check_iea(iea, isa, self.groups, self.ctx, at))
        if iea is not None:
            found.extend(self._take(iea.position))
        note = next((f.x12_code for f in found if f.rejects and f.level is Level.INTERCHANGE
                     and f.x12_code), "000")
        self.isa, self.isa_findings = None, []
        self.skipping = None
        yield InterchangeEnd(control_number=isa.control_number,
                                             findings=tuple(found), ta1_note=note)
        self.ctx.interchange_control = ""

    # ------------------------------------------------------------ group

    def _start_group(self, seg: Segment) -> Iterator[Event]:
        assert self.isa is not None
        self.skipping = None
        self.isa_findings.extend(self._take(seg.position - 1))
        header, found = group_header(seg, self.ctx, self.gs_seen)
        self.groups += 1
        self.gs, self.gs_findings = header, found
        self.sets, self.st_seen = 0, set()
        yield GroupStart(header=header, interchange_control=self.isa.control_number)

    def _end_group(self, ge: Segment | None, at: Segment | None) -> Iterator[_Out]:
        if self.gs is None:
            return
        yield from self._end_set(None, at)
        gs = self.gs
        found = self.gs_findings
        found.extend(check_ge(ge, gs, self.sets, self.ctx, at))
        if ge is not None:
            found.extend(self._take(ge.position))
        self.gs, self.gs_findings = None, []
        self.skipping = None
        yield GroupEnd(control_number=gs.control_number,
                                       interchange_control=self.ctx.interchange_control,
                                       findings=tuple(found))
        self.ctx.group_control = ""

    # ------------------------------------------------------------ transaction set

    def _start_set(self, st: Segment) -> Iterator[Event]:
        assert self.isa is not None and self.gs is not None
        self.skipping = None
        self.gs_findings.extend(self._take(st.position - 1))
        self.sets += 1
        isa = self.isa
        check = check_st(st, self.gs, self.ctx, self.st_seen)
        self.st, self.st_check = st, check
        self.set_findings = list(check.findings)
        self.members = self.rejected = 0
        self.member_warnings = False
        self.header_sent = False
        self.set_lineage = Lineage(
            source=self.ctx.source, file_sha256=self.sha,
            sender_qualifier=isa.sender_qualifier, sender_id=isa.sender_id,
            receiver_qualifier=isa.receiver_qualifier, receiver_id=isa.receiver_id,
            interchange_control=isa.control_number, group_control=self.gs.control_number,
            set_control=self.ctx.set_control, first_position=st.position,
            last_position=st.position, first_offset=st.offset, member_ordinal=None)
        self.builder = (
            SetBuilder(st, self.set_lineage, self.ctx,
                       version4010=self.gs.version.startswith("00401") or isa.version == "00401",
                       lenient=self.gs.version == "005010X307", records=self.records)
            if check.readable else None
        )
        return iter(())

    def _emit(self, done: Closed) -> Iterator[_Out]:
        if isinstance(done, TransactionSetHeader):
            self.set_findings.extend(self._take(done.lineage.last_position))
            self.header_sent = True
            yield SetStart(header=done)
            return
        if not isinstance(done, (MemberTransaction, MemberVerdict)):
            # assembled (`self.assembly`): no findings, and none waited when it was built
            self.members += 1
            yield done
            return
        lin = done.lineage
        extra = None
        if self.checked:
            self.set_findings.extend(self._take(lin.first_position - 1))
            extra = self._take(lin.last_position)
        if extra:
            extra = [f if f.member_ordinal is not None
                     else replace(f, member_ordinal=lin.member_ordinal)
                     for f in extra]
            findings = done.findings + tuple(extra)
            done = replace(done, findings=findings,
                           rejected=any(f.rejects for f in findings))
        self.members += 1
        if done.rejected:
            self.rejected += 1
        elif done.findings and any(f.severity is Severity.WARNING for f in done.findings):
            self.member_warnings = True
        yield done

    def _end_set(self, se: Segment | None, at: Segment | None) -> Iterator[_Out]:
        st = self.st
        if st is None:
            return
        builder = self.builder
        if builder is not None:
            if self.assembly is not None:
                builder.assembly = None if self.checked else self.assembly
            for done in builder.close():
                yield from self._emit(done)
        if not self.header_sent:
            assert self.set_lineage is not None
            yield SetStart(header=TransactionSetHeader(
                lineage=self.set_lineage, transaction_set_id=st.get(1),
                implementation_reference=st.get(3)))
        found = self.set_findings
        if builder is not None:
            found.extend(builder.findings)
            found.extend(check_control_totals(builder.control_totals, builder.members,
                                              builder.subscribers, self.ctx))
        found.extend(check_se(se, st, self.ctx, at))
        if se is not None:
            found.extend(self._take(se.position))
        elif at is not None and at.id == "ST":
            found.extend(self._take(at.position - 1))
            found.extend(self._closed_by(at, st))
        found.sort(key=lambda f: f.segment_position or 0)
        end = se or at or st
        assert self.set_lineage is not None
        lineage = replace(self.set_lineage, last_position=end.position)
        yield SetEnd(
            lineage=lineage, status=self._status(found), members=self.members,
            rejected_members=self.rejected, findings=tuple(found))
        self.st = None
        self.builder = None
        self.ctx.set_control = ""
        self.ctx.st_position = 0

    def _closed_by(self, at: Segment, st: Segment) -> list[Finding]:
        """This set's required-segment findings that the validator placed at the ST which
        closed it without an SE (its missing loops and SE), at the position its SE would
        have had, in this set (they are not the next set's)."""
        q = self.checked
        mine = [f for f in q if f.segment_position == at.position and f.level is Level.SEGMENT
                and f.x12_code == "3"]
        for f in mine:
            q.remove(f)
        update = {"set_position": at.position - st.position + 1,
                  "set_control": self.ctx.set_control or None}
        return [self._scoped(replace(f, **update)) for f in mine]

    def _status(self, found: list[Finding]) -> SetStatus:
        if any(f.rejects for f in found) or (self.members and self.rejected == self.members):
            return SetStatus.REJECTED
        if self.rejected:
            return SetStatus.PARTIALLY_ACCEPTED
        if self.member_warnings or any(f.severity is Severity.WARNING for f in found):
            return SetStatus.ACCEPTED_WITH_ERRORS
        return SetStatus.ACCEPTED


_BATCH = 200
"""Items per list when `events` is given them one by one (`read` reads the tokenizer's lists)."""

_ENVELOPE_IDS = ENVELOPE_IDS


def findings_of(event: Event | msgspec.Struct) -> tuple[Finding, ...]:
    """The findings an event carries (a bare Finding is its own), in order."""
    if isinstance(event, Finding):
        return (event,)
    if isinstance(event, (MemberTransaction, MemberVerdict, SetEnd, GroupEnd, InterchangeEnd)):
        return event.findings
    return ()
