"""Validate a file: the reader's verdicts as a frozen report, with its TA1 and 999/997.

`validate_file()` runs `edi.reader.read()` with an IG validator (the compiled
one by default; `make_validator('pyx12')` for cross-checking) for the verdict only
(`records=False`: members as `MemberVerdict`s, not assembled), counts members instead of
keeping them, keeps every finding, and builds per interchange the acknowledgments
`edi.acks` writes:

- a TA1 when the sender asked for one (ISA14 = 1) or the interchange has a
  note (TA105 != 000);
- a 999 (997 for 4010) for its functional groups, unless the TA1 rejects the
  whole interchange (then the TA1 is the only answer, as X12 practice has it).

`write_acks()` puts them next to each other as `<file>.<ISA13>.ta1` and
`<file>.<ISA13>.999` (`.997` for 4010). `FileReport.to_json()` is the shape
`enroll834 validate --json` prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from edi.acks import (
    TA105,
    GroupAck,
    SetAck,
    ack_9xx_name,
    ack_999,
    ak9_code,
    group_nameable,
    ik5_code,
    set_nameable,
    ta1,
    ta1_ack_code,
)
from edi.control import ControlNumbers, MemoryControlNumbers
from edi.findings import Finding, Level, Severity
from edi.records import (
    Event,
    GroupEnd,
    GroupHeader,
    GroupStart,
    InterchangeEnd,
    InterchangeHeader,
    InterchangeStart,
    MemberTransaction,
    MemberVerdict,
    SetEnd,
    SetStart,
    SetStatus,
)

if TYPE_CHECKING:
    from edi.reader import Validator

ACCEPTING = frozenset({SetStatus.ACCEPTED, SetStatus.ACCEPTED_WITH_ERRORS})


class _Frozen(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of the report records: frozen msgspec Structs, like edi.records."""


class SetReport(_Frozen, frozen=True, kw_only=True):
    """One transaction set: its verdict, member counts and every finding inside it."""

    control_number: str
    status: SetStatus
    members: int
    rejected_members: int
    implementation_reference: str = ""
    transaction_set_id: str = "834"
    findings: tuple[Finding, ...] = ()
    rejected_ordinals: tuple[int, ...] = ()
    """Ordinals of the members rejected inside the set (what IK3/IK4 point at)."""
    rejected_by: str = ""
    """'' (its own verdict), 'group' (AK9 R) or 'interchange' (TA1 R): why `status` is
    rejected when the set itself was not."""

    @property
    def ack_code(self) -> str:
        """IK5 (AK5 for 4010): A accepted, E accepted with errors (some members may have been
        rejected), R rejected."""
        return ik5_code(self.status)

    @property
    def accepted(self) -> bool:
        """True when the acknowledgment accepts the set (IK5 A or E: some members may be
        rejected, the others are recorded)."""
        return self.status is not SetStatus.REJECTED


class GroupReport(_Frozen, frozen=True, kw_only=True):
    """One functional group: its sets and its own (GS/GE level) findings."""

    control_number: str
    header: GroupHeader
    transaction_sets: tuple[SetReport, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def ack_code(self) -> str:
        """AK901 for this group (A/E/P/R)."""
        return ak9_code(_group_ack(self))


class InterchangeReport(_Frozen, frozen=True, kw_only=True):
    """One interchange: who sent it, its TA1 verdict, groups, findings and ack texts."""

    sender: str
    receiver: str
    control_number: str
    header: InterchangeHeader
    ta1_note: str = "000"
    ta1_code: str = "A"
    groups: tuple[GroupReport, ...] = ()
    findings: tuple[Finding, ...] = ()
    ta1_text: str | None = None
    ack_text: str | None = None

    @property
    def ack_kind(self) -> str:
        """'999' or '997' (4010)."""
        return ack_9xx_name(self.header)


ACK_WORDS = {"A": "accepted", "E": "accepted with errors", "P": "partially accepted",
             "R": "rejected"}
"""What a TA104 / IK501 / AK901 code says, in the words every report uses."""


def ack_words(code: str) -> str:
    """'E' -> 'accepted with errors': the vocabulary of the 999 for people."""
    return ACK_WORDS.get(code, code)


class FileReport(_Frozen, frozen=True, kw_only=True):
    """The validation report of one file: interchanges plus findings outside them.

    It is THE verdict: the acknowledgments are written from it and the ledger
    records exactly the sets it accepts (`SetReport.accepted`) minus the
    members it rejects (`rejected_ordinals`).
    """

    file: str
    interchanges: tuple[InterchangeReport, ...] = ()
    findings: tuple[Finding, ...] = ()

    @property
    def accepted(self) -> bool:
        """True when an interchange was read and nothing was rejected, not even one member."""
        if not self.interchanges or any(f.rejects for f in self.findings):
            return False
        for ic in self.interchanges:
            if ic.ta1_code == "R":
                return False
            for group in ic.groups:
                if group.ack_code not in ("A", "E"):
                    return False
                if any(s.status not in ACCEPTING for s in group.transaction_sets):
                    return False
        return True

    def all_findings(self) -> Iterable[Finding]:
        """Every finding of the file, envelope by envelope."""
        yield from self.findings
        for ic in self.interchanges:
            yield from ic.findings
            for group in ic.groups:
                yield from group.findings
                for s in group.transaction_sets:
                    yield from s.findings

    def findings_beside(self, as_json: bool) -> list[Finding]:
        """The findings shown beside the report: all of them beside `summary_lines`; beside
        `to_json` (which holds the sets' own) those of the file, interchanges and groups."""
        return [f for f in self.all_findings()
                if not as_json or f.level.value in ("file", "interchange", "group")]

    def summary_lines(self) -> list[str]:
        """Tab-separated lines: file, ISA13, GS06, ST02, verdict, members, rejected members.

        The verdict is what the acknowledgment says, in its codes: interchange
        rows (GS06/ST02 '-') 'ta1 A 000'; group rows (ST02 '-') 'ak9 P'; set
        rows 'ik5 E' ('ak9 R' / 'ta1 R' when the group or interchange rejected
        it). A file with no interchange gives one 'no interchange' row.
        """
        if not self.interchanges:
            return [f"{self.file}\t-\t-\t-\tno interchange\t0\t0"]
        rows: list[str] = []
        for ic in self.interchanges:
            members = sum(s.members for g in ic.groups for s in g.transaction_sets)
            bad = sum(s.rejected_members for g in ic.groups for s in g.transaction_sets)
            rows.append(f"{self.file}\t{ic.control_number}\t-\t-\tta1 {ic.ta1_code} {ic.ta1_note}"
                        f"\t{members}\t{bad}")
            for g in ic.groups:
                members = sum(s.members for s in g.transaction_sets)
                bad = sum(s.rejected_members for s in g.transaction_sets)
                rows.append(f"{self.file}\t{ic.control_number}\t{g.control_number}\t-"
                            f"\tak9 {g.ack_code}\t{members}\t{bad}")
                for s in g.transaction_sets:
                    verdict = {"group": "ak9 R", "interchange": "ta1 R"}.get(
                        s.rejected_by, f"ik5 {s.ack_code}")
                    rows.append(f"{self.file}\t{ic.control_number}\t{g.control_number}"
                                f"\t{s.control_number}\t{verdict}\t{s.members}"
                                f"\t{s.rejected_members}")
        return rows

    def to_json(self) -> dict[str, Any]:
        """The `validate --json` object (finding dicts leave out empty fields)."""
        return {
            "file": self.file,
            "interchanges": [
                {
                    "sender": ic.sender,
                    "receiver": ic.receiver,
                    "control_number": ic.control_number,
                    "ta1": {"ack_code": ic.ta1_code, "note_code": ic.ta1_note},
                    "groups": [
                        {
                            "control_number": g.control_number,
                            "ack_code": g.ack_code,
                            "transaction_sets": [
                                {
                                    "control_number": s.control_number,
                                    "status": s.status.value,
                                    "ack_code": s.ack_code,
                                    "members": s.members,
                                    "rejected_members": s.rejected_members,
                                    "findings": [_finding_json(f) for f in s.findings],
                                }
                                for s in g.transaction_sets
                            ],
                        }
                        for g in ic.groups
                    ],
                }
                for ic in self.interchanges
            ],
        }


def _finding_json(f: Finding) -> dict[str, Any]:
    return f.as_json()


def _group_ack(group: GroupReport) -> GroupAck:
    return GroupAck(
        header=group.header,
        sets=tuple(
            SetAck(
                control_number=s.control_number,
                status=s.status,
                implementation_reference=s.implementation_reference,
                transaction_set_id=s.transaction_set_id,
                findings=s.findings,
            )
            for s in group.transaction_sets
        ),
        findings=group.findings,
    )


# ------------------------------------------------------------------ building the report


class ReportBuilder:
    """Folds the event stream into a report, one open envelope at a time.

    Each interchange is judged when it closes (`judge`); with `control`, its
    acknowledgments are written then too (`validate`), without it they are
    left to `with_acks` (the ledger, which may overrule a verdict first).
    """

    def __init__(self, source: str, control: ControlNumbers | None, now: datetime) -> None:
        self.source = source
        self.control = control
        self.now = now
        self.file_findings: list[Finding] = []
        self.interchanges: list[InterchangeReport] = []
        self.header: InterchangeHeader | None = None
        self.groups: list[GroupReport] = []
        self.group: GroupHeader | None = None
        self.sets: list[SetReport] = []
        self.set_start: SetStart | None = None
        self.member_findings: list[Finding] = []
        self.rejected: list[int] = []

    def feed(self, event: Event) -> None:
        if isinstance(event, (MemberTransaction, MemberVerdict)):
            self.member_findings.extend(event.findings)
            if event.rejected and event.lineage.member_ordinal is not None:
                self.rejected.append(event.lineage.member_ordinal)
        elif isinstance(event, Finding):
            self.file_findings.append(event)
        elif isinstance(event, InterchangeStart):
            self.header, self.groups = event.header, []
        elif isinstance(event, GroupStart):
            self.group, self.sets = event.header, []
        elif isinstance(event, SetStart):
            self.set_start, self.member_findings, self.rejected = event, [], []
        elif isinstance(event, SetEnd):
            self._end_set(event)
        elif isinstance(event, GroupEnd):
            self._end_group(event)
        elif isinstance(event, InterchangeEnd):
            self._end_interchange(event)

    def _end_set(self, end: SetEnd) -> None:
        start = self.set_start.header if self.set_start is not None else None
        findings = sorted(
            [*end.findings, *self.member_findings],
            key=lambda f: (f.segment_position is None, f.segment_position or 0),
        )
        self.sets.append(SetReport(
            control_number=end.lineage.set_control,
            status=end.status,
            members=end.members,
            rejected_members=end.rejected_members,
            implementation_reference=start.implementation_reference if start else "",
            transaction_set_id=(start.transaction_set_id if start else "") or "834",
            findings=tuple(findings),
            rejected_ordinals=tuple(self.rejected),
        ))
        self.set_start, self.member_findings, self.rejected = None, [], []

    def _end_group(self, end: GroupEnd) -> None:
        header = self.group or GroupHeader(
            functional_id="BE", sender="", receiver="", date="", time="",
            control_number=end.control_number, agency="X", version="",
        )
        self.groups.append(GroupReport(
            control_number=end.control_number, header=header,
            transaction_sets=tuple(self.sets), findings=end.findings,
        ))
        self.group, self.sets = None, []

    def _end_interchange(self, end: InterchangeEnd) -> None:
        header = self.header
        if header is None:
            self.file_findings.extend(end.findings)
            return
        code = ta1_ack_code(end.ta1_note, end.findings)
        note = end.ta1_note if end.ta1_note in TA105 else "024"
        if code == "R" and note == "000":
            note = "024"  # rejected for a finding without a TA105 code: invalid content
        ic = judge(InterchangeReport(
            sender=_party(header.sender_qualifier, header.sender_id),
            receiver=_party(header.receiver_qualifier, header.receiver_id),
            control_number=header.control_number,
            header=header,
            ta1_note=note,
            ta1_code=code,
            groups=tuple(self.groups),
            findings=end.findings,
        ))
        if self.control is not None:
            ic = interchange_acks(ic, self.control, self.now)
        self.interchanges.append(ic)
        self.header, self.groups = None, []

    def report(self) -> FileReport:
        return FileReport(file=self.source, interchanges=tuple(self.interchanges),
                          findings=tuple(self.file_findings))


# ------------------------------------------------------------------ the verdict


def judge(ic: InterchangeReport) -> InterchangeReport:
    """The interchange with its verdict made consistent from the top down.

    - A group a 999/997 cannot name (`edi.acks.group_nameable`: GS01 not a
      functional id the 999 lists, GS06 not 1-9 digits, GS08 not 1-12
      characters) is an invalid GS segment: TA1 R with note 024.
    - TA1 R: every set is rejected ('interchange').
    - A group-level rejecting finding (AK905): every set of it is rejected ('group').
    - A set the 999 cannot name (ST01 not in its list, ST02 not 4-9 characters) is rejected.
    """
    code, note, findings = ic.ta1_code, ic.ta1_note, ic.findings
    if code != "R" and not all(group_nameable(g.header) for g in ic.groups):
        code, note = "R", "024"
        findings = (*findings, Finding(
            code="ack.group_not_nameable", severity=Severity.ERROR, level=Level.INTERCHANGE,
            message="a functional group's GS01, GS06 or GS08 cannot be acknowledged in a "
                    "999/997 (invalid GS segment); the interchange is rejected",
            source=ic.header.source, segment_position=ic.header.position,
            interchange_control=ic.control_number or None, x12_code="024", validator="ack",
        ))
    groups = []
    for g in ic.groups:
        by = "interchange" if code == "R" else (
            "group" if any(f.rejects for f in g.findings) else "")
        sets = []
        for s in g.transaction_sets:
            if by and s.status is not SetStatus.REJECTED:
                s = msgspec.structs.replace(s, **{"status": SetStatus.REJECTED, "rejected_by": by})
            elif not set_nameable(s.transaction_set_id, s.control_number):
                s = msgspec.structs.replace(s, **{"status": SetStatus.REJECTED})
            sets.append(s)
        groups.append(msgspec.structs.replace(g, **{"transaction_sets": tuple(sets)}))
    return msgspec.structs.replace(ic, **{"ta1_code": code, "ta1_note": note, "findings": findings,
                                 "groups": tuple(groups), "ta1_text": None, "ack_text": None})


def overrule(report: FileReport, index: int, note: str, finding: Finding | None = None) -> FileReport:
    """`report` with interchange `index` rejected by a TA1 R `note` (e.g. '025' duplicate,
    '006' unknown sender): every set of it rejected, its acknowledgments to be rebuilt."""
    if note not in TA105:
        raise ValueError("unknown TA105 note code")
    ics = list(report.interchanges)
    ic = ics[index]
    extra = (finding,) if finding is not None else ()
    ics[index] = judge(msgspec.structs.replace(ic, **{"ta1_code": "R", "ta1_note": note,
                                             "findings": (*ic.findings, *extra)}))
    return msgspec.structs.replace(report, **{"interchanges": tuple(ics)})


def interchange_acks(ic: InterchangeReport, control: ControlNumbers,
                     now: datetime) -> InterchangeReport:
    """`ic` with its acknowledgment texts: a TA1 when ISA14 = 1 or the TA1 notes or rejects
    something, and a 999/997 for its groups unless the TA1 rejects the interchange."""
    header = ic.header
    ta1_text = None
    if header.ack_requested or ic.ta1_note != "000" or ic.ta1_code != "A":
        ta1_text = ta1(header, ic.ta1_note, ack_control=str(control.next("isa")),
                       now=now, ack_code=ic.ta1_code)
    ack_text = None
    if ic.groups and ic.ta1_code != "R":
        ack_text = ack_999(header, [_group_ack(g) for g in ic.groups],
                           ack_control=str(control.next("isa")), now=now)
    return msgspec.structs.replace(ic, **{"ta1_text": ta1_text, "ack_text": ack_text})


def with_acks(report: FileReport, control: ControlNumbers, now: datetime) -> FileReport:
    """`report` with every interchange's acknowledgments written (`interchange_acks`)."""
    return msgspec.structs.replace(report, **{"interchanges": tuple(
        interchange_acks(ic, control, now) for ic in report.interchanges)})


def _party(qualifier: str, ident: str) -> str:
    return f"{qualifier.strip()}:{ident.strip()}"


VALIDATORS: tuple[str, ...] = ("compiled", "pyx12")
"""Names `make_validator` accepts; the first is the default."""


def make_validator(name: str = "compiled",
                   charsets: Mapping[tuple[str, str], str] | None = None) -> Validator:
    """The implementation-guide validator called `name`: 'compiled' (edi.ig, the default)
    or 'pyx12' (the reference implementation, ~20x slower, for cross-checking a partner's file).

    `charsets` maps senders (ISA05, ISA06) to their agreed character set, 'basic',
    'extended' (the default) or 'utf-8' (`edi.ig.charsets`); pyx12 always judges by
    the extended set."""
    if name == "compiled":
        from edi.ig import CompiledValidator

        return CompiledValidator(charsets=charsets)
    if name == "pyx12":
        from edi.ig_pyx12 import Pyx12Validator

        return Pyx12Validator(recover=True)
    raise ValueError(f"unknown validator {name!r}; choose one of {', '.join(VALIDATORS)}")


def validate_file(
    path_or_bytes: Path | str | bytes,
    source: str | None = None,
    *,
    validator: Validator | None = None,
    control: ControlNumbers | None = None,
    now: datetime | None = None,
) -> FileReport:
    """Read, validate and judge one file; never raises on bad data.

    `validator` is a reader Validator (default: `make_validator()`, the compiled one); `control`
    hands out the acks' ISA13 numbers (default: in-memory, starting at 1 —
    pass a `FileControlNumbers` or the ledger's to keep them unique across
    runs); `now` stamps the acks (default: the current UTC time).
    """
    from edi.reader import read

    if validator is None:
        validator = make_validator()
    data: Path | bytes = Path(path_or_bytes) if isinstance(path_or_bytes, str) else path_or_bytes
    name = source or (data.name if isinstance(data, Path) else "<bytes>")
    builder = ReportBuilder(name, control or MemoryControlNumbers(), now or datetime.now(UTC))
    for event in read(data, name, validator=validator, records=False):
        builder.feed(event)
    return builder.report()


def ack_files(report: FileReport) -> list[tuple[str, str]]:
    """(file name, text) of every ack in `report`: `<file>.<ISA13>.ta1` / `.999` / `.997`."""
    base = Path(report.file).name or "input"
    out: list[tuple[str, str]] = []
    for ic in report.interchanges:
        control = "".join(c for c in ic.control_number if c.isalnum()) or "unknown"
        stem = f"{base}.{control}"
        if ic.ta1_text is not None:
            out.append((f"{stem}.ta1", ic.ta1_text))
        if ic.ack_text is not None:
            out.append((f"{stem}.{ic.ack_kind}", ic.ack_text))
    return out


def write_acks(report: FileReport, ack_dir: Path | str) -> list[Path]:
    """Write the report's acks into `ack_dir` (created if needed); the paths written."""
    directory = Path(ack_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, text in ack_files(report):
        path = directory / name
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="ascii", errors="replace")
        tmp.replace(path)
        written.append(path)
    return written


SUMMARY_HEADER = "FILE\tISA13\tGS06\tST02\tVERDICT\tMEMBERS\tREJECTED"
"""The column names of `ValidationReport.summary_lines` (printed once, above them)."""
