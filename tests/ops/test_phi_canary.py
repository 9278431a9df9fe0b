"""No PHI in any log line, exception message, error report, quarantine reason file, claim
record or command output: canary values go through every path, failures included, and
must never come out (the archived input itself is the only place they may be)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import cli
from ledger.drops.claims import drop_claims
from ledger.store.db import upgrade
from tests.ops import opskit


def _texts_of_drop(drop: Path) -> list[str]:
    """Everything a drop run wrote for people to read: outbox and reason files."""
    out = [p.read_text(errors="replace") for p in (drop / "outbox").rglob("*") if p.is_file()]
    out += [p.read_text() for p in (drop / "quarantine").rglob("*.reason.txt")]
    return out


def _claims_text(url: str) -> str:
    with sa.create_engine(url).connect() as c:
        return json.dumps([dict(r._mapping) for r in c.execute(sa.select(drop_claims))],
                          default=str)


def _audit_text(url: str) -> str:
    from ledger.store import schema as t

    with sa.create_engine(url).connect() as c:
        return json.dumps([dict(r._mapping) for r in c.execute(sa.select(t.audit_log))],
                          default=str)


def _assert_clean(*texts: str) -> None:
    for canary in opskit.CANARIES:
        hits = [t for t in texts if canary in t]
        assert not hits, f"canary {canary!r} leaked into: {hits[0][:300]!r}"


def _drops_cli(db_url: str, inbox: Path, *extra: str, env: dict[str, str] | None = None):
    runner = CliRunner(env=env)
    return runner.invoke(cli.main, ["--log-format", "json", "--db", db_url, *extra, "drops",
                                    "run", str(inbox), "--once", "--json"])


def test_canaries_through_every_drop_path(db_url, tmp_path, monkeypatch) -> None:
    for key in ("ENROLL834_USER", "ENROLL834_ACCESS_CODE", "ENROLL834_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    cfg = tmp_path / "enroll834.toml"
    cfg.write_text('[drops]\nsettle_seconds = 0\nvalidator = "pyx12"\n' + opskit.TOML_PARTNERS)
    inbox = opskit.make_drop(tmp_path, {
        "good.edi": opskit.canary_edi(),
        "bad-member.edi": opskit.canary_edi(bad=True, isa13="000000102"),
        "cut.edi": opskit.canary_edi(isa13="000000103", truncate_after=14),
        "reused.edi": opskit.canary_edi(isa13="000000101", st02="0009"),
        "stranger.edi": opskit.canary_edi(isa13="000000104", sender="STRANGER"),
    })  # fmt: skip
    upgrade(db_url)
    result = _drops_cli(db_url, inbox, "--config", str(cfg))
    assert result.exit_code == 1, result.output
    outcomes = {json.loads(line).get("file"): json.loads(line)
                for line in result.stdout.splitlines()}
    assert outcomes["good.edi"]["disposition"] == "archive"
    assert outcomes["bad-member.edi"]["members"]["rejected"] == 1
    assert outcomes["reused.edi"]["reason"] == "control_number_reused"
    _assert_clean(result.stdout, result.stderr, *_texts_of_drop(tmp_path / "drop"),
                  _claims_text(db_url), _audit_text(db_url))

    # The same sender is unknown once partners are strict.
    strict = tmp_path / "strict.toml"
    strict.write_text(cfg.read_text().replace("[drops]\n", "[drops]\nstrict_partners = true\n"))
    (inbox / "stranger2.edi").write_bytes(opskit.canary_edi(isa13="000000105", sender="X7"))
    result = _drops_cli(db_url, inbox, "--config", str(strict))
    assert json.loads(result.stdout.splitlines()[0])["reason"] == "unknown_sender"
    _assert_clean(result.stdout, result.stderr, *_texts_of_drop(tmp_path / "drop"))


def test_canaries_in_failures_never_reach_logs_or_errors(tmp_path, monkeypatch) -> None:
    """A defect whose exception message quotes member data, and a database error carrying
    the statement and its parameters: only type names may come out."""
    import ledger.ingest

    url = f"sqlite:///{tmp_path / 'l.db'}"
    upgrade(url)
    inbox = opskit.make_drop(tmp_path, {"boom.edi": opskit.canary_edi()})

    def exploding(*_a, **_kw):
        raise ValueError(f"cannot place {opskit.CANARY_LAST} {opskit.CANARY_SSN}")

    monkeypatch.setattr(ledger.ingest, "_default_decider", lambda *_: exploding)
    result = _drops_cli(url, inbox)
    [outcome] = [json.loads(line) for line in result.stdout.splitlines()][:1]
    assert outcome["reason"] == "internal_error"
    assert "ValueError" in result.stderr
    _assert_clean(result.stdout, result.stderr, *_texts_of_drop(tmp_path / "drop"),
                  _claims_text(url))

    def db_down(*_a, **_kw):
        raise sa.exc.OperationalError(
            f"UPDATE demographics SET last='{opskit.CANARY_LAST}'", {"ssn": opskit.CANARY_SSN},
            Exception(f"server closed the connection while sending {opskit.CANARY_SSN}"))

    monkeypatch.setattr(ledger.ingest, "_default_decider", lambda *_: db_down)
    (inbox / "down.edi").write_bytes(opskit.canary_edi(isa13="000000201"))
    result = _drops_cli(url, inbox)
    assert result.exit_code == 75
    assert "temporary" in result.stderr
    _assert_clean(result.output, result.stderr, *_texts_of_drop(tmp_path / "drop"))


def test_canaries_in_cli_data_errors(tmp_path, monkeypatch) -> None:
    """Configuration mistakes that quote a canary are reported by key, not by value."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "enroll834.toml").write_text(
        f'[[partners]]\nsender_id = "A"\nduplicate_policy = "{opskit.CANARY_SSN}"\n'
        f'nickname = "{opskit.CANARY_LAST}"\n')
    result = CliRunner().invoke(cli.main, ["config", "show"])
    assert result.exit_code == 78
    _assert_clean(result.output, result.stderr)


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_log_lines_hold_context_but_no_phi(tmp_path, fmt) -> None:
    url = f"sqlite:///{tmp_path / 'l.db'}"
    upgrade(url)
    inbox = opskit.make_drop(tmp_path, {"good.edi": opskit.canary_edi()})
    result = CliRunner().invoke(cli.main, ["--log-format", fmt, "--db", url, "drops", "run",
                                           str(inbox), "--once"])
    assert result.exit_code == 0, result.output
    assert "run_id" in result.stderr and "st02" in result.stderr and "isa13" in result.stderr
    _assert_clean(result.stdout, result.stderr)
    if fmt == "json":
        lines = [json.loads(x) for x in result.stderr.splitlines() if x.startswith("{")]
        tx = [x for x in lines if x["event"] == "transaction_set"]
        assert tx and tx[0]["st02"] == "0001" and tx[0]["interchange"].endswith("/000000101")
        assert tx[0]["member_ordinal"] == 2


# ---------------------------------------------------------------- the web face


def _full_file(members: list[list[str]], isa13: str) -> bytes:
    """`members` as a verify full file (BGN08 4, INS03 and HD01 030)."""
    text = opskit.edi(members, isa13=isa13).decode()
    return (text.replace("****2~", "****4~").replace("INS*Y*18*021", "INS*Y*18*030")
            .replace("HD*021*", "HD*030*").encode())  # fmt: skip


def test_canaries_through_every_web_page_and_error_path(tmp_path, capfd, monkeypatch) -> None:
    """The browser face served as `enroll834 serve` serves it (uvicorn, info logs): canary
    values in the ledger, in forms, in URLs typed by hand and in a failure's message never
    reach a log line, a URL, a redirect or an error page (the pages that show a member to a
    signed-in reviewer may show them)."""
    import re
    import sys
    import threading
    import time

    import httpx
    import uvicorn

    from ledger.desk import auth
    from ledger.ingest import ingest_file
    from web.app import UVICORN_OPTIONS

    sys.path.insert(0, str(opskit.ROOT / "tests" / "web"))
    from browserkit import _free_port
    from webkit import CSRF, Web

    from edi.logs import configure

    configure(json=True)  # as `enroll834 serve` does; to the stderr this test captures
    monkeypatch.setattr(auth, "_N", 2**10)
    url = f"sqlite:///{tmp_path / 'l.db'}"
    upgrade(url)
    web = Web(url, tmp_path)
    import datetime as dt

    begin = dt.date.today().strftime("%Y%m%d")  # inside the ledger's date window
    canary = {"last": opskit.CANARY_LAST, "first": opskit.CANARY_FIRST, "ssn": opskit.CANARY_SSN,
              "dob": opskit.CANARY_DOB, "street": opskit.CANARY_STREET,
              "city": opskit.CANARY_CITY, "begin": begin}  # fmt: skip
    files = {
        "canary.edi": opskit.edi([opskit.member("700000001", begin=begin),
                                  opskit.member("700000002", **canary)]),  # type: ignore[arg-type]
        # the canary's surname and birth date, another SSN: held for review against her
        "lookalike.edi": opskit.edi([opskit.member("700000003", last=opskit.CANARY_LAST,
                                                   dob=opskit.CANARY_DOB, begin=begin)],
                                    isa13="000000102"),  # fmt: skip
        # a verify full file that moved her: a reconciliation item holding the file's loop
        "full.edi": _full_file([opskit.member("700000001", begin=begin), opskit.member(
            "700000002", **{**canary, "street": "9 MOVED ST"})], "000000103"),  # type: ignore[arg-type]
    }  # fmt: skip
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        ingest_file(url, tmp_path / name, actor="ops")
    items = web.held()
    assert len(items) >= 2
    from ledger.store import schema as t

    with sa.create_engine(url).connect() as conn:
        canary_id = conn.execute(sa.select(t.members.c.member_id).where(
            t.members.c.subscriber_number == "700000002")).scalar_one()  # fmt: skip

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(web.app, host="127.0.0.1", port=port,
                                           log_level="info", **UVICORN_OPTIONS))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    seen: list[httpx.Response] = []
    try:
        def session(user: str) -> tuple[httpx.Client, str]:
            c = httpx.Client(base_url=f"http://127.0.0.1:{port}", follow_redirects=False,
                             event_hooks={"response": [lambda r: seen.append(r)]})
            token = CSRF.search(c.get("/signin").text).group(1)  # type: ignore[union-attr]
            c.post("/signin", data={"csrf_token": token, "user_id": user,
                                    "access_code": web.codes[user]})  # fmt: skip
            return c, CSRF.search(c.get("/account").text).group(1)  # type: ignore[union-attr]

        c = opskit
        phil, phil_csrf = session("phil")
        sam, sam_csrf = session("sam")
        for path in ("/queues/review", "/queues/medicare", "/queues/supervisor",
                     "/queues/reconciliation", "/search", "/account", f"/members/{canary_id}",
                     *(f"/items/{i}" for i in items), *(f"/items/{i}?reveal=true" for i in items)):
            assert phil.get(path).status_code == 200, path
        for path in ("/dashboard", "/dashboard/days.csv", "/dashboard/partners.csv", "/verify"):
            assert sam.get(path).status_code == 200, path
        for form in ({"last": c.CANARY_LAST, "birth_date": "1958-03-17"},
                     {"ssn_last4": c.CANARY_SSN[-4:]}, {"subscriber_number": "700000002"},
                     {"birth_date": c.CANARY_LAST}):
            phil.post("/search", data={**form, "csrf_token": phil_csrf})
        item = items[0]
        for path, form in ((f"/items/{item}/score", {"member_id": c.CANARY_SSN}),
                           (f"/items/{item}/score", {"member_id": c.CANARY_LAST}),
                           (f"/items/{item}/resolve", {"decision": "match",
                                                       "member_id": c.CANARY_SSN}),
                           (f"/items/{item}/resolve", {"decision": "reject", "reason": ""}),
                           (f"/items/{item}/decide", {"decision": "terminate",
                                                      "as_of": c.CANARY_DOB}),
                           (f"/items/{item}/note", {"text": f"called {c.CANARY_LAST}"})):
            phil.post(path, data={**form, "csrf_token": phil_csrf})
        phil.post(f"/items/{item}/note", data={"text": c.CANARY_SSN, "csrf_token": "forged"})
        for path in (f"/members/{c.CANARY_SSN}", f"/items/{c.CANARY_LAST}",
                     f"/queues/review?page={c.CANARY_SSN}", f"/queues/{c.CANARY_LAST}",
                     f"/nowhere/{c.CANARY_STREET}"):
            assert phil.get(path).status_code >= 400, path
        import web.items

        def broken(*_a, **_kw):
            raise ValueError(f"cannot show {c.CANARY_LAST} {c.CANARY_SSN}")

        monkeypatch.setattr(web.items, "show_item", broken)
        assert phil.get(f"/items/{item}").status_code == 500
        # the same values a reviewer legitimately sees are on the pages (the test is real)
        assert any(c.CANARY_LAST in r.text for r in seen if r.status_code == 200)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    logs = capfd.readouterr()
    assert "web_request" in logs.out + logs.err and "ValueError" in logs.out + logs.err
    texts = [logs.out, logs.err, _audit_text(url)]
    for r in seen:
        if not any(v in r.request.url.path + r.request.url.query.decode() for v in opskit.CANARIES):
            texts.append(str(r.request.url))  # a URL the test typed with a canary on purpose
        texts.append(r.headers.get("location", ""))
        texts += re.findall(r'(?:href|action|hx-get|hx-post)="([^"]*)"', r.text)
        if r.status_code >= 400:  # an error page, or the refusal said on an item page
            texts.append(r.text.split('id="refusal"', 1)[1].split("</p>")[0]
                         if 'id="refusal"' in r.text else r.text)
    _assert_clean(*texts)
