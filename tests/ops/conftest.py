"""Operations tests: logs configured as in production (JSON on stderr)."""

from __future__ import annotations

import pytest

from edi import logs


@pytest.fixture(autouse=True)
def _json_logs() -> None:
    logs.configure(json=True)
