"""What is recorded is what is acknowledged (issue 20, issue 14 item 4).

Every file is ingested with `ingest_file`, which judges it first and records
only what its TA1/999 accept; each test checks the acknowledgments with pyx12
and the ledger against them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from ledger_helpers import RECEIVED, M, interchange, simple_decide, transaction_set, write

from ledger.ingest import IngestSummary, ingest_file
from ledger.store import schema as t
from ledger.store.db import engine, upgrade
from tests.edi.test_acks import acked_sets

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def _ingest(url: str, path: Path, **kw: object) -> IngestSummary:
    return ingest_file(url, path, decide=simple_decide, received_at=RECEIVED, **kw)  # type: ignore[arg-type]


def recorded_sets(url: str) -> set[tuple[str, str, str]]:
    """(ISA13, GS06, ST02) of every transaction set the ledger holds."""
    ic, ts = t.interchanges, t.transaction_sets
    with engine(url).connect() as conn:
        rows = conn.execute(sa.select(ic.c.control_number, ts.c.group_control, ts.c.set_control)
                            .join(ic, ic.c.id == ts.c.interchange_id)).all()  # fmt: skip
    return {(r[0], r[1], r[2]) for r in rows}


def member_records(url: str) -> set[tuple[str, str, str, int]]:
    """(ISA13, GS06, ST02, member ordinal) of every entry the ledger holds."""
    e = t.entries
    with engine(url).connect() as conn:
        rows = conn.execute(sa.select(e.c.interchange_control, e.c.group_control, e.c.set_control,
                                      e.c.member_ordinal)
                            .where(e.c.member_ordinal.is_not(None))).all()  # fmt: skip
    return {(r[0], r[1], r[2], r[3]) for r in rows}


def count(url: str, table: sa.Table) -> int:
    with engine(url).connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def check(url: str, summary: IngestSummary, before: set[tuple[str, str, str]] | None = None,
          ) -> None:
    """Every ack passes pyx12, and the sets recorded by this ingest are exactly those accepted."""
    from edi.ig_pyx12 import ack_problems

    for name, text in summary.acks:
        assert ack_problems(text) == [], (name, text)
    new = recorded_sets(url) - (before or set())
    assert new == acked_sets(summary.acks) - (before or set())
    assert {m[:3] for m in member_records(url)} <= recorded_sets(url)


FAMILY = [M(), M(subscriber=False, rel="01", first="BOB", dob="19810202", gender="M")]


def test_accepted_file_records_what_the_999_accepts(ledger_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "ok.edi", interchange([transaction_set(FAMILY)]))
    summary = _ingest(ledger_url, path)
    assert summary.transaction_sets["accepted"] == 1
    assert recorded_sets(ledger_url) == {("000000101", "1", "0001")}
    check(ledger_url, summary)


# ---------------------------------------------------------------- environments


def _usage(data: bytes, usage: str) -> bytes:
    return data.replace(b"*0*P*:", f"*0*{usage}*:".encode(), 1)


def test_test_interchange_never_changes_a_production_ledger(ledger_url: str,
                                                            tmp_path: Path) -> None:
    path = write(tmp_path, "t.edi", _usage(interchange([transaction_set(FAMILY)]), "T"))
    summary = _ingest(ledger_url, path)
    assert count(ledger_url, t.members) == 0 and count(ledger_url, t.entries) == 0
    assert count(ledger_url, t.review_items) == 0 and count(ledger_url, t.interchanges) == 0
    assert summary.transaction_sets["not_applied"] == 1
    assert summary.transaction_sets["accepted"] == 0
    assert any("test interchange: acknowledged, not applied" in n for n in summary.notes)
    (ack,) = [text for name, text in summary.acks if name.endswith(".999")]
    assert "IK5*A~" in ack  # acknowledged as usual
    from edi.ig_pyx12 import ack_problems

    assert ack_problems(ack) == []


def test_test_instance_refuses_production_data(ledger_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "p.edi", interchange([transaction_set(FAMILY)]))
    summary = _ingest(ledger_url, path, usage="test")
    assert count(ledger_url, t.members) == 0 and count(ledger_url, t.interchanges) == 0
    assert any("production interchange: acknowledged, not applied" in n for n in summary.notes)
    test_file = write(tmp_path, "t.edi", _usage(interchange([transaction_set(FAMILY)],
                                                            isa13="000000102"), "T"))
    _ingest(ledger_url, test_file, usage="test")
    assert count(ledger_url, t.members) == 2


def test_partner_test_database_receives_its_test_interchanges(ledger_url: str,
                                                              tmp_path: Path) -> None:
    test_url = f"sqlite:///{tmp_path / 'onboarding.db'}"
    path = write(tmp_path, "t.edi", _usage(interchange([transaction_set(FAMILY)]), "T"))
    summary = _ingest(ledger_url, path,
                      test_ledger=lambda h: test_url if h.sender_id == "SENDER1" else None)
    assert count(ledger_url, t.members) == 0 and count(ledger_url, t.interchanges) == 0
    assert count(test_url, t.members) == 2
    assert summary.transaction_sets["test_accepted"] == 1
    assert any("recorded in the partner's test ledger" in n for n in summary.notes)


# ---------------------------------------------------------------- rejected units


def test_group_the_999_rejects_is_not_processed(ledger_url: str, tmp_path: Path) -> None:
    data = interchange([transaction_set(FAMILY)]).replace(b"GS*BE*", b"GS*HC*")
    summary = _ingest(ledger_url, write(tmp_path, "hc.edi", data))
    assert count(ledger_url, t.members) == 0 and count(ledger_url, t.review_items) == 0
    (ack,) = [text for name, text in summary.acks if name.endswith(".999")]
    assert "AK9*R*1*1*0*1~" in ack and "IK5*A" not in ack
    check(ledger_url, summary)


def test_interchange_a_999_cannot_name_is_rejected_by_ta1_024(ledger_url: str,
                                                              tmp_path: Path) -> None:
    data = interchange([transaction_set(FAMILY)]).replace(b"GS*BE*", b"GS*XX*")
    summary = _ingest(ledger_url, write(tmp_path, "xx.edi", data))
    assert count(ledger_url, t.members) == 0 and count(ledger_url, t.interchanges) == 0
    (ta1,) = [text for name, text in summary.acks if name.endswith(".ta1")]
    assert "*R*024~" in ta1
    check(ledger_url, summary)


def test_fully_rejected_interchange_does_not_use_up_its_isa13(ledger_url: str,
                                                              tmp_path: Path) -> None:
    good = interchange([transaction_set(FAMILY)])
    truncated = good[: good.index(b"GE*")]  # no GE/IEA: TA1 R 023, nothing recorded
    first = _ingest(ledger_url, write(tmp_path, "cut.edi", truncated))
    assert first.transaction_sets["accepted"] == 0 and count(ledger_url, t.interchanges) == 0
    check(ledger_url, first)
    # the corrected re-send with the same ISA13 is processed ...
    again = _ingest(ledger_url, write(tmp_path, "fixed.edi", good))
    assert again.transaction_sets["accepted"] == 1 and count(ledger_url, t.members) == 2
    check(ledger_url, again)
    # ... and what was accepted is still refused twice (other bytes) or a duplicate (same bytes)
    before = recorded_sets(ledger_url)
    dup = _ingest(ledger_url, write(tmp_path, "dup.edi", good))
    assert dup.transaction_sets["duplicate"] == 1
    assert any(name.endswith(".ta1") and "*R*025~" in text for name, text in dup.acks)
    other = good.replace(b"BOB", b"ROB")
    refused = _ingest(ledger_url, write(tmp_path, "other.edi", other))
    assert refused.transaction_sets["accepted"] == 0
    assert any(name.endswith(".ta1") and "*R*025~" in text for name, text in refused.acks)
    assert recorded_sets(ledger_url) == before and count(ledger_url, t.members) == 2


def test_set_rejected_inside_a_partial_group_is_not_recorded(ledger_url: str,
                                                             tmp_path: Path) -> None:
    bad = transaction_set(FAMILY, "0002")
    bad[-1] = "SE*99*0002"  # SE01 wrong: IK5 R for this set only
    summary = _ingest(ledger_url, write(tmp_path, "p.edi",
                                        interchange([transaction_set(FAMILY), bad])))
    assert recorded_sets(ledger_url) == {("000000101", "1", "0001")}
    check(ledger_url, summary)


# ---------------------------------------------------------------- corpus


def test_corpus_acks_validate_and_agree_with_the_ledger(ledger_url: str, tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    if not ledger_url.startswith("sqlite"):
        pytest.skip("one backend is enough for the corpus")
    from edi.ig_pyx12 import ack_problems

    urls = {usage: f"sqlite:///{tmp_path / f'{usage}.db'}" for usage in ("production", "test")}
    for url in urls.values():
        upgrade(url)
    for path in sorted(CORPUS.iterdir()):
        if path.name == "SOURCES.md":
            continue
        # a production and a test instance: each interchange is recorded by exactly one
        from edi.validate import validate_file

        usages = {ic.control_number: ic.header.usage for ic in validate_file(path).interchanges}
        new = []
        for usage, url in urls.items():
            before = recorded_sets(url)
            summary = ingest_file(url, path, received_at=RECEIVED, usage=usage)
            for name, text in summary.acks:
                assert ack_problems(text) == [], (name, text)
            new.append(recorded_sets(url) - before)
            assert {m[:3] for m in member_records(url)} <= recorded_sets(url)
            applied = {k for k in acked_sets(summary.acks) if usages.get(k[0]) == usage[0].upper()}
            assert new[-1] == applied, (path.name, usage)
        assert not new[0] & new[1], path.name
