"""Match models stored versioned; every decision names the model that scored it.

Revision ID: 0013_match_models
Revises: 0012_wider_blocking_keys

Adds `match_models` (version, created_at, trained_by, params JSON, diagnostics JSON,
active flag; see ledger/store/schema.py) and a nullable `model_version` on `entries`
and `review_items`. Rows written before this revision keep NULL: the entries' hash
covers `model_version` only when it is present, so the existing chain verifies
unchanged. A ledger created at this revision has the table and columns from revision
0001's `create_all` already (safe to run again). Downgrade drops them, and refuses
while an entry names its model: the hash chain covers the version, so dropping the
column would break `ledger verify`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.store import schema as t

revision = "0013_match_models"
down_revision = "0012_wider_blocking_keys"
branch_labels = None
depends_on = None

DECIDED = ("entries", "review_items")


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if not inspector.has_table("match_models"):
        t.match_models.create(bind)
    for table in DECIDED:
        columns = {c["name"] for c in inspector.get_columns(table)}
        if "model_version" not in columns:
            op.add_column(table, sa.Column("model_version", sa.Integer, nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    named = bind.execute(sa.text(
        "SELECT count(*) FROM entries WHERE model_version IS NOT NULL")).scalar()  # fmt: skip
    if named:
        raise RuntimeError(
            f"revision 0013 cannot be undone: {named} ledger entries name their match model"
            " inside the hash chain; dropping the column would break `ledger verify`"
        )
    for table in DECIDED:
        columns = {c["name"] for c in sa.inspect(bind).get_columns(table)}
        if "model_version" in columns:
            _drop_column(bind, table)
    if sa.inspect(bind).has_table("match_models"):
        op.drop_table("match_models")


def _drop_column(bind: sa.Connection, table: str) -> None:
    if bind.dialect.name == "postgresql":
        op.drop_column(table, "model_version")
        return
    # SQLite: entries is append-only (triggers) and a batch rebuild would copy and drop the
    # table; SQLite 3.35+ drops a plain column in place, the triggers untouched.
    op.execute(sa.text(f'ALTER TABLE "{table}" DROP COLUMN model_version'))
