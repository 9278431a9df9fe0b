"""Situational rules the implementation guide states but pyx12 does not enforce.

Each rule is data: a frozen record naming the segment, the loops it applies
in, the condition and what must hold, with a severity and an X12 code. One
evaluator per rule kind (`RequiredWhen`, `AllowedWhen`, `DateNotFuture`,
`DateOrder`) reads them; adding a rule means adding a record to `RULES`.

Severity, as decided here:
- ERROR where the TR3 itself states the requirement (INS07 for COBRA,
  INS02 = 18 for a subscriber): a receiver cannot process the member as sent.
- WARNING for date plausibility (a birth or death date in the future, an end
  before its begin): syntactically valid, most likely a keying error, and
  better routed to review than rejected.

Findings name positions and codes only; dates are compared in memory and
never written anywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from edi.findings import Finding, Level, Severity
from edi.segments import Segment

Ref = tuple[int, int | None]
"""(element, component or None), 1-based."""


@dataclass(frozen=True, slots=True)
class RequiredWhen:
    """`require` must be present when `when` holds one of `values`."""

    id: str
    segment: str
    loops: frozenset[str]
    when: Ref
    values: frozenset[str]
    require: Ref
    severity: Severity
    x12_code: str
    message: str


@dataclass(frozen=True, slots=True)
class AllowedWhen:
    """`element` must be one of `allowed` when `when` holds one of `values`."""

    id: str
    segment: str
    loops: frozenset[str]
    when: Ref
    values: frozenset[str]
    element: Ref
    allowed: frozenset[str]
    severity: Severity
    x12_code: str
    message: str


@dataclass(frozen=True, slots=True)
class DateNotFuture:
    """A CCYYMMDD date (format element = D8) must not be after today."""

    id: str
    segment: str
    loops: frozenset[str]
    format_element: int
    date_element: int
    severity: Severity
    x12_code: str
    message: str


@dataclass(frozen=True, slots=True)
class DateOrder:
    """Within one loop instance, DTP*`later` must not be before DTP*`earlier`.

    The pair is compared when its second date arrives; entering any loop in
    `scope` starts a new instance.
    """

    id: str
    scope: frozenset[str]
    loops: frozenset[str]
    earlier: str
    later: str
    severity: Severity
    x12_code: str
    message: str


SituationalRule = RequiredWhen | AllowedWhen | DateNotFuture | DateOrder

RULES: tuple[SituationalRule, ...] = (
    RequiredWhen(
        id="situational.ins07_cobra_event",
        segment="INS",
        loops=frozenset({"2000"}),
        when=(5, None),
        values=frozenset({"C"}),
        require=(7, None),
        severity=Severity.ERROR,
        x12_code="I9",
        message="INS07 (COBRA qualifying event) is required when INS05 is C (COBRA)",
    ),
    AllowedWhen(
        id="situational.ins02_subscriber_self",
        segment="INS",
        loops=frozenset({"2000"}),
        when=(1, None),
        values=frozenset({"Y"}),
        element=(2, None),
        allowed=frozenset({"18"}),
        severity=Severity.ERROR,
        x12_code="7",
        message="INS02 must be 18 (self) when INS01 is Y (subscriber)",
    ),
    DateNotFuture(
        id="situational.ins12_death_future",
        segment="INS",
        loops=frozenset({"2000"}),
        format_element=11,
        date_element=12,
        severity=Severity.WARNING,
        x12_code="8",
        message="INS12 (member death date) is in the future",
    ),
    DateNotFuture(
        id="situational.dmg02_birth_future",
        segment="DMG",
        loops=frozenset({"2100A", "2100B"}),
        format_element=1,
        date_element=2,
        severity=Severity.WARNING,
        x12_code="8",
        message="DMG02 (birth date) is in the future",
    ),
    DateOrder(
        id="situational.dtp349_before_348",
        scope=frozenset({"2300", "2000"}),
        loops=frozenset({"2300"}),
        earlier="348",
        later="349",
        severity=Severity.WARNING,
        x12_code="8",
        message="DTP*349 (benefit end) is before DTP*348 (benefit begin) in this coverage",
    ),
    DateOrder(
        id="situational.dtp357_before_356",
        scope=frozenset({"2000"}),
        loops=frozenset({"2000"}),
        earlier="356",
        later="357",
        severity=Severity.WARNING,
        x12_code="8",
        message="DTP*357 (eligibility end) is before DTP*356 (eligibility begin) for this member",
    ),
)


def _value(seg: Segment, ref: Ref) -> str:
    element, component = ref
    return seg.get(element) if component is None else seg.component(element, component)


def _d8(text: str) -> dt.date | None:
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _finding(rule: SituationalRule, seg: Segment, element: int | None) -> Finding:
    return Finding(
        code=rule.id,
        severity=rule.severity,
        level=Level.ELEMENT if element is not None else Level.SEGMENT,
        message=rule.message,
        segment_id=seg.id,
        element=element,
        x12_code=rule.x12_code,
        validator="situational",
    )


class SituationalState:
    """Evaluates `rules` over the segments of transaction sets, one set at a time."""

    def __init__(self, rules: tuple[SituationalRule, ...], today: dt.date | None = None) -> None:
        self.rules = rules
        self.today = today or dt.date.today()
        self.by_segment: dict[str, list[SituationalRule]] = {}
        self.orders = [r for r in rules if isinstance(r, DateOrder)]
        for r in rules:
            if not isinstance(r, DateOrder):
                self.by_segment.setdefault(r.segment, []).append(r)
        self.dates: dict[tuple[str, str], str] = {}
        """CCYYMMDD texts seen in the current loop instances (in memory only, never reported)."""
        self.today_text = self.today.strftime("%Y%m%d")
        self.order_qualifiers = frozenset(q for r in self.orders for q in (r.earlier, r.later))
        self.segment_ids = frozenset(self.by_segment) | ({"DTP"} if self.orders else frozenset())
        """Segment ids any rule looks at (callers may skip the others)."""

    def start_set(self) -> None:
        self.dates.clear()

    def segment(self, seg: Segment, loop_id: str, entered: list[str]) -> list[Finding]:
        """Findings for `seg`, matched in loop `loop_id`, after entering loops `entered`."""
        out: list[Finding] = []
        if entered and self.dates:
            for r in self.orders:
                if r.scope.intersection(entered):
                    self.dates.pop((r.id, r.earlier), None)
                    self.dates.pop((r.id, r.later), None)
        for rule in self.by_segment.get(seg.id, ()):
            if loop_id not in rule.loops:
                continue
            if isinstance(rule, RequiredWhen):
                if _value(seg, rule.when) in rule.values and not _value(seg, rule.require):
                    out.append(_finding(rule, seg, rule.require[0]))
            elif isinstance(rule, AllowedWhen):
                if _value(seg, rule.when) in rule.values:
                    value = _value(seg, rule.element)
                    if value and value not in rule.allowed:
                        out.append(_finding(rule, seg, rule.element[0]))
            elif isinstance(rule, DateNotFuture) and seg.get(rule.format_element) == "D8":
                text = seg.get(rule.date_element)
                # CCYYMMDD strings order like dates; parse only a candidate
                if text > self.today_text and _d8(text) is not None:
                    out.append(_finding(rule, seg, rule.date_element))
        if seg.id == "DTP" and seg.get(1) in self.order_qualifiers and seg.get(2) == "D8":
            out += self._order(seg, loop_id)
        return out

    def _order(self, seg: Segment, loop_id: str) -> list[Finding]:
        out: list[Finding] = []
        qualifier = seg.get(1)
        text = seg.get(3)
        if len(text) != 8 or not text.isdigit():
            return out
        for r in self.orders:
            if loop_id not in r.loops or qualifier not in (r.earlier, r.later):
                continue
            self.dates[(r.id, qualifier)] = text
            begin = self.dates.get((r.id, r.earlier))
            end = self.dates.get((r.id, r.later))
            if (
                begin is not None and end is not None and end < begin
                and _d8(begin) is not None and _d8(end) is not None
            ):
                out.append(_finding(r, seg, 3))
        return out
