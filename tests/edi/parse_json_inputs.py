"""Generated inputs of the `parse --json` format test, and the old outputs' fingerprints.

`INPUTS` names generated 834s (edi.generate, fixed seeds: no real people) whose
`parse --json` lines, as the pydantic records wrote them before the records became
msgspec Structs, are kept in tests/edi/golden/parse_json.jsonl (generated data only).
`lines_of(name)` regenerates an input and returns the JSON lines of its members.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from typing import Any

from edi.generate import generate

INPUTS: dict[str, dict[str, Any]] = {
    "change-lines": {"members": 20, "seed": 11, "form": "lines"},
    "enrollment-crlf": {"members": 25, "seed": 12, "form": "crlf", "mix": "enrollment"},
    "bad-member-oneline": {"members": 20, "seed": 13, "form": "oneline", "bad_member": 7},
    "multi-4010": {"members": 15, "seed": 14, "form": "multi", "version": "4010"},
    "diskette": {"members": 15, "seed": 15, "form": "diskette80", "sets": 3},
    "tape-cp500": {"members": 15, "seed": 16, "form": "cp500"},
}
FILE_DATE = dt.date(2025, 3, 1)


def input_bytes(name: str) -> bytes:
    """The generated 834 called `name` in INPUTS."""
    kw = dict(INPUTS[name])
    members, seed, form = kw.pop("members"), kw.pop("seed"), kw.pop("form")
    return b"".join(generate(members, seed, form, file_date=FILE_DATE, **kw))


def sha256_lines(lines: Iterator[str] | list[str]) -> str:
    """The fingerprint of a file's output lines (each followed by a newline)."""
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8") + b"\n")
    return h.hexdigest()


def member_lines(data: bytes, source: str, dumps: Callable[[Any], str]) -> list[str]:
    """`parse --json`'s lines for `data` with the given line writer."""
    from edi.reader import read
    from edi.records import MemberTransaction

    return [dumps(e) for e in read(data, source) if isinstance(e, MemberTransaction)]
