"""ledger.desk — the people's room: review items and their views and SLA, users, sign-in,
roles, and access-checked reads of the ledger (every read of member data audited).

Built on ledger.store and ledger.fullfile (a supervisor resolves a held full file here), and
ledger.billing for the billing part of a groups file.
"""

from ledger.desk import auth, sessions, users
from ledger.desk.access import (
    activate_match_model,
    audit_records,
    export_members,
    group_rows,
    load_groups_file,
    match_models,
    member_history,
    train_match_model,
    verify_chains,
)
from ledger.desk.auth import NotPermitted, initialise
from ledger.desk.dashboard import SLA_HOURS, TABLES, Dashboard, dashboard
from ledger.desk.match import MatchRefused
from ledger.desk.member_view import member_page
from ledger.desk.notices import report_rejection, resolve_and_notify
from ledger.desk.reconciliation import decide_item, reconciliation_context
from ledger.desk.review import assign, list_items, resolve, show_item
from ledger.desk.sessions import (
    Session,
    SessionPolicy,
    SignInRefused,
    current_session,
    sign_in,
    sign_out,
)
from ledger.desk.sla import SlaReport, sla_report
from ledger.desk.text import (
    AUDIT_HEADER,
    QUEUE_HEADER,
    USERS_HEADER,
    audit_line,
    group_line,
    history_lines,
    item_lines,
    queue_line,
    resolution_lines,
    sla_lines,
    user_line,
)
from ledger.desk.users import (
    Actor,
    access_code_from_env,
    add_user,
    list_users,
    login,
    login_from_env,
    refuse,
    users_exist,
)
from ledger.desk.views import QUEUES
from ledger.desk.worklist import (
    SORTS,
    UNASSIGNED,
    QueueFilter,
    QueuePage,
    add_note,
    item_context,
    item_history,
    page_items,
    search_members,
)

__all__ = [
    "AUDIT_HEADER",
    "QUEUE_HEADER",
    "USERS_HEADER",
    "audit_line",
    "group_line",
    "history_lines",
    "item_lines",
    "queue_line",
    "resolution_lines",
    "sla_lines",
    "user_line",
    "refuse",
    "QUEUES",
    "SORTS",
    "Session",
    "SessionPolicy",
    "SignInRefused",
    "UNASSIGNED",
    "current_session",
    "decide_item",
    "reconciliation_context",
    "sign_in",
    "sign_out",
    "Actor",
    "QueueFilter",
    "QueuePage",
    "add_note",
    "item_context",
    "item_history",
    "page_items",
    "report_rejection",
    "resolve_and_notify",
    "search_members",
    "Dashboard",
    "MatchRefused",
    "SLA_HOURS",
    "TABLES",
    "dashboard",
    "NotPermitted",
    "SlaReport",
    "access_code_from_env",
    "auth",
    "add_user",
    "assign",
    "audit_records",
    "export_members",
    "group_rows",
    "match_models",
    "activate_match_model",
    "train_match_model",
    "initialise",
    "load_groups_file",
    "list_items",
    "list_users",
    "login",
    "login_from_env",
    "member_history",
    "member_page",
    "resolve",
    "sessions",
    "show_item",
    "sla_report",
    "users",
    "users_exist",
    "verify_chains",
]
