"""Plans: how to get from one map node to the node matching the next segment.

Finding the map node for a segment means scanning the current loop from the
current position, then its parents, entering loops whose first segment
matches. Which nodes that scan visits depends only on where we are and on the
segment's id and qualifier — not on counts — so the scan is computed once per
(start node, segment key) and memoized as a `Plan`: a short tuple of count
operations the validator replays against its counters. The operations and
their order reproduce pyx12's map walker, so the findings agree with pyx12's.

Operations (first item is the opcode):
- (MISS_SEG, seg)            — a Required segment was passed: pending "missing" if never counted
- (MISS_LOOP, loop, first)   — a Required loop was passed: pending "missing" if never counted
- (MATCH_SEG, seg)           — the segment matched: count it, check max use, settle pending
- (ENTER_LOOP, loop, first)  — the segment starts `loop` again: reset its children, count, check repeat
- (NOT_FOUND,)               — no node matches: the segment is not expected here
"""

from __future__ import annotations

from edi.ig.compile import Node, TransactionMap

MISS_SEG = 0
MISS_LOOP = 1
MATCH_SEG = 2
ENTER_LOOP = 3
NOT_FOUND = 4

Op = tuple[int, ...]
Plan = tuple[tuple[Op, ...], int | None]
"""(operations, index of the matched segment node or None)."""

QualValues = dict[tuple[int, int | None], str | None]


def segment_key(
    m: TransactionMap, seg_id: str, elements: tuple[str, ...], sep: str
) -> tuple[str, tuple[str | None, ...]]:
    """The part of a segment that decides which node it matches: id plus qualifier values."""
    positions = m.qualifier_positions.get(seg_id)
    if not positions:
        return (seg_id, ())
    vals: list[str | None] = []
    for e, c in positions:
        raw = elements[e - 1] if e <= len(elements) else None
        if raw is None:
            vals.append(None)
        elif c is None:
            vals.append(raw.rstrip(sep) if sep in raw else raw)
        else:
            parts = raw.split(sep)
            vals.append(parts[c - 1] if c <= len(parts) else None)
    return (seg_id, tuple(vals))


class _Planner:
    def __init__(self, m: TransactionMap, seg_id: str, quals: QualValues) -> None:
        self.nodes = m.nodes
        self.seg_id = seg_id
        self.quals = quals
        self.ops: list[Op] = []

    def matches(self, node: Node) -> bool:
        if node.kind != "segment" or node.id != self.seg_id:
            return False
        q = node.qualifier
        return q is None or self.quals.get((q[0], q[1])) in q[2]

    def is_loop_match(self, loop: Node) -> bool:
        if not loop.children:
            return False
        first = self.nodes[loop.children[0]]
        if first.kind == "loop":
            return any(
                self.is_loop_match(self.nodes[c])
                for c in loop.children
                if self.nodes[c].kind == "loop"
            )
        if self.matches(first):
            return True
        if loop.usage == "R":
            self.ops.append((MISS_LOOP, loop.index, first.index))
        return False

    def enter(self, loop: Node) -> int | None:
        if loop.children:
            first = self.nodes[loop.children[0]]
            if first.kind == "segment" and self.matches(first):
                self.ops.append((ENTER_LOOP, loop.index, first.index))
                return first.index
        for c in loop.children:
            child = self.nodes[c]
            if child.kind == "loop":
                found = self.enter(child)
                if found is not None:
                    return found
        return None

    def scan(self, node: Node, from_pos: int) -> tuple[bool, int | None]:
        for c in node.children:
            child = self.nodes[c]
            if child.pos < from_pos:
                continue
            if child.kind == "segment":
                if self.matches(child):
                    if node.kind == "loop" and self.is_loop_match(node):
                        return True, self.enter(node)
                    self.ops.append((MATCH_SEG, child.index))
                    return True, child.index
                if child.usage == "R":
                    self.ops.append((MISS_SEG, child.index))
            elif self.is_loop_match(child):
                return True, self.enter(child)
        return False, None

    def plan(self, start: int) -> Plan:
        orig = self.nodes[start]
        node = orig if orig.kind != "segment" else self.nodes[orig.parent or 0]
        from_pos = orig.pos
        while True:
            found, result = self.scan(node, from_pos)
            if found:
                return tuple(self.ops), result
            if node.kind == "root" or node.parent is None:
                self.ops.append((NOT_FOUND,))
                return tuple(self.ops), None
            from_pos = node.pos
            node = self.nodes[node.parent]


def build_plan(m: TransactionMap, start: int, key: tuple[str, tuple[str | None, ...]]) -> Plan:
    """The plan from node `start` for a segment with `key` (see `segment_key`)."""
    seg_id, vals = key
    positions = m.qualifier_positions.get(seg_id, ())
    quals: QualValues = dict(zip(positions, vals, strict=False))
    return _Planner(m, seg_id, quals).plan(start)
