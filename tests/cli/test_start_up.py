"""`parse` and `validate` with no configuration source start without loading the settings
or the logging library; any source present is still read (a bad one is exit 78)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from ledger.config_sources import SETTING_NAMES, configured, names_a_setting
from ledger.settings import Settings
from tests.edi.synthetic834 import interchange, member

ROOT = Path(__file__).resolve().parents[2]


def test_setting_names_are_the_settings_fields() -> None:
    assert set(Settings.model_fields) == SETTING_NAMES


@pytest.mark.parametrize(("variable", "read"), [
    ("ENROLL834_DATABASE_URL", True), ("enroll834_log_format", True),
    ("ENROLL834_DROPS__POLL_SECONDS", True), ("ENROLL834_PARTNERS", True),
    ("ENROLL834_TEST_POSTGRES_URL", False), ("ENROLL834_PIPELINE_MIN_BYTES", False),
    ("ENROLL834_CONFIG", False), ("DATABASE_URL", False), ("ENROLL834_QUIETLY", False),
])
def test_which_environment_variables_are_settings(variable: str, read: bool) -> None:
    assert names_a_setting(variable) is read


def test_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ENROLL834_CONFIG", raising=False)
    assert not configured(None, {"db": None}, {"ENROLL834_TEST_POSTGRES_URL": "x"})
    assert configured(None, {"db": "sqlite://"}, {})
    assert configured(None, {}, {"ENROLL834_LOG_LEVEL": "DEBUG"})
    assert configured(tmp_path / "any.toml", {}, {})
    (tmp_path / "enroll834.toml").write_text("")
    assert configured(None, {}, {})


def _modules_after(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print(sorted(m for m in ('structlog', 'pydantic_settings')"
            " if m in sys.modules), file=sys.stderr))\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "from cli import main\n"
            f"main({args!r})\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True,
                         text=True, check=False)
    return run.returncode, run.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("command", ["parse", "validate"])
def test_no_source_loads_neither_settings_nor_logging(tmp_path: Path, command: str) -> None:
    path = tmp_path / "in.edi"
    path.write_text(interchange([member(1)]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENROLL834_")}
    code, loaded = _modules_after([command, str(path), "--json"], tmp_path, env)
    assert code == 0 and loaded == "[]"
    # a source present: read as before
    code, loaded = _modules_after([command, str(path), "--json"], tmp_path,
                                  {**env, "ENROLL834_LOG_LEVEL": "WARNING"})
    assert code == 0 and loaded == "['pydantic_settings', 'structlog']"


@pytest.mark.parametrize("command", ["parse", "validate"])
def test_a_bad_configuration_is_still_exit_78(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              command: str) -> None:
    for key in [k for k in os.environ if k.startswith("ENROLL834_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "in.edi"
    path.write_text(interchange([member(1)]))
    (tmp_path / "enroll834.toml").write_text('log_format = "loud"\n')
    result = CliRunner().invoke(main, [command, str(path), "--json"])
    assert result.exit_code == 78 and "log_format" in result.stderr
    monkeypatch.setenv("ENROLL834_QUIET", "maybe")
    (tmp_path / "enroll834.toml").unlink()
    assert CliRunner().invoke(main, [command, str(path), "--json"]).exit_code == 78
