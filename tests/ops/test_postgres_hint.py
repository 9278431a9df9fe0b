"""`make test` where PostgreSQL runs but ENROLL834_TEST_POSTGRES_URL is unset: one line at the
end of the run names the variable (issue 14, friction 5); CI sets it and refuses to skip."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.conftest import DEFAULT_POSTGRES, ROOT, postgres_answers, postgres_hint


def test_the_hint_names_the_variable_only_when_it_helps() -> None:
    line = postgres_hint(142, "", True)
    assert line is not None and "ENROLL834_TEST_POSTGRES_URL=" in line and "142" in line
    assert "\n" not in line
    assert postgres_hint(142, "postgresql+psycopg://x@h/db", True) is None
    assert postgres_hint(0, "", True) is None
    assert postgres_hint(142, "", False) is None


def test_postgres_answers_probes_a_port() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert postgres_answers("127.0.0.1", port)
    assert not postgres_answers("127.0.0.1", port)


def test_a_run_that_skips_postgresql_says_so_at_the_end() -> None:
    if not postgres_answers(*DEFAULT_POSTGRES):
        pytest.skip("no PostgreSQL server at the default address")
    env = {k: v for k, v in os.environ.items()
           if k not in ("ENROLL834_TEST_POSTGRES_URL", "ENROLL834_REQUIRE_POSTGRES")}
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/cli/test_users_cli.py::test_no_user_given_is_refused"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-2000:]
    hints = [ln for ln in res.stdout.splitlines() if "ENROLL834_TEST_POSTGRES_URL=" in ln]
    assert len(hints) == 1 and hints[0].startswith("1 PostgreSQL tests skipped")
