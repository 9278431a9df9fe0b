"""JSON rendering of edi records (what `enroll834 parse --json` prints).

Shape, for any record:

* a code-list field (an `edi.codes` enum) becomes ``{"code": "021", "name": "addition"}``;
* a DTP qualifier becomes ``{"code": "348", "name": "benefit_begin"}`` and a REF
  qualifier with a known meaning ``{"code": "F6", "name": "medicare_id"}``
  (unknown qualifiers keep ``"name": null``);
* dates are ISO 8601 strings (``"2024-01-31"``);
* nested records are objects, tuples are arrays;
* fields that are empty (None, "", empty tuple) are omitted; booleans are kept.

Member objects hold identifiers and names (PHI): this is data output for
stdout, never for logs.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from typing import Any

from pydantic import BaseModel

from edi.codes import DATE_QUALIFIERS, IDENTIFIER_QUALIFIERS
from edi.findings import Finding
from edi.records import DatePeriod, MemberTransaction, Reference

JsonValue = Any


def _code(value: str, names: dict[str, str]) -> dict[str, str | None]:
    return {"code": value, "name": names.get(value)}


def to_json(value: object) -> JsonValue:
    """A JSON-ready value for a record, enum, date, tuple or scalar (see module doc)."""
    if isinstance(value, Enum):
        return {"code": value.value, "name": value.name.lower()}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Finding):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, BaseModel):
        out: dict[str, JsonValue] = {}
        for name in type(value).model_fields:
            item = getattr(value, name)
            if item is None or item == "" or item == ():
                continue
            if name == "qualifier" and isinstance(value, DatePeriod):
                out[name] = _code(item, DATE_QUALIFIERS)
            elif name == "qualifier" and isinstance(value, Reference):
                out[name] = _code(item, IDENTIFIER_QUALIFIERS)
            else:
                out[name] = to_json(item)
        return out
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    return value


def dumps(record: BaseModel) -> str:
    """One record as a single JSON line (no trailing newline)."""
    return json.dumps(to_json(record), separators=(",", ":"), ensure_ascii=False)


def summary_line(member: MemberTransaction) -> str:
    """One compact, tab-separated line for a member: set control, ordinal, maintenance
    type, relationship, subscriber number (last 4 characters only), coverages, verdict.
    """
    lin = member.lineage
    number = member.subscriber_number
    masked = f"…{number[-4:]}" if number else "-"
    mt = member.maintenance_type
    rel = member.relationship
    lines = ",".join(c.insurance_line.value for c in member.coverages if c.insurance_line) or "-"
    verdict = "rejected" if member.rejected else ("ok" if not member.findings else "warnings")
    return "\t".join((
        lin.set_control or "-",
        str(lin.member_ordinal or 0),
        f"{mt.value}:{mt.name.lower()}" if mt else "-",
        f"{rel.value}:{rel.name.lower()}" if rel else "-",
        "subscriber" if member.subscriber else "dependent",
        masked,
        lines,
        verdict,
    ))


SUMMARY_HEADER = "\t".join((
    "set", "member", "maintenance", "relationship", "role", "subscriber_no", "coverages",
    "verdict",
))
