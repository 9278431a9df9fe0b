"""Labelled people written as an 834 and read back through edi/, as a partner's file is.

The evaluation's public data sets (matching/febrl.py) become two 834 interchanges:
a *store* file (what the ledger already holds) and an *incoming* file (the noisy
second copy). `render` writes `Loop`s (the member-level values the matcher reads)
as 005010X220A1 text; `read_members` parses any 834 back into `MemberTransaction`s
with edi.reader, so what the matcher sees is what the reader builds from a file.

A value the 834 cannot carry is left out as a sender would: no birth date means no
DMG segment (gender goes with it), an unknown gender is U, no address means no
N3/N4. Delimiter characters in a value are dropped. A loop the implementation guide
rejects (no surname) is read with `rejected` set, as ingest would reject it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from edi.reader import read
from edi.records import MemberTransaction
from edi.validate import make_validator

_DELIMITERS = str.maketrans("", "", "*~:^\n\r")


@dataclass(frozen=True, slots=True)
class Loop:
    """One 2000 member loop's values ('' / None = not sent)."""

    subscriber_number: str
    last: str
    first: str = ""
    middle: str = ""
    ssn: str = ""
    birth_date: dt.date | None = None
    gender: str = ""
    line1: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    subscriber: bool = True
    relationship: str = "18"
    maintenance: str = "021"
    birth_sequence: int | None = None


def _clean(value: str) -> str:
    return value.translate(_DELIMITERS).strip().upper()


def _segment(*elements: str) -> str:
    parts = list(elements)
    while parts and parts[-1] == "":
        parts.pop()
    return "*".join(parts)


def loop_segments(loop: Loop, begin: dt.date) -> list[str]:
    """The segments of one member loop (INS .. HD/DTP)."""
    reason = {"021": "28", "030": "XN", "001": "25"}.get(loop.maintenance, "28")
    ins = [
        "INS", "Y" if loop.subscriber else "N", loop.relationship, loop.maintenance, reason,
        "A", "", "", "FT" if loop.subscriber else "",
    ]  # fmt: skip
    if loop.birth_sequence is not None:
        ins += [""] * (17 - len(ins)) + [str(loop.birth_sequence)]
    segs = [_segment(*ins), _segment("REF", "0F", _clean(loop.subscriber_number))]
    name = ["NM1", "IL", "1", _clean(loop.last), _clean(loop.first), _clean(loop.middle)]
    ssn = _clean(loop.ssn)
    if ssn:
        name += ["", "", "34", ssn]
    segs.append(_segment(*name))
    if _clean(loop.line1):
        segs.append(_segment("N3", _clean(loop.line1)))
        segs.append(
            _segment("N4", _clean(loop.city) or "UNKNOWN", _clean(loop.state), _clean(loop.postal_code))
        )
    if loop.birth_date is not None:
        # DMG03 is mandatory: an unknown gender is sent as U (the matcher reads it as missing)
        segs.append(_segment("DMG", "D8", loop.birth_date.strftime("%Y%m%d"), loop.gender or "U"))
    if loop.maintenance != "001":
        hd01 = "030" if loop.maintenance == "030" else "021"
        segs += [_segment("HD", hd01, "", "HLT", "PPO1", "EMP"),
                 f"DTP*348*D8*{begin:%Y%m%d}"]  # fmt: skip
    return segs


def render(
    loops: Iterable[Loop],
    *,
    isa13: str,
    sponsor: str = "990000834",
    sender: str = "LABELLED",
    begin: dt.date = dt.date(2026, 2, 1),
) -> bytes:
    """One interchange, one group, one transaction set holding every loop in order."""
    body: list[str] = []
    for loop in loops:
        body += loop_segments(loop, begin)
    st = ["ST*834*0001*005010X220A1", "BGN*00*LABELLED*20260105*1200****2",
          f"N1*P5*LABELLED SPONSOR*FI*{sponsor}", "N1*IN*LABELLED PLAN*FI*990000001",
          *body]  # fmt: skip
    st.append(f"SE*{len(st) + 1}*0001")
    isa = (f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*RECEIVER1      *260105*1200*^"
           f"*00501*{isa13}*0*P*:")  # fmt: skip
    segs = [isa, "GS*BE*LABELLED*RECEIVER1*20260105*1200*1*X*005010X220A1", *st,
            "GE*1*1", f"IEA*1*{isa13}"]  # fmt: skip
    return ("~\n".join(segs) + "~\n").encode()


def read_members(data: bytes, source: str = "labelled.834") -> list[MemberTransaction]:
    """Every member transaction edi/ reads from an 834, judged by the compiled
    implementation-guide validator as ingest judges it (`tx.rejected`: a member ingest
    would reject, e.g. one without a surname — NM103 is mandatory)."""
    events = read(data, source, validator=make_validator())
    return [ev for ev in events if isinstance(ev, MemberTransaction)]


def families(members: Sequence[MemberTransaction]) -> Iterator[list[MemberTransaction]]:
    """Members grouped as ingest groups them: a subscriber and the dependents after it
    with the same REF*0F (a dependent alone, or of another number, starts a family)."""
    family: list[MemberTransaction] = []
    for tx in members:
        if family and (tx.subscriber or tx.subscriber_number != family[0].subscriber_number):
            yield family
            family = []
        family.append(tx)
    if family:
        yield family
