"""Web-face fixtures: a ledger with one user per role (cheap scrypt for speed)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def _cheap_codes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from ledger.desk import auth
    from ledger.store import dispose

    monkeypatch.setattr(auth, "_N", 2**10)
    yield
    dispose()


@pytest.fixture
def web(db_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    from webkit import Web

    return Web(db_url, tmp_path)
