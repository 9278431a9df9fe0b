"""Configuration precedence (command line > environment > enroll834.toml > defaults),
errors that name the key but never the value, and `config show` with secrets redacted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from ledger.settings import DEFAULT_DATABASE_URL, ConfigError, load_settings, redacted

SECRET = "s3cr3t-QZX-password"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("ENROLL834_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def _toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "enroll834.toml"
    path.write_text(text)
    return path


def test_defaults_use_a_sqlite_file() -> None:
    s = load_settings()
    assert s.database_url == DEFAULT_DATABASE_URL == "sqlite:///enroll834.db"
    assert s.drops.poll_seconds == 5.0 and s.partners == ()


def test_precedence_cli_over_env_over_file_over_default(tmp_path, monkeypatch) -> None:
    _toml(tmp_path, 'log_format = "console"\nlock_timeout_seconds = 5\n'
                    '[drops]\npoll_seconds = 7\nsettle_seconds = 3\n')
    s = load_settings()  # ./enroll834.toml is found by itself
    assert (s.log_format, s.lock_timeout_seconds, s.drops.poll_seconds) == ("console", 5, 7)
    monkeypatch.setenv("ENROLL834_LOG_FORMAT", "json")
    monkeypatch.setenv("ENROLL834_DROPS__POLL_SECONDS", "2")
    s = load_settings()
    assert (s.log_format, s.drops.poll_seconds, s.drops.settle_seconds) == ("json", 2, 3)
    s = load_settings(None, {"log_format": "auto", "quiet": None})
    assert s.log_format == "auto" and s.quiet is False and s.lock_timeout_seconds == 5


def test_explicit_config_file_and_partners(tmp_path) -> None:
    path = tmp_path / "other.toml"
    path.write_text('[[partners]]\nsender_id = "ACME1"\nallowed_sponsors = ["991234567"]\n'
                    'duplicate_policy = "quarantine"\ntermination_date_rule = "reject"\n')
    s = load_settings(path)
    p = s.partner("ZZ", "ACME1        ")
    assert p is not None and p.allowed_sponsors == ("991234567",)
    assert p.duplicate_policy == "quarantine" and p.termination_date_rule == "reject"
    assert s.partner("ZZ", "NOBODY") is None


@pytest.mark.parametrize("text, key", [
    (f'bogus = "{SECRET}"\n', "bogus"),
    (f'log_format = "{SECRET}"\n', "log_format"),
    (f'[drops]\npoll_seconds = "{SECRET}"\n', "drops.poll_seconds"),
    (f'[[partners]]\nsender_id = "A"\nduplicate_policy = "{SECRET}"\n', "duplicate_policy"),
])
def test_bad_values_name_the_key_never_the_value(tmp_path, text, key) -> None:
    path = _toml(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert key in str(err.value) and str(path) in str(err.value)
    assert SECRET not in str(err.value)


def test_unreadable_or_missing_files(tmp_path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(_toml(tmp_path, f'x = "{SECRET}\n'))
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml")


def test_bad_environment_value(monkeypatch) -> None:
    monkeypatch.setenv("ENROLL834_LOCK_TIMEOUT_SECONDS", SECRET)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "lock_timeout_seconds" in str(err.value) and SECRET not in str(err.value)


def test_redaction_masks_database_passwords() -> None:
    s = load_settings(None, {"database_url": f"postgresql+psycopg://enroll:{SECRET}@db/prod"})
    shown = json.dumps(redacted(s))
    assert SECRET not in shown and "enroll:***@db/prod" in shown


def test_config_show_prints_the_effective_configuration(tmp_path, monkeypatch) -> None:
    _toml(tmp_path, f'database_url = "postgresql://u:{SECRET}@h/db"\n[drops]\npoll_seconds = 9\n')
    monkeypatch.setenv("ENROLL834_DROPS__SETTLE_SECONDS", "4")
    result = CliRunner().invoke(cli.main, ["--log-format", "json", "config", "show", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["drops"]["poll_seconds"] == 9 and data["drops"]["settle_seconds"] == 4
    assert data["log_format"] == "json" and data["database_url"] == "postgresql://u:***@h/db"
    assert SECRET not in result.output
    text = CliRunner().invoke(cli.main, ["--db", "sqlite:///x.db", "config", "show"]).stdout
    assert 'database_url = "sqlite:///x.db"' in text and "drops.poll_seconds = 9" in text


def test_config_show_exits_78_on_a_bad_configuration(tmp_path) -> None:
    _toml(tmp_path, f'nonsense = "{SECRET}"\n')
    result = CliRunner().invoke(cli.main, ["config", "show"])
    assert result.exit_code == 78
    assert "nonsense" in result.output and SECRET not in result.output
    assert "Traceback" not in result.output
