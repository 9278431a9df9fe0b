"""JSON rendering of edi records (what `enroll834 parse --json` prints).

Shape, for any record:

* a code-list field (an `edi.codes` enum) becomes ``{"code": "021", "name": "addition"}``;
* a DTP qualifier becomes ``{"code": "348", "name": "benefit_begin"}`` and a REF
  qualifier with a known meaning ``{"code": "F6", "name": "medicare_id"}``
  (unknown qualifiers keep ``"name": null``);
* dates are ISO 8601 strings (``"2024-01-31"``);
* nested records are objects, tuples are arrays;
* fields that are empty (None, "", empty tuple) are omitted; booleans and numbers are kept.

The records are msgspec Structs; each record type gets a plan once (its fields with
how each is rendered, read from the field types), compiled into one straight-line
function, and lines are encoded by one reused `msgspec.json.Encoder`. `tests/edi/test_parse_json_format.py` holds this shape equal,
key by key, to what the pydantic records printed before.

Member objects hold identifiers and names (PHI): this is data output for
stdout, never for logs.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable
from enum import Enum
from typing import Any

import msgspec

from edi.codes import DATE_QUALIFIERS, IDENTIFIER_QUALIFIERS
from edi.findings import Finding
from edi.records import DatePeriod, MemberTransaction, Reference

JsonValue = Any

# how a field is rendered (see `_plan`)
_ALWAYS, _TEXT, _SET, _ENUM, _RECORD, _RECORDS, _ARRAY, _CODE = range(8)
_QUALIFIER_NAMES: dict[type[msgspec.Struct], dict[str, str]] = {
    DatePeriod: DATE_QUALIFIERS, Reference: IDENTIFIER_QUALIFIERS,
}
_Plan = tuple[tuple[str, int, Any], ...]


def _plan(cls: type[msgspec.Struct]) -> _Plan:
    """(field, kind, detail) per field of `cls`, in declaration order."""
    hints = typing.get_type_hints(cls)
    out: list[tuple[str, int, Any]] = []
    for name in cls.__struct_fields__:
        hint = hints[name]
        args = typing.get_args(hint)
        optional = isinstance(hint, types.UnionType) and type(None) in args
        base = next((a for a in args if a is not type(None)), hint) if optional else hint
        origin = typing.get_origin(base)
        if name == "qualifier" and cls in _QUALIFIER_NAMES:
            out.append((name, _CODE, _QUALIFIER_NAMES[cls]))
        elif isinstance(base, type) and issubclass(base, Enum):
            # per enum class: StrEnum members of two classes may be equal ('M')
            out.append((name, _ENUM, {m: _raw({"code": m.value, "name": m.name.lower()})
                                      for m in base}))
        elif isinstance(base, type) and issubclass(base, msgspec.Struct):
            out.append((name, _RECORD, base))
        elif origin is tuple:
            item = typing.get_args(base)[0]
            if isinstance(item, type) and issubclass(item, msgspec.Struct):
                out.append((name, _RECORDS, item))
            else:
                out.append((name, _ARRAY, None))  # strings or pairs: encoded as they are
        elif base is str:
            out.append((name, _SET if optional else _TEXT, None))
        elif optional or base is dt.date:
            out.append((name, _SET, None))
        else:
            out.append((name, _ALWAYS, None))  # int, bool
    return tuple(out)


def _raw(value: JsonValue) -> msgspec.Raw:
    """`value` encoded once: the encoder copies it into every line that holds it."""
    return msgspec.Raw(msgspec.json.encode(value))


class _Codes(dict[str, msgspec.Raw]):
    """{"code": c, "name": name or null} per qualifier code, encoded once each."""

    def __init__(self, names: dict[str, str]) -> None:
        super().__init__()
        self.names = names

    def __missing__(self, code: str) -> msgspec.Raw:
        raw = _raw({"code": code, "name": self.names.get(code)})
        if len(self) < 4096:  # codes a file invents stay bounded
            self[code] = raw
        return raw


_Render = Callable[[Any], dict[str, JsonValue]]
_RENDERERS: dict[type[msgspec.Struct], _Render] = {}


def _renderer(cls: type[msgspec.Struct]) -> _Render:
    render = _RENDERERS.get(cls)
    if render is None:
        render = _RENDERERS[cls] = _compile(cls)
    return render


def _compile(cls: type[msgspec.Struct]) -> _Render:
    """The renderer of `cls`: one straight-line function generated from its plan, nested
    records through their own renderers (a test compares its output with the rule stated
    plainly, tests/edi/test_parse_json_format.py)."""
    if cls is Finding:
        return Finding.as_json
    lines = ["def render(r):", "    o = {}"]
    env: dict[str, Any] = {}
    tests = {_TEXT: 'v != ""', _SET: "v is not None", _ENUM: "v is not None",
             _RECORD: "v is not None", _RECORDS: "v", _ARRAY: "v", _CODE: 'v != ""'}
    for i, (name, kind, detail) in enumerate(_plan(cls)):
        if kind in (_RECORD, _RECORDS):
            detail = _renderer(detail)
        elif kind == _CODE:
            detail = _Codes(detail)
        env[f"d{i}"] = detail
        value = {_TEXT: "v", _SET: "v", _ARRAY: "v", _ALWAYS: "v", _ENUM: f"d{i}[v]",
                 _RECORD: f"d{i}(v)", _RECORDS: f"[d{i}(x) for x in v]",
                 _CODE: f"d{i}[v]"}[kind]
        lines.append(f"    v = r.{name}")
        if kind == _ALWAYS:
            lines.append(f"    o[{name!r}] = {value}")
        else:
            lines.append(f"    if {tests[kind]}:")
            lines.append(f"        o[{name!r}] = {value}")
    lines.append("    return o")
    exec("\n".join(lines), env)  # noqa: S102 - source built above from field names only
    render: _Render = env["render"]
    return render


def to_json(record: msgspec.Struct) -> dict[str, JsonValue]:
    """The JSON object of a record (see module doc), ready for `msgspec.json`: dates stay
    dates (written as ISO strings), code objects are pre-encoded `msgspec.Raw`."""
    return _renderer(type(record))(record)


_ENCODER = msgspec.json.Encoder()
_encode: Callable[[Any], bytes] = _ENCODER.encode


def dumps(record: msgspec.Struct) -> str:
    """One record as a single JSON line (no trailing newline)."""
    return _encode(to_json(record)).decode("utf-8")


def dumps_line(record: msgspec.Struct) -> bytes:
    """One record as a UTF-8 JSON line, newline included (what `parse --json` writes)."""
    return _encode(to_json(record)) + b"\n"


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
