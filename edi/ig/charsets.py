"""Which characters a trading partner may use: the X12 basic or extended character set, or
UTF-8 when the partners agreed on it.

The compiled validator judges AN and ID values against the extended set (what pyx12 and
the implementation guide expect). `adjust(problems, seg, node, charset)` turns what it
found into what a partner's character set says:

- `extended` (the default): unchanged;
- `basic`: also an IK403 6 (`ig.element.invalid_character`) for every AN/ID value holding a
  character outside the basic set (upper-case letters, digits, space and
  ``! " & ' ( ) * + , - . / : ; ? =``) — lower-case letters, for one;
- `utf-8`: an invalid-character problem is dropped when the value is valid once its
  non-ASCII letters are set aside (accented names by agreement); control characters and
  ASCII characters outside the extended set still count.

Values are only looked at, never put into a problem (they may be PHI).
"""

from __future__ import annotations

import re

from edi.ig.checks import Problem, valid_type
from edi.ig.compile import CompositeRule, ElementRule, Node
from edi.segments import Segment

CHARSETS = ("basic", "extended", "utf-8")
DEFAULT = "extended"
_BASIC_BAD = re.compile("[^A-Z0-9!\"&'()*+,\\-./:;?= ]")
_NON_ASCII_LETTER = re.compile(r"[^\x00-\x7f]")
_INVALID = "ig.element.invalid_character"
_TEXT_TYPES = ("AN", "ID")


def _values(seg: Segment, rule: ElementRule, position: int, component: int | None) -> list[str]:
    raw = seg.elements[position - 1] if 0 < position <= len(seg.elements) else ""
    rep = seg.delimiters.repetition
    values = raw.split(rep) if rep else [raw]
    if component is not None:
        sep = seg.delimiters.component
        values = [(v.split(sep) + [""] * component)[component - 1] for v in values]
    return [v for v in values if v]


def _rules(node: Node) -> list[tuple[ElementRule, int, int | None]]:
    """(rule, element position, component or None) for every simple value of `node`."""
    out: list[tuple[ElementRule, int, int | None]] = []
    for f in node.fields:
        if isinstance(f, CompositeRule):
            out.extend((c, f.seq, c.seq) for c in f.parts)
        else:
            out.append((f, f.seq, None))
    return out


def adjust(problems: list[Problem], seg: Segment, node: Node, charset: str,
           icvn: str) -> list[Problem]:  # fmt: skip
    """`problems` of `seg` at `node` (judged under the extended set) as `charset` judges them."""
    if charset == "utf-8":
        kept = []
        for p in problems:
            if p.rule == _INVALID and p.element is not None:
                rule = next((r for r, pos, comp in _rules(node)
                             if pos == p.element and comp == p.component), None)  # fmt: skip
                if rule is not None and all(
                    valid_type(_NON_ASCII_LETTER.sub("A", v), rule.data_type, icvn)
                    for v in _values(seg, rule, p.element, p.component)
                ):
                    continue
            kept.append(p)
        return kept
    if charset == "basic":
        seen = {(p.element, p.component) for p in problems if p.x12_code == "6"}
        out = list(problems)
        for rule, pos, comp in _rules(node):
            if rule.data_type not in _TEXT_TYPES or (pos, comp) in seen:
                continue
            if any(_BASIC_BAD.search(v) for v in _values(seg, rule, pos, comp)):
                out.append(Problem("E", "6", _INVALID, pos, comp, rule.data_ele))
        return out
    return problems
