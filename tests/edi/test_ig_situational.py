"""Situational rules (edi.ig.situational): one test per rule, each failing and passing case."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from test_ig_compiled import MEMBER, x834

from edi.findings import Finding, Level, Severity
from edi.ig import CompiledValidator
from edi.ig.situational import (
    RULES,
    DateNotFuture,
    DateOrder,
    RequiredWhen,
    SituationalState,
    applicable,
    compile_screen,
    date_key,
)
from edi.records import encode_json
from edi.segments import Delimiters, Segment

TODAY = dt.date(2025, 6, 30)
V = CompiledValidator(today=TODAY)


def situational(member: list[str]) -> list[Finding]:
    return [f for f in V.findings(x834(members=[member]), "s.edi") if f.validator == "situational"]


def replace(prefix: str, new: str) -> list[str]:
    return [new if s.startswith(prefix) else s for s in MEMBER]


def test_every_rule_is_declared_data_with_a_unique_id() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids)) and all(i.startswith("situational.") for i in ids)
    assert {type(r) for r in RULES} == {RequiredWhen, DateNotFuture, DateOrder} | {
        type(r) for r in RULES if type(r).__name__ == "AllowedWhen"
    }


def test_clean_member_has_no_situational_findings() -> None:
    assert situational(MEMBER) == []


def test_ins07_required_for_cobra() -> None:
    (f,) = situational(replace("INS", "INS*Y*18*021*28*C***FT"))
    assert (f.code, f.element, f.x12_code, f.severity) == (
        "situational.ins07_cobra_event", 7, "I9", Severity.ERROR
    )
    assert f.level is Level.ELEMENT and f.segment_id == "INS" and f.loop_id == "2000"
    assert f.set_position == 5 and f.member_ordinal == 1
    assert situational(replace("INS", "INS*Y*18*021*28*C**1*FT")) == []


def test_subscriber_must_be_self() -> None:
    (f,) = situational(replace("INS", "INS*Y*01*021*28*A***FT"))
    assert (f.code, f.element, f.x12_code) == ("situational.ins02_subscriber_self", 2, "7")
    assert situational(replace("INS", "INS*N*01*021*28*A***FT")) == []


def test_birth_date_not_in_the_future() -> None:
    (f,) = situational(replace("DMG", "DMG*D8*20250701*F"))
    assert (f.code, f.element, f.severity) == ("situational.dmg02_birth_future", 2, Severity.WARNING)
    assert situational(replace("DMG", "DMG*D8*20250630*F")) == []


def test_death_date_not_in_the_future() -> None:
    (f,) = situational(replace("INS", "INS*Y*18*024*03*A***TE***D8*20991231"))
    assert (f.code, f.element) == ("situational.ins12_death_future", 12)
    assert situational(replace("INS", "INS*Y*18*024*03*A***TE***D8*20250101")) == []


def test_benefit_end_not_before_begin_within_one_coverage() -> None:
    member = [*MEMBER, "DTP*349*D8*20231231"]
    (f,) = situational(member)
    assert (f.code, f.segment_id, f.element, f.loop_id) == (
        "situational.dtp349_before_348", "DTP", 3, "2300"
    )
    assert situational([*MEMBER, "DTP*349*D8*20241231"]) == []
    # each HD starts a new coverage: an end date in the next coverage is compared afresh
    other = [*MEMBER, "HD*021**DEN*PLAN D*EMP", "DTP*348*D8*20230101", "DTP*349*D8*20231231"]
    assert situational(other) == []


def test_eligibility_end_not_before_begin_per_member() -> None:
    member = [*MEMBER[:3], "DTP*357*D8*20231231", *MEMBER[3:]]
    (f,) = situational(member)
    assert f.code == "situational.dtp357_before_356" and f.loop_id == "2000"


def test_situational_findings_carry_no_values() -> None:
    fs = situational(replace("DMG", "DMG*D8*20250701*F"))
    assert fs and all("20250701" not in encode_json(f) for f in fs)


def test_rules_can_be_switched_off_and_replaced() -> None:
    quiet = CompiledValidator(situational=False, today=TODAY)
    data = x834(members=[replace("INS", "INS*Y*01*021*28*C***FT")])
    assert [f for f in quiet.findings(data, "s") if f.validator == "situational"] == []
    only = CompiledValidator(rules=(RULES[0],), today=TODAY)
    got = [f.code for f in only.findings(data, "s") if f.validator == "situational"]
    assert got == ["situational.ins07_cobra_event"]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_each_rule_fires_on_its_trigger(rule: object) -> None:
    state = SituationalState((rule,), TODAY)  # type: ignore[arg-type]
    triggers = {
        "situational.ins07_cobra_event": [("INS*Y*18*021*28*C***FT", "2000")],
        "situational.ins02_subscriber_self": [("INS*Y*19*021*28*A***FT", "2000")],
        "situational.ins12_death_future": [("INS*Y*18*024*03*A***TE***D8*20300101", "2000")],
        "situational.dmg02_birth_future": [("DMG*D8*20300101*F", "2100A")],
        "situational.dtp349_before_348": [("DTP*348*D8*20240201", "2300"), ("DTP*349*D8*20240101", "2300")],
        "situational.dtp357_before_356": [("DTP*356*D8*20240201", "2000"), ("DTP*357*D8*20240101", "2000")],
    }[rule.id]  # type: ignore[attr-defined]
    from edi.segments import Delimiters, Segment

    out: list[Finding] = []
    for n, (text, loop) in enumerate(triggers, 1):
        sid, *els = text.split("*")
        out += state.segment(Segment(sid, tuple(els), n, 0, Delimiters()), loop, [])
    assert [f.code for f in out] == [rule.id]  # type: ignore[attr-defined]



_PIECES = ["", "Y", "N", "C", "18", "01", "D8", "RD8", "348", "349", "356", "357", "X",
           "20250630", "20250701", "20250101", "20991231", "20250230", "2025063"]
_BASES = {"INS": ["Y", "18", "021", "28", "A", "", "", "FT", "", "", "D8", "20250101"],
          "DMG": ["D8", "19800101", "F"], "DTP": ["348", "D8", "20250101"]}
_KEYS = sorted({date_key(r, q) for r in RULES if isinstance(r, DateOrder)
                for q in (r.earlier, r.later)})


def test_the_compiled_screen_agrees_with_check() -> None:
    """The screen says quiet only when `check` finds nothing, and remembers the same dates
    either way: every rule's segment in every loop, its usual form edited one to three times
    (a qualifier, a date, a code, an element cut off), with random dates remembered."""
    rng = random.Random(834)
    where = sorted({(r.segment, loop) for r in RULES if not isinstance(r, DateOrder)
                    for loop in r.loops}
                   | {("DTP", loop) for r in RULES if isinstance(r, DateOrder) for loop in r.loops})
    screens: dict[tuple[str, str, str | None], tuple[object, object]] = {}
    seen = {True: 0, False: 0}
    for _ in range(20_000):
        sid, loop = rng.choice(where)
        elements = list(_BASES[sid])
        if sid == "DTP":
            elements[0] = rng.choice(["348", "349", "356", "357", "303"])
        for _ in range(rng.randint(0, 3)):
            j = rng.randrange(len(elements) + 1)
            piece = rng.choice(_PIECES)
            if j == len(elements):
                elements.append(piece)
            elif rng.random() < 0.2:
                del elements[j:]
            else:
                elements[j] = piece
        first = rng.choice([None, elements[0] if elements else ""])
        if (sid, loop, first) not in screens:
            found = applicable(RULES, sid, loop, first)
            screens[sid, loop, first] = (compile_screen(found) if found else None, found)
        screen, rules = screens[sid, loop, first]
        if screen is None or rules is None:
            continue
        remembered = {k: rng.choice(_PIECES[13:]) for k in rng.sample(_KEYS, rng.randint(0, 4))}
        seg = Segment(sid, tuple(elements), 7, 70, Delimiters())
        exact, screened = SituationalState(RULES, TODAY), SituationalState(RULES, TODAY)
        exact.dates.update(remembered)
        screened.dates.update(remembered)
        expected = exact.check(seg, rules)  # type: ignore[arg-type]
        quiet = screen(seg, seg.elements, screened.dates, screened.today_text)  # type: ignore[operator]
        seen[quiet] += 1
        got = None if quiet else screened.check(seg, rules)  # type: ignore[arg-type]
        assert (got or None) == (expected or None), (sid, loop, elements, remembered)
        assert screened.dates == exact.dates, (sid, loop, elements, remembered)
    assert seen[True] > 1_000 and seen[False] > 1_000, seen
