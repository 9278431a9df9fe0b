"""enroll834 command line: thin click wiring over the edi, matching and ledger libraries.

stdout carries data only; messages, logs and progress go to stderr.
Exit codes: 0 ok, 1 data rejected, 2 usage, 75 temporary failure (retry),
77 not permitted, 78 configuration error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ledger.settings import Settings

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_TEMPFAIL = 75
EXIT_NOPERM = 77
EXIT_CONFIG = 78

DEFAULT_DB = "sqlite:///enroll834.db"


def database_url(ctx: click.Context) -> str:
    """The database URL: --db > ENROLL834_DATABASE_URL > enroll834.toml > the default SQLite file."""
    return str(settings_of(ctx).database_url)


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
        text = str(exc.orig).lower()
        if "no such table" in text or ("relation" in text and "does not exist" in text):
            return _ExitCodeError("database not ready (run 'enroll834 init' first)", EXIT_CONFIG)
        return _ExitCodeError(f"database unavailable or busy ({type(exc.orig).__name__}); "
                              "temporary, safe to retry", EXIT_TEMPFAIL)
    if isinstance(exc, sqlalchemy.exc.ArgumentError):
        return _ExitCodeError("database URL is not valid", EXIT_CONFIG)
    if isinstance(exc, NotPermitted):
        return _ExitCodeError(str(exc), EXIT_NOPERM)
    if isinstance(exc, LedgerError):
        return _ExitCodeError(str(exc), EXIT_REJECTED)
    if isinstance(exc, OSError) and exc.errno == 28:
        return _ExitCodeError("disk full (temporary; safe to retry)", EXIT_TEMPFAIL)
    return None


class _Main(click.Group):
    """The root group: maps operator failures raised by any command to their exit codes."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader of stdout went away (`enroll834 parse ... | head`): stop quietly.
            import sys

            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stdout for the exit flush
            raise click.exceptions.Exit(0) from None
        except Exception as exc:
            mapped = map_exception(exc)
            if mapped is None:
                raise
            raise mapped from None


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              envvar="ENROLL834_CONFIG", default=None, metavar="PATH",
              help="Configuration file (default: ./enroll834.toml when present).")
@click.option("--quiet", "-q", is_flag=True, default=False,
              help="No progress bars and only warnings and errors in the logs.")
@click.option("--log-format", type=click.Choice(["auto", "json", "console"]), default=None,
              help="Logs on stderr: json, console, or auto (console on a terminal, else JSON).")
@click.option(
    "--db",
    "db",
    envvar="ENROLL834_DATABASE_URL",
    default=None,
    metavar="URL",
    help="Database URL (default: sqlite:///enroll834.db in the working directory).",
)
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
    from edi.logs import configure

    ctx.ensure_object(dict)
    ctx.obj.update(db=db, config=config, quiet=quiet, log_format=log_format, settings=None)
    settings = settings_of(ctx)
    fmt = settings.log_format
    configure(json=None if fmt == "auto" else fmt == "json",
              level=settings.log_level, quiet=settings.quiet)


# ----------------------------------------------------------------- edi commands
# (parse, validate, generate)


def _print_schema(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        import json

        from edi.records import json_schema

        click.echo(json.dumps(json_schema(), indent=1, sort_keys=True))
        ctx.exit(0)


@main.command("parse")
@click.argument(
    "files", nargs=-1, required=True,
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
)
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per member transaction (ISO dates; codes as {code, name}).")
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
    from edi.jsonout import SUMMARY_HEADER, dumps_line, summary_line
    from edi.reader import findings_of, read
    from edi.records import MemberTransaction

    rejected = False
    if not as_json:
        click.echo(SUMMARY_HEADER)
    out = sys.stdout.buffer
    for path in files:
        try:
            for event in read(path, str(path)):
                if isinstance(event, MemberTransaction):
                    if as_json:
                        out.write(dumps_line(event))
                    else:
                        click.echo(summary_line(event))
                for finding in findings_of(event):
                    rejected = rejected or finding.rejects
                    click.echo(str(finding), err=True)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise click.ClickException(f"{path}: cannot read ({exc.strerror or 'I/O error'})") from None
    if rejected:
        raise SystemExit(EXIT_REJECTED)


@main.command("validate")
@click.argument(
    "files", nargs=-1, required=True,
    type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path),
)
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON report object per file (interchanges, groups, sets, findings).")
@click.option("--ack-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write <file>.<ISA13>.ta1 and .999 (.997 for 4010) acknowledgments here.")
@click.option("--validator", "validator_name", type=click.Choice(["compiled", "pyx12"]),
              default="compiled", show_default=True,
              help="Implementation-guide validator (pyx12: slower reference, for cross-checks).")
@click.option("--control-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Counter file for ack control numbers (default: <ack-dir>/.control.json).")
def validate_cmd(files: tuple[Path, ...], as_json: bool, ack_dir: Path | None,
                 validator_name: str, control_file: Path | None) -> None:
    """Validate 834 FILES (envelope + implementation guide) and build TA1/999 acks.

    Without --json: one summary line per transaction set on stdout, findings
    on stderr. Exit 0 when everything was accepted (with or without errors),
    1 when anything was rejected (also partially).

    \b
    Example:
      enroll834 validate samples/family-enrollment.edi --ack-dir acks/ --json
    """
    import json

    from edi.control import (
        ControlFileError,
        ControlNumbers,
        FileControlNumbers,
        MemoryControlNumbers,
    )
    from edi.validate import make_validator, validate_file, write_acks

    counter_path = control_file or (ack_dir / ".control.json" if ack_dir else None)
    control: ControlNumbers = (
        FileControlNumbers(counter_path) if counter_path else MemoryControlNumbers()
    )
    validator = make_validator(validator_name)
    rejected = False
    for path in files:
        try:
            report = validate_file(path, str(path), validator=validator, control=control)
            written = write_acks(report, ack_dir) if ack_dir else []
        except ControlFileError as exc:
            raise click.ClickException(str(exc)) from None
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise click.ClickException(f"{path}: cannot read or write ({exc.strerror or 'I/O error'})") from None
        rejected = rejected or not report.accepted
        if as_json:
            click.echo(json.dumps(report.to_json(), sort_keys=False))
        else:
            for line in report.summary_lines():
                click.echo(line)
        for finding in report.all_findings():
            if not as_json or finding.level.value in ("file", "interchange", "group"):
                click.echo(str(finding), err=True)
        for ack in written:
            click.echo(f"wrote {ack}", err=True)
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
@click.option("--ascii-only", is_flag=True,
              help="Spell the few accented names without accents (pyx12 rejects non-ASCII).")
def generate_cmd(members: int, seed: int, form_name: str, out: str, x12_version: str, mix: str,
                 interchanges: int, sets: int, bad_member: int | None, ascii_only: bool) -> None:
    """Write a synthetic 834 (invented people, deterministic per seed).

    \b
    Example:
      enroll834 generate --members 1000 --seed 7 --form diskette80 --out big.edi
    """
    import sys

    from edi.generate import generate

    try:
        chunks = generate(members, seed, form_name,
                          version="4010" if x12_version == "4010" else "5010",
                          interchanges=interchanges, sets=sets, mix=mix, bad_member=bad_member,
                          ascii_only=ascii_only)
        if out == "-":
            for chunk in chunks:
                sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            return
        size = 0
        with open(out, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
                size += len(chunk)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"{out}: cannot write ({exc.strerror or 'I/O error'})") from None
    click.echo(f"wrote {members} members, {size} bytes, form {form_name}, to {out}", err=True)


# ----------------------------------------------------------------- ledger commands
# (init, ingest, ledger verify/history, members export, groups show/set/load, audit list)


class _NotPermittedError(click.ClickException):
    """The acting user may not do this."""

    exit_code = EXIT_NOPERM


def _ledger_fail(exc: Exception) -> click.ClickException:
    """Map ledger errors to one-line click errors (77 not permitted, 1 otherwise)."""
    from ledger.desk import NotPermitted

    if isinstance(exc, NotPermitted):
        return _NotPermittedError(str(exc))
    return click.ClickException(str(exc))


_as_option = click.option("--as", "as_user", metavar="USER", default=None,
                          help="Acting user (or ENROLL834_USER), needed once users exist; code "
                               "from ENROLL834_ACCESS_CODE, ENROLL834_ACCESS_CODE_FILE or a "
                               "prompt.")


@main.command("init")
@click.option("--admin", default="admin", show_default=True, help="Administrator user to create.")
@click.option("--json", "as_json", is_flag=True, help='Print {"admin", "access_code"} as JSON.')
@click.pass_context
def init_cmd(ctx: click.Context, admin: str, as_json: bool) -> None:
    """Create or upgrade the database; on a new one create the administrator.

    The administrator's one-time access code is printed once and stored only
    as a scrypt hash.

    \b
    Example:
      enroll834 --db sqlite:///enroll834.db init --admin alice --json
    """
    import json

    from ledger.desk import initialise

    code = initialise(database_url(ctx), admin)
    if code is None:
        click.echo("database is up to date; users already exist", err=True)
        if as_json:
            click.echo(json.dumps({"admin": None, "access_code": None}))
        return
    if as_json:
        click.echo(json.dumps({"admin": admin, "access_code": code}))
    else:
        click.echo(code)
        click.echo(f"created administrator '{admin}'; the access code above is shown once", err=True)


@main.command("ingest")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary as JSON: files, transaction_sets, members, and rejections "
                   "(members the payer's rules rejected: controls, ordinal, reason; no PHI).")
@click.option("--as", "as_user", metavar="USER", default=None,
              help="Operator or service user (or ENROLL834_USER); its access code comes from "
                   "ENROLL834_ACCESS_CODE or ENROLL834_ACCESS_CODE_FILE. Required once users "
                   "exist; recorded in the audit log.")
@click.option("--validator", "validator_name", type=click.Choice(["compiled", "pyx12", "none"]),
              default="compiled", show_default=True,
              help="Implementation-guide validator ('none': envelope and model checks only).")
@click.option("--outbox", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Keep a copy of a full file the guard holds under OUTBOX/held/, so a "
                   "supervisor can `review resolve ID --apply` it (default: drops.outbox_dir).")
@click.pass_context
def ingest_cmd(ctx: click.Context, files: tuple[Path, ...], as_json: bool,
               as_user: str | None, validator_name: str, outbox: Path | None) -> None:
    """Read 834 files, decide on every member and record the result in the ledger.

    One database transaction per transaction set; a file already recorded is a
    duplicate and changes nothing.

    \b
    Examples:
      enroll834 ingest samples/family-enrollment.edi --json
      ENROLL834_ACCESS_CODE_FILE=/run/secrets/ingest enroll834 ingest in/*.edi --as svc
      enroll834 ingest weekly-full.edi --outbox outbox/
    """
    import json

    from ledger.ingest import IngestSummary, ingest_file
    from ledger.store import LedgerError, upgrade

    url = database_url(ctx)
    total = IngestSummary()
    try:
        upgrade(url)
        from ledger.desk import users_exist

        if users_exist(url):
            actor = _signin(ctx, as_user, "ingest").user_id  # type: ignore[attr-defined]
        else:
            actor = as_user or os.environ.get("ENROLL834_USER") or "system"
        from edi.validate import make_validator

        validator = None if validator_name == "none" else make_validator(validator_name)
        outbox = outbox or settings_of(ctx).drops.outbox_dir
        for f in files:
            total.merge(ingest_file(url, f, actor=actor, validator=validator, outbox=outbox))
    except LedgerError as exc:
        raise _ledger_fail(exc) from None
    for note in total.notes:
        click.echo(note, err=True)
    if as_json:
        out = total.to_json()
        keys = ("files", "transaction_sets", "members", "rejections")
        click.echo(json.dumps({k: out[k] for k in keys}))
    else:
        sets, mem = total.transaction_sets, total.members
        click.echo(f"files {total.files}  sets " + " ".join(f"{k} {v}" for k, v in sets.items())
                   + "  members " + " ".join(f"{k} {v}" for k, v in mem.items()))
    if total.transaction_sets["rejected"]:
        ctx.exit(EXIT_REJECTED)


def _open_or_signin(ctx: click.Context, as_user: str | None, action: str) -> Any:
    """The signed-in Actor for `action` once users exist (refusals audited, exit 77), else None."""
    from ledger.desk import users_exist

    if users_exist(database_url(ctx)):
        return _desk_call(_signin, ctx, as_user, action)
    return None


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
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_as_option
@click.pass_context
def ledger_verify_cmd(ctx: click.Context, as_json: bool, as_user: str | None) -> None:
    """Recompute the entries and audit hash chains; exit 1 naming the first bad record.

    This is also the audit log's verification (there is no separate `audit
    verify`). Auditors, supervisors, operators and administrators may run it.

    \b
    Example:
      enroll834 ledger verify --as auditor1
    """
    import json

    from ledger.desk import verify_chains

    actor = _open_or_signin(ctx, as_user, "ledger.verify")
    reports = _desk_call(verify_chains, database_url(ctx), actor)
    assert isinstance(reports, list)
    if as_json:
        click.echo(json.dumps([{"chain": r.chain, "checked": r.checked, "ok": r.ok,
                                "first_bad": r.first_bad, "problem": r.problem} for r in reports]))
    else:
        for r in reports:
            click.echo(str(r))
    bad = next((r for r in reports if not r.ok), None)
    if bad is not None:
        click.echo(f"error: {bad}", err=True)
        ctx.exit(EXIT_REJECTED)


@ledger_group.command("history")
@click.argument("member_id")
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one entry per line.")
@click.option("--show-phi", is_flag=True,
              help="Include the before/after values (needs the show_phi privilege; audited).")
@_as_option
@click.pass_context
def ledger_history_cmd(ctx: click.Context, member_id: str, as_json: bool, show_phi: bool,
                       as_user: str | None) -> None:
    """Show a member's ledger entries in order (kinds, dates, lineage, changed fields).

    Reviewers, supervisors, auditors and administrators may read it; every
    read is audited. Values appear only with --show-phi.

    \b
    Example:
      enroll834 ledger history M000000001 --json --as carol
    """
    import json

    from ledger.desk import member_history

    actor = _open_or_signin(ctx, as_user, "ledger.history")
    rows = _desk_call(member_history, database_url(ctx), actor, member_id, show_phi=show_phi)
    assert isinstance(rows, list)
    if not rows:
        raise _ledger_fail(LookupError(f"member {member_id}: no ledger entries"))
    for r in rows:
        if as_json:
            click.echo(json.dumps(r, default=str))
        else:
            click.echo(f"{r['seq']:>8}  {r['kind']:<22} valid {r['valid_from'] or ''}"
                       f"..{r['valid_to'] or ''}  by {r['decided_by']}  ST {r['set_control'] or '-'}")


@main.group("members")
def members_group() -> None:
    """Members as the ledger knows them (signed-in reviewers, supervisors, auditors).

    \b
    Example:
      enroll834 members export --as-of 2026-03-01 --as carol > members.jsonl
    """


@members_group.command("export")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Only members covered on this date.")
@click.option("--known-at", "known_at", type=click.DateTime(), default=None,
              help="What the ledger knew at this UTC time (default: now).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines (the default output).")
@click.option("--show-phi", is_flag=True, help="Unmasked SSNs (needs the show_phi right).")
@_as_option
@click.pass_context
def members_export_cmd(ctx: click.Context, as_of: object, known_at: object, as_json: bool,
                       show_phi: bool, as_user: str | None) -> None:
    """Export members with identifiers, name, birth date and coverages as JSON lines.

    Once users exist a signed-in reviewer, supervisor, auditor or
    administrator is needed (audited). SSNs are masked to their last four
    digits unless --show-phi is given by a user holding the show_phi right.

    \b
    Example:
      enroll834 members export --as-of 2026-03-01 --known-at 2026-02-15T00:00:00 --as carol
    """
    import datetime as dt
    import json

    from ledger.desk import export_members

    del as_json
    actor = _open_or_signin(ctx, as_user, "members.export")
    day = as_of.date() if isinstance(as_of, dt.datetime) else None
    at = known_at if isinstance(known_at, dt.datetime) else None
    rows = _desk_call(export_members, database_url(ctx), actor, as_of=day, known_at=at,
                      show_phi=show_phi)
    for item in rows:  # type: ignore[attr-defined]
        click.echo(json.dumps(item))


@main.group("groups")
def groups_group() -> None:
    """Employer groups (sponsors): COBRA administration, representative, billing.

    \b
    Example:
      enroll834 groups show 991234567 --json --as carol
    """


@groups_group.command("show")
@click.argument("sponsor_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="JSON lines, one group per line.")
@_as_option
@click.pass_context
def groups_show_cmd(ctx: click.Context, sponsor_id: str | None, as_json: bool,
                    as_user: str | None) -> None:
    """Show one group or all groups (any signed-in user once users exist).

    \b
    Example:
      enroll834 groups show 991234567 --json --as carol
    """
    import json

    from ledger.desk import group_rows

    actor = _open_or_signin(ctx, as_user, "groups.read")
    rows = _desk_call(group_rows, database_url(ctx), actor, sponsor_id)
    assert isinstance(rows, list)
    if sponsor_id and not rows:
        raise _ledger_fail(LookupError(f"group {sponsor_id}: not found"))
    for g in rows:
        if as_json:
            click.echo(json.dumps(g))
        else:
            click.echo(f"{g['sponsor_id']}  cobra {g['cobra_administration']}  "
                       f"representative {g['representative'] or '-'}  {g['name']}")


@groups_group.command("set")
@click.argument("sponsor_id")
@click.option("--cobra", type=click.Choice(["self", "third_party", "bill_and_collect", "unknown"]),
              default=None, help="Who administers COBRA for this group.")
@click.option("--representative", default=None, metavar="NAME", help="Group representative.")
@click.option("--name", default=None, help="Group name.")
@_as_option
@click.pass_context
def groups_set_cmd(ctx: click.Context, sponsor_id: str, cobra: str | None,
                   representative: str | None, name: str | None, as_user: str | None) -> None:
    """Create or change a group (administrator only; audited).

    \b
    Example:
      ENROLL834_ACCESS_CODE=... enroll834 groups set 991234567 --cobra self --as alice
    """
    from ledger.store import LedgerError, engine, set_group

    user = _desk_call(_signin, ctx, as_user, "groups.manage").user_id  # type: ignore[attr-defined]
    try:
        with engine(database_url(ctx)).begin() as conn:
            set_group(conn, sponsor_id, user=user, cobra=cobra, representative=representative,
                      name=name)
    except LedgerError as exc:
        raise _ledger_fail(exc) from None
    click.echo(f"group {sponsor_id} updated", err=True)


@groups_group.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_as_option
@click.pass_context
def groups_load_cmd(ctx: click.Context, file: Path, as_user: str | None) -> None:
    """Load groups and trading partners from a TOML file (administrator only; audited).

    \b
    Example:
      ENROLL834_ACCESS_CODE=... enroll834 groups load groups.toml --as alice
    """
    from ledger.store import LedgerError, engine, load_config

    user = _desk_call(_signin, ctx, as_user, "groups.manage").user_id  # type: ignore[attr-defined]
    try:
        with engine(database_url(ctx)).begin() as conn:
            n_groups, n_partners = load_config(conn, file, user=user)
            from ledger.store import load_policy_file

            load_policy_file(conn, file, user=user)
    except LedgerError as exc:
        raise _ledger_fail(exc) from None
    click.echo(f"{file.name}: {n_groups} groups, {n_partners} partners loaded", err=True)


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
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record.")
@click.option("--user", "user", metavar="USER", default=None, help="Only this user's records.")
@click.option("--action", "action", metavar="ACTION", default=None,
              help="Only this action; a trailing '.' or '*' matches a prefix (review.*).")
@click.option("--since", "since", type=click.DateTime(), default=None,
              help="Only records at or after this UTC time (YYYY-MM-DD[THH:MM:SS]).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Only the newest N records (still printed oldest first).")
@_as_option
@click.pass_context
def audit_list_cmd(ctx: click.Context, as_json: bool, user: str | None, action: str | None,
                   since: object, limit: int | None, as_user: str | None) -> None:
    """List audit records, oldest first (reading is itself audited as 'audit.list').

    \b
    Example:
      enroll834 audit list --json --user carol --action review. --as auditor1
    """
    import datetime as dt
    import json

    from ledger.desk import audit_records

    actor = _open_or_signin(ctx, as_user, "audit.read")
    rows = _desk_call(audit_records, database_url(ctx), actor, user=user, action=action,
                      since=since if isinstance(since, dt.datetime) else None, limit=limit)
    if not as_json:
        click.echo("SEQ\tAT\tUSER\tACTION\tTARGET\tDETAILS")
    for r in rows:  # type: ignore[attr-defined]
        if as_json:
            click.echo(json.dumps(r))
        else:
            click.echo(f"{r['seq']}\t{r['at']}\t{r['user']}\t{r['action']}\t"
                       f"{r['target'] or '-'}\t{json.dumps(r['details'], sort_keys=True)}")


def _signin_if_users(ctx: click.Context, as_user: str | None, action: str) -> str:
    """The signed-in user once users exist; before that --as / ENROLL834_USER / 'system'."""
    from ledger.desk import users_exist

    if users_exist(database_url(ctx)):
        return str(_signin(ctx, as_user, action).user_id)  # type: ignore[attr-defined]
    return as_user or os.environ.get("ENROLL834_USER") or "system"


@main.command("reconcile")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--dry-run", is_flag=True, help="Report what the file would do; change nothing.")
@click.option("--outbox", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the operations and sender reports (text and JSON) into this folder.")
@click.option("--override-guard", is_flag=True,
              help="Apply a replace file the mass-termination guard holds (supervisor only).")
@_as_option
@click.pass_context
def reconcile_cmd(ctx: click.Context, file: Path, as_json: bool, dry_run: bool,
                  outbox: Path | None, override_guard: bool, as_user: str | None) -> None:
    """Compare a full 834 (BGN08 4/RX, INS03 030) with the ledger; apply it by partner policy.

    Agreement is recorded as confirmed, differences as discrepancies
    (missing_in_ledger, missing_in_file, field_mismatch). Only a partner with
    full_file_policy = "replace" gets changes and terminations from an RX
    file, and the guard holds such a file when it would terminate or change
    too many active members. Exit 1 when a set was held or rejected.

    \b
    Example:
      enroll834 reconcile weekly-full.edi --dry-run --json --outbox outbox/
    """
    import json

    import sqlalchemy.exc

    from ledger.fullfile import reconcile_file
    from ledger.store import LedgerError, upgrade

    url = database_url(ctx)
    try:
        upgrade(url)
        actor = _signin_if_users(ctx, as_user, "review.override" if override_guard else "ingest")
        result = reconcile_file(url, file, dry_run=dry_run, outbox=outbox, actor=actor,
                                override_guard=override_guard)
    except (LedgerError, sqlalchemy.exc.OperationalError) as exc:
        raise _desk_fail(exc) from None
    for note in result.notes:
        click.echo(f"{file.name}: {note}", err=True)
    if as_json:
        click.echo(json.dumps(result.to_json(), sort_keys=True))
    else:
        for run in result.runs:
            c = run.counts
            click.echo(f"{file.name} ST {run.set_control} sponsor {run.sponsor_id} {run.semantics}"
                       f" {run.status}  members {c.get('file_members', 0)} confirmed "
                       f"{c.get('confirmed_members', 0)}  missing_in_ledger "
                       f"{c.get('missing_in_ledger', 0)} missing_in_file {c.get('missing_in_file', 0)}"
                       f" field_mismatch {c.get('field_mismatch', 0)}")
    if any(r.status == "held" for r in result.runs) or any("rejected" in n for n in result.notes):
        ctx.exit(EXIT_REJECTED)


@main.command("export834")
@click.option("--sponsor", required=True, metavar="ID", help="Sponsor (N1*P5) id to export.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Full file of the members covered on this date (default: today).")
@click.option("--changes-since", "changes_since", type=click.DateTime(), default=None,
              help="Change file (BGN08=2) of what the ledger recorded after this UTC time.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the 834 here (default: stdout).")
@click.option("--json", "as_json", is_flag=True,
              help="With --out: print a JSON summary (counts, ISA13, GS06) on stdout.")
@_as_option
@click.pass_context
def export834_cmd(ctx: click.Context, sponsor: str, as_of: object, changes_since: object,
                  out: Path | None, as_json: bool, as_user: str | None) -> None:
    """Write the sponsor's members and coverages as a 005010X220A1 834.

    A full file (BGN08=4, INS03=HD01=030) as of a date, or with
    --changes-since a change file (BGN08=2). Control numbers come from the
    ledger and never repeat.

    \b
    Example:
      enroll834 export834 --sponsor 991234567 --as-of 2026-03-01 --out acme-full.edi
    """
    import datetime as dt
    import json
    import sys

    import sqlalchemy.exc

    from ledger.fullfile import write_export
    from ledger.store import LedgerError, upgrade

    if as_of is not None and changes_since is not None:
        raise click.UsageError("give --as-of or --changes-since, not both")
    url = database_url(ctx)
    try:
        upgrade(url)
        _signin_if_users(ctx, as_user, "ingest")
        day = as_of.date() if isinstance(as_of, dt.datetime) else None
        since = changes_since if isinstance(changes_since, dt.datetime) else None
        summary = write_export(url, out, sponsor, as_of=day, changes_since=since,
                               stream=sys.stdout if out is None else None)
    except (LedgerError, sqlalchemy.exc.OperationalError, OSError) as exc:
        raise _desk_fail(exc) if not isinstance(exc, OSError) else click.ClickException(
            f"cannot write the export ({type(exc).__name__})") from None
    click.echo(f"export834: {summary.kind} file, {summary.members} members, ISA13 "
               f"{summary.interchange_control}", err=True)
    if as_json and out is not None:
        click.echo(json.dumps(summary.to_json(), sort_keys=True))



# ----------------------------------------------------------------- matching / review commands
# (users, review, ingest)


def _desk_url(ctx: click.Context) -> str:
    return database_url(ctx)


class _DatabaseNotReadyError(click.ClickException):
    """The database has no ledger schema."""

    exit_code = EXIT_CONFIG


class _DatabaseBusyError(click.ClickException):
    """The database is unreachable, locked or aborted the transaction: retry later."""

    exit_code = EXIT_TEMPFAIL


def _desk_fail(exc: Exception) -> click.ClickException:
    """NotPermitted -> 77; other ledger errors -> 1; no schema -> 78; database trouble -> 75."""
    import sqlalchemy.exc

    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        text = str(exc.orig).lower()
        if "no such table" in text or "does not exist" in text:
            return _DatabaseNotReadyError("database not ready (run 'enroll834 init' first)")
        kind = type(exc.orig).__name__
        return _DatabaseBusyError(f"database unavailable or busy ({kind}); retry")
    return _ledger_fail(exc)


def _signin(ctx: click.Context, as_user: str | None, action: str) -> object:
    """Sign in --as / ENROLL834_USER with ENROLL834_ACCESS_CODE(_FILE) or a prompt, for `action`.

    Refusals (wrong code, unknown or inactive user, missing role) are audited
    and exit 77.
    """
    from ledger.desk import access_code_from_env, login

    user = as_user or os.environ.get("ENROLL834_USER")
    code = access_code_from_env()
    if code is None and user:
        try:
            code = click.prompt("Access code", hide_input=True, err=True, default="",
                                show_default=False) or None
        except click.Abort:
            code = None
    return login(_desk_url(ctx), user, code, action)


def _desk_call(fn: object, *args: object, **kw: object) -> object:
    import sqlalchemy.exc

    from ledger.store import LedgerError

    try:
        return fn(*args, **kw)  # type: ignore[operator]
    except (LedgerError, sqlalchemy.exc.OperationalError, sqlalchemy.exc.ProgrammingError) as exc:
        raise _desk_fail(exc) from None


_as_user = click.option(
    "--as", "as_user", metavar="USER", default=None,
    help="Acting user (or ENROLL834_USER); the access code comes from ENROLL834_ACCESS_CODE, "
         "the file named by ENROLL834_ACCESS_CODE_FILE, or a prompt.",
)


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
@click.option("--json", "as_json", is_flag=True, help='Print {"user", "access_code"}.')
@_as_user
@click.pass_context
def users_add_cmd(ctx: click.Context, name: str, roles: tuple[str, ...], display_name: str,
                  as_json: bool, as_user: str | None) -> None:
    """Create user NAME and print its access code once (deliver it to that person alone).

    \b
    Example:
      enroll834 users add carol --role reviewer --json --as admin
    """
    import json

    from ledger.desk import add_user

    actor = _desk_call(_signin, ctx, as_user, "users.manage")
    code = _desk_call(add_user, _desk_url(ctx), actor, name, list(roles), display_name)
    click.echo(json.dumps({"user": name, "access_code": code}) if as_json else code)
    click.echo(f"created user '{name}'; the access code is shown once: give it to them alone",
               err=True)


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per user.")
@_as_user
@click.pass_context
def users_list_cmd(ctx: click.Context, as_json: bool, as_user: str | None) -> None:
    """List accounts with their roles and whether they are active.

    \b
    Example:
      enroll834 users list --json --as admin
    """
    import json

    from ledger.desk import list_users

    actor = _desk_call(_signin, ctx, as_user, "users.list")
    for u in _desk_call(list_users, _desk_url(ctx), actor):  # type: ignore[attr-defined]
        if as_json:
            click.echo(json.dumps({"user": u.user_id, "display_name": u.display_name,
                                   "roles": list(u.roles), "active": u.active,
                                   "created_by": u.created_by}))
        else:
            state = "active" if u.active else "inactive"
            click.echo(f"{u.user_id}\t{','.join(u.roles)}\t{state}")


def _users_change(ctx: click.Context, as_user: str | None, fn_name: str, *args: str) -> object:
    from ledger.desk import users as desk_users

    actor = _desk_call(_signin, ctx, as_user, "users.manage")
    return _desk_call(getattr(desk_users, fn_name), _desk_url(ctx), actor, *args)


@users_group.command("grant")
@click.argument("name")
@click.argument("role")
@_as_user
@click.pass_context
def users_grant_cmd(ctx: click.Context, name: str, role: str, as_user: str | None) -> None:
    """Grant ROLE (or the show_phi privilege) to user NAME.

    \b
    Example:
      enroll834 users grant carol supervisor --as admin
    """
    done = _users_change(ctx, as_user, "grant", name, role)
    click.echo(f"granted {role} to {name}" if done else f"{name} already holds {role}", err=True)


@users_group.command("revoke")
@click.argument("name")
@click.argument("role")
@_as_user
@click.pass_context
def users_revoke_cmd(ctx: click.Context, name: str, role: str, as_user: str | None) -> None:
    """Take ROLE from user NAME.

    \b
    Example:
      enroll834 users revoke carol supervisor --as admin
    """
    done = _users_change(ctx, as_user, "revoke", name, role)
    click.echo(f"revoked {role} from {name}" if done else f"{name} did not hold {role}", err=True)


@users_group.command("reset-code")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help='Print {"user", "access_code"}.')
@_as_user
@click.pass_context
def users_reset_code_cmd(ctx: click.Context, name: str, as_json: bool,
                         as_user: str | None) -> None:
    """Issue a new access code for NAME (printed once); the old one stops working.

    \b
    Example:
      enroll834 users reset-code carol --as admin
    """
    import json

    code = _users_change(ctx, as_user, "reset_code", name)
    click.echo(json.dumps({"user": name, "access_code": code}) if as_json else code)
    click.echo(f"new access code for '{name}' shown once; the old one no longer works", err=True)


@users_group.command("deactivate")
@click.argument("name")
@_as_user
@click.pass_context
def users_deactivate_cmd(ctx: click.Context, name: str, as_user: str | None) -> None:
    """Deactivate user NAME: they can do nothing afterwards (their history stays).

    \b
    Example:
      enroll834 users deactivate carol --as admin
    """
    done = _users_change(ctx, as_user, "deactivate", name)
    click.echo(f"deactivated {name}" if done else f"{name} was already inactive", err=True)


@main.group("review")
def review_group() -> None:
    """The review desk: held enrollments, Medicare referrals, SLA.

    \b
    Example:
      enroll834 review list --overdue --as carol
    """


def _left(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    sign, s = ("OVERDUE ", -seconds) if seconds < 0 else ("", seconds)
    return f"{sign}{s // 3600}h{(s % 3600) // 60:02d}m"


@review_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per item.")
@click.option("--queue", type=click.Choice(["review", "medicare", "supervisor"]), default=None,
              help="Only this queue ('supervisor': full files held by the guard).")
@click.option("--overdue", is_flag=True, help="Only items past their due time.")
@click.option("--show-phi", is_flag=True,
              help="Show SSNs unmasked (needs the show_phi privilege; audited).")
@_as_user
@click.pass_context
def review_list_cmd(ctx: click.Context, as_json: bool, queue: str | None, overdue: bool,
                    show_phi: bool, as_user: str | None) -> None:
    """List open review items, overdue first, with the time left before each falls due.

    \b
    Example:
      enroll834 review list --queue medicare --json --as carol
    """
    import json

    from ledger.desk import list_items

    actor = _desk_call(_signin, ctx, as_user, "review.read")
    items = _desk_call(list_items, _desk_url(ctx), actor, queue=queue, overdue_only=overdue,
                       show_phi=show_phi)
    if not as_json:
        click.echo("ID\tQUEUE\tREASON\tSTATUS\tASSIGNEE\tDUE\tTIME LEFT\tSUBSCRIBER\tTYPE")
    for v in items:  # type: ignore[attr-defined]
        j = v.to_json()
        if as_json:
            click.echo(json.dumps(j))
        else:
            tx = j["transaction"]
            click.echo(f"{v.id}\t{v.queue}\t{v.reason}\t{v.status}\t{v.assignee or '-'}\t"
                       f"{j['due_at'] or '-'}\t{_left(j['time_left_seconds'])}\t"
                       f"{tx.get('subscriber_number', '?')}\t{tx.get('maintenance_type') or '-'}")


@review_group.command("show")
@click.argument("item_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the item as one JSON object.")
@click.option("--show-phi", is_flag=True,
              help="Show SSNs unmasked (needs the show_phi privilege; audited).")
@_as_user
@click.pass_context
def review_show_cmd(ctx: click.Context, item_id: int, as_json: bool, show_phi: bool,
                    as_user: str | None) -> None:
    """Show one item: the held transaction, the reason, candidates with field weights.

    \b
    Example:
      enroll834 review show 12 --as carol
    """
    import json

    from ledger.desk import show_item

    actor = _desk_call(_signin, ctx, as_user, "review.read")
    item = _desk_call(show_item, _desk_url(ctx), actor, item_id, show_phi=show_phi)
    if as_json:
        click.echo(json.dumps(item))
        return
    assert isinstance(item, dict)
    tx = item["transaction"]
    click.echo(f"item {item['id']}  queue {item['queue']}  reason {item['reason']}  "
               f"status {item['status']}  assignee {item['assignee'] or '-'}")
    click.echo(f"due {item['due_at'] or '-'}  ({_left(item['time_left_seconds'])})")
    click.echo(f"why: {item['explanation']}")
    if tx.get("unreadable"):
        click.echo("member: (stored transaction unreadable)")
        return
    if tx.get("kind") == "full_file":
        for k in ("run_id", "sponsor_id", "sender_id", "source", "interchange_control",
                  "set_control", "file_members", "active_members", "would_terminate",
                  "would_change", "would_enrol", "termination_share", "max_termination_share",
                  "change_share", "max_change_share"):
            click.echo(f"{k:<24}{tx.get(k)}")
        return
    name = tx["name"]
    click.echo(f"member: {name['last']}, {name['first']} {name['middle']}".rstrip()
               + f"  ssn {tx['ssn'] or '-'}  born {tx['birth_date'] or '-'}"
               f"  gender {tx['gender'] or '-'}  relationship {tx['relationship'] or '-'}")
    click.echo(f"subscriber number {tx['subscriber_number']}  INS03 {tx['maintenance_type']}"
               f"  INS05 {tx['benefit_status'] or '-'}  Medicare {tx['medicare_plan'] or '-'}")
    for c in tx["coverages"]:
        click.echo(f"  coverage {c['insurance_line']} {c['plan']} {c['coverage_level'] or ''}"
                   f" HD01 {c['maintenance_type']} {c['begin'] or ''}..{c['end'] or ''}")
    for c in item["candidates"]:
        p = c.get("person")
        who = (f"  {p['name']['last']}, {p['name']['first']}  ssn {p['ssn'] or '-'}"
               f"  born {p['birth_date'] or '-'}" if p else "")
        click.echo(f"candidate {c['member_id']}  score {c['score']:.2f}{who}")
        for f in c.get("comparisons", []):
            click.echo(f"    {f['field']:<16} {f['level']:<18} {f['weight']:+7.2f}  "
                       f"{f['description']}")


@review_group.command("assign")
@click.argument("item_id", type=int)
@click.argument("user")
@_as_user
@click.pass_context
def review_assign_cmd(ctx: click.Context, item_id: int, user: str, as_user: str | None) -> None:
    """Assign item ITEM_ID to USER (reviewers may take unassigned items for themselves).

    \b
    Example:
      enroll834 review assign 12 carol --as supervisor1
    """
    from ledger.desk import assign

    actor = _desk_call(_signin, ctx, as_user, "review.assign")
    _desk_call(assign, _desk_url(ctx), actor, item_id, user)
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
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@_as_user
@click.pass_context
def review_resolve_cmd(ctx: click.Context, item_id: int, match: str | None, new_member: bool,
                       reject: bool, reason: str | None, override_file: str | None,
                       apply_held: bool, as_json: bool, as_user: str | None) -> None:
    """Resolve an item: apply it as decided (the reviewer is recorded as the decider).

    Resolving a subscriber releases the family members held with it.

    \b
    Examples:
      enroll834 review resolve 12 --match M000000042 --as carol
      enroll834 review resolve 13 --reject --reason "duplicate of an earlier file" --as carol
      enroll834 review resolve 14 --apply --as supervisor1
      enroll834 review resolve 14 --override archive/2026/01/full.edi --as supervisor1
    """
    import json

    from ledger.desk import resolve

    if sum([match is not None, new_member, reject, override_file is not None, apply_held]) != 1:
        raise click.UsageError("give exactly one of --match MEMBER_ID, --new-member, --reject, "
                               "--override FILE, --apply")
    if reject and not (reason or "").strip():
        raise click.UsageError("--reject needs --reason TEXT")
    if reason is not None and not reject:
        raise click.UsageError("--reason goes with --reject")
    actor = _desk_call(_signin, ctx, as_user, "review.resolve")
    res = _desk_call(resolve, _desk_url(ctx), actor, item_id, match=match, new_member=new_member,
                     reject_reason=reason if reject else None, override_file=override_file,
                     apply_held=apply_held)
    out = res.to_json()  # type: ignore[attr-defined]
    if as_json:
        click.echo(json.dumps(out))
    else:
        click.echo(f"item {item_id}: {out['resolution']} ({out['status']}"
                   f"{', member ' + out['member_id'] if out['member_id'] else ''})")
        for r in out["released"]:
            click.echo(f"  released item {r['id']}: {r['status']}"
                       + (f", now item {r['new_item']}" if r["new_item"] else ""))
        for i in out["still_held"]:
            click.echo(f"  item {i} still held")
        for note in out["notes"]:
            click.echo(f"  {note}")


@review_group.command("sla")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_as_user
@click.pass_context
def review_sla_cmd(ctx: click.Context, as_json: bool, as_user: str | None) -> None:
    """Open items by queue and age, and every SLA breach (open past due or resolved late).

    \b
    Example:
      enroll834 review sla --json --as supervisor1
    """
    import json

    from ledger.desk import sla_report

    actor = _desk_call(_signin, ctx, as_user, "review.read")
    rep = _desk_call(sla_report, _desk_url(ctx), actor).to_json()  # type: ignore[attr-defined]
    if as_json:
        click.echo(json.dumps(rep))
        return
    click.echo(f"open {rep['open']}  overdue {rep['overdue']}  breaches {len(rep['breaches'])}")
    for queue, buckets in rep["by_age"].items():
        click.echo(f"{queue:<9} " + "  ".join(f"{k} {v}" for k, v in buckets.items()))
    for b in rep["breaches"]:
        click.echo(f"breach item {b['id']} {b['queue']} {b['reason']} {b['status']} due "
                   f"{b['due_at']} late {_left(-b['late_by_seconds'])[8:]}")


# ----------------------------------------------------------------- ops commands
# (drops run, config show; global options and exit codes are at the top)


@main.group("drops")
def drops_group() -> None:
    """Drop folders: process an inbox into archive/ or quarantine/, acks into outbox/.

    \b
    Example:
      enroll834 drops run /srv/edi/acme/inbox --once
    """


def _progress_bar(total: int) -> tuple[Any, Any]:
    """A rich progress bar on stderr (files, members/s, time left) and its update hook."""
    import time

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("drop"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]} members/s"), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True)
    task = bar.add_task("drop", total=total or None, rate="0")
    started, members = time.monotonic(), [0]

    def hook(kind: str, n: int) -> None:
        if kind == "members":
            members[0] += n
        else:
            bar.advance(task, n)
        rate = members[0] / max(time.monotonic() - started, 1e-3)
        bar.update(task, rate=f"{rate:,.0f}")

    return bar, hook


@drops_group.command("run")
@click.argument("inbox", type=click.Path(file_okay=False, path_type=Path))
@click.option("--once", "mode", flag_value="once", default=True,
              help="Process what is in the inbox now, then exit (for cron/systemd timers).")
@click.option("--watch", "mode", flag_value="watch",
              help="Keep polling the inbox (every drops.poll_seconds) until SIGTERM/SIGINT.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per file processed, then one with the totals.")
@click.option("--as", "as_user", metavar="USER", default=None,
              help="Operator or service user (or ENROLL834_USER), needed once users exist; "
                   "code from ENROLL834_ACCESS_CODE or ENROLL834_ACCESS_CODE_FILE.")
@click.pass_context
def drops_run_cmd(ctx: click.Context, inbox: Path, mode: str, as_json: bool,
                  as_user: str | None) -> None:
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
    import json
    import signal
    import sys

    from ledger.desk import users_exist
    from ledger.drops import run_drop, set_lock_timeout
    from ledger.store import upgrade

    settings = settings_of(ctx)
    url = database_url(ctx)
    set_lock_timeout(url, settings.lock_timeout_seconds)
    upgrade(url)
    if users_exist(url):
        actor = _signin(ctx, as_user, "ingest").user_id  # type: ignore[attr-defined]
    else:
        actor = as_user or os.environ.get("ENROLL834_USER") or "system"
    stop = {"now": False}

    def _stop(_sig: int, _frame: object) -> None:
        stop["now"] = True

    if mode == "watch":
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    quiet = settings.quiet
    bar, hook = (None, None)
    if sys.stderr.isatty() and not quiet:
        pending = sum(1 for p in inbox.iterdir() if p.is_file()) if inbox.is_dir() else 0
        bar, hook = _progress_bar(pending)
    if bar is not None:
        bar.start()
    if not as_json:
        click.echo("FILE\tRESULT\tREASON\tSETS OK/REJ/DUP\tMEMBERS NEW/APPLIED/REVIEW/REFERRED/REJ")

    def _line(f: dict[str, Any]) -> None:
        if as_json:
            click.echo(json.dumps(f))
            return
        st, m = f["sets"], f["members"]
        click.echo(f"{f['file']}\t{f['disposition']}\t{f['reason'] or '-'}\t"
                   f"{st['accepted']}/{st['rejected']}/{st['duplicate']}\t"
                   f"{m['new']}/{m['applied']}/{m['review']}/{m['referred']}/{m['rejected']}")

    try:
        summary = run_drop(settings, inbox, once=mode == "once", actor=actor, progress=hook,
                           on_outcome=_line, should_stop=lambda: stop["now"])
    finally:
        if bar is not None:
            bar.stop()
    totals = summary.totals()
    if as_json:
        click.echo(json.dumps({"totals": totals}))
    else:
        click.echo(f"files {totals['files']}  archived {totals['archived']}  "
                   f"quarantined {totals['quarantined']}", err=True)
    if summary.temporary_failure:
        raise _ExitCodeError(f"{summary.temporary_failure} (temporary; safe to retry)",
                             EXIT_TEMPFAIL)
    ctx.exit(summary.exit_code)


@main.group("config")
def config_group() -> None:
    """The effective configuration (command line > ENROLL834_* > enroll834.toml > defaults).

    \b
    Example:
      enroll834 config show --json
    """


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the configuration as one JSON object.")
@click.pass_context
def config_show_cmd(ctx: click.Context, as_json: bool) -> None:
    """Print the effective configuration, secrets redacted (database passwords: ***).

    Exit 78 when the configuration is invalid.

    \b
    Example:
      ENROLL834_DROPS__POLL_SECONDS=2 enroll834 --config enroll834.toml config show
    """
    import json

    from ledger.settings import config_path, redacted

    data = redacted(settings_of(ctx))
    root = ctx.find_root().obj or {}
    source = config_path(root.get("config"))
    if as_json:
        click.echo(json.dumps(data))
    else:
        def lines(node: object, prefix: str = "") -> list[str]:
            if isinstance(node, dict):
                return [ln for k, v in node.items() for ln in lines(v, f"{prefix}{k}.")]
            return [f"{prefix[:-1]} = {json.dumps(node)}"]

        for ln in lines(data):
            click.echo(ln)
    click.echo(f"configuration file: {source or 'none'}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
