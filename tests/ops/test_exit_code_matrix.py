"""README's exit-code table against what every command does: each command is driven into each
failure class that can happen to it (0 ok, 1 data rejected or request refused, 2 usage,
75 database locked, 77 not permitted, 78 configuration), and every message is one line on
stderr without a traceback. `test_every_command_is_in_the_matrix` keeps the matrix whole:
a new command without its rows fails it."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import cli
from ledger.store.db import dispose
from tests.cli.desk834 import ALICE, BOB, Member, Person, interchange

ROOT = Path(__file__).resolve().parents[2]
TWIN = Person("TESTPERSON", "ALICE", ALICE.dob, "F", "555667777")
TWIN2 = Person("TESTPERSON", "ALICE", ALICE.dob, "F", "555668888")
CODES = {0, 1, 2, 75, 77, 78}
CODES_FOR = {
    # Commands without a database: no 75 or 77.
    "parse": {0, 1, 2, 78}, "validate": {0, 1, 2, 78}, "generate": {0, 2, 78},
    "config show": {0, 2, 78},
    # init signs nobody in (it creates the first administrator).
    "init": {0, 1, 2, 75, 78},
    # Reads with nothing to reject.
    "members export": {0, 2, 75, 77, 78}, "audit list": {0, 2, 75, 77, 78},
    "review list": {0, 2, 75, 77, 78}, "review sla": {0, 2, 75, 77, 78},
    "users list": {0, 2, 75, 77, 78},
    # serve runs until stopped (its pages are tested in tests/web): usage and configuration.
    "serve": {2, 78},
    # Reads and runs with nothing to reject in this world.
    "billing list": {0, 2, 75, 77, 78}, "billing aging": {0, 2, 75, 77, 78},
    "billing remind": {0, 2, 75, 77, 78},
    # Billing takes any sponsor id as a group (its own tests bill groups before members).
    "billing cycle": {0, 2, 75, 77, 78}, "billing run": {0, 2, 75, 77, 78},
    # Need a bill, an 820 or a reconciliation item to succeed (their tests: tests/ledger,
    # tests/cli): here the refusals only.
    "billing show": {1, 2, 75, 77, 78}, "billing remit": {1, 2, 75, 77, 78},
    "review decide": {1, 2, 75, 77, 78},
    # Listing the versions has nothing to reject.
    "matching models": {0, 2, 75, 77, 78},
}
"""The classes each command can meet; every other command meets all six."""


@dataclass(frozen=True)
class World:
    url: str
    dir: Path
    codes: dict[str, str]

    def env(self, user: str | None) -> dict[str, str]:
        env = {"ENROLL834_DATABASE_URL": self.url, "ENROLL834_DROPS__SETTLE_SECONDS": "0",
               "ENROLL834_DROPS__VALIDATOR": "none"}
        if user is not None:
            env |= {"ENROLL834_USER": user, "ENROLL834_ACCESS_CODE": self.codes[user]}
        return env


def _invoke(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        res = CliRunner().invoke(cli.main, args, env=env)
    finally:
        os.chdir(old)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from ledger.desk import auth

    saved = auth._N
    auth._N = 2**10  # cheap access-code hashing for the test accounts
    base = tmp_path_factory.mktemp("matrix")
    url = f"sqlite:///{base / 'l.db'}"
    clean = {k: "" for k in os.environ if k.startswith("ENROLL834_")}
    code, out, err = _invoke(["--db", url, "init", "--admin", "root", "--json"], clean, base)
    assert code == 0, err
    w = World(url, base, {"root": json.loads(out)["access_code"]})
    for name, role in (("ops", "operator"), ("rita", "reviewer"), ("aud", "auditor"),
                       ("temp", "reviewer")):
        code, out, err = _invoke(["users", "add", name, "--role", role, "--json"],
                                 clean | w.env("root"), base)
        assert code == 0, err
        w.codes[name] = json.loads(out)["access_code"]
    (base / "first.edi").write_bytes(interchange([Member(ALICE, "S100")], control=1))
    (base / "good.edi").write_bytes(interchange([Member(TWIN, "S500"), Member(TWIN2, "S501"),
                                                 Member(BOB, "S600")], control=2))
    (base / "junk.edi").write_bytes(b"not an interchange\n")
    (base / "groups.toml").write_text('[[groups]]\nsponsor_id = "991234567"\ncobra = "self"\n')
    (base / "nogroups.toml").write_text('[[groups]]\nname = "no sponsor id"\n')
    (base / "bad.toml").write_text("[drops]\npoll_seconds = -1\n")
    (base / "inbox").mkdir()
    (base / "rates.csv").write_text("sponsor,plan,level,from,to,monthly_rate\n" + "".join(
        f"991234567,{plan},{level},2026-01-01,,450.00\n"
        for plan in ("HLT", "PPO1") for level in ("EMP", "ESP", "ECH", "FAM", "E1D", "IND")))
    code, _, err = _invoke(["groups", "set", "991234567", "--cobra", "self"],
                           clean | w.env("root"), base)
    assert code == 0, err
    for name in ("first.edi", "good.edi"):
        code, _, err = _invoke(["ingest", str(base / name)], clean | w.env("ops"), base)
        assert code == 0, err
    code, out, _ = _invoke(["review", "list", "--json"], clean | w.env("rita"), base)
    items = [json.loads(x)["id"] for x in out.splitlines()]
    assert len(items) == 2, out  # the twin, held, and one more item to resolve below
    code, _, err = _invoke(["review", "resolve", str(items[1]), "--reject", "--reason", "test"],
                           clean | w.env("rita"), base)
    assert code == 0, err
    yield w
    auth._N = saved
    dispose()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("ENROLL834_"):
            monkeypatch.delenv(key)


def _open_item(w: World, made: list[int] = [100]) -> str:  # noqa: B006
    """An open review item (a new one is held when the cases before used them up)."""
    _, out, _ = _invoke(["review", "list", "--json"], w.env("rita"), w.dir)
    if not out.strip():
        made[0] += 1
        retiree = Person("RETIREE", f"NUMBER{made[0]}", ALICE.dob, "M", f"556{made[0]:06d}")
        path = w.dir / f"medicare{made[0]}.edi"  # Medicare: always referred to a person
        path.write_bytes(interchange([Member(retiree, f"S{made[0]}", ins06="C")],
                                     control=made[0]))
        code, _, err = _invoke(["ingest", str(path)], w.env("ops"), w.dir)
        assert code == 0, err
        _, out, _ = _invoke(["review", "list", "--json"], w.env("rita"), w.dir)
    return str(json.loads(out.splitlines()[0])["id"])


def _resolved_item(w: World) -> str:
    _, out, _ = _invoke(["audit", "list", "--json", "--action", "review.resolve"], w.env("aud"),
                        w.dir)
    return str(json.loads(out.splitlines()[0])["target"])


# ---------------------------------------------------------------- the rows
# command -> (user, args) that succeed (0) and that are rejected or refused (1).

OK: dict[str, tuple[str | None, list[str]]] = {
    "parse": (None, ["parse", "{dir}/good.edi"]),
    "validate": (None, ["validate", "{dir}/good.edi"]),
    "generate": (None, ["generate", "--members", "3", "--out", "{dir}/gen.edi"]),
    "config show": (None, ["config", "show"]),
    "init": (None, ["init"]),
    "ingest": ("ops", ["ingest", "{dir}/good.edi"]),
    "drops run": ("ops", ["drops", "run", "{dir}/inbox"]),
    "reconcile": ("ops", ["reconcile", "{dir}/good.edi", "--dry-run"]),
    "export834": ("ops", ["export834", "--sponsor", "991234567"]),
    "ledger verify": ("aud", ["ledger", "verify"]),
    "ledger history": ("rita", ["ledger", "history", "M000000001"]),
    "members export": ("rita", ["members", "export"]),
    "groups show": ("rita", ["groups", "show"]),
    "groups set": ("root", ["groups", "set", "991234567", "--cobra", "self"]),
    "groups load": ("root", ["groups", "load", "{dir}/groups.toml"]),
    "audit list": ("aud", ["audit", "list", "--limit", "1"]),
    "users add": ("root", ["users", "add", "u{n}", "--role", "reviewer"]),
    "users list": ("root", ["users", "list"]),
    "users grant": ("root", ["users", "grant", "rita", "reviewer"]),
    "users revoke": ("root", ["users", "revoke", "aud", "operator"]),
    "users reset-code": ("root", ["users", "reset-code", "aud"]),
    "users deactivate": ("root", ["users", "deactivate", "temp"]),
    "review list": ("rita", ["review", "list"]),
    "review show": ("rita", ["review", "show", "{item}"]),
    "review assign": ("rita", ["review", "assign", "{item}", "rita"]),
    "review resolve": ("rita", ["review", "resolve", "{item}", "--reject", "--reason", "test"]),
    "review sla": ("rita", ["review", "sla"]),
    "serve": (None, ["serve", "--port", "0"]),  # only driven into 2 and 78: it never returns
    "billing rates load": ("root", ["billing", "rates", "load", "{dir}/rates.csv"]),
    "billing cycle": ("root", ["billing", "cycle", "991234567", "--bill-day", "1",
                               "--due-day", "20"]),
    "billing run": ("ops", ["billing", "run", "--period", "2027-01", "--group", "991234567"]),
    "billing show": ("aud", ["billing", "show", "991234567-202701"]),
    "billing list": ("aud", ["billing", "list"]),
    "billing aging": ("aud", ["billing", "aging"]),
    "billing pay": ("ops", ["billing", "pay", "--group", "991234567", "--amount", "10.00",
                            "--reference", "R{n}"]),
    "billing remit": ("ops", ["billing", "remit", "{dir}/junk.edi"]),
    "billing remind": ("ops", ["billing", "remind"]),
    "billing commission": ("ops", ["billing", "commission", "--period", "2027-01"]),
    "groups contact": ("root", ["groups", "contact", "991234567", "--representative-name",
                                "Dana Reyes", "--representative-phone", "555-0100"]),
    "groups invite": ("root", ["groups", "invite", "991234567", "--address-line1", "1 Main St",
                               "--city", "Austin", "--state", "TX", "--postal-code", "78701"]),
    "review decide": ("rita", ["review", "decide", "999", "keep"]),
    "matching train": ("root", ["matching", "train", "--no-activate", "--sample", "10"]),
    "matching models": ("aud", ["matching", "models"]),
    "matching activate": ("root", ["matching", "activate", "0"]),
}

REJECTED: dict[str, tuple[str | None, list[str]]] = {
    "parse": (None, ["parse", "{dir}/junk.edi"]),
    "validate": (None, ["validate", "{dir}/junk.edi"]),
    "init": (None, ["init", "--admin", "bob"]),
    "ingest": ("ops", ["ingest", "{dir}/junk.edi"]),
    "drops run": ("ops", ["drops", "run", "{dir}/inbox"]),  # with junk.edi dropped in
    "reconcile": ("ops", ["reconcile", "{dir}/junk.edi"]),
    "export834": ("ops", ["export834", "--sponsor", "000000000"]),
    "ledger verify": ("aud", ["ledger", "verify"]),  # after a tampered row
    "ledger history": ("rita", ["ledger", "history", "M999999999"]),
    "groups show": ("rita", ["groups", "show", "000000000"]),
    "groups set": ("root", ["groups", "set", ""]),
    "groups load": ("root", ["groups", "load", "{dir}/nogroups.toml"]),
    "users add": ("root", ["users", "add", "rita", "--role", "reviewer"]),
    "users grant": ("root", ["users", "grant", "rita", "wizard"]),
    "users revoke": ("root", ["users", "revoke", "root", "administrator"]),
    "users reset-code": ("root", ["users", "reset-code", "nobody"]),
    "users deactivate": ("root", ["users", "deactivate", "root"]),
    "review show": ("rita", ["review", "show", "999"]),
    "review assign": ("rita", ["review", "assign", "999", "rita"]),
    "review resolve": ("rita", ["review", "resolve", "{resolved}", "--new-member"]),
    "billing rates load": ("root", ["billing", "rates", "load", "{dir}/groups.toml"]),
    "billing show": ("aud", ["billing", "show", "000000000-202701"]),
    "billing pay": ("ops", ["billing", "pay", "--group", "991234567", "--amount", "-1",
                            "--reference", "R{n}"]),
    "billing remit": ("ops", ["billing", "remit", "{dir}/junk.edi"]),
    "billing commission": ("ops", ["billing", "commission", "--period", "2027-13"]),
    "matching train": ("root", ["matching", "train", "--no-activate", "--file",
                                "{dir}/junk.edi"]),  # no member transaction in it
    "matching activate": ("root", ["matching", "activate", "9"]),  # no such version
    "groups contact": ("root", ["groups", "contact", "000000000", "--representative-name",
                                "Dana Reyes", "--representative-phone", "555-0100"]),
    "groups invite": ("root", ["groups", "invite", "000000000", "--address-line1", "1 Main St",
                               "--city", "Austin", "--state", "TX", "--postal-code", "78701"]),
    "review decide": ("rita", ["review", "decide", "999", "keep"]),
}


def _leaves(group: click.Group, pre: tuple[str, ...] = ()) -> Iterator[str]:
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from _leaves(cmd, (*pre, name))
        else:
            yield " ".join((*pre, name))


COMMANDS = sorted(_leaves(cli.main))
CASES = [(c, code) for c in COMMANDS for code in sorted(CODES_FOR.get(c, CODES))]


def _args(w: World, template: list[str], counter: list[int] = [0]) -> list[str]:  # noqa: B006
    counter[0] += 1
    out = []
    for a in template:
        if "{item}" in a:
            a = _open_item(w)
        if "{resolved}" in a:
            a = _resolved_item(w)
        out.append(a.replace("{dir}", str(w.dir)).replace("{n}", str(counter[0])))
    return out


def _usage_args(command: str) -> list[str]:
    return [*command.split(), "--no-such-option"]


@pytest.mark.parametrize(("command", "code"), CASES, ids=[f"{c}-{k}" for c, k in CASES])
def test_each_command_into_each_failure_class(world: World, command: str, code: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    w = world
    user, template = OK.get(command, (None, []))
    env = w.env(user)
    if code == 1:
        user, template = REJECTED[command]
        env = w.env(user)
        if command == "drops run":
            (w.dir / "inbox" / "junk.edi").write_bytes(b"not an interchange\n")
        if command == "ledger verify":
            _tamper(w)
    args = _args(w, template)
    if code == 2:
        args = _usage_args(command)
    elif code == 77:
        env = w.env(None) | {"ENROLL834_USER": "rita", "ENROLL834_ACCESS_CODE": "wrong"}
    elif code == 78:
        env = env | {"ENROLL834_CONFIG": str(w.dir / "bad.toml")}
    lock = None
    if code == 75:
        env = env | {"ENROLL834_LOCK_TIMEOUT_SECONDS": "0.2"}
        lock = sqlite3.connect(w.dir / "l.db", isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
    try:
        got, out, err = _invoke(args, env, w.dir)
    finally:
        if lock is not None:
            lock.rollback()
            lock.close()
        if command == "ledger verify" and code == 1:
            _untamper(w)
    assert got == code, f"{command} {args}: exit {got}, stderr {err!r}"
    assert "Traceback" not in out + err
    if code in (75, 77, 78):
        assert out == "" or command in ("drops run",), out  # stdout carries data only
        errors = [ln for ln in err.splitlines() if ln.startswith("Error:")]
        assert len(errors) == 1, err
    if code == 75:
        assert "retry" in err


# ---------------------------------------------------------------- a tampered ledger, undone


def _tamper(w: World) -> None:
    with sqlite3.connect(w.dir / "l.db") as db:
        db.execute("DROP TRIGGER IF EXISTS entries_no_update")
        db.execute("UPDATE entries SET decided_by = 'mallory' WHERE seq = 1")


def _untamper(w: World) -> None:
    with sqlite3.connect(w.dir / "l.db") as db:
        db.execute("UPDATE entries SET decided_by = 'auto' WHERE seq = 1")
        db.execute("CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries "
                   "BEGIN SELECT RAISE(ABORT, 'entries is append-only'); END")


# ---------------------------------------------------------------- the matrix is whole


def test_every_command_is_in_the_matrix() -> None:
    for command in COMMANDS:
        codes = CODES_FOR.get(command, CODES)
        assert command in OK, command
        assert (1 in codes) == (command in REJECTED), command


def test_readme_table_lists_exactly_these_codes() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    listed = {int(m) for m in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert listed == CODES
    assert all(f"{c}" in (cli.main.help or "") for c in CODES)
