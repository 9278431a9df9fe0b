"""Synthetic X12 834 files, deterministic per seed, with the truth of every member.

`generate()` streams a realistic 834 (005010X220A1, or 004010X095A1 with
`version="4010"`) as bytes chunks in any transport form of
`edi.generate_forms.FORMS`; `generate_truth()` yields, for the same arguments,
one `TruthMember` per INS loop holding exactly the values written, so tests
can compare a parse with what was meant. Same arguments, same bytes.

Content: families (subscriber, spouse, children; dependents without SSN;
twins sharing a birth date with INS17 birth sequence), additions (021),
demographic changes (001, some with 2100B NM1*70 + DMG old values),
terminations (024 + DTP*357, HD*024 + DTP*349), reinstatements (025 +
DTP*303), audit files (BGN08=4, INS03=030, HD*030), COBRA (INS05=C, INS07,
DTP*301/340/341), Medicare (INS06, DTP*338, REF*F6 MBI-shaped), several
coverages (HLT/DEN/VIS with HD05 levels), PER/N3/N4/DMG, REF*0F/1L and
LS/LX/N1*75/REF/DTP/LE reporting categories (5010 only). Envelopes and counts
(SE01, GE01, IEA01, QTY) are correct.

Nobody real: names come from small invented lists (a few with Ñ/Ö/É), SSNs
are in the never-issued 9xx area, phone numbers in 555-01xx.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edi.generate_family import (
    MIXES,
    Mix,
    Options,
    Synth,
    TruthAddress,
    TruthCategory,
    TruthCoverage,
    TruthMember,
    TruthOld,
    Version,
)
from edi.generate_forms import FORMS, encode_chunks
from edi.generate_forms import form as layout_of

__all__ = [
    "FORMS",
    "MIXES",
    "GeneratedSummary",
    "Mix",
    "TruthAddress",
    "TruthCategory",
    "TruthCoverage",
    "TruthMember",
    "TruthOld",
    "generate",
    "generate_truth",
    "write_file",
]


@dataclass(frozen=True, slots=True)
class GeneratedSummary:
    """What `write_file` wrote."""

    path: Path
    form: str
    version: str
    seed: int
    members: int
    interchanges: int
    sets: int
    bytes: int
    sha256: str


# ---------------------------------------------------------------- entry points


def generate(
    members: int,
    seed: int,
    form: str = "lines",
    *,
    version: Version = "5010",
    sponsor_id: str = "991234567",
    sponsor_name: str = "ACME TOOL AND DIE",
    payer_id: str = "990000001",
    payer_name: str = "SYNTHETIC HEALTH PLAN",
    sender_id: str | None = None,
    receiver_id: str = "SYNTHPAYER",
    interchanges: int = 1,
    sets: int = 1,
    mix: Mix | str = "change",
    bad_member: int | None = None,
    file_date: dt.date | None = None,
    encoding: str = "utf-8",
    ascii_only: bool = False,
    effective_date: dt.date | None = None,
) -> Iterator[bytes]:
    """Stream a synthetic 834 of exactly `members` INS loops as bytes chunks (~1 MiB each).

    `form` is a key of FORMS; `interchanges` × `sets` transaction sets
    share the members evenly (each needs at least one). `bad_member` (1-based
    file ordinal) gets an invalid INS05 code for 999 demos. `file_date`
    defaults to a date derived from the seed. `effective_date` (DTP*007) is the
    date coverages begin and events happen relative to (default: the first of
    the month after `file_date`). `ascii_only` spells the few accented names
    without accents (the X12 extended character set: what the compiled
    validator and pyx12 accept; accented letters need a partner agreed on UTF-8).
    Raises ValueError on bad arguments.
    """
    opts = _options(members, seed, form, version, sponsor_id, sponsor_name, payer_id,
                    payer_name, sender_id, receiver_id, interchanges, sets, mix, bad_member,
                    file_date, ascii_only, effective_date)
    return encode_chunks(_text_chunks(opts), layout_of(form), encoding)


def generate_truth(
    members: int,
    seed: int,
    form: str = "lines",
    *,
    version: Version = "5010",
    sponsor_id: str = "991234567",
    sponsor_name: str = "ACME TOOL AND DIE",
    payer_id: str = "990000001",
    payer_name: str = "SYNTHETIC HEALTH PLAN",
    sender_id: str | None = None,
    receiver_id: str = "SYNTHPAYER",
    interchanges: int = 1,
    sets: int = 1,
    mix: Mix | str = "change",
    bad_member: int | None = None,
    file_date: dt.date | None = None,
    encoding: str = "utf-8",
    ascii_only: bool = False,
    effective_date: dt.date | None = None,
) -> Iterator[TruthMember]:
    """The truth of `generate()` with the same arguments: one TruthMember per INS, in file order."""
    del encoding  # accepted so the two calls take identical keyword sets
    opts = _options(members, seed, form, version, sponsor_id, sponsor_name, payer_id,
                    payer_name, sender_id, receiver_id, interchanges, sets, mix, bad_member,
                    file_date, ascii_only, effective_date)
    return (item for item in Synth(opts).items() if isinstance(item, TruthMember))


def write_file(
    path: str | Path, members: int, seed: int, form: str = "lines", **kw: Any
) -> GeneratedSummary:
    """Write `generate(members, seed, form, **kw)` to `path` (streamed) and summarise it."""
    target = Path(path)
    digest = hashlib.sha256()
    size = 0
    chunks = generate(members, seed, form, **kw)  # bad arguments raise before the file opens
    with target.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    layout = layout_of(form)
    return GeneratedSummary(
        path=target,
        form=form,
        version=str(kw.get("version", "5010")),
        seed=seed,
        members=members,
        interchanges=max(int(kw.get("interchanges", 1)), layout.min_interchanges),
        sets=int(kw.get("sets", 1)),
        bytes=size,
        sha256=digest.hexdigest(),
    )


def _options(
    members: int, seed: int, form_name: str, version: str, sponsor_id: str, sponsor_name: str,
    payer_id: str, payer_name: str, sender_id: str | None, receiver_id: str, interchanges: int,
    sets: int, mix: Mix | str, bad_member: int | None, file_date: dt.date | None,
    ascii_only: bool, effective_date: dt.date | None = None,
) -> Options:
    layout = layout_of(form_name)
    if version not in ("5010", "4010"):
        raise ValueError("version must be '5010' or '4010'")
    chosen = MIXES.get(mix) if isinstance(mix, str) else mix
    if chosen is None:
        raise ValueError(f"unknown mix {mix!r}; known: {', '.join(MIXES)}")
    interchanges = max(interchanges, layout.min_interchanges)
    if sets < 1 or members < interchanges * sets:
        raise ValueError("need at least one member per transaction set")
    sender = sender_id or sponsor_id
    if len(sender) > 15 or len(receiver_id) > 15:
        raise ValueError("ISA sender/receiver ids are at most 15 characters")
    return Options(
        members=members, seed=seed, terminator=layout.terminator, suffix=layout.suffix,
        version="4010" if version == "4010" else "5010", sponsor_id=sponsor_id,
        sponsor_name=sponsor_name, payer_id=payer_id, payer_name=payer_name, sender_id=sender,
        receiver_id=receiver_id, interchanges=interchanges, sets=sets, mix=chosen,
        bad_member=bad_member,
        file_date=file_date or dt.date(2026, 1, 1) + dt.timedelta(days=seed % 365),
        ascii_only=ascii_only, effective_date=effective_date,
    )


def _text_chunks(opts: Options, target: int = 1 << 20) -> Iterator[str]:
    end = opts.terminator + opts.suffix
    buf: list[str] = []
    size = 0
    for item in Synth(opts).items():
        if isinstance(item, TruthMember):
            continue
        text = end.join(item) + end
        buf.append(text)
        size += len(text)
        if size >= target:
            yield "".join(buf)
            buf.clear()
            size = 0
    if buf:
        yield "".join(buf)
