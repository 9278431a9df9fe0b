"""`parse --json`, `validate --json` and the stored records keep their format now that the
records are msgspec Structs.

The expected outputs were written by the pydantic records (the code before this change)
on generated inputs only (tests/edi/parse_json_inputs.py; no real people):

- golden/parse_json.jsonl: every `parse --json` line of the generated inputs, compared
  key by key (same keys, same order, same values);
- golden/parse_json_hashes.json: SHA-256 of the old `parse --json` and `validate --json`
  outputs of the bundled samples and of the public corpus (/work/shared/corpus; its files
  are never copied here; those cases skip when it is absent);
- golden/stored_records.jsonl: records as the ledger stored them (review items,
  reconciliation rows), which must still decode to the same records.

The corpus is also compared key by key against `reference_json`, the old rendering
rule re-stated over the new records, so a difference is named by its key path.
If the inputs or the format change, regenerate the golden files with the code before the
change (tests/edi/make_parse_json_golden.py, run on a checkout of that code).
"""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from parse_json_inputs import INPUTS, input_bytes, member_lines, sha256_lines

from edi import records
from edi.codes import DATE_QUALIFIERS, IDENTIFIER_QUALIFIERS
from edi.findings import Finding
from edi.jsonout import dumps
from edi.reader import read
from edi.records import (
    DatePeriod,
    MemberTransaction,
    Reference,
    TransactionSetHeader,
    decode_json,
    encode_json,
    json_schema,
)
from edi.validate import validate_file

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
ROOT = HERE.parents[1]
CORPUS = Path("/work/shared/corpus")
HASHES = json.loads((GOLDEN / "parse_json_hashes.json").read_text())


def reference_json(value: object) -> Any:
    """The old `edi.jsonout.to_json` rule, stated plainly over any record."""
    if isinstance(value, Enum):
        return {"code": value.value, "name": value.name.lower()}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Finding):
        return {k: (v.value if isinstance(v, Enum) else v)
                for k, v in msgspec.structs.asdict(value).items() if v is not None}
    if isinstance(value, msgspec.Struct):
        out: dict[str, Any] = {}
        for name in value.__struct_fields__:
            item = getattr(value, name)
            if item is None or item == "" or item == ():
                continue
            if name == "qualifier" and isinstance(value, DatePeriod):
                out[name] = {"code": item, "name": DATE_QUALIFIERS.get(item)}
            elif name == "qualifier" and isinstance(value, Reference):
                out[name] = {"code": item, "name": IDENTIFIER_QUALIFIERS.get(item)}
            else:
                out[name] = reference_json(item)
        return out
    if isinstance(value, (tuple, list)):
        return [reference_json(v) for v in value]
    return value


def assert_same(old: Any, new: Any, path: str = "") -> None:
    """Equal key by key, in the same key order; the first difference named by its path."""
    assert type(old) is type(new), f"{path or '/'}: {type(old).__name__} vs {type(new).__name__}"
    if isinstance(old, dict):
        assert list(old) == list(new), f"{path or '/'}: keys {list(old)} vs {list(new)}"
        for key in old:
            assert_same(old[key], new[key], f"{path}/{key}")
    elif isinstance(old, list):
        assert len(old) == len(new), f"{path}: {len(old)} vs {len(new)} items"
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            assert_same(a, b, f"{path}[{i}]")
    else:
        assert old == new, f"{path}: differs"


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip("public corpus absent")
    return [CORPUS / name for name in sorted(HASHES["parse"]["corpus"])
            if (CORPUS / name).is_file()]


def test_generated_inputs_print_the_old_lines_key_by_key() -> None:
    golden: dict[str, list[str]] = {}
    for line in (GOLDEN / "parse_json.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        golden.setdefault(item["input"], []).append(item["line"])
    assert set(golden) == set(INPUTS)
    for name in INPUTS:
        new = member_lines(input_bytes(name), name + ".edi", dumps)
        assert len(new) == len(golden[name]), name
        for old_line, new_line in zip(golden[name], new, strict=True):
            assert_same(json.loads(old_line), json.loads(new_line), name)
        assert new == golden[name]  # and byte for byte


def test_the_cli_writes_those_lines(tmp_path: Path) -> None:
    name = "bad-member-oneline"
    path = tmp_path / f"{name}.edi"
    path.write_bytes(input_bytes(name))
    from cli import main

    result = CliRunner().invoke(main, ["parse", str(path), "--json"])
    assert result.exit_code == 1  # the bad member's finding rejects it
    lines = result.stdout.splitlines()
    expected = member_lines(path.read_bytes(), str(path), dumps)
    assert lines == expected and len(lines) == INPUTS[name]["members"]


def test_samples_print_what_they_printed() -> None:
    for path in sorted((ROOT / "samples").glob("*.edi")):
        lines = member_lines(path.read_bytes(), path.name, dumps)
        assert sha256_lines(lines) == HASHES["parse"]["samples"][path.name], path.name


def test_public_corpus_prints_what_it_printed_key_by_key() -> None:
    files = corpus_files()
    assert files
    for path in files:
        members = [e for e in read(path.read_bytes(), path.name)
                   if isinstance(e, MemberTransaction)]
        lines = [dumps(m) for m in members]
        for m, line in zip(members, lines, strict=True):
            assert_same(reference_json(m), json.loads(line), path.name)
        assert sha256_lines(lines) == HASHES["parse"]["corpus"][path.name], path.name


def _validate_hash(path: Path, name: str) -> str:
    report = validate_file(path, name)
    return sha256_lines([json.dumps(report.to_json(), sort_keys=False)])


def test_validate_json_is_unchanged(tmp_path: Path) -> None:
    for path in sorted((ROOT / "samples").glob("*.edi")):
        assert _validate_hash(path, path.name) == HASHES["validate"]["samples"][path.name]
    for name in INPUTS:
        path = tmp_path / f"{name}.edi"
        path.write_bytes(input_bytes(name))
        assert _validate_hash(path, name + ".edi") == HASHES["validate"]["inputs"][name], name


def test_validate_json_of_the_public_corpus_is_unchanged() -> None:
    for path in corpus_files():
        assert _validate_hash(path, path.name) == HASHES["validate"]["corpus"][path.name]


def test_records_stored_by_the_old_code_read_back_the_same() -> None:
    rows = [json.loads(line) for line in
            (GOLDEN / "stored_records.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["type"] for r in rows} == {"MemberTransaction", "TransactionSetHeader"}
    for row in rows:
        cls = getattr(records, row["type"])
        record = decode_json(cls, row["json"])
        assert json.loads(encode_json(record)) == json.loads(row["json"])
    # and they are the records the reader builds today
    name = rows[0]["input"]
    built = [e for e in read(input_bytes(name), name + ".edi")
             if isinstance(e, MemberTransaction)][:3]
    stored = [decode_json(MemberTransaction, r["json"]) for r in rows
              if r["input"] == name and r["type"] == "MemberTransaction"]
    assert built == stored


def test_decoding_keeps_the_field_checks() -> None:
    m = [e for e in read(input_bytes("change-lines"), "c.edi")
         if isinstance(e, MemberTransaction)][0]
    good = json.loads(encode_json(m))
    assert decode_json(MemberTransaction, json.dumps(good)) == m
    bad_cases = {
        "unknown code": ("relationship", "99"),
        "not a date": ("death_date", "2024-02-30"),
        "wrong type": ("subscriber", "yes"),
        "unknown field": ("colour", "blue"),
    }
    for why, (key, value) in bad_cases.items():
        with pytest.raises(ValueError) as err:
            decode_json(MemberTransaction, json.dumps({**good, key: value}))
        assert value not in str(err.value), why  # the path is named, never the value
    with pytest.raises(ValueError):  # a required field
        decode_json(TransactionSetHeader, "{}")


def test_the_published_schema_is_the_records_schema() -> None:
    published = json.loads((ROOT / "edi" / "records.schema.json").read_text())
    assert published == json.loads(json.dumps(json_schema()))  # regenerate: parse --schema
    member = published["$defs"]["MemberTransaction"]
    assert {"lineage", "subscriber", "member"} <= set(member["required"])
    assert member["additionalProperties"] is False
    assert "18" in published["$defs"]["Relationship"]["enum"]
    from cli import main

    result = CliRunner().invoke(main, ["parse", "--schema"])
    assert result.exit_code == 0 and json.loads(result.stdout) == published
