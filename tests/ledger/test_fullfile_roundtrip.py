"""Round trips between the ledger and exported 834s, as property tests (SQLite and PostgreSQL).

1. Reconciling an exported full file against the ledger it came from finds
   no discrepancy.
2. Ingesting an exported change file into a copy of the ledger as it was
   before those changes yields the same roster.

Hypothesis draws family shapes, plans, dates and changes; names and numbers
are invented and made unique per example (each example is its own sponsor
in one database, so examples do not disturb each other).
`ENROLL834_SOAK=1` runs more examples.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_helpers import RECEIVED, M, interchange, simple_decide

from ledger.fullfile.export834 import write_export
from ledger.fullfile.files import reconcile_file
from ledger.ingest import ingest_file
from ledger.store import schema as t
from ledger.store.db import dispose, engine, upgrade

EXAMPLES = 40 if os.environ.get("ENROLL834_SOAK") else 6
FIRSTS = ["ALICE", "BRUNO", "CARMEN", "DMITRI", "EDITH", "FARID", "GRETA", "HUGO"]
_counter = itertools.count(1)


def _letters(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = chr(65 + r) + out
        if n == 0:
            return out


@dataclasses.dataclass(frozen=True)
class Shape:
    """One family: dependents, plan, dental, begin day in February 2026."""

    spouse: bool
    children: int
    plan: str
    dental: bool
    begin_day: int


@dataclasses.dataclass(frozen=True)
class Change:
    family: int
    kind: str
    day: int


shapes = st.builds(Shape, st.booleans(), st.integers(0, 2), st.sampled_from(["PPO1", "HMO2"]),
                   st.booleans(), st.integers(1, 20))  # fmt: skip
changes = st.builds(Change, st.integers(0, 5),
                    st.sampled_from(["address", "plan", "end_dental", "terminate", "new_child"]),
                    st.integers(1, 19))  # fmt: skip


def people(shapes_: list[Shape], tag: str) -> list[list[M]]:
    """Members per family: subscriber first; unique surnames, numbers and SSNs per example."""
    out = []
    for f, s in enumerate(shapes_):
        sub = f"S{tag}{f}"
        last = f"Q{tag}{_letters(f)}"
        hds: tuple[Any, ...] = (("021", "HLT", s.plan, (("348", f"202602{s.begin_day:02d}"),)),)
        if s.dental:
            hds += (("021", "DEN", "DENT1", (("348", f"202602{s.begin_day:02d}"),)),)
        base = M(sub=sub, last=last, first=FIRSTS[0], ssn=f"9{abs(hash(sub)) % 10**8:08d}",
                 dob=f"19{60 + f}0304", hds=hds, member_dates=())  # fmt: skip
        fam = [base]
        if s.spouse:
            fam.append(dataclasses.replace(base, subscriber=False, rel="01", first=FIRSTS[1],
                                           ssn=f"8{abs(hash(sub)) % 10**8:08d}",
                                           dob=f"19{62 + f}0916", gender="M"))  # fmt: skip
        for c in range(s.children):
            fam.append(dataclasses.replace(base, subscriber=False, rel="19", first=FIRSTS[2 + c],
                                           ssn="", dob=f"20{10 + 3 * c}0{1 + 4 * c}11"))  # fmt: skip
        out.append(fam)
    return out


def st_set(members: list[M], sponsor: str, st02: str = "0001") -> list[str]:
    segs = [f"ST*834*{st02}*005010X220A1", "BGN*00*REF1*20260115*1200****2",
            f"N1*P5*ACME TOOL*FI*{sponsor}", "N1*IN*SYNTH PLAN*FI*990000001"]  # fmt: skip
    for m in members:
        segs += m.segments()
    segs.append(f"SE*{len(segs) + 1}*{st02}")
    return segs


def ingest(url: str, tmp: Path, members: list[M], sponsor: str, *, decide: Any = simple_decide) -> None:
    isa13 = f"{next(_counter) + 100000:09d}"
    f = tmp / f"in{isa13}.edi"
    f.write_bytes(interchange([st_set(members, sponsor)], isa13=isa13))
    ingest_file(url, f, decide=decide, received_at=RECEIVED)


def change_members(fams: list[list[M]], cs: list[Change]) -> list[M]:
    """The change-file loops for `cs` (at most one change per family)."""
    out: list[M] = []
    done: set[int] = set()
    for c in cs:
        f = c.family % len(fams)
        if f in done:
            continue
        done.add(f)
        sub = fams[f][0]
        day = f"202603{c.day:02d}"
        if c.kind == "address":
            out.append(dataclasses.replace(sub, ins03="001", ins04="43", street="9 NEW RD", hds=()))
        elif c.kind == "plan":
            line, plan = sub.hds[0][1], "HMO2" if sub.hds[0][2] == "PPO1" else "PPO1"
            out.append(dataclasses.replace(sub, ins03="001", ins04="22", member_dates=(("303", day),),
                                           hds=(("001", line, plan, (("303", day),)),)))  # fmt: skip
        elif c.kind == "end_dental" and len(sub.hds) > 1:
            out.append(dataclasses.replace(sub, ins03="001", ins04="07",
                                           hds=(("024", "DEN", "DENT1", (("349", day),)),)))  # fmt: skip
        elif c.kind == "terminate":
            out.append(dataclasses.replace(sub, ins03="024", ins04="07",
                                           member_dates=(("357", day),), hds=()))  # fmt: skip
        elif c.kind == "new_child":
            out.append(dataclasses.replace(sub, subscriber=False, rel="19", first="NEWBORN", ssn="",
                                           dob="20250601", ins03="021", ins04="02",
                                           hds=tuple((h[0], h[1], h[2], (("348", day),)) for h in sub.hds)))  # fmt: skip
    return out


def roster(url: str, sponsor: str) -> dict[tuple[str, str, str], Any]:
    """Sponsor's members by (subscriber number, relationship, first name): person and spans."""
    m, d, cv, sup, i = (t.members, t.demographics_versions, t.coverage_versions, t.supersessions,
                        t.member_identifiers)  # fmt: skip
    out: dict[tuple[str, str, str], Any] = {}
    with engine(url).connect() as conn:
        for r in conn.execute(sa.select(m).where(m.c.sponsor_id == sponsor)):
            demo = list(conn.execute(sa.select(d).where(d.c.member_id == r.member_id)
                                     .order_by(d.c.version_id)))[-1]  # fmt: skip
            person = tuple(getattr(demo, k) for k in (
                "last", "first", "middle", "birth_date", "gender", "address_line1", "city",
                "state", "postal_code"))  # fmt: skip
            ssns = sorted(x.value for x in conn.execute(
                sa.select(i.c.value).where(i.c.member_id == r.member_id, i.c.type == "ssn")))  # fmt: skip
            covs = sorted((v.insurance_line, v.plan, v.coverage_level, v.valid_from, v.valid_to)
                          for v in conn.execute(sa.select(cv).where(
                              cv.c.member_id == r.member_id,
                              ~sa.exists().where(sup.c.version_id == cv.c.version_id))))  # fmt: skip
            out[(r.subscriber_number, r.relationship, demo.first)] = (person, ssns, covs)
    return out


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])  # fmt: skip


@SETTINGS
@given(fams=st.lists(shapes, min_size=1, max_size=4), as_of_day=st.integers(1, 19))
def test_exported_full_file_reconciles_to_nothing(ledger_url: str, tmp_path: Path,
                                                 fams: list[Shape], as_of_day: int) -> None:  # fmt: skip
    n = next(_counter)
    tag, sponsor = _letters(n), f"77{n:07d}"
    for fam in people(fams, tag):
        ingest(ledger_url, tmp_path, fam, sponsor)
    out = tmp_path / f"full{n}.edi"
    write_export(ledger_url, out, sponsor, as_of=dt.date(2026, 3, as_of_day))
    runs = reconcile_file(ledger_url, out).runs
    c = runs[0].counts
    assert c["file_members"] == c["confirmed_members"] == c["active_in_ledger"], c
    assert not any(c.get(k) for k in ("missing_in_ledger", "missing_in_file", "field_mismatch")), c


@SETTINGS
@given(fams=st.lists(shapes, min_size=1, max_size=4), cs=st.lists(changes, max_size=4))
def test_exported_change_file_replays_the_changes(ledger_url: str, tmp_path: Path,
                                                  fams: list[Shape], cs: list[Change]) -> None:  # fmt: skip
    n = next(_counter)
    tag, sponsor = _letters(n), f"66{n:07d}"
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    upgrade(copy)
    families = people(fams, tag)
    for fam in families:
        ingest(ledger_url, tmp_path, fam, sponsor)
        ingest(copy, tmp_path, fam, sponsor)
    since = dt.datetime.now(dt.UTC)
    delta = change_members(families, cs)
    if delta:
        ingest(ledger_url, tmp_path, delta, sponsor)
    out = tmp_path / f"delta{n}.edi"
    summary = write_export(ledger_url, out, sponsor, changes_since=since)
    assert summary.members == len({(m.sub, m.rel, m.first) for m in delta})
    ingest_file(copy, out, received_at=RECEIVED)  # the real matcher decides
    try:
        assert roster(copy, sponsor) == roster(ledger_url, sponsor)
    finally:
        dispose(copy)
