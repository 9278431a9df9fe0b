"""Match models in the ledger: fitted on its members, stored versioned, one active.

`train(conn, user, ...)` fits a model on the ledger's members (matching/learn.py:
EM, u from random pairs, term frequencies), stores it as the next version with
its diagnostics and audits `matching.train`; with `activate` it becomes the
model ingest reads. `active_model(conn)` is what a run loads once (the prior,
version 0, when none is active); `model_rows(conn)` lists versions for
`enroll834 matching models`. Parameters hold term-frequency tables (normalised
roster values: PHI at rest); rows and audit records never show them.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa
from sqlalchemy import Connection

from ledger.store import schema as t
from ledger.store.audit_log import audit
from ledger.store.db import LedgerError, utcnow
from ledger.store.unit import load_people
from matching.decisions import KnownPerson
from matching.learn import FitSettings, TrainingError, fit
from matching.model import PRIOR, Diagnostics, MatchModel

DEFAULT_SAMPLE = 200_000
"""Members drawn (at random) for a fit when the ledger holds more."""
BATCH = 1000


class _Params(msgspec.Struct, frozen=True):
    """What `params` holds: the model without version, time and diagnostics."""

    levels: Any
    log2_prior_odds: float
    tf: Any
    tf_min_bits: float
    tf_max_bits: float


def _encode_params(model: MatchModel) -> str:
    params = _Params(model.levels, model.log2_prior_odds, model.tf, model.tf_min_bits,
                     model.tf_max_bits)  # fmt: skip
    return msgspec.json.encode(params).decode()


def _decode(row: Any) -> MatchModel:
    params = json.loads(row.params)
    created = row.created_at
    return msgspec.convert(
        {
            **params,
            "version": row.version,
            "trained_at": created.isoformat() if isinstance(created, dt.datetime) else str(created),
            "diagnostics": json.loads(row.diagnostics),
        },
        MatchModel,
    )


def active_model(conn: Connection) -> MatchModel:
    """The active model, or the prior (version 0) when none is active."""
    row = conn.execute(
        sa.select(t.match_models).where(t.match_models.c.active.is_(True))
        .order_by(t.match_models.c.version.desc()).limit(1)
    ).first()  # fmt: skip
    return PRIOR if row is None else _decode(row)


def get_model(conn: Connection, version: int) -> MatchModel | None:
    """A stored version (0: the prior), or None."""
    if version == 0:
        return PRIOR
    row = conn.execute(
        sa.select(t.match_models).where(t.match_models.c.version == version)
    ).first()
    return None if row is None else _decode(row)


def _member_ids(conn: Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        sa.select(t.members.c.member_id).order_by(t.members.c.member_id))]  # fmt: skip


def train(
    conn: Connection,
    user: str,
    *,
    sample: int | None = None,
    activate: bool = True,
    settings: FitSettings | None = None,
    incoming: Sequence[KnownPerson] = (),
) -> MatchModel:
    """Fit a model on (a random `sample` of) the ledger's members — and `incoming`, the
    people of incoming files, unlabelled, paired with them by blocking — store it as the
    next version, audit `matching.train`, and make it active when `activate`; returns
    the model as stored (what `active_model` / `get_model` read back)."""
    settings = settings or FitSettings()
    ids = _member_ids(conn)
    limit = DEFAULT_SAMPLE if sample is None else sample
    if len(ids) > limit:
        ids = sorted(random.Random(settings.seed).sample(ids, limit))
    people = []
    for start in range(0, len(ids), BATCH):
        people.extend(load_people(conn, ids[start : start + BATCH]))
    now = utcnow()
    last = conn.execute(sa.select(sa.func.max(t.match_models.c.version))).scalar()
    version = int(last or 0) + 1
    try:
        model = fit(people, version=version, trained_at=now.isoformat(), settings=settings,
                    incoming=incoming)  # fmt: skip
    except TrainingError as exc:
        raise LedgerError(f"matching train: {exc}") from None
    if activate:
        conn.execute(t.match_models.update().values(active=False))
    conn.execute(t.match_models.insert().values(
        version=version, created_at=now, trained_by=user, params=_encode_params(model),
        diagnostics=msgspec.json.encode(model.diagnostics).decode(), active=activate,
    ))  # fmt: skip
    audit(conn, user, "matching.train", target=f"model {version}",
          details={"version": version, "active": activate, **_summary(model.diagnostics)})
    stored = get_model(conn, version)
    assert stored is not None
    return stored


def activate(conn: Connection, user: str, version: int) -> MatchModel:
    """Make stored `version` the model ingest scores with (0: back to the prior, no stored
    version active); audited as 'matching.activate' with the version it replaced. A version
    not stored is refused with LedgerError."""
    before = active_model(conn).version
    if version != 0 and get_model(conn, version) is None:
        raise LedgerError(f"matching activate: no model version {version}")
    conn.execute(t.match_models.update().values(active=False))
    if version != 0:
        conn.execute(
            t.match_models.update().where(t.match_models.c.version == version).values(active=True)
        )
    audit(conn, user, "matching.activate", target=f"model {version}",
          details={"version": version, "replaced": before})  # fmt: skip
    return active_model(conn)


def _summary(d: Diagnostics) -> dict[str, Any]:
    return {
        "iterations": d.iterations, "converged": d.converged,
        "log_likelihood": d.log_likelihood, "match_share": d.match_share,
        "roster_people": d.roster_people, "blocked_pairs": d.blocked_pairs,
        "random_pairs": d.random_pairs, "incoming_people": d.incoming_people,
    }  # fmt: skip


def model_rows(conn: Connection) -> list[dict[str, Any]]:
    """Every version, newest first, the prior (version 0) last: who trained it, when,
    whether active, the prior odds and the fit's diagnostics (no parameter values)."""
    rows = list(conn.execute(
        sa.select(t.match_models).order_by(t.match_models.c.version.desc())))  # fmt: skip
    out = []
    for r in rows:
        model = _decode(r)
        out.append({
            "version": r.version, "active": bool(r.active), "trained_by": r.trained_by,
            "created_at": model.trained_at, "log2_prior_odds": model.log2_prior_odds,
            "diagnostics": msgspec.to_builtins(model.diagnostics),
        })  # fmt: skip
    out.append({
        "version": 0, "active": not any(r.active for r in rows), "trained_by": "",
        "created_at": "", "log2_prior_odds": PRIOR.log2_prior_odds,
        "diagnostics": msgspec.to_builtins(PRIOR.diagnostics),
    })  # fmt: skip
    return out


def model_line(row: dict[str, Any]) -> str:
    """One `enroll834 matching models` line (no parameter values)."""
    d = row["diagnostics"]
    mark = "*" if row["active"] else " "
    if row["version"] == 0:
        return f"{mark} 0  prior (hand-set weights)  log2 prior odds {row['log2_prior_odds']}"
    return (
        f"{mark} {row['version']}  {row['created_at']}  by {row['trained_by']}  "
        f"people {d['roster_people']}  blocked pairs {d['blocked_pairs']}  random pairs "
        f"{d['random_pairs']}  iterations {d['iterations']}"
        f"{'' if d['converged'] else ' (not converged)'}  λ {d['match_share']:.3g}  "
        f"log-likelihood {d['log_likelihood']}  log2 prior odds {row['log2_prior_odds']}"
    )


MODELS_HEADER = "  version  trained  by  fit"
