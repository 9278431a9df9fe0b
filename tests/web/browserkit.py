"""Real Chromium against a real server: uvicorn on 127.0.0.1 (a free port) in a thread,
Selenium with Debian's chromium and chromium-driver (`.ci/run` installs both).

`served(web)` runs the app of a `webkit.Web` until the block ends; `chromium()` is a
headless browser whose failures to start skip the test, unless ENROLL834_REQUIRE_BROWSER
is set (CI), where they fail it.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
BROWSER = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: Any) -> Iterator[str]:
    """The app on http://127.0.0.1:<port> for the block (uvicorn in a thread)."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A headless Chromium driven by the system chromedriver."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:  # pragma: no cover - selenium is in the dev extra
        pytest.skip("selenium not installed")
    if not (os.path.exists(DRIVER) and os.path.exists(BROWSER)):
        if os.environ.get("ENROLL834_REQUIRE_BROWSER"):
            pytest.fail("ENROLL834_REQUIRE_BROWSER is set but chromium/chromedriver are missing")
        pytest.skip("chromium and chromium-driver not installed (apt-get install them)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = BROWSER
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--lang=en-US"):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(driver: Any, base: str, user: str, code: str) -> None:
    """Sign in with the keyboard only: type, Tab, type, Enter."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(f"{base}/signin")
    field = driver.find_element(By.ID, "user_id")
    field.send_keys(user)
    field.send_keys(Keys.TAB)
    driver.switch_to.active_element.send_keys(code, Keys.ENTER)
    wait_for(driver, lambda d: "/signin" not in d.current_url)


def wait_for(driver: Any, test: Any, seconds: float = 10) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, seconds).until(test)
