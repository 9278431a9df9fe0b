"""Billing settings in the groups/partners TOML that `groups load` reads.

    [[groups]]
    sponsor_id = "991234567"
    name = "Acme Tool"
    billing = { bill_day = 1, due_day = 20, paper = true, proration = "by_day",
                address = ["Acme Tool, Benefits Office", "1 Main St", "Springfield, IL 62701"] }

    [[billing_rates]]                 # the same columns as `billing rates load FILE.csv`
    sponsor = "991234567"
    plan = "PPO1"
    level = "EMP"
    from = "2027-01-01"
    monthly_rate = "450.00"

`load_billing_config(conn, path, user)` stores each group's cycle keys (`cycles.set_cycle`,
effective from the next unbilled period), the rates and the broker tables
(`commission.load_commission`); the group's other billing keys (`address`) stay in
`groups.billing`, where `groups load` puts them. Returns counts.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from ledger.billing.commission import load_commission
from ledger.billing.cycles import CYCLE_KEYS, set_cycle
from ledger.billing.rates import load_rates
from ledger.store import LedgerError


def load_billing_doc(conn: Connection, doc: dict[str, Any], name: str, *, user: str
                     ) -> dict[str, int]:  # fmt: skip
    """Store the billing parts of a parsed TOML document (see module docstring)."""
    cycles = 0
    for i, g in enumerate(doc.get("groups", []), 1):
        billing = g.get("billing") or {}
        if not isinstance(billing, dict):
            raise LedgerError(f"{name}: groups entry {i}: billing must be a table")
        spec = {k: billing[k] for k in CYCLE_KEYS if k in billing}
        if spec and "sponsor_id" in g:
            try:
                set_cycle(conn, str(g["sponsor_id"]), spec, user=user)
            except LedgerError as exc:
                raise LedgerError(f"{name}: groups entry {i}: {exc}") from None
            cycles += 1
    rates = doc.get("billing_rates", [])
    n_rates = load_rates(conn, [(f"{name}: billing_rates entry {i}", r)
                                for i, r in enumerate(rates, 1)], user=user)  # fmt: skip
    return {"cycles": cycles, "rates": n_rates, **load_commission(conn, doc, name, user=user)}


def load_billing_config(conn: Connection, path: Path, *, user: str) -> dict[str, int]:
    """`load_billing_doc` for the TOML file at `path`."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LedgerError(f"{path.name}: cannot read TOML ({type(exc).__name__})") from None
    return load_billing_doc(conn, doc, path.name, user=user)
