"""Inline synthetic 834 builders and a small deterministic decider for the ledger tests.

Every name, number and date here is invented.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from edi.codes import MaintenanceType, MedicarePlan
from edi.records import MemberTransaction, TransactionSetHeader
from matching.decisions import CandidateSource, Decision, GroupPolicy, Outcome, Reason

RECEIVED = dt.datetime(2026, 1, 20, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class M:
    """One member loop, in the few fields the ledger tests vary."""

    sub: str = "SUB1001"
    subscriber: bool = True
    rel: str = "18"
    ins03: str = "021"
    ins04: str = "28"
    ins05: str = "A"
    last: str = "TESTER"
    first: str = "ALICE"
    ssn: str = ""
    dob: str = "19800101"
    gender: str = "F"
    street: str = "1 MAIN ST"
    member_dates: tuple[tuple[str, str], ...] = (("356", "20260201"),)
    hds: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
        ("021", "HLT", "PPO1", (("348", "20260201"),)),
    )
    death: str = ""
    medicare: str = ""
    old_last: str = ""

    def segments(self) -> list[str]:
        ins = f"INS*{'Y' if self.subscriber else 'N'}*{self.rel}*{self.ins03}*{self.ins04}*{self.ins05}"
        ins += f"*{self.medicare}**FT"
        if self.death:
            ins += f"***D8*{self.death}"
        segs = [ins, f"REF*0F*{self.sub}"]
        segs += [f"DTP*{q}*D8*{d}" for q, d in self.member_dates]
        nm1 = f"NM1*IL*1*{self.last}*{self.first}"
        if self.ssn:
            nm1 += f"****34*{self.ssn}"
        segs += [nm1, f"N3*{self.street}", "N4*SPRINGFIELD*IL*62701", f"DMG*D8*{self.dob}*{self.gender}"]
        if self.old_last:
            segs += [f"NM1*70*1*{self.old_last}*{self.first}"]
        for hd01, line, plan, dates in self.hds:
            segs.append(f"HD*{hd01}**{line}*{plan}*EMP")
            segs += [f"DTP*{q}*D8*{d}" for q, d in dates]
        return segs


def transaction_set(members: Sequence[M], st02: str = "0001", *, bgn_date: str = "20260115",
                    purpose: str = "00", sponsor: str = "991234567") -> list[str]:
    segs = [f"ST*834*{st02}*005010X220A1", f"BGN*{purpose}*REF{st02}*{bgn_date}*1200****2",
            f"N1*P5*ACME TOOL*FI*{sponsor}", "N1*IN*SYNTH PLAN*FI*990000001"]
    for m in members:
        segs += m.segments()
    segs.append(f"SE*{len(segs) + 1}*{st02}")
    return segs


def interchange(sets: Sequence[list[str]], *, isa13: str = "000000101", sender: str = "SENDER1") -> bytes:
    isa = (f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*RECEIVER1      *260115*1200*^*00501"
           f"*{isa13}*0*P*:")
    segs = [isa, "GS*BE*SENDER1*RECEIVER1*20260115*1200*1*X*005010X220A1"]
    for s in sets:
        segs += s
    segs += [f"GE*{len(sets)}*1", f"IEA*1*{isa13}"]
    return ("~\n".join(segs) + "~\n").encode()


def write(tmp: Path, name: str, data: bytes) -> Path:
    p = tmp / name
    p.write_bytes(data)
    return p


def simple_decide(
    header: TransactionSetHeader,
    family: Sequence[MemberTransaction],
    *,
    candidates: CandidateSource,
    group: GroupPolicy,
    received_at: dt.datetime,
) -> list[Decision]:
    """Known = same subscriber number, relationship and first name; Medicare is referred."""
    from matching.blocking import transaction_keys

    out: list[Decision] = []
    for tx in family:
        if tx.medicare_plan is not None and tx.medicare_plan is not MedicarePlan.NO_MEDICARE:
            out.append(Decision(Outcome.REFER, tx, reason=Reason.MEDICARE_REFERRAL, queue="medicare"))
            continue
        rel = tx.relationship.value if tx.relationship else ""
        first = (tx.incorrect.name.first if tx.incorrect else "") or tx.member.name.first
        found = [
            p for p in candidates.candidates(transaction_keys(tx))
            if tx.subscriber_number in p.subscriber_numbers and p.relationship == rel
            and p.first == first
        ]
        if found:
            out.append(Decision(Outcome.APPLY, tx, member_id=found[0].member_id, score=1.0))
        elif tx.maintenance_type in (MaintenanceType.ADDITION, MaintenanceType.AUDIT):
            out.append(Decision(Outcome.NEW_MEMBER, tx))
        else:
            out.append(Decision(Outcome.REVIEW, tx, reason=Reason.UNKNOWN_MEMBER, queue="review"))
    return out
