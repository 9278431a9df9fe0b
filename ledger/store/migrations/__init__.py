"""Alembic migrations for the ledger schema (run through `ledger.store.db.upgrade`)."""
