"""The fast path: one generated test function per segment node (and delimiter set).

Most segments are valid. For each map segment node this module writes a
small Python function `ok(elements)` that returns True only when
`checks.check_segment` would report nothing (relational syntax included)
and the segment has no trailing empty element. True means "no problems";
False means "not known": the validator then runs the exact checks of
`checks` (memoized per distinct failing segment). The test is therefore
conservative by construction. What it accepts is a subset of what one
regular expression per node (`_Builder`, the earlier fast path, kept as the
reference for the rarer value kinds) accepts:

- code lists: set membership in the codes that pass every element check;
- AN/ID values: length bounds, no trailing space, no component separator,
  every character printable ASCII (4010 also refuses ^ and `);
- N numbers (unsigned), D8/DT dates (the D8 pattern: calendar-exact except
  29 February), DTP03 and other 1251 values after their format qualifier
  (D8, RD8);
- decimals, times and composites: the regex for that value alone;
- anything harder (patterns, binary, other date forms) never passes.

Testing element by element this way costs a fraction of matching the
joined segment against one large regex. `tests/edi/test_ig_compiled.py`
checks the contract on mutated segments: the fast path never hides a
problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from edi.ig.checks import check_element
from edi.ig.compile import CompositeRule, ElementRule, Node

NEVER = "(?!)"
_BASE = "A-Z0-9!\"&'()*+,\\-./:;?= a-z%~@[]_{}\\|<>#$"
_YEAR = "(?:1[89][0-9]{2}|[2-9][0-9]{3})"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)(?:0[1-9]|[12][0-9]|30)"
    "|02(?:0[1-9]|1[0-9]|2[0-8]))"
)
D8 = _YEAR + _MONTH_DAY
RD8 = D8 + "-" + D8
_TIME = "(?:[01][0-9]|2[0-3])[0-5][0-9](?:[0-5][0-9](?:[0-9]{1,2})?)?"


def _charclass(chars: str, exclude: str) -> str:
    kept = [c for c in dict.fromkeys(chars) if c not in exclude]
    return "[" + "".join(re.escape(c) for c in kept) + "]"


def _allowed_chars(icvn: str) -> str:
    letters = "".join(chr(c) for c in range(ord("A"), ord("Z") + 1))
    lower = letters.lower()
    digits = "0123456789"
    punct = "!\"&'()*+,-./:;?= %~@[]_{}\\|<>#$"
    extra = "^`" if icvn == "00501" else ""
    return letters + lower + digits + punct + extra


class _Builder:
    def __init__(self, icvn: str, element_sep: str, component_sep: str,
                 code_lists: dict[str, frozenset[str]]) -> None:
        self.icvn = icvn
        self.joiner = element_sep
        self.sep = component_sep
        self.code_lists = code_lists
        self.chars = _allowed_chars(icvn)

    def value(self, rule: ElementRule, type_pattern: str | None = None) -> str:
        """Pattern for a non-empty value that `check_element` accepts."""
        if rule.regex is not None or rule.usage == "N":
            return NEVER
        exclude = self.joiner + self.sep
        if rule.codes or rule.external is not None:
            good = sorted(self.good_codes(rule), key=lambda c: (-len(c), c))
            return "(?:" + "|".join(re.escape(c) for c in good) + ")" if good else NEVER
        dtype = rule.data_type
        lo, hi = max(rule.min_len, 1), rule.max_len
        if hi < lo:
            return NEVER
        if type_pattern is not None:
            if dtype not in ("AN", "ID"):
                return NEVER
            return type_pattern
        if dtype in ("AN", "ID"):
            body = _charclass(self.chars, exclude)
            last = _charclass(self.chars, exclude + " ")
            return f"(?:{body}{{{lo - 1},{hi - 1}}}{last})"
        if dtype and dtype[0] == "N":
            return f"-?[0-9]{{{lo},{hi}}}"
        if dtype == "R":
            j = re.escape(self.joiner)
            return (
                f"-?(?:[0-9]{{{lo},{hi}}}"
                f"|(?=[0-9.]{{{lo + 1},{hi + 1}}}(?:{j}|$))[0-9]*\\.[0-9]+)"
            )
        if dtype in ("DT", "D8"):
            return D8 if lo <= 8 <= hi else NEVER
        if dtype == "TM":
            j = re.escape(self.joiner)
            return f"(?=[0-9]{{{lo},{hi}}}(?:{j}|$)){_TIME}"
        return NEVER

    def good_codes(self, rule: ElementRule) -> frozenset[str]:
        """The codes of `rule` that pass every element check (and hold no delimiter)."""
        exclude = self.joiner + self.sep
        codes = set(rule.codes)
        if rule.external is not None:
            codes |= self.code_lists.get(rule.external, frozenset())
        return frozenset(
            c for c in codes if c and not any(ch in exclude for ch in c)
            and not check_element(rule, c, None, self.icvn, self.code_lists, self.sep)
        )

    def required(self, rule: ElementRule) -> bool:
        """Whether a present slot for `rule` must hold a value."""
        return rule.usage == "R" and (rule.seq != 1 or not rule.in_composite or rule.composite_required)

    def slot(self, rule: ElementRule, type_pattern: str | None = None) -> str:
        """A present element slot: its value, or empty where emptiness is allowed."""
        v = self.value(rule, type_pattern)
        return v if self.required(rule) else f"(?:{v})?"

    def composite(self, rule: CompositeRule) -> str:
        if rule.usage == "N":
            return ""
        s = re.escape(self.sep)
        parts = rule.parts
        tail = ""
        for part in reversed(parts[1:]):
            v = self.value(part)
            inner = v if part.usage == "R" else f"(?:{v})?"
            tail = f"(?:{s}{inner}{tail})?" if not _required_from(parts, part.seq) else f"{s}{inner}{tail}"
        first = self.value(parts[0]) if parts else NEVER
        first_slot = first if parts and parts[0].usage == "R" else f"(?:{first})?"
        full = f"(?:{first_slot}{tail})"
        if rule.usage == "R":
            return f"(?=[^{re.escape(self.joiner)}]*[^{re.escape(self.joiner + self.sep)}]){full}"
        return f"(?:{full})?"

    def segment(self, node: Node) -> str:
        fields = node.fields
        formats = dtp_formats(node)
        if formats:
            j = re.escape(self.joiner)
            alts = [f"{f}{j}{D8 if f == 'D8' else RD8}" for f in formats]
            pieces = [self.field(fields[0], {}), f"(?:{'|'.join(alts)})"]
            rest = self.tail(fields, 4, {})
            return pieces[0] + j + pieces[1] + rest
        types = self.types(fields)
        if not fields:
            return ""
        return self.field(fields[0], types) + self.tail(fields, 2, types)

    def types(self, fields: tuple[ElementRule | CompositeRule, ...]) -> dict[int, str]:
        """Patterns for 1251 values whose format a 1250 element of the segment gives."""
        types: dict[int, str] = {}
        type_list = [c for f in fields if isinstance(f, ElementRule) and f.data_ele == "1250"
                     for c in sorted(f.codes)]
        for f in fields:
            if isinstance(f, ElementRule) and f.data_ele == "1251" and type_list:
                known = {"D8": D8, "RD8": RD8}
                alts = [known[t] for t in type_list if t in known]
                whole = len(alts) == len(type_list)
                types[f.seq] = "(?:" + "|".join(alts) + ")" if whole and alts else NEVER
        return types

    def field(self, rule: ElementRule | CompositeRule, types: dict[int, str]) -> str:
        if isinstance(rule, CompositeRule):
            return self.composite(rule)
        return self.slot(rule, types.get(rule.seq))

    def tail(self, fields: tuple[ElementRule | CompositeRule, ...], start: int,
             types: dict[int, str]) -> str:
        j = re.escape(self.joiner)
        out = ""
        for rule in reversed(fields[start - 1:]):
            body = f"{j}{self.field(rule, types)}{out}"
            out = body if _field_required_from(fields, rule.seq) else f"(?:{body})?"
        return out


def _required_from(parts: tuple[ElementRule, ...], seq: int) -> bool:
    return any(p.usage == "R" for p in parts if p.seq >= seq)


def _field_required_from(fields: tuple[ElementRule | CompositeRule, ...], seq: int) -> bool:
    return any(f.usage == "R" for f in fields if f.seq >= seq)


def dtp_formats(node: Node) -> list[str]:
    """For a DTP node: the date formats (D8, RD8) its DTP02 allows that the fast path knows."""
    fields = node.fields
    if node.id != "DTP" or len(fields) < 3 or not isinstance(fields[1], ElementRule):
        return []
    return [c for c in sorted(fields[1].codes) if c in ("D8", "RD8")]


_D8_MATCH = re.compile(D8).fullmatch
_RD8_MATCH = re.compile(RD8).fullmatch
_D8_SEEN: set[str] = set()
"""Values the D8 pattern matched (files repeat their dates): a set look-up instead of the
regex; bounded, so memory stays flat."""


def _d8_ok(value: str) -> bool:
    """Whether `value` matches the D8 pattern (remembered when it does)."""
    if _D8_MATCH(value) is None:
        return False
    if len(_D8_SEEN) >= 65_536:
        _D8_SEEN.clear()
    _D8_SEEN.add(value)
    return True


_D8_TEST = "({v} in D8_SEEN or D8_OK({v}))"
_RD8_TEST = "RD8_MATCH({v}) is not None"


class _Generator:
    """Writes one Python function per node that accepts a subset of what the node's regex does.

    Testing the elements one by one (set membership for codes, length and
    character tests for text and numbers, a small regex for dates) is cheaper
    than matching the whole segment against one regex; values of the rarer
    kinds (decimals, times, composites) are matched against the builder's
    own pattern for that value alone.
    """

    def __init__(self, b: _Builder, node: Node) -> None:
        self.b = b
        self.node = node
        self.scope: dict[str, object] = {
            "D8_SEEN": _D8_SEEN, "D8_OK": _d8_ok, "RD8_MATCH": _RD8_MATCH, "SEP": b.sep,
        }

    def const(self, value: object) -> str:
        name = f"k{len(self.scope)}"
        self.scope[name] = value
        return name

    def regex(self, pattern: str) -> str:
        return f"{self.const(re.compile(pattern, re.DOTALL).fullmatch)}(v) is not None"

    def value(self, rule: ElementRule, formats: list[str] | None = None) -> str:
        """An expression true only when `v` (not empty) is a value `_Builder.value` accepts.

        `formats`: for a 1251 value, the date formats its segment's 1250
        element allows (the value must be a date in one of them).
        """
        b = self.b
        if rule.regex is not None or rule.usage == "N":
            return "False"
        if rule.codes or rule.external is not None:
            good = b.good_codes(rule)
            return f"v in {self.const(good)}" if good else "False"
        dtype = rule.data_type
        lo, hi = max(rule.min_len, 1), rule.max_len
        if hi < lo:
            return "False"
        if formats is not None:
            if dtype not in ("AN", "ID") or not formats or not set(formats) <= {"D8", "RD8"}:
                return "False"
            return " or ".join(f"({_D8_TEST if f == 'D8' else _RD8_TEST})".format(v="v") for f in formats)
        if dtype in ("AN", "ID"):
            short = f"{lo} <= len(v) <= {hi}" if lo > 1 else f"len(v) <= {hi}"
            chars = "" if self.b.icvn == "00501" else " and '^' not in v and '`' not in v"
            return f"{short} and v[-1] != ' ' and v.isascii() and v.isprintable() and SEP not in v{chars}"
        if dtype and dtype[0] == "N":
            return f"{lo} <= len(v) <= {hi} and v.isdigit() and v.isascii()"
        if dtype in ("DT", "D8"):
            return _D8_TEST.format(v="v") if lo <= 8 <= hi else "False"
        pattern = b.value(rule)
        return "False" if pattern == NEVER else self.regex(pattern)

    def field(self, index: int, rule: ElementRule | CompositeRule, formats: list[str] | None) -> list[str]:
        """Lines failing the test when element `index` (present) is not acceptable."""
        v = f"e[{index}]"
        if isinstance(rule, CompositeRule):
            return [f"    v = {v}", f"    if not {self.regex(self.b.composite(rule))}:", "        return False"]
        required = self.b.required(rule)
        test = self.value(rule, formats)
        if test == "False":  # no value passes: the element must be absent (or all fails)
            return ["    return False"] if required else [f"    if {v}:", "        return False"]
        if test.startswith("v in k") and " " not in test[5:]:  # a code set: one lookup
            codes = self.scope[test[5:]]
            assert isinstance(codes, frozenset)
            name = test[5:] if required else self.const(codes | {""})
            return [f"    if {v} not in {name}:", "        return False"]
        if required:
            return [f"    v = {v}", f"    if not v or not ({test}):", "        return False"]
        return [f"    v = {v}", f"    if v and not ({test}):", "        return False"]

    def function(self) -> list[str]:
        """The body of `ok(e)`."""
        node = self.node
        fields = node.fields
        if not fields:
            return ["    return False"]
        type_list = [c for f in fields if isinstance(f, ElementRule) and f.data_ele == "1250"
                     for c in sorted(f.codes)]
        required = [i for i, f in enumerate(fields) if f.usage == "R"]
        least = max(1, required[-1] + 1 if required else 1)
        body: list[str] = []
        first = 0
        formats = dtp_formats(node)
        if formats:
            least = max(least, 3)
            body += self.field(0, fields[0], None)
            tests = [f"(e[1] == {f!r} and {(_D8_TEST if f == 'D8' else _RD8_TEST).format(v='e[2]')})"
                     for f in formats]
            body += [f"    if not ({' or '.join(tests)}):", "        return False"]
            first = 3
        depth = ""  # the elements after an optional one are tested only when it is present
        for i in range(first, len(fields)):
            rule = fields[i]
            dates = type_list if (not formats and type_list and isinstance(rule, ElementRule)
                                  and rule.data_ele == "1251") else None
            lines = self.field(i, rule, dates)
            if i >= least:
                body.append(f"{depth}    if n > {i}:")
                depth += "    "
            body += [depth + line for line in lines]
        head = ["    n = len(e)", f"    if n > {len(fields)} or n < {least} or not e[-1]:",
                "        return False"]
        return head + body


def _syntax_lines(node: Node) -> list[str]:
    """Lines failing the test when a relational syntax rule of `node` is violated.

    Each rule is tested only when the segment is long enough to break it (`ok`'s `n`): a P
    rule needs one of its elements present, a C or L rule its first, an E rule two."""
    syntax = node.syntax
    if not syntax:
        return []
    composite_at = {f.seq for f in node.fields if isinstance(f, CompositeRule)}
    lines: list[str] = []
    for rule in syntax:
        positions = sorted(rule.positions)
        guard = {"R": 0, "P": positions[0], "E": positions[1] if len(positions) > 1 else 0}.get(
            rule.kind, rule.positions[0])  # C, L: the element that conditions the others

        def present(k: int, guard: int = guard) -> str:
            value = f"e[{k - 1}].strip(SEP)" if k in composite_at else f"e[{k - 1}]"
            return f"{value} != ''" if k <= guard else f"(n >= {k} and {value} != '')"

        ps = [present(k) for k in rule.positions]
        first, rest = ps[0], ps[1:]
        bad = {
            "P": f"({' or '.join(ps)}) and not ({' and '.join(ps)})",
            "R": f"not ({' or '.join(ps)})",
            "E": f"({' + '.join(ps)}) > 1",
            "C": f"{first} and not ({' and '.join(rest)})",
            "L": f"{first} and not ({' or '.join(rest)})",
        }[rule.kind]
        if guard:
            lines += [f"    if n >= {guard} and ({bad}):", "        return False"]
        else:
            lines += [f"    if {bad}:", "        return False"]
    return lines


_PASSED = 256
"""Element tuples each test remembers as passed (the same INS, HD, DTP or N4 recurs for
member after member); a test's memory is emptied when full."""


def _never(elements: tuple[str, ...]) -> bool:
    return False


def compile_fast(
    node: Node, icvn: str, element_sep: str, component_sep: str,
    code_lists: dict[str, frozenset[str]],
) -> Callable[[tuple[str, ...]], bool]:
    """A function telling whether a segment's elements certainly have no problems.

    True means `checks.check_segment` reports nothing for those elements and
    the segment is not empty and has no trailing empty element; False means
    "not known": the caller runs the exact checks.
    """
    if element_sep == component_sep:
        return _never
    gen = _Generator(_Builder(icvn, element_sep, component_sep, code_lists), node)
    body = gen.function()
    scope = gen.scope
    scope["PASSED"] = set()
    lines = [f"def ok(e, {', '.join(f'{k}={k}' for k in scope)}):",
             "    if e in PASSED:", "        return True"] + body + _syntax_lines(node)
    lines += [f"    if len(PASSED) >= {_PASSED}:", "        PASSED.clear()", "    PASSED.add(e)",
              "    return True"]
    exec(compile("\n".join(lines), f"<fastpath {node.path}>", "exec"), scope)  # generated from map data only
    return scope["ok"]  # type: ignore[return-value]
