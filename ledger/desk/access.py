"""Signed-in reads: member history, member export, chain verification, groups, the audit log,
the match models; loading a groups file and training a match model.

Each function takes the signed-in `Actor` (`ledger.desk.users.login`), or None on
a database that has no user accounts yet (the commands then run open, as
before users existed). With an actor, the action must be allowed by
`ledger.desk.users.PERMISSIONS` and `show_phi` needs the show_phi privilege; a
refusal commits an 'auth.refused' audit record in its own short transaction
and raises NotPermitted. Every read of member data is audited with the acting
user ('ledger.history', 'members.export'; 'audit.list' for the audit log),
with ids and counts only, never PHI.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.billing import load_billing_config
from ledger.desk.users import Actor, refuse, require
from ledger.store import (
    LedgerError,
    activate_model,
    audit,
    engine,
    load_config,
    load_policy_file,
    model_rows,
    queries,
    show_groups,
    train_model,
)
from ledger.store import schema as t
from matching.decisions import KnownPerson

__all__ = [
    "match_models",
    "train_match_model",
    "audit_records",
    "export_members",
    "group_rows",
    "load_groups_file",
    "member_history",
    "verify_chains",
]

_HISTORY_KEYS = ("seq", "kind", "valid_from", "recorded_at", "decided_by",
                 "interchange_control", "set_control", "member_ordinal", "notes")  # fmt: skip

KIND_SHOWN = {"enrolment": "enrollment"}
"""Entry kinds as people read them (the stored kind is part of the hash chain: kept)."""


def last_day(end: Any) -> str | None:
    """An exclusive stored end (`valid_to`, the first day not covered) as the inclusive
    last covered day people read everywhere (the 834's DTP 349, members export)."""
    if end is None:
        return None
    day = end if isinstance(end, dt.date) else dt.date.fromisoformat(str(end)[:10])
    return (day - dt.timedelta(days=1)).isoformat()


def for_reading(value: Any) -> Any:
    """`value` (an entry's before/after) with every stored `valid_to` given as
    `valid_through`, the inclusive last day."""
    if isinstance(value, dict):
        return {("valid_through" if k == "valid_to" else k):
                (last_day(v) if k == "valid_to" else for_reading(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [for_reading(v) for v in value]
    return value


def _engine(target: str | Engine) -> Engine:
    return target if isinstance(target, Engine) else engine(target)


def _check(eng: Engine, actor: Actor | None, action: str, show_phi: bool, target: str = "") -> str:
    """The acting user id ('-' without users); NotPermitted (audited) when refused."""
    if actor is not None:
        require(eng, actor, action, target)
    if show_phi and (actor is None or not actor.show_phi):
        who = actor.user_id if actor else None
        raise refuse(eng, who, action, "the user does not hold the show_phi privilege", target)
    return actor.user_id if actor else "-"


def member_history(
    target: str | Engine, actor: Actor | None, member_id: str, *, show_phi: bool = False
) -> list[dict[str, Any]]:
    """The member's ledger entries in order: kind, dates, lineage, names of changed fields.

    Dates read as everywhere else: `valid_through` is the last covered day (inclusive),
    whatever the storage keeps; kinds are spelled as `KIND_SHOWN` says.

    With `show_phi` each entry also carries its `before`/`after` values (names,
    birth dates, addresses); without it no value is shown (identifier values are
    never stored in entries, only their types). Audited as 'ledger.history'.
    """
    eng = _engine(target)
    user = _check(eng, actor, "ledger.history", show_phi, member_id)
    with eng.begin() as conn:
        rows = queries.member_history(conn, member_id)
        if actor is not None:
            audit(conn, user, "ledger.history", target=member_id,
                  details={"entries": len(rows), "show_phi": show_phi})  # fmt: skip
    out = []
    for r in rows:
        item = {k: r[k] for k in _HISTORY_KEYS}
        item["kind"] = KIND_SHOWN.get(item["kind"], item["kind"])
        item["valid_through"] = last_day(r["valid_to"])
        item["fields"] = sorted(set((r["after"] or {}).keys()) | set((r["before"] or {}).keys()))
        if show_phi:
            item["before"], item["after"] = for_reading(r["before"]), for_reading(r["after"])
        out.append(item)
    return out


def export_members(
    target: str | Engine, actor: Actor | None, *, as_of: dt.date | None = None,
    known_at: dt.datetime | None = None, show_phi: bool = False,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    """`ledger.store.queries.export_members` for a signed-in user (SSNs masked unless `show_phi`).

    The permission check and the 'members.export' audit record happen before
    the first member is yielded, in their own transaction.
    """
    eng = _engine(target)
    user = _check(eng, actor, "members.export", show_phi)
    if actor is not None:
        with eng.begin() as conn:
            audit(conn, user, "members.export", details={
                "show_phi": show_phi, "as_of": as_of.isoformat() if as_of else None,
                "known_at": known_at.isoformat() if known_at else None,
            })  # fmt: skip

    def rows() -> Iterator[dict[str, Any]]:
        with eng.connect() as conn:
            yield from queries.export_members(conn, as_of=as_of, known_at=known_at,
                                              show_phi=show_phi)  # fmt: skip

    return rows()


def verify_chains(target: str | Engine, actor: Actor | None) -> list[queries.VerifyReport]:
    """Recompute the entries and audit chains; audited as 'ledger.verify' after checking."""
    eng = _engine(target)
    user = _check(eng, actor, "ledger.verify", False)
    with eng.connect() as conn:
        reports = [queries.verify_chain(conn, "entries"), queries.verify_chain(conn, "audit")]
    if actor is not None:
        with eng.begin() as conn:
            audit(conn, user, "ledger.verify",
                  details={r.chain: ("ok" if r.ok else f"bad at {r.first_bad}") for r in reports})
    return reports


def group_rows(target: str | Engine, actor: Actor | None, sponsor_id: str | None) -> list[dict[str, Any]]:
    """Groups as `ledger.store.groups.show_groups` gives them, for a signed-in user."""
    eng = _engine(target)
    _check(eng, actor, "groups.read", False, sponsor_id or "")
    with eng.connect() as conn:
        return show_groups(conn, sponsor_id)


def match_models(target: str | Engine, actor: Actor | None) -> list[dict[str, Any]]:
    """The stored match model versions and the prior (`ledger.store.model_rows`: no parameter
    values), audited as 'matching.models'."""
    eng = _engine(target)
    user = _check(eng, actor, "matching.models", False)
    with eng.begin() as conn:
        rows = model_rows(conn)
        audit(conn, user, "matching.models", details={"count": len(rows)})
    return rows


def train_match_model(
    target: str | Engine, actor: Actor, *, sample: int | None, activate: bool,
    files: Sequence[Path] = (),
) -> dict[str, Any]:
    """Fit a match model on the ledger's members — and the members of the 834 `files`,
    unlabelled, paired with them as ingest looks them up (where EM finds most pairs of
    one person) — and store it (`ledger.store.train_model`, audited as 'matching.train');
    its row as `match_models` lists it. A file without a member transaction is refused."""
    eng = _engine(target)
    _check(eng, actor, "matching.train", False)
    incoming = [person for path in files for person in _file_people(path)]
    with eng.begin() as conn:
        model = train_model(conn, actor.user_id, sample=sample, activate=activate,
                            incoming=incoming)  # fmt: skip
        return next(r for r in model_rows(conn) if r["version"] == model.version)


def activate_match_model(target: str | Engine, actor: Actor, version: int) -> dict[str, Any]:
    """Make stored `version` the model ingest scores with (0: the prior), audited as
    'matching.activate' (`ledger.store.activate_model`); its row as `match_models` lists it."""
    eng = _engine(target)
    _check(eng, actor, "matching.train", False)
    with eng.begin() as conn:
        model = activate_model(conn, actor.user_id, version)
        return next(r for r in model_rows(conn) if r["version"] == model.version)


def _file_people(path: Path) -> list[KnownPerson]:
    """The enrollees of an 834's member transactions (2100A values), read as ingest reads."""
    from edi.reader import read
    from edi.records import MemberTransaction
    from matching.person import transaction_person

    people = [transaction_person(ev) for ev in read(path, path.name)
              if isinstance(ev, MemberTransaction)]  # fmt: skip
    if not people:
        raise LedgerError(f"matching train: {path.name} holds no member transaction")
    return people


def load_groups_file(conn: Connection, path: Path, *, user: str) -> tuple[int, int]:
    """Everything a groups TOML holds, in the caller's transaction: groups and trading partners,
    their full-file policies and their billing settings; (groups, partners) loaded.
    `user` signed in for 'groups.manage'; each part audits what it stored."""
    counts = load_config(conn, path, user=user)
    load_policy_file(conn, path, user=user)
    load_billing_config(conn, path, user=user)
    return counts


def audit_records(
    target: str | Engine, actor: Actor | None, *, user: str | None = None,
    action: str | None = None, since: dt.datetime | None = None, limit: int | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Audit records in order (seq, at, user, action, target, details), filtered.

    `action` matches exactly, or as a prefix when it ends with '.' or '*'
    ('review.' / 'review*'). `since` is inclusive (naive = UTC); `limit` keeps
    the newest. Reading is itself audited as 'audit.list' (after the read).
    """
    eng = _engine(target)
    who = _check(eng, actor, "audit.read", False)
    a = t.audit_log
    q = sa.select(a)
    if user:
        q = q.where(a.c.user_id == user)
    if action:
        prefix = action.rstrip("*")
        q = q.where(a.c.action.startswith(prefix, autoescape=True)
                    if action.endswith(("*", ".")) else a.c.action == action)  # fmt: skip
    if since is not None:
        q = q.where(a.c.at >= queries.as_utc(since))
    q = q.order_by(a.c.seq.desc() if limit else a.c.seq)
    if limit:
        q = q.limit(limit)
    with eng.begin() as conn:
        rows = list(conn.execute(q))
        if limit:
            rows.reverse()
        out = [{"seq": int(r.seq), "at": queries.as_utc(r.at).isoformat(), "user": r.user_id,
                "action": r.action, "target": r.target,
                "details": json.loads(r.details) if r.details else {}} for r in rows]  # fmt: skip
        if actor is not None:
            audit(conn, who, "audit.list", details={
                "count": len(out), "user": user, "action": action,
                "since": since.isoformat() if since else None,
            })  # fmt: skip
    return out
