"""read(): streaming, validator merging, set verdicts, inputs, and agreement with the generator."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

from x834 import member, simple

from edi.findings import Finding, Level, Severity
from edi.generate import generate, generate_truth
from edi.reader import events, findings_of, read
from edi.records import (
    GroupEnd,
    InterchangeEnd,
    MemberTransaction,
    SetEnd,
    SetStatus,
)
from edi.segments import Segment
from edi.tokenize import read_segments

TWO = simple(member("900110001"), member("900110002"))
# positions: ISA 1, GS 2, ST 3, BGN 4, N1 5-6, member 1 = 7..12, member 2 = 13..18, SE 19, GE 20, IEA 21


def ig(position: int | None, severity: Severity = Severity.ERROR, code: str = "ig.test") -> Finding:
    return Finding(code=code, severity=severity, level=Level.SEGMENT, message="test finding",
                   segment_position=position, validator="fake")


class FakeValidator:
    name = "fake"

    def __init__(self, found: list[Finding]) -> None:
        self.found = found
        self.seen: list[object] = []

    def findings(self, data: bytes | Path, source: str) -> Iterator[Finding]:
        self.seen.append(type(data))
        return iter(self.found)


def test_members_stream_before_the_set_ends() -> None:
    consumed: list[int] = []

    def tracked() -> Iterator[Segment | Finding]:
        for item in read_segments(TWO, "t.edi"):
            if isinstance(item, Segment):
                consumed.append(item.position)
            yield item

    for event in events(tracked(), "t.edi"):
        if isinstance(event, MemberTransaction):
            # member 1 is closed by the second INS (13): nothing after it was read yet
            assert max(consumed) == 13
            break
    else:
        raise AssertionError("no member")


def test_validator_findings_merge_by_position() -> None:
    v = FakeValidator([ig(1), ig(2), ig(5, Severity.WARNING), ig(15), ig(19), ig(None)])
    out = list(read(TWO, "t.edi", validator=v))
    assert v.seen == [bytes]
    m1, m2 = [e for e in out if isinstance(e, MemberTransaction)]
    assert m1.findings == () and not m1.rejected
    (f,) = m2.findings
    assert (f.segment_position, f.member_ordinal, f.set_control, f.set_position) == (15, 2, "0001", 13)
    assert m2.rejected
    end = next(e for e in out if isinstance(e, SetEnd))
    assert [x.segment_position for x in end.findings] == [5, 19]
    assert end.status is SetStatus.REJECTED  # the ERROR at the SE rejects the set
    assert [x.segment_position for x in next(e for e in out if isinstance(e, GroupEnd)).findings] == [2]
    assert [x.segment_position for x in next(e for e in out if isinstance(e, InterchangeEnd)).findings] == [1]
    assert isinstance(out[-1], Finding) and out[-1].segment_position is None


def test_set_status_partial_and_warnings() -> None:
    out = list(read(TWO, validator=FakeValidator([ig(8)])))
    end = next(e for e in out if isinstance(e, SetEnd))
    assert (end.status, end.members, end.rejected_members) == (SetStatus.PARTIALLY_ACCEPTED, 2, 1)

    out = list(read(TWO, validator=FakeValidator([ig(8), ig(14)])))
    end = next(e for e in out if isinstance(e, SetEnd))
    assert (end.status, end.rejected_members) == (SetStatus.REJECTED, 2)

    out = list(read(TWO, validator=FakeValidator([ig(8, Severity.WARNING)])))
    end = next(e for e in out if isinstance(e, SetEnd))
    assert (end.status, end.rejected_members) == (SetStatus.ACCEPTED_WITH_ERRORS, 0)

    out = list(read(TWO, validator=FakeValidator([ig(8, Severity.INFO)])))
    assert next(e for e in out if isinstance(e, SetEnd)).status is SetStatus.ACCEPTED


def test_inputs_bytes_stream_path(tmp_path: Path) -> None:
    path = tmp_path / "two.edi"
    path.write_bytes(TWO)
    sha = hashlib.sha256(TWO).hexdigest()
    from_path = [e for e in read(path) if isinstance(e, MemberTransaction)]
    assert from_path[0].lineage.source == str(path) and from_path[0].lineage.file_sha256 == sha
    from_stream = [e for e in read(io.BytesIO(TWO), "s.edi") if isinstance(e, MemberTransaction)]
    assert [m.subscriber_number for m in from_stream] == ["900110001", "900110002"]
    assert from_stream[0].lineage.file_sha256 is None
    v = FakeValidator([])
    with path.open("rb") as fh:
        got = [e for e in read(fh, validator=v, file_sha256="x" * 64) if isinstance(e, MemberTransaction)]
    assert v.seen == [bytes] and got[0].lineage.file_sha256 == "x" * 64
    assert got[0].lineage.source == str(path)


def test_findings_of() -> None:
    f = ig(3)
    assert findings_of(f) == (f,)
    out = list(read(simple(se_count=1)))
    assert [x.code for e in out for x in findings_of(e)] == ["envelope.se.segment_count"]


def test_empty_and_garbage_input_never_raise() -> None:
    for data in (b"", b"\x00\x01 hello", b"ISA*", b"GS*BE~ST*834*1~SE*2*1~"):
        out = list(read(data))
        assert out and all(isinstance(e, Finding) for e in out)
        assert any(e.rejects for e in out)


def test_generated_files_match_their_truth() -> None:
    for version in ("5010", "4010"):
        kw = {"version": version, "sets": 2, "interchanges": 2, "mix": "change"}
        data = b"".join(generate(60, 11, **kw))  # type: ignore[arg-type]
        truth = list(generate_truth(60, 11, **kw))  # type: ignore[arg-type]
        got = [e for e in read(data) if isinstance(e, MemberTransaction)]
        assert len(got) == len(truth) == 60
        for m, t in zip(got, truth, strict=True):
            assert m.findings == ()
            assert (m.lineage.interchange_control, m.lineage.group_control, m.lineage.set_control,
                    m.lineage.member_ordinal) == (t.interchange_control, t.group_control,
                                                  t.set_control, t.ordinal)
            assert (m.subscriber, m.subscriber_number, m.group_policy_number) == (
                t.subscriber, t.subscriber_number, t.group_policy_number)
            assert (m.relationship.value if m.relationship else "") == t.relationship
            assert (m.maintenance_type.value if m.maintenance_type else "") == t.maintenance_type
            assert (m.medicare_plan.value if m.medicare_plan else "") == t.medicare_plan
            assert (m.cobra_event.value if m.cobra_event else "") == t.cobra_event
            assert m.birth_sequence == t.birth_sequence
            assert tuple((r.qualifier, r.value) for r in m.identifiers) == t.identifiers
            assert tuple((d.qualifier, d.begin) for d in m.dates) == t.dates
            assert (m.member.name.last, m.member.name.first, m.ssn) == (t.last, t.first, t.ssn)
            assert m.member.demographics and m.member.demographics.birth_date == t.birth_date
            assert (m.incorrect is not None) == (t.old is not None)
            assert [(c.insurance_line.value if c.insurance_line else "",
                     tuple((d.qualifier, d.begin) for d in c.dates)) for c in m.coverages] == [
                (c.insurance_line, c.dates) for c in t.coverages]
            assert [(c.name, c.reference_qualifier, c.value, c.date)
                    for c in m.reporting_categories] == [
                (c.name, c.qualifier, c.value, c.date) for c in t.categories]
