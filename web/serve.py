"""`enroll834 serve`: the browser face on uvicorn (one process or several sharing the port),
or the client tour over a temporary ledger."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import uvicorn

from ledger.desk import users_exist
from ledger.settings import Settings
from web.app import SETTINGS_ENV, UVICORN_OPTIONS, create_app
from web.tour import tour_app


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8834,
          proxy_headers: bool = False, forwarded_allow_ips: str = "127.0.0.1",
          tour: bool = False, workers: int = 1) -> None:
    """Serve `create_app(settings)` until stopped. A database without its schema fails before
    listening (the command exits 78). With `workers` > 1, that many processes share the port,
    each building its app from these settings (`SETTINGS_ENV`, `app_from_environment`).
    With `tour`: the read-only client tour on generated data in a temporary ledger, removed
    afterwards, from one process (the configured database is not touched)."""
    options: dict[str, Any] = {
        "host": host, "port": port, "proxy_headers": proxy_headers,
        "forwarded_allow_ips": forwarded_allow_ips,
        "log_level": "info" if not settings.quiet else "warning", **UVICORN_OPTIONS,
    }  # fmt: skip
    if tour:
        with tempfile.TemporaryDirectory(prefix="enroll834-tour-") as tmp:
            uvicorn.run(tour_app(Path(tmp)), **options)
        return
    users_exist(settings.database_url)
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    os.environ[SETTINGS_ENV] = settings.model_dump_json()
    uvicorn.run("web.app:app_from_environment", factory=True, workers=workers, **options)
