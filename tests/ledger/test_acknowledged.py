"""What is recorded is what is acknowledged (issue 20, issue 14 item 4).

Every file is ingested with `ingest_file` (or reconciled with `reconcile_file`),
which judges it first and records only what its TA1/999 accept; each test
checks the acknowledgments with pyx12 and the ledger against them. The
property over the corpus, every generated form and mutations is
tests/ledger/test_acknowledged_property.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from ledger_helpers import RECEIVED, M, interchange, simple_decide, transaction_set, write

from ledger.fullfile import reconcile_file
from ledger.ingest import IngestSummary, ingest_file
from ledger.store import reconcile_tables as rt
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


# ---------------------------------------------------------------- reconcile obeys the verdict


def _full_file(people: list[M], isa13: str, *sets: str) -> bytes:
    """A verify full file of `people`, one set per ST02 in `sets` (default one, 0001)."""
    from test_reconcile import full, full_set

    return interchange([full_set([full(m) for m in people], st02=st02)
                        for st02 in sets or ("0001",)], isa13=isa13)


def _seeded(url: str, tmp_path: Path) -> list[M]:
    from test_reconcile import family, seed

    people = family(2)
    seed(url, tmp_path, people)
    return people


def _ack_999(acks: list[tuple[str, str]]) -> str:
    from edi.ig_pyx12 import ack_problems

    for name, text in acks:
        assert ack_problems(text) == [], (name, text)
    (ack,) = [text for name, text in acks if name.endswith(".999")]
    return ack


def test_reconcile_acknowledges_a_test_interchange_and_applies_nothing(ledger_url: str,
                                                                     tmp_path: Path) -> None:
    people = _seeded(ledger_url, tmp_path)
    test_file = write(tmp_path, "t.edi", _usage(_full_file(people[:1], "000000300"), "T"))
    out = reconcile_file(ledger_url, test_file)
    assert out.runs == [] and count(ledger_url, rt.reconciliation_runs) == 0
    assert count(ledger_url, rt.discrepancies) == 0 and count(ledger_url, t.review_items) == 0
    assert out.transaction_sets["not_applied"] == 1 and out.transaction_sets["reconciled"] == 0
    assert any("test interchange: acknowledged, not applied" in n for n in out.notes)
    assert "IK5*A~" in _ack_999(out.acks) and not out.rejected
    # a test instance reconciles it, and refuses production data the same way
    assert len(reconcile_file(ledger_url, test_file, usage="test").runs) == 1
    prod = write(tmp_path, "p.edi", _full_file(people[:1], "000000301"))
    out = reconcile_file(ledger_url, prod, usage="test")
    assert out.runs == [] and count(ledger_url, rt.reconciliation_runs) == 1
    assert any("production interchange: acknowledged, not applied" in n for n in out.notes)


def test_reconcile_sends_partner_test_interchanges_to_its_test_ledger(ledger_url: str,
                                                                      tmp_path: Path) -> None:
    people = _seeded(ledger_url, tmp_path)
    test_url = f"sqlite:///{tmp_path / 'onboarding.db'}"
    path = write(tmp_path, "t.edi", _usage(_full_file(people[:1], "000000302"), "T"))
    out = reconcile_file(ledger_url, path, test_ledger=lambda h: test_url)
    assert out.runs == [] and count(ledger_url, rt.reconciliation_runs) == 0
    assert len(out.test_runs) == 1 and count(test_url, rt.reconciliation_runs) == 1
    assert out.transaction_sets["test_reconciled"] == 1
    assert any("recorded in the partner's test ledger" in n for n in out.notes)


def test_reconcile_records_nothing_of_a_rejected_group(ledger_url: str, tmp_path: Path) -> None:
    people = _seeded(ledger_url, tmp_path)
    data = _full_file(people[:1], "000000303").replace(b"GS*BE*", b"GS*HC*")
    out = reconcile_file(ledger_url, write(tmp_path, "hc.edi", data))
    assert out.runs == [] and count(ledger_url, rt.reconciliation_runs) == 0
    assert out.transaction_sets["rejected"] == 1 and out.rejected
    assert "AK9*R*1*1*0*1~" in _ack_999(out.acks)


def test_reconcile_records_only_the_accepted_sets_of_a_partial_group(ledger_url: str,
                                                                     tmp_path: Path) -> None:
    people = _seeded(ledger_url, tmp_path)
    data = _full_file(people, "000000304", "0001", "0002")
    head, tail = data.split(b"SE*", 2)[0:2], data.split(b"SE*", 2)[2]
    data = b"SE*".join(head) + b"SE*99" + tail[tail.index(b"*"):]  # the second SE01 wrong
    out = reconcile_file(ledger_url, write(tmp_path, "p.edi", data))
    assert [r.set_control for r in out.runs] == ["0001"] and out.rejected
    sets = {(r["interchange_control"], r["set_control"])
            for r in _rows(ledger_url, rt.reconciliation_runs)}
    assert sets == {("000000304", "0001")}
    assert acked_sets(out.acks) == {("000000304", "1", "0001")}
    # ingest hands the rejected full set to its own counting: nothing reconciled, audited
    before = recorded_sets(ledger_url)
    summary = _ingest(ledger_url, write(tmp_path, "p2.edi", data.replace(b"000000304",
                                                                         b"000000305")))
    assert summary.transaction_sets == {"accepted": 1, "rejected": 1, "duplicate": 0,
                                        "not_applied": 0}
    assert count(ledger_url, rt.reconciliation_runs) == 2
    assert any(r["action"] == "ingest.set_rejected" and r["target"].endswith("000000305/1/0002")
               for r in _rows(ledger_url, t.audit_log))
    check(ledger_url, summary, before)


def test_reconcile_writes_the_acknowledgments_unless_dry_run(ledger_url: str,
                                                             tmp_path: Path) -> None:
    people = _seeded(ledger_url, tmp_path)
    path = write(tmp_path, "f.edi", _full_file(people, "000000306"))
    dry = reconcile_file(ledger_url, path, outbox=tmp_path / "dry", dry_run=True)
    assert not any(p.name.endswith((".999", ".ta1")) for p in (tmp_path / "dry").iterdir())
    assert [name for name, _ in dry.acks] == ["f.edi.000000306.999"]
    out = reconcile_file(ledger_url, path, outbox=tmp_path / "out")
    assert (tmp_path / "out" / "f.edi.000000306.999").read_text() == out.acks[0][1]
    assert out.to_json()["acknowledgments"] == ["f.edi.000000306.999"]


def test_cli_reconcile_says_acknowledged_not_applied(ledger_url: str, tmp_path: Path) -> None:
    import json

    from click.testing import CliRunner

    from cli import main

    people = _seeded(ledger_url, tmp_path)
    test_file = write(tmp_path, "t.edi", _usage(_full_file(people, "000000307"), "T"))
    res = CliRunner().invoke(main, ["--db", ledger_url, "reconcile", str(test_file), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["runs"] == [] and doc["transaction_sets"]["not_applied"] == 1
    assert any("test interchange: acknowledged, not applied" in n for n in doc["notes"])
    assert "test interchange: acknowledged, not applied" in res.stderr
    bad = write(tmp_path, "hc.edi", _full_file(people, "000000308").replace(b"GS*BE*", b"GS*HC*"))
    res = CliRunner().invoke(main, ["--db", ledger_url, "reconcile", str(bad)])
    assert res.exit_code == 1 and "rejected by its acknowledgment" in res.stderr
    assert count(ledger_url, rt.reconciliation_runs) == 0


def _rows(url: str, table: sa.Table) -> list[dict[str, object]]:
    with engine(url).connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(table))]


def test_cli_reconcile_reads_with_the_configured_validator(ledger_url: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses
    import json
    import os

    from click.testing import CliRunner
    from test_reconcile import family

    from cli import main

    people = _seeded(ledger_url, tmp_path)
    long_name = dataclasses.replace(family(3)[2], last="X" * 70)  # NM103 over 60: IG only
    path = write(tmp_path, "f.edi", _full_file([*people, long_name], "000000309"))
    for key in [k for k in os.environ if k.startswith("ENROLL834_")]:
        monkeypatch.delenv(key)
    res = CliRunner().invoke(main, ["--db", ledger_url, "reconcile", str(path), "--json",
                                    "--dry-run"])  # fmt: skip
    assert res.exit_code == 1, res.output  # the compiled validator rejects that member
    (run,) = json.loads(res.stdout)["runs"]
    assert run["counts"]["rejected_members"] == 1 and run["counts"]["file_members"] == 2
    monkeypatch.setenv("ENROLL834_DROPS__VALIDATOR", "none")
    res = CliRunner().invoke(main, ["--db", ledger_url, "reconcile", str(path), "--json",
                                    "--dry-run"])  # fmt: skip
    (run,) = json.loads(res.stdout)["runs"]
    assert run["counts"]["rejected_members"] == 0 and res.exit_code == 0, res.output
