"""The reader's one-pass validation (incremental CompiledValidator) equals the two-pass path.

`read(data, validator=CompiledValidator())` tokenizes once and feeds each
segment to the validator just before the reader uses it. The reference is the
first-pass path every non-incremental validator takes: all findings first,
then merged by position. Both must yield exactly the same events, findings in
the same order and members in the same state, on the public corpus, on
generated files in every form, and on mutated files (broken envelopes,
line breaks, missing terminators, bad elements).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from edi import tokenize
from edi.findings import Finding
from edi.generate import FORMS, generate
from edi.ig import CompiledValidator
from edi.reader import findings_of, read
from edi.records import Event, MemberTransaction
from edi.segments import Segment
from edi.tokenize import read_segments

V = CompiledValidator()


class FirstPass:
    """The compiled validator seen as a plain first-pass validator (no `start`)."""

    name = "compiled"

    def findings(self, data: bytes | Path, source: str) -> Iterator[Finding]:
        return V.findings(data, source)


def both(data: bytes) -> tuple[list[Event], list[Event]]:
    one = list(read(data, "f.edi", validator=V))
    two = list(read(data, "f.edi", validator=FirstPass()))
    return one, two


def assert_same(data: bytes, label: str) -> list[Event]:
    one, two = both(data)
    assert len(one) == len(two), label
    for i, (a, b) in enumerate(zip(one, two, strict=True)):
        assert a == b, f"{label}: event {i} differs ({type(a).__name__})"
    return one


def segments_of(data: bytes) -> list[tuple[str, list[str]]]:
    return [(s.id, list(s.elements)) for s in read_segments(data, "b") if isinstance(s, Segment)]


def render(segments: list[tuple[str, list[str]]], tail: str = "~\n") -> bytes:
    return "".join("*".join([sid, *els]) + tail for sid, els in segments).encode()


BASE = segments_of(b"".join(generate(6, 11, "lines", ascii_only=True)))  # type: ignore[arg-type]
VALUES = ["", "X", "20241301", "RD8", "A:B:C:D:E", "ZZ" * 40, "A\x07B", "024", "99", "IL"]


def mutated(seed: int) -> bytes:
    """BASE with 1-4 random edits, envelope segments included; some raw-text damage too."""
    rnd = random.Random(seed)
    s = [(sid, list(els)) for sid, els in BASE]
    for _ in range(rnd.randint(1, 4)):
        i = rnd.randrange(len(s))
        sid, els = s[i]
        op = rnd.choice(["delete", "duplicate", "swap", "change", "append", "truncate", "move"])
        if op == "delete":
            del s[i]
        elif op == "duplicate":
            s.insert(i, (sid, list(els)))
        elif op == "swap" and i + 1 < len(s):
            s[i], s[i + 1] = s[i + 1], s[i]
        elif op == "move":
            s.insert(rnd.randrange(len(s)), s.pop(i))
        elif op == "append":
            els.append(rnd.choice(VALUES))
        elif els and sid != "ISA":
            j = rnd.randrange(len(els))
            if op == "change":
                els[j] = rnd.choice(VALUES)
            else:
                del els[j:]
    data = render(s)
    damage = rnd.random()
    if damage < 0.15:
        data = data.rstrip(b"~\n")  # no final terminator (or a truncated last segment)
    elif damage < 0.3:
        cut = rnd.randrange(len(data) // 2, len(data))
        data = data[:cut] + b"\r\n" + data[cut:]  # a line break inside some segment
    elif damage < 0.4:
        data = data + data  # a second interchange with the same control numbers
    elif damage < 0.45:
        data = data.replace(b"*005010X220A1~", b"*005010X999~", 1)  # a group with no map
    return data


def test_corpus_files_read_the_same_in_one_pass(corpus_dir: Path) -> None:
    files = sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix != ".md")
    assert files
    found = 0
    for path in files:
        events = assert_same(path.read_bytes(), path.name)
        found += sum(len(findings_of(e)) for e in events)
    assert found > 10  # the corpus has real problems: the merge is exercised


@pytest.mark.parametrize("version", ["5010", "4010"])
@pytest.mark.parametrize("form_name", sorted(FORMS))
def test_generated_files_read_the_same_in_every_form(form_name: str, version: str) -> None:
    data = b"".join(generate(5, 3, form_name, version=version))  # type: ignore[arg-type]
    events = assert_same(data, form_name)
    assert sum(type(e) is MemberTransaction for e in events) >= 5


@pytest.mark.parametrize("batch", [1, 7, None])
def test_mutated_files_read_the_same(batch: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if batch is not None:  # the tokenizer's lists: each is validated before it is read
        monkeypatch.setattr(tokenize, "_BATCH", batch)
    rejected = with_findings = 0
    for seed in range(150):
        events = assert_same(mutated(seed), f"seed {seed}")
        members = [e for e in events if type(e) is MemberTransaction]
        rejected += sum(m.rejected for m in members)
        with_findings += sum(bool(m.findings) for m in members)
    # the mutations reach members, so findings really are merged into them
    assert rejected > 20 and with_findings > 20


def test_one_pass_does_not_run_the_first_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self: CompiledValidator, data: object, source: str) -> Iterator[Finding]:
        raise AssertionError("first pass used")

    monkeypatch.setattr(CompiledValidator, "findings", boom)
    data = render(BASE)
    assert sum(type(e) is MemberTransaction for e in read(data, "f", validator=V)) == 6


def test_incremental_run_reports_findings_at_the_segment_fed() -> None:
    data = mutated(3)
    run = V.start("f")
    fed = 0
    for seg in read_segments(data, "f"):
        if isinstance(seg, Segment):
            fed += 1
            for f in run.feed(seg) or ():
                assert f.segment_position == seg.position
    assert fed and run.close() == []
    assert list(V.findings(data, "f")) == list(V.findings_for_segments(
        (s for s in read_segments(data, "f") if isinstance(s, Segment)), "f"))


@pytest.mark.parametrize("seed", range(40))
def test_feed_batch_equals_feed_one_segment_at_a_time(seed: int) -> None:
    """The run's state kept in locals across a list (envelopes, walks, findings in the
    middle of a list, lists cut anywhere) reports exactly what feeding one segment at a
    time reports, in the same order."""
    data = mutated(seed) if seed else render(BASE * 2)  # 0: two interchanges, no damage
    items = list(read_segments(data, "f"))
    one = V.start("f")
    expected = [found for item in items if isinstance(item, Segment)
                for found in [one.feed(item)] if found]  # fmt: skip
    rnd = random.Random(seed)
    batched = V.start("f")
    got: list[list[Finding]] = []
    i = 0
    while i < len(items):
        j = i + rnd.choice((1, 2, 7, 50, 400))
        got.extend(batched.feed_batch(items[i:j]))
        i = j
    assert got == expected


def test_the_mutations_compared_in_batches_yield_findings() -> None:
    """The comparison above is not of empty lists: most mutated files have findings."""
    with_findings = sum(
        any(V.start("f").feed_batch(list(read_segments(mutated(seed), "f"))))
        for seed in range(1, 40)
    )
    assert with_findings >= 30
