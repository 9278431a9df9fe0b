"""Alembic environment: runs on the connection `ledger.store.db.upgrade` hands over."""

from __future__ import annotations

from alembic import context

from ledger.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reachable through the alembic CLI
    raise RuntimeError("run migrations through ledger.store.db.upgrade(url)")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
