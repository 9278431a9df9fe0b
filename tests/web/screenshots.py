"""Regenerate docs/screenshots/ (queue, item, refused match, reconciliation item, dashboard,
member page) in real Chromium.

`make screenshots`: a throw-away SQLite ledger with invented people, served on
127.0.0.1, signed in as a supervisor. Two weeks of invented files are ingested with
the audit clock set back a day at a time, so the dashboard has a history to draw.
Run from the repository root.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
import tempfile
from pathlib import Path
from unittest import mock

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from browserkit import chromium, served, sign_in  # noqa: E402
from webkit import BOB, NOW, Member, Person, Web, interchange  # noqa: E402

OUT = HERE.parents[1] / "docs" / "screenshots"
SURNAMES = ("EXAMPLEMAN", "SAMPLEDOE", "MOCKWELL", "TESTERLY", "FAKESON", "DUMMIT")
FIRSTS = ("ANA", "BEN", "CLEO", "DAN", "EVA", "FINN", "GUS", "HAL", "IVY", "JO")


def _history(web: Web, days: int = 14) -> None:
    """Invented files from two partners over the last `days` days: most members new, some
    look-alikes held for review, some Medicare referrals, now and then a set the validator
    rejects; a supervisor resolves held items a day or three later (some past the SLA)."""
    from ledger.desk import resolve
    from ledger.desk.users import Actor
    from ledger.ingest import ingest_file

    rng = random.Random(834)
    sam = Actor("sam", frozenset({"supervisor"}))
    people: list[Person] = []
    pending: list[tuple[dt.datetime, int]] = []
    n = 0
    for back in range(days - 1, 0, -1):
        when = NOW - dt.timedelta(days=back, hours=rng.randint(0, 6))
        with mock.patch("ledger.store.audit_log.utcnow", return_value=when), \
                mock.patch("ledger.desk.review.utcnow", return_value=when):  # fmt: skip
            for _, item in [p for p in pending if p[0] <= when]:
                resolve(web.url, sam, item, new_member=True)
            pending = [p for p in pending if p[0] > when]
            before = set(web.held())
            for k in range(rng.randint(1, 3)):
                members = []
                for _ in range(rng.randint(4, 12)):
                    n += 1
                    if people and n % 6 == 0:  # a look-alike: held for review
                        twin = rng.choice(people)
                        p = Person(twin.last, rng.choice(FIRSTS), twin.dob, "F")
                    else:
                        p = Person(rng.choice(SURNAMES), rng.choice(FIRSTS),
                                   dt.date(1950 + n % 50, 1 + n % 12, 1 + n % 28), "F",
                                   f"7{n:08d}")  # fmt: skip
                        people.append(p)
                    members.append(Member(p, f"H{n:05d}", ins06="C" if n % 13 == 0 else ""))
                web.n += 1
                text = interchange(members, control=web.n,
                                   sender="SENDER1" if k % 2 == 0 else "PARTNER2").decode()
                if rng.random() < 0.15:  # the validator rejects the set whole
                    text = re.sub(r"SE\*\d+\*0001", "SE*99*0001", text)
                path = web.tmp / f"h{web.n}.edi"
                path.write_text(text)
                ingest_file(web.url, path, actor="ops", received_at=when)
            for item in sorted(set(web.held()) - before):
                pending.append((when + dt.timedelta(hours=rng.choice((20, 30, 44, 60, 80))),
                                item))  # fmt: skip


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        web = Web(f"sqlite:///{Path(tmp) / 'ledger.db'}", Path(tmp))
        web.seed()
        ids = web.held()  # Alicia, the twin (72 h old), Fred
        web.ingest([Member(BOB, "S200")])
        web.full_file([Member(BOB, "S200")])  # Alice left out: a reconciliation item
        recon = web.held()[-1]
        _history(web)
        with served(web.app) as base, chromium(1280, 1000) as d:
            sign_in(d, base, "sam", web.codes["sam"])
            shots = [("queue", "/queues/review"), ("item", f"/items/{ids[1]}"),
                     ("reconciliation", f"/items/{recon}"), ("dashboard", "/dashboard"),
                     ("member", "/members/M000000001")]  # fmt: skip
            for name, path in shots:
                d.get(base + path)
                _shoot(d, name)
            d.delete_all_cookies()
            sign_in(d, base, "rita", web.codes["rita"])  # a reviewer refused on a conflict
            d.get(f"{base}/items/{ids[1]}")
            d.find_element("css selector", "section.candidate form.apply button").click()
            _shoot(d, "refused")


def _shoot(d: object, name: str) -> None:
    height = d.execute_script("return document.body.scrollHeight")  # type: ignore[attr-defined]
    d.set_window_size(1280, min(max(int(height) + 160, 600), 2600))  # type: ignore[attr-defined]
    d.save_screenshot(str(OUT / f"{name}.png"))  # type: ignore[attr-defined]
    print(OUT / f"{name}.png")


if __name__ == "__main__":
    main()
