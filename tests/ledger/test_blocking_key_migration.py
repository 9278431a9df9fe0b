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


WIDER = ("ssn_part", "sur3_year", "street_year", "dob", "name", "surname_md", "given_md",
         "given_ym", "street")  # fmt: skip


def test_upgrade_builds_the_wider_search_keys_for_stored_members(
    ledger_url: str, tmp_path: Path
) -> None:
    """A ledger written before 0011 (no keys of the new kinds) gets exactly the keys a
    ledger written now has, for every member and demographics version."""
    people = [M(sub="SUB1", first="ANNA", ssn="212345678"),
              M(sub="SUB1", subscriber=False, rel="19", first="BERT", dob="20150607"),
              M(sub="SUB2", last="NOWAK", first="CARLA", ssn="298765432", street="4 ELM RD")]
    ingest_file(ledger_url, write(tmp_path, "a.x12", interchange([transaction_set(people)])),
                received_at=RECEIVED)
    correction = M(sub="SUB2", last="NOWAK-LIS", first="CARLA", ssn="298765432",
                   ins03="001", ins04="25", member_dates=(), hds=(), street="4 ELM RD")
    ingest_file(ledger_url, write(tmp_path, "b.x12", interchange(
        [transaction_set([correction])], isa13="000000102")), received_at=RECEIVED)
    written = _keys(ledger_url)
    kinds = {kind for kind, _, _ in written}
    assert set(WIDER) <= kinds <= set(KEY_KINDS)
    assert len({m for _, _, m in written}) == 3
    assert ("name", "N200|C640", "M000000003") in written  # the old surname still blocks
    assert ("name", "N242|C640", "M000000003") in written
    with engine(ledger_url).begin() as conn:  # a ledger written before 0012
        conn.exec_driver_sql(
            "DELETE FROM blocking_keys WHERE kind IN ("
            + ", ".join(f"'{k}'" for k in WIDER) + ")")
        conn.exec_driver_sql(
            "UPDATE alembic_version SET version_num = '0011_open_review_items'")
    assert not {kind for kind, _, _ in _keys(ledger_url)} & set(WIDER)

    upgrade(ledger_url)

    assert _keys(ledger_url) == written
    upgrade(ledger_url)  # at head: nothing to do
    assert _keys(ledger_url) == written
    with engine(ledger_url).connect() as conn:
        assert verify_chain(conn).ok


def test_upgrade_builds_the_given_tail_keys_for_stored_members(
    ledger_url: str, tmp_path: Path
) -> None:
    """A ledger written before 0014 (no `given_tail` keys) gets exactly the keys a ledger
    written now has; the downgrade deletes them."""
    people = [M(sub="SUB1", first="JESSICA", ssn="212345678"),
              M(sub="SUB1", subscriber=False, rel="19", first="BO", dob="20150607")]
    ingest_file(ledger_url, write(tmp_path, "a.x12", interchange([transaction_set(people)])),
                received_at=RECEIVED)
    written = _keys(ledger_url)
    tails = [key for key in written if key[0] == "given_tail"]
    assert [(v.split("|")[1], m) for _, v, m in tails] == [("ESSICA", "M000000001")]  # BO: too short
    with engine(ledger_url).begin() as conn:  # a ledger written before 0014
        conn.exec_driver_sql("DELETE FROM blocking_keys WHERE kind = 'given_tail'")
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0013_match_models'")

    upgrade(ledger_url)

    assert _keys(ledger_url) == written
    with engine(ledger_url).connect() as conn:
        assert verify_chain(conn).ok


def test_upgrade_builds_the_surname_keys_for_stored_members(
    ledger_url: str, tmp_path: Path
) -> None:
    """A ledger written before 0015 (no `sur3_given`, `surname_tail`, `surname_letters`,
    `given_yd` keys) gets exactly the keys a ledger written now has; the downgrade deletes them."""
    people = [M(sub="SUB1", last="GARCIA", first="JOSHUA", ssn="212345678"),
              M(sub="SUB1", subscriber=False, rel="19", last="GARCIA", first="BO",
                dob="20150607")]
    ingest_file(ledger_url, write(tmp_path, "a.x12", interchange([transaction_set(people)])),
                received_at=RECEIVED)
    written = _keys(ledger_url)
    kinds = ("sur3_given", "surname_tail", "surname_letters", "given_yd")
    new = {(kind, value) for kind, value, _ in written if kind in kinds}
    assert {("surname_tail", "ARCIA|2015"), ("surname_letters", "AACGIR|2015"),
            ("sur3_given", "GAR|J200"), ("sur3_given", "GAR|B000"),
            ("given_yd", "B000|2015-07")} <= new
    with engine(ledger_url).begin() as conn:  # a ledger written before 0015
        conn.exec_driver_sql(
            "DELETE FROM blocking_keys WHERE kind IN ('sur3_given', 'surname_tail',"
            " 'surname_letters', 'given_yd')")
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0014_given_tail_key'")

    upgrade(ledger_url)

    assert _keys(ledger_url) == written
    with engine(ledger_url).connect() as conn:
        assert verify_chain(conn).ok
