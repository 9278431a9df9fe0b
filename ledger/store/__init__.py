"""ledger.store — the bottom room: schema, engine and migrations, units of work, coverage
spans, applying decisions, partner policies, the audit log and read queries.

Everything above (fullfile, desk, ingest, drops, the faces) reaches the database
through the names below; nothing here imports a higher room.
"""

from ledger.store import (
    billing_tables,
    client_tables,
    queries,
    reconcile_tables,
    schema,
    session_tables,
)
from ledger.store.apply import Applied, apply_decision, apply_in, store_review_item
from ledger.store.apply_plan import LedgerSettings
from ledger.store.audit_log import AUDIT_FIELDS, audit
from ledger.store.control_numbers import DbControlNumbers
from ledger.store.db import (
    LedgerError,
    crash_point,
    dispose,
    engine,
    tighten_file_mode,
    upgrade,
    utcnow,
)
from ledger.store.groups import (
    group_policy,
    load_config,
    partner_settings,
    require_group,
    set_group,
    show_groups,
)
from ledger.store.match_models import (
    MODELS_HEADER,
    active_model,
    get_model,
    model_line,
    model_rows,
)
from ledger.store.match_models import activate as activate_model
from ledger.store.match_models import train as train_model
from ledger.store.policies import FullFilePolicy, get_policy, load_policy_file
from ledger.store.queries import Span, VerifyReport, roster, spans, verify_chain
from ledger.store.spans import MemberCoverage, Refused, terminate
from ledger.store.unit import (
    UnitOfWork,
    bulk_insert,
    canonical_json,
    chain_hash,
    load_people,
    next_control_number,
)

__all__ = [
    "MODELS_HEADER",
    "active_model",
    "get_model",
    "model_line",
    "model_rows",
    "train_model",
    "activate_model",
    "DbControlNumbers",
    "tighten_file_mode",
    "AUDIT_FIELDS",
    "Applied",
    "FullFilePolicy",
    "LedgerError",
    "LedgerSettings",
    "MemberCoverage",
    "Refused",
    "Span",
    "UnitOfWork",
    "VerifyReport",
    "apply_decision",
    "apply_in",
    "audit",
    "billing_tables",
    "bulk_insert",
    "client_tables",
    "canonical_json",
    "chain_hash",
    "crash_point",
    "dispose",
    "engine",
    "get_policy",
    "group_policy",
    "load_config",
    "load_people",
    "load_policy_file",
    "next_control_number",
    "partner_settings",
    "require_group",
    "queries",
    "reconcile_tables",
    "roster",
    "schema",
    "session_tables",
    "set_group",
    "show_groups",
    "spans",
    "store_review_item",
    "terminate",
    "upgrade",
    "utcnow",
    "verify_chain",
]
