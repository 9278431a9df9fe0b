"""Synthetic 834 snippets for the review-desk and rules tests (invented people only).

`member(...)` builds one 2000 loop; `interchange(...)` wraps member loops in
ISA/GS/ST..SE/GE/IEA with correct counts. Dates default relative to today so
the ledger's retro/future window never holds them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

TODAY = dt.date.today()
BEGIN = TODAY.replace(day=1)
"""Coverage begin used by default: the first of this month (inside the retro window)."""


def d8(d: dt.date) -> str:
    return d.strftime("%Y%m%d")


@dataclass(frozen=True)
class Person:
    last: str
    first: str
    dob: dt.date
    gender: str = "F"
    ssn: str = ""
    middle: str = ""


@dataclass
class Member:
    """One member loop's inputs (see `member`)."""

    person: Person
    subscriber_number: str
    relationship: str = "18"
    ins03: str = "021"
    ins04: str = "28"
    ins05: str = "A"
    ins06: str = ""
    ins07: str = ""
    """COBRA qualifying event; defaults to 1 (termination of employment) when ins05 is C."""
    hd: list[tuple[str, str]] = field(default_factory=lambda: [("021", "HLT")])
    begin: dt.date = BEGIN
    refs: list[tuple[str, str]] = field(default_factory=list)
    dtps: list[tuple[str, dt.date]] = field(default_factory=list)
    old: Person | None = None
    address: tuple[str, str, str, str] = ("12 INVENTED LANE", "FAKETOWN", "PA", "17001")
    hd_end: dt.date | None = None


def member(m: Member) -> list[str]:
    """The segments of one 2000 loop (INS .. 2300) for `m`."""
    p = m.person
    sub = "Y" if m.relationship == "18" else "N"
    ins07 = m.ins07 or ("1" if m.ins05 == "C" else "")
    ins = f"INS*{sub}*{m.relationship}*{m.ins03}*{m.ins04}*{m.ins05}*{m.ins06}*{ins07}"
    ins += "*FT" if sub == "Y" else ""
    segs = [ins, f"REF*0F*{m.subscriber_number}"]
    segs += [f"REF*{q}*{v}" for q, v in m.refs]
    segs += [f"DTP*{q}*D8*{d8(d)}" for q, d in m.dtps]
    nm1 = f"NM1*IL*1*{p.last}*{p.first}*{p.middle}"
    if p.ssn:
        nm1 += f"***34*{p.ssn}"
    segs.append(nm1)
    line1, city, state, zipc = m.address
    segs += [f"N3*{line1}", f"N4*{city}*{state}*{zipc}", f"DMG*D8*{d8(p.dob)}*{p.gender}"]
    if m.old is not None:
        o = m.old
        old = f"NM1*70*1*{o.last}*{o.first}*{o.middle}"
        if o.ssn:
            old += f"***34*{o.ssn}"
        segs += [old, f"DMG*D8*{d8(o.dob)}*{o.gender}"]
    for hd01, line in m.hd:
        segs.append(f"HD*{hd01}**{line}**FAM")
        if hd01 == "024":
            segs.append(f"DTP*349*D8*{d8(m.hd_end or TODAY)}")
        else:
            segs.append(f"DTP*348*D8*{d8(m.begin)}")
    # X12 writes no trailing empty elements (validators reject them).
    return [seg.rstrip("*") for seg in segs]


def interchange(
    members: list[Member],
    *,
    control: int = 1,
    sponsor: str = "991234567",
    sender: str = "SENDER1",
    set_control: str = "0001",
) -> bytes:
    """A complete 5010 834 interchange holding `members` in one transaction set."""
    now = dt.datetime.now()
    body = [
        f"ST*834*{set_control}*005010X220A1",
        f"BGN*00*REF{control}*{d8(TODAY)}*1200****2",
        f"N1*P5*INVENTED EMPLOYER*FI*{sponsor}",
        "N1*IN*SYNTHETIC PLAN*FI*990000001",
    ]
    for m in members:
        body += member(m)
    body.append(f"SE*{len(body) + 1}*{set_control}")
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender:<15}*ZZ*{'SYNTHPAYER':<15}*"
        f"{now:%y%m%d}*{now:%H%M}*^*00501*{control:09d}*0*P*:"
    )
    segs = [
        isa,
        f"GS*BE*{sender}*SYNTHPAYER*{d8(TODAY)}*{now:%H%M}*{control}*X*005010X220A1",
        *body,
        f"GE*1*{control}",
        f"IEA*1*{control:09d}",
    ]
    return ("~\n".join(segs) + "~\n").encode()


# A small cast of invented people, reused across tests.
ALICE = Person("TESTPERSON", "ALICE", dt.date(1980, 1, 2), "F", "111223333")
BOB = Person("TESTPERSON", "BOB", dt.date(1979, 5, 6), "M", "111224444")
CARLA = Person("TESTPERSON", "CARLA", dt.date(2012, 7, 8), "F")
DAVE = Person("EXAMPLEMAN", "DAVE", dt.date(1975, 3, 4), "M", "222334444")
ERIN = Person("EXAMPLEMAN", "ERIN", dt.date(2010, 9, 10), "F")
FRED = Person("SAMPLEDOE", "FRED", dt.date(1950, 2, 3), "M", "333445555")
GINA = Person("MOCKWELL", "GINA", dt.date(1985, 11, 12), "F", "444556666")


# ---------------------------------------------------------------- CLI harness


@pytest.fixture(autouse=True)
def desk_test_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Hash new access codes at a low scrypt cost (same format and check, faster tests),
    and close pooled connections after the test.

    Import it into a test module to use it; a test that checks the production
    cost sets `ledger.desk.auth._N` back itself.
    """
    from ledger.desk import auth
    from ledger.store.db import dispose

    monkeypatch.setattr(auth, "_N", 2**10)
    yield
    dispose()


class Desk:
    """A database with an administrator, driven through the CLI as named users.

    `run(user, *args)` invokes `enroll834 <args>` as `user` (the access code
    goes in ENROLL834_ACCESS_CODE); `codes` holds every user's access code.
    """

    def __init__(self, url: str, tmp: object) -> None:
        from pathlib import Path

        from click.testing import CliRunner

        self.url = url
        self.tmp = Path(str(tmp))
        self.runner = CliRunner()
        self.codes: dict[str, str] = {}
        self.files = 0
        res = self.runner.invoke(_main(), ["--db", url, "init", "--admin", "root", "--json"])
        assert res.exit_code == 0, res.output
        import json

        self.codes["root"] = json.loads(res.stdout)["access_code"]

    def run(self, user: str | None, *args: str, code: str | None = None, input: str | None = None,
            env: dict[str, str] | None = None):
        full_env = {"ENROLL834_USER": "", "ENROLL834_ACCESS_CODE": "",
                    "ENROLL834_ACCESS_CODE_FILE": ""}
        if user is not None:
            full_env["ENROLL834_USER"] = user
            full_env["ENROLL834_ACCESS_CODE"] = code if code is not None else self.codes[user]
        full_env.update(env or {})
        return self.runner.invoke(_main(), ["--db", self.url, *args], env=full_env, input=input)

    def add_user(self, name: str, *roles: str) -> str:
        import json

        args = ["users", "add", name, "--json"]
        for r in roles:
            args += ["--role", r]
        res = self.run("root", *args)
        assert res.exit_code == 0, res.output
        self.codes[name] = json.loads(res.stdout)["access_code"]
        return self.codes[name]

    def ingest(self, members: list[Member], user: str = "ops", **kw: object) -> dict:
        import json

        self.files += 1
        path = self.tmp / f"in{self.files}.edi"
        path.write_bytes(interchange(members, control=self.files, **kw))  # type: ignore[arg-type]
        res = self.run(user, "ingest", str(path), "--json")
        assert res.exit_code in (0, 1), res.output
        return json.loads(res.stdout)

    def items(self, user: str = "rita", *extra: str) -> list[dict]:
        import json

        res = self.run(user, "review", "list", "--json", *extra)
        assert res.exit_code == 0, res.output
        return [json.loads(line) for line in res.stdout.splitlines() if line.strip()]

    def audit(self) -> list[dict]:
        import json

        import sqlalchemy as sa

        from ledger.store import schema as t
        from ledger.store.db import engine

        with engine(self.url).connect() as conn:
            rows = conn.execute(sa.select(t.audit_log).order_by(t.audit_log.c.seq))
            return [
                {"user": r.user_id, "action": r.action, "target": r.target,
                 "details": json.loads(r.details)}
                for r in rows
            ]


def _main():
    from cli import main

    return main
