"""CompiledValidator: streaming implementation-guide validation from compiled tables.

Reads segments one at a time (memory flat in file size), walks the compiled
map of the group's implementation guide (chosen by ISA12/GS08/GS01 as pyx12's
`maps.xml` says), and yields `Finding`s for segments of transaction sets
(ST..SE) in segment-position order:

- structure (level SEGMENT, `x12_code` = IK304): 1 segment not expected here,
  2 not used, 3 mandatory segment/loop missing, 4 loop over its repeat,
  5 segment over its max use, 8 segment has data element errors (relational
  syntax, too many elements/components, composite missing or not used);
- elements (level ELEMENT, `x12_code` = IK403 with element, component and data
  element): 1 missing, 4/5 length, 6 characters, 7 code, 8 date, 9 time,
  10 not used;
- the situational rules of `edi.ig.situational` (validator 'situational').

Envelope checks (ISA/GS/GE/IEA, SE counts, control numbers) belong to
`edi.envelope`; groups whose implementation guide has no compiled map are
skipped here. Findings never carry element values.

How a segment is checked: the memoized `Step` for (current node, segment id,
qualifier) (`edi.ig.steps`) says where the segment goes when it breaks no
structure rule; when its few conditions hold (Required nodes passed already
counted, counts within their maximum) the run applies it and tests the
elements with the node's fast-path function (`edi.ig.fastpath`). Anything
else — and every envelope segment — replays the whole plan (`walk`) and the
exact checks (`edi.ig.checks`), from the same state, so both ways give the
same findings (`tests/edi/test_ig_steps.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from msgspec.structs import replace

from edi.findings import Finding, Level, Severity
from edi.ig.charsets import adjust
from edi.ig.checks import Problem, check_segment
from edi.ig.compile import Node, Tables, TransactionMap, load_tables
from edi.ig.fastpath import compile_fast
from edi.ig.messages import PROBLEM_TEXT, WALK_TEXT
from edi.ig.situational import RULES, SituationalRule, SituationalState
from edi.ig.steps import BY_FIRST, BY_KEY, ENTER, MATCH, SLOW, Step, build_step
from edi.ig.walk import (
    ENTER_LOOP,
    MATCH_SEG,
    MISS_LOOP,
    MISS_SEG,
    NOT_FOUND,
    Plan,
    build_plan,
    segment_key,
)
from edi.segments import Delimiters, Segment

_MEMO_LIMIT = 4_096
"""Exact-check results kept per distinct failing segment (bounded: memory stays flat)."""
_NONE: list[Problem] = []
_PLAN_LIMIT = 100_000
"""Plans and qualifier-keyed steps kept per map (qualifier values come from the data)."""
_ENVELOPE = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})

VERSION_ALIASES = {"005010X220": "005010X220A1"}
"""GS08 values read with the nearest map (as the pyx12 adapter does): pre-errata X220."""

_CONTROL_IK502 = {("ST", 1): "6", ("ST", 2): "7", ("ST", 3): "19", ("SE", 1): "4", ("SE", 2): "7"}
"""ST/SE element problems are transaction-set problems (IK502), as in pyx12's 999."""

class CompiledValidator:
    """The project's own IG validator: `findings(data, source)` like every validator.

    It is also incremental: `start(source)` opens a `ValidationRun` that takes
    segments one at a time (`feed`), so a reader that already tokenizes the
    input can validate it in the same pass (`edi.reader.read` does).
    `situational` adds the rules of `edi.ig.situational` (on by default);
    `today` fixes the date those rules call "today" (tests). `charsets` maps a sender
    (ISA05, ISA06) to its agreed character set (`edi.ig.charsets`; default extended).
    """

    name = "compiled"

    def __init__(
        self,
        *,
        situational: bool = True,
        today: dt.date | None = None,
        rules: tuple[SituationalRule, ...] = RULES,
        tables: Tables | None = None,
        charsets: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        self.tables = tables or load_tables()
        self.charsets = dict(charsets or {})
        self.rules = rules if situational else ()
        self.today = today
        self._plans: dict[str, dict[tuple[object, ...], Plan]] = {}
        self._steps: dict[tuple[str, str, str], list[dict[str, Step]]] = {}
        self._keyed: dict[str, int] = {}
        self._checks: dict[tuple[str, int, tuple[str, ...], str], list[Problem]] = {}
        self._fast: dict[tuple[str, int, str, str], Callable[[tuple[str, ...]], bool]] = {}

    def findings(self, data: bytes | Path, source: str) -> Iterator[Finding]:
        """IG findings for the whole input, in segment-position order."""
        from edi.tokenize import read_batches

        run = ValidationRun(self, source)
        for batch in read_batches(data, source):
            for out in run.feed_batch(batch):
                yield from out
        yield from run.close()

    def findings_for_segments(self, segments: Iterable[Segment], source: str) -> Iterator[Finding]:
        """The same, for segments already read (any iterable, consumed once)."""
        run = ValidationRun(self, source)
        feed = run.feed
        for seg in segments:
            out = feed(seg)
            if out:
                yield from out
        yield from run.close()

    def start(self, source: str) -> ValidationRun:
        """A new incremental pass over one input named `source` (see `ValidationRun`)."""
        return ValidationRun(self, source)

    def plans_for(self, m: TransactionMap) -> dict[tuple[object, ...], Plan]:
        return self._plans.setdefault(m.file, {})

    def steps_for(self, m: TransactionMap, d: Delimiters) -> list[dict[str, Step]]:
        """Per node of `m`: segment id -> `Step` (see `edi.ig.steps`) under delimiters `d`.

        Filled on first use; steps whose node depends on data (qualifier
        values) are bounded in number, so memory stays flat in file size.
        """
        tkey = (m.file, d.element, d.component)
        steps = self._steps.get(tkey)
        if steps is None:
            steps = self._steps[tkey] = [{} for _ in m.nodes]
        return steps

    def step(self, m: TransactionMap, node: int, seg: Segment) -> Step:
        """The step for `seg` from `node`, built on first use and kept in `steps_for`."""
        sid = seg.id
        elements = seg.elements
        d = seg.delimiters
        table = self.steps_for(m, d)[node]
        key = segment_key(m, sid, elements, d.component)

        def build(first: str | None = None) -> Step:
            plan = build_plan(m, node, key)
            return build_step(m, node, plan, self.rules, lambda i: self.fast_check(m, m.nodes[i], d), first)

        if not key[1]:
            step = table.get(sid)
            if step is None:
                step = table[sid] = build()
            return step
        kind = BY_FIRST if m.qualifier_positions[sid] == ((1, None),) else BY_KEY
        keyed = table.get(sid)
        if keyed is None:
            keyed = table[sid] = (kind, {})
        by: dict[object, Step] = keyed[1]
        value = (elements[0] if elements else None) if kind == BY_FIRST else key
        step = by.get(value)
        if step is None:
            count = self._keyed.get(m.file, 0) + 1
            if count > _PLAN_LIMIT:  # bounded: forget every keyed step of this map
                for (file, _, _), tables in self._steps.items():
                    if file == m.file:
                        for t in tables:
                            for entry in t.values():
                                if entry[0] >= BY_FIRST:
                                    entry[1].clear()
                count = 1
            self._keyed[m.file] = count
            step = by[value] = build((elements[0] if elements else "") if kind == BY_FIRST else None)
        return step

    def fast_check(self, m: TransactionMap, node: Node, d: Delimiters) -> Callable[[tuple[str, ...]], bool]:
        """The fast-path test for `node` under delimiters `d` (compiled once per delimiter set)."""
        fkey = (m.file, node.index, d.element, d.component)
        fast = self._fast.get(fkey)
        if fast is None:
            fast = compile_fast(node, m.icvn, d.element, d.component, self.tables.code_lists)
            self._fast[fkey] = fast
        return fast

    def problems(self, m: TransactionMap, node: Node, seg: Segment) -> list[Problem]:
        """Element/composite/syntax problems of `seg` at `node`: fast path, else exact checks."""
        d = seg.delimiters
        elements = seg.elements
        if self.fast_check(m, node, d)(elements):
            return _NONE
        key = (m.file, node.index, elements, d.component)
        found = self._checks.get(key)
        if found is None:
            if len(self._checks) >= _MEMO_LIMIT:
                self._checks.clear()
            found = check_segment(node, elements, d.component, m.icvn, self.tables.code_lists)
            self._checks[key] = found
        return found


class ValidationRun:
    """State of one pass over one input: feed it every segment in file order.

    `feed(seg)` returns the findings located at `seg` (each carries
    `segment_position == seg.position`), or None/[] when there are none;
    findings never refer to a segment not yet fed, so a caller that feeds a
    segment before using it knows all findings up to that position. `close()`
    returns what is left at end of input (today always nothing: every
    finding is located at the segment that reveals it).
    """

    def __init__(self, v: CompiledValidator, source: str) -> None:
        self.v = v
        self.source = source
        self.map: TransactionMap | None = None
        self.plans: dict[tuple[object, ...], Plan] = {}
        self.steps: list[dict[str, Step]] = []
        self.node = 0
        self.counts: list[int] = []
        """Per counter key of the map (`Node.count_key`): how often seen in the current loop instances."""
        self.icvn = ""
        self.charset = "extended"
        self.isa13 = ""
        self.gs06 = ""
        self.st02 = ""
        self.in_set = False
        self.seen_st = False
        self.skip_set = False
        self.quiet = True
        """No findings now: no set seen yet in this interchange, or a set not this validator's."""
        self.usual = False
        """Findings now, and the fast path may pass a segment (the sender's character set is
        not `basic`): kept up to date with `quiet` and `charset`, read once per segment."""
        self.aliased = False
        self.set_position = 0
        self.member = 0
        self.member_nodes: frozenset[int] = frozenset()
        self.situational = SituationalState(v.rules, v.today) if v.rules else None
        self.delimiters: Delimiters | None = None
        self.first_qualifier: frozenset[str] = frozenset()

    def close(self) -> list[Finding]:
        """Findings due at end of input (none: see the class docstring)."""
        return []

    def feed(self, seg: Segment) -> list[Finding] | None:
        """The findings located at `seg` (None or [] when there are none)."""
        found = self.feed_batch((seg,))
        return found[0] if found else None

    def feed_batch(self, items: Iterable[object]) -> list[list[Finding]]:
        """`feed` each segment of `items` in order (other items are skipped); the
        non-empty findings lists, in that order. The reader's loop over a tokenizer list:
        the run's state stays in locals between segments and is written back before
        anything that reads it from `self` (the envelope, the walk, a finding) and at the
        end."""
        out: list[list[Finding]] = []
        m, steps, node, counts = self.map, self.steps, self.node, self.counts
        delimiters, position = self.delimiters, self.set_position
        usual, quiet = self.usual, self.quiet
        situational_state = self.situational
        remembered, today = ((situational_state.dates, situational_state.today_text)
                             if situational_state is not None else ({}, ""))
        for seg in items:
            if type(seg) is not Segment:
                continue
            sid = seg.id
            found: list[Finding] | None
            if sid in _ENVELOPE:
                self.node, self.set_position = node, position
                found = self.envelope(seg)
                m, steps, node, counts = self.map, self.steps, self.node, self.counts
                delimiters, position = self.delimiters, self.set_position
                usual, quiet = self.usual, self.quiet
                if found:
                    out.append(found)
                continue
            if m is None:
                continue  # outside a group this validator maps: nothing to say
            position += 1  # read only inside a set (see `location`)
            if seg.delimiters is not delimiters:
                delimiters = self.delimiters = seg.delimiters
                steps = self.steps = self.v.steps_for(m, delimiters)
            # the common case: a step (see edi.ig.steps) that passes nothing missing
            elements = seg.elements
            step = steps[node].get(sid)
            if step is not None and step[0] == BY_FIRST:
                step = step[1].get(elements[0] if elements else None)
            if step is None or step[0] == BY_KEY:
                step = self.v.step(m, node, seg)
            kind = step[0]
            replay = True
            if kind == MATCH:
                _, need, key, most, result, fast, situational = step
            elif kind == ENTER:
                _, need, key, most, reset, zeros, first, result, fast, dates, member, situational = step
            if kind != SLOW:
                # the count stays within its maximum, every Required node passed was seen
                n = counts[key] + 1
                if n <= most:
                    for k in need:
                        if not counts[k]:
                            break
                    else:
                        replay = False
            if replay:  # the whole plan, from the same state
                self.node, self.set_position = node, position
                found = self.walk(m, seg)
                node, counts, position = self.node, self.counts, self.set_position
                if found:
                    out.append(found)
                continue
            if kind == ENTER:
                counts[reset] = zeros
                counts[first] += 1
                if member:
                    self.member += 1
                if dates and remembered:
                    for k in dates:
                        remembered.pop(k, None)
            counts[key] = n
            node = result
            if usual and fast(elements):
                found = None
            elif quiet:
                continue
            else:  # a problem, or a basic partner's segment (the fast path knows the extended set)
                self.node, self.set_position = node, position  # findings read both
                found = self.checks(m, seg, m.nodes[result])
            if situational is not None and not situational[0](seg, elements, remembered, today):
                extra = situational_state.check(seg, situational[1])  # type: ignore[union-attr]
                if extra:
                    self.node, self.set_position = node, position
                    found = self.situational_findings(seg, m.nodes[result], extra, found)
            if found:
                out.append(found)
        self.node, self.set_position = node, position
        return out

    # -- envelope bookkeeping -------------------------------------------------
    def envelope(self, seg: Segment) -> list[Finding] | None:
        """ISA, GS, ST, SE, GE, IEA: the walk, and the bookkeeping around it."""
        try:
            return self._envelope(seg)
        finally:
            self.quiet = not self.seen_st or self.skip_set
            self.usual = not self.quiet and self.charset != "basic"

    def _envelope(self, seg: Segment) -> list[Finding] | None:
        sid = seg.id
        if sid == "ISA":
            self.charset = self.v.charsets.get((seg.get(5).strip(), seg.get(6).strip()), "extended")
            self.icvn = seg.get(12)
            self.isa13 = seg.get(13)
            self.map = None
            self.in_set = False
            self.seen_st = False
            return None
        if sid == "GS":
            return self.start_group(seg)
        m = self.map
        if m is None:
            return None
        if sid == "ST":
            self.in_set = True
            self.seen_st = True
            self.set_position = 1
            self.st02 = seg.get(2)
            self.member = 0
            if self.situational is not None:
                self.situational.start_set()
        elif self.in_set:
            self.set_position += 1
        out = self.walk(m, seg)
        if sid in ("SE", "GE", "IEA"):
            self.in_set = False
        if sid in ("GE", "IEA"):
            self.skip_set = False
        return out

    def start_group(self, seg: Segment) -> list[Finding] | None:
        self.in_set = False
        self.gs06 = seg.get(6)
        version = VERSION_ALIASES.get(seg.get(8), seg.get(8))
        file = self.v.tables.map_index.get((self.icvn, version, seg.get(1)))
        m = self.v.tables.maps.get(file) if file else None
        self.map = m
        self.aliased = version != seg.get(8)
        if m is None:
            if (self.icvn, version, seg.get(1)) in self.v.tables.known_groups:
                return None  # another transaction type (e.g. a 999): not this validator's
            return [
                Finding(
                    code="ig.group.not_validated",
                    severity=Severity.WARNING,
                    level=Level.GROUP,
                    message="no implementation guide map for this functional group version; "
                    "not IG-validated",
                    source=self.source,
                    offset=seg.offset,
                    segment_position=seg.position,
                    segment_id="GS",
                    interchange_control=self.isa13 or None,
                    group_control=self.gs06 or None,
                    validator="compiled",
                )
            ]
        self.plans = self.v.plans_for(m)
        self.delimiters = None  # steps are per map and delimiters: the next segment picks them
        self.first_qualifier = frozenset(
            sid for sid, where in m.qualifier_positions.items() if where == ((1, None),)
        )
        nodes = m.nodes
        self.counts = [0] * (max(n.count_key for n in nodes) + 1)
        for n in (m.isa_loop, m.isa, m.gs_loop, m.gs):
            self.counts[nodes[n].count_key] = 1
        self.node = m.gs
        member_loops = [n for n in nodes if n.kind == "loop" and n.id == "2000"]
        prefix = member_loops[0].path + "/" if member_loops else "\0"
        self.member_nodes = frozenset(n.index for n in nodes if n.path.startswith(prefix))
        return None

    # -- the walk ---------------------------------------------------------------
    def walk(self, m: TransactionMap, seg: Segment) -> list[Finding] | None:
        """Replay the whole plan for `seg` from the current node: every structure finding."""
        sid = seg.id
        elements = seg.elements
        node_now = self.node
        if sid in self.first_qualifier:
            # raw element 1 decides the node (a finer key than needed, never a coarser one)
            key: tuple[object, ...] = (node_now, sid, elements[0] if elements else None)
        elif sid in m.qualifier_positions:
            key = (node_now, segment_key(m, sid, elements, seg.delimiters.component))
        else:
            key = (node_now, sid)
        plan = self.plans.get(key)
        if plan is None:
            plan = build_plan(m, node_now, segment_key(m, sid, elements, seg.delimiters.component))
            if len(self.plans) >= _PLAN_LIMIT:
                self.plans.clear()  # qualifier values come from the data: keep memory bounded
            self.plans[key] = plan
        ops, result = plan
        nodes = m.nodes
        counts = self.counts
        errors: list[tuple[str, int]] = []
        entered: list[str] = []
        pending: list[tuple[str, int]] = []
        for op in ops:
            code = op[0]
            if code == MATCH_SEG:
                child = nodes[op[1]]
                k = child.count_key
                n = counts[k] + 1
                counts[k] = n
                if child.usage == "N":
                    errors.append(("ig.segment.not_used", child.index))
                elif n > child.max_repeat:
                    errors.append(("ig.segment.over_max", child.index))
                if pending:
                    eq = child.eq_key
                    kept = [p for p in pending if nodes[p[1]].eq_key != eq]
                    errors.extend(p for p in kept if nodes[p[1]].pos != child.pos)
                    pending = [p for p in kept if nodes[p[1]].pos == child.pos]
            elif code == MISS_SEG:
                if counts[nodes[op[1]].count_key] < 1:
                    pending.append(("ig.segment.missing", op[1]))
            elif code == ENTER_LOOP:
                loop = nodes[op[1]]
                if loop.usage == "N":
                    errors.append(("ig.segment.not_used", op[2]))
                else:
                    lk = loop.count_key
                    for k in loop.descendant_keys:
                        counts[k] = 0
                    n = counts[lk] + 1
                    counts[lk] = n
                    if n > loop.max_repeat:
                        errors.append(("ig.loop.over_max", loop.index))
                    if loop.id == "2000":
                        self.member += 1
                first = nodes[op[2]].count_key
                counts[first] += 1
                entered.append(loop.id)
                if pending:
                    errors.extend(pending)
                    pending = []
            elif code == MISS_LOOP:
                if counts[nodes[op[1]].count_key] < 1:
                    pending.append(("ig.loop.missing", op[2]))
            elif code == NOT_FOUND:
                errors.append(("ig.segment.unexpected", node_now))
        if result is not None:
            self.node = result
        if sid == "ST":
            # a set whose ST the guide does not recognise (ST01 not 834) is not this
            # validator's to judge; edi.envelope reports it
            self.skip_set = result is None
        if not self.seen_st or self.skip_set:
            return None  # nothing of a transaction set yet: the envelope check's business
        here = nodes[result] if result is not None else None
        out = [self.walk_finding(seg, rule, nodes[where], here) for rule, where in errors]
        if sid in ("GE", "IEA"):
            return out  # their elements are the envelope check's
        out += self.checks(m, seg, here)
        if here is None:
            return out
        situational = self.situational
        if situational is not None and (
            sid in situational.segment_ids or (entered and situational.dates)
        ):
            extra = situational.segment(seg, here.loop_id, entered)
            if extra:
                self.situational_findings(seg, here, extra, out)
        return out

    def checks(self, m: TransactionMap, seg: Segment, here: Node | None) -> list[Finding]:
        """Segment syntax and (when matched to `here`) element problems of `seg`."""
        elements = seg.elements
        out: list[Finding] = []
        if not elements or elements[-1] == "":
            if elements:
                out.append(self.segment_problem(seg, here, "ig.segment.trailing_separators"))
            if not any(elements):
                out.append(self.segment_problem(seg, here, "ig.segment.empty"))
        if here is not None:
            found = self.v.problems(m, here, seg)
            if self.charset != "extended":  # the sender's agreed character set
                found = adjust(found, seg, here, self.charset, m.icvn)
            for p in found:
                f = self.problem_finding(seg, here, p)
                if f is not None:
                    out.append(f)
        return out

    def situational_findings(self, seg: Segment, here: Node, extra: list[Finding],
                             out: list[Finding] | None) -> list[Finding]:
        """`out` (a new list when None) with situational findings `extra` of `seg` located."""
        member = self.member if here.index in self.member_nodes else None
        where = self.location(seg, here.loop_id, member)
        if out is None:
            out = []
        out.extend(replace(f, **where) for f in extra)
        return out

    # -- findings ---------------------------------------------------------------
    def location(self, seg: Segment, loop_id: str | None, member: int | None) -> dict[str, Any]:
        return {
            "source": self.source,
            "offset": seg.offset,
            "segment_position": seg.position,
            "set_position": self.set_position if self.in_set else None,
            "interchange_control": self.isa13 or None,
            "group_control": self.gs06 or None,
            "set_control": self.st02 or None,
            "member_ordinal": member,
            "loop_id": loop_id or None,
        }

    def walk_finding(self, seg: Segment, rule: str, where: Node, here: Node | None) -> Finding:
        """A structure finding; `where` is the node concerned, `here` the segment's own node.

        The loop reported is the loop of the segment being read (None when it
        matches nothing), as the pyx12 adapter reports it.
        """
        x12 = {
            "ig.segment.unexpected": "1",
            "ig.segment.not_used": "2",
            "ig.segment.missing": "3",
            "ig.loop.missing": "3",
            "ig.loop.over_max": "4",
            "ig.segment.over_max": "5",
        }[rule]
        seg_id = where.id if rule in ("ig.segment.missing", "ig.loop.missing") else seg.id
        loop_id = here.loop_id if here is not None else None
        member = self.member if where.index in self.member_nodes else None
        return Finding(
            code=rule,
            severity=Severity.ERROR,
            level=Level.SEGMENT,
            message=f"{seg_id}: {WALK_TEXT[rule]}",
            segment_id=seg_id,
            x12_code=x12,
            validator="compiled",
            **self.location(seg, loop_id, member),
        )

    def segment_problem(self, seg: Segment, node: Node | None, rule: str) -> Finding:
        """A segment-syntax problem found while reading (IK304 8), whatever the map says."""
        member = self.member if node is not None and node.index in self.member_nodes else None
        return Finding(
            code=rule,
            severity=Severity.ERROR,
            level=Level.SEGMENT,
            message=f"{seg.id}: {PROBLEM_TEXT[rule]}",
            segment_id=seg.id,
            x12_code="8",
            validator="compiled",
            **self.location(seg, node.loop_id if node is not None else None, member),
        )

    def problem_finding(self, seg: Segment, node: Node | None, p: Problem) -> Finding | None:
        """An element/segment problem of `seg` (matched to `node`, None when unmatched)."""
        member = self.member if node is not None and node.index in self.member_nodes else None
        ref = f"{seg.id}{p.element:02d}" if p.element is not None else seg.id
        if p.component is not None:
            ref += f"-{p.component:02d}"
        level = Level.ELEMENT if p.kind == "E" else Level.SEGMENT
        x12 = p.x12_code
        loop_id = node.loop_id if node is not None else None
        data_element = p.data_element
        if self.aliased and seg.id == "ST" and p.element == 3:
            return None  # ST03 of a pre-errata group: version policy is the envelope's
        if p.kind == "E" and seg.id in ("ST", "SE") and p.element is not None:
            # pyx12 files ST/SE element errors under the transaction set (IK502)
            level = Level.TRANSACTION_SET
            x12 = _CONTROL_IK502.get((seg.id, p.element), "5")
            loop_id = None
            data_element = None
        return Finding(
            code=p.rule,
            severity=Severity.ERROR,
            level=level,
            message=f"{ref}: {PROBLEM_TEXT[p.rule]}",
            segment_id=seg.id,
            element=p.element,
            component=p.component,
            data_element=data_element,
            x12_code=x12,
            validator="compiled",
            **self.location(seg, loop_id, member),
        )


_Run = ValidationRun
"""The former name (tests and older callers)."""
