"""Reading a client's form: the fields a person typed -> `MemberLine`s, or errors beside
the fields (required, dates, code lists). The implementation-guide rules are not
repeated here: the form is written as an 834 and the validator judges it (`forms.py`).

Forms (`KINDS`): `change` (demographics of a known member), `termination` (a member or
the whole family), `enrollment` (a new employee with up to three dependents), `dependent`
(a new dependent of a known subscriber), `cobra` (a COBRA enrollment). A known member
is looked up only among the client's own groups: anything else is `NotFound`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from edi.codes import CobraEvent, CoverageLevel, Gender, InsuranceLine, MedicarePlan, Relationship
from ledger.clients.accounts import Client, NotFound
from ledger.clients.forms import FieldErrors, MemberLine
from ledger.store import schema as t

KINDS: Mapping[str, tuple[str, str]] = {
    "change": ("submit_changes", "Demographic change"),
    "termination": ("submit_changes", "Termination"),
    "enrollment": ("submit_enrollment", "Enrollment of a new employee"),
    "dependent": ("submit_enrollment", "Enrollment of a new dependent"),
    "cobra": ("cobra", "COBRA enrollment"),
}
"""Form kind -> (the privilege it needs, its title)."""

TERMINATION_REASONS = {"07": "Termination of benefits", "08": "Termination of employment",
                       "03": "Death", "01": "Divorce", "14": "Voluntary withdrawal",
                       "16": "Quit", "17": "Fired", "40": "Layoff without benefits",
                       "04": "Retirement"}  # fmt: skip
DEPENDENT_REASONS = {"02": "Birth", "05": "Adoption", "32": "Marriage", "28": "Initial enrollment"}
DEPENDENT_RELATIONSHIPS = {"01": "Spouse", "19": "Child", "53": "Life partner",
                           "15": "Ward", "17": "Stepson or stepdaughter"}  # fmt: skip
MAX_DEPENDENTS = 3
_STATE = re.compile(r"^[A-Z]{2}$")
_ZIP = re.compile(r"^\d{5}(\d{4})?$")
_SSN = re.compile(r"^\d{9}$")
_SUBNO = re.compile(r"^[A-Z0-9-]{1,30}$")


def choices(kind: str) -> dict[str, dict[str, str]]:
    """The code lists a form offers: code -> plain name."""
    def names(enum: Any) -> dict[str, str]:
        return {m.value: m.name.replace("_", " ").capitalize() for m in enum}
    return {
        "gender": names(Gender), "coverage_level": names(CoverageLevel),
        "insurance_line": {k: v for k, v in names(InsuranceLine).items()
                           if k in ("HLT", "DEN", "VIS", "HMO", "EPO", "PDG", "MM")},
        "medicare": {"": "No Medicare", **{k: v for k, v in names(MedicarePlan).items() if k != "E"}},
        "cobra_event": {"": "(choose)", **names(CobraEvent)},
        "termination_reason": TERMINATION_REASONS, "dependent_reason": DEPENDENT_REASONS,
        "relationship": DEPENDENT_RELATIONSHIPS,
    }  # fmt: skip


class _Form:
    """The typed fields with errors collected beside them."""

    def __init__(self, data: Mapping[str, str], errors: FieldErrors) -> None:
        self.data, self.errors = data, errors

    def text(self, name: str, *, required: bool = False, limit: int = 60) -> str:
        value = " ".join(str(self.data.get(name, "")).split())
        if required and not value:
            self.errors.add(name, "required")
        if len(value) > limit:
            self.errors.add(name, f"at most {limit} characters")
        return value

    def pattern(self, name: str, rx: re.Pattern[str], what: str, *, required: bool = False,
                strip: str = "") -> str:  # fmt: skip
        value = "".join(ch for ch in self.text(name, required=required).upper() if ch not in strip)
        if value and not rx.match(value):
            self.errors.add(name, what)
        return value

    def date(self, name: str, *, required: bool = False) -> dt.date | None:
        value = self.text(name, required=required)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.errors.add(name, "a date as YYYY-MM-DD")
            return None

    def code(self, name: str, allowed: Mapping[str, str], *, required: bool = False) -> str:
        value = self.text(name, required=required)
        if value and value not in allowed:
            self.errors.add(name, "choose one of the listed values")
        return value


# ---------------------------------------------------------------- members of the client


def known_member(conn: Connection, client: Client, member_id: str) -> dict[str, Any]:
    """A member of one of the client's groups with its current values; NotFound otherwise."""
    m = t.members
    row = conn.execute(sa.select(m).where(m.c.member_id == member_id.strip().upper())).first()
    if row is None or row.sponsor_id not in client.sponsors:
        raise NotFound("no such member in your groups")
    d = t.demographics_versions
    demo = conn.execute(sa.select(d).where(d.c.member_id == row.member_id)
                        .order_by(d.c.version_id.desc()).limit(1)).first()  # fmt: skip
    mi = t.member_identifiers
    ids = {r.type: r.value for r in conn.execute(
        sa.select(mi.c.type, mi.c.value).where(mi.c.member_id == row.member_id)
        .order_by(mi.c.first_seen_at))}  # fmt: skip
    out: dict[str, Any] = dict(demo._mapping) if demo else {}
    out.update(member_id=row.member_id, sponsor_id=row.sponsor_id,
               subscriber_number=row.subscriber_number, relationship=row.relationship or "18",
               subscriber_member_id=row.subscriber_member_id, ssn=ids.get("ssn", ""))  # fmt: skip
    return out


def family_of(conn: Connection, client: Client, member: dict[str, Any]) -> list[dict[str, Any]]:
    """The member's subscriber first, then every dependent of that subscriber."""
    sub_id = member["subscriber_member_id"] or member["member_id"]
    m = t.members
    ids = [r.member_id for r in conn.execute(
        sa.select(m.c.member_id).where(sa.or_(m.c.member_id == sub_id,
                                              m.c.subscriber_member_id == sub_id))
        .order_by(m.c.member_id))]  # fmt: skip
    people = [known_member(conn, client, i) for i in ids]
    return sorted(people, key=lambda p: (p["relationship"] != "18", p["member_id"]))


def _line_from(p: dict[str, Any], **kw: Any) -> MemberLine:
    return MemberLine(
        subscriber=p["relationship"] == "18", relationship=p["relationship"],
        subscriber_number=p["subscriber_number"], last=p.get("last", ""),
        first=p.get("first", ""), middle=p.get("middle", ""), ssn=p.get("ssn", ""),
        birth_date=p.get("birth_date"), gender=p.get("gender", ""), **kw,
    )  # fmt: skip


# ---------------------------------------------------------------- the forms


def parse(conn: Connection, client: Client, kind: str, data: Mapping[str, str],
          today: dt.date) -> tuple[str, list[MemberLine], FieldErrors]:  # fmt: skip
    """(sponsor id, the form's member lines, errors beside fields) for form `kind`."""
    errors = FieldErrors()
    f = _Form(data, errors)
    if kind == "change":
        return _change(conn, client, f, today)
    if kind == "termination":
        return _termination(conn, client, f, today)
    if kind in ("enrollment", "cobra"):
        return _enrollment(client, f, cobra=kind == "cobra")
    if kind == "dependent":
        return _dependent(conn, client, f)
    raise NotFound("no such form")


def _change(conn: Connection, client: Client, f: _Form,
            today: dt.date) -> tuple[str, list[MemberLine], FieldErrors]:  # fmt: skip
    p = known_member(conn, client, f.text("member_id", required=True))
    new = {
        "last": f.text("last").upper(), "first": f.text("first").upper(),
        "middle": f.text("middle").upper(), "birth_date": f.date("birth_date"),
        "gender": f.code("gender", choices("change")["gender"]),
    }
    addr = {"line1": f.text("line1").upper(), "line2": f.text("line2").upper(),
            "city": f.text("city").upper(),
            "state": f.pattern("state", _STATE, "two letters, e.g. TX"),
            "postal_code": f.pattern("postal_code", _ZIP, "5 or 9 digits", strip="- ")}  # fmt: skip
    phone = f.pattern("phone", re.compile(r"^\d{10}$"), "10 digits", strip="-(). ")
    effective = f.date("effective_date") or today
    if any(addr.values()) and not (addr["line1"] and addr["city"] and addr["state"]
                                   and addr["postal_code"]):  # fmt: skip
        f.errors.add("line1", "a new address needs street, city, state and ZIP")
    changed = {k: v for k, v in new.items() if v and v != p.get(k)}
    if not changed and not any(addr.values()) and not phone and not f.errors:
        f.errors.add("", "nothing to change: fill in the fields that changed")
    cur = {k: p.get(k) or "" for k in ("line1", "line2", "city", "state", "postal_code")}
    cur.update(line1=p.get("address_line1", ""), line2=p.get("address_line2", ""))
    address = addr if addr["line1"] else cur
    old = {"old_last": p.get("last", ""), "old_first": p.get("first", ""),
           "old_birth_date": p.get("birth_date"), "old_gender": p.get("gender", "")} \
        if any(k in changed for k in ("last", "first", "birth_date", "gender")) else {}  # fmt: skip
    merged = {**p, **changed}
    line = _line_from(merged, maintenance="001", reason="25", phone=phone,
                      member_dates=(("303", effective),),
                      **{k: v for k, v in address.items() if k != "name"}, **old)  # fmt: skip
    return p["sponsor_id"], [line], f.errors


def _termination(conn: Connection, client: Client, f: _Form,
                 today: dt.date) -> tuple[str, list[MemberLine], FieldErrors]:  # fmt: skip
    p = known_member(conn, client, f.text("member_id", required=True))
    scope = f.code("scope", {"member": "", "family": ""}) or "member"
    end = f.date("end_date", required=True)
    reason = f.code("reason", TERMINATION_REASONS, required=True)
    people = family_of(conn, client, p) if scope == "family" else [p]
    if scope == "family" and p["relationship"] != "18":
        f.errors.add("scope", "a whole family is terminated from its subscriber")
    lines = [_line_from(q, maintenance="024", reason=reason or "07",
                        employment="TE" if reason == "08" else "FT",
                        member_dates=(("357", end or today),),
                        prefix="" if i == 0 else f"dep{i}_") for i, q in enumerate(people)]  # fmt: skip
    return p["sponsor_id"], lines, f.errors


def _person(f: _Form, prefix: str, *, subscriber: bool) -> dict[str, Any]:
    ch = choices("enrollment")
    out: dict[str, Any] = {
        "last": f.text(prefix + "last", required=True).upper(),
        "first": f.text(prefix + "first", required=True).upper(),
        "middle": f.text(prefix + "middle").upper(),
        "ssn": f.pattern(prefix + "ssn", _SSN, "9 digits", strip="- "),
        "birth_date": f.date(prefix + "birth_date", required=True),
        "gender": f.code(prefix + "gender", ch["gender"], required=True),
    }
    if not subscriber:
        out["relationship"] = f.code(prefix + "relationship", DEPENDENT_RELATIONSHIPS,
                                     required=True)  # fmt: skip
    return out


def _coverage(f: _Form) -> tuple[str, str, str, dt.date | None]:
    ch = choices("enrollment")
    line = f.code("insurance_line", ch["insurance_line"]) or "HLT"
    plan = f.text("plan", required=True, limit=50).upper()
    level = f.code("coverage_level", ch["coverage_level"], required=True)
    begin = f.date("begin_date", required=True)
    return line, plan, level, begin


def _sponsor(client: Client, f: _Form) -> str:
    sponsor = f.text("sponsor_id") or (client.sponsors[0] if len(client.sponsors) == 1 else "")
    if sponsor not in client.sponsors:
        f.errors.add("sponsor_id", "choose one of your groups")
    return sponsor


def _enrollment(client: Client, f: _Form, *, cobra: bool) -> tuple[str, list[MemberLine], FieldErrors]:
    sponsor = _sponsor(client, f)
    subno = f.pattern("subscriber_number", _SUBNO, "letters, digits and '-' only",
                      required=True)  # fmt: skip
    sub = _person(f, "", subscriber=True)
    addr: dict[str, Any] = {"line1": f.text("line1", required=True).upper(), "line2": f.text("line2").upper(),
            "city": f.text("city", required=True).upper(),
            "state": f.pattern("state", _STATE, "two letters, e.g. TX", required=True),
            "postal_code": f.pattern("postal_code", _ZIP, "5 or 9 digits", required=True,
                                     strip="- ")}  # fmt: skip
    phone = f.pattern("phone", re.compile(r"^\d{10}$"), "10 digits", strip="-(). ")
    line, plan, level, begin = _coverage(f)
    medicare = f.code("medicare", choices("enrollment")["medicare"])
    event = f.code("cobra_event", choices("cobra")["cobra_event"]) if cobra else ""
    common: dict[str, Any] = {"maintenance": "021", "reason": "28", "subscriber_number": subno,
              "benefit_status": "C" if cobra else "A", "medicare": medicare,
              "cobra_event": event}  # fmt: skip
    day = begin or dt.date.today()
    lines = [MemberLine(subscriber=True, relationship="18", phone=phone, **common, **sub, **addr,
                        employment="TE" if cobra else "FT",
                        coverages=(("021", line, plan, level, day),))]  # fmt: skip
    for i in range(1, MAX_DEPENDENTS + 1):
        prefix = f"dep{i}_"
        if not any(str(f.data.get(prefix + k, "")).strip() for k in ("last", "first", "birth_date")):
            continue
        dep = _person(f, prefix, subscriber=False)
        lines.append(MemberLine(subscriber=False, **{**common, "medicare": ""}, **dep, **addr,
                                coverages=(("021", line, plan, level, day),), prefix=prefix))  # fmt: skip
    return sponsor, lines, f.errors


def _dependent(conn: Connection, client: Client, f: _Form) -> tuple[str, list[MemberLine], FieldErrors]:
    sub = known_member(conn, client, f.text("member_id", required=True))
    if sub["relationship"] != "18":
        f.errors.add("member_id", "choose the subscriber (employee) of the family")
    dep = _person(f, "", subscriber=False)
    reason = f.code("reason", DEPENDENT_REASONS) or "28"
    line, plan, level, begin = _coverage(f)
    day = begin or dt.date.today()
    address: dict[str, Any] = {"line1": sub.get("address_line1", ""), "line2": sub.get("address_line2", ""),
               "city": sub.get("city", ""), "state": sub.get("state", ""),
               "postal_code": sub.get("postal_code", "")}  # fmt: skip
    lines = [MemberLine(subscriber=False, maintenance="021", reason=reason,
                        subscriber_number=sub["subscriber_number"], **dep, **address,
                        coverages=(("021", line, plan, level, day),))]  # fmt: skip
    return sub["sponsor_id"], lines, f.errors


def person_relationship(code: str) -> str:
    """Plain name of an INS02 code."""
    try:
        return Relationship(code).name.replace("_", " ").capitalize()
    except ValueError:
        return code
