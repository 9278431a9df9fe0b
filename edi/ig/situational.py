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
from collections.abc import Callable
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


OrderCheck = tuple[DateOrder, str, str, str]
"""A date order to check on a DTP: (rule, key of this date, key of the begin, key of the end)."""

Applicable = tuple[tuple[SituationalRule, ...], dict[str, tuple[OrderCheck, ...]]]
"""What to check on one segment id in one loop: its own rules, and the date orders (DTP)
by the qualifier that concerns them."""


def applicable(rules: tuple[SituationalRule, ...], seg_id: str, loop_id: str,
               first: str | None = None) -> Applicable | None:
    """The rules of `rules` that look at a `seg_id` segment matched in loop `loop_id` (None: none).

    `first`, when known, is the segment's element 1 ('' when absent): rules
    whose condition on element 1 it cannot meet are left out.
    """
    own = tuple(
        r for r in rules
        if not isinstance(r, DateOrder) and r.segment == seg_id and loop_id in r.loops
        and (first is None or _may_fire(r, first))
    )
    orders: dict[str, tuple[OrderCheck, ...]] = {}
    if seg_id == "DTP":
        for r in rules:
            if isinstance(r, DateOrder) and loop_id in r.loops:
                for q in dict.fromkeys((r.earlier, r.later)):
                    if first is None or q == first:
                        check = (r, date_key(r, q), date_key(r, r.earlier), date_key(r, r.later))
                        orders[q] = orders.get(q, ()) + (check,)
    return (own, orders) if own or orders else None


Screen = Callable[[Segment, tuple[str, ...], dict[str, str], str], bool]
"""`screen(seg, seg.elements, state.dates, state.today_text)`: True when `check` would
certainly find nothing; it remembers what `check` remembers (see `compile_screen`)."""


def compile_screen(rules: Applicable) -> Screen:
    """A screen for `rules`: the common case of `SituationalState.check` without its
    generality, generated once per step (`edi.ig.steps`).

    It remembers the dates `check` would remember and returns True only when `check`
    would find nothing; False means "not known" and the caller runs `check`, which
    remembers the same dates again (the same values under the same keys) and decides.
    A date after today fails the screen before its calendar validity is known."""
    own, orders = rules
    scope: dict[str, object] = {}

    def const(value: object) -> str:
        name = f"c{len(scope)}"
        scope[name] = value
        return name

    def value(ref: Ref) -> str:
        element, component = ref
        if component is not None:
            return f"seg.component({element}, {component})"
        return f"(e[{element - 1}] if n >= {element} else '')"

    lines = ["def screen(seg, e, dates, today):", "    n = len(e)"]
    for rule in own:
        if isinstance(rule, RequiredWhen):
            lines += [f"    if {value(rule.when)} in {const(rule.values)}"
                      f" and not {value(rule.require)}:", "        return False"]
        elif isinstance(rule, AllowedWhen):
            lines += [f"    if {value(rule.when)} in {const(rule.values)}:",
                      f"        v = {value(rule.element)}",
                      f"        if v and v not in {const(rule.allowed)}:", "            return False"]
        elif isinstance(rule, DateNotFuture):
            k = rule.date_element
            lines += [f"    if n >= {k} and e[{k - 1}] > today"
                      f" and {value((rule.format_element, None))} == 'D8':", "        return False"]
    if orders:
        lines += ["    if n > 2 and e[1] == 'D8':", "        q = e[0]"]
        for q, checks in orders.items():
            lines += [f"        if q == {q!r}:", "            text = e[2]",
                      "            if len(text) == 8 and text.isdigit():"]
            for _, key, earlier, later in checks:
                lines += [f"                dates[{key!r}] = text",
                          f"                b = dates.get({earlier!r})",
                          f"                x = dates.get({later!r})",
                          "                if b is not None and x is not None and x < b:",
                          "                    return False"]
    lines.append("    return True")
    exec(compile("\n".join(lines), "<situational screen>", "exec"), scope)  # rule data only
    return scope["screen"]  # type: ignore[return-value]


def _may_fire(rule: SituationalRule, first: str) -> bool:
    """Whether `rule` can report on a segment whose element 1 is `first`."""
    if isinstance(rule, (RequiredWhen, AllowedWhen)) and rule.when == (1, None):
        return first in rule.values
    if isinstance(rule, DateNotFuture) and rule.format_element == 1:
        return first == "D8"
    return True


def date_key(rule: DateOrder, qualifier: str) -> str:
    """Where `SituationalState.dates` keeps the date of `qualifier` for `rule`."""
    return f"{rule.id}/{qualifier}"


def scoped_dates(rules: tuple[SituationalRule, ...], loop_id: str) -> tuple[str, ...]:
    """The remembered dates that starting loop `loop_id` again forgets (see `SituationalState.enter`)."""
    return tuple(
        date_key(r, q) for r in rules if isinstance(r, DateOrder) and loop_id in r.scope
        for q in (r.earlier, r.later)
    )


class SituationalState:
    """Evaluates `rules` over the segments of transaction sets, one set at a time."""

    def __init__(self, rules: tuple[SituationalRule, ...], today: dt.date | None = None) -> None:
        self.rules = rules
        self.today = today or dt.date.today()
        self.orders = [r for r in rules if isinstance(r, DateOrder)]
        self.dates: dict[str, str] = {}
        """CCYYMMDD texts seen in the current loop instances (in memory only, never reported)."""
        self.today_text = self.today.strftime("%Y%m%d")
        self.segment_ids = frozenset(r.segment for r in rules if not isinstance(r, DateOrder)) | (
            {"DTP"} if self.orders else frozenset()
        )
        """Segment ids any rule looks at (callers may skip the others)."""
        self._applicable: dict[tuple[str, str], Applicable | None] = {}

    def start_set(self) -> None:
        self.dates.clear()

    def enter(self, entered: list[str]) -> None:
        """Loops `entered` start again: forget the dates of the orders scoped to them."""
        if self.dates:
            for r in self.orders:
                if r.scope.intersection(entered):
                    self.dates.pop(date_key(r, r.earlier), None)
                    self.dates.pop(date_key(r, r.later), None)

    def segment(self, seg: Segment, loop_id: str, entered: list[str]) -> list[Finding]:
        """Findings for `seg`, matched in loop `loop_id`, after entering loops `entered`."""
        if entered:
            self.enter(entered)
        key = (seg.id, loop_id)
        if key not in self._applicable:
            self._applicable[key] = applicable(self.rules, seg.id, loop_id)
        rules = self._applicable[key]
        return (self.check(seg, rules) if rules is not None else None) or []

    def check(self, seg: Segment, rules: Applicable) -> list[Finding] | None:
        """Findings for `seg` under `rules` (from `applicable` for its id and loop); None: none."""
        own, orders = rules
        out: list[Finding] | None = None
        e = seg.elements
        n = len(e)
        for rule in own:
            if isinstance(rule, RequiredWhen):
                if _value(seg, rule.when) in rule.values and not _value(seg, rule.require):
                    out = (out or []) + [_finding(rule, seg, rule.require[0])]
            elif isinstance(rule, AllowedWhen):
                if _value(seg, rule.when) in rule.values:
                    value = _value(seg, rule.element)
                    if value and value not in rule.allowed:
                        out = (out or []) + [_finding(rule, seg, rule.element[0])]
            elif isinstance(rule, DateNotFuture):
                k = rule.date_element
                # CCYYMMDD strings order like dates; parse only a candidate
                if (n >= k and e[k - 1] > self.today_text and seg.get(rule.format_element) == "D8"
                        and _d8(e[k - 1]) is not None):
                    out = (out or []) + [_finding(rule, seg, k)]
        if orders and n > 2 and e[1] == "D8" and e[0] in orders:
            text = e[2]
            if len(text) == 8 and text.isdigit():
                dates = self.dates
                for r, key, earlier, later in orders[e[0]]:
                    dates[key] = text
                    begin = dates.get(earlier)
                    end = dates.get(later)
                    if (
                        begin is not None and end is not None and end < begin
                        and _d8(begin) is not None and _d8(end) is not None
                    ):
                        out = (out or []) + [_finding(r, seg, 3)]
        return out
