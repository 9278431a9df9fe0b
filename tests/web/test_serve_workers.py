"""`serve --workers N`: N processes on one port, each built from the command's effective
settings; a session started through one is honoured by the others (sessions live in the
database)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from cli import main
from ledger.desk import add_user
from ledger.desk.auth import initialise
from ledger.desk.users import Actor
from ledger.settings import load_settings
from web.app import SETTINGS_ENV, app_from_environment

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_a_worker_builds_its_app_from_the_settings_it_is_handed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    settings = load_settings(None, {"database_url": url, "quiet": True})
    monkeypatch.setenv(SETTINGS_ENV, settings.model_dump_json())
    app = app_from_environment()
    assert app.state.config.url == url
    assert app.state.config.settings == settings


def test_the_tour_is_one_process() -> None:
    res = CliRunner().invoke(main, ["serve", "--tour", "--workers", "2"])
    assert res.exit_code == 2 and "one process" in res.output


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_two_workers_serve_one_port_and_share_sessions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    initialise(url, "root")
    code = add_user(url, Actor("root", frozenset({"administrator"})), "rita", ["reviewer"])
    port = _port()
    exe = Path(sys.executable).with_name("enroll834")
    env = {**os.environ, "ENROLL834_CONFIG": "", "ENROLL834_USER": ""}
    server = subprocess.Popen(
        [str(exe), "--quiet", "--db", url, "serve", "--port", str(port), "--workers", "2"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/signin", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, "no server"
            time.sleep(0.3)
        pids = set()
        with httpx.Client(base_url=base, follow_redirects=False, timeout=10) as c:
            token = CSRF.search(c.get("/signin").text)
            assert token
            r = c.post("/signin", data={"csrf_token": token.group(1), "user_id": "rita",
                                        "access_code": code})  # fmt: skip
            assert r.status_code == 303
            # new connections land on either process; every one knows the session
            for _ in range(12):
                with httpx.Client(base_url=base, cookies=c.cookies, timeout=10) as other:
                    page = other.get("/queues/review")
                    assert page.status_code == 200 and "Nothing waiting" in page.text
        children = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                                  text=True).stdout.split()  # fmt: skip
        pids.update(children)
        assert len(pids) >= 2, "two worker processes"
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert b"Traceback" not in err
