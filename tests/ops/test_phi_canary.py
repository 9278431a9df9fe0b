"""No PHI in any log line, exception message, error report, quarantine reason file, claim
record or command output: canary values go through every path, failures included, and
must never come out (the archived input itself is the only place they may be)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import cli
from ledger.drops.claims import drop_claims
from ledger.store.db import upgrade
from tests.ops import opskit


def _texts_of_drop(drop: Path) -> list[str]:
    """Everything a drop run wrote for people to read: outbox and reason files."""
    out = [p.read_text(errors="replace") for p in (drop / "outbox").rglob("*") if p.is_file()]
    out += [p.read_text() for p in (drop / "quarantine").rglob("*.reason.txt")]
    return out


def _claims_text(url: str) -> str:
    with sa.create_engine(url).connect() as c:
        return json.dumps([dict(r._mapping) for r in c.execute(sa.select(drop_claims))],
                          default=str)


def _audit_text(url: str) -> str:
    from ledger.store import schema as t

    with sa.create_engine(url).connect() as c:
        return json.dumps([dict(r._mapping) for r in c.execute(sa.select(t.audit_log))],
                          default=str)


def _assert_clean(*texts: str) -> None:
    for canary in opskit.CANARIES:
        hits = [t for t in texts if canary in t]
        assert not hits, f"canary {canary!r} leaked into: {hits[0][:300]!r}"


def _drops_cli(db_url: str, inbox: Path, *extra: str, env: dict[str, str] | None = None):
    runner = CliRunner(env=env)
    return runner.invoke(cli.main, ["--log-format", "json", "--db", db_url, *extra, "drops",
                                    "run", str(inbox), "--once", "--json"])


def test_canaries_through_every_drop_path(db_url, tmp_path, monkeypatch) -> None:
    for key in ("ENROLL834_USER", "ENROLL834_ACCESS_CODE", "ENROLL834_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    cfg = tmp_path / "enroll834.toml"
    cfg.write_text('[drops]\nsettle_seconds = 0\nvalidator = "pyx12"\n' + opskit.TOML_PARTNERS)
    inbox = opskit.make_drop(tmp_path, {
        "good.edi": opskit.canary_edi(),
        "bad-member.edi": opskit.canary_edi(bad=True, isa13="000000102"),
        "cut.edi": opskit.canary_edi(isa13="000000103", truncate_after=14),
        "reused.edi": opskit.canary_edi(isa13="000000101", st02="0009"),
        "stranger.edi": opskit.canary_edi(isa13="000000104", sender="STRANGER"),
    })  # fmt: skip
    upgrade(db_url)
    result = _drops_cli(db_url, inbox, "--config", str(cfg))
    assert result.exit_code == 1, result.output
    outcomes = {json.loads(line).get("file"): json.loads(line)
                for line in result.stdout.splitlines()}
    assert outcomes["good.edi"]["disposition"] == "archive"
    assert outcomes["bad-member.edi"]["members"]["rejected"] == 1
    assert outcomes["reused.edi"]["reason"] == "control_number_reused"
    _assert_clean(result.stdout, result.stderr, *_texts_of_drop(tmp_path / "drop"),
                  _claims_text(db_url), _audit_text(db_url))

    # The same sender is unknown once partners are strict.
    strict = tmp_path / "strict.toml"
    strict.write_text(cfg.read_text().replace("[drops]\n", "[drops]\nstrict_partners = true\n"))
    (inbox / "stranger2.edi").write_bytes(opskit.canary_edi(isa13="000000105", sender="X7"))
    result = _drops_cli(db_url, inbox, "--config", str(strict))
    assert json.loads(result.stdout.splitlines()[0])["reason"] == "unknown_sender"
    _assert_clean(result.stdout, result.stderr, *_texts_of_drop(tmp_path / "drop"))


def test_canaries_in_failures_never_reach_logs_or_errors(tmp_path, monkeypatch) -> None:
    """A defect whose exception message quotes member data, and a database error carrying
    the statement and its parameters: only type names may come out."""
    import ledger.ingest

    url = f"sqlite:///{tmp_path / 'l.db'}"
    upgrade(url)
    inbox = opskit.make_drop(tmp_path, {"boom.edi": opskit.canary_edi()})

    def exploding(*_a, **_kw):
        raise ValueError(f"cannot place {opskit.CANARY_LAST} {opskit.CANARY_SSN}")

    monkeypatch.setattr(ledger.ingest, "_default_decider", lambda: exploding)
    result = _drops_cli(url, inbox)
    [outcome] = [json.loads(line) for line in result.stdout.splitlines()][:1]
    assert outcome["reason"] == "internal_error"
    assert "ValueError" in result.stderr
    _assert_clean(result.stdout, result.stderr, *_texts_of_drop(tmp_path / "drop"),
                  _claims_text(url))

    def db_down(*_a, **_kw):
        raise sa.exc.OperationalError(
            f"UPDATE demographics SET last='{opskit.CANARY_LAST}'", {"ssn": opskit.CANARY_SSN},
            Exception(f"server closed the connection while sending {opskit.CANARY_SSN}"))

    monkeypatch.setattr(ledger.ingest, "_default_decider", lambda: db_down)
    (inbox / "down.edi").write_bytes(opskit.canary_edi(isa13="000000201"))
    result = _drops_cli(url, inbox)
    assert result.exit_code == 75
    assert "temporary" in result.stderr
    _assert_clean(result.output, result.stderr, *_texts_of_drop(tmp_path / "drop"))


def test_canaries_in_cli_data_errors(tmp_path, monkeypatch) -> None:
    """Configuration mistakes that quote a canary are reported by key, not by value."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "enroll834.toml").write_text(
        f'[[partners]]\nsender_id = "A"\nduplicate_policy = "{opskit.CANARY_SSN}"\n'
        f'nickname = "{opskit.CANARY_LAST}"\n')
    result = CliRunner().invoke(cli.main, ["config", "show"])
    assert result.exit_code == 78
    _assert_clean(result.output, result.stderr)


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_log_lines_hold_context_but_no_phi(tmp_path, fmt) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    upgrade(url)
    inbox = opskit.make_drop(tmp_path, {"good.edi": opskit.canary_edi()})
    result = CliRunner().invoke(cli.main, ["--log-format", fmt, "--db", url, "drops", "run",
                                           str(inbox), "--once"])
    assert result.exit_code == 0, result.output
    assert "run_id" in result.stderr and "st02" in result.stderr and "isa13" in result.stderr
    _assert_clean(result.stdout, result.stderr)
    if fmt == "json":
        lines = [json.loads(x) for x in result.stderr.splitlines() if x.startswith("{")]
        tx = [x for x in lines if x["event"] == "transaction_set"]
        assert tx and tx[0]["st02"] == "0001" and tx[0]["interchange"].endswith("/000000101")
        assert tx[0]["member_ordinal"] == 2
