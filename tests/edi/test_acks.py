"""TA1 and 999/997 writing (edi.acks) and ack control numbers (edi.control).

Golden files in tests/edi/golden/ come from the synthetic interchanges in
synthetic834.py with a fixed clock and in-memory control numbers; they were
reviewed by hand. Regenerate with ENROLL834_UPDATE_GOLDEN=1 (then review the diff).
"""

from __future__ import annotations

import multiprocessing
import os
import re
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
    assert ak9_code(GroupAck(GS, (SetAck("0001", SetStatus.REJECTED),))) == "R"
    assert ak9_code(GroupAck(GS, (SetAck("0001", SetStatus.ACCEPTED_WITH_ERRORS),))) == "E"


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
    text = ack_999(header(), [GroupAck(GS, (SetAck("0001", SetStatus.REJECTED, findings=(f,)),))],
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


# ---------------------------------------------------------------- acks pyx12 accepts (issue 20)

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def ak9_agrees(text: str) -> None:
    """Each AK9's accepted count (AK904) equals the IK5/AK5s that are A or E before it,
    and AK901 is R when none is."""
    seg_end = "~" if "~" in text else "\n"
    accepted = 0
    for seg in (s.strip() for s in text.split(seg_end)):
        parts = seg.split(seg[3] if len(seg) > 3 else "*")
        if parts[0] in ("IK5", "AK5"):
            accepted += parts[1] in ("A", "E")
        elif parts[0] == "AK9":
            assert int(parts[4]) == accepted, seg
            assert (parts[1] == "R") == (accepted == 0), seg
            accepted = 0


def assert_valid_ack(text: str | None) -> None:
    from edi.ig_pyx12 import ack_problems

    assert text is not None
    assert ack_problems(text) == [], text
    first = text.split("\n")[0]
    # 106 characters with the terminator: 105 + a newline terminator, or 106 ending in it
    assert first.startswith("ISA") and len(first) in (105, 106), first
    assert all(c == "\n" or " " <= c <= "~" for c in text), "control characters in an ack"
    ak9_agrees(text)


def test_ta1_from_a_broken_received_isa_is_106_clean_characters() -> None:
    # an 80-column image breaks the ISA inside ISA06; ISA13 and ISA09 are unusable too
    h = header(sender_id="ACME\r\nHR", receiver_id="BLUE\x00PAYER", control_number="12AB",
               date="991340", element_separator="*", segment_terminator="~")
    text = ta1(h, "018", ack_control="7", now=NOW, ack_code="R")
    first = text.split("\n")[0]
    assert len(first) == 106 and first.endswith("~")
    isa = first.split("*")
    assert (isa[6], isa[8]) == ("BLUEPAYER".ljust(15), "ACMEHR".ljust(15))
    assert "TA1*000000000*240315*0930*R*018~" in text  # not echoable: zeros / the answer's date
    assert_valid_ack(text)


def test_ta1_unusable_inbound_delimiters_fall_back_to_standard_ones() -> None:
    h = header(element_separator="A", component_separator="A", segment_terminator="\x01")
    text = ta1(h, "000", ack_control="8", now=NOW)
    assert text.startswith("ISA*00*") and "TA1*000004711*240315*0930*A*000~" in text
    assert_valid_ack(text)


def _with_gs(text: str, gs01: str = "BE", gs08: str = "005010X220A1") -> str:
    return text.replace("GS*BE*", f"GS*{gs01}*").replace("*X*005010X220A1~", f"*X*{gs08}~", 1)


@pytest.mark.parametrize("gs01", ["XX", "FA", "B"])
def test_group_a_999_cannot_name_is_answered_by_ta1_024(gs01: str) -> None:
    report = validate_file(_with_gs(interchange()).replace("GS*BE*", f"GS*{gs01}*").encode(),
                           "gs01.edi", control=MemoryControlNumbers(), now=NOW)
    (ic,) = report.interchanges
    assert (ic.ta1_code, ic.ta1_note) == ("R", "024")
    assert ic.ack_text is None  # the TA1 is the whole answer
    assert_valid_ack(ic.ta1_text)
    (s,) = ic.groups[0].transaction_sets
    assert s.status is SetStatus.REJECTED and s.rejected_by == "interchange" and not s.accepted


def test_group_rejected_by_its_ak905_has_no_accepted_set() -> None:
    # GS01 HC: a group the 999 can name but this payer does not support (AK905 1)
    report = validate_file(interchange().replace("GS*BE*", "GS*HC*").encode(), "hc.edi",
                           control=MemoryControlNumbers(), now=NOW)
    (ic,) = report.interchanges
    assert ic.ack_text is not None and "AK1*HC*4711*005010X220A1~" in ic.ack_text
    assert "AK9*R*1*1*0*1~" in ic.ack_text and "IK5*A" not in ic.ack_text
    assert_valid_ack(ic.ack_text)
    (s,) = ic.groups[0].transaction_sets
    assert s.rejected_by == "group" and not s.accepted


def test_unsupported_gs08_is_rejected_with_valid_codes() -> None:
    report = validate_file(interchange().replace("*X*005010X220A1~", "*X*005010X999~").encode(),
                           "gs08.edi", control=MemoryControlNumbers(), now=NOW)
    (ic,) = report.interchanges
    assert "AK1*BE*4711*005010X999~" in (ic.ack_text or "")
    assert "AK9*R*1*1*0*2~" in (ic.ack_text or "")
    assert_valid_ack(ic.ack_text)


def test_every_corpus_ack_passes_pyx12() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    control = MemoryControlNumbers()
    count = 0
    for path in sorted(CORPUS.iterdir()):
        if path.name == "SOURCES.md":
            continue
        report = validate_file(path, path.name, control=control, now=NOW)
        for ic in report.interchanges:
            for text in (ic.ta1_text, ic.ack_text):
                if text is not None:
                    count += 1
                    assert_valid_ack(text)
    assert count >= 50


def acked_sets(acks: list[tuple[str, str]]) -> set[tuple[str, str, str]]:
    """(ISA13, GS06, ST02) of every set a 999/997 accepts (IK5/AK5 A or E), from the texts."""
    out: set[tuple[str, str, str]] = set()
    for name, text in acks:
        if not name.endswith((".999", ".997")):
            continue
        isa13 = name.rsplit(".", 2)[-2]
        gs06 = st02 = ""
        for seg in re.split(r"~\n?|\n", text):
            parts = seg.split(seg[3]) if len(seg) > 3 else [seg]
            if parts[0] == "AK1":
                gs06 = parts[2]
            elif parts[0] == "AK2":
                st02 = parts[2]
            elif parts[0] in ("IK5", "AK5") and parts[1] in ("A", "E"):
                out.add((isa13, gs06, st02))
    return out


def noted_positions(acks: list[tuple[str, str]]) -> dict[tuple[str, str, str], set[int]]:
    """(ISA13, GS06, ST02) of every set a 999/997 accepts -> the segment positions (inside the
    set, ST = 1) its IK3/AK3 segments note: where a member it rejects may be."""
    out: dict[tuple[str, str, str], set[int]] = {}
    for name, text in acks:
        if not name.endswith((".999", ".997")):
            continue
        isa13 = name.rsplit(".", 2)[-2]
        gs06 = st02 = ""
        noted: set[int] = set()
        for seg in re.split(r"~\n?|\n", text):
            parts = seg.split(seg[3]) if len(seg) > 3 else [seg]
            if parts[0] == "AK1":
                gs06 = parts[2]
            elif parts[0] == "AK2":
                st02, noted = parts[2], set()
            elif parts[0] in ("IK3", "AK3") and parts[2].isdigit():
                noted.add(int(parts[2]))
            elif parts[0] in ("IK5", "AK5") and parts[1] in ("A", "E"):
                out[(isa13, gs06, st02)] = noted
    return out
