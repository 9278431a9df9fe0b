"""Structured logs that cannot carry PHI.

`configure()` sets structlog up once per process: JSON lines in production,
a readable console format on a terminal, always to stderr. The last
processor before rendering is `allow_list`: only keys named in
`ALLOWED_KEYS` survive, and only with scalar values; anything else is
dropped and counted in `redacted`. Exceptions are reduced to their type name
(their messages can quote input values). So a log call that passes a name or
an SSN by mistake loses that field instead of leaking it.

Bind context with `structlog.contextvars.bind_contextvars(run_id=..., ...)`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

ALLOWED_KEYS: frozenset[str] = frozenset(
    {
        "event",
        "level",
        "timestamp",
        "logger",
        "run_id",
        "worker",
        "user",
        "command",
        "file",
        "file_sha256",
        "interchange",
        "sender",
        "isa13",
        "gs06",
        "st02",
        "member_ordinal",
        "member_id",
        "review_id",
        "sponsor",
        "status",
        "outcome",
        "reason",
        "code",
        "x12_code",
        "severity",
        "segment_position",
        "set_position",
        "loop_id",
        "element",
        "queue",
        "count",
        "members",
        "transaction_sets",
        "applied",
        "new",
        "review",
        "referred",
        "rejected",
        "duplicate",
        "accepted",
        "seconds",
        "rate",
        "path_state",
        "exit_code",
        "error_type",
        "attempt",
        "quarantine_reason",
        # the web face: a request by its route template (never the URL as sent)
        "method",
        "route",
        "ms",
    }
)
_SCALARS = (int, float, bool, type(None))
_MAX_TEXT = 120


def _safe_value(key: str, value: Any) -> Any:
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, str) and len(value) <= _MAX_TEXT and "\n" not in value:
        return value
    return None


def allow_list(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: keep allowed keys with scalar values; reduce exceptions to their type."""
    exc = event_dict.pop("exc_info", None)
    event_dict.pop("exception", None)
    kept: dict[str, Any] = {}
    redacted = 0
    for key, value in event_dict.items():
        safe = _safe_value(key, value) if key in ALLOWED_KEYS else None
        if key in ALLOWED_KEYS and (safe is not None or value is None):
            kept[key] = safe
        else:
            redacted += 1
    if exc:
        error = (
            exc[1]
            if isinstance(exc, tuple)
            else (exc if isinstance(exc, BaseException) else sys.exc_info()[1])
        )
        if error is not None:
            kept["error_type"] = type(error).__name__
    if redacted:
        kept["redacted"] = redacted
    return kept


def configure(*, json: bool | None = None, level: str = "INFO", quiet: bool = False) -> None:
    """Configure structlog for this process (stderr; JSON unless stderr is a terminal)."""
    as_json = (not sys.stderr.isatty()) if json is None else json
    threshold = logging.WARNING if quiet else getattr(logging, level.upper(), logging.INFO)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            allow_list,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "enroll834") -> Any:
    """A bound structlog logger."""
    return structlog.get_logger(name)
