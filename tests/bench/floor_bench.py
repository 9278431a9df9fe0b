"""Floors for the parse target: what the cheapest possible reader costs on this machine.

Registered in run.py's SECTIONS (`python tests/bench/run.py --only floor`). Each
floor reads the runner's 100,000-member file whole and assumes its layout (one
segment per line, `~` and `*`), so none is a reader: they check nothing and
report no findings. They measure how much of the parse budget is left once the
output alone is paid for:

- floor-split: split into segments and elements, count INS.
- floor-one-model: the same, plus one untyped pydantic model per member holding
  its split segments (the reference the parse target was set from).
- floor-typed: the same split, plus the typed records `parse` yields for each
  member of this file (member, lineage, name, address, demographics, contact,
  references, dates, coverages, reporting categories), built straight from the
  elements by keyword (msgspec Structs): no loop tracking, positions, findings,
  code-list checks or envelope checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from msgspec.structs import replace
from pydantic import BaseModel, ConfigDict
from run import Case

from edi import records as r
from edi.loops import (
    BENEFIT_STATUS,
    COVERAGE_LEVEL,
    EMPLOYMENT_STATUS,
    GENDER,
    INSURANCE_LINE,
    MAINTENANCE_REASON,
    MAINTENANCE_TYPE,
    MARITAL_STATUS,
    RELATIONSHIP,
    parse_d8,
)


def _segments(path: Path) -> list[str]:
    return path.read_text(encoding="ascii").split("~\n")


def split(path: Path | None, members: int) -> int:
    """Segments and elements only."""
    assert path is not None
    return sum(1 for s in _segments(path) if s.split("*")[0] == "INS")


class _Untyped(BaseModel):
    model_config = ConfigDict(frozen=True)
    segments: list[list[str]]
    position: int


def one_model(path: Path | None, members: int) -> int:
    """One untyped model per member, holding its split segments."""
    assert path is not None
    count = 0
    current: list[list[str]] | None = None
    for position, s in enumerate(_segments(path), 1):
        f = s.split("*")
        if f[0] == "INS":
            if current is not None:
                built = _Untyped.model_construct(segments=current, position=position)
                count += type(built) is _Untyped
            current = [f]
        elif current is not None:
            current.append(f)
    return count + (current is not None)


def _typed(path: Path) -> Iterator[r.MemberTransaction]:
    lineage = r.Lineage(source=path.name)
    ins: list[str] | None = None
    ids: dict[str, str] = {}
    refs: list[r.Reference] = []
    dates: list[r.DatePeriod] = []
    covs: list[list[Any]] = []
    cats: list[list[Any]] = []
    hd: list[Any] | None = None
    cat: list[Any] | None = None
    nm1 = per = dmg = None
    old: list[Any] | None = None
    n3: list[str] = []
    n4: list[str] = []
    first = 0
    for pos, s in enumerate(_segments(path), 1):
        f = s.split("*")
        sid = f[0]
        if sid == "DTP":
            dp = r.DatePeriod(
                qualifier=f[1], begin=parse_d8(f[3]), end=None, position=pos)
            if cat is not None:
                cat[3] = dp.begin
            else:
                (hd[2] if hd is not None else dates).append(dp)
        elif sid == "REF":
            if cat is not None:
                cat[2] = f[2]
            elif hd is None and f[1] in ("0F", "1L"):
                ids[f[1]] = f[2]  # subscriber and group policy numbers: strings
            else:
                (hd[3] if hd is not None else refs).append(r.Reference(
                    qualifier=f[1], value=f[2], description="", position=pos))
        elif sid in ("INS", "SE"):
            if ins is not None:
                lin = replace(lineage, first_position=first, last_position=pos - 1)
                yield _member(ins, lin, ids, refs, dates, nm1, per, n3, n4,
                              dmg, old, covs, cats)
            ins, first, ids, refs, dates, covs, cats = f, pos, {}, [], [], [], []
            hd = cat = per = old = None
        elif sid == "HD":
            hd = [f, pos, [], []]
            covs.append(hd)
        elif sid == "NM1":
            f += [""] * (10 - len(f))
            name = r.PersonName(
                entity_code=f[1], entity_type=f[2], last=f[3], first=f[4],
                middle=f[5], prefix=f[6], suffix=f[7], id_qualifier=f[8], id=f[9],
                relationship_code="", position=pos)
            if f[1] == "70":
                old = [name, None]  # 2100B: the incorrect name and its DMG
            else:
                nm1 = name
        elif sid == "N3":
            n3 = f
        elif sid == "N4":
            n4 = f
        elif sid == "DMG":
            f += [""] * (5 - len(f))
            demographics = r.Demographics(
                birth_date=parse_d8(f[2]), gender=GENDER.get(f[3]),
                marital_status=MARITAL_STATUS.get(f[4]),
                race_ethnicity=(), citizenship="", race_collection_code="",
                position=pos)
            if old is not None:
                old[1] = demographics
            else:
                dmg = demographics
        elif sid == "PER":
            per = r.Contact(
                function=f[1], name=f[2], numbers=((f[3], f[4]),), position=pos)
        elif sid == "N1" and ins is not None:
            cat = [f[2], pos, "", None]
            cats.append(cat)


def _member(ins: list[str], lineage: r.Lineage, ids: dict[str, str], refs: list[r.Reference],
            dates: list[r.DatePeriod], nm1: Any, per: Any, n3: list[str], n4: list[str], dmg: Any,
            old: list[Any] | None, covs: list[list[Any]],
            cats: list[list[Any]]) -> r.MemberTransaction:
    address = r.Address(
        line1=n3[1], line2=n3[2] if len(n3) > 2 else "", city=n4[1], state=n4[2],
        postal_code=n4[3],
        country="", location_qualifier="", location_id="", country_subdivision="")
    name = r.MemberName(
        name=nm1, contact=per, address=address, demographics=dmg,
        employment_classes=(), income=None, amounts=(), health=None, languages=())
    return r.MemberTransaction(
        lineage=lineage, subscriber=ins[1] == "Y", relationship=RELATIONSHIP.get(ins[2]),
        maintenance_type=MAINTENANCE_TYPE.get(ins[3]),
        maintenance_reason=MAINTENANCE_REASON.get(ins[4]),
        benefit_status=BENEFIT_STATUS.get(ins[5]), medicare_plan=None,
        medicare_reason=None, cobra_event=None,
        employment_status=EMPLOYMENT_STATUS.get(ins[8]) if len(ins) > 8 else None,
        student_status=None, handicap=None,
        death_date=None, confidentiality=None, birth_sequence=None,
        subscriber_number=ids.get("0F", ""), group_policy_number=ids.get("1L", ""),
        identifiers=tuple(refs),
        dates=tuple(dates), member=name,
        incorrect=None if old is None else r.IncorrectMember(
            name=old[0], demographics=old[1]), mailing_address=None,
        employers=(), schools=(), custodial_parent=None, responsible_persons=(),
        drop_off_location=None, disabilities=(),
        coverages=tuple([r.Coverage(
            maintenance_type=MAINTENANCE_TYPE.get(h[0][1]), maintenance_reason="",
            insurance_line=INSURANCE_LINE.get(h[0][3]), plan_description=h[0][4],
            coverage_level=COVERAGE_LEVEL.get(h[0][5]), late_enrollment=None,
            dates=tuple(h[2]), amounts=(), references=tuple(h[3]),
            prior_coverage_months="", id_cards=(), providers=(), coordination=(),
            position=h[1]) for h in covs]),
        reporting_categories=tuple([r.ReportingCategory(
            name=k[0], value=k[2], reference_qualifier="", date=k[3],
            position=k[1]) for k in cats]),
        findings=(), rejected=False)


def typed(path: Path | None, members: int) -> int:
    """The typed records of every member, with no checks."""
    assert path is not None
    return sum(type(m) is r.MemberTransaction for m in _typed(path))


CASES: list[Case] = [
    Case("floor-split", 100_000, split, quick=100_000),
    Case("floor-one-model", 100_000, one_model, quick=100_000),
    Case("floor-typed", 100_000, typed, quick=100_000),
]
