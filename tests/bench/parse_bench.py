"""edi benchmarks: generating, tokenizing and parsing synthetic 834s; pyx12 validation alongside.

Registered in run.py's SECTIONS. Each function consumes the input and returns
the number of members it handled (the runner times it and reads peak RSS).
"""

from __future__ import annotations

from pathlib import Path

from run import Case


def generate(_: Path | None, members: int) -> int:
    """Generate `members` members in the default form, discarding the bytes."""
    from edi.generate import generate as gen

    for _chunk in gen(members, 2, "lines"):
        pass
    return members


def tokenize(path: Path | None, members: int) -> int:
    """Split the file into segments only (transport + tokenizer)."""
    from edi.segments import Segment
    from edi.tokenize import read_segments

    assert path is not None
    ins = 0
    for item in read_segments(path, path.name):
        if isinstance(item, Segment) and item.id == "INS":
            ins += 1
    return ins


def parse(path: Path | None, members: int) -> int:
    """edi.reader.read without a validator: every member built as a MemberTransaction."""
    from edi.reader import read
    from edi.records import MemberTransaction

    assert path is not None
    return sum(isinstance(e, MemberTransaction) for e in read(path, path.name))


def validate_pyx12(path: Path | None, members: int) -> int:
    """edi.reader.read with the pyx12 IG validator as first pass (what `validate` does)."""
    from edi.ig_pyx12 import Pyx12Validator
    from edi.reader import read
    from edi.records import MemberTransaction

    assert path is not None
    events = read(path, path.name, validator=Pyx12Validator())
    return sum(isinstance(e, MemberTransaction) for e in events)


CASES: list[Case] = [
    Case("generate", 100_000, generate, quick=10_000, needs_file=False),
    Case("generate", 1_000_000, generate, needs_file=False),
    Case("tokenize", 100_000, tokenize, quick=100_000),
    Case("parse", 100_000, parse, quick=100_000),
    Case("parse", 1_000_000, parse),
    Case("validate-pyx12", 100_000, validate_pyx12, quick=10_000),
]
