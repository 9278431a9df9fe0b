"""Regenerate docs/screenshots/ (queue, item, dashboard-less desk pages) in real Chromium.

`make screenshots`: a throw-away SQLite ledger with invented people, served on
127.0.0.1, signed in as a supervisor; PNGs of the review queue, an item and the
member page. Run from the repository root.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from browserkit import chromium, served, sign_in  # noqa: E402
from webkit import Web  # noqa: E402

OUT = HERE.parents[1] / "docs" / "screenshots"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        web = Web(f"sqlite:///{Path(tmp) / 'ledger.db'}", Path(tmp))
        ids = web.seed()
        with served(web.app) as base, chromium(1280, 1000) as d:
            sign_in(d, base, "sam", web.codes["sam"])
            for name, path in (("queue", "/queues/review"), ("item", f"/items/{ids[0]}"),
                               ("member", "/members/M000000001")):  # fmt: skip
                d.get(base + path)
                height = d.execute_script("return document.body.scrollHeight")
                d.set_window_size(1280, min(max(int(height) + 40, 600), 2400))
                d.save_screenshot(str(OUT / f"{name}.png"))
                print(OUT / f"{name}.png")


if __name__ == "__main__":
    main()
