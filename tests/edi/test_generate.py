"""The synthetic 834 generator: determinism, envelopes and counts, content, transport forms."""

from __future__ import annotations

import hashlib
import re
import shlex
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi.generate import FORMS, TruthMember, generate, generate_truth, write_file

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"


def text(members: int, seed: int, form: str = "lines", **kw: object) -> str:
    return b"".join(generate(members, seed, form, **kw)).decode("utf-8")  # type: ignore[arg-type]


def segments(data: str) -> list[list[str]]:
    """Split a '~'-terminated text (any line breaks after '~') into element lists."""
    return [s.strip("\r\n").split("*") for s in data.split("~") if s.strip("\r\n")]


def truths(members: int, seed: int, form: str = "lines", **kw: object) -> list[TruthMember]:
    return list(generate_truth(members, seed, form, **kw))  # type: ignore[arg-type]


# ---------------------------------------------------------------- determinism


def test_same_seed_same_bytes_and_other_seed_other_bytes() -> None:
    assert text(25, 3) == text(25, 3)
    assert text(25, 3) != text(25, 4)
    assert truths(25, 3) == truths(25, 3)


def test_truth_has_one_record_per_ins_in_file_order() -> None:
    data = text(40, 9, sets=2)
    ins = [s for s in segments(data) if s[0] == "INS"]
    found = truths(40, 9, sets=2)
    assert len(ins) == len(found) == 40
    assert [t.sequence for t in found] == list(range(1, 41))
    assert [(s[1], s[2], s[3]) for s in ins] == [
        ("Y" if t.subscriber else "N", t.relationship, t.maintenance_type) for t in found
    ]


# ---------------------------------------------------------------- envelopes and counts


@pytest.mark.parametrize("version", ["5010", "4010"])
def test_envelope_counts_and_control_numbers(version: str) -> None:
    data = text(37, 5, interchanges=2, sets=3, version=version)
    isa_lines = [line for line in data.split("\n") if line.startswith("ISA")]
    assert len(isa_lines) == 2 and all(len(line) == 106 for line in isa_lines)
    segs = segments(data)
    isa = gs = st = None
    st_count = seg_count = gs_count = 0
    ins_in_set: list[int] = []
    st02s: set[str] = set()
    for s in segs:
        tag = s[0]
        if st is not None:
            seg_count += 1
        if tag == "ISA":
            isa, gs_count = s, 0
            assert s[12] == ("00501" if version == "5010" else "00401")
            assert s[11] == ("^" if version == "5010" else "U")
        elif tag == "GS":
            gs, st_count = s, 0
            gs_count += 1
            assert s[8] == ("005010X220A1" if version == "5010" else "004010X095A1")
        elif tag == "ST":
            st, seg_count = s, 1
            st_count += 1
            ins_in_set.append(0)
            assert (len(s) == 4) == (version == "5010")
            assert s[2] not in st02s
            st02s.add(s[2])
        elif tag == "INS":
            ins_in_set[-1] += 1
        elif tag == "SE":
            assert st is not None
            assert s[2] == st[2] and int(s[1]) == seg_count
            st = None
        elif tag == "GE":
            assert gs is not None and s[2] == gs[6] and int(s[1]) == st_count
        elif tag == "IEA":
            assert isa is not None and s[2] == isa[13] and int(s[1]) == gs_count
    assert len(ins_in_set) == 6 and sum(ins_in_set) == 37
    assert max(ins_in_set) - min(ins_in_set) <= 1


def test_qty_control_totals_match_members() -> None:
    data = text(30, 12)
    segs = segments(data)
    qty = {s[1]: int(s[2]) for s in segs if s[0] == "QTY"}
    ins = [s for s in segs if s[0] == "INS"]
    assert qty == {
        "TO": len(ins),
        "ET": sum(s[1] == "Y" for s in ins),
        "DT": sum(s[1] == "N" for s in ins),
    }


def test_too_few_members_for_the_sets_is_a_value_error_before_any_output() -> None:
    with pytest.raises(ValueError):
        generate(1, 1, sets=2)
    with pytest.raises(ValueError):
        generate(5, 1, "punchcard")


# ---------------------------------------------------------------- content


def test_change_file_has_every_maintenance_kind_and_their_dates() -> None:
    found = truths(300, 21)
    kinds = Counter(t.maintenance_type for t in found)
    assert set(kinds) == {"021", "001", "024", "025"}
    for t in found:
        quals = [q for q, _ in t.dates]
        if t.maintenance_type == "024":
            assert "357" in quals
            assert all(c.maintenance_type == "024" and c.dates[0][0] == "349" for c in t.coverages)
        if t.maintenance_type == "025":
            assert "303" in quals
        if t.maintenance_type == "021":
            assert all(c.dates[0][0] == "348" for c in t.coverages) and t.coverages
    assert any(t.old is not None for t in found)
    assert any(t.benefit_status == "C" and t.cobra_event for t in found)
    assert any(t.medicare_plan == "C" and t.medicare_reason == "0" for t in found)
    assert {c.insurance_line for t in found for c in t.coverages} == {"HLT", "DEN", "VIS"}
    assert any(t.categories for t in found)


def test_corrections_write_2100b_old_values() -> None:
    data = text(200, 8)
    blocks = data.split("INS*")[1:]
    found = truths(200, 8)
    for block, t in zip(blocks, found, strict=True):
        if t.old is None:
            assert "NM1*70*" not in block
            continue
        assert t.maintenance_type == "001" and t.maintenance_reason == "25"
        assert f"NM1*70*1*{t.old.last}*{t.old.first}~" in block
        if t.old.birth_date:
            assert f"DMG*D8*{t.old.birth_date:%Y%m%d}*{t.old.gender}~" in block
    assert sum(t.old is not None for t in found) > 3


def test_cobra_and_medicare_fields_are_written() -> None:
    data = text(400, 2)
    blocks = data.split("INS*")[1:]
    found = truths(400, 2)
    cobra = medicare = 0
    for block, t in zip(blocks, found, strict=True):
        ins = block.split("~")[0].split("*")
        assert ins[4] == t.benefit_status
        if t.benefit_status == "C":
            cobra += 1
            assert ins[6] == t.cobra_event
            assert {"340", "341", "301"} <= {q for q, _ in t.dates}
        if t.medicare_plan:
            medicare += 1
            assert ins[5] == "C:0"
            assert re.search(r"REF\*F6\*[1-9][A-Z][A-Z0-9]\d[A-Z][A-Z0-9]\d[A-Z]{2}\d{2}~", block)
            assert "338" in {q for q, _ in t.dates}
    assert cobra and medicare


def test_4010_uses_simple_ins06_and_no_5010_only_segments() -> None:
    data = text(300, 2, version="4010")
    assert "*C:0" not in data and "QTY*" not in data and "LS*2700" not in data
    assert any(t.medicare_plan == "C" and t.medicare_reason == "" for t in truths(300, 2, version="4010"))


def test_people_are_synthetic_families_with_twins_and_missing_ssns() -> None:
    found = truths(600, 4)
    ssns = [t.ssn for t in found if t.ssn]
    assert all(re.fullmatch(r"9\d{8}", s) for s in ssns)
    assert len(set(ssns)) == len(ssns)
    assert any(not t.subscriber and not t.ssn for t in found)
    assert all(t.ssn for t in found if t.subscriber)
    assert all(t.phone.startswith("5555550") for t in found if t.phone)
    by_family: dict[str, list[TruthMember]] = {}
    for t in found:
        by_family.setdefault(t.subscriber_number, []).append(t)
    twins = [t for t in found if t.birth_sequence]
    assert twins
    for t in twins:
        sibling = [o for o in by_family[t.subscriber_number] if o.birth_sequence and o is not t]
        if sibling:
            assert sibling[0].birth_date == t.birth_date
            assert {sibling[0].birth_sequence, t.birth_sequence} == {1, 2}
    assert any(len(v) >= 3 for v in by_family.values())


def test_accented_names_are_written_in_utf8_and_ascii_only_spells_them_plain() -> None:
    data = b"".join(generate(400, 1))
    assert "MUÑOZ".encode() in data or "BJÖRK".encode() in data or "JOSÉ".encode() in data
    plain = b"".join(generate(400, 1, ascii_only=True))
    assert plain.isascii()
    assert len(list(generate_truth(400, 1, ascii_only=True))) == 400


def test_audit_mix_is_a_verify_file_with_030_everywhere() -> None:
    segs = segments(text(40, 6, mix="audit"))
    bgn = next(s for s in segs if s[0] == "BGN")
    assert bgn[8] == "4"
    assert {s[3] for s in segs if s[0] == "INS"} == {"030"}
    assert {s[1] for s in segs if s[0] == "HD"} == {"030"}


def test_bad_member_breaks_exactly_one_member() -> None:
    found = truths(20, 3, bad_member=5)
    assert [t.sequence for t in found if t.defect] == [5]
    ins = [s for s in segments(text(20, 3, bad_member=5)) if s[0] == "INS"]
    assert [s[5] for s in ins].count("Q") == 1 and ins[4][5] == "Q"


# ---------------------------------------------------------------- transport forms


def untransport(data: bytes, form: str) -> str:
    """Undo a transport form independently of edi.transport: back to the one-line text."""
    if form in ("cp037", "cp500"):
        assert len(data) % 80 == 0
        return data.decode(form).rstrip(" ")
    if form.startswith("tape"):
        record = int(re.sub(r"\D", "", form))
        assert len(data) % record == 0
        return data.rstrip(b"\x00" if form.endswith("nul") else b" ").decode()
    if form == "diskette80":
        lines = data.split(b"\r\n")
        assert lines[-1] == b""
        assert all(len(line) == 80 for line in lines[:-2]) and 0 < len(lines[-2]) <= 80
        return b"".join(lines).decode()
    if form == "newline":
        assert b"~" not in data
        return "".join(seg + "~" for seg in data.decode().split("\n") if seg)
    return data.decode().replace("\r\n", "").replace("\n", "")


@pytest.mark.parametrize("form", list(FORMS))
def test_every_form_carries_the_same_segments(form: str) -> None:
    interchanges = 3 if form == "multi" else 1
    data = b"".join(generate(9, 17, form))
    expected = text(9, 17, "oneline", interchanges=interchanges)
    assert untransport(data, form) == expected


def test_newline_form_terminates_the_isa_with_a_line_feed() -> None:
    data = text(3, 1, "newline")
    assert data[105] == "\n" and data[104] == ":"


def test_ebcdic_code_pages_differ_on_the_repetition_separator() -> None:
    a = b"".join(generate(3, 1, "cp037"))
    b = b"".join(generate(3, 1, "cp500"))
    assert a[:4] == b[:4] == bytes.fromhex("C9E2C15C")
    assert a != b and a[82] == 0xB0 and b[82] == 0x5F


def test_multi_form_has_distinct_interchange_control_numbers() -> None:
    isa13 = [s[13] for s in segments(text(12, 4, "multi")) if s[0] == "ISA"]
    assert len(isa13) == 3 and len(set(isa13)) == 3


def test_large_files_stream_in_chunks() -> None:
    chunks = generate(6000, 1)
    sizes = [len(c) for c in chunks]
    assert len(sizes) > 1 and max(sizes) < 2 << 20


def test_write_file_summary_matches_bytes(tmp_path: Path) -> None:
    summary = write_file(tmp_path / "x.edi", 15, 2, "diskette80")
    raw = (tmp_path / "x.edi").read_bytes()
    assert summary.bytes == len(raw)
    assert summary.sha256 == hashlib.sha256(raw).hexdigest()
    assert raw == b"".join(generate(15, 2, "diskette80"))


# ---------------------------------------------------------------- CLI and samples


def test_cli_generate_writes_the_library_bytes(tmp_path: Path) -> None:
    from cli import main

    out = tmp_path / "g.edi"
    result = CliRunner().invoke(
        main, ["generate", "--members", "7", "--seed", "3", "--form", "crlf", "--out", str(out),
               "--file-date", "2026-01-04", "--effective-date", "2026-02-01", "--charset", "utf-8"]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == b"".join(generate(7, 3, "crlf"))


def test_cli_generate_dates_are_relative_to_the_effective_date_default_today(
    tmp_path: Path,
) -> None:
    import datetime as dt

    from cli import main

    today = dt.date.today().strftime("%Y%m%d")
    out = tmp_path / "g.edi"
    assert CliRunner().invoke(main, ["generate", "--members", "20", "--seed", "5", "--mix",
                                     "enrollment", "--out", str(out)]).exit_code == 0
    text = out.read_text()
    assert f"DTP*007*D8*{today}~" in text and "BGN*00*" in text and f"*{today}*" in text
    assert f"DTP*348*D8*{today}~" in text and "DTP*348*D8*2026" not in text.replace(today, "")
    later = tmp_path / "later.edi"
    assert CliRunner().invoke(main, ["generate", "--members", "20", "--seed", "5", "--mix",
                                     "enrollment", "--effective-date", "2031-07-01", "--out",
                                     str(later)]).exit_code == 0
    assert "DTP*007*D8*20310701~" in later.read_text()
    assert "BGN*00*" in later.read_text() and f"*{today}*" in later.read_text()


def test_cli_generate_default_passes_its_own_validator(tmp_path: Path) -> None:
    """The defaults write the X12 extended character set; utf-8 keeps accents for partners
    that agreed on it (the compiled validator rejects them, IK403 6)."""
    from cli import main

    out = tmp_path / "g.edi"
    assert CliRunner().invoke(main, ["generate", "--members", "300", "--seed", "13", "--out",
                                     str(out)]).exit_code == 0
    assert out.read_bytes().isascii()
    res = CliRunner().invoke(main, ["validate", str(out), "--json"])
    assert res.exit_code == 0, res.stderr
    utf8 = tmp_path / "u.edi"
    assert CliRunner().invoke(main, ["generate", "--members", "300", "--seed", "13", "--charset",
                                     "utf-8", "--out", str(utf8)]).exit_code == 0
    assert not utf8.read_bytes().isascii()
    assert CliRunner().invoke(main, ["validate", str(utf8), "--json"]).exit_code == 1


def test_cli_generate_offers_every_form() -> None:
    from cli import generate_cmd

    form_option = next(p for p in generate_cmd.params if p.name == "form_name")
    assert list(form_option.type.choices) == list(FORMS)  # type: ignore[attr-defined]
    assert "Example" in (generate_cmd.help or "")


def test_cli_generate_usage_error_exits_2(tmp_path: Path) -> None:
    from cli import main

    result = CliRunner().invoke(
        main, ["generate", "--members", "1", "--sets", "2", "--out", str(tmp_path / "g.edi")]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "g.edi").exists()


def sample_commands() -> list[tuple[str, list[str]]]:
    """(file name, CLI args) for every `enroll834 generate ... --out samples/X` in samples/README.md."""
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    found = []
    for line in readme.splitlines():
        line = line.strip().strip("`")
        if line.startswith("enroll834 generate"):
            args = shlex.split(line)[1:]
            out = args[args.index("--out") + 1]
            found.append((Path(out).name, args))
    return found


def test_samples_readme_lists_every_sample_file() -> None:
    listed = {name for name, _ in sample_commands()}
    present = {p.name for p in SAMPLES.glob("*.edi")}
    assert listed and listed == present


@pytest.mark.parametrize("name,args", sample_commands())
def test_regenerating_a_sample_reproduces_the_committed_bytes(
    name: str, args: list[str], tmp_path: Path
) -> None:
    from cli import main

    args = list(args)
    args[args.index("--out") + 1] = str(tmp_path / name)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes()
