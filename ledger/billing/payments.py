"""Payments: recorded by hand or read from 820 remittances, applied to bills, the rest credit.

- `record_payment(conn, sponsor, amount, reference, user=...)`: a payment of a group,
  identified by its reference (unique per group). Applied to the bills named in `bills`
  (an 820's RMRs: bill number -> amount; each up to that bill's open balance), or without
  them to the group's open bills oldest first. What is not applied stays as the group's
  credit (`credit`). The same reference and amount again is a duplicate and changes
  nothing; the same reference with another amount is refused.
- `reverse_payment(conn, sponsor, reference, user=...)`: a returned check or recalled
  transfer: a negative payment naming the reversed one, and negative applications
  undoing each of its applications (bills are open again; commission is clawed back).
- `apply_remittances(conn, remittances, file_sha256, user=...)`: 820 remittances (from
  `edi.remit820.read_820`) as payments with reference '820:<TRN02>'; a duplicate 820
  (same trace numbers) changes nothing.

Every payment and reversal is audited ('billing.pay', 'billing.reverse'; amounts and
bill numbers only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from edi.remit820 import Remittance
from ledger.billing.money import dollars
from ledger.store import LedgerError, audit, billing_tables, utcnow

_p = billing_tables.billing_payments
_a = billing_tables.billing_applications
_b = billing_tables.billing_bills


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """What a payment did: status recorded | duplicate | reversed."""

    group: str
    reference: str
    status: str
    amount_cents: int
    applied: tuple[tuple[str, int], ...] = ()
    unapplied_cents: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"group": self.group, "reference": self.reference, "status": self.status,
                "amount": dollars(self.amount_cents), "unapplied": dollars(self.unapplied_cents),
                "applied": [{"bill": b, "amount": dollars(c)} for b, c in self.applied],
                "notes": list(self.notes)}  # fmt: skip


def open_balance(conn: Connection, bill_id: int) -> int:
    """The bill's total minus everything applied to it."""
    total = conn.execute(sa.select(_b.c.total_cents).where(_b.c.id == bill_id)).scalar_one()
    paid = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(_a.c.amount_cents), 0))
                        .where(_a.c.bill_id == bill_id)).scalar_one()  # fmt: skip
    return int(total) - int(paid)


def credit(conn: Connection, sponsor_id: str) -> int:
    """The group's unapplied payments (cents)."""
    paid = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(_p.c.amount_cents), 0))
                        .where(_p.c.sponsor_id == sponsor_id)).scalar_one()  # fmt: skip
    applied = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(_a.c.amount_cents), 0))
        .join(_p, _p.c.id == _a.c.payment_id).where(_p.c.sponsor_id == sponsor_id)
    ).scalar_one()  # fmt: skip
    return int(paid) - int(applied)


def _apply(conn: Connection, payment_id: int, bill_id: int, cents: int, at: dt.datetime) -> None:
    conn.execute(_a.insert().values(payment_id=payment_id, bill_id=bill_id, amount_cents=cents,
                                    applied_at=at))  # fmt: skip


def record_payment(
    conn: Connection, sponsor_id: str, amount_cents: int, reference: str, *, user: str,
    bills: Mapping[str, int] | None = None, source: str = "cli",
    file_sha256: str | None = None, received_at: dt.datetime | None = None,
) -> PaymentResult:  # fmt: skip
    """Record and apply one payment (see module docstring)."""
    reference = reference.strip()
    if not reference or len(reference) > 120:
        raise LedgerError("a payment reference is 1-120 characters")
    if amount_cents <= 0:
        raise LedgerError("a payment amount must be more than zero")
    old = conn.execute(sa.select(_p).where(_p.c.sponsor_id == sponsor_id,
                                           _p.c.reference == reference)).first()  # fmt: skip
    if old is not None:
        if old.amount_cents != amount_cents:
            raise LedgerError(f"group {sponsor_id}: payment reference {reference[:40]} was "
                              "already recorded with another amount")  # fmt: skip
        return PaymentResult(sponsor_id, reference, "duplicate", amount_cents)
    at = received_at or utcnow()
    pid = conn.execute(_p.insert().values(
        sponsor_id=sponsor_id, reference=reference, source=source, amount_cents=amount_cents,
        received_at=at, reverses=None, file_sha256=file_sha256, recorded_by=user,
    ).returning(_p.c.id)).scalar_one()  # fmt: skip
    left = amount_cents
    applied: list[tuple[str, int]] = []
    notes: list[str] = []
    targets: list[tuple[str, int, int | None]] = []
    if bills is not None:
        for number, wanted in bills.items():
            row = conn.execute(sa.select(_b.c.id, _b.c.sponsor_id).where(
                _b.c.bill_number == number)).first()  # fmt: skip
            if row is None or row.sponsor_id != sponsor_id:
                notes.append(f"bill {number[:40]} is not a bill of group {sponsor_id}; kept as credit")
                continue
            targets.append((number, row.id, wanted))
    else:
        targets = [(r.bill_number, r.id, None) for r in conn.execute(
            sa.select(_b.c.bill_number, _b.c.id).where(_b.c.sponsor_id == sponsor_id)
            .order_by(_b.c.period))]  # fmt: skip
    for number, bill_id, asked in targets:
        due = open_balance(conn, bill_id)
        cents = min(left, due, asked if asked is not None else left)
        if cents > 0:
            _apply(conn, pid, bill_id, cents, at)
            applied.append((number, cents))
            left -= cents
    audit(conn, user, "billing.pay", target=sponsor_id, details={
        "reference": reference[:40], "source": source, "amount": dollars(amount_cents),
        "applied": [[b, dollars(c)] for b, c in applied], "unapplied": dollars(left)})  # fmt: skip
    return PaymentResult(sponsor_id, reference, "recorded", amount_cents, tuple(applied), left,
                         tuple(notes))  # fmt: skip


def reverse_payment(conn: Connection, sponsor_id: str, reference: str, *, user: str,
                    at: dt.datetime | None = None) -> PaymentResult:  # fmt: skip
    """Reverse a recorded payment (see module docstring); a second reversal is a duplicate."""
    old = conn.execute(sa.select(_p).where(_p.c.sponsor_id == sponsor_id,
                                           _p.c.reference == reference.strip(),
                                           _p.c.reverses.is_(None))).first()  # fmt: skip
    if old is None:
        raise LedgerError(f"group {sponsor_id}: no payment with reference {reference[:40]}")
    rev_ref = f"{old.reference}/reversal"[:120]
    if conn.execute(sa.select(_p.c.id).where(_p.c.reverses == old.id)).first() is not None:
        return PaymentResult(sponsor_id, rev_ref, "duplicate", -old.amount_cents)
    when = at or utcnow()
    pid = conn.execute(_p.insert().values(
        sponsor_id=sponsor_id, reference=rev_ref, source="reversal",
        amount_cents=-old.amount_cents, received_at=when, reverses=old.id, file_sha256=None,
        recorded_by=user,
    ).returning(_p.c.id)).scalar_one()  # fmt: skip
    undone: list[tuple[str, int]] = []
    rows = conn.execute(sa.select(_a.c.bill_id, sa.func.sum(_a.c.amount_cents), _b.c.bill_number)
                        .join(_b, _b.c.id == _a.c.bill_id).where(_a.c.payment_id == old.id)
                        .group_by(_a.c.bill_id, _b.c.bill_number))  # fmt: skip
    for bill_id, cents, number in list(rows):
        _apply(conn, pid, bill_id, -int(cents), when)
        undone.append((number, -int(cents)))
    audit(conn, user, "billing.reverse", target=sponsor_id, details={
        "reference": old.reference[:40], "amount": dollars(old.amount_cents),
        "bills": [b for b, _ in undone]})  # fmt: skip
    return PaymentResult(sponsor_id, rev_ref, "reversed", -old.amount_cents, tuple(undone))


def apply_remittances(conn: Connection, remittances: Iterable[Remittance], file_sha256: str,
                      *, user: str) -> list[PaymentResult]:  # fmt: skip
    """Each 820 remittance as a payment of its payer group, applied to its RMR bills."""
    out = []
    for r in remittances:
        if not r.payer:
            raise LedgerError(f"820 set {r.set_control}: no payer group id (ENT04 / N1*PR N104)")
        bills: dict[str, int] = {}
        for item in r.items:
            bills[item.reference] = bills.get(item.reference, 0) + item.amount_cents
        received = (dt.datetime.combine(r.paid_on, dt.time(12), tzinfo=dt.UTC)
                    if r.paid_on else None)  # fmt: skip
        out.append(record_payment(conn, r.payer, r.total_cents, f"820:{r.trace}", user=user,
                                  bills=bills, source="820", file_sha256=file_sha256,
                                  received_at=received))  # fmt: skip
    return out
