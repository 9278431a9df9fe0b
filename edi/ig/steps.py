"""Steps: a plan reduced to what a segment that breaks no structure rule costs.

A `Plan` (see `walk.py`) lists every count operation of pyx12's map walk from
one node for one segment key. For the segments of a well-formed file the walk
always ends the same way: every Required segment or loop it passes was already
seen, and the matched segment (or loop) stays within its repeat count. A
`Step` keeps only what that case needs, as a flat tuple the validator unpacks:

- `(MATCH, need, key, most, result, fast, situational)` — the segment matched
  in its loop: count `key`, which must stay <= `most`;
- `(ENTER, need, key, most, reset, zeros, first, result, fast, dates, member, situational)`
  — the segment starts a loop again: forget the counts of its descendants
  (`counts[reset] = zeros`: their counter keys are one run) and the
  situational rules' remembered `dates`, count the loop (`key`, <= `most`)
  and its first segment (`first`); `member` when the loop is a member loop
  (2000);
- `(SLOW,)` — anything else (a segment not expected, Not Used, no match): the
  validator replays the whole plan.

`need` is the tuple of counter keys that must already be counted (the Required
nodes passed on the way); when one is not, or a count would go over its
maximum, the validator replays the plan instead, from the same state, so the
step never decides a finding. `fast` is the fast-path test of the matched
node's elements (`edi.ig.fastpath`: true means no element problem), so step
tables are per delimiter set; `situational` is what `edi.ig.situational`
checks for this segment id in the matched loop, as `(screen, applicable)`: the
compiled screen of the common case, and the rules `check` evaluates when the
screen cannot tell (None: nothing to check).

Steps are looked up per map node, by segment id, then (for ids whose node
depends on a qualifier) by the raw first element (`BY_FIRST`) or by the
segment key (`BY_KEY`): a dict `{value: Step}` at index 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edi.ig.compile import TransactionMap
from edi.ig.situational import SituationalRule, applicable, compile_screen, scoped_dates
from edi.ig.walk import ENTER_LOOP, MATCH_SEG, MISS_LOOP, MISS_SEG, Plan

MATCH = 0
ENTER = 1
SLOW = 2
BY_FIRST = 3
BY_KEY = 4

Step = tuple[Any, ...]
"""One of the tuples above (first item: MATCH, ENTER, SLOW, BY_FIRST or BY_KEY)."""

SLOW_STEP: Step = (SLOW,)


FastCheck = Callable[[tuple[str, ...]], bool]


def build_step(m: TransactionMap, start: int, plan: Plan, rules: tuple[SituationalRule, ...],
               fast: Callable[[int], FastCheck], first: str | None = None) -> Step:
    """The step for `plan` (the plan of map `m` from node `start`), checking situational `rules`.

    `fast(node index)` gives the fast-path test of a node's elements; `first`
    is the segments' element 1 when the step is only for that value (None:
    any value).
    """
    ops, result = plan
    if result is None or not ops:
        return SLOW_STEP
    nodes = m.nodes
    *passed, last = ops
    need: set[int] = set()
    for op in passed:
        if op[0] not in (MISS_SEG, MISS_LOOP):
            return SLOW_STEP
        need.add(nodes[op[1]].count_key)
    # the node the walk stands on was counted when it got there (a match, or
    # the first segment of a loop it entered; GS at the start of a group)
    need.discard(nodes[start].count_key)
    needed = tuple(sorted(need))
    here = nodes[result]
    found = applicable(rules, here.id, here.loop_id, first) if rules else None
    situational = (compile_screen(found), found) if found is not None else None
    if last[0] == MATCH_SEG and last[1] == result:
        if here.usage == "N":
            return SLOW_STEP
        return (MATCH, needed, here.count_key, here.max_repeat, result, fast(result), situational)
    if last[0] == ENTER_LOOP and last[2] == result:
        loop = nodes[last[1]]
        if loop.usage == "N":
            return SLOW_STEP
        keys = loop.descendant_keys
        low, high = (min(keys), max(keys) + 1) if keys else (0, 0)
        if high - low != len(keys):
            return SLOW_STEP  # not one run of keys (no map compiled here has that)
        return (ENTER, needed, loop.count_key, loop.max_repeat, slice(low, high), (0,) * (high - low),
                here.count_key, result, fast(result), scoped_dates(rules, loop.id), loop.id == "2000",
                situational)
    return SLOW_STEP
