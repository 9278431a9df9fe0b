"""Client-account test harness: two employer-group clients on top of the desk's `Web`
(staff users of every role), members in each group, and helpers to read a mailed letter.

Invented people and companies only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

from desk834 import ALICE, BOB, CARLA, Member, Person, interchange  # noqa: E402
from webkit import NOW, Web  # noqa: E402

from ledger.clients import Address, MailRoom, invite, set_group_contact  # noqa: E402
from ledger.desk.users import Actor  # noqa: E402
from ledger.ingest import ingest_file  # noqa: E402
from ledger.store import engine, set_group  # noqa: E402
from ledger.store import schema as t  # noqa: E402

ACME, BETA = "991234567", "887654321"
ROOT = Actor("root", frozenset({"administrator"}))
OLGA = Actor("olga", frozenset({"operator"}))
DORA = Person("EXAMPLEPERSON", "DORA", dt.date(1975, 3, 4), "F", "222334444")
"""Beta's employee."""
CODE = re.compile(r"Access code\s+([A-Z0-9]{4}(?:-[A-Z0-9]{4}){3})")
USER = re.compile(r"User ID\s+(\S+)")
PASSWORD = "Quartz-Lantern-Meadow-42"


def letter_text(path: Path) -> str:
    """The letter's text (poppler's pdftotext)."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip


def read_letter(path: Path) -> tuple[str, str]:
    """(user ID, access code) as printed in the letter."""
    text = letter_text(path)
    u, c = USER.search(text), CODE.search(text)
    assert u and c, text
    return u.group(1), c.group(1)


class Clients:
    """Groups Acme (bill-and-collect COBRA, Alice + Bob + Carla) and Beta (self COBRA, Dora),
    each with a representative contact; `invite` makes a client and reads its letter."""

    def __init__(self, web: Web) -> None:
        self.web = web
        self.mail = MailRoom(web.tmp / "mail-room", "https://enroll.example/signin")
        web.config = dataclasses.replace(web.config, mail_room=str(self.mail.folder),
                                         site_url=self.mail.site)  # fmt: skip
        web.app.state.config = web.config
        with engine(web.url).begin() as conn:
            set_group(conn, ACME, user="root", name="Acme Tool and Die", cobra="bill_and_collect")
            set_group(conn, BETA, user="root", name="Beta Bakery", cobra="self")
        set_group_contact(web.url, ROOT, ACME, representative_name="Dana Reyes",
                          representative_phone="555-0100")
        set_group_contact(web.url, ROOT, BETA, representative_name="Evan Stone",
                          representative_phone="555-0199")
        self.ingest([Member(ALICE, "S100"), Member(BOB, "S100", relationship="01"),
                     Member(CARLA, "S100", relationship="19")], ACME)  # fmt: skip
        self.ingest([Member(DORA, "S900")], BETA)

    def ingest(self, members: list[Member], sponsor: str, at: dt.datetime = NOW) -> dict[str, Any]:
        self.web.n += 1
        path = self.web.tmp / f"c{self.web.n}.edi"
        path.write_bytes(interchange(members, control=self.web.n, sponsor=sponsor))
        return ingest_file(self.web.url, path, actor="ops", received_at=at).to_json()

    def invite(self, sponsor: str, by: Actor = OLGA) -> tuple[str, str, Path]:
        """(user ID, code, letter) of the client administrator of `sponsor`."""
        inv = invite(self.web.url, by, sponsor, self.mail,
                     address=Address("Accounts Payable", "100 Foundry Way", "Greywater", "TX",
                                     "83921"))  # fmt: skip
        user, code = read_letter(inv.letter)
        assert user == inv.user_id
        return user, code, inv.letter

    def member_id(self, ssn: str) -> str:
        mi = t.member_identifiers
        with engine(self.web.url).connect() as conn:
            return str(conn.execute(sa.select(mi.c.member_id).where(
                mi.c.type == "ssn", mi.c.value == ssn)).scalar())  # fmt: skip
