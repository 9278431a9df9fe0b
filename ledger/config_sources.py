"""Where configuration comes from, told without loading it (no pydantic imported here).

`ledger.settings.load_settings` reads three sources over the defaults: the TOML file
(`config_path`), ENROLL834_* environment variables naming a setting, and the command
line's overrides. `configured()` says whether any of them is present; when none is, the
effective settings are the defaults, so a command that needs only a default (the
read-only edi commands: how to log, the partners' character sets) can skip loading the
settings, and the cost of importing pydantic-settings. Any source present: load them
(a bad one is still exit 78).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENV_PREFIX = "ENROLL834_"
DEFAULT_CONFIG_FILE = "enroll834.toml"
SETTING_NAMES = frozenset({
    "database_url", "usage", "log_format", "log_level", "quiet", "lock_timeout_seconds",
    "drops", "web", "payer", "billing", "partners",
})
"""The top-level fields of `ledger.settings.Settings` (a test keeps the two equal)."""


def config_path(explicit: str | os.PathLike[str] | None) -> Path | None:
    """The TOML file to read: `explicit`, else ENROLL834_CONFIG, else ./enroll834.toml if present."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("ENROLL834_CONFIG")
    if env:
        return Path(env)
    default = Path(DEFAULT_CONFIG_FILE)
    return default if default.is_file() else None


def names_a_setting(variable: str) -> bool:
    """Whether environment variable `variable` is read as a setting (ENROLL834_<name>, or
    ENROLL834_<name>__<key> for a nested one; case does not matter, as for the settings)."""
    upper = variable.upper()
    if not upper.startswith(ENV_PREFIX):
        return False
    rest = variable[len(ENV_PREFIX):].lower()
    return rest.split("__", 1)[0] in SETTING_NAMES


def configured(config_file: str | os.PathLike[str] | None, overrides: Mapping[str, Any],
               environ: Mapping[str, str] | None = None) -> bool:
    """True when a configuration file, an environment variable naming a setting or a
    command-line override (a value not None) would be read; False: the defaults hold."""
    if any(v is not None for v in overrides.values()):
        return True
    if config_path(config_file) is not None:
        return True
    return any(names_a_setting(k) for k in (os.environ if environ is None else environ))
