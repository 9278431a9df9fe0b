"""How values read on a page: X12 codes with their names, time left, comparison colours.

Presentation only (no rule): code names come from the enums of `edi.codes`, whose
member names say what each code means.
"""

from __future__ import annotations

import datetime as dt
import functools
from enum import Enum
from typing import Any

from edi import codes

_ENUMS: dict[str, type[Enum]] = {
    "relationship": codes.Relationship,
    "maintenance_type": codes.MaintenanceType,
    "maintenance_reason": codes.MaintenanceReason,
    "benefit_status": codes.BenefitStatus,
    "medicare_plan": codes.MedicarePlan,
    "gender": codes.Gender,
    "insurance_line": codes.InsuranceLine,
    "coverage_level": codes.CoverageLevel,
}


def code_name(kind: str, value: Any) -> str:
    """'18 Self', '021 Addition', 'HLT Health' — the code and its name ('' for none)."""
    if value is None or value == "" or not isinstance(value, (str, int, Enum)):
        return ""  # none, or a template's undefined value
    return _named(kind, str(value))


@functools.lru_cache(maxsize=4096)
def _named(kind: str, text: str) -> str:
    """code_name of a code's text (a queue page names the same few codes fifty times)."""
    if kind == "date_qualifier":
        name = codes.DATE_QUALIFIERS.get(text, "")
        return f"{text} {name}".strip()
    if kind == "identifier_qualifier":
        name = codes.IDENTIFIER_QUALIFIERS.get(text, "")
        return f"{text} {name}".strip()
    enum = _ENUMS.get(kind)
    if enum is None:
        return text
    try:
        member = enum(text)
    except ValueError:
        return f"{text} (unknown code)"
    return f"{text} {member.name.replace('_', ' ').capitalize()}"


def time_left(seconds: float | None) -> str:
    """'2 h 05 min left', 'overdue by 1 d 3 h', '' when undated."""
    if seconds is None:
        return ""
    late = seconds < 0
    s = int(abs(seconds))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    text = (f"{days} d {hours} h" if days else f"{hours} h {minutes:02d} min" if hours
            else f"{minutes} min")  # fmt: skip
    return f"overdue by {text}" if late else f"{text} left"


AGREE_LEVELS = frozenset({"exact", "agree"})
"""Levels of `matching.compare` that mean the two values are the same (others: near)."""


def level_class(level: str, weight: float) -> str:
    """agree / near / disagree / missing / neutral for one field comparison (neutral: a
    level that weighs nothing, e.g. an initial or a family number nobody holds)."""
    if level == "missing":
        return "missing"
    if weight == 0:
        return "neutral"
    if weight < 0:
        return "disagree"
    return "agree" if level in AGREE_LEVELS else "near"


def when(value: dt.datetime | dt.date | str | None) -> str:
    """A UTC time to the minute ('2026-05-01 14:03 UTC'), a date as YYYY-MM-DD."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value.replace("T", " ").replace("Z", " UTC")
    if isinstance(value, dt.datetime):
        v = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return v.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def compare_rows(tx: dict[str, Any], candidate: dict[str, Any]) -> list[dict[str, Any]]:
    """The item page's field-by-field rows for one candidate: label, incoming value, the
    candidate's current value, and the matcher's comparison (level, weight, explanation,
    colour). Values come from the desk's views (SSNs already masked unless revealed)."""
    person = candidate.get("person") or {}
    name, theirs = tx.get("name") or {}, person.get("name") or {}
    addr = tx.get("address") or {}
    comps = {c.get("field"): c for c in candidate.get("comparisons") or []}
    rows = [
        ("Surname", name.get("last"), theirs.get("last"), "surname"),
        ("Given name", name.get("first"), theirs.get("first"), "given_name"),
        ("Birth date", tx.get("birth_date"), person.get("birth_date"), "birth_date"),
        ("SSN", tx.get("ssn"), person.get("ssn"), "ssn"),
        ("Gender", code_name("gender", tx.get("gender")),
         code_name("gender", person.get("gender")), "gender"),
        ("Relationship", code_name("relationship", tx.get("relationship")),
         code_name("relationship", person.get("relationship")), "relationship"),
        ("Birth sequence", tx.get("birth_sequence"), person.get("birth_sequence"),
         "birth_sequence"),
        ("Address", " ".join(str(addr.get(k) or "") for k in
                             ("line1", "city", "state", "postal_code")).strip(),
         " ".join(str(person.get(k) or "") for k in ("address_line1", "postal_code")).strip(),
         "address"),
        ("Subscriber number", tx.get("subscriber_number"),
         ", ".join(person.get("subscriber_numbers") or []), "subscriber_number"),
    ]  # fmt: skip
    out = []
    for label, mine, other, key in rows:
        c = comps.get(key) or {}
        level, weight = str(c.get("level") or "missing"), float(c.get("weight") or 0.0)
        out.append({"label": label, "incoming": mine if mine not in (None, "") else "",
                    "candidate": other if other not in (None, "") else "",
                    "level": level, "weight": weight,
                    "explanation": c.get("description") or "not compared",
                    "css": level_class(level, weight) if c else "missing"})  # fmt: skip
    return out


FILTERS = {"code": lambda value, kind: code_name(kind, value), "time_left": time_left, "level_class": level_class, "when": when}
"""Jinja2 filters the templates use."""
