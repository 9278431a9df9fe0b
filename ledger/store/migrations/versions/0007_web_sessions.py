"""Browser sessions and review-item notes, plus an index for counting failed sign-ins.

Revision ID: 0007_web_sessions
Revises: 0005_drop_subscriber_rel_keys

Tables come from `ledger.store.session_tables`; review notes are insert-only.
`ix_audit_log_user_action` makes the lockout's count of a user's recent refused
sign-ins one index range; `ix_audit_log_target` an item's history (its audit records).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.store.db import trigger_statements
from ledger.store.session_tables import APPEND_ONLY, metadata

revision = "0007_web_sessions"
down_revision = "0005_drop_subscriber_rel_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Safe to run again over its own result (a ledger whose version stamp was set back).
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    had_notes = "review_notes" in inspector.get_table_names()
    metadata.create_all(bind=bind)
    if not had_notes:
        for stmt in trigger_statements(bind.dialect.name, APPEND_ONLY):
            op.execute(stmt)
    indexes = {ix["name"] for ix in inspector.get_indexes("audit_log")}
    if "ix_audit_log_user_action" not in indexes:
        op.create_index("ix_audit_log_user_action", "audit_log", ["user_id", "action", "at"])
    if "ix_audit_log_target" not in indexes:
        op.create_index("ix_audit_log_target", "audit_log", ["target", "action"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_audit_log_user_action", table_name="audit_log")
    metadata.drop_all(bind=op.get_bind())
