"""Revision 0013: `match_models` and `model_version` on entries and review items, up and down,
on SQLite and PostgreSQL; stored models load back as they were fitted."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from ledger_helpers import RECEIVED, M, interchange, simple_decide, transaction_set, write

from ledger.ingest import ingest_file
from ledger.store import active_model, get_model, train_model
from ledger.store import schema as t
from ledger.store.db import MIGRATIONS, engine, upgrade
from ledger.store.queries import verify_chain
from ledger.store.unit import HASHED_FIELDS, chain_hash
from matching.model import PRIOR

BEFORE = "0012_wider_blocking_keys"


def _downgrade(url: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def _shape(url: str) -> tuple[bool, bool, bool]:
    """(match_models exists, entries.model_version, review_items.model_version)."""
    with engine(url).connect() as conn:
        inspector = sa.inspect(conn)
        return (
            inspector.has_table("match_models"),
            "model_version" in {c["name"] for c in inspector.get_columns("entries")},
            "model_version" in {c["name"] for c in inspector.get_columns("review_items")},
        )


SURNAMES = ("KOWALSKI", "OKAFOR", "LINDQVIST", "MORETTI", "TANAKA", "HALVORSEN")
GIVEN = ("ANNA", "BRUNO", "CLARA", "DMITRI", "EMIL", "FLORA")
SSNS = ("212345678", "298765432", "301928374", "456372819", "523416789", "634251897")


def _people(n: int) -> list[M]:
    return [M(sub=f"SUB{i}", last=SURNAMES[i], first=GIVEN[i], ssn=SSNS[i],
              dob=f"19{60 + 5 * i}0{i + 1}1{i}", street=f"{i + 2} OAK AVE") for i in range(n)]


def test_up_and_down_keep_the_chain(ledger_url: str, tmp_path: Path) -> None:
    data = interchange([transaction_set(_people(3))], isa13="000000301")
    ingest_file(ledger_url, write(tmp_path, "a.x12", data), decide=simple_decide,
                received_at=RECEIVED)  # a decider that names no model: NULL
    assert _shape(ledger_url) == (True, True, True)

    _downgrade(ledger_url, BEFORE)

    assert _shape(ledger_url) == (False, False, False)
    with engine(ledger_url).connect() as conn:  # the chain as revision 0012's code reads it
        columns = [t.entries.c[f] for f in (*HASHED_FIELDS, "hash")]
        rows = conn.execute(sa.select(*columns).order_by(t.entries.c.seq)).mappings().all()
        assert rows and all(chain_hash(r) == r["hash"] for r in rows)
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == BEFORE

    upgrade(ledger_url)

    assert _shape(ledger_url) == (True, True, True)
    with engine(ledger_url).connect() as conn:
        assert verify_chain(conn).ok
        assert active_model(conn) is PRIOR  # an empty ledger's model: version 0


def test_entries_naming_a_model_are_hashed_and_refuse_a_downgrade(
    ledger_url: str, tmp_path: Path
) -> None:
    data = interchange([transaction_set(_people(4))], isa13="000000302")
    ingest_file(ledger_url, write(tmp_path, "a.x12", data), received_at=RECEIVED)
    with engine(ledger_url).begin() as conn:
        versions = {r[0] for r in conn.execute(sa.text("SELECT model_version FROM entries"))}
        assert versions == {0}
        assert verify_chain(conn).ok
        model = train_model(conn, "admin", activate=True)
    assert model.version == 1
    with engine(ledger_url).connect() as conn:
        loaded = get_model(conn, 1)
        assert active_model(conn) == loaded == model  # params and diagnostics round-trip
        assert get_model(conn, 0) is PRIOR and get_model(conn, 7) is None
    data = interchange([transaction_set([M(sub="SUB9", first="NEWTON", ssn="298700001")])],
                       isa13="000000303")
    ingest_file(ledger_url, write(tmp_path, "b.x12", data), received_at=RECEIVED)
    with engine(ledger_url).begin() as conn:
        versions = [r[0] for r in conn.execute(sa.text(
            "SELECT model_version FROM entries ORDER BY seq"))]
        assert versions[-1] == 1
        assert verify_chain(conn).ok
        # the version is inside the hash: changing it breaks the chain
        if conn.dialect.name == "sqlite":
            conn.execute(sa.text("DROP TRIGGER entries_no_update"))
        else:
            conn.execute(sa.text("ALTER TABLE entries DISABLE TRIGGER entries_append_only"))
        conn.execute(sa.text("UPDATE entries SET model_version = 0 WHERE model_version = 1"))
        assert not verify_chain(conn).ok
        conn.rollback()
    with pytest.raises(RuntimeError, match="name their match model"):
        _downgrade(ledger_url, BEFORE)
    assert _shape(ledger_url) == (True, True, True)
