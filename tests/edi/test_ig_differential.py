"""Differential tests: the compiled IG validator reports what pyx12 reports.

Inputs: every file of ../shared/corpus, generated files in every transport
form (5010 and 4010), and hypothesis mutations of generated files (delete,
duplicate, reorder segments; empty, lengthen, change, add, truncate
elements). Several hundred cases here; thousands with ENROLL834_SOAK=1.

Both validators read the same bytes; findings are compared as multisets of
(segment position, set position, segment id, level, X12 code, element,
component, loop). The compiled validator's situational findings are left out
(pyx12 has no such rules). Every difference must be one of the documented
pyx12 defects below — each shown by its own `test_pyx12_defect_*` in
test_ig_pyx12_defects.py — and the comparison ignores exactly those cases:

- READER_ERROR_MISPLACED: pyx12's reader problems (trailing element
  separators, empty segment, invalid segment id) are filed under whichever
  segment its error handler last saw: the next recognised segment after an
  unrecognised one, the segment before an SE (or, at the SE's own position,
  a segment missing there); when that segment has an
  IK304 8 already (its own, or another misfiled one), its one IK3 holds
  them all. The compiled validator reports them on the segment itself.
- INVALID_ID_TWICE: a segment id that is not 2-3 letters/digits gets IK304 1
  twice from pyx12 (walker + reader, the latter misplaced as above).
- CRASH_TOO_MANY_COMPONENTS: a composite with more components than defined
  makes pyx12 raise IndexError (it indexes one past its component list); the
  adapter turns that into 'ig.pyx12_failed' and stops that interchange.
- CRASH_RD8_DASHES: an RD8 date range with more than one '-' makes pyx12
  raise ValueError while unpacking the range.
- CRASH_UNRECOGNISED_ST: a set whose ST01 is not 834 is never opened by
  pyx12 (its walker finds no ST), so its SE makes the error handler raise
  AttributeError (at its SE or GE). The compiled validator leaves such a
  set to edi.envelope.
- ST_SE_SEGMENT_ERRORS_LOST: a segment-level problem pyx12 finds on an ST
  or SE (too many elements, relational syntax, trailing separators) is
  handed to its envelope error node, whose `add_error` takes no value: the
  TypeError is swallowed and the problem is gone.
- CRASH_ENVELOPE_ORDER: pyx12's reader keeps a stack of open ISA/GS/ST and
  indexes it unchecked: an SE/GE/IEA without its header (a deleted ST, an
  SE moved after GE) raises IndexError or AttributeError. Envelope structure
  is edi.envelope's to report; the compiled validator carries on.
- ENVELOPE_ORDER_BROKEN: once the ISA/GS/ST/SE/GE/IEA order breaks (an ST
  inside an open set, a GE or IEA before the SE, a trailer without its
  header), pyx12 loses track of the set it is in: it starts a new set
  without the open one's end-of-set checks, calls a repeated ST an
  unrecognised segment, or keeps counting set positions past the GE. The
  break is edi.envelope's to report (se.missing, duplicate control number,
  ...); the comparison stops at the first break.
"""

from __future__ import annotations

import os
import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from edi.findings import Finding, Level
from edi.generate import FORMS, generate
from edi.ig import CompiledValidator
from edi.segments import Segment
from edi.tokenize import read_segments

pyx12_adapter = pytest.importorskip("edi.ig_pyx12")

SOAK = bool(os.environ.get("ENROLL834_SOAK"))
CASES = 3000 if SOAK else 160
PHASES = (Phase.explicit, Phase.reuse, Phase.generate)
"""No shrinking: pyx12 is slow, and the failing example is printed as drawn."""

Key = tuple[object, ...]

_SEG_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
_RELOCATED = frozenset({"ig.segment.trailing_separators", "ig.segment.empty"})

COMPILED = CompiledValidator(situational=False)
PYX12 = pyx12_adapter.Pyx12Validator()


def key(f: Finding) -> Key:
    """What must agree. Segment-level findings compare without element detail (pyx12 has none)."""
    element_level = f.level is not Level.SEGMENT
    return (
        f.segment_position,
        f.set_position,
        f.segment_id,
        f.level.value,
        f.x12_code,
        f.element if element_level else None,
        f.component if element_level else None,
        f.loop_id,
    )


def pyx12_comparable(f: Finding) -> bool:
    """pyx12 findings the compiled validator also owns (envelope counts are edi.envelope's)."""
    if f.level in (Level.SEGMENT, Level.ELEMENT):
        return True
    if f.level is Level.TRANSACTION_SET:
        return f.element is not None and f.x12_code is not None
    return f.code == "ig.group.not_validated"


@dataclass
class Diff:
    """The result of one comparison."""

    only_compiled: list[Key] = field(default_factory=list)
    only_pyx12: list[Key] = field(default_factory=list)
    defects: set[str] = field(default_factory=set)
    compared: int = 0

    @property
    def same(self) -> bool:
        return not self.only_compiled and not self.only_pyx12


def _take(pool: Counter[Key], want: str, at: object, before: bool | None) -> Key | None:
    """Consume one pyx12 segment finding with X12 code `want` placed away from position `at`
    (the nearest); returns it."""
    candidates = [
        k for k in pool
        if pool[k] > 0 and k[3] == "segment" and k[4] == want and k[0] != at
        and (before is None or (isinstance(k[0], int) and isinstance(at, int) and (k[0] < at) == before))
    ]
    if not candidates:
        return None
    best = min(candidates, key=lambda k: abs(int(k[0] or 0) - int(at if isinstance(at, int) else 0)))
    pool[best] -= 1
    return best


def _take_renamed(pool: Counter[Key], at: object) -> Key | None:
    """Consume a pyx12 IK304 8 at position `at` filed under another segment id (the one
    pyx12 found missing there); returns it."""
    found = next((k for k in pool if pool[k] > 0 and k[0] == at and k[3] == "segment"
                  and k[4] == "8" and k[2] != "SE"), None)
    if found is not None:
        pool[found] -= 1
    return found


def _merged(held: Iterable[Key], at: object, before: bool, unfound: set[int | None]) -> bool:
    """Whether the segment pyx12 files a reader error of segment `at` under (the previous
    one for an SE, else the next one it recognises) already has one of the IK304 8s `held`."""
    if not isinstance(at, int):
        return False
    target = at - 1
    if not before:
        target = at + 1
        while target in unfound:
            target += 1
    return any(k[0] == target and k[3] == "segment" and k[4] == "8" for k in held)


def compare(data: bytes) -> Diff:
    """Compare both validators on `data`, discounting the documented pyx12 defects."""
    segments = [s for s in read_segments(data, "case") if isinstance(s, Segment)]
    compiled = list(COMPILED.findings(data, "case"))
    pyx = [f for f in PYX12.findings(data, "case") if pyx12_comparable(f) or f.code == "ig.pyx12_failed"]
    diff = Diff()
    crash = next((f for f in pyx if f.code == "ig.pyx12_failed"), None)
    broken = envelope_break(segments)
    limit: int | None = None
    if crash is not None:
        limit = crash.segment_position or 0
        crashed_on = next((s for s in segments if s.position == limit), None)
        last_st = next((s for s in reversed(segments) if s.id == "ST" and s.position < limit), None)
        odd_st = last_st is not None and last_st.get(1) != "834"
        reason = crash_reason(crashed_on, compiled, broken, odd_st)
        if reason is None:
            diff.only_pyx12.append(
                ("pyx12 failed on an unexplained input at segment", limit, crashed_on and crashed_on.id)
            )
            return diff
        diff.defects.add(reason)
        pyx = [f for f in pyx if f.code != "ig.pyx12_failed"]
    if broken is not None and (limit is None or broken < limit):
        limit = broken
        if any((f.segment_position or 0) >= broken for f in (*compiled, *pyx)):
            diff.defects.add("ENVELOPE_ORDER_BROKEN")
    if limit is not None:
        # pyx12 stopped, or lost track of the envelope: compare what came before
        compiled = [f for f in compiled if (f.segment_position or 0) < limit]
        # an IK304 8 at the break may hold a reader error of the segment before: kept
        # for that below, dropped when nothing claims it
        pyx = [f for f in pyx if (f.segment_position or 0) < limit or (
            f.segment_position == limit and f.level is Level.SEGMENT and f.x12_code == "8")]
    # one segment-level finding per (segment, code), as a 999 IK3 (and the adapter) has it
    mine = Counter({k: (1 if k[3] == "segment" else n) for k, n in Counter(map(key, compiled)).items()})
    theirs = Counter({k: (1 if k[3] == "segment" else n) for k, n in Counter(map(key, pyx)).items()})
    common = mine & theirs
    mine -= common
    theirs -= common
    # what is left over must be explained by a documented defect
    unfound = {f.segment_position for f in compiled if f.x12_code == "1" and f.level is Level.SEGMENT}
    held = list(common)  # pyx12's IK304 8s that may also hold misfiled reader errors
    for f in compiled:
        pos, seg_id = f.segment_position, f.segment_id
        if f.code not in _RELOCATED or not (pos in unfound or seg_id == "SE"):
            continue
        k = key(f)
        # misfiled onto a segment with an IK304 8 already (its own, or another misfiled
        # one), it is part of that segment's one IK3
        taken = _take(theirs, "8", pos, seg_id == "SE")
        if taken is None and seg_id == "SE":
            taken = _take_renamed(theirs, pos)
        if taken is not None:
            held.append(taken)
        took = taken is not None or _merged(held, pos, seg_id == "SE", unfound)
        if mine[k] > 0 and took:
            mine[k] -= 1
            diff.defects.add("READER_ERROR_MISPLACED")
        elif took:
            diff.defects.add("READER_ERROR_MISPLACED")
    if limit is not None:
        theirs = Counter({k: n for k, n in theirs.items() if (k[0] or 0) < limit})
    for k in sorted(mine.elements(), key=repr):
        if k[2] in ("ST", "SE") and k[3] == "segment" and k[4] == "8":
            mine[k] -= 1
            diff.defects.add("ST_SE_SEGMENT_ERRORS_LOST")
    for s in segments:
        if limit is not None and s.position >= limit:
            break
        invalid = s.id not in ("ISA", "GS", "GE", "IEA") and not _SEG_ID.fullmatch(s.id)
        if invalid and _take(theirs, "1", s.position, None) is not None:
            diff.defects.add("INVALID_ID_TWICE")
    diff.only_compiled = sorted((mine - theirs).elements(), key=repr)
    diff.only_pyx12 = sorted((theirs - mine).elements(), key=repr)
    diff.compared = len(pyx)
    return diff


def crash_reason(
    seg: Segment | None, compiled: Iterable[Finding], broken: int | None,
    unrecognised_st: bool = False,
) -> str | None:
    """Which documented pyx12 crash `seg` triggers, or None when the crash is unexplained."""
    if seg is None:
        return None
    here = [f for f in compiled if f.segment_position == seg.position]
    if any(f.code == "ig.composite.too_many_components" for f in here):
        return "CRASH_TOO_MANY_COMPONENTS"
    if seg.id == "DTP" and seg.get(2) == "RD8" and seg.get(3).count("-") > 1:
        return "CRASH_RD8_DASHES"
    if seg.id in ("SE", "GE") and unrecognised_st:
        return "CRASH_UNRECOGNISED_ST"
    if broken is not None and seg.position >= broken:
        return "CRASH_ENVELOPE_ORDER"
    return None


_NEXT = {"": {"ISA"}, "ISA": {"GS", "IEA"}, "GS": {"ST", "GE"}, "ST": {"SE"}, "SE": {"ST", "GE"},
         "GE": {"GS", "IEA"}, "IEA": {"ISA"}}


def envelope_break(segments: Iterable[Segment]) -> int | None:
    """Position of the first ISA/GS/ST/SE/GE/IEA out of the order ISA (GS (ST SE)* GE)* IEA
    (None: the envelopes are well formed; a missing trailer at the end is a break too)."""
    last, position = "", 0
    for s in segments:
        position = s.position
        if s.id in _NEXT:
            if s.id not in _NEXT[last]:
                return s.position
            last = s.id
    return None if last in ("", "IEA") else position + 1


# ------------------------------------------------------------------ inputs


def render(segments: Iterable[tuple[str, list[str]]]) -> bytes:
    return "".join("*".join([sid, *els]) + "~\n" for sid, els in segments).encode()


def base_segments(version: str, members: int = 3, seed: int = 7) -> list[tuple[str, list[str]]]:
    data = b"".join(generate(members, seed, "lines", version=version, ascii_only=True))  # type: ignore[arg-type]
    return [(s.id, list(s.elements)) for s in read_segments(data, "base") if isinstance(s, Segment)]


VALUES = [
    "", "X", "18", "D8", "RD8", "20240101", "20241301", "20240230", "19000229", "20000229",
    "2024010120240201", "20240101-20240201", "20240101-2024-0201", "A:B", "A:B:C:D:E:F:G:H",
    "ZZ", "0F", "1L", "17", "IL", "74", "70", "021", "024", "030", "HLT", "C", "Y", "N", "P5",
    "1234", "12.5", "-1", "1.", "ABC ", "A\x07B", "abc", "ÄB", "AB^C", "1200", "2560", "TX",
    "XX", "US", "ZZZ", "2500", "9", "99", "P", "E", "FT", "34", "ZZ" * 40,
]
OPS = ("delete", "duplicate", "swap", "empty", "lengthen", "change", "append", "truncate")


def mutate(
    segments: list[tuple[str, list[str]]], steps: list[tuple[str, float, float, str, int]]
) -> list[tuple[str, list[str]]]:
    """Apply mutation steps (op, where, which element, new value, length) to a segment list."""
    s = [(sid, list(els)) for sid, els in segments]
    for op, where, which, value, length in steps:
        body = [i for i, (sid, _) in enumerate(s) if sid not in ("ISA", "GS", "GE", "IEA")]
        if not body:
            break
        i = body[min(int(where * len(body)), len(body) - 1)]
        sid, els = s[i]
        if op == "delete":
            del s[i]
        elif op == "duplicate":
            s.insert(i, (sid, list(els)))
        elif op == "copy":  # a segment again, further on (a loop or segment repeated late)
            k = body[min(int(which * len(body)), len(body) - 1)]
            s.insert(k, (sid, list(els)))
        elif op == "swap" and i + 1 < len(s):
            s[i], s[i + 1] = s[i + 1], s[i]
        elif op == "append":
            els.append(value)
        elif els:
            j = min(int(which * len(els)), len(els) - 1)
            if op == "empty":
                els[j] = ""
            elif op == "lengthen":
                els[j] += "X" * length
            elif op == "change":
                els[j] = value
            elif op == "truncate":
                del els[j:]
    return s


steps_strategy = st.lists(
    st.tuples(
        st.sampled_from(OPS),
        st.floats(0, 1, allow_nan=False),
        st.floats(0, 1, allow_nan=False),
        st.sampled_from(VALUES),
        st.integers(1, 90),
    ),
    min_size=1,
    max_size=3,
)

BASE_5010 = base_segments("5010")
BASE_4010 = base_segments("4010")


def _explain(diff: Diff) -> str:
    return f"compiled only: {diff.only_compiled[:6]} / pyx12 only: {diff.only_pyx12[:6]}"


# ------------------------------------------------------------------ the comparisons


def test_corpus_files_agree(corpus_dir: Path) -> None:
    files = sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix != ".md")
    assert files
    compared = 0
    for path in files:
        diff = compare(path.read_bytes())
        assert diff.same, f"{path.name}: {_explain(diff)}"
        compared += diff.compared
    assert compared > 10  # the corpus has real IG errors; both must see them


@pytest.mark.parametrize("version", ["5010", "4010"])
@pytest.mark.parametrize("form_name", sorted(FORMS))
def test_generated_files_agree_in_every_form(form_name: str, version: str) -> None:
    try:
        data = b"".join(generate(4, 11, form_name, version=version, ascii_only=True))  # type: ignore[arg-type]
    except ValueError:
        pytest.skip(f"form {form_name} does not take version {version}")
    diff = compare(data)
    assert diff.same, _explain(diff)


def test_generated_bad_member_is_seen_by_both() -> None:
    data = b"".join(generate(3, 5, "lines", ascii_only=True, bad_member=2))
    diff = compare(data)
    assert diff.same, _explain(diff)
    assert diff.compared >= 1


@settings(max_examples=CASES, deadline=None, derandomize=not SOAK,
          suppress_health_check=[HealthCheck.too_slow], phases=PHASES)
@given(steps=steps_strategy)
@example(steps=[("truncate", 0.6711357169411029, 0.4863981760472279, "0F", 62),
                ("truncate", 0.7040521483102519, 0.45511356567319294, "20000229", 16),
                ("truncate", 0.6711357169411029, 0.4863981760472279, "0F", 62)])  # found by soak
@example(steps=[("truncate", 0.1, 0.1, "C", 27),
                ("truncate", 0.08145196496596376, 0.1, "C", 27)])  # two empty segments in a row
@example(steps=[("duplicate", 3.4083123214966986e-112, 0.14, "1200", 49),
                ("swap", 0.03161008199820282, 0.2926360990048405, "20240101", 12),
                ("empty", 0.20544391737062356, 2.225073858507203e-309, "20241301", 79)])  # ST in a set
@example(steps=[("swap", 0.9711841129380023, 0.9711841129380023, "1.", 37),
                ("delete", 5e-324, 0.64237526553277, "1200", 37)])  # no ST; pyx12 fails after SE
@example(steps=[("swap", 0.968087238228007, 0.4526876089822577, "N", 17),
                ("change", 0.49879154943155035, 6.589026060341051e-253, "34", 84),
                ("truncate", 0.968087238228007, 1e-05, "74", 67)])  # empty SE before a DTP
def test_mutated_5010_files_agree(steps: list[tuple[str, float, float, str, int]]) -> None:
    diff = compare(render(mutate(BASE_5010, steps)))
    assert diff.same, _explain(diff)


@settings(max_examples=CASES // 2, deadline=None, derandomize=not SOAK,
          suppress_health_check=[HealthCheck.too_slow], phases=PHASES)
@given(steps=steps_strategy)
@example(steps=[("empty", 0.7639589934823199, 0.4318824263410129, "D8", 31),
                ("truncate", 0.7382347112582747, 0.4318824263410129, "20240230", 18),
                ("truncate", 0.7639589934823199, 0.4318824263410129, "D8", 31)])  # found by soak
@example(steps=[("duplicate", 0.0, 1.175494351e-38, "20240101-20240201", 13),
                ("duplicate", 0.0, 1.175494351e-38, "20240101-20240201", 13),
                ("swap", 0.9992087089322363, 0.0, "20240101-20240201", 68)])  # GE before SE
@example(steps=[("truncate", 0.9646408729709008, 0.06, "20240230", 69),
                ("delete", 1.0, 1.175494351e-38, "12.5", 29),
                ("swap", 0.18303984086522343, 0.4126099886323408, "18", 49)])  # empty DTP, no SE
@example(steps=[("duplicate", 2.225073858507e-311, 0.4709391143024503, "021", 63),
                ("change", 0.031487097603659205, 2.796506157922588e-210, "TX", 85),
                ("empty", 0.9589711258222995, 0.1792905798244653, "IL", 86)])  # ST twice
def test_mutated_4010_files_agree(steps: list[tuple[str, float, float, str, int]]) -> None:
    diff = compare(render(mutate(BASE_4010, steps)))
    assert diff.same, _explain(diff)


def test_mutations_do_produce_findings() -> None:
    """Guard against a vacuous comparison: random mutations give both validators work."""
    rng = random.Random(3)
    compared = 0
    for _ in range(20):
        steps = [(rng.choice(OPS), rng.random(), rng.random(), rng.choice(VALUES), 5)]
        diff = compare(render(mutate(BASE_5010, steps)))
        assert diff.same, _explain(diff)
        compared += diff.compared
    assert compared >= 10
