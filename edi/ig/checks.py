"""Element, composite and syntax checks of one segment against its compiled map node.

`check_segment` returns `Problem` tuples in the order pyx12 reports them, so the
compiled validator and pyx12 agree finding for finding. A `Problem` names the
rule, the X12 code and the element position; it never holds the value.

Two kinds of problem, as pyx12 reports them:
- kind 'E' — an element error (999 IK4, IK403 = `x12_code`);
- kind 'S' — a problem pyx12 can attach to no single element (too many
  elements or components, composite missing/not used, relational syntax):
  reported as segment code 8 ("segment has data element errors"); the
  element position is kept for the reader.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from edi.ig.compile import CompositeRule, ElementRule, Node

_CONTROL = re.compile("[\x01-\x07\x09-\x0d\x11-\x17\x1c-\x1f]")
_BASE = "A-Z0-9!\"&'()*+,\\-./:;?= a-z%~@\\[\\]_{}\\\\|<>#$"
_BAD_CHAR_5010 = re.compile("[^" + _BASE + "^`]")
_BAD_CHAR_4010 = re.compile("[^" + _BASE + "]")
_NUMBER = re.compile(r"-?[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"-?[0-9]*(\.[0-9]+)?", re.ASCII)
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_DATE_TYPES = frozenset({"RD8", "DT", "D8", "D6"})
_DTP_FORMATS = frozenset({"RD8", "D8", "D6", "DT", "TM"})
_31 = frozenset({1, 3, 5, 7, 8, 10, 12})
_30 = frozenset({4, 6, 9, 11})


class Problem(NamedTuple):
    """One problem in a segment: (kind, x12 code, rule, element, component, data element)."""

    kind: str
    x12_code: str
    rule: str
    element: int | None
    component: int | None
    data_element: str | None


def valid_time(val: str) -> bool:
    """HHMM[SS[dd]]: digits, hour <= 23, minute and second <= 59 (compared as text)."""
    if not _DIGITS.fullmatch(val):
        return False
    if val[0:2] > "23" or val[2:4] > "59":
        return False
    return len(val) <= 4 or (6 <= len(val) <= 8 and val[4:6] <= "59")


def valid_date(data_type: str, val: str) -> bool:
    """D8 CCYYMMDD, D6 YYMMDD, DT any of 6/8/12 digits (12 ends in HHMM); year >= 1800."""
    if (data_type == "D8" and len(val) != 8) or (data_type == "D6" and len(val) != 6):
        return False
    if not _DIGITS.fullmatch(val) or len(val) not in (6, 8, 12):
        return False
    if len(val) == 6:
        val = ("20" if int(val[0:2]) < 50 else "19") + val
    year, month, day = int(val[0:4]), int(val[4:6]), int(val[6:8])
    if year < 1800 or not 1 <= month <= 12:
        return False
    if month in _31:
        last = 31
    elif month in _30:
        last = 30
    else:
        last = 29 if year % 4 == 0 and not (year % 100 == 0 and year % 400 != 0) else 28
    if not 1 <= day <= last:
        return False
    return len(val) != 12 or valid_time(val[8:12])


def valid_type(val: str, data_type: str, icvn: str) -> bool:
    """Whether `val` is a well-formed value of X12 data type `data_type`."""
    if not data_type:
        return True
    if data_type[0] == "N":
        return _NUMBER.fullmatch(val) is not None
    if data_type == "R":
        return _DECIMAL.fullmatch(val) is not None
    if data_type in ("ID", "AN"):
        bad = _BAD_CHAR_5010 if icvn == "00501" else _BAD_CHAR_4010
        return bad.search(val) is None
    if data_type == "RD8":
        parts = val.split("-")
        return len(parts) == 2 and valid_date("D8", parts[0]) and valid_date("D8", parts[1])
    if data_type in ("DT", "D8", "D6"):
        return valid_date(data_type, val)
    if data_type == "TM":
        return valid_time(val)
    return data_type == "B"


def _problem(rule: ElementRule, code: str, name: str, comp_seq: int | None) -> Problem:
    if rule.in_composite:
        return Problem("E", code, name, comp_seq, rule.seq, rule.data_ele)
    return Problem("E", code, name, rule.seq, None, rule.data_ele)


def check_element(
    rule: ElementRule,
    val: str | None,
    comp_seq: int | None,
    icvn: str,
    code_lists: dict[str, frozenset[str]],
    sep: str,
    type_list: list[str] | None = None,
) -> list[Problem]:
    """Problems of one simple element or component value (None: absent)."""
    if val and not rule.in_composite and sep in val:
        return [_problem(rule, "6", "ig.element.unexpected_composite", comp_seq)]
    if not val:
        if rule.usage == "R" and (rule.seq != 1 or not rule.in_composite or rule.composite_required):
            return [_problem(rule, "1", "ig.element.missing", comp_seq)]
        return []
    if rule.usage == "N":
        return [_problem(rule, "10", "ig.element.not_used", comp_seq)]
    out: list[Problem] = []
    dtype = rule.data_type
    measured = val
    if dtype and (dtype == "R" or dtype[0] == "N"):
        measured = val.replace("-", "").replace(".", "")
    if len(measured) < rule.min_len:
        out.append(_problem(rule, "4", "ig.element.too_short", comp_seq))
    if len(measured) > rule.max_len:
        out.append(_problem(rule, "5", "ig.element.too_long", comp_seq))
    if _CONTROL.search(val):
        out.append(_problem(rule, "6", "ig.element.control_character", comp_seq))
        return out
    if dtype in ("AN", "ID") and val[-1] == " " and len(val.rstrip()) >= rule.min_len:
        out.append(_problem(rule, "6", "ig.element.trailing_spaces", comp_seq))
    if (rule.codes or rule.external is not None) and val not in rule.codes:
        external = code_lists.get(rule.external) if rule.external is not None else None
        if external is None or val not in external:
            out.append(_problem(rule, "7", "ig.element.code", comp_seq))
    if not valid_type(val, dtype, icvn):
        if dtype in _DATE_TYPES:
            out.append(_problem(rule, "8", "ig.element.date", comp_seq))
        elif dtype == "TM":
            out.append(_problem(rule, "9", "ig.element.time", comp_seq))
        else:
            out.append(_problem(rule, "6", "ig.element.invalid_character", comp_seq))
    if type_list and not any(valid_type(val, t, "00401") for t in type_list):
        if "TM" in type_list:
            out.append(_problem(rule, "9", "ig.element.time", comp_seq))
        elif any(t in _DATE_TYPES for t in type_list):
            out.append(_problem(rule, "8", "ig.element.date", comp_seq))
    if rule.regex is not None and re.search(rule.regex, val, re.S) is None:
        out.append(_problem(rule, "7", "ig.element.pattern", comp_seq))
    return out


def check_composite(
    rule: CompositeRule,
    comps: list[str] | None,
    icvn: str,
    code_lists: dict[str, frozenset[str]],
    sep: str,
) -> list[Problem]:
    """Problems of one composite (None: absent)."""
    empty = comps is None or not any(comps)
    if empty and rule.usage in ("N", "S"):
        return []
    if rule.usage == "R" and empty:
        return [Problem("S", "8", "ig.composite.missing", rule.seq, None, rule.data_ele)]
    assert comps is not None
    if rule.usage == "N":
        return [Problem("S", "8", "ig.composite.not_used", rule.seq, None, rule.data_ele)]
    out: list[Problem] = []
    parts = rule.parts
    if len(comps) > len(parts):
        out.append(Problem("S", "8", "ig.composite.too_many_components", rule.seq, None, rule.data_ele))
    for i, part in enumerate(parts):
        out += check_element(part, comps[i] if i < len(comps) else None, rule.seq, icvn, code_lists, sep)
    return out


def _present(elements: tuple[str, ...], k: int, sep: str) -> bool:
    if k > len(elements):
        return False
    return elements[k - 1].strip(sep) != ""


def check_segment(
    node: Node,
    elements: tuple[str, ...],
    sep: str,
    icvn: str,
    code_lists: dict[str, frozenset[str]],
) -> list[Problem]:
    """All element, composite and syntax problems of one segment, in pyx12's order."""
    fields = node.fields
    n = len(elements)
    cc = len(fields)
    out: list[Problem] = []
    if n > cc:
        out.append(Problem("S", "8", "ig.segment.too_many_elements", cc + 1, None, None))
    type_list: list[str] = []
    dtp_type: list[str] = []
    is_dtp = node.id == "DTP"
    for i in range(min(n, cc)):
        rule = fields[i]
        raw = elements[i]
        if isinstance(rule, CompositeRule):
            comps = raw.split(sep)
            if len(comps) > len(rule.parts) and rule.usage != "N":
                out.append(
                    Problem("S", "8", "ig.composite.too_many_components", rule.seq, None, rule.data_ele)
                )
            out += check_composite(rule, comps, icvn, code_lists, sep)
            continue
        if is_dtp and i == 1:
            formatted = raw.rstrip(sep) if sep in raw else raw
            if formatted in _DTP_FORMATS:
                dtp_type = [formatted]
        if rule.data_ele == "1250":
            type_list.extend(sorted(rule.codes))
        if is_dtp and i == 2:
            out += check_element(rule, raw, None, icvn, code_lists, sep, dtp_type)
        elif rule.data_ele == "1251" and type_list:
            out += check_element(rule, raw, None, icvn, code_lists, sep, type_list)
        else:
            out += check_element(rule, raw, None, icvn, code_lists, sep)
    for i in range(min(n, cc), cc):
        rule = fields[i]
        if isinstance(rule, CompositeRule):
            out += check_composite(rule, None, icvn, code_lists, sep)
        else:
            out += check_element(rule, None, None, icvn, code_lists, sep)
    for syn in node.syntax:
        present = [_present(elements, k, sep) for k in syn.positions]
        count = sum(present)
        kind = syn.kind
        bad = (
            (kind == "P" and count not in (0, len(present)))
            or (kind == "R" and count == 0)
            or (kind == "E" and count > 1)
            or (kind == "C" and present[0] and sum(present[1:]) != len(present) - 1)
            or (kind == "L" and present[0] and sum(present[1:]) == 0)
        )
        if bad:
            rule_name = "ig.syntax.exclusion" if kind == "E" else "ig.syntax.conditional"
            out.append(Problem("S", "8", rule_name, syn.positions[0], None, None))
    return out
