"""The compiled IG validator: tables from pyx12's data, structure and element findings."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import edi.ig.compile as compile_mod
from edi.findings import Finding, Level, Severity
from edi.generate import generate
from edi.ig import CompiledValidator
from edi.ig.checks import check_segment, valid_date, valid_time
from edi.ig.compile import Tables, compile_tables, load_tables
from edi.ig.fastpath import compile_fast
from edi.ig.validator import _Run
from edi.records import encode_json
from edi.segments import Segment
from edi.tokenize import read_segments

V = CompiledValidator(situational=False)


def isa(version: str = "00501") -> str:
    fields = ["00", "", "00", "", "ZZ", "SENDER", "ZZ", "RECEIVER", "240101", "1200",
              "^" if version == "00501" else "U", version, "000000001", "0", "T", ":"]
    widths = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
    return "ISA*" + "*".join(v.ljust(w) for v, w in zip(fields, widths, strict=True)) + "~"


MEMBER = [
    "INS*Y*18*021*28*A***FT",
    "REF*0F*SUB001",
    "DTP*356*D8*20240101",
    "NM1*IL*1*QUILLFEATHER*JUNO****34*999001234",
    "DMG*D8*19800101*F",
    "HD*021**HLT*PLAN A*EMP",
    "DTP*348*D8*20240101",
]
HEADER = [
    "ST*834*0001*005010X220A1",
    "BGN*00*REF1*20240101*1200****2",
    "N1*P5*ACME CO*FI*999999999",
    "N1*IN*PLAN CO*FI*888888888",
]


def x834(body: list[str] | None = None, members: list[list[str]] | None = None) -> bytes:
    """A small 5010 834: header + members (+ SE/GE/IEA), one segment per line."""
    lines = [isa(), "GS*BE*SENDER*RECEIVER*20240101*1200*1*X*005010X220A1"]
    segs = list(body if body is not None else HEADER)
    for m in members if members is not None else [MEMBER]:
        segs += m
    segs.append(f"SE*{len(segs) + 1}*0001")
    lines += segs + ["GE*1*1", "IEA*1*000000001"]
    return ("~\n".join(line.rstrip("~") for line in lines) + "~\n").encode()


def found(data: bytes) -> list[Finding]:
    return list(V.findings(data, "t.edi"))


def codes(data: bytes) -> list[tuple[int | None, str | None, str, str | None, int | None]]:
    return [(f.set_position, f.segment_id, f.level.value, f.x12_code, f.element) for f in found(data)]


# ------------------------------------------------------------------ tables


def test_tables_compile_the_834_guides_from_pyx12_data() -> None:
    t = compile_tables()
    m = t.maps["834.5010.X220.A1.xml"]
    paths = {n.path for n in m.nodes}
    assert "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/REF[0F]" in paths
    assert "/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2300/HD" in paths
    ins = next(n for n in m.nodes if n.id == "INS")
    assert [s.text for s in ins.syntax] == ["P1112"]
    assert ins.fields[1].codes >= {"18", "01", "19"}  # type: ignore[union-attr]
    loop_2300 = next(n for n in m.nodes if n.id == "2300")
    assert loop_2300.max_repeat == 99 and loop_2300.usage == "S"
    assert m.icvn == "00501"
    assert t.maps["834.4010.X095.A1.xml"].icvn == "00401"
    assert t.map_index[("00501", "005010X220A1", "BE")] == "834.5010.X220.A1.xml"
    assert "AL" in t.code_lists["states"]


def test_tables_are_cached_by_pyx12_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENROLL834_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(compile_mod, "_TABLES", None)
    fresh = load_tables(refresh=True)
    cached = compile_mod.cache_path()
    assert cached.parent == tmp_path and compile_mod.pyx12_version() in cached.name
    monkeypatch.setattr(compile_mod, "_TABLES", None)
    again = load_tables()
    assert isinstance(again, Tables) and again.maps.keys() == fresh.maps.keys()
    assert pickle.loads(cached.read_bytes()).pyx12_version == fresh.pyx12_version
    cached.write_bytes(b"not a pickle")
    monkeypatch.setattr(compile_mod, "_TABLES", None)
    assert load_tables().maps.keys() == fresh.maps.keys()  # a corrupt cache is rebuilt


# ------------------------------------------------------------------ clean input


def test_a_valid_834_has_no_findings() -> None:
    assert found(x834()) == []


@pytest.mark.parametrize("version", ["5010", "4010"])
def test_generated_files_are_clean(version: str) -> None:
    data = b"".join(generate(30, 4, "lines", version=version, ascii_only=True))  # type: ignore[arg-type]
    assert found(data) == []


# ------------------------------------------------------------------ structure


def test_missing_required_segment_is_reported_where_noticed() -> None:
    member = [s for s in MEMBER if not s.startswith("REF*0F")]
    fs = found(x834(members=[member]))
    assert [(f.segment_id, f.x12_code, f.set_position, f.loop_id) for f in fs] == [
        ("REF", "3", 6, "2000")  # noticed at DTP*356 (set position 6), loop of that DTP
    ]
    assert fs[0].code == "ig.segment.missing" and fs[0].level is Level.SEGMENT


def test_missing_required_loop() -> None:
    body = [s for s in HEADER if not s.startswith("N1*IN")]
    fs = found(x834(body=body))
    assert [(f.code, f.segment_id, f.x12_code) for f in fs] == [("ig.loop.missing", "N1", "3")]


def test_segment_over_max_use_and_loop_over_max_repeat() -> None:
    fs = found(x834(body=[HEADER[0], HEADER[1], *["QTY*TO*1"] * 4, HEADER[2], HEADER[3]]))
    assert [(f.segment_id, f.x12_code, f.set_position) for f in fs] == [("QTY", "5", 6)]
    member = MEMBER + ["HD*021**DEN*PLAN D*EMP", "DTP*348*D8*20240101"] * 99
    fs = found(x834(members=[member]))
    over = [f for f in fs if f.x12_code == "4"]
    assert len(over) == 1 and over[0].code == "ig.loop.over_max" and over[0].segment_id == "HD"


def test_unexpected_segment() -> None:
    member = [*MEMBER[:3], "BGN*00*X*20240101*1200****2", *MEMBER[3:]]
    fs = found(x834(members=[member]))
    assert [(f.segment_id, f.x12_code, f.loop_id) for f in fs] == [("BGN", "1", None)]


def test_member_ordinal_and_positions() -> None:
    second = [s.replace("SUB001", "SUB002") for s in MEMBER]
    second[5] = "HD*021**XXX*PLAN A*EMP"
    data = x834(members=[MEMBER, second])
    (f,) = found(data)
    assert (f.member_ordinal, f.segment_id, f.element, f.x12_code) == (2, "HD", 3, "7")
    seg = next(s for s in read_segments(data, "t") if isinstance(s, Segment) and s.position == f.segment_position)
    assert seg.id == "HD" and f.offset == seg.offset and f.set_control == "0001"


# ------------------------------------------------------------------ elements


@pytest.mark.parametrize(
    ("segment", "expected"),
    [
        ("DMG*D8*19801301*F", [("DMG", "element", "8", 2)]),  # invalid date
        ("DMG*D8*19800101*Q", [("DMG", "element", "7", 3)]),  # invalid code
        ("DMG*D8*19800101*F*" + "X" * 90, [("DMG", "element", "5", 4)]),  # too long (too)
        ("DMG*D8", [("DMG", "element", "1", 2)]),  # required element missing
        ("DMG*D8*19800101*F*****Z", [("DMG", "element", "10", 8)]),  # Not Used element
        ("DMG*D8*19800101*F*M*:RET:2106-3*1**", [("DMG", "segment", "8", None)]),
    ],
)
def test_element_problems(segment: str, expected: list[tuple[str, str, str, int | None]]) -> None:
    member = [s if not s.startswith("DMG") else segment for s in MEMBER]
    got = [(f.segment_id, f.level.value, f.x12_code, f.element if f.level is Level.ELEMENT else None)
           for f in found(x834(members=[member]))]
    assert [g for g in got if g[0] == "DMG"][: len(expected)] == expected


def test_syntax_rules_pair_conditional_and_exclusive() -> None:
    member = [s if not s.startswith("NM1") else "NM1*IL*1*QUILLFEATHER*JUNO****34" for s in MEMBER]
    fs = found(x834(members=[member]))
    assert [(f.code, f.x12_code, f.element) for f in fs] == [("ig.syntax.conditional", "8", 8)]
    member = [s if not s.startswith("INS") else "INS*Y*18*021*28*A***FT***D8" for s in MEMBER]
    fs = found(x834(members=[member]))
    assert ("ig.syntax.conditional", 11) in [(f.code, f.element) for f in fs]  # INS11/INS12 paired


def test_time_and_component_checks() -> None:
    body = [HEADER[0], "BGN*00*REF1*20240101*2561****2", *HEADER[2:]]
    assert [(f.segment_id, f.x12_code, f.element) for f in found(x834(body=body))] == [("BGN", "9", 4)]
    member = [s if not s.startswith("INS") else "INS*Y*18*021*28*A*Q:1**FT" for s in MEMBER]
    fs = found(x834(members=[member]))
    assert [(f.x12_code, f.element, f.component) for f in fs] == [("7", 6, 1)]


def test_findings_never_carry_values() -> None:
    member = [s if not s.startswith("NM1") else "NM1*IL*1*QUILLFEATHER\x07*JUNO****34*999001234XX"
              for s in MEMBER]
    fs = found(x834(members=[member]))
    assert fs
    for f in fs:
        text = encode_json(f)
        assert "QUILLFEATHER" not in text and "999001234" not in text and "JUNO" not in text
        assert f.severity is Severity.ERROR and f.validator == "compiled"


def test_findings_are_in_segment_order_and_streamed() -> None:
    data = x834(members=[[s.replace("F", "Q") if s.startswith("DMG") else s for s in MEMBER]] * 5)
    segments = (s for s in read_segments(data, "t") if isinstance(s, Segment))
    fs = list(V.findings_for_segments(segments, "t"))
    assert len(fs) == 5
    assert [f.segment_position for f in fs] == sorted(f.segment_position or 0 for f in fs)


def test_group_without_a_map_is_reported_once() -> None:
    data = x834().replace(b"*X*005010X220A1~", b"*X*005010X999~")
    fs = found(data)
    assert [(f.code, f.level) for f in fs] == [("ig.group.not_validated", Level.GROUP)]


# ------------------------------------------------------------------ value checks


def test_dates_and_times() -> None:
    assert valid_date("D8", "20240229") and not valid_date("D8", "20230229")
    assert valid_date("D8", "20000229") and not valid_date("D8", "19000229")
    assert not valid_date("D8", "17991231") and not valid_date("D8", "2024013")
    assert valid_date("DT", "202401011230") and not valid_date("DT", "202401012460")
    assert valid_time("2359") and valid_time("235959") and not valid_time("2360")
    assert not valid_time("23595") and not valid_time("235959123")


# ------------------------------------------------------------------ the fast path


def _nodes_of(data: bytes) -> list[tuple[Segment, int]]:
    run = _Run(V, "t")
    out = []
    for s in read_segments(data, "t"):
        if isinstance(s, Segment):
            run.feed(s)
            if run.map is not None and s.id not in ("ISA", "GS", "GE", "IEA"):
                out.append((s, run.node))
    return out


SAMPLES = _nodes_of(b"".join(generate(6, 9, "lines", ascii_only=True)))
MAP = V.tables.maps["834.5010.X220.A1.xml"]
PIECES = ["", "X", "D8", "RD8", "20240101", "20240230", "20240101-20240201", "1:2", "A:B:C:D:E",
          "18", "Y", "N", "021", "ABC ", " A", "\x07", "-1", "1.5", ".5", "1.", "12345678901234567890",
          "0F", "IL", "34", "FL", "ZZ", "É", "^", "`", "2400", "2360",
          "²", "１２", "\x7f", "20240229", "18000101", "17991231", "A*B", "-", ".", "0"]


SAMPLES_4010 = _nodes_of(b"".join(generate(4, 9, "lines", version="4010", ascii_only=True)))
MAP_4010 = V.tables.maps["834.4010.X095.A1.xml"]


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(
    version=st.sampled_from(["5010", "5010", "4010"]),
    which=st.floats(0, 1, exclude_max=True),
    edits=st.lists(st.tuples(st.integers(0, 14), st.sampled_from(PIECES), st.booleans()), max_size=3),
)
def test_fast_path_never_hides_a_problem(version: str, which: float,
                                          edits: list[tuple[int, str, bool]]) -> None:
    samples, m = (SAMPLES, MAP) if version == "5010" else (SAMPLES_4010, MAP_4010)
    seg, node_index = samples[int(which * len(samples))]
    node = m.nodes[node_index]
    elements = list(seg.elements)
    for j, piece, append in edits:
        if j < len(elements):
            elements[j] = elements[j] + piece if append else piece
        else:
            elements.append(piece)
    values = tuple(elements)
    fast = compile_fast(node, m.icvn, "*", ":", V.tables.code_lists)
    if fast(values):
        assert check_segment(node, values, ":", m.icvn, V.tables.code_lists) == []
        assert values and values[-1] != ""


def test_fast_path_never_hides_a_problem_after_any_single_edit() -> None:
    """Every piece, replacing or appended to every element of a sample of every node seen."""
    accepted = rejected = 0
    for samples, m in ((SAMPLES, MAP), (SAMPLES_4010, MAP_4010)):
        per_node: dict[int, list[Segment]] = {}
        for seg, node_index in samples:
            kept = per_node.setdefault(node_index, [])
            if len(kept) < 2 and seg.elements not in [k.elements for k in kept]:
                kept.append(seg)
        for node_index, segs in per_node.items():
            node = m.nodes[node_index]
            fast = compile_fast(node, m.icvn, "*", ":", V.tables.code_lists)
            for seg in segs:
                for j in range(len(seg.elements) + 1):
                    for piece in PIECES:
                        for append in (False, True):
                            elements = list(seg.elements)
                            if j == len(elements):
                                elements.append(piece)
                            else:
                                elements[j] = elements[j] + piece if append else piece
                            values = tuple(elements)
                            if not fast(values):
                                rejected += 1
                                continue
                            accepted += 1
                            assert values[-1] != "", (node.path, values)
                            assert check_segment(node, values, ":", m.icvn, V.tables.code_lists) == [], (
                                node.path, values)
    assert accepted > 1000 and rejected > 1000


def test_fast_path_accepts_the_common_valid_segments() -> None:
    accepted = sum(
        compile_fast(MAP.nodes[n], MAP.icvn, "*", ":", V.tables.code_lists)(s.elements)
        for s, n in SAMPLES
    )
    assert accepted >= 0.9 * len(SAMPLES)


def test_fast_path_remembers_only_what_passed_and_stays_bounded() -> None:
    """A test remembers element tuples it passed (INS, HD, DTP recur member after member):
    the same answer the second time, a failing tuple never remembered, memory bounded."""
    from edi.ig import fastpath

    seg, node_index = next((s, n) for s, n in SAMPLES if s.id == "N3")
    fast = compile_fast(MAP.nodes[node_index], MAP.icvn, "*", ":", V.tables.code_lists)
    passed = fast.__globals__["PASSED"]  # the generated function's scope
    assert fast(seg.elements) and fast(seg.elements) and seg.elements in passed
    bad = (seg.elements[0] + " ",)  # a trailing space: the exact checks report it
    assert not fast(bad) and not fast(bad) and bad not in passed
    for i in range(fastpath._PASSED + 50):
        assert fast((f"{i} MAIN ST",))
    assert len(passed) <= fastpath._PASSED
    assert check_segment(MAP.nodes[node_index], bad, ":", MAP.icvn, V.tables.code_lists)
