"""The message texts of the compiled validator's findings: positions and rules, never values."""

from __future__ import annotations

WALK_TEXT = {
    "ig.segment.unexpected": "segment is not expected here by the implementation guide",
    "ig.segment.not_used": "segment is marked Not Used by the implementation guide",
    "ig.segment.missing": "mandatory segment is missing",
    "ig.loop.missing": "mandatory loop is missing",
    "ig.loop.over_max": "loop occurs more often than the implementation guide allows",
    "ig.segment.over_max": "segment occurs more often than the implementation guide allows",
}
"""Structure findings (level SEGMENT): rule -> message text (after the segment id)."""

PROBLEM_TEXT = {
    "ig.element.unexpected_composite": "simple element holds component separators",
    "ig.element.missing": "mandatory element is missing",
    "ig.element.not_used": "element is marked Not Used but present",
    "ig.element.too_short": "element is shorter than its minimum length",
    "ig.element.too_long": "element is longer than its maximum length",
    "ig.element.control_character": "element contains a control character",
    "ig.element.trailing_spaces": "element has unnecessary trailing spaces",
    "ig.element.code": "element value is not a valid code here",
    "ig.element.date": "element is not a valid date",
    "ig.element.time": "element is not a valid time",
    "ig.element.invalid_character": "element contains characters invalid for its data type",
    "ig.element.pattern": "element does not match the implementation guide's pattern",
    "ig.composite.missing": "mandatory composite is missing",
    "ig.composite.not_used": "composite is marked Not Used but present",
    "ig.composite.too_many_components": "composite has more components than defined",
    "ig.segment.too_many_elements": "segment has more elements than defined",
    "ig.segment.trailing_separators": "segment ends with empty elements (trailing separators)",
    "ig.segment.empty": "segment has no data elements",
    "ig.syntax.conditional": "relational condition violated (paired or conditional elements)",
    "ig.syntax.exclusion": "relational condition violated (mutually exclusive elements)",
}
"""Element, composite and segment-syntax problems: rule -> message text (after the reference)."""
