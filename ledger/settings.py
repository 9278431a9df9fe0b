"""Configuration: one frozen `Settings`, from four places in a fixed order of precedence.

    command line  >  environment (ENROLL834_*)  >  enroll834.toml  >  defaults

`load_settings(config_file, overrides)` builds it. The TOML file is the one
named by `--config` (or ENROLL834_CONFIG), else `./enroll834.toml` when it
exists. Nested values take `__` in the environment
(`ENROLL834_DROPS__POLL_SECONDS=2`). Any problem (unreadable file, bad TOML,
an unknown key, a value of the wrong type) raises `ConfigError`, whose message
names the file and the key but never the value. `redacted(settings)` is what
`enroll834 config show` prints: database passwords and other secrets masked.

    database_url = "postgresql+psycopg://enroll@db/enroll834"
    usage = "production"               # production: records ISA15 P | test: records ISA15 T
    log_format = "json"                # auto | json | console

    [drops]
    poll_seconds = 5.0                 # --watch: seconds between polls of the inbox
    settle_seconds = 2.0               # a file is taken when unchanged for this long
    strict_partners = false            # true: unknown senders are rejected with a TA1
    validator = "compiled"             # compiled | pyx12 (slower reference) | none (envelope and model checks only)

    [payer]                            # the payer in the 834s export834 writes
    sender_qualifier = "ZZ"            # ISA05
    sender_id = "ENROLL834"            # ISA06 / GS02
    name = "ENROLL834 PAYER"           # N1*IN N102
    id = "ENROLL834"                   # N1*IN N104
    [billing]
    outbox_dir = "billing-outbox"      # bills, reminders, commission statements
    mailroom_dir = "mailroom"          # paper groups' PDFs (default <outbox_dir>/mailroom)
    payer_name = "Synthetic Health Plan"
    payer_address = ["PO Box 1", "Springfield, IL 62701"]
    reminder_days = [-10, 0, 5, 15]    # days from the due date

    [[partners]]
    sender_qualifier = "ZZ"
    sender_id = "991234567"
    allowed_sponsors = ["991234567"]   # empty: any sponsor
    duplicate_policy = "skip"          # skip (TA1 025, archive) | quarantine
    termination_date_rule = "bgn_date" # bgn_date | received_date | reject
    retro_days = 90
    future_days = 60
    charset = "extended"               # basic | extended | utf-8 (by agreement)
    test_database_url = "sqlite:///onboarding-test.db"  # its ISA15 T files are recorded here

    [web]
    idle_minutes = 15                  # automatic logoff after this long unused
    absolute_hours = 12                # a session's longest life
    lockout_failures = 5               # refused sign-ins of one user id ...
    lockout_minutes = 15               # ... within this window lock it for the window
    secure_cookies = "auto"            # auto (Secure over TLS) | always | never
    mail_room = "mail-room"            # client letters (PDF, 0600) for the mail room (0700)
    site_url = ""                      # the sign-in address printed in client letters
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ledger.config_sources import DEFAULT_CONFIG_FILE as DEFAULT_CONFIG_FILE
from ledger.config_sources import config_path as config_path

DEFAULT_DATABASE_URL = "sqlite:///enroll834.db"
SECRET_WORDS = ("password", "secret", "token", "access_code", "key")


class ConfigError(Exception):
    """The configuration cannot be used (exit 78); the message names where, never a value."""


class PartnerSettings(BaseModel):
    """One trading partner (an ISA06 sender) and the policy its files are processed with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sender_qualifier: str = "ZZ"
    sender_id: str
    name: str = ""
    allowed_sponsors: tuple[str, ...] = ()
    """Sponsor ids (N1*P5 N104) this sender may send for; empty allows any."""
    duplicate_policy: Literal["skip", "quarantine"] = "skip"
    """A duplicate interchange: TA1 025 and archive (skip), or TA1 025 and quarantine."""
    termination_date_rule: Literal["bgn_date", "received_date", "reject"] = "bgn_date"
    retro_days: int | None = Field(default=None, ge=0)
    future_days: int | None = Field(default=None, ge=0)
    charset: Literal["basic", "extended", "utf-8"] = "extended"
    """The character set agreed with this sender: X12 basic, X12 extended, or UTF-8."""
    test_database_url: str | None = None
    """A production instance records this partner's test interchanges (ISA15 T) in this
    separate ledger (onboarding rehearsals) instead of not applying them."""


class DropSettings(BaseModel):
    """How `drops run` watches an inbox; directories default to the inbox's siblings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    poll_seconds: float = Field(default=5.0, gt=0)
    settle_seconds: float = Field(default=2.0, ge=0)
    temporary_names: tuple[str, ...] = (".*", "*.tmp", "*.part", "*.partial", "*.filepart", "*~")
    """Glob patterns of names a partner writes before renaming to the final name."""
    strict_partners: bool = False
    validator: Literal["compiled", "pyx12", "none"] = "compiled"
    work_dir: Path | None = None
    archive_dir: Path | None = None
    quarantine_dir: Path | None = None
    outbox_dir: Path | None = None
    bound_sponsors: tuple[str, ...] = ()
    """An inbox bound to one client (the web's uploads): sets for any other sponsor (N1*P5)
    are rejected, whoever the sender; empty binds nothing."""


class WebSettings(BaseModel):
    """The browser face (`enroll834 serve`): session lifetimes, sign-in lockout, cookies."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    idle_minutes: float = Field(default=15.0, gt=0)
    """A session unused this long ends (automatic logoff)."""
    absolute_hours: float = Field(default=12.0, gt=0)
    """A session ends this long after sign-in, however busy."""
    lockout_failures: int = Field(default=5, ge=1)
    """Refused sign-ins of one user id within `lockout_minutes` that lock it."""
    lockout_minutes: float = Field(default=15.0, gt=0)
    secure_cookies: Literal["auto", "always", "never"] = "auto"
    """Secure cookie flag: auto = when the request came over TLS (or X-Forwarded-Proto https
    from a trusted proxy)."""
    page_size: int = Field(default=50, ge=5, le=500)
    mail_room: Path = Path("mail-room")
    """Where client letters (user IDs and access codes, PDF) are written for mailing (0700)."""
    site_url: str = ""
    """The sign-in address printed in client letters ('' : a generic sentence)."""
    uploads_root: Path = Path("uploads")
    """Client uploads: one drop inbox per client under here (`<root>/<client>/inbox`, 0700)."""
    upload_max_mb: float = Field(default=20.0, gt=0)
    """The largest file a client may upload from the browser."""


class PayerSettings(BaseModel):
    """Who the payer is in the files it sends (`export834`): ISA sender and N1*IN."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sender_qualifier: str = Field(default="ZZ", min_length=2, max_length=2)
    sender_id: str = Field(default="ENROLL834", min_length=1, max_length=15)
    name: str = Field(default="ENROLL834 PAYER", min_length=1, max_length=60)
    id: str = Field(default="ENROLL834", min_length=2, max_length=80)
    """N1*IN N104 (the payer's identification code)."""


class BillingSettings(BaseModel):
    """Where bills go and who sends them (`[billing]`; see ledger/billing/README.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outbox_dir: Path = Path("billing-outbox")
    """Bills (PDF, CSV, JSON), reminders and commission statements, one folder per group."""
    mailroom_dir: Path | None = None
    """Paper groups' PDFs for printing and mailing (default: <outbox_dir>/mailroom)."""
    payer_name: str = "Enrollment Services"
    payer_address: tuple[str, ...] = ()
    remit_to: tuple[str, ...] = ()
    """The address on the remittance stub (default: the payer's)."""
    reminder_days: tuple[int, ...] = (-10, 0, 5, 15)
    """Days from the due date on which an unpaid bill gets a reminder."""
    pdf_detail_limit: int = Field(default=2000, ge=0)
    """Member lines printed in a PDF; the CSV always has them all."""


class Settings(BaseSettings):
    """The effective configuration of one process (frozen)."""

    model_config = SettingsConfigDict(
        env_prefix="ENROLL834_", env_nested_delimiter="__", frozen=True, extra="forbid",
    )  # fmt: skip

    database_url: str = DEFAULT_DATABASE_URL
    usage: Literal["production", "test"] = "production"
    """What this instance records: 'production' ISA15 P interchanges, 'test' ISA15 T ones;
    the others are validated and acknowledged, and applied nowhere."""
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    quiet: bool = False
    lock_timeout_seconds: float = Field(default=30.0, gt=0)
    """How long any command waits for a locked database before giving up with exit 75."""
    drops: DropSettings = DropSettings()
    web: WebSettings = WebSettings()
    payer: PayerSettings = PayerSettings()
    billing: BillingSettings = BillingSettings()
    partners: tuple[PartnerSettings, ...] = ()

    def charsets(self) -> dict[tuple[str, str], str]:
        """(ISA05, ISA06) -> agreed character set, for the partners not on the default."""
        return {(p.sender_qualifier.strip(), p.sender_id.strip()): p.charset
                for p in self.partners if p.charset != "extended"}

    def validator(self) -> Any:
        """The implementation-guide validator `drops.validator` names, with the partners'
        character sets (`edi.validate.make_validator`); None for 'none'. What every command
        that records a file without a --validator option of its own reads it with."""
        if self.drops.validator == "none":
            return None
        from edi.validate import make_validator

        return make_validator(self.drops.validator, self.charsets())

    def partner(self, qualifier: str, sender_id: str) -> PartnerSettings | None:
        """The configured partner for an ISA05/ISA06 pair (blank-padding ignored), or None."""
        q, s = qualifier.strip(), sender_id.strip()
        for p in self.partners:
            if p.sender_id.strip() == s and p.sender_qualifier.strip() == q:
                return p
        return None

    def test_ledger(self, header: Any) -> str | None:
        """The partner's test_database_url for an interchange header (ISA05/ISA06), or None."""
        partner = self.partner(header.sender_qualifier, header.sender_id)
        return partner.test_database_url if partner else None


class _TomlSource(PydanticBaseSettingsSource):
    """Values already read from the TOML file (read in `load_settings` for located errors)."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({type(exc).__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        # The decoder's message says where ("at line 3, column 7"), not what.
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None


def load_settings(
    config_file: str | os.PathLike[str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Build the effective settings. `overrides` are command-line values (None = not given).

    Raises ConfigError for anything unusable, naming the file or variable and
    the key, never the offending value.
    """
    path = config_path(config_file)
    data = _read_toml(path) if path is not None else {}
    given = {k: v for k, v in (overrides or {}).items() if v is not None}

    class _Loaded(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return init_settings, env_settings, _TomlSource(settings_cls, data)

    try:
        loaded = _Loaded(**given)
    except ValidationError as exc:
        where = str(path) if path is not None else "environment/command line"
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise ConfigError(f"{where}: invalid configuration ({problems})") from None
    return Settings.model_construct(**{k: getattr(loaded, k) for k in Settings.model_fields})


def redact_url(url: str) -> str:
    """`url` with any password replaced by ***."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown without its credentials part
        return url.split("@")[-1] if "@" in url else url


def redacted(settings: Settings) -> dict[str, Any]:
    """The settings as plain JSON-able data, secrets masked (what `config show` prints)."""
    data = settings.model_dump(mode="json")
    data["database_url"] = redact_url(settings.database_url)
    for partner in data.get("partners") or []:
        if partner.get("test_database_url"):
            partner["test_database_url"] = redact_url(partner["test_database_url"])

    def mask(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: ("***" if any(w in k.lower() for w in SECRET_WORDS) and v else mask(v))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [mask(v) for v in node]
        return node

    out: dict[str, Any] = mask(data)
    return out


def config_lines(node: Any, prefix: str = "") -> list[str]:
    """`config show`'s text: a `dotted.key = <JSON value>` line per setting of `redacted()`."""
    if isinstance(node, dict):
        return [ln for k, v in node.items() for ln in config_lines(v, f"{prefix}{k}.")]
    return [f"{prefix[:-1]} = {json.dumps(node)}"]
