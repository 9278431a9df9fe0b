"""Members assembled straight into their JSON twins (`read(..., assembly=JSON_ASSEMBLY)`, what
`parse --json` reads with) are the same lines as the `MemberTransaction` records rendered, and
a member that has or may still get findings stays a record."""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import textwrap
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from parse_json_inputs import INPUTS, input_bytes
from x834 import member, simple

from cli import main
from edi import loops
from edi.jsonout import JSON_ASSEMBLY, MEMBER_JSON, _twin, dumps_line, dumps_twins
from edi.reader import read
from edi.records import Address, Lineage, MemberTransaction

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _both(data: bytes, name: str) -> tuple[list[MemberTransaction], list[msgspec.Struct]]:
    records = [e for e in read(data, name) if isinstance(e, MemberTransaction)]
    assembled = [e for e in read(data, name, assembly=JSON_ASSEMBLY)
                 if type(e) is MEMBER_JSON or isinstance(e, MemberTransaction)]
    return records, assembled


def _lines(items: list[msgspec.Struct]) -> bytes:
    return b"".join(dumps_twins([e]) if type(e) is MEMBER_JSON
                    else dumps_line(e) for e in items)  # type: ignore[arg-type]


def test_the_member_call_names_every_field_in_order() -> None:
    """`assemble` passes MemberTransaction's fields positionally, those read from INS as the
    one tuple `MemberLoop.fields` (see `Assembly`)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(loops.assemble)))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Attribute) and n.func.attr == "member"]
    (call,) = calls
    assert not call.keywords
    fields = MemberTransaction.__struct_fields__
    assert [ast.unparse(a) for a in call.args] == [
        fields[0], "m.fields", *fields[1 + len(loops.INS_FIELDS):]]
    assert fields[1:1 + len(loops.INS_FIELDS)] == loops.INS_FIELDS


def test_the_member_constructors_take_the_ins_fields_as_one_tuple() -> None:
    """`RECORDS.member` and `JSON_ASSEMBLY.member` read the INS tuple in `INS_FIELDS` order:
    a member whose every INS field differs from its neighbours' lands each in its place."""
    data = simple(member("900110001", ins="INS*N*19*021*28*A*C:1*1*TE*F*N*D8*20240131*R****3"))
    (record,) = [e for e in read(data, "t") if isinstance(e, MemberTransaction)]
    assert not record.findings
    assert [getattr(record, name) for name in loops.INS_FIELDS] == [
        False, "19", "021", "28", "A", "C", "1", "1", "TE", "F", False, dt.date(2024, 1, 31),
        "R", 3]
    (twin,) = [e for e in read(data, "t", assembly=JSON_ASSEMBLY) if type(e) is MEMBER_JSON]
    assert dumps_twins([twin]) == dumps_line(record)


def test_json_lineage_and_address_are_the_records_twins() -> None:
    """`JSON_ASSEMBLY.lineage` makes the twin of `loops.member_lineage` without the record;
    `JSON_ASSEMBLY.address` is the twin type itself (the same defaults as `Address`)."""
    base = Lineage(source="s.edi", file_sha256="ab" * 32, sender_id="S", set_control="0001")
    for own in ((12, 24, 379, 1), (0, 0, 0, None)):
        record = loops.member_lineage(base, *own)
        assert msgspec.json.encode(JSON_ASSEMBLY.lineage(base, *own)) == dumps_line(
            record).rstrip(b"\n")
        assert loops.RECORDS.lineage(base, *own) == record
    for fields in ({}, {"line1": "1 MAIN ST", "city": "X"}, {"country_subdivision": "Q"}):
        assert msgspec.json.encode(JSON_ASSEMBLY.address(**fields)) == dumps_line(
            Address(**fields)).rstrip(b"\n")
    assert JSON_ASSEMBLY.address is _twin(Address)
    assert not isinstance(JSON_ASSEMBLY.coverage, type)  # enums and records: a maker


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_generated_inputs_give_the_same_lines(name: str) -> None:
    records, assembled = _both(input_bytes(name), name)
    assert len(records) == len(assembled)
    assert any(type(e) is MEMBER_JSON for e in assembled)
    assert _lines(assembled) == b"".join(dumps_line(m) for m in records)
    for record, item in zip(records, assembled, strict=True):
        # a member with findings is never assembled: its findings print on stderr
        assert (type(item) is MEMBER_JSON) == (not record.findings)


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.edi")), ids=lambda p: p.name)
def test_samples_give_the_same_lines(path: Path) -> None:
    records, assembled = _both(path.read_bytes(), path.name)
    assert _lines(assembled) == b"".join(dumps_line(m) for m in records)


def test_a_member_a_waiting_finding_falls_in_is_a_record_with_it() -> None:
    """The tokenizer's finding inside the second member waits in the reader's queue until
    that member closes: it is read into a record, which carries and is rejected by it."""
    data = simple(member("900110001"), member("900110002"), member("900110003")).replace(
        b"TESTER*ALICE****34*900110002", b"TES\nTER*ALICE****34*900110002")
    records, assembled = _both(data, "broken.edi")
    assert [type(e) for e in assembled] == [MEMBER_JSON, MemberTransaction, MEMBER_JSON]
    second = assembled[1]
    assert isinstance(second, MemberTransaction) and second.rejected
    assert [f.code for f in second.findings] == ["transport.line_break_in_element"]
    assert second == records[1]
    assert _lines(assembled) == b"".join(dumps_line(m) for m in records)


def test_parse_json_prints_the_records_lines(tmp_path: Path) -> None:
    data = simple(member("900110001"), member("900110002"),
                  member("900110003", ins="INS*Y*18*021*28*Q***FT"))
    path = tmp_path / "in.edi"
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["parse", str(path), "--json"])
    assert result.exit_code == 1  # the third member's INS05 is not a benefit status
    records = [e for e in read(data, str(path)) if isinstance(e, MemberTransaction)]
    assert records[2].findings and not records[0].findings
    assert result.stdout_bytes == b"".join(dumps_line(m) for m in records)
