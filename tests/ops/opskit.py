"""Helpers for the operations tests: inline 834s (invented people), settings, CLI runs, and a
ledger fingerprint that does not depend on the order files were processed in."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
ENROLL834 = str(Path(sys.executable).with_name("enroll834"))

# Canary values: invented, never issued (9xx SSN), and distinctive enough to grep for.
CANARY_LAST = "QZXCANARYLAST"
CANARY_FIRST = "QZXCANARYFIRST"
CANARY_SSN = "987650123"
CANARY_DOB = "19580317"
CANARY_STREET = "QZX CANARY STREET 77"
CANARY_CITY = "QZXCANARYVILLE"
CANARIES = (CANARY_LAST, CANARY_FIRST, CANARY_SSN, CANARY_DOB, CANARY_STREET, CANARY_CITY,
            "1958-03-17")


FIRST_NAMES = ("ALICE", "BRUNO", "CLARA", "DMITRI", "EDNA", "FAROUK", "GRETA", "HUGO", "INES",
               "JONAS")


def member(number: str, *, last: str = "TESTER", first: str = "", ssn: str | None = None,
           dob: str = "", street: str = "1 ELM ST", city: str = "SPRINGTON",
           ins05: str = "A", begin: str = "20260101") -> list[str]:
    """One subscriber addition (021) with a health coverage (SSN 9xx..., unique per number)."""
    ssn = ssn or f"9{number[-8:]:0>8}"
    k = int(number[-2:])
    first = first or FIRST_NAMES[k % 10]
    dob = dob or f"19{50 + k % 45:02d}{1 + k % 12:02d}{10 + k % 18:02d}"
    last = last if last != "TESTER" else f"TESTER{'ABCDEFGHIJ'[int(number[-1])]}{number[-3:-1]}"
    return [
        f"INS*Y*18*021*28*{ins05}***FT",
        f"REF*0F*{number}",
        f"NM1*IL*1*{last}*{first}****34*{ssn}",
        f"N3*{street}",
        f"N4*{city}*MN*55401",
        f"DMG*D8*{dob}*F",
        "HD*021**HLT*PLAN1*EMP",
        f"DTP*348*D8*{begin}",
    ]


def edi(members: list[list[str]], *, isa13: str = "000000101", sender: str = "SENDER1",
        sponsor: str = "991234567", purpose: str = "00", st02: str = "0001",
        bgn_date: str = "20260101", truncate_after: int | None = None) -> bytes:
    """A one-set 834 from `sender` for `sponsor` (a 5010 interchange, one segment a line)."""
    body = [f"BGN*{purpose}*REF{st02}*{bgn_date}*1200****2", f"N1*P5*ACME TOOLS*FI*{sponsor}",
            "N1*IN*SYNTH PLAN*FI*888888888"]
    for m in members:
        body.extend(m)
    st = [f"ST*834*{st02}*005010X220A1", *body, f"SE*{len(body) + 2}*{st02}"]
    segs = [
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*ZZ*{sender.ljust(15)}*ZZ*{'PAYER1'.ljust(15)}*"
        f"260101*1200*^*00501*{isa13}*0*P*:",
        f"GS*BE*{sender}*PAYER1*20260101*1200*1*X*005010X220A1", *st, "GE*1*1",
        f"IEA*1*{isa13}",
    ]
    if truncate_after is not None:
        segs = segs[:truncate_after]
    return ("~\n".join(segs) + "~\n").encode("ascii")


def canary_edi(**kw: Any) -> bytes:
    """An 834 whose second member carries every canary value (and an invalid INS05 when
    `bad=True`, so the canary member is the rejected one)."""
    bad = kw.pop("bad", False)
    return edi([
        member("700000001"),
        member("700000002", last=CANARY_LAST, first=CANARY_FIRST, ssn=CANARY_SSN,
               dob=CANARY_DOB, street=CANARY_STREET, city=CANARY_CITY,
               ins05="Q" if bad else "A"),
    ], **kw)  # fmt: skip


def settings(db_url: str, **drops: Any) -> Any:
    """Settings for a test: this database, no settle time, no pyx12 unless asked."""
    from ledger.settings import load_settings

    partners = drops.pop("partners", DEFAULT_PARTNERS)
    over: dict[str, Any] = {"database_url": db_url, "partners": partners,
                            "drops": {"settle_seconds": 0, "validator": "none", **drops}}
    return load_settings(None, over)


# The test files carry fixed 2026 dates: a wide window keeps them out of the retro-date review.
DEFAULT_PARTNERS = [{"sender_id": s, "retro_days": 36500, "future_days": 3650}
                    for s in ("SENDER1", "SENDER2", "991234567")]
TOML_PARTNERS = "".join(
    f'[[partners]]\nsender_id = "{s}"\nretro_days = 36500\nfuture_days = 3650\n'
    for s in ("SENDER1", "SENDER2", "991234567"))


def make_drop(tmp: Path, files: dict[str, bytes]) -> Path:
    inbox = tmp / "drop" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (inbox / name).write_bytes(data)
    return inbox


def tree(root: Path) -> dict[str, list[str]]:
    """Files under each drop directory (inbox, work, archive, quarantine, outbox), sorted."""
    out: dict[str, list[str]] = {}
    for d in ("inbox", "work", "archive", "quarantine", "outbox"):
        base = root / d
        out[d] = sorted(str(p.relative_to(base)) for p in base.rglob("*")
                        if p.is_file() and ".locks" not in p.parts) if base.exists() else []
    return out


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENROLL834_")}
    env.update({"ENROLL834_DROPS__SETTLE_SECONDS": "0", "ENROLL834_DROPS__VALIDATOR": "none"})
    env.update(extra)
    return env


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ENROLL834, *args], env=env or cli_env(), cwd=cwd, text=True,
                          capture_output=True, timeout=timeout)


def fingerprint(url: str) -> dict[str, Any]:
    """What the ledger holds, independent of member ids and processing order."""
    from ledger.store import schema as t

    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            who = {r.member_id: f"{r.subscriber_number}/{r.relationship}/{r.birth_sequence}"
                   for r in c.execute(sa.select(t.members))}
            ics = sorted((r.sender_id, r.control_number, r.file_sha256, r.completed_at is not None)
                         for r in c.execute(sa.select(t.interchanges)))
            sets = sorted((r.group_control, r.set_control, r.status, r.members)
                          for r in c.execute(sa.select(t.transaction_sets)))
            entries = collections.Counter(
                (r.kind, who.get(r.member_id, r.member_id), str(r.valid_from), str(r.valid_to),
                 r.interchange_control, r.set_control, r.member_ordinal)
                for r in c.execute(sa.select(t.entries)))
            cov = collections.Counter(
                (who.get(r.member_id), r.insurance_line, r.plan, str(r.valid_from), str(r.valid_to))
                for r in c.execute(sa.select(t.coverage_versions)))
            review = collections.Counter(
                (r.queue, r.reason, json.loads(r.header).get("lineage", {}).get("interchange_control"))
                for r in c.execute(sa.select(t.review_items)))
    finally:
        eng.dispose()
    return {"members": sorted(who.values()), "interchanges": ics, "sets": sets,
            "entries": sorted(entries.items()), "coverages": sorted(cov.items(), key=str),
            "review": sorted(review.items(), key=str)}
