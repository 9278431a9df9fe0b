"""enroll834 command line: thin click wiring over the edi, matching and ledger libraries.

stdout carries data only; messages, logs and progress go to stderr.
Exit codes: 0 ok, 1 data rejected, 2 usage, 75 temporary failure (retry),
77 not permitted, 78 configuration error.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_TEMPFAIL = 75
EXIT_NOPERM = 77
EXIT_CONFIG = 78

DEFAULT_DB = "sqlite:///enroll834.db"


def database_url(ctx: click.Context) -> str:
    """The database URL chosen by --db / ENROLL834_DATABASE_URL / the default SQLite file."""
    root = ctx.find_root()
    url = (root.obj or {}).get("db") if root.obj else None
    return str(url or os.environ.get("ENROLL834_DATABASE_URL") or DEFAULT_DB)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
def main(ctx: click.Context, db: str | None) -> None:
    """enroll834: read, decide on and record HIPAA X12 834 enrollment files.

    \b
    Example:
      enroll834 validate samples/family-enrollment.edi --ack-dir acks/
    """
    ctx.ensure_object(dict)
    ctx.obj["db"] = db


# ----------------------------------------------------------------- edi commands
# (parse, validate, generate)


# ----------------------------------------------------------------- ledger commands
# (init, ledger verify/history, members export, groups show/set)


# ----------------------------------------------------------------- matching / review commands
# (users, review, ingest)


if __name__ == "__main__":  # pragma: no cover
    main()
