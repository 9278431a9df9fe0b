"""The validator's steps (edi.ig.steps) decide nothing: with or without them, the same findings.

`ValidationRun.feed` takes a precomputed step for a segment that passes no
missing segment and stays within its counts, and replays the whole plan
(`walk`) otherwise. A validator whose steps all say SLOW always replays the
plan, so comparing the two on mutated files — every finding, situational
ones included, every field — shows the shortcut never loses, adds or moves
a finding. No pyx12 here, so many cases are cheap.
"""

from __future__ import annotations

import datetime as dt
import random

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ig_compiled import MEMBER, x834
from test_ig_differential import mutate as mutate_segments
from test_ig_differential import render

from edi.findings import Finding
from edi.generate import generate
from edi.ig import CompiledValidator
from edi.ig.compile import TransactionMap
from edi.ig.steps import SLOW_STEP, Step
from edi.segments import Segment
from edi.tokenize import read_segments

TODAY = dt.date(2025, 6, 30)


class ReplayOnly(CompiledValidator):
    """The compiled validator without its shortcut: every segment replays its plan."""

    def step(self, m: TransactionMap, node: int, seg: Segment) -> Step:
        return SLOW_STEP


FAST = CompiledValidator(today=TODAY)
SLOW = ReplayOnly(today=TODAY)


def dump(findings: list[Finding]) -> list[dict[str, object]]:
    return [msgspec.structs.asdict(f) for f in findings]


def both(data: bytes) -> tuple[list[Finding], list[Finding]]:
    return list(FAST.findings(data, "case")), list(SLOW.findings(data, "case"))


def segments_of(version: str, members: int, seed: int) -> list[tuple[str, list[str]]]:
    data = b"".join(generate(members, seed, "lines", version=version, ascii_only=True))  # type: ignore[arg-type]
    return [(s.id, list(s.elements)) for s in read_segments(data, "base") if isinstance(s, Segment)]


BASES = {"5010": segments_of("5010", 4, 5), "4010": segments_of("4010", 3, 6)}
VALUES = [
    "", "X", "Y", "N", "C", "18", "01", "19", "D8", "RD8", "20240101", "20991231", "20240230",
    "20240101-20240201", "A:B", "A:B:C:D:E", "348", "349", "356", "357", "021", "024", "HLT",
    "0F", "1L", "IL", "FT", "12.5", "-1", "ABC ", "A\x07B", "ZZ" * 30, "1200", "2460",
]
OPS = ("delete", "duplicate", "swap", "empty", "change", "append", "truncate", "copy")


def mutate(segments: list[tuple[str, list[str]]],
           steps: list[tuple[str, float, float, str]]) -> bytes:
    """The differential suite's mutations (this strategy never lengthens, so length is moot)."""
    return render(mutate_segments(segments, [(*step, 1) for step in steps]))


steps_strategy = st.lists(
    st.tuples(st.sampled_from(OPS), st.floats(0, 1, allow_nan=False),
              st.floats(0, 1, allow_nan=False), st.sampled_from(VALUES)),
    min_size=1, max_size=4,
)


@settings(max_examples=600, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(version=st.sampled_from(sorted(BASES)), steps=steps_strategy)
def test_steps_give_the_findings_of_the_full_replay(
    version: str, steps: list[tuple[str, float, float, str]]
) -> None:
    fast, slow = both(mutate(BASES[version], steps))
    assert dump(fast) == dump(slow)


def test_the_comparison_is_not_vacuous() -> None:
    """Mutations give both runs structure, element and situational findings to agree on."""
    rng = random.Random(11)
    codes: set[str] = set()
    for _ in range(60):
        steps = [(rng.choice(OPS), rng.random(), rng.random(), rng.choice(VALUES))
                 for _ in range(rng.randint(1, 4))]
        fast, slow = both(mutate(BASES["5010"], steps))
        assert dump(fast) == dump(slow)
        codes |= {f.code for f in fast}
    assert {"ig.segment.missing", "ig.segment.unexpected", "ig.element.code"} <= codes
    cobra = x834(members=[[s.replace("*A***FT", "*C***FT") for s in MEMBER]])
    fast, slow = both(cobra)
    assert dump(fast) == dump(slow) and any(f.validator == "situational" for f in fast)


def test_a_clean_file_takes_the_steps() -> None:
    """The shortcut is what runs on a valid file (else the speed comes from nowhere)."""
    data = b"".join(generate(5, 3, "lines", ascii_only=True))
    run = FAST.start("clean")
    replayed = 0
    walk = run.walk

    def counting_walk(m: TransactionMap, seg: Segment) -> list[Finding] | None:
        nonlocal replayed
        replayed += 1
        return walk(m, seg)

    run.walk = counting_walk  # type: ignore[method-assign]
    segments = [s for s in read_segments(data, "clean") if isinstance(s, Segment)]
    for s in segments:
        assert not run.feed(s)
    assert len(segments) > 50
    assert replayed == sum(s.id in ("ST", "SE", "GE", "IEA") for s in segments)
