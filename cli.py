"""enroll834 command line: thin click wiring over the edi, matching and ledger libraries.

stdout carries data only; messages, logs and progress go to stderr.
Exit codes: 0 ok, 1 data rejected, 2 usage, 75 temporary failure (retry),
77 not permitted, 78 configuration error.

A command reads its options (the shared ones are the decorators below), calls edi or the
ledger, and prints what the room renders; ledger errors reach their exit codes in `_Main`.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from ledger.desk import Actor
    from ledger.settings import Settings

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_TEMPFAIL = 75
EXIT_NOPERM = 77
EXIT_CONFIG = 78

def settings_of(ctx: click.Context) -> Settings:
    """The effective `ledger.settings.Settings` (loaded once per invocation; errors exit 78)."""
    from ledger.settings import load_settings

    root = ctx.find_root()
    obj = root.obj if isinstance(root.obj, dict) else {}
    if obj.get("settings") is None:
        overrides = {"database_url": obj.get("db"), "log_format": obj.get("log_format"),
                     "quiet": True if obj.get("quiet") else None}
        obj["settings"] = load_settings(obj.get("config"), overrides)
    settings: Settings = obj["settings"]
    return settings


_SILENT_COMMANDS = frozenset({"parse", "validate"})
"""Commands that never log and read no setting but the partners' character sets: with no
configuration source at all (`ledger.config_sources.configured`) they run on the defaults
without loading the settings or the logging library (a tenth of a second of start-up)."""


def _configured(ctx: click.Context) -> bool:
    """Whether any configuration source is present (else the settings are the defaults)."""
    from ledger.config_sources import configured

    obj = ctx.find_root().obj or {}
    return configured(obj.get("config"), {k: obj.get(k) for k in ("db", "log_format")}
                      | {"quiet": True if obj.get("quiet") else None})


def _echo(lines: Iterable[str], err: bool = False) -> None:
    """Print a room's text rendering, one line at a time."""
    for line in lines:
        click.echo(line, err=err)


def _rows(rows: Iterable[Any], as_json: bool, line: Callable[[Any], str],
          header: str | None = None, notes: Callable[[Any], Iterable[str]] | None = None) -> None:
    """The one table printer: a JSON object per row, or `header` and the room's `line` of each;
    each row's `notes` on stderr after it."""
    if header is not None and not as_json:
        click.echo(header)
    for row in rows:
        click.echo(json.dumps(row) if as_json else line(row))
        _echo(notes(row) if notes else (), err=True)


class _ExitCodeError(click.ClickException):
    """A one-line error with its documented exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.exit_code = code  # type: ignore[misc]


def map_exception(exc: BaseException) -> click.ClickException | None:
    """The documented exit code for an operator-facing failure, or None to let it propagate.

    78 configuration, 75 temporary (database locked/unreachable, disk full),
    77 not permitted, 1 other ledger refusals.
    """
    import sqlalchemy.exc

    from ledger.desk import NotPermitted
    from ledger.drops import TemporaryFailure
    from ledger.pipeline import ReaderStopped
    from ledger.settings import ConfigError
    from ledger.store import LedgerError

    if isinstance(exc, ConfigError):
        return _ExitCodeError(str(exc), EXIT_CONFIG)
    if isinstance(exc, TemporaryFailure):
        return _ExitCodeError(f"{exc} (temporary; safe to retry)", EXIT_TEMPFAIL)
    if isinstance(exc, ReaderStopped):
        return _ExitCodeError(f"{exc.strerror}; nothing of the open transaction set was "
                              "recorded (temporary; safe to retry)", EXIT_TEMPFAIL)
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and not isinstance(
        exc, sqlalchemy.exc.IntegrityError
    ):
        return database_failure(exc)
    if isinstance(exc, sqlalchemy.exc.ArgumentError):
        return _ExitCodeError("database URL is not valid", EXIT_CONFIG)
    if isinstance(exc, NotPermitted):
        return _ExitCodeError(str(exc), EXIT_NOPERM)
    if isinstance(exc, LedgerError):
        return _ExitCodeError(str(exc), EXIT_REJECTED)
    if isinstance(exc, OSError) and exc.errno == 28:
        return _ExitCodeError("disk full (temporary; safe to retry)", EXIT_TEMPFAIL)
    return None


_NOT_RETRYABLE = (
    ("readonly database", "the database file is read-only"),
    ("read-only", "the database is read-only"),
    ("unable to open database file", "the database file cannot be opened (missing folder or "
                                     "permission)"),
    ("permission denied", "permission denied on the database"),
)


def database_failure(exc: Any) -> click.ClickException:
    """A database driver error as its exit code: no schema or a cause a retry cannot cure
    (read-only, missing folder, permission) 78, naming the cause; anything else 75."""
    text = str(getattr(exc, "orig", exc)).lower()
    if "no such table" in text or "does not exist" in text:
        return _ExitCodeError("database not ready (run 'enroll834 init' first)", EXIT_CONFIG)
    for needle, cause in _NOT_RETRYABLE:
        if needle in text:
            return _ExitCodeError(f"{cause}; fix the configuration (retrying will not help)",
                                  EXIT_CONFIG)
    kind = type(getattr(exc, "orig", exc)).__name__
    return _ExitCodeError(f"database unavailable or busy ({kind}); temporary, safe to retry",
                          EXIT_TEMPFAIL)


class _Main(click.Group):
    """The root group: maps operator failures raised by any command to their exit codes."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader of stdout went away (`enroll834 parse ... | head`): stop quietly.
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stdout for the exit flush
            raise click.exceptions.Exit(0) from None
        except Exception as exc:
            mapped = map_exception(exc)
            if mapped is None:
                raise
            raise mapped from None


# ----------------------------------------------------------------- one invocation, signed in


class Invocation:
    """One command's run: the effective settings, the database URL and the acting user."""

    def __init__(self, ctx: click.Context, as_user: str | None) -> None:
        self.ctx, self.as_user = ctx, as_user

    @property
    def settings(self) -> Settings:
        return settings_of(self.ctx)

    @property
    def url(self) -> str:
        """--db > ENROLL834_DATABASE_URL > enroll834.toml > sqlite:///enroll834.db; its
        connections give up on a locked database after `lock_timeout_seconds` (exit 75)."""
        from ledger.drops import set_lock_timeout

        settings = self.settings
        set_lock_timeout(str(settings.database_url), settings.lock_timeout_seconds)
        return str(settings.database_url)

    @property
    def progress(self) -> bool:
        """Progress bars go to stderr only when it is a terminal and --quiet is off."""
        return sys.stderr.isatty() and not self.settings.quiet

    def signin(self, action: str) -> Actor:
        """Sign in --as / ENROLL834_USER with ENROLL834_ACCESS_CODE(_FILE) or a prompt, for
        `action`. Refusals (wrong code, unknown or inactive user, missing role) are audited
        and exit 77."""
        from ledger.desk import login_from_env

        user = self.as_user or os.environ.get("ENROLL834_USER")
        return login_from_env(self.url, user, action, lambda: _read_access_code(sys.stdin))

    def reader(self, action: str) -> Actor | None:
        """The signed-in Actor for `action` once users exist, else None."""
        from ledger.desk import users_exist

        return self.signin(action) if users_exist(self.url) else None

    def user(self, action: str) -> str:
        """The signed-in user once users exist; before that --as / ENROLL834_USER / 'system'."""
        actor = self.reader(action)
        if actor is not None:
            return actor.user_id
        return self.as_user or os.environ.get("ENROLL834_USER") or "system"

    def tx(self, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """`fn(conn, ...)` in one database transaction."""
        from ledger.store import engine

        with engine(self.url).begin() as conn:
            return fn(conn, *args, **kw)

    def exit(self, code: int) -> NoReturn:
        self.ctx.exit(code)


def _read_access_code(stdin: Any) -> str | None:
    """The access code typed at a terminal (not echoed), else the first line of stdin; None
    when empty. Never getpass's fallback, whose warning would break the one-line contract."""
    if stdin is None:
        return None
    if stdin.isatty():
        try:
            typed = click.prompt("Access code", hide_input=True, err=True, default="",
                                 show_default=False)
        except click.Abort:
            return None
        return str(typed).strip() or None
    try:
        line = stdin.readline()
    except (OSError, ValueError):
        return None
    return line.strip() or None


# ----------------------------------------------------------------- shared options

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

AS_HELP = ("Acting user (or ENROLL834_USER), needed once users exist; the access code comes "
           "from ENROLL834_ACCESS_CODE, the file named by ENROLL834_ACCESS_CODE_FILE, or a "
           "prompt.")
OPERATOR_HELP = ("Operator or service user (or ENROLL834_USER); its access code comes from "
                 "ENROLL834_ACCESS_CODE or ENROLL834_ACCESS_CODE_FILE. Required once users "
                 "exist; recorded in the audit log.")


def _invocation(as_help: str | None) -> Decorator:
    """The command receives an `Invocation` first (with `--as USER` unless `as_help` is None)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @click.pass_context
        @functools.wraps(fn)
        def run(ctx: click.Context, /, *args: Any, as_user: str | None = None, **kw: Any) -> Any:
            return fn(Invocation(ctx, as_user), *args, **kw)

        if as_help is None:
            return run
        return click.option("--as", "as_user", metavar="USER", default=None, help=as_help)(run)

    return decorate


pass_invocation = _invocation(None)
as_option = _invocation(AS_HELP)
operator_option = _invocation(OPERATOR_HELP)


def json_option(help_text: str) -> Decorator:
    return click.option("--json", "as_json", is_flag=True, help=help_text)


class _Day(click.DateTime):
    """A YYYY-MM-DD value as a `datetime.date`."""

    def __init__(self) -> None:
        super().__init__(["%Y-%m-%d"])

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(value, param, ctx).date()


DAY = _Day()
IN_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
READ_FILES = click.argument("files", nargs=-1, required=True, type=click.Path(
    exists=True, dir_okay=False, readable=True, path_type=Path))
OUT_DIR = click.Path(file_okay=False, path_type=Path)
show_phi_option = click.option("--show-phi", is_flag=True,
                               help="Show SSNs unmasked (needs the show_phi privilege; audited).")
billing_outbox_option = click.option("--outbox", type=OUT_DIR, default=None,
                                     help="Billing outbox (default: [billing] outbox_dir).")
day_option = click.option("--date", "on", type=DAY, default=None,
                          help="As of this day (default: today).")


def as_of_option(help_text: str) -> Decorator:
    return click.option("--as-of", "as_of", type=DAY, default=None, help=help_text)


def _cannot(path: object, exc: OSError, what: str = "read") -> click.ClickException:
    return click.ClickException(f"{path}: cannot {what} ({exc.strerror or 'I/O error'})")


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              envvar="ENROLL834_CONFIG", default=None, metavar="PATH",
              help="Configuration file (default: ./enroll834.toml when present).")
@click.option("--quiet", "-q", is_flag=True, default=False,
              help="No progress bars and only warnings and errors in the logs.")
@click.option("--log-format", type=click.Choice(["auto", "json", "console"]), default=None,
              help="Logs on stderr: json, console, or auto (console on a terminal, else JSON).")
@click.option("--db", "db", envvar="ENROLL834_DATABASE_URL", default=None, metavar="URL",
              help="Database URL (default: sqlite:///enroll834.db in the working directory).")
@click.version_option(package_name="enroll834")
@click.pass_context
def main(ctx: click.Context, db: str | None, config: Path | None, quiet: bool,
         log_format: str | None) -> None:
    """enroll834: read, decide on and record HIPAA X12 834 enrollment files.

    Configuration: command line > ENROLL834_* environment > enroll834.toml >
    defaults (see `enroll834 config show`). stdout carries data only.

    \b
    Exit codes: 0 ok, 1 data rejected, 2 usage, 75 temporary failure (safe
    to retry), 77 not permitted, 78 configuration error.

    \b
    Example:
      enroll834 validate samples/family-enrollment.edi --ack-dir acks/
    """
    ctx.ensure_object(dict)
    ctx.obj.update(db=db, config=config, quiet=quiet, log_format=log_format, settings=None)
    if ctx.invoked_subcommand in _SILENT_COMMANDS and not _configured(ctx):
        return  # the defaults hold and the command logs nothing: load neither
    from edi.logs import configure

    settings = settings_of(ctx)
    fmt = settings.log_format
    configure(json=None if fmt == "auto" else fmt == "json",
              level=settings.log_level, quiet=settings.quiet)


# ----------------------------------------------------------------- edi commands
# (parse, validate, generate)


def _print_schema(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from edi.records import json_schema

        click.echo(json.dumps(json_schema(), indent=1, sort_keys=True))
        ctx.exit(0)


@main.command("parse")
@READ_FILES
@json_option("One JSON object per member transaction (ISO dates; codes as {code, name}).")
@click.option("--schema", is_flag=True, is_eager=True, expose_value=False, callback=_print_schema,
              help="Print the JSON Schema of the stored records (edi/records.schema.json), exit.")
def parse_cmd(files: tuple[Path, ...], as_json: bool) -> None:
    """Read 834 FILES and print their member transactions (no database).

    Without --json: one tab-separated line per member (set control, member
    ordinal, maintenance type, relationship, role, last 4 characters of the
    subscriber number, coverage lines, verdict). Findings go to stderr.
    Exit 1 if any finding is an error.

    \b
    Example:
      enroll834 parse samples/family-enrollment.edi --json > members.jsonl
    """
    from edi.jsonout import (
        JSON_ASSEMBLY,
        MEMBER_JSON,
        SUMMARY_HEADER,
        dumps_twins,
        member_twin,
        summary_line,
    )
    from edi.reader import findings_of, read
    from edi.records import MemberTransaction

    rejected = False
    if not as_json:
        click.echo(SUMMARY_HEADER)
    out = sys.stdout.buffer
    # JSON lines go out 64 members at a time, encoded in one call: stdout may be unbuffered
    # (python -u, PYTHONUNBUFFERED), and a write per member is a system call per member.
    # A member without findings is read straight into its JSON twin (JSON_ASSEMBLY).
    members: list[Any] = []
    for path in files:
        try:
            for event in read(path, str(path), assembly=JSON_ASSEMBLY if as_json else None):
                if type(event) is MEMBER_JSON:
                    members.append(event)
                    if len(members) >= 64:
                        out.write(dumps_twins(members))
                        members.clear()
                    continue
                if isinstance(event, MemberTransaction):
                    if as_json:
                        members.append(member_twin(event))
                        if len(members) >= 64:
                            out.write(dumps_twins(members))
                            members.clear()
                    else:
                        click.echo(summary_line(event))
                    if not event.findings:
                        continue
                for finding in findings_of(event):
                    if members:  # the members before a finding are written before it
                        out.write(dumps_twins(members))
                        members.clear()
                    rejected = rejected or finding.rejects
                    click.echo(str(finding), err=True)
        except BrokenPipeError:
            raise
        except OSError as exc:
            if members:
                out.write(dumps_twins(members))
            raise _cannot(path, exc) from None
        if members:
            out.write(dumps_twins(members))
            members.clear()
    if rejected:
        raise SystemExit(EXIT_REJECTED)


@main.command("validate")
@READ_FILES
@json_option("Print one JSON report object per file (interchanges, groups, sets, findings).")
@click.option("--ack-dir", type=OUT_DIR, default=None,
              help="Write <file>.<ISA13>.ta1 and .999 (.997 for 4010) acknowledgments here.")
@click.option("--validator", "validator_name", type=click.Choice(["compiled", "pyx12"]),
              default="compiled", show_default=True,
              help="Implementation-guide validator (pyx12: slower reference, for cross-checks).")
@click.option("--control-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Counter file for ack control numbers (default: <ack-dir>/.control.json).")
@pass_invocation
def validate_cmd(inv: Invocation, files: tuple[Path, ...], as_json: bool,
                 ack_dir: Path | None, validator_name: str, control_file: Path | None) -> None:
    """Validate 834 FILES (envelope + implementation guide) and build TA1/999 acks.

    Without --json: one summary line per transaction set on stdout, findings
    on stderr. Exit 0 when everything was accepted (with or without errors),
    1 when anything was rejected (also partially).

    \b
    Example:
      enroll834 validate samples/family-enrollment.edi --ack-dir acks/ --json
    """
    from edi.control import ControlFileError, ack_control_numbers
    from edi.validate import SUMMARY_HEADER, make_validator, validate_file, write_acks

    control = ack_control_numbers(control_file, ack_dir)
    # no configuration source: no partner, every sender on the default character set
    charsets = inv.settings.charsets() if _configured(inv.ctx) else {}
    validator = make_validator(validator_name, charsets)
    rejected = False
    if not as_json:
        click.echo(SUMMARY_HEADER)
    for path in files:
        try:
            report = validate_file(path, str(path), validator=validator, control=control)
            written = write_acks(report, ack_dir) if ack_dir else []
        except ControlFileError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            raise _cannot(path, exc, "read or write") from None
        rejected = rejected or not report.accepted
        _echo([json.dumps(report.to_json())] if as_json else report.summary_lines())
        _echo((str(f) for f in report.findings_beside(as_json)), err=True)
        _echo((f"wrote {ack}" for ack in written), err=True)
    if rejected:
        raise SystemExit(EXIT_REJECTED)


@main.command("generate")
@click.option("--members", type=click.IntRange(min=1), required=True,
              help="Number of member (INS) loops to write.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Same seed and options, same bytes.")
@click.option("--form", "form_name", default="lines", show_default=True,
              type=click.Choice(["oneline", "lines", "crlf", "newline", "multi", "diskette80",
                                 "tape80", "tape128", "tape80-nul", "tape128-nul", "cp037",
                                 "cp500"]),
              help="Transport layout (see edi/generate_forms.py).")
@click.option("--out", "out", required=True, metavar="PATH",
              type=click.Path(dir_okay=False, writable=True, allow_dash=True),
              help="File to write ('-' for stdout).")
@click.option("--version", "x12_version", type=click.Choice(["5010", "4010"]), default="5010",
              show_default=True, help="005010X220A1 or 004010X095A1.")
@click.option("--mix", default="change", show_default=True,
              type=click.Choice(["change", "enrollment", "audit"]),
              help="change: 021/001/024/025 (BGN08=2); enrollment: all 021; audit: BGN08=4, 030.")
@click.option("--interchanges", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--sets", type=click.IntRange(min=1), default=1, show_default=True,
              help="Transaction sets (ST..SE) per interchange.")
@click.option("--bad-member", type=click.IntRange(min=1), default=None,
              help="Give this member (1-based) an invalid INS05 code, for 999 demos.")
@click.option("--effective-date", "effective_date", type=DAY, default=None, metavar="YYYY-MM-DD",
              help="Coverages begin and events happen relative to this date (DTP*007); "
                   "default: today, so the file falls inside the retro/future windows.")
@click.option("--file-date", "file_date", type=DAY, default=None, metavar="YYYY-MM-DD",
              help="BGN03/GS04 file date (default: today or the effective date, whichever is "
                   "earlier).")
@click.option("--charset", type=click.Choice(["extended", "utf-8"]), default="extended",
              show_default=True,
              help="extended: the X12 extended character set (accented names spelled without "
                   "accents), what the validator accepts by default; utf-8: keep the accents "
                   "(for a partner whose charset is utf-8).")
@click.option("--ascii-only", is_flag=True, hidden=True,
              help="Same as --charset extended (the default).")
def generate_cmd(members: int, seed: int, form_name: str, out: str, x12_version: str, mix: str,
                 interchanges: int, sets: int, bad_member: int | None,
                 effective_date: dt.date | None, file_date: dt.date | None, charset: str,
                 ascii_only: bool) -> None:
    """Write a synthetic 834 (invented people, deterministic per seed and effective date).

    The file date (BGN03) is today or the effective date, whichever is
    earlier; coverage begins, terminations and events are relative to the
    effective date. The default file passes the compiled validator.

    \b
    Example:
      enroll834 generate --members 1000 --seed 7 --form diskette80 --out big.edi
      enroll834 generate --members 50 --effective-date 2026-07-01 --out july.edi
    """
    from edi.generate import generate, write_file

    effective = effective_date or dt.date.today()
    options: dict[str, Any] = {
        "version": "4010" if x12_version == "4010" else "5010", "interchanges": interchanges,
        "sets": sets, "mix": mix, "bad_member": bad_member, "effective_date": effective,
        "ascii_only": ascii_only or charset == "extended",
        "file_date": file_date or min(effective, dt.date.today())}
    try:
        if out == "-":
            for chunk in generate(members, seed, form_name, **options):
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        size = write_file(out, members, seed, form_name, **options).bytes
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise _cannot(out, exc, "write") from None
    click.echo(f"wrote {members} members, {size} bytes, form {form_name}, to {out}", err=True)


# ----------------------------------------------------------------- ledger commands
# (init, ingest, ledger verify/history, members export, groups, audit list,
#  reconcile, export834)


@main.command("init")
@click.option("--admin", default=None, metavar="NAME",
              help="Administrator user to create on a new database (default: admin).")
@json_option('Print {"admin", "access_code"} as JSON.')
@pass_invocation
def init_cmd(inv: Invocation, admin: str | None, as_json: bool) -> None:
    """Create or upgrade the database; on a new one create the administrator.

    The administrator's one-time access code is printed once and stored only
    as a scrypt hash. A SQLite file readable by others is set to mode 0600
    (it holds PHI), and init says so. --admin on a database that already has
    users exits 1: add people with `users add`.

    \b
    Example:
      enroll834 --db sqlite:///enroll834.db init --admin alice --json
    """
    from ledger.desk import initialise
    from ledger.store import tighten_file_mode

    url = inv.url
    loosest = tighten_file_mode(url)
    if loosest is not None:
        click.echo(f"init: the database file allowed mode {loosest:04o}; set to 0600 "
                   "(it holds PHI)", err=True)
    code = initialise(url, admin or "admin")
    if code is None:
        if admin is not None:
            raise _ExitCodeError(
                "init: an administrator already exists; --admin is only for a new database. "
                f"Add a user with: enroll834 users add {admin} --role administrator --as ADMIN",
                EXIT_REJECTED)
        click.echo("database is up to date; users already exist", err=True)
        if as_json:
            click.echo(json.dumps({"admin": None, "access_code": None}))
        return
    admin = admin or "admin"
    if as_json:
        click.echo(json.dumps({"admin": admin, "access_code": code}))
    else:
        click.echo(code)
        click.echo(f"created administrator '{admin}'; the access code above is shown once", err=True)


@main.command("ingest")
@click.argument("files", nargs=-1, required=True, type=IN_FILE)
@json_option("Print the summary as JSON: files, transaction_sets, members, and rejections "
             "(members the payer's rules rejected: controls, ordinal, reason; no PHI).")
@operator_option
@click.option("--validator", "validator_name", type=click.Choice(["compiled", "pyx12", "none"]),
              default="compiled", show_default=True,
              help="Implementation-guide validator ('none': envelope and model checks only).")
@click.option("--outbox", type=OUT_DIR, default=None,
              help="Keep a copy of a full file the guard holds under OUTBOX/held/, so a "
                   "supervisor can `review resolve ID --apply` it (default: drops.outbox_dir).")
def ingest_cmd(inv: Invocation, files: tuple[Path, ...], as_json: bool, validator_name: str,
               outbox: Path | None) -> None:
    """Read 834 files, decide on every member and record the result in the ledger.

    One database transaction per transaction set; a file already recorded is a
    duplicate and changes nothing.

    \b
    Examples:
      enroll834 ingest samples/family-enrollment.edi --json
      ENROLL834_ACCESS_CODE_FILE=/run/secrets/ingest enroll834 ingest in/*.edi --as svc
      enroll834 ingest weekly-full.edi --outbox outbox/
    """
    from ledger.drops import ingest_files, progress_bar
    from ledger.store import upgrade

    upgrade(inv.url)
    actor = inv.user("ingest")
    with progress_bar({str(f): f.stat().st_size for f in files} if inv.progress else None) as bar:
        total = ingest_files(inv.url, files, inv.settings, actor=actor,
                             validator_name=validator_name, outbox=outbox, progress=bar)
    _echo(total.notes, err=True)
    _echo((f"error: {error}" for error in total.errors), err=True)
    click.echo(json.dumps(total.summary_json()) if as_json else total.summary_line())
    if total.rejected:
        inv.exit(EXIT_REJECTED)


@main.group("ledger")
def ledger_group() -> None:
    """The append-only ledger: verify its hash chains, show a member's history.

    Once users exist these commands need a signed-in user (--as USER or
    ENROLL834_USER, code from ENROLL834_ACCESS_CODE); refusals exit 77 and
    are audited.

    \b
    Example:
      ENROLL834_ACCESS_CODE=... enroll834 ledger history M000000001 --json --as carol
    """


@ledger_group.command("verify")
@json_option("Print the result as JSON.")
@as_option
def ledger_verify_cmd(inv: Invocation, as_json: bool) -> None:
    """Recompute the entries and audit hash chains; exit 1 naming the first bad record.

    This is also the audit log's verification (there is no separate `audit
    verify`). Auditors, supervisors, operators and administrators may run it.

    \b
    Example:
      enroll834 ledger verify --as auditor1
    """
    from ledger.desk import verify_chains

    reports = verify_chains(inv.url, inv.reader("ledger.verify"))
    _echo([json.dumps([r.to_json() for r in reports])] if as_json else map(str, reports))
    bad = next((r for r in reports if not r.ok), None)
    if bad is not None:
        click.echo(f"error: {bad}", err=True)
        inv.exit(EXIT_REJECTED)


@ledger_group.command("history")
@click.argument("member_id")
@json_option("JSON lines, one entry per line.")
@click.option("--show-phi", is_flag=True,
              help="Include the before/after values (needs the show_phi privilege; audited).")
@as_option
def ledger_history_cmd(inv: Invocation, member_id: str, as_json: bool, show_phi: bool) -> None:
    """Show a member's ledger entries in order (kinds, dates, lineage, changed fields).

    Reviewers, supervisors, auditors and administrators may read it; every
    read is audited. Values appear only with --show-phi.

    \b
    Example:
      enroll834 ledger history M000000001 --json --as carol
    """
    from ledger.desk import history_lines, member_history

    actor = inv.reader("ledger.history")
    rows = member_history(inv.url, actor, member_id, show_phi=show_phi)
    if not rows:
        raise click.ClickException(f"member {member_id}: no ledger entries")
    if not as_json:
        _echo(history_lines(rows))
        return
    for r in rows:
        click.echo(json.dumps(r, default=str))


@main.group("matching")
def matching_group() -> None:
    """Match models: fit the weights on the ledger's members, list the stored versions,
    choose the active one.

    A model is per-field m/u weights (EM, u from random pairs of members, term
    frequencies of names and birth dates) with its fit's diagnostics; the active
    one is what ingest scores with, and every decision names its version (0: the
    hand-set prior, the model of an empty ledger). See matching/README.md.

    \b
    Example:
      ENROLL834_ACCESS_CODE=... enroll834 matching train --json --as alice
      enroll834 matching models --as carol
      ENROLL834_ACCESS_CODE=... enroll834 matching activate 0 --as alice
    """


@matching_group.command("train")
@click.option("--sample", type=click.IntRange(min=2), default=None, metavar="N",
              help="Fit on at most N members drawn at random (default: all, up to 200,000).")
@click.option("--activate/--no-activate", default=True, show_default=True,
              help="Make the new version the one ingest scores with.")
@click.option("--file", "files", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An 834 whose members are paired with the ledger's as ingest would look "
                   "them up (unlabelled): EM learns from the pairs of one person it finds. "
                   "Repeatable.")
@json_option("Print the stored version as JSON: version, active, trained_by, created_at, "
             "log2_prior_odds, diagnostics.")
@as_option
def matching_train_cmd(inv: Invocation, sample: int | None, activate: bool,
                       files: tuple[Path, ...], as_json: bool) -> None:
    """Fit a match model on the ledger's members (and the members of each --file, paired
    with them) and store it as a new version (administrator only; audited as
    'matching.train'). Exit 1 when the ledger holds fewer than two members or a --file no
    member transaction.

    \b
    Example:
      ENROLL834_ACCESS_CODE=... enroll834 matching train --sample 50000 --no-activate --as alice
    """
    from ledger.desk import train_match_model
    from ledger.store import model_line

    row = train_match_model(inv.url, inv.signin("matching.train"), sample=sample,
                            activate=activate, files=files)
    _rows([row], as_json, model_line)


@matching_group.command("activate")
@click.argument("version", type=click.IntRange(min=0))
@json_option("Print the now active version as JSON (as `matching models --json` lists it).")
@as_option
def matching_activate_cmd(inv: Invocation, version: int, as_json: bool) -> None:
    """Make a stored model VERSION the one ingest scores with; 0 goes back to the hand-set
    prior (administrator only; audited as 'matching.activate' with the version it
    replaced). Exit 1 when no such version is stored.

    \b
    Example:
      ENROLL834_ACCESS_CODE=... enroll834 matching activate 0 --as alice
    """
    from ledger.desk import activate_match_model
    from ledger.store import model_line

    row = activate_match_model(inv.url, inv.signin("matching.train"), version)
    _rows([row], as_json, model_line)


@matching_group.command("models")
@json_option("One JSON object per version, newest first, the prior (version 0) last.")
@as_option
def matching_models_cmd(inv: Invocation, as_json: bool) -> None:
    """List the match model versions with their fit's diagnostics; * marks the active one
    (supervisors, auditors, operators, administrators; audited as 'matching.models').

    \b
    Example:
      enroll834 matching models --json --as carol
    """
    from ledger.desk import match_models
    from ledger.store import MODELS_HEADER, model_line

    _rows(match_models(inv.url, inv.reader("matching.models")), as_json, model_line,
          MODELS_HEADER)


@main.group("members")
def members_group() -> None:
    """Members as the ledger knows them (signed-in reviewers, supervisors, auditors).

    \b
    Example:
      enroll834 members export --as-of 2026-03-01 --as carol > members.jsonl
    """


@members_group.command("export")
@as_of_option("Only members covered on this date.")
@click.option("--known-at", "known_at", type=click.DateTime(), default=None,
              help="What the ledger knew at this UTC time (default: now).")
@json_option("JSON lines (the default output).")
@show_phi_option
@as_option
def members_export_cmd(inv: Invocation, as_of: dt.date | None, known_at: dt.datetime | None,
                       as_json: bool, show_phi: bool) -> None:
    """Export members with identifiers, name, birth date and coverages as JSON lines.

    Once users exist a signed-in reviewer, supervisor, auditor or
    administrator is needed (audited). SSNs are masked to their last four
    digits unless --show-phi is given by a user holding the show_phi right.

    \b
    Example:
      enroll834 members export --as-of 2026-03-01 --known-at 2026-02-15T00:00:00 --as carol
    """
    from ledger.desk import export_members

    actor = inv.reader("members.export")
    _rows(export_members(inv.url, actor, as_of=as_of, known_at=known_at, show_phi=show_phi),
          True, str)


@main.group("groups")
def groups_group() -> None:
    """Employer groups (sponsors): COBRA administration, representative, billing.

    \b
    Example:
      enroll834 groups show 991234567 --json --as carol
    """


@groups_group.command("show")
@click.argument("sponsor_id", required=False)
@json_option("JSON lines, one group per line.")
@as_option
def groups_show_cmd(inv: Invocation, sponsor_id: str | None, as_json: bool) -> None:
    """Show one group or all groups (any signed-in user once users exist).

    \b
    Example:
      enroll834 groups show 991234567 --json --as carol
    """
    from ledger.desk import group_line, group_rows

    rows = group_rows(inv.url, inv.reader("groups.read"), sponsor_id)
    if sponsor_id and not rows:
        raise click.ClickException(f"group {sponsor_id}: not found")
    _rows(rows, as_json, group_line)


@groups_group.command("set")
@click.argument("sponsor_id")
@click.option("--cobra", type=click.Choice(["self", "third_party", "bill_and_collect", "unknown"]),
              default=None, help="Who administers COBRA for this group.")
@click.option("--representative", default=None, metavar="NAME", help="Group representative.")
@click.option("--name", default=None, help="Group name.")
@as_option
def groups_set_cmd(inv: Invocation, sponsor_id: str, cobra: str | None,
                   representative: str | None, name: str | None) -> None:
    """Create or change a group (administrator only; audited).

    \b
    Example:
      ENROLL834_ACCESS_CODE=... enroll834 groups set 991234567 --cobra self --as alice
    """
    from ledger.store import set_group

    user = inv.signin("groups.manage").user_id
    inv.tx(set_group, sponsor_id, user=user, cobra=cobra, representative=representative,
           name=name)
    click.echo(f"group {sponsor_id} updated", err=True)


@groups_group.command("load")
@click.argument("file", type=IN_FILE)
@as_option
def groups_load_cmd(inv: Invocation, file: Path) -> None:
    """Load groups and trading partners from a TOML file (administrator only; audited).

    \b
    Example:
      ENROLL834_ACCESS_CODE=... enroll834 groups load groups.toml --as alice
    """
    from ledger.desk import load_groups_file

    n_groups, n_partners = inv.tx(load_groups_file, file, user=inv.signin("groups.manage").user_id)
    click.echo(f"{file.name}: {n_groups} groups, {n_partners} partners loaded", err=True)


@groups_group.command("invite")
@click.argument("sponsor_id")
@click.option("--client", "client_id", default=None, metavar="ID",
              help="Client id (2-15 capitals/digits; default C + the sponsor id).")
@click.option("--name", default=None, help="The client's name on the letter (default: the group's).")
@click.option("--also", "also", multiple=True, metavar="SPONSOR",
              help="Another group this client administers (repeatable).")
@click.option("--address-line1", default=None, help="Address of record, first line.")
@click.option("--address-line2", default="", help="Address of record, second line.")
@click.option("--city", default=None)
@click.option("--state", default=None)
@click.option("--postal-code", default=None)
@as_option
def groups_invite_cmd(inv: Invocation, sponsor_id: str, client_id: str | None,
                      name: str | None, also: tuple[str, ...], address_line1: str | None,
                      address_line2: str, city: str | None, state: str | None,
                      postal_code: str | None) -> None:
    """Invite a group's client to online account services (administrator or operator).

    Creates the client and its administrator user ID (or re-issues the administrator's
    code: the old one stops working) and writes the letter with the user ID and the
    one-time access code as a PDF into the mail room ([web] mail_room, 0700). The code
    is never printed or logged. A new client needs its address of record.

    \b
    Example:
      enroll834 groups invite 991234567 --address-line1 "1 Main St" --city Austin \\
          --state TX --postal-code 78701 --as olga
    """
    from ledger.clients import Address, MailRoom, invite

    actor = inv.signin("groups.invite")
    address = None
    if address_line1 or city or state or postal_code:
        if not (address_line1 and city and state and postal_code):
            raise click.UsageError("an address needs --address-line1, --city, --state and "
                                   "--postal-code")
        address = Address(name or "", address_line1, city, state, postal_code, address_line2)
    web = inv.settings.web
    sent = invite(inv.url, actor, sponsor_id, MailRoom(Path(web.mail_room), web.site_url),
                  client_id=client_id, name=name, address=address, also=also)
    what = "code re-issued" if sent.reissued else "invited"
    click.echo(f"client {sent.client_id} {what}: user {sent.user_id}; letter {sent.letter} "
               "for the mail room", err=True)


@groups_group.command("contact")
@click.argument("sponsor_id")
@click.option("--representative-name", required=True, help="Shown on Medicare referrals.")
@click.option("--representative-phone", required=True)
@as_option
def groups_contact_cmd(inv: Invocation, sponsor_id: str, representative_name: str,
                       representative_phone: str) -> None:
    """Set the group representative's name and phone (administrator only; audited).

    \b
    Example:
      enroll834 groups contact 991234567 --representative-name "Dana Reyes" \\
          --representative-phone "555-0100" --as alice
    """
    from ledger.clients import set_group_contact

    set_group_contact(inv.url, inv.signin("groups.manage"), sponsor_id,
                      representative_name=representative_name,
                      representative_phone=representative_phone)
    click.echo(f"group {sponsor_id}: representative contact updated", err=True)


@main.group("audit")
def audit_group() -> None:
    """The append-only, hash-chained audit log (auditors, supervisors, administrators).

    Records hold user ids, actions, targets, codes and counts, never PHI. To
    verify the audit chain use `enroll834 ledger verify` (it checks both the
    ledger entries and the audit log).

    \b
    Example:
      enroll834 audit list --action auth.refused --since 2026-03-01 --as auditor1
    """


@audit_group.command("list")
@json_option("One JSON object per record.")
@click.option("--user", "user", metavar="USER", default=None, help="Only this user's records.")
@click.option("--action", "action", metavar="ACTION", default=None,
              help="Only this action; a trailing '.' or '*' matches a prefix (review.*).")
@click.option("--since", "since", type=click.DateTime(), default=None,
              help="Only records at or after this UTC time (YYYY-MM-DD[THH:MM:SS]).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Only the newest N records (still printed oldest first).")
@as_option
def audit_list_cmd(inv: Invocation, as_json: bool, user: str | None, action: str | None,
                   since: dt.datetime | None, limit: int | None) -> None:
    """List audit records, oldest first (reading is itself audited as 'audit.list').

    \b
    Example:
      enroll834 audit list --json --user carol --action review. --as auditor1
    """
    from ledger.desk import AUDIT_HEADER, audit_line, audit_records

    actor = inv.reader("audit.read")
    rows = audit_records(inv.url, actor, user=user, action=action, since=since, limit=limit)
    _rows(rows, as_json, audit_line, AUDIT_HEADER)


@main.command("reconcile")
@click.argument("file", type=IN_FILE)
@json_option("Print the result as one JSON object.")
@click.option("--dry-run", is_flag=True, help="Report what the file would do; change nothing.")
@click.option("--outbox", type=OUT_DIR, default=None,
              help="Write the operations and sender reports (text and JSON) and the "
                   "TA1/999 into this folder (the acknowledgments not for --dry-run).")
@click.option("--override-guard", is_flag=True,
              help="Apply a replace file the mass-termination guard holds (supervisor only).")
@as_option
def reconcile_cmd(inv: Invocation, file: Path, as_json: bool, dry_run: bool,
                  outbox: Path | None, override_guard: bool) -> None:
    """Compare a full 834 (BGN08 4/RX, INS03 030) with the ledger; apply it by partner policy.

    Agreement is recorded as confirmed, differences as discrepancies
    (missing_in_ledger, missing_in_file, field_mismatch). Only a partner with
    full_file_policy = "replace" gets changes and terminations from an RX
    file, and the guard holds such a file when it would terminate or change
    too many active members. Only what the file's TA1/999 accept is
    reconciled, and only interchanges of this instance's usage (ISA15); the
    others are acknowledged, not applied. Exit 1 when a set was held or
    rejected.

    \b
    Example:
      enroll834 reconcile weekly-full.edi --dry-run --json --outbox outbox/
    """
    from ledger.fullfile import reconcile_file
    from ledger.store import upgrade

    url, config = inv.url, inv.settings
    upgrade(url)
    actor = inv.user("review.override" if override_guard else "ingest")
    result = reconcile_file(url, file, dry_run=dry_run, outbox=outbox, actor=actor,
                            override_guard=override_guard, usage=config.usage,
                            test_ledger=config.test_ledger, validator=config.validator())
    _echo((f"{file.name}: {note}" for note in result.notes), err=True)
    _echo([json.dumps(result.to_json(), sort_keys=True)] if as_json else result.run_lines())
    if result.held or result.rejected:
        inv.exit(EXIT_REJECTED)


@main.command("export834")
@click.option("--sponsor", required=True, metavar="ID", help="Sponsor (N1*P5) id to export.")
@as_of_option("Full file of the members covered on this date (default: today).")
@click.option("--changes-since", "changes_since", type=click.DateTime(), default=None,
              help="Change file (BGN08=2) of what the ledger recorded after this UTC time.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the 834 here (default: stdout).")
@json_option("With --out: print a JSON summary (counts, ISA13, GS06) on stdout.")
@as_option
def export834_cmd(inv: Invocation, sponsor: str, as_of: dt.date | None,
                  changes_since: dt.datetime | None, out: Path | None, as_json: bool) -> None:
    """Write the sponsor's members and coverages as a 005010X220A1 834.

    A full file (BGN08=4, INS03=HD01=030) as of a date, or with
    --changes-since a change file (BGN08=2). Control numbers come from the
    ledger and never repeat. The payer's own identity (ISA sender, N1*IN)
    comes from the [payer] configuration keys. An unknown sponsor exits 1
    with nothing written and no control number used. Operators and service
    users may export.

    \b
    Example:
      enroll834 export834 --sponsor 991234567 --as-of 2026-03-01 --out acme-full.edi
    """
    from ledger.fullfile import ExportOptions, write_export
    from ledger.store import upgrade

    if as_of is not None and changes_since is not None:
        raise click.UsageError("give --as-of or --changes-since, not both")
    try:
        upgrade(inv.url)
        inv.user("export834")
        summary = write_export(inv.url, out, sponsor, as_of=as_of, changes_since=changes_since,
                               stream=sys.stdout if out is None else None,
                               options=ExportOptions.for_payer(inv.settings.payer))
    except OSError as exc:
        raise click.ClickException(f"cannot write the export ({type(exc).__name__})") from None
    click.echo(summary.line(), err=True)
    if as_json and out is not None:
        click.echo(json.dumps(summary.to_json(), sort_keys=True))


# ----------------------------------------------------------------- users and the review desk


@main.group("users")
def users_group() -> None:
    """User accounts and roles (administrators only; auditors may list).

    Roles: administrator, supervisor, reviewer, auditor, operator, service;
    show_phi is a privilege granted like a role.

    \b
    Example:
      enroll834 users add carol --role reviewer --as admin
    """


@users_group.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, metavar="ROLE",
              help="A role to grant (repeatable).")
@click.option("--display-name", default="", help="Free-text display name.")
@json_option('Print {"user", "access_code"}.')
@as_option
def users_add_cmd(inv: Invocation, name: str, roles: tuple[str, ...], display_name: str,
                  as_json: bool) -> None:
    """Create user NAME and print its access code once (deliver it to that person alone).

    \b
    Example:
      enroll834 users add carol --role reviewer --json --as admin
    """
    from ledger.desk import add_user

    code = add_user(inv.url, inv.signin("users.manage"), name, list(roles), display_name)
    click.echo(json.dumps({"user": name, "access_code": code}) if as_json else code)
    shown = f" ({display_name})" if display_name else ""
    click.echo(f"created user '{name}'{shown}; the access code is shown once: give it to them alone",
               err=True)


@users_group.command("list")
@json_option("One JSON object per user.")
@as_option
def users_list_cmd(inv: Invocation, as_json: bool) -> None:
    """List accounts with their roles and whether they are active.

    \b
    Example:
      enroll834 users list --json --as admin
    """
    from ledger.desk import USERS_HEADER, list_users, user_line

    actor = inv.signin("users.list")
    _rows((u.to_json() for u in list_users(inv.url, actor)), as_json, user_line, USERS_HEADER)


def _users_change(inv: Invocation, fn_name: str, *args: str) -> Any:
    from ledger.desk import users

    actor = inv.signin("users.manage")
    return getattr(users, fn_name)(inv.url, actor, *args)


@users_group.command("grant")
@click.argument("name")
@click.argument("role")
@as_option
def users_grant_cmd(inv: Invocation, name: str, role: str) -> None:
    """Grant ROLE (or the show_phi privilege) to user NAME.

    \b
    Example:
      enroll834 users grant carol supervisor --as admin
    """
    done = _users_change(inv, "grant", name, role)
    click.echo(f"granted {role} to {name}" if done else f"{name} already holds {role}", err=True)


@users_group.command("revoke")
@click.argument("name")
@click.argument("role")
@as_option
def users_revoke_cmd(inv: Invocation, name: str, role: str) -> None:
    """Take ROLE from user NAME.

    \b
    Example:
      enroll834 users revoke carol supervisor --as admin
    """
    done = _users_change(inv, "revoke", name, role)
    click.echo(f"revoked {role} from {name}" if done else f"{name} did not hold {role}", err=True)


@users_group.command("reset-code")
@click.argument("name")
@json_option('Print {"user", "access_code"}.')
@as_option
def users_reset_code_cmd(inv: Invocation, name: str, as_json: bool) -> None:
    """Issue a new access code for NAME (printed once); the old one stops working.

    \b
    Example:
      enroll834 users reset-code carol --as admin
    """
    code = _users_change(inv, "reset_code", name)
    click.echo(json.dumps({"user": name, "access_code": code}) if as_json else code)
    click.echo(f"new access code for '{name}' shown once; the old one no longer works", err=True)


@users_group.command("deactivate")
@click.argument("name")
@as_option
def users_deactivate_cmd(inv: Invocation, name: str) -> None:
    """Deactivate user NAME: they can do nothing afterwards (their history stays).

    \b
    Example:
      enroll834 users deactivate carol --as admin
    """
    done = _users_change(inv, "deactivate", name)
    click.echo(f"deactivated {name}" if done else f"{name} was already inactive", err=True)


@main.group("review")
def review_group() -> None:
    """The review desk: held enrollments, Medicare referrals, SLA.

    \b
    Example:
      enroll834 review list --overdue --as carol
    """


@review_group.command("list")
@json_option("One JSON object per item.")
@click.option("--queue", type=click.Choice(["review", "medicare", "supervisor", "reconciliation"]),
              default=None, help="Only this queue ('supervisor': full files held by the guard; "
              "'reconciliation': a verify full file's differences, one item per member).")
@click.option("--overdue", is_flag=True, help="Only items past their due time.")
@show_phi_option
@as_option
def review_list_cmd(inv: Invocation, as_json: bool, queue: str | None, overdue: bool,
                    show_phi: bool) -> None:
    """List open review items, overdue first, with the time left before each falls due.

    \b
    Example:
      enroll834 review list --queue medicare --json --as carol
    """
    from ledger.desk import QUEUE_HEADER, list_items, queue_line

    actor = inv.signin("review.read")
    items = list_items(inv.url, actor, queue=queue, overdue_only=overdue, show_phi=show_phi)
    _rows((v.to_json() for v in items), as_json, queue_line, QUEUE_HEADER)


@review_group.command("show")
@click.argument("item_id", type=int)
@json_option("Print the item as one JSON object.")
@show_phi_option
@click.option("--member", "members", metavar="MEMBER_ID", multiple=True,
              help="Also score this ledger member like a candidate (repeatable).")
@as_option
def review_show_cmd(inv: Invocation, item_id: int, as_json: bool, show_phi: bool,
                    members: tuple[str, ...]) -> None:
    """Show one item: the held transaction, the reason, candidates with field weights.

    \b
    Examples:
      enroll834 review show 12 --as carol
      enroll834 review show 12 --member M000000042 --as carol
    """
    from ledger.desk import item_lines, show_item

    actor = inv.signin("review.read")
    item = show_item(inv.url, actor, item_id, show_phi=show_phi, members=members)
    _echo([json.dumps(item)] if as_json else item_lines(item))


@review_group.command("assign")
@click.argument("item_id", type=int)
@click.argument("user")
@as_option
def review_assign_cmd(inv: Invocation, item_id: int, user: str) -> None:
    """Assign item ITEM_ID to USER (reviewers may take unassigned items for themselves).

    \b
    Example:
      enroll834 review assign 12 carol --as supervisor1
    """
    from ledger.desk import assign

    assign(inv.url, inv.signin("review.assign"), item_id, user)
    click.echo(f"item {item_id} assigned to {user}", err=True)


@review_group.command("resolve")
@click.argument("item_id", type=int)
@click.option("--match", "match", metavar="MEMBER_ID", default=None,
              help="The transaction is about this existing member.")
@click.option("--new-member", is_flag=True, help="The transaction is about a new person.")
@click.option("--reject", is_flag=True, help="Reject the transaction (needs --reason).")
@click.option("--reason", default=None, help="Why it is rejected (for the sender; no PHI).")
@click.option("--override", "override_file", default=None, metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Supervisor: apply the held full file FILE despite the guard.")
@click.option("--apply", "apply_held", is_flag=True,
              help="Supervisor: apply the held full file from the copy the item keeps.")
@click.option("--override-reason", default=None, metavar="TEXT",
              help="Supervisor: match despite an SSN, birth-date or relationship conflict, "
                   "for this reason (audited; no PHI).")
@json_option("Print what was done as JSON.")
@as_option
def review_resolve_cmd(inv: Invocation, item_id: int, match: str | None, new_member: bool,
                       reject: bool, reason: str | None, override_file: str | None,
                       apply_held: bool, override_reason: str | None, as_json: bool) -> None:
    """Resolve an item: apply it as decided (the reviewer is recorded as the decider).

    Resolving a subscriber releases the family members held with it. A --match is
    scored like a candidate; an SSN, birth-date or relationship conflict refuses it
    unless a supervisor gives --override-reason.

    \b
    Examples:
      enroll834 review resolve 12 --match M000000042 --as carol
      enroll834 review resolve 12 --match M000000042 --override-reason "confirmed with HR" --as sup1
      enroll834 review resolve 13 --reject --reason "duplicate of an earlier file" --as carol
      enroll834 review resolve 14 --apply --as supervisor1
      enroll834 review resolve 14 --override archive/2026/01/full.edi --as supervisor1
    """
    from ledger.desk import resolution_lines, resolve_and_notify

    if sum([match is not None, new_member, reject, override_file is not None, apply_held]) != 1:
        raise click.UsageError("give exactly one of --match MEMBER_ID, --new-member, --reject, "
                               "--override FILE, --apply")
    if reject and not (reason or "").strip():
        raise click.UsageError("--reject needs --reason TEXT")
    if reason is not None and not reject:
        raise click.UsageError("--reason goes with --reject")
    if override_reason is not None and match is None:
        raise click.UsageError("--override-reason goes with --match")
    actor = inv.signin("review.resolve")
    out = resolve_and_notify(inv.url, actor, item_id, outbox=inv.settings.drops.outbox_dir,
                             match=match, new_member=new_member,
                             reject_reason=reason if reject else None, override_file=override_file,
                             apply_held=apply_held, override_reason=override_reason,
                             partners=inv.settings.partners).to_json()
    _echo([json.dumps(out)] if as_json else resolution_lines(item_id, out))


@review_group.command("decide")
@click.argument("item_id", type=int)
@click.argument("decision", type=click.Choice(["terminate", "keep", "enrol", "ignore",
                                               "apply-file", "keep-ledger"]))
@as_of_option("terminate: the day coverage ends (default: the file's effective date).")
@json_option("Print what was done as JSON.")
@as_option
def review_decide_cmd(inv: Invocation, item_id: int, decision: str, as_of: dt.date | None,
                      as_json: bool) -> None:
    """Decide a reconciliation item (a verify full file's difference for one member).

    missing_in_file: terminate (as of --as-of) or keep; missing_in_ledger: enrol or
    ignore; field_mismatch: apply-file (the file's values) or keep-ledger. Applied
    through the ledger like any decision, audited; the run's reports in drops.outbox_dir
    are written again to show it.

    \b
    Examples:
      enroll834 review list --queue reconciliation --as carol
      enroll834 review decide 31 terminate --as-of 2026-03-01 --as carol
      enroll834 review decide 32 apply-file --as carol
    """
    from ledger.desk import decide_item, resolution_lines

    if as_of is not None and decision != "terminate":
        raise click.UsageError("--as-of goes with terminate")
    actor = inv.signin("review.resolve")
    out = decide_item(inv.url, actor, item_id, decision.replace("-", "_"), as_of=as_of,
                      outbox=inv.settings.drops.outbox_dir).to_json()
    _echo([json.dumps(out)] if as_json else resolution_lines(item_id, out))


@review_group.command("sla")
@json_option("Print the report as JSON.")
@as_option
def review_sla_cmd(inv: Invocation, as_json: bool) -> None:
    """Open items by queue and age, and every SLA breach (open past due or resolved late).

    \b
    Example:
      enroll834 review sla --json --as supervisor1
    """
    from ledger.desk import sla_lines, sla_report

    rep = sla_report(inv.url, inv.signin("review.read")).to_json()
    _echo([json.dumps(rep)] if as_json else sla_lines(rep))


# ----------------------------------------------------------------- ops commands
# (drops run, config show; global options and exit codes are at the top)


@main.group("drops")
def drops_group() -> None:
    """Drop folders: process an inbox into archive/ or quarantine/, acks into outbox/.

    \b
    Example:
      enroll834 drops run /srv/edi/acme/inbox --once
    """


@drops_group.command("run")
@click.argument("inbox", type=OUT_DIR)
@click.option("--once", "mode", flag_value="once", default=True,
              help="Process what is in the inbox now, then exit (for cron/systemd timers).")
@click.option("--watch", "mode", flag_value="watch",
              help="Keep polling the inbox (every drops.poll_seconds) until SIGTERM/SIGINT.")
@json_option("One JSON object per file processed, then one with the totals.")
@operator_option
def drops_run_cmd(inv: Invocation, inbox: Path, mode: str, as_json: bool) -> None:
    """Process the 834 files in INBOX: claim, ingest, acknowledge, archive or quarantine.

    Directories beside INBOX: work/, archive/YYYY/MM/, quarantine/REASON/ (each
    file with a PHI-free NAME.reason.txt) and outbox/ (TA1, 999/997 and
    NAME.report.txt for the sender). Files still being written (temporary
    names, or size changing between polls) are left for later. Any number of
    workers may run at once on one database. Exit 0 all accepted, 1 something
    rejected or quarantined, 75 temporary failure (retry), 78 configuration.

    \b
    Examples:
      enroll834 drops run ./drop/inbox --once --json
      enroll834 --config /etc/enroll834.toml drops run /srv/edi/acme/inbox --watch
    """
    from ledger.drops import (
        OUTCOME_HEADER,
        inbox_sizes,
        outcome_line,
        progress_bar,
        run_drop,
        stop_on_signals,
        totals_line,
    )
    from ledger.store import upgrade

    settings = inv.settings
    upgrade(inv.url)
    actor = inv.user("ingest")
    should_stop = stop_on_signals() if mode == "watch" else lambda: False
    bar = progress_bar(inbox_sizes(inbox) if inv.progress else None)
    if not as_json:
        click.echo(OUTCOME_HEADER)

    def shown(outcome: dict[str, Any]) -> None:
        bar.file_done(str(outcome["file"]))
        click.echo(json.dumps(outcome) if as_json else outcome_line(outcome))

    with bar:
        summary = run_drop(settings, inbox, once=mode == "once", actor=actor, progress=bar.hook,
                           on_outcome=shown, should_stop=should_stop)
    totals = summary.totals()
    if as_json:
        click.echo(json.dumps({"totals": totals}))
    elif not settings.quiet:
        click.echo(totals_line(totals), err=True)
    if summary.temporary_failure:
        raise _ExitCodeError(f"{summary.temporary_failure} (temporary; safe to retry)",
                             EXIT_TEMPFAIL)
    inv.exit(summary.exit_code)


@main.group("config")
def config_group() -> None:
    """The effective configuration (command line > ENROLL834_* > enroll834.toml > defaults).

    \b
    Example:
      enroll834 config show --json
    """


@config_group.command("show")
@json_option("Print the configuration as one JSON object.")
@pass_invocation
def config_show_cmd(inv: Invocation, as_json: bool) -> None:
    """Print the effective configuration, secrets redacted (database passwords: ***).

    Exit 78 when the configuration is invalid.

    \b
    Example:
      ENROLL834_DROPS__POLL_SECONDS=2 enroll834 --config enroll834.toml config show
    """
    from ledger.settings import config_lines, config_path, redacted

    data = redacted(inv.settings)
    source = config_path((inv.ctx.find_root().obj or {}).get("config"))
    _echo([json.dumps(data)] if as_json else config_lines(data))
    click.echo(f"configuration file: {source or 'none'}", err=True)


# ----------------------------------------------------------------- billing commands
# (rates load, cycle, run, show, list, pay, remit, remind, aging, commission)


@main.group("billing")
def billing_group() -> None:
    """Premium billing from the ledger: rates, cycles, bills, payments, reminders, commission.

    Bills read coverage as known at each bill's cut-off; later retroactive changes are
    adjustment lines on the next bill. Amounts are dollars with two decimals. Files go
    to the billing outbox (`[billing] outbox_dir`, default ./billing-outbox).

    \b
    Example:
      enroll834 billing run --period 2027-01 --json --as op1
    """


@billing_group.group("rates")
def billing_rates_group() -> None:
    """Premium rates per group x plan x coverage level, effective-dated.

    \b
    Example:
      enroll834 billing rates load rates-2027.csv --as alice
    """


@billing_rates_group.command("load")
@click.argument("file", type=IN_FILE)
@as_option
def billing_rates_load_cmd(inv: Invocation, file: Path) -> None:
    """Load FILE.csv: sponsor,plan,level,from,to,monthly_rate (administrator; audited).

    `plan` is the HD04 plan text (HD03 when HD04 is empty), `level` the HD05 code, `to`
    the last day (may be empty), rates in dollars. A bad line exits 1 naming file:line
    and nothing of the file is stored.

    \b
    Example:
      enroll834 billing rates load rates-2027.csv --as alice
    """
    from ledger.billing import load_rates_csv

    n = inv.tx(load_rates_csv, file, user=inv.user("billing.manage"))
    click.echo(f"{file.name}: {n} rates loaded", err=True)


@billing_group.command("cycle")
@click.argument("group")
@click.option("--bill-day", type=click.IntRange(1, 28), default=None, help="Day the bill is made.")
@click.option("--bill-in", type=click.Choice(["coverage", "previous"]), default=None,
              help="The bill day is in the coverage month or the month before.")
@click.option("--due-day", type=click.IntRange(1, 28), default=None,
              help="Due on the first such day on or after the bill date.")
@click.option("--paper/--no-paper", default=None, help="Also mail a paper bill.")
@click.option("--proration", type=click.Choice(["whole_month", "by_day"]), default=None)
@click.option("--proration-day", type=click.IntRange(1, 28), default=None,
              help="whole_month: a member is billed when covered on this day.")
@as_option
def billing_cycle_cmd(inv: Invocation, group: str, bill_day: int | None, bill_in: str | None,
                      due_day: int | None, paper: bool | None, proration: str | None,
                      proration_day: int | None) -> None:
    """Change GROUP's billing cycle from its next unbilled period (administrator; audited).

    \b
    Example:
      enroll834 billing cycle 991234567 --bill-day 15 --bill-in previous --due-day 5 --paper
    """
    from ledger.billing import cycle_line, set_cycle

    user = inv.user("billing.manage")
    spec = {"bill_day": bill_day, "bill_in": bill_in, "due_day": due_day, "paper": paper,
            "proration": proration, "proration_day": proration_day}
    start, cyc = inv.tx(set_cycle, group, {k: v for k, v in spec.items() if v is not None},
                        user=user)
    click.echo(cycle_line(group, start, cyc), err=True)


@billing_group.command("run")
@click.option("--period", required=True, metavar="YYYY-MM", help="Coverage month to bill.")
@click.option("--group", default=None, metavar="ID", help="Only this group (sponsor id).")
@json_option("One JSON object per group bill.")
@billing_outbox_option
@as_option
def billing_run_cmd(inv: Invocation, period: str, group: str | None, as_json: bool,
                    outbox: Path | None) -> None:
    """Issue each group's bill for PERIOD, exactly once (operator/service; audited).

    A re-run changes nothing (status already_issued). JSON keys: group, period, status
    (issued | already_issued | error), bill, premium, adjustments, total (decimal
    strings), due_date, members, lines, pdf, csv, json, mailroom, error. Exit 1 when a
    group could not be billed (e.g. a coverage without a rate; its error names it).

    \b
    Example:
      enroll834 billing run --period 2027-01 --group 991234567 --json --as op1
    """
    from ledger.billing import Issuer, Period, billing_boxes, run_bills, run_errors, run_line
    from ledger.store import LedgerError

    try:
        Period.parse(period)
    except LedgerError as exc:
        raise click.UsageError(str(exc)) from None
    user = inv.user("billing.run")
    billing = inv.settings.billing
    box, mailroom = billing_boxes(billing, outbox)
    rows = [r.to_json() for r in run_bills(inv.url, period, user=user, group=group, outbox=box,
                                           mailroom=mailroom, issuer=Issuer.of(billing))]
    _rows(rows, as_json, run_line, notes=run_errors)
    if any(run_errors(j) for j in rows):
        inv.exit(EXIT_REJECTED)


@billing_group.command("show")
@click.argument("bill")
@json_option("The bill as one JSON object.")
@as_option
def billing_show_cmd(inv: Invocation, bill: str, as_json: bool) -> None:
    """Show bill BILL (its number): summary, balance, totals and member lines (audited).

    \b
    Example:
      enroll834 billing show 991234567-202701 --as auditor1
    """
    from ledger.billing import bill_text, show_bill

    b = show_bill(inv.url, bill, user=inv.user("billing.read"))
    _echo([json.dumps(b)] if as_json else bill_text(b))


@billing_group.command("list")
@click.option("--group", default=None, metavar="ID", help="Only this group's bills.")
@json_option("One JSON object per bill.")
@as_option
def billing_list_cmd(inv: Invocation, group: str | None, as_json: bool) -> None:
    """List bills, newest period first, with paid and open amounts (audited).

    \b
    Example:
      enroll834 billing list --group 991234567 --as auditor1
    """
    from ledger.billing import BILLS_HEADER, bill_row, list_bills

    rows = list_bills(inv.url, user=inv.user("billing.read"), group=group)
    _rows(rows, as_json, bill_row, BILLS_HEADER)


@billing_group.command("pay")
@click.option("--group", required=True, metavar="ID", help="The paying group.")
@click.option("--amount", default=None, metavar="DOLLARS", help="Amount paid, e.g. 1691.50.")
@click.option("--reference", required=True, help="Check number or transfer reference.")
@click.option("--bill", "bills", multiple=True, metavar="NUMBER",
              help="Apply to this bill (repeatable); default: open bills, oldest first.")
@click.option("--reverse", is_flag=True, help="Reverse the payment REFERENCE (returned check).")
@json_option("What was applied, as JSON.")
@as_option
def billing_pay_cmd(inv: Invocation, group: str, amount: str | None, reference: str,
                    bills: tuple[str, ...], reverse: bool, as_json: bool) -> None:
    """Record a payment (or --reverse one); the unapplied rest is the group's credit.

    The same reference and amount again changes nothing (duplicate).

    \b
    Example:
      enroll834 billing pay --group 991234567 --amount 1691.50 --reference CHK1001 --as op1
    """
    from ledger.billing import parse_dollars, payment_line, record_payment, reverse_payment

    user = inv.user("billing.pay")
    if reverse:
        res = inv.tx(reverse_payment, group, reference, user=user)
    else:
        if amount is None:
            raise click.UsageError("--amount is required (or --reverse)")
        cents = parse_dollars(amount)
        wanted = {b: cents for b in bills} if bills else None
        res = inv.tx(record_payment, group, cents, reference, user=user, bills=wanted)
    _rows([res.to_json()], as_json, payment_line, notes=lambda j: j["notes"])


@billing_group.command("remit")
@click.argument("file", type=IN_FILE)
@json_option("One JSON object per payment.")
@as_option
def billing_remit_cmd(inv: Invocation, file: Path, as_json: bool) -> None:
    """Apply an 820 premium payment (005010X218) file: validated, applied to its RMR bills.

    Validated against pyx12's 820 map and structural rules (BPR, TRN, N1*PR, RMR amounts
    adding up to BPR02); findings go to stderr and a rejected file changes nothing
    (exit 1). A duplicate 820 (same TRN02 trace numbers) changes nothing.

    \b
    Example:
      enroll834 billing remit acme-20270118.820 --json --as svc
    """
    import hashlib

    from edi.remit820 import read_820
    from ledger.billing import apply_remittances, payment_line

    user = inv.user("billing.pay")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise _cannot(file, exc) from None
    rems, findings = read_820(data, file.name)
    for f in findings:
        click.echo(str(f), err=True)
    if any(f.rejects for f in findings):
        raise _ExitCodeError(f"{file.name}: 820 rejected; nothing applied", EXIT_REJECTED)
    results = inv.tx(apply_remittances, rems, hashlib.sha256(data).hexdigest(), user=user)
    _rows((r.to_json() for r in results), as_json, functools.partial(payment_line, applied=False),
          notes=lambda j: j["notes"])


@billing_group.command("remind")
@day_option
@json_option("One JSON object per reminder.")
@billing_outbox_option
@as_option
def billing_remind_cmd(inv: Invocation, on: dt.date | None, as_json: bool,
                       outbox: Path | None) -> None:
    """Send the reminders due by DATE per [billing] reminder_days (each once per bill).

    \b
    Example:
      enroll834 billing remind --as svc
    """
    from ledger.billing import Issuer, billing_boxes, reminder_row, send_reminders

    user = inv.user("billing.run")
    billing = inv.settings.billing
    out = inv.tx(send_reminders, on or dt.date.today(), billing.reminder_days,
                 billing_boxes(billing, outbox)[0], Issuer.of(billing), user=user)
    _rows((r.to_json() for r in out), as_json, reminder_row)


@billing_group.command("aging")
@day_option
@json_option("One JSON object per group.")
@as_option
def billing_aging_cmd(inv: Invocation, on: dt.date | None, as_json: bool) -> None:
    """Open balances by group: 0-30 / 31-60 / 61-90 / 90+ days past due, and credits.

    \b
    Example:
      enroll834 billing aging --json --as auditor1
    """
    from ledger.billing import AGING_HEADER, aging_report, aging_row

    rows = aging_report(inv.url, on or dt.date.today(), user=inv.user("billing.read"))
    _rows(rows, as_json, aging_row, AGING_HEADER)


@billing_group.command("commission")
@click.option("--period", required=True, metavar="YYYY-MM", help="Month of premium paid.")
@json_option("One JSON object per statement.")
@as_option
def billing_commission_cmd(inv: Invocation, period: str, as_json: bool) -> None:
    """Each broker's commission statement for PERIOD, exactly once (with its lines).

    \b
    Example:
      enroll834 billing commission --period 2027-01 --json --as op1
    """
    from ledger.billing import commission_statements, statement_text

    rows = inv.tx(commission_statements, period, user=inv.user("billing.commission"))
    _rows(rows, as_json, statement_text)


# ----------------------------------------------------------------- the browser face


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (keep 127.0.0.1 behind a reverse proxy).")
@click.option("--port", default=8834, show_default=True, type=click.IntRange(1, 65535))
@click.option("--proxy-headers", is_flag=True,
              help="Trust X-Forwarded-Proto/-For from --forwarded-allow-ips (TLS proxy in front).")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True, metavar="IPS",
              help="Proxies whose X-Forwarded-* headers are trusted (with --proxy-headers).")
@click.option("--tour", is_flag=True,
              help="A read-only preview of the client pages on invented people, in a "
                   "temporary ledger (the configured database is not touched).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes sharing the port (sessions live in the database, so "
                   "any process serves any request); PostgreSQL: up to one per CPU core.")
@pass_invocation
def serve_cmd(inv: Invocation, host: str, port: int, proxy_headers: bool,
              forwarded_allow_ips: str, tour: bool, workers: int) -> None:
    """Serve the review desk in the browser (sign in with your user ID and access code).

    Sessions, lockout and cookies follow the [web] settings (`enroll834 config show`).
    Run `enroll834 init` first. Behind a TLS reverse proxy, pass --proxy-headers so
    cookies are marked Secure. With --tour: the client's online services on generated
    data, signed in as a view-only tour user at /tour; every change is refused.
    With --workers N, N processes serve the same port, each with these settings.

    \b
    Examples:
      enroll834 serve --host 127.0.0.1 --port 8834
      enroll834 --db postgresql://enroll@db/enroll834 serve --workers 4
      enroll834 serve --tour --port 8835
    """
    from web import serve

    if tour and workers > 1:
        raise click.UsageError("--tour serves its temporary ledger from one process")
    serve(inv.settings, host=host, port=port, proxy_headers=proxy_headers,
          forwarded_allow_ips=forwarded_allow_ips, tour=tour, workers=workers)


if __name__ == "__main__":  # pragma: no cover
    main()
