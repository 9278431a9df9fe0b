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
how each is rendered, read from the field types), compiled into one function that copies
a record into its JSON twin (a Struct msgspec encodes leaving out the fields that hold
their defaults), its nested records inlined, and lines are encoded by one reused
`msgspec.json.Encoder` (`parse --json`: 64 members in one `encode_lines` call). `tests/edi/test_parse_json_format.py` holds this shape equal,
key by key, to what the pydantic records printed before. `JSON_ASSEMBLY` builds a member's
twin straight from the builder's loops (`edi.loops.assemble`), from the same plans, without
building its records first (what `parse --json` reads with).

Member objects hold identifiers and names (PHI): this is data output for
stdout, never for logs.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from typing import Any

import msgspec

from edi.codes import DATE_QUALIFIERS, IDENTIFIER_QUALIFIERS
from edi.findings import Finding
from edi.loops import ASSEMBLED, INS_FIELDS, LINEAGE_OWN, Assembly
from edi.records import DatePeriod, Lineage, MemberTransaction, Reference

JsonValue = Any

# how a field is rendered (see `_plan`)
_ALWAYS, _TEXT, _SET, _ENUM, _RECORD, _RECORDS, _ARRAY, _CODE = range(8)
_QUALIFIER_NAMES: dict[type[msgspec.Struct], dict[str, str]] = {
    DatePeriod: DATE_QUALIFIERS, Reference: IDENTIFIER_QUALIFIERS,
}
_Plan = tuple[tuple[str, int, Any], ...]


@functools.cache
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


class _Codes(dict[str, msgspec.Raw | None]):
    """{"code": c, "name": name or null} per qualifier code, encoded once each."""

    def __init__(self, names: dict[str, str]) -> None:
        super().__init__()
        self.names = names

    def __missing__(self, code: str) -> msgspec.Raw | None:
        raw = _raw({"code": code, "name": self.names.get(code)})
        if len(self) < 4096:  # codes a file invents stay bounded
            self[code] = raw
        return raw


_Render = Callable[[Any], Any]
_AS_IS = frozenset({_TEXT, _SET, _ARRAY, _ALWAYS})
"""Kinds of field the twin holds as the record does."""
_RENDERERS: dict[type[msgspec.Struct], _Render] = {}
_KEEP = object()
"""The default of a field that is always written (int, bool): no value is this object."""
_EMPTY: dict[int, Any] = {_TEXT: "", _SET: None, _ENUM: None, _RECORD: None, _RECORDS: (),
                          _ARRAY: (), _CODE: None, _ALWAYS: _KEEP}
"""Per kind of field, the value that leaves it out of the line (see `_compile`)."""


def _renderer(cls: type[msgspec.Struct]) -> _Render:
    render = _RENDERERS.get(cls)
    if render is None:
        render = _RENDERERS[cls] = _compile(cls)
    return render


def _compile(cls: type[msgspec.Struct]) -> _Render:
    """The renderer of `cls`: one generated function that copies a record into its JSON
    twin, a Struct with the same fields in the same order that msgspec encodes leaving out
    every field holding its default (`omit_defaults`), so the per-field work of leaving
    empty fields out runs in msgspec's C code.

    A twin field's default is what the rule leaves out: "" for text, None for optional
    values, codes and records, the empty tuple for tuples (msgspec compares a default by
    identity: CPython has one empty string and one empty tuple, and the renderer passes
    `()` for an empty tuple of records), and a private sentinel for ints and bools (always
    written). Enums and qualifiers become their pre-encoded `{"code", "name"}` (None stays
    None), nested records their own twins, built in the same expression (`_twin_expr`). A
    test compares the lines with the rule stated plainly (tests/edi/test_parse_json_format.py)."""
    if cls is Finding:
        return Finding.as_json
    env: dict[str, Any] = {"astuple": msgspec.structs.astuple}
    source = "def render(r):\n    return " + _twin_expr(cls, "r", env, itertools.count()) + "\n"
    exec(source, env)  # noqa: S102 - source built above from field names only
    render: _Render = env["render"]
    return render


_TWINS: dict[type[msgspec.Struct], type[msgspec.Struct]] = {}


def _twin(cls: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """The JSON twin of `cls` (see `_compile`), made once."""
    twin = _TWINS.get(cls)
    if twin is None:
        twin = _TWINS[cls] = msgspec.defstruct(
            f"{cls.__name__}Json", [(name, Any, _EMPTY[kind]) for name, kind, _ in _plan(cls)],
            omit_defaults=True, gc=False)
    return twin


def _twin_expr(cls: type[msgspec.Struct], var: str, env: dict[str, Any],
               ids: Iterator[int], built: frozenset[type] = frozenset()) -> str:
    """The expression that builds the twin of the record of type `cls` named `var` (never
    None); the tables and functions it names are put in `env`. A nested record is built in
    the same expression (no call per nested record); the items of a tuple of records by
    their type's own renderer.

    With `var` "" the expression reads each field from the variable of the field's own
    name (a maker's parameters, `_maker`), and a field whose records are of a type in
    `built` holds their twins already."""
    def name(prefix: str, value: Any = None) -> str:
        n = f"{prefix}{next(ids)}"
        if prefix != "v":  # v: a local variable of the expression
            env[n] = value
        return n

    t = name("T", _twin(cls))
    plan = _plan(cls)
    if var and all(kind in _AS_IS for _, kind, _ in plan):
        # every field copied as it is: one C call reads them all, in declaration order
        return f"{t}(*astuple({var}))"
    args: list[str] = []
    for field, kind, detail in plan:
        value = f"{var}.{field}" if var else field
        if kind in _AS_IS:
            args.append(value)
        elif kind == _ENUM:
            args.append(f"{name('e', {None: None, **detail})}[{value}]")
        elif kind == _CODE:
            codes = _Codes(detail)
            codes[""] = None  # an empty qualifier is left out
            args.append(f"{name('c', codes)}[{value}]")
        elif detail in built:
            # twins already; an empty tuple of them is the one the twin leaves out
            args.append(value if kind == _RECORD else f"({value} or ())")
        elif kind == _RECORD:
            v = name("v")
            inner = (f"{name('f', Finding.as_json)}({v})" if detail is Finding
                     else _twin_expr(detail, v, env, ids))
            args.append(f"(None if ({v} := {value}) is None else {inner})")
        else:  # _RECORDS
            v = name("v")
            args.append(f"([*map({name('f', _renderer(detail))}, {v})] if ({v} := {value}) "
                        "else ())")
    return _call(t, args)


def _call(function: str, args: list[str]) -> str:
    """The source of a call of `function` with `args`, positionally. More than 30 are
    passed as one tuple made of two: CPython compiles a call of more than 30 arguments into
    a list built item by item, then copied into a tuple (for the member's 32, about 1,300
    instructions more than the two tuples and their sum)."""
    if len(args) <= 30:
        return f"{function}({', '.join(args)})"
    half = len(args) // 2
    return f"{function}(*(({', '.join(args[:half])},) + ({', '.join(args[half:])},)))"


def _maker(cls: type[msgspec.Struct], built: frozenset[type], *,
           member: bool = False) -> Callable[..., Any]:
    """A function taking the keyword arguments of `cls` (its defaults the same), or with
    `member` the fields as `Assembly.member` takes them, that returns the JSON twin of the
    record `cls(...)` would be without building that record; nested records of the types in
    `built` are passed as twins already (see `JSON_ASSEMBLY`)."""
    env: dict[str, Any] = {"astuple": msgspec.structs.astuple}
    params: list[str] = []
    for f in msgspec.structs.fields(cls):
        if f.required or member:
            params.append(f.name)
        else:
            assert f.default_factory is msgspec.NODEFAULT, f"{cls.__name__}.{f.name}"
            env[f"D_{f.name}"] = f.default
            params.append(f"{f.name}=D_{f.name}")
    body = f"return {_twin_expr(cls, '', env, itertools.count(), built)}"
    if member:  # the lineage, the INS fields as one tuple, the others
        assert tuple(params[1:1 + len(INS_FIELDS)]) == INS_FIELDS
        params[1:1 + len(INS_FIELDS)] = ["fields"]
        body = f"{', '.join(INS_FIELDS)} = fields\n    {body}"
    source = f"def make({'' if member else '*, '}{', '.join(params)}):\n    {body}\n"
    exec(source, env)  # noqa: S102 - source built above from field names only
    make: Callable[..., Any] = env["make"]
    return make


def _constructor(cls: type[msgspec.Struct], built: frozenset[type]) -> Callable[..., Any]:
    """What `JSON_ASSEMBLY` builds the twin of a `cls` with: the twin type itself when a
    twin holds every field as the record does and each of the record's defaults is the
    value the twin leaves out (a keyword call of a generated maker cost twice the twin's
    own constructor), else `_maker`'s function."""
    plan = _plan(cls)
    defaults = {f.name: f.default for f in msgspec.structs.fields(cls)}
    if all(kind in _AS_IS and defaults[name] is _EMPTY[kind] for name, kind, _ in plan):
        return _twin(cls)
    return _maker(cls, built)


def _lineage_maker() -> Callable[[Lineage, int, int, int, int], Any]:
    """`Assembly.lineage` for JSON_ASSEMBLY: the twin of a member's `Lineage` made from its
    set's (`edi.loops.member_lineage`) without building that record first."""
    assert all(kind in _AS_IS for _, kind, _ in _plan(Lineage))
    inherited = Lineage.__struct_fields__[:-len(LINEAGE_OWN)]
    source = (f"def make(b, {', '.join(LINEAGE_OWN)}):\n"
              f"    return T({', '.join(f'b.{n}' for n in inherited)}, "
              f"{', '.join(LINEAGE_OWN)})\n")
    env: dict[str, Any] = {"T": _twin(Lineage)}
    exec(source, env)  # noqa: S102 - source built above from field names only
    make: Callable[[Lineage, int, int, int, int], Any] = env["make"]
    return make


def _json_assembly() -> Assembly:
    built = frozenset(ASSEMBLED.values()) | {Lineage}
    return Assembly(lineage=_lineage_maker(), **{
        name: _maker(cls, built, member=True) if name == "member"
        else _constructor(cls, built) for name, cls in ASSEMBLED.items()})


JSON_ASSEMBLY = _json_assembly()
"""Assembles a member straight into its JSON twin (`edi.reader.read(..., assembly=...)`):
the same lines as rendering its `MemberTransaction`, without building the records."""
MEMBER_JSON: type[msgspec.Struct] = _twin(MemberTransaction)
"""The type of a member's JSON twin (what `JSON_ASSEMBLY` assembles)."""


_ENCODER = msgspec.json.Encoder()
_encode: Callable[[Any], bytes] = _ENCODER.encode


def to_json(record: msgspec.Struct) -> dict[str, JsonValue]:
    """The JSON object of a record (see module doc), as `json.loads` reads its line."""
    value: dict[str, JsonValue] = msgspec.json.decode(_encode(_renderer(type(record))(record)))
    return value


def dumps(record: msgspec.Struct) -> str:
    """One record as a single JSON line (no trailing newline)."""
    return _encode(_renderer(type(record))(record)).decode("utf-8")


def dumps_line(record: msgspec.Struct) -> bytes:
    """One record as a UTF-8 JSON line, newline included (what `parse --json` writes)."""
    render = _RENDERERS.get(type(record)) or _renderer(type(record))
    return _encode(render(record)) + b"\n"


def dumps_members(members: Iterable[MemberTransaction]) -> bytes:
    """Member transactions as UTF-8 JSON lines, each ending in a newline, encoded in one
    call: the same bytes as their `dumps_line`s joined."""
    render = _RENDERERS.get(MemberTransaction) or _renderer(MemberTransaction)
    return _ENCODER.encode_lines([*map(render, members)])


def member_twin(member: MemberTransaction) -> msgspec.Struct:
    """The JSON twin of a member transaction (a `MEMBER_JSON`)."""
    twin: msgspec.Struct = (_RENDERERS.get(MemberTransaction)
                            or _renderer(MemberTransaction))(member)
    return twin


def dumps_twins(twins: list[msgspec.Struct]) -> bytes:
    """JSON twins as UTF-8 JSON lines, each ending in a newline, encoded in one call (what
    `parse --json` writes)."""
    return _ENCODER.encode_lines(twins)


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
