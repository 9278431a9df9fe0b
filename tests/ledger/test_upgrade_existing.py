"""A ledger written by an earlier release upgrades in place and still verifies.

`fixtures/ledger-0005.sql` is a SQLite dump made with the code of revision 0005 (before
the ledger's modules moved into rooms): the bundled samples ingested, a review item
rejected, audit records. Its administrator's one-time code sits beside it (a throwaway
test database). Moving modules must not change table names, revision ids or data.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from cli import main
from ledger.store.db import engine, upgrade

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _restore(tmp_path: Path) -> str:
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.executescript((FIXTURES / "ledger-0005.sql").read_text(encoding="utf-8"))
    con.close()
    return f"sqlite:///{db}"


def _counts(url: str) -> dict[str, int]:
    with engine(url).connect() as conn:
        return {
            table: int(conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())
            for table in ("members", "entries", "coverage_versions", "review_items", "audit_log")
        }


def test_a_0005_ledger_upgrades_and_verifies(tmp_path: Path) -> None:
    url = _restore(tmp_path)
    before = _counts(url)
    assert before["members"] > 0 and before["entries"] > 0
    upgrade(url)
    assert _counts(url) == before
    with engine(url).connect() as conn:  # revision 0011 counted the open items already there
        kept = dict(conn.exec_driver_sql(
            "SELECT queue, sum(open_items) FROM review_queue_counts GROUP BY queue "
            "HAVING sum(open_items) > 0").all())
        held = dict(conn.exec_driver_sql(
            "SELECT queue, count(*) FROM review_items WHERE status IN ('open', 'assigned') "
            "GROUP BY queue").all())
    assert kept == held
    env = {
        "ENROLL834_USER": "admin",
        "ENROLL834_ACCESS_CODE": (FIXTURES / "ledger-0005.admin-code").read_text().strip(),
    }
    res = CliRunner().invoke(main, ["--db", url, "ledger", "verify"], env=env)
    assert res.exit_code == 0, res.output
    assert f"entries: {before['entries']} records, chain intact" in res.stdout
    assert "audit:" in res.stdout and "chain intact" in res.stdout
    listed = CliRunner().invoke(main, ["--db", url, "review", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    # revision 0013: nothing recorded before it names a model; the prior is active
    with engine(url).connect() as conn:
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM entries WHERE model_version IS NOT NULL").scalar_one() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM match_models").scalar_one() == 0
    models = CliRunner().invoke(main, ["--db", url, "matching", "models", "--json"], env=env)
    assert models.exit_code == 0, models.output
    assert [json.loads(x)["version"] for x in models.stdout.splitlines()] == [0]
    assert all(i.get("model_version") is None
               for i in map(json.loads, listed.stdout.splitlines()))
