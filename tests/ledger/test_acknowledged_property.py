"""Property (issue 20), through the database: what a fresh ledger records from a file is exactly
what the acknowledgments written for it accept, and every acknowledgment passes pyx12.

Inputs: every public corpus file (../shared/corpus; skipped when absent), every generated
transport form (5010 and 4010, change and full files, one with a rejected member) and
hypothesis mutations of a generated change file and full file, envelope segments included.
Each is ingested (`ingest_file`, the real matcher, the compiled validator) into a fresh
ledger and reconciled (`reconcile_file`) into another, under the instance usage its ISA15
asks for and under the other one. Then, from the texts of the TA1/999/997 alone:

- the transaction sets registered (ingest) are exactly those an IK5/AK5 accepts (A or E, in
  a group the AK9 names and an interchange no TA1 rejects), of the interchanges the
  instance's usage applies; the full-file sets reconciled (reconcile) likewise;
- every member traced in the ledger (an entry, a review item, a reconciliation
  discrepancy) belongs to such a set, and every member of such a set whose segments no
  IK3/AK3 notes is traced; the members the verdict rejects are not.

The corpus runs on SQLite (both usages), the generated forms on SQLite and a few of them on
PostgreSQL, the mutations on both: 30 examples on SQLite and 10 on PostgreSQL in CI
(`ENROLL834_SOAK=1`: 150 and 50). A fresh SQLite ledger is a copy of one migrated file; a
fresh PostgreSQL ledger a new schema (about a second each to migrate).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edi.generate import FORMS, generate
from edi.ig_pyx12 import ack_problems
from edi.reader import read
from edi.records import InterchangeStart, MemberTransaction, SetStart
from edi.segments import Segment
from edi.tokenize import read_segments
from edi.validate import make_validator, validate_file
from ledger.fullfile import reconcile_file
from ledger.ingest import ingest_file
from ledger.store import reconcile_tables as rt
from ledger.store import schema as t
from ledger.store.db import dispose, engine, upgrade
from tests.conftest import CORPUS, POSTGRES_URL
from tests.edi.test_ack_property import ENVELOPE
from tests.edi.test_acks import acked_sets, noted_positions
from tests.edi.test_ig_differential import base_segments, mutate, render, steps_strategy

SOAK = bool(os.environ.get("ENROLL834_SOAK"))
CASES = 150 if SOAK else 30
VALIDATOR = make_validator("compiled")
USAGES = {"P": "production", "T": "test"}

Key = tuple[str, str, str]
MemberKey = tuple[str, str, str, int]


# ---------------------------------------------------------------- fresh ledgers


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """A factory of empty, migrated ledgers: a copy of one migrated SQLite file, or a new
    PostgreSQL schema (dropped at the end)."""
    base = tmp_path_factory.mktemp("ledgers")
    if request.param == "sqlite":
        template = base / "template.db"
        upgrade(f"sqlite:///{template}")
        dispose()
        with sqlite3.connect(template) as db:  # everything in the file itself, none in a WAL
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        def new_sqlite() -> str:
            path = base / f"{uuid.uuid4().hex[:12]}.db"
            shutil.copy(template, path)
            return f"sqlite:///{path}"

        yield new_sqlite
        return
    if not POSTGRES_URL:
        if os.environ.get("ENROLL834_REQUIRE_POSTGRES"):
            pytest.fail("ENROLL834_REQUIRE_POSTGRES is set but ENROLL834_TEST_POSTGRES_URL is not")
        pytest.skip("ENROLL834_TEST_POSTGRES_URL not set")
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    schemas: list[str] = []
    sep = "&" if "?" in POSTGRES_URL else "?"

    def new_schema() -> str:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        url = f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
        upgrade(url)
        return url

    try:
        yield new_schema
    finally:
        dispose()
        with admin.connect() as conn:
            for schema in schemas:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# ---------------------------------------------------------------- what the file holds


@dataclass(frozen=True)
class FileShape:
    """What a plain reading of the file holds: each interchange's ISA15, each set's full-file
    flag, and each member's segment span inside its set (ST = 1)."""

    usage: dict[str, str]
    full: set[Key]
    members: dict[Key, dict[int, tuple[int, int]]]
    unique: bool
    """Every (ISA13, GS06, ST02) and (ISA13) occurs once: keys name one unit each."""


def shape(data: bytes) -> FileShape:
    usage: dict[str, str] = {}
    full: set[Key] = set()
    members: dict[Key, dict[int, tuple[int, int]]] = {}
    seen: list[Key] = []
    isa13s: list[str] = []
    st_position, key, first = 0, ("", "", ""), False
    for ev in read(data, "shape.edi"):
        if isinstance(ev, SetStart):
            ln = ev.header.lineage
            key = (ln.interchange_control.strip(), ln.group_control, ln.set_control)
            seen.append(key)
            st_position, first = ln.first_position, True
            members.setdefault(key, {})
            if ev.header.action_code is not None and ev.header.action_code.value in ("4", "RX"):
                full.add(key)
        elif isinstance(ev, MemberTransaction):
            ln = ev.lineage
            if first and ev.maintenance_type is not None and ev.maintenance_type.value == "030":
                full.add(key)
            first = False
            if ln.member_ordinal is not None:
                members[key][ln.member_ordinal] = (ln.first_position - st_position + 1,
                                                   ln.last_position - st_position + 1)
        elif isinstance(ev, InterchangeStart):
            isa13 = ev.header.control_number.strip()
            isa13s.append(isa13)
            usage[isa13] = ev.header.usage.strip()
    unique = len(seen) == len(set(seen)) and len(isa13s) == len(set(isa13s))
    return FileShape(usage, full, members, unique)


# ---------------------------------------------------------------- what the ledger holds


def _query(url: str, q: sa.Select[tuple[object, ...]]) -> list[tuple[object, ...]]:
    with engine(url).connect() as conn:
        return [tuple(r) for r in conn.execute(q)]


def registered_sets(url: str) -> set[Key]:
    ic, ts = t.interchanges, t.transaction_sets
    rows = _query(url, sa.select(ic.c.control_number, ts.c.group_control, ts.c.set_control)
                  .join(ic, ic.c.id == ts.c.interchange_id))  # fmt: skip
    return {(str(a), str(b), str(c)) for a, b, c in rows}


def reconciled_sets(url: str) -> set[Key]:
    rr = rt.reconciliation_runs
    rows = _query(url, sa.select(rr.c.interchange_control, rr.c.group_control,
                                 rr.c.set_control))  # fmt: skip
    return {(str(a).strip(), str(b), str(c)) for a, b, c in rows}


def traced_members(url: str) -> set[MemberKey]:
    """(ISA13, GS06, ST02, member ordinal) of every member an entry, a review item or a
    reconciliation discrepancy names."""
    e, ri, rr, d = t.entries, t.review_items, rt.reconciliation_runs, rt.discrepancies
    out: set[MemberKey] = set()
    for a, b, c, n in _query(url, sa.select(e.c.interchange_control, e.c.group_control,
                                            e.c.set_control, e.c.member_ordinal)
                             .where(e.c.member_ordinal.is_not(None))):  # fmt: skip
        out.add((str(a).strip(), str(b), str(c), int(str(n))))
    for (text,) in _query(url, sa.select(ri.c.transaction).where(ri.c.queue != "supervisor")):
        ln = json.loads(str(text)).get("lineage") or {}
        if ln.get("member_ordinal") is not None:
            out.add((ln["interchange_control"].strip(), ln["group_control"], ln["set_control"],
                     int(ln["member_ordinal"])))
    for a, b, c, n in _query(url, sa.select(rr.c.interchange_control, rr.c.group_control,
                                            rr.c.set_control, d.c.member_ordinal)
                             .join(d, d.c.run_id == rr.c.id)
                             .where(d.c.member_ordinal.is_not(None))):  # fmt: skip
        out.add((str(a).strip(), str(b), str(c), int(str(n))))
    return out


# ---------------------------------------------------------------- the property


def assert_valid(acks: list[tuple[str, str]]) -> None:
    for name, text in acks:
        assert ack_problems(text) == [], (name, text)


def assert_members_agree(url: str, sets: set[Key], acks: list[tuple[str, str]],
                         file: FileShape, rejected: set[MemberKey], what: str) -> None:
    """The members traced in `url` belong to `sets` (accepted, applied), every member of them
    the acknowledgment notes nothing in is traced, and no member the verdict rejects is."""
    traced = traced_members(url)
    noted = noted_positions(acks)
    in_sets = {(*k, o) for k in sets for o in file.members.get(k, {})}
    assert traced <= in_sets, (what, sorted(traced - in_sets)[:5])
    clean = {(*k, o) for k in sets for o, (lo, hi) in file.members.get(k, {}).items()
             if not any(lo <= p <= hi for p in noted.get(k, ()))}
    assert clean <= traced, (what, sorted(clean - traced)[:5])
    assert not traced & rejected, (what, sorted(traced & rejected)[:5])


def through_the_ledger(fresh: Callable[[], str], data: bytes, tmp: Path, usage: str) -> None:
    """Ingest and reconcile `data` into fresh ledgers of `usage`; check (a) and (b)."""
    path = tmp / f"in-{uuid.uuid4().hex[:8]}.edi"
    path.write_bytes(data)
    file = shape(data)
    verdict = validate_file(data, path.name, validator=VALIDATOR)
    rejected = {(ic.control_number.strip(), g.control_number, s.control_number, o)
                for ic in verdict.interchanges for g in ic.groups for s in g.transaction_sets
                for o in s.rejected_ordinals}  # fmt: skip
    applies = "P" if usage == "production" else "T"
    try:
        url = fresh()
        summary = ingest_file(url, path, validator=VALIDATOR, usage=usage)
        assert_valid(summary.acks)
        accepted = {k for k in acked_sets(summary.acks) if file.usage.get(k[0]) == applies}
        if file.unique:
            assert registered_sets(url) == accepted, path.name
            assert_members_agree(url, accepted, summary.acks, file, rejected, "ingest")
        else:
            assert registered_sets(url) <= accepted, path.name
        recon_url = fresh()
        out = reconcile_file(recon_url, path, validator=VALIDATOR, usage=usage)
        assert_valid(out.acks)
        assert acked_sets(out.acks) == acked_sets(summary.acks)  # one verdict for both
        full = {k for k in accepted if k in file.full}
        if file.unique:
            assert reconciled_sets(recon_url) == full, path.name
            assert_members_agree(recon_url, full, out.acks, file, rejected, "reconcile")
        else:
            assert reconciled_sets(recon_url) <= full, path.name
    finally:
        dispose()


# ---------------------------------------------------------------- the inputs


@pytest.mark.parametrize("fresh", ["sqlite"], indirect=True)  # one backend for the corpus
def test_corpus(fresh: Callable[[], str], tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    files = sorted(p for p in CORPUS.iterdir() if p.is_file() and p.name != "SOURCES.md")
    for path in files:
        for usage in ("production", "test"):  # each interchange is recorded by one of them
            through_the_ledger(fresh, path.read_bytes(), tmp_path, usage)


GENERATED = [
    *[(form, "5010", "change", None) for form in sorted(FORMS)],
    *[(form, "4010", "change", None) for form in ("lines", "diskette80", "cp037")],
    *[(form, "5010", "audit", None) for form in ("oneline", "multi", "tape128")],
    ("crlf", "5010", "change", 2),
    ("lines", "5010", "audit", 3),
]
"""(form, version, mix, bad member): every form on SQLite; on PostgreSQL the full files, the
rejected members and one form of each version (the transport is not the database's business)."""
ON_POSTGRES = [g for g in GENERATED if g[2] == "audit" or g[3] or g[0] == "lines"]
FORM_CASES = [("sqlite", *g) for g in GENERATED] + [("postgresql", *g) for g in ON_POSTGRES]


@pytest.mark.parametrize(("fresh", "form", "version", "mix", "bad"), FORM_CASES,
                         ids=[f"{b}-{f}-{v}-{m}{'-bad' if x else ''}"
                              for b, f, v, m, x in FORM_CASES], indirect=["fresh"])
def test_every_generated_form(fresh: Callable[[], str], tmp_path: Path, form: str,
                              version: str, mix: str, bad: int | None) -> None:
    data = b"".join(generate(5, 23, form, version=version, mix=mix, bad_member=bad,  # type: ignore[arg-type]
                             ascii_only=True))
    through_the_ledger(fresh, data, tmp_path, "production")


BASES = {"change": base_segments("5010"), "audit": [
    (seg.id, list(seg.elements))
    for seg in read_segments(b"".join(generate(3, 7, "lines", mix="audit", ascii_only=True)),
                             "base")
    if isinstance(seg, Segment)]}


def into_members(segments: list[tuple[str, list[str]]],
                 steps: list[tuple[str, float, float, str, int]],
                 ) -> list[tuple[str, float, float, str, int]]:
    """`steps` aimed at the member loops (INS up to SE) rather than anywhere in the set: a
    mutation there mostly rejects a member, which is what the ledger must leave out."""
    body = [sid for sid, _ in segments if sid not in ("ISA", "GS", "GE", "IEA")]
    lo, hi = body.index("INS") / len(body), (body.index("SE") - 0.5) / len(body)
    return [(op, lo + where * (hi - lo), which, value, n) for op, where, which, value, n in steps]


def recount(segments: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """`segments` with each SE01 made the count of its set's segments again, so a deleted or
    repeated member segment is judged inside its member instead of rejecting the set."""
    out: list[tuple[str, list[str]]] = []
    count = 0
    for sid, els in segments:
        count = 1 if sid == "ST" else count + 1
        if sid == "SE" and els:
            els = [str(count), *els[1:]]
        out.append((sid, els))
    return out


@pytest.mark.parametrize("fresh", ["sqlite", "postgresql"], indirect=True)
def test_mutations(fresh: Callable[[], str], tmp_path: Path, request: pytest.FixtureRequest,
                   ) -> None:
    on_postgres = request.node.callspec.params["fresh"] == "postgresql"

    @settings(max_examples=CASES // 3 if on_postgres else CASES, deadline=None,
              derandomize=not SOAK, suppress_health_check=[HealthCheck.too_slow])
    @given(base=st.sampled_from(sorted(BASES)), steps=steps_strategy,
           envelope=st.lists(ENVELOPE, max_size=2), in_members=st.booleans(),
           recounted=st.booleans())
    def mutated(base: str, steps: list[tuple[str, float, float, str, int]],
                envelope: list[tuple[str, int, str]], in_members: bool, recounted: bool) -> None:
        segments = mutate(BASES[base], into_members(BASES[base], steps) if in_members else steps)
        if recounted:
            segments = recount(segments)
        for seg_id, element, value in envelope:
            for sid, els in segments:
                if sid == seg_id and element <= len(els):
                    width = len(els[element - 1])
                    els[element - 1] = value if sid != "ISA" else value[:width].ljust(width)
                    break
        usage = "test" if any(sid == "ISA" and len(els) > 14 and els[14].strip() == "T"
                              for sid, els in segments) else "production"
        through_the_ledger(fresh, render(segments), tmp_path, usage)

    mutated()
