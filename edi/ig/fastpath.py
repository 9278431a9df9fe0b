"""The fast path: one precompiled regular expression per segment node.

Most segments are valid. For each map segment node this module builds a
regex that matches the segment's elements (joined with the element
separator) only when `checks.check_segment` would report nothing, apart
from the relational syntax rules, which `syntax_ok` checks. A match means
"no problems"; anything else (including a valid segment the regex is too
strict for) takes the slow, exact path in `checks`. The regex is therefore
conservative by construction:

- code lists become alternations of the codes that pass every element check;
- AN/ID values: allowed characters, length bounds, no trailing space;
- N/R numbers, D8/DT dates (calendar-exact except 29 February), TM times;
- DTP03 and other 1251 values follow the format qualifier (D8, RD8);
- anything harder (patterns, binary, other date forms) never matches.

`tests/edi/test_ig_compiled.py` checks the contract on mutated segments: a
fast-path match never hides a problem.
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
            codes = set(rule.codes)
            if rule.external is not None:
                codes |= self.code_lists.get(rule.external, frozenset())
            good = sorted(
                (c for c in codes if c and not any(ch in exclude for ch in c)
                 and not check_element(rule, c, None, self.icvn, self.code_lists, self.sep)),
                key=lambda c: (-len(c), c),
            )
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

    def slot(self, rule: ElementRule, type_pattern: str | None = None) -> str:
        """A present element slot: its value, or empty where emptiness is allowed."""
        v = self.value(rule, type_pattern)
        required = rule.usage == "R" and (
            rule.seq != 1 or not rule.in_composite or rule.composite_required
        )
        return v if required else f"(?:{v})?"

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
        types: dict[int, str] = {}
        if node.id == "DTP" and len(fields) >= 3:
            qual = fields[1]
            if isinstance(qual, ElementRule):
                formats = [c for c in sorted(qual.codes) if c in ("D8", "RD8")]
                if formats:
                    j = re.escape(self.joiner)
                    alts = [f"{f}{j}{D8 if f == 'D8' else RD8}" for f in formats]
                    pieces = [self.field(fields[0], {}), f"(?:{'|'.join(alts)})"]
                    rest = self.tail(fields, 4, {})
                    return pieces[0] + j + pieces[1] + rest
        type_list = [c for f in fields if isinstance(f, ElementRule) and f.data_ele == "1250"
                     for c in sorted(f.codes)]
        for f in fields:
            if isinstance(f, ElementRule) and f.data_ele == "1251" and type_list:
                known = {"D8": D8, "RD8": RD8}
                alts = [known[t] for t in type_list if t in known]
                whole = len(alts) == len(type_list)
                types[f.seq] = "(?:" + "|".join(alts) + ")" if whole and alts else NEVER
        if not fields:
            return ""
        return self.field(fields[0], types) + self.tail(fields, 2, types)

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


def compile_fast(
    node: Node, icvn: str, element_sep: str, component_sep: str,
    code_lists: dict[str, frozenset[str]],
) -> Callable[[tuple[str, ...]], bool]:
    """A function telling whether a segment's elements certainly have no problems."""
    if element_sep == component_sep:
        return lambda elements: False
    pattern = _Builder(icvn, element_sep, component_sep, code_lists).segment(node)
    rx = re.compile(pattern, re.DOTALL)
    match = rx.fullmatch
    joiner = element_sep
    syntax = node.syntax
    if not syntax:
        return lambda elements: match(joiner.join(elements)) is not None
    composite_at = {f.seq for f in node.fields if isinstance(f, CompositeRule)}
    used = sorted({k for rule in syntax for k in rule.positions})
    lines = ["def ok(e):", "    if match(joiner.join(e)) is None:", "        return False", "    n = len(e)"]
    for k in used:
        value = f"e[{k - 1}].strip(sep)" if k in composite_at else f"e[{k - 1}]"
        lines.append(f"    p{k} = n >= {k} and {value} != ''")
    for rule in syntax:
        ps = [f"p{k}" for k in rule.positions]
        first, rest = ps[0], ps[1:]
        bad = {
            "P": f"({' or '.join(ps)}) and not ({' and '.join(ps)})",
            "R": f"not ({' or '.join(ps)})",
            "E": f"({' + '.join(ps)}) > 1",
            "C": f"{first} and not ({' and '.join(rest)})",
            "L": f"{first} and not ({' or '.join(rest)})",
        }[rule.kind]
        lines += [f"    if {bad}:", "        return False"]
    lines.append("    return True")
    scope: dict[str, object] = {"match": match, "joiner": joiner, "sep": component_sep}
    exec(compile("\n".join(lines), f"<fastpath {node.path}>", "exec"), scope)  # generated from map data only
    return scope["ok"]  # type: ignore[return-value]
