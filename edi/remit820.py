"""820 Payroll Deducted and Other Group Premium Payment (005010X218): remittances as records.

`read_820(data, source, validate=True)` -> (remittances, findings). The file is read by
the same tokenizer as an 834; with `validate` it is checked against pyx12's 820 map
(`pyx12/map/820.5010.X218.xml`, through `edi.ig_pyx12`, GS08 picks it) and by the
structural rules below. A remittance is returned only for a transaction set without a
rejecting finding.

Structural rules (code `remit.*`, ERROR): ST01 must be 820 and GS08/ST03 005010X218;
BPR (BPR02 the total, two decimals at most; BPR16 the date), TRN (TRN02 the trace
number) and N1*PR are required; every RMR04 is an amount; the RMR04s add up to BPR02
(BPR01 'I' or 'C' payments only; a BPR01 'D'/'P'/'U'/'X' set is reported and skipped).

A `Remittance` names the payer group (ENT04 of the 2000A organization loop when present,
else N1*PR N104), the trace number and each RMR (qualifier, reference: the bill number
for RMR01 IK, amount in cents). Findings carry positions, never values.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from edi.findings import Finding, Level, Severity
from edi.segments import Segment

IMPLEMENTATION = "005010X218"
_AMOUNT = re.compile(r"^-?\d{1,12}(\.\d{1,2})?$")


@dataclass(frozen=True, slots=True)
class RemitItem:
    """One RMR: what the payment is for."""

    qualifier: str
    reference: str
    amount_cents: int


@dataclass(frozen=True, slots=True)
class Remittance:
    """One 820 transaction set: one payment and the bills it names."""

    sender_id: str
    interchange_control: str
    set_control: str
    trace: str
    payer: str
    total_cents: int
    paid_on: dt.date | None
    items: tuple[RemitItem, ...]


def cents(text: str) -> int | None:
    """'1500', '1500.5', '1500.00' -> cents; None when not such an amount."""
    s = text.strip()
    return int(Decimal(s) * 100) if _AMOUNT.match(s) else None


def _finding(code: str, message: str, seg: Segment | None, source: str, st02: str) -> Finding:
    return Finding(code=code, severity=Severity.ERROR, level=Level.TRANSACTION_SET,
                   message=message, source=source, segment_position=seg.position if seg else None,
                   offset=seg.offset if seg else None, segment_id=seg.id if seg else None,
                   set_control=st02 or None, validator="remit820")  # fmt: skip


class _Set:
    def __init__(self, st: Segment, sender: str, isa13: str) -> None:
        self.st, self.sender, self.isa13 = st, sender, isa13
        self.bpr: Segment | None = None
        self.trn: Segment | None = None
        self.payer_n1: Segment | None = None
        self.ent: Segment | None = None
        self.rmrs: list[Segment] = []

    def finish(self, source: str, gs08: str) -> tuple[Remittance | None, list[Finding]]:
        st02 = self.st.get(2)
        bad: list[Finding] = []

        def fail(code: str, msg: str, seg: Segment | None = None) -> None:
            bad.append(_finding(code, msg, seg or self.st, source, st02))

        if self.st.get(1) != "820":
            fail("remit.not_820", "transaction set is not an 820")
        if IMPLEMENTATION not in (gs08, self.st.get(3)):
            fail("remit.version", "GS08/ST03 is not 005010X218")
        for seg, name in ((self.bpr, "BPR"), (self.trn, "TRN"), (self.payer_n1, "N1*PR")):
            if seg is None:
                fail("remit.missing_segment", f"required {name} segment missing")
        if not self.rmrs:
            fail("remit.missing_segment", "no RMR remittance detail")
        if bad:
            return None, bad
        assert self.bpr is not None and self.trn is not None and self.payer_n1 is not None
        total = cents(self.bpr.get(2))
        if total is None:
            fail("remit.amount", "BPR02 is not an amount", self.bpr)
        if self.bpr.get(1) not in ("I", "C"):
            fail("remit.not_a_payment", "BPR01 is not a payment (I or C); not applied", self.bpr)
        items = []
        for rmr in self.rmrs:
            amount = cents(rmr.get(4))
            if amount is None:
                fail("remit.amount", "RMR04 is not an amount", rmr)
                continue
            items.append(RemitItem(rmr.get(1), rmr.get(2).strip(), amount))
        if not bad and total != sum(i.amount_cents for i in items):
            fail("remit.total", "the RMR04 amounts do not add up to BPR02", self.bpr)
        if bad:
            return None, bad
        try:
            paid_on: dt.date | None = dt.datetime.strptime(self.bpr.get(16), "%Y%m%d").date()
        except ValueError:
            paid_on = None
        payer = (self.ent.get(4) if self.ent is not None else "") or self.payer_n1.get(4)
        assert total is not None
        return Remittance(self.sender, self.isa13, st02, self.trn.get(2).strip(), payer.strip(),
                          total, paid_on, tuple(items)), []  # fmt: skip


def remittances(segments: Iterable[Segment], source: str) -> tuple[list[Remittance], list[Finding]]:
    """The structural reading of an 820's segments (see module docstring)."""
    out: list[Remittance] = []
    found: list[Finding] = []
    sender = isa13 = gs08 = ""
    cur: _Set | None = None
    for seg in segments:
        sid = seg.id
        if sid == "ISA":
            sender, isa13 = seg.get(6).strip(), seg.get(13).strip()
        elif sid == "GS":
            gs08 = seg.get(8).strip()
        elif sid == "ST":
            cur = _Set(seg, sender, isa13)
        elif cur is None:
            continue
        elif sid == "BPR" and cur.bpr is None:
            cur.bpr = seg
        elif sid == "TRN" and cur.trn is None:
            cur.trn = seg
        elif sid == "N1" and seg.get(1) == "PR":
            cur.payer_n1 = seg
        elif sid == "ENT" and cur.ent is None and seg.get(2) != "2J":
            cur.ent = seg
        elif sid == "RMR":
            cur.rmrs.append(seg)
        elif sid == "SE":
            rem, bad = cur.finish(source, gs08)
            found += bad
            if rem is not None:
                out.append(rem)
            cur = None
    return out, found


def read_820(data: bytes | Path, source: str, *, validate: bool = True
             ) -> tuple[list[Remittance], list[Finding]]:  # fmt: skip
    """Remittances of an 820 file and every finding; sets with a rejecting finding are left out."""
    from edi.tokenize import read_segments

    segs: list[Segment] = []
    found: list[Finding] = []
    for s in read_segments(data, source):
        if isinstance(s, Segment):
            segs.append(s)
        else:
            found.append(s)
    if validate:
        from edi.ig_pyx12 import validate_segments

        found += list(validate_segments(segs, source, recover=True))
    rems, structural = remittances(segs, source)
    found += structural
    bad_sets = {f.set_control for f in found if f.rejects and f.set_control}
    file_bad = any(f.rejects and not f.set_control for f in found)
    if file_bad:
        return [], found
    return [r for r in rems if r.set_control not in bad_sets], found
