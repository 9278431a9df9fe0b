"""Regenerate the golden files of test_parse_json_format.py with the pydantic records.

The goldens must be written by the code before the records became msgspec Structs, on
today's generated inputs (parse_json_inputs.py). Check that code out beside this one and
run this script with it:

    git worktree add /tmp/enroll834-pydantic 648e5d4   # the last commit with pydantic records
    .venv/bin/python tests/edi/make_parse_json_golden.py /tmp/enroll834-pydantic
    git worktree remove /tmp/enroll834-pydantic

It writes, under tests/edi/golden/:

- parse_json.jsonl: every `parse --json` line of each input in INPUTS;
- parse_json_hashes.json: SHA-256 of `parse --json` and `validate --json` of the bundled
  samples, of the generated inputs (validate) and of the public corpus (--corpus);
- stored_records.jsonl: for three inputs, each transaction set's header and its first three
  members as the ledger stored them (`model_dump_json`).

Generated data only: the corpus is fingerprinted, never copied.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
STORED_INPUTS = ("change-lines", "bad-member-oneline", "multi-4010")
MEMBERS_PER_SET = 3


def load_old_code(old: Path) -> dict[str, Any]:
    """The old checkout's modules (refusing anything but its pydantic records)."""
    sys.path.insert(0, str(old))
    sys.path.append(str(HERE))  # parse_json_inputs only; it imports edi from `old`
    import parse_json_inputs
    from pydantic import BaseModel

    import edi
    from edi.jsonout import dumps
    from edi.reader import read
    from edi.records import MemberTransaction, SetStart
    from edi.validate import validate_file

    if not Path(edi.__file__).resolve().is_relative_to(old):
        sys.exit(f"edi was imported from {edi.__file__}, not from {old}")
    if not issubclass(MemberTransaction, BaseModel):
        sys.exit(f"{old} does not hold the pydantic records")
    return {"inputs": parse_json_inputs, "dumps": dumps, "read": read,
            "MemberTransaction": MemberTransaction, "SetStart": SetStart,
            "validate_file": validate_file}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="checkout of the code with pydantic records")
    parser.add_argument("--corpus", type=Path, default=Path("/work/shared/corpus"))
    args = parser.parse_args()
    old = load_old_code(args.old.resolve())
    pji, dumps, read = old["inputs"], old["dumps"], old["read"]
    golden = HERE / "golden"

    def parse_hash(path: Path) -> str:
        return str(pji.sha256_lines(pji.member_lines(path.read_bytes(), path.name, dumps)))

    def validate_hash(path: Path, name: str) -> str:
        report = old["validate_file"](path, name)
        return str(pji.sha256_lines([json.dumps(report.to_json(), sort_keys=False)]))

    with open(golden / "parse_json.jsonl", "w", encoding="utf-8") as out:
        for name, spec in pji.INPUTS.items():
            lines = pji.member_lines(pji.input_bytes(name), name + ".edi", dumps)
            assert len(lines) == spec["members"], name
            for line in lines:
                out.write(json.dumps({"input": name, "line": line}, ensure_ascii=False) + "\n")

    samples = sorted((HERE.parents[1] / "samples").glob("*.edi"))
    corpus = sorted(p for p in args.corpus.iterdir() if p.is_file() and p.name != "SOURCES.md")
    if not corpus:
        sys.exit(f"no corpus files in {args.corpus}")
    with tempfile.TemporaryDirectory() as tmp:
        inputs = {}
        for name in pji.INPUTS:
            path = Path(tmp) / f"{name}.edi"
            path.write_bytes(pji.input_bytes(name))
            inputs[name] = validate_hash(path, name + ".edi")
    hashes = {
        "parse": {"corpus": {p.name: parse_hash(p) for p in corpus},
                  "samples": {p.name: parse_hash(p) for p in samples}},
        "validate": {"corpus": {p.name: validate_hash(p, p.name) for p in corpus},
                     "inputs": inputs,
                     "samples": {p.name: validate_hash(p, p.name) for p in samples}},
    }
    (golden / "parse_json_hashes.json").write_text(
        json.dumps(hashes, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    with open(golden / "stored_records.jsonl", "w", encoding="utf-8") as out:
        for name in STORED_INPUTS:
            left = 0
            for event in read(pji.input_bytes(name), name + ".edi"):
                if isinstance(event, old["SetStart"]):
                    kind, record, left = "TransactionSetHeader", event.header, MEMBERS_PER_SET
                elif isinstance(event, old["MemberTransaction"]) and left:
                    kind, record, left = "MemberTransaction", event, left - 1
                else:
                    continue
                row = {"input": name, "type": kind, "json": record.model_dump_json()}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
