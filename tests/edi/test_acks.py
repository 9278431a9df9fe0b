"""TA1 and 999/997 writing (edi.acks) and ack control numbers (edi.control).

Golden files in tests/edi/golden/ come from the synthetic interchanges in
synthetic834.py with a fixed clock and in-memory control numbers; they were
reviewed by hand. Regenerate with ENROLL834_UPDATE_GOLDEN=1 (then review the diff).
"""

from __future__ import annotations

import multiprocessing
import os
from datetime import datetime
from pathlib import Path

import msgspec
import pytest

from edi.acks import GroupAck, SetAck, ack_999, ak9_code, ta1
from edi.control import ControlFileError, FileControlNumbers, MemoryControlNumbers
from edi.findings import Finding, Level, Severity
from edi.records import GroupHeader, InterchangeHeader, SetStatus
from edi.validate import validate_file
from tests.edi.synthetic834 import interchange, member

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2024, 3, 15, 10, 0)


def check_golden(name: str, text: str | None) -> str:
    assert text is not None, f"no ack produced for {name}"
    path = GOLDEN / name
    if os.environ.get("ENROLL834_UPDATE_GOLDEN"):
        path.write_text(text, encoding="ascii")
    assert path.exists(), f"golden file {name} missing (run with ENROLL834_UPDATE_GOLDEN=1)"
    assert text == path.read_text(encoding="ascii")
    return text


def acks_for(text: str, name: str) -> tuple[str | None, str | None]:
    report = validate_file(text.encode(), name, control=MemoryControlNumbers(), now=NOW)
    (ic,) = report.interchanges
    return ic.ta1_text, ic.ack_text


def header(**kw: object) -> InterchangeHeader:
    base: dict[str, object] = dict(
        source="t.edi", sender_qualifier="ZZ", sender_id="ACMEHR", receiver_qualifier="ZZ",
        receiver_id="BLUEPAYER", date="240315", time="0930", version="00501",
        control_number="000004711", ack_requested=True, usage="T", element_separator="*",
        component_separator=":", segment_terminator="~", repetition_separator="^",
    )
    base.update(kw)
    return msgspec.convert(base, InterchangeHeader)


GS = GroupHeader(functional_id="BE", sender="ACMEHR", receiver="BLUEPAYER", date="20240315",
                 time="0930", control_number="4711", agency="X", version="005010X220A1")


def element_finding(set_position: int, element: int, code: str, **kw: object) -> Finding:
    return Finding(code="ig.element.x", severity=Severity.ERROR, level=Level.ELEMENT,
                   message="m", set_position=set_position, segment_id="DMG",
                   element=element, x12_code=code, **kw)  # type: ignore[arg-type,unused-ignore]


# ---------------------------------------------------------------- goldens (end to end)


def test_golden_accepted() -> None:
    ta1_text, ack = acks_for(interchange(), "accepted.edi")
    assert ta1_text is None  # ISA14 = 0 and nothing to note
    check_golden("accepted.999", ack)


def test_golden_accepted_with_errors() -> None:
    _, found = acks_for(interchange(qty=5), "warned.edi")
    ack = check_golden("accepted_with_errors.999", found)
    assert "IK5*E*5~" in ack and "AK9*E*1*1*1~" in ack


def test_golden_partially_accepted_one_bad_member_of_three() -> None:
    _, found = acks_for(interchange([member(1), member(2, ins05="Q"), member(3)]), "partial.edi")
    ack = check_golden("partially_accepted.999", found)
    assert "IK3*INS*15**8~" in ack and "IK4*5*1216*7~" in ack


def test_golden_rejected_se_count() -> None:
    _, found = acks_for(interchange(se_delta=3), "se_count.edi")
    ack = check_golden("rejected_se_count.999", found)
    assert "IK5*R*4~" in ack and "AK9*R*1*1*0~" in ack


def test_golden_ta1_bad_iea_and_no_999() -> None:
    ta1_text, ack = acks_for(interchange(iea_control="000004799", ack_requested=True), "iea.edi")
    assert "TA1*000004711*240315*0930*R*001~" in check_golden("bad_iea.ta1", ta1_text)
    assert ack is None  # a rejected interchange is answered by its TA1 only


def test_golden_ta1_duplicate_025() -> None:
    text = ta1(header(), "025", ack_control="17", now=NOW)
    check_golden("duplicate_025.ta1", text)
    assert "TA1*000004711*240315*0930*R*025~" in text


# ---------------------------------------------------------------- TA1


def test_ta1_envelope_swaps_parties_and_counts() -> None:
    lines = ta1(header(), "000", ack_control="5", now=NOW).splitlines()
    isa = lines[0].split("*")
    assert (isa[5], isa[6].strip(), isa[7], isa[8].strip()) == ("ZZ", "BLUEPAYER", "ZZ", "ACMEHR")
    assert isa[9:11] == ["240315", "1000"] and isa[13] == "000000005" and isa[14] == "0"
    assert len(lines[0]) == 106  # fixed-width ISA including the terminator
    assert lines[1] == "TA1*000004711*240315*0930*A*000~"
    assert lines[2] == "IEA*0*000000005~"


def test_ta1_uses_inbound_delimiters() -> None:
    h = header(element_separator="|", component_separator=">", segment_terminator="\n",
               repetition_separator="!")
    text = ta1(h, "000", ack_control="9", now=NOW)
    first = text.split("\n")[0]
    assert first.startswith("ISA|00|") and first.endswith("|>") and "|!|00501|" in first
    assert "TA1|000004711|240315|0930|A|000\n" in text


def test_ta1_rejects_unknown_codes() -> None:
    with pytest.raises(ValueError):
        ta1(header(), "999", ack_control="1", now=NOW)
    with pytest.raises(ValueError):
        ta1(header(), "000", ack_control="0", now=NOW)


# ---------------------------------------------------------------- 999 / 997


def test_ak9_partial_when_some_sets_rejected() -> None:
    sets = (SetAck("0001", SetStatus.ACCEPTED), SetAck("0002", SetStatus.REJECTED,
            findings=(element_finding(4, 2, "8"),)))
    group = GroupAck(GS, sets)
    assert ak9_code(group) == "P"
    text = ack_999(header(), [group], ack_control="3", now=NOW)
    assert "AK2*834*0002~\nIK3*DMG*4**8~\nIK4*2**8~\nIK5*R*5~\nAK9*P*2*2*1~" in text


def test_ak9_codes_and_group_rejection() -> None:
    bad_ge = Finding(code="envelope.ge.count", severity=Severity.ERROR, level=Level.GROUP,
                     message="m", x12_code="5")
    group = GroupAck(GS, (SetAck("0001", SetStatus.ACCEPTED),), findings=(bad_ge,), included=2)
    text = ack_999(header(), [group], ack_control="3", now=NOW)
    assert "AK9*R*2*1*0*5~" in text
    assert ak9_code(GroupAck(GS, (SetAck("1", SetStatus.REJECTED),))) == "R"
    assert ak9_code(GroupAck(GS, (SetAck("1", SetStatus.ACCEPTED_WITH_ERRORS),))) == "E"


def test_999_counts_and_components() -> None:
    comp = element_finding(6, 5, "7", component=2, data_element="1271")
    rep = element_finding(6, 5, "I12", component=1, repetition=3)
    sets = (SetAck("0001", SetStatus.REJECTED, "005010X220A1", findings=(comp, rep)),)
    text = ack_999(header(), [GroupAck(GS, sets), GroupAck(GS, sets)], ack_control="42", now=NOW)
    lines = text.splitlines()
    assert "IK4*5:1:3**I12~" in lines and "IK4*5:2*1271*7~" in lines
    assert lines[1] == "GS*FA*BLUEPAYER*ACMEHR*20240315*1000*42*X*005010X231A1~"
    for st02 in ("0001", "0002"):
        start = lines.index(f"ST*999*{st02}*005010X231A1~")
        end = next(i for i, line in enumerate(lines) if line.startswith("SE*") and st02 in line)
        assert lines[end] == f"SE*{end - start + 1}*{st02}~"
    assert lines[-2:] == ["GE*2*42~", "IEA*1*000000042~"]


def test_997_for_4010() -> None:
    h = header(version="00401", repetition_separator=None)
    gs = msgspec.structs.replace(GS, version="004010X095A1")
    f = element_finding(7, 3, "I6")
    seg = Finding(code="ig.segment.x", severity=Severity.ERROR, level=Level.SEGMENT, message="m",
                  set_position=9, segment_id="REF", x12_code="I4")
    text = ack_999(h, [GroupAck(gs, (SetAck("0001", SetStatus.REJECTED, findings=(f, seg)),))],
                   ack_control="8", now=NOW)
    assert "*U*00401*000000008*" in text
    assert "ST*997*0001~\nAK1*BE*4711~\nAK2*834*0001~\nAK3*DMG*7**8~\nAK4*3**7~" in text
    assert "AK3*REF*9**2~" in text and "AK5*R*5~" in text and "GS*FA*" in text and "*004010~" in text
    assert "IK" not in text


def test_999_never_writes_ik404_or_values() -> None:
    f = element_finding(4, 2, "8")
    text = ack_999(header(), [GroupAck(GS, (SetAck("1", SetStatus.REJECTED, findings=(f,)),))],
                   ack_control="1", now=NOW)
    ik4 = [line for line in text.splitlines() if line.startswith("IK4")]
    assert ik4 == ["IK4*2**8~"]  # three elements: position, data element, code


# ---------------------------------------------------------------- control numbers


def test_memory_control_numbers_per_kind_and_wrap() -> None:
    c = MemoryControlNumbers()
    assert [c.next("isa"), c.next("isa"), c.next("gs")] == [1, 2, 1]
    wrap = MemoryControlNumbers(start=999_999_999)
    assert wrap.next("isa") == 1


def test_file_control_numbers_persist(tmp_path: Path) -> None:
    path = tmp_path / "ctl" / "control.json"
    assert [FileControlNumbers(path).next("isa") for _ in range(3)] == [1, 2, 3]
    assert FileControlNumbers(path).next("gs") == 1
    path.write_text("not json")
    with pytest.raises(ControlFileError):
        FileControlNumbers(path).next("isa")


def _draw(path: str, n: int, out: multiprocessing.Queue[list[int]]) -> None:
    c = FileControlNumbers(path)
    out.put([c.next("isa") for _ in range(n)])


def test_file_control_numbers_unique_across_processes(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[list[int]] = ctx.Queue()
    path = str(tmp_path / "control.json")
    procs = [ctx.Process(target=_draw, args=(path, 25, queue)) for _ in range(3)]
    for p in procs:
        p.start()
    numbers = [n for _ in procs for n in queue.get(timeout=30)]
    for p in procs:
        p.join(timeout=30)
    assert sorted(numbers) == list(range(1, 76))
