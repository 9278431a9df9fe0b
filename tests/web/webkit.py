"""A web-face test harness: a ledger with one user per role and held items, and signed-in
TestClients that send the page's CSRF token the way the browser's forms do.

Invented people only (the desk834 cast).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

from desk834 import ALICE, BOB, CARLA, FRED, Member, Person, interchange  # noqa: E402, F401

from ledger.desk import add_user  # noqa: E402
from ledger.desk.auth import initialise  # noqa: E402
from ledger.desk.sessions import SessionPolicy  # noqa: E402
from ledger.desk.users import Actor  # noqa: E402
from ledger.ingest import ingest_file  # noqa: E402
from ledger.store import engine  # noqa: E402
from ledger.store import schema as t  # noqa: E402
from web import create_app  # noqa: E402
from web.security import WebConfig  # noqa: E402

NOW = dt.datetime.now(dt.UTC)
ALICIA = Person("TESTPERSON", "ALICIA", ALICE.dob, "F")
"""Alice's birth date and surname, another first name, no SSN: held for review."""
TWIN = Person("TESTPERSON", "ALICE", ALICE.dob, "F", "555667777")
"""Alice's name and birth date with another SSN: a conflict, held for review."""

ROLES = {
    "root": ("administrator",),
    "rita": ("reviewer",),
    "ray": ("reviewer",),
    "sam": ("supervisor",),
    "aud": ("auditor",),
    "olga": ("operator",),
    "svc": ("service",),
    "phil": ("reviewer", "show_phi"),
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Web:
    """A ledger with users of every role and a TestClient app over it."""

    def __init__(self, url: str, tmp: Path, policy: SessionPolicy | None = None,
                 outbox: Path | None = None) -> None:  # fmt: skip
        self.url, self.tmp, self.n = url, tmp, 0
        self.codes: dict[str, str] = {}
        self.codes["root"] = initialise(url, "root") or ""
        root = Actor("root", frozenset({"administrator", "show_phi"}))
        for user, roles in ROLES.items():
            if user != "root":
                self.codes[user] = add_user(url, root, user, list(roles))
        self.outbox = outbox or tmp / "outbox"
        self.config = WebConfig(url=url, policy=policy or SessionPolicy(),
                                outbox=str(self.outbox))  # fmt: skip
        self.app = create_app(config=self.config)

    def ingest(self, members: list[Member], received_at: dt.datetime = NOW) -> dict[str, Any]:
        self.n += 1
        path = self.tmp / f"f{self.n}.edi"
        path.write_bytes(interchange(members, control=self.n))
        return ingest_file(self.url, path, actor="ops", received_at=received_at).to_json()

    def full_file(self, members: list[Member], received_at: dt.datetime = NOW) -> dict[str, Any]:
        """Ingest `members` as a verify full file (BGN08 4, INS03 and HD01 030)."""
        self.n += 1
        text = interchange(members, control=self.n).decode()
        text = text.replace("****2~", "****4~").replace("*021*28*", "*030*28*")
        path = self.tmp / f"f{self.n}.edi"
        path.write_bytes(text.replace("HD*021*", "HD*030*").encode())
        return ingest_file(self.url, path, actor="ops", received_at=received_at).to_json()

    def held(self) -> list[int]:
        """Ids of open review items, by id."""
        with engine(self.url).connect() as conn:
            ri = t.review_items
            return [r.id for r in conn.execute(
                sa.select(ri.c.id).where(ri.c.status != "resolved").order_by(ri.c.id))]

    def seed(self) -> list[int]:
        """Alice in the ledger; two items held against her (an uncertain name, an SSN conflict)
        and one Medicare referral."""
        assert self.ingest([Member(ALICE, "S100")])["members"]["new"] == 1
        self.ingest([Member(ALICIA, "S500")])
        self.ingest([Member(TWIN, "S600")], NOW - dt.timedelta(hours=72))
        self.ingest([Member(FRED, "S300", ins06="C")])
        return self.held()

    def unassign(self, item_id: int) -> None:
        """Put an item back in the queue, unassigned (so the next walker may take it)."""
        with engine(self.url).begin() as conn:
            conn.execute(t.review_items.update().where(t.review_items.c.id == item_id)
                         .values(assignee=None, status="open"))

    def audit(self, action: str, **where: str) -> list[Any]:
        a = t.audit_log
        q = sa.select(a).where(a.c.action == action)
        for k, v in where.items():
            q = q.where(getattr(a.c, k) == v)
        with engine(self.url).connect() as conn:
            return list(conn.execute(q.order_by(a.c.seq)))

    def client(self) -> TestClient:
        return TestClient(self.app, follow_redirects=False)

    def signin(self, user: str, code: str | None = None) -> Browser:
        b = Browser(self.client())
        r = b.signin(user, self.codes.get(user, "x") if code is None else code)
        assert r.status_code == 303, (user, r.status_code, r.text[:300])
        return b


class Browser:
    """A TestClient that posts forms with the CSRF token of the last page it read."""

    def __init__(self, client: TestClient) -> None:
        self.c = client
        self.csrf = ""

    def get(self, path: str, **kw: Any) -> Any:
        r = self.c.get(path, **kw)
        m = CSRF.search(r.text)
        if m and r.status_code == 200:
            self.csrf = m.group(1)
        return r

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True,
             **kw: Any) -> Any:  # fmt: skip
        body = dict(data or {})
        if csrf:
            if not self.csrf:
                self.get("/account")
            body["csrf_token"] = self.csrf
        return self.c.post(path, data=body, **kw)

    def signin(self, user: str, code: str) -> Any:
        page = self.c.get("/signin")
        m = CSRF.search(page.text)
        assert m
        return self.c.post("/signin", data={"csrf_token": m.group(1), "user_id": user,
                                            "access_code": code})


def api_routes(app: object) -> list[APIRoute]:
    """Every APIRoute of the app, also inside included routers (newer FastAPI keeps them
    as `_IncludedRouter` entries of `app.routes`)."""
    out: list[APIRoute] = []
    for r in app.routes:  # type: ignore[attr-defined]
        inner = getattr(r, "original_router", None)
        out.extend(x for x in (inner.routes if inner is not None else [r]) if isinstance(x, APIRoute))
    return out
