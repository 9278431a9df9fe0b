"""Browser sessions and review-item notes, plus an index for counting failed sign-ins.

Revision ID: 0007_web_sessions
Revises: 0005_drop_subscriber_rel_keys

Tables come from `ledger.store.session_tables`; review notes are insert-only.
`ix_audit_log_user_action` makes the lockout's count of a user's recent refused
sign-ins one index range; `ix_audit_log_target` an item's history (its audit records).
"""

from __future__ import annotations

from alembic import op

from ledger.store.db import trigger_statements
from ledger.store.session_tables import APPEND_ONLY, metadata

revision = "0007_web_sessions"
down_revision = "0005_drop_subscriber_rel_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    metadata.create_all(bind=bind)
    for stmt in trigger_statements(bind.dialect.name, APPEND_ONLY):
        op.execute(stmt)
    op.create_index("ix_audit_log_user_action", "audit_log", ["user_id", "action", "at"])
    op.create_index("ix_audit_log_target", "audit_log", ["target", "action"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_target", table_name="audit_log")
    op.drop_index("ix_audit_log_user_action", table_name="audit_log")
    metadata.drop_all(bind=op.get_bind())
