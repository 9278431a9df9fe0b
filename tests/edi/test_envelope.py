"""Envelope checks: each ISA/IEA, GS/GE, ST/SE rule gives its finding with the right ack code."""

from __future__ import annotations

import pytest
from x834 import HEADER, encode, group, interchange, member, simple, transaction_set

from edi.findings import Finding, Level, Severity
from edi.reader import findings_of, read
from edi.records import (
    GroupEnd,
    GroupStart,
    InterchangeEnd,
    InterchangeStart,
    MemberTransaction,
    SetEnd,
    SetStart,
    SetStatus,
)


def run(data: bytes) -> list[object]:
    return list(read(data, "t.edi"))


def all_findings(events: list[object]) -> list[Finding]:
    return [f for e in events for f in findings_of(e)]  # type: ignore[arg-type]


def one(events: list[object], code: str) -> Finding:
    found = [f for f in all_findings(events) if f.code == code]
    assert len(found) == 1, [str(f) for f in all_findings(events)]
    return found[0]


def codes(events: list[object]) -> set[str]:
    return {f.code for f in all_findings(events)}


def of(events: list[object], kind: type) -> list:
    return [e for e in events if isinstance(e, kind)]


def test_clean_file_has_no_findings_and_events_in_order() -> None:
    events = run(simple(member("900110001"), member("900110002")))
    assert all_findings(events) == []
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["InterchangeStart", "GroupStart", "SetStart", "MemberTransaction",
                     "MemberTransaction", "SetEnd", "GroupEnd", "InterchangeEnd"]
    end = of(events, SetEnd)[0]
    assert end.status is SetStatus.ACCEPTED and end.members == 2 and end.rejected_members == 0
    assert of(events, InterchangeEnd)[0].ta1_note == "000"
    assert of(events, GroupStart)[0].interchange_control == "000000001"
    assert of(events, InterchangeStart)[0].header.sender_id == "SENDER"


@pytest.mark.parametrize(
    ("isa_kw", "x12", "element"),
    [
        ({"control": "00000000A"}, "018", 13),
        ({"version": "00300"}, "017", 12),
        ({"ack": "2"}, "019", 14),
        ({"usage": "X"}, "020", 15),
        ({"sender_q": "QQ"}, "005", 5),
        ({"receiver_q": "QQ"}, "007", 7),
        ({"date": "241301"}, "014", 9),
        ({"time": "2561"}, "015", 10),
    ],
)
def test_isa_element_checks(isa_kw: dict[str, str], x12: str, element: int) -> None:
    body = [*HEADER, *member()]
    control = isa_kw.pop("control", "000000001")
    data = encode(interchange([group([transaction_set(body)])], control, **isa_kw))
    events = run(data)
    bad = [f for f in all_findings(events) if f.code.startswith("envelope.isa.")]
    assert [(f.x12_code, f.element, f.level, f.severity) for f in bad] == [
        (x12, element, Level.INTERCHANGE, Severity.ERROR)
    ]
    end = of(events, InterchangeEnd)[0]
    assert bad[0] in end.findings and end.ta1_note == x12
    assert bad[0].segment_position == 1


def test_iea_missing_is_premature_end() -> None:
    data = encode(interchange([group([transaction_set([*HEADER, *member()])])], iea=False))
    events = run(data)
    assert one(events, "envelope.iea.missing").x12_code == "023"
    assert len(of(events, MemberTransaction)) == 1


def test_iea_control_and_count() -> None:
    data = encode(interchange([group([transaction_set([*HEADER, *member()])])],
                              iea_control="000000002", iea_count=3))
    events = run(data)
    assert one(events, "envelope.iea.control_number").x12_code == "001"
    assert one(events, "envelope.iea.group_count").x12_code == "021"


def test_gs_functional_id_and_version() -> None:
    sets = [transaction_set([*HEADER, *member()])]
    events = run(encode(interchange([group(sets, fid="HC")])))
    f = one(events, "envelope.gs.functional_id")
    assert (f.x12_code, f.level) == ("1", Level.GROUP)
    assert f in of(events, GroupEnd)[0].findings

    events = run(encode(interchange([group(sets, version="005010X999")])))
    assert one(events, "envelope.gs.version").x12_code == "2"
    assert len(of(events, MemberTransaction)) == 1  # still read

    events = run(encode(interchange([group(sets, version="005010X220")])))
    warn = one(events, "envelope.gs.version_variant")
    assert warn.severity is Severity.WARNING
    assert "envelope.st.implementation" in codes(events)  # ST03 (A1) ≠ GS08


def test_ge_checks() -> None:
    sets = [transaction_set([*HEADER, *member()])]
    assert one(run(encode(interchange([group(sets, ge=False)]))), "envelope.ge.missing").x12_code == "3"
    assert one(run(encode(interchange([group(sets, ge_control="9")]))),
               "envelope.ge.control_number").x12_code == "4"
    assert one(run(encode(interchange([group(sets, ge_count=2)]))),
               "envelope.ge.set_count").x12_code == "5"


def test_duplicate_gs06_in_interchange() -> None:
    sets = [transaction_set([*HEADER, *member()])]
    events = run(encode(interchange([group(sets, "7"), group(sets, "7")])))
    f = one(events, "envelope.gs.duplicate_control")
    assert f.x12_code == "19" and f.segment_position is not None
    assert len(of(events, GroupEnd)) == 2


@pytest.mark.parametrize(("st01", "x12"), [("835", "1"), ("", "6")])
def test_st01_not_834(st01: str, x12: str) -> None:
    events = run(simple(st01=st01))
    f = one(events, "envelope.st.not_834" if x12 == "1" else "envelope.st.set_id")
    assert f.x12_code == x12 and f.set_position == 1
    assert of(events, MemberTransaction) == []
    end = of(events, SetEnd)[0]
    assert end.status is SetStatus.REJECTED and f in end.findings


def test_se_checks() -> None:
    events = run(simple(se_control="0002"))
    f = one(events, "envelope.se.control_number")
    assert f.x12_code == "3" and f.level is Level.TRANSACTION_SET
    events = run(simple(se_count=99))
    f = one(events, "envelope.se.segment_count")
    assert f.x12_code == "4" and f.set_position == 11 and f.segment_id == "SE"
    assert of(events, SetEnd)[0].status is SetStatus.REJECTED
    events = run(simple(se=False))
    assert one(events, "envelope.se.missing").x12_code == "2"
    assert len(of(events, MemberTransaction)) == 1


def test_missing_loops_of_a_set_closed_by_the_next_st_stay_with_that_set() -> None:
    # Set 0001 has a BGN and nothing else, no SE: the next ST closes it. What the IG
    # validator finds missing there (N1 loops, members, SE) is 0001's, not 0002's.
    from edi.ig import CompiledValidator

    first = transaction_set([HEADER[0]], "0001", se=False)
    data = encode(interchange([group([first, transaction_set([*HEADER, *member()], "0002")])]))
    events = list(read(data, "t.edi", validator=CompiledValidator()))
    ends = {e.lineage.set_control: e for e in of(events, SetEnd)}
    missing = [f for f in ends["0001"].findings if f.x12_code == "3" and f.level is Level.SEGMENT]
    assert {f.segment_id for f in missing} >= {"N1", "INS", "SE"}
    assert {(f.set_control, f.set_position) for f in missing} == {("0001", 3)}
    assert ends["0002"].status is SetStatus.ACCEPTED and not ends["0002"].findings
    assert ends["0001"].status is SetStatus.REJECTED


def test_duplicate_st02_within_group() -> None:
    body = [*HEADER, *member()]
    events = run(encode(interchange([group([transaction_set(body, "0001"),
                                            transaction_set(body, "0001")])])))
    f = one(events, "envelope.st.duplicate_control")
    assert f.x12_code == "23"
    statuses = [e.status for e in of(events, SetEnd)]
    assert statuses == [SetStatus.ACCEPTED, SetStatus.REJECTED]


def test_st03_absent_is_warning_and_mismatch_is_error() -> None:
    events = run(simple(st03=None))
    f = one(events, "envelope.st.implementation_missing")
    assert (f.severity, f.x12_code) == (Severity.WARNING, "19")
    assert of(events, SetEnd)[0].status is SetStatus.ACCEPTED_WITH_ERRORS
    f = one(run(simple(st03="005010X220")), "envelope.st.implementation")
    assert (f.severity, f.x12_code) == (Severity.ERROR, "19")


def test_4010_needs_no_st03() -> None:
    body = [*HEADER, *member()]
    data = encode(interchange([group([transaction_set(body, st03=None)], version="004010X095A1")],
                              version="00401", rep="U"))
    events = run(data)
    assert all_findings(events) == []


def test_bare_set_without_envelope_is_reported_and_skipped() -> None:
    data = encode(transaction_set([*HEADER, *member()]))
    events = run(data)
    outside = [f for f in all_findings(events) if f.code == "envelope.outside"]
    assert len(outside) <= 1
    assert of(events, MemberTransaction) == []
    assert any(f.rejects for f in all_findings(events))


def test_segments_between_envelopes_reported_once_per_run() -> None:
    body = [*HEADER, *member()]
    g = group([transaction_set(body)])
    data = encode(interchange([[*g, "BGN*00*X*20240101", "REF*38*1"]]))
    events = run(data)
    f = one(events, "envelope.outside")
    assert f.x12_code == "024" and f.segment_id == "BGN"
    assert f in of(events, InterchangeEnd)[0].findings


def test_qty_control_totals_are_warnings() -> None:
    header = [*HEADER[:1], "QTY*TO*3", "QTY*ET*1", "QTY*DT*0", *HEADER[1:]]
    events = run(simple(member("900110001"), member("900110002"), header=header))
    bad = [f for f in all_findings(events) if f.code == "envelope.qty.control_total"]
    # two subscribers: TO 3 and ET 1 are wrong, DT 0 is right
    assert [(f.severity, f.set_position) for f in bad] == [(Severity.WARNING, 3),
                                                            (Severity.WARNING, 4)]
    assert of(events, SetEnd)[0].status is SetStatus.ACCEPTED_WITH_ERRORS
    header = [*HEADER[:1], "QTY*TO*2", "QTY*ET*2", "QTY*DT*0", *HEADER[1:]]
    assert all_findings(run(simple(member("900110001"), member("900110002"), header=header))) == []


def test_findings_carry_envelope_keys_and_no_values() -> None:
    events = run(simple(se_count=99))
    f = one(events, "envelope.se.segment_count")
    assert (f.interchange_control, f.group_control, f.set_control) == ("000000001", "1", "0001")
    assert "99" not in f.message and "99" not in str(f).split("[")[0].split(": ", 2)[-1]
    assert of(events, SetStart)[0].header.lineage.set_control == "0001"


def test_segments_before_any_isa_are_one_024_finding() -> None:
    from edi.reader import events
    from edi.segments import Delimiters, Segment

    d = Delimiters()
    raw = ["ST*834*0001", "BGN*00*X*20240101", "INS*Y*18*021", "SE*4*0001"]
    segs = [Segment(r.split("*")[0], tuple(r.split("*")[1:]), i, i * 20, d)
            for i, r in enumerate(raw, 1)]
    out = list(events(segs, "bare.edi"))
    assert len(out) == 1 and isinstance(out[0], Finding)
    f = out[0]
    assert (f.code, f.x12_code, f.level, f.severity, f.segment_position) == (
        "envelope.outside", "024", Level.INTERCHANGE, Severity.ERROR, 1)
