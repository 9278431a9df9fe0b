"""Ledger test fixtures: a migrated database per test (SQLite and PostgreSQL)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


@pytest.fixture
def ledger_url(db_url: str) -> Iterator[str]:
    """`db_url` with the ledger schema applied; pooled connections closed afterwards."""
    from ledger.store.db import dispose, upgrade

    upgrade(db_url)
    try:
        yield db_url
    finally:
        dispose()


@pytest.fixture(autouse=True)
def _close_engines() -> Iterator[None]:
    """Every test's pooled connections are closed (PostgreSQL schemas are dropped after)."""
    yield
    from ledger.store.db import dispose

    dispose()
