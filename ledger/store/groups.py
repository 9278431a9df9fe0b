"""Groups (sponsors) and trading partners: declarative policy stored in the ledger.

A TOML file describes both:

    [[groups]]
    sponsor_id = "991234567"
    name = "Acme Tool"
    cobra = "self"                  # self | third_party | bill_and_collect | unknown
    representative = "rep1"
    billing = { cycle = "monthly" }

    [[partners]]
    sender_qualifier = "ZZ"
    sender_id = "SENDER1"
    name = "Acme HR"
    allowed_sponsors = ["991234567"]
    termination_date_rule = "bgn_date"   # bgn_date | received_date | reject
    retro_days = 90
    future_days = 60

Every change is audited (without PHI). `group_policy` and `partner_settings` read
the stored policy back for the pipeline and the review desk.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ledger.store import schema as t
from ledger.store.apply import LedgerSettings
from ledger.store.audit_log import audit
from ledger.store.db import LedgerError, utcnow
from ledger.store.unit import canonical_json
from matching.decisions import CobraAdministration, GroupPolicy

if TYPE_CHECKING:
    from ledger.settings import PartnerSettings

TERMINATION_RULES = ("bgn_date", "received_date", "reject")


def show_groups(conn: Connection, sponsor_id: str | None = None) -> list[dict[str, Any]]:
    """Groups as dicts (one, or all ordered by sponsor id)."""
    g = t.groups
    q = sa.select(g).order_by(g.c.sponsor_id)
    if sponsor_id is not None:
        q = q.where(g.c.sponsor_id == sponsor_id)
    out = []
    for r in conn.execute(q):
        d = dict(r._mapping)
        d["billing"] = _loads(d["billing"])
        d["updated_at"] = d["updated_at"].isoformat() if d["updated_at"] else None
        out.append(d)
    return out


def require_group(conn: Connection, sponsor_id: str) -> None:
    """LedgerError unless `sponsor_id` is a configured group (`groups set` / `groups load`)."""
    row = conn.execute(sa.select(t.groups.c.sponsor_id).where(t.groups.c.sponsor_id == sponsor_id)
                       ).first()  # fmt: skip
    if row is None:
        raise LedgerError(f"group {sponsor_id[:20]}: not found (configure it with 'groups set' first)")


def group_policy(conn: Connection, sponsor_id: str) -> GroupPolicy:
    """The sponsor's COBRA administration and representative (unknown when not configured
    or when the stored value is not a known one)."""
    row = conn.execute(sa.select(t.groups).where(t.groups.c.sponsor_id == sponsor_id)).first()
    if row is None:
        return GroupPolicy(sponsor_id)
    try:
        cobra = CobraAdministration(row.cobra_administration)
    except ValueError:
        cobra = CobraAdministration.UNKNOWN
    return GroupPolicy(sponsor_id, cobra, row.representative)


def partner_settings(
    conn: Connection, sender_qualifier: str, sender_id: str, base: LedgerSettings | None = None,
    *, configured: Sequence[PartnerSettings] = (),
) -> LedgerSettings:
    """The one way every command reads a sender's policy (date windows, termination rule):
    `base` (default LedgerSettings()), then the sender's `[[partners]]` entry from the
    configuration (`configured`), then the partner row loaded with `groups load`, each
    laid over the one before where it says something."""
    base = base or LedgerSettings()
    q, s = sender_qualifier.strip(), sender_id.strip()
    conf = next((c for c in configured
                 if c.sender_id.strip() == s and c.sender_qualifier.strip() == q), None)
    if conf is not None:
        base = LedgerSettings(
            retro_days=conf.retro_days if conf.retro_days is not None else base.retro_days,
            future_days=conf.future_days if conf.future_days is not None else base.future_days,
            review_sla_hours=base.review_sla_hours,
            termination_date_rule=conf.termination_date_rule,
        )
    p = t.partners
    row = conn.execute(
        sa.select(p).where(p.c.sender_qualifier == q, p.c.sender_id == s)
    ).first()  # fmt: skip
    if row is None:
        return base
    return LedgerSettings(
        retro_days=row.retro_days if row.retro_days is not None else base.retro_days,
        future_days=row.future_days if row.future_days is not None else base.future_days,
        review_sla_hours=base.review_sla_hours,
        termination_date_rule=row.termination_date_rule or base.termination_date_rule,
    )


def _loads(text: str | None) -> Any:
    import json

    return json.loads(text) if text else {}


def set_group(
    conn: Connection,
    sponsor_id: str,
    *,
    user: str,
    name: str | None = None,
    cobra: str | None = None,
    representative: str | None = None,
    billing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create or change a group; only the given fields change. Returns the group.
    Raises LedgerError for a sponsor id that is empty or longer than 80 characters."""
    if not sponsor_id.strip() or len(sponsor_id) > 80:
        raise LedgerError("a group's sponsor id (N1*P5 N104) must be 1 to 80 characters")
    if cobra is not None:
        try:
            CobraAdministration(cobra)
        except ValueError:
            raise LedgerError(f"unknown COBRA administration '{cobra}'") from None
    values: dict[str, Any] = {
        k: v
        for k, v in {
            "name": name,
            "cobra_administration": cobra,
            "representative": representative,
            "billing": canonical_json(billing) if billing is not None else None,
        }.items()
        if v is not None
    }
    values |= {"updated_at": utcnow(), "updated_by": user}
    g = t.groups
    exists = conn.execute(sa.select(g.c.sponsor_id).where(g.c.sponsor_id == sponsor_id)).first()
    if exists:
        conn.execute(g.update().where(g.c.sponsor_id == sponsor_id).values(**values))
    else:
        conn.execute(g.insert().values(sponsor_id=sponsor_id, **{
            "name": "", "cobra_administration": "unknown", "billing": "{}", **values,
        }))  # fmt: skip
    changed = sorted(k for k in values if k not in ("updated_at", "updated_by"))
    audit(conn, user, "group.set", target=sponsor_id, details={"fields": changed})
    return show_groups(conn, sponsor_id)[0]


def set_partner(conn: Connection, spec: dict[str, Any], *, user: str) -> None:
    """Create or replace a trading partner from a TOML table."""
    try:
        key = {
            "sender_qualifier": str(spec["sender_qualifier"]),
            "sender_id": str(spec["sender_id"]),
        }
    except KeyError as exc:
        raise LedgerError(f"partner without {exc.args[0]}") from None
    rule = str(spec.get("termination_date_rule", "bgn_date"))
    if rule not in TERMINATION_RULES:
        raise LedgerError(f"unknown termination_date_rule '{rule}'")
    values = {
        "name": str(spec.get("name", "")),
        "allowed_sponsors": canonical_json(list(spec.get("allowed_sponsors", []))),
        "duplicate_policy": str(spec.get("duplicate_policy", "skip")),
        "termination_date_rule": rule,
        "strict": bool(spec.get("strict", False)),
        "retro_days": spec.get("retro_days"),
        "future_days": spec.get("future_days"),
        "updated_at": utcnow(),
        "updated_by": user,
    }
    p = t.partners
    where = sa.and_(
        p.c.sender_qualifier == key["sender_qualifier"], p.c.sender_id == key["sender_id"]
    )
    if conn.execute(sa.select(p.c.sender_id).where(where)).first():
        conn.execute(p.update().where(where).values(**values))
    else:
        conn.execute(p.insert().values(**key, **values))
    audit(conn, user, "partner.set", target=f"{key['sender_qualifier']}/{key['sender_id']}")


def load_config(conn: Connection, path: Path, *, user: str) -> tuple[int, int]:
    """Apply a groups/partners TOML file; returns (groups, partners) written."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise LedgerError(f"{path.name}: cannot read TOML ({type(exc).__name__})") from None
    groups = doc.get("groups", [])
    partners = doc.get("partners", [])
    for i, g in enumerate(groups, 1):
        if "sponsor_id" not in g:
            raise LedgerError(f"{path.name}: groups entry {i} has no sponsor_id")
        set_group(
            conn, str(g["sponsor_id"]), user=user, name=g.get("name"), cobra=g.get("cobra"),
            representative=g.get("representative"), billing=g.get("billing"),
        )  # fmt: skip
    for p in partners:
        set_partner(conn, p, user=user)
    return len(groups), len(partners)
