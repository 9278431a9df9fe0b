"""Revision 0005: stored `subscriber_rel` blocking keys are deleted; nothing else changes."""

from __future__ import annotations

from pathlib import Path

from ledger_helpers import RECEIVED, M, interchange, simple_decide, transaction_set, write

from ledger.ingest import ingest_file
from ledger.store.db import engine, upgrade
from ledger.store.queries import verify_chain
from matching.blocking import KEY_KINDS


def _keys(url: str) -> list[tuple[str, str, str]]:
    with engine(url).connect() as conn:
        rows = conn.exec_driver_sql("SELECT kind, value, member_id FROM blocking_keys")
        return sorted((r[0], r[1], r[2]) for r in rows)


def test_upgrade_deletes_subscriber_rel_keys_only(ledger_url: str, tmp_path: Path) -> None:
    people = [M(sub="SUB1", first="ANNA"), M(sub="SUB2", first="BERT")]
    data = interchange([transaction_set(people)], isa13="000000501")
    ingest_file(ledger_url, write(tmp_path, "a.x12", data), decide=simple_decide,
                received_at=RECEIVED)
    written = _keys(ledger_url)
    assert "subscriber_rel" not in KEY_KINDS
    assert written and {kind for kind, _, _ in written} <= set(KEY_KINDS)
    member = written[0][2]
    with engine(ledger_url).begin() as conn:  # a ledger written before 0005
        conn.exec_driver_sql(
            "INSERT INTO blocking_keys (kind, value, member_id) "
            f"VALUES ('subscriber_rel', 'SUB1|self', '{member}')")
        conn.exec_driver_sql(
            "UPDATE alembic_version SET version_num = '0004_sqlite_key_tables'")
    assert len(_keys(ledger_url)) == len(written) + 1

    upgrade(ledger_url)

    assert _keys(ledger_url) == written
    with engine(ledger_url).connect() as conn:
        assert verify_chain(conn).ok
