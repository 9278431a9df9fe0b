"""`drops run` with a full file: reconciled by the partner's policy, with the operations and
sender reconciliation reports (text and JSON) in the outbox next to the 999, free of PHI."""

from __future__ import annotations

import json
from pathlib import Path

from ledger.drops.folder import run_drop
from ledger.store.db import upgrade
from tests.ops import opskit


def _audit(member: list[str]) -> list[str]:
    """The same member as a full-file (INS03 030 audit) loop."""
    return [seg.replace("INS*Y*18*021*28*", "INS*Y*18*030*XN*", 1) for seg in member]


def _drop(db_url: str, tmp: Path, files: dict[str, bytes]):
    upgrade(db_url)
    return run_drop(opskit.settings(db_url), opskit.make_drop(tmp, files))


def _canary() -> list[str]:
    return opskit.member("700000002", last=opskit.CANARY_LAST, first=opskit.CANARY_FIRST,
                         ssn=opskit.CANARY_SSN, dob=opskit.CANARY_DOB,
                         street=opskit.CANARY_STREET, city=opskit.CANARY_CITY)  # fmt: skip


def test_drop_of_a_full_file_writes_both_reconciliation_reports(db_url, tmp_path) -> None:
    m1, m2, m3 = opskit.member("700000001"), _canary(), opskit.member("700000003")
    first = _drop(db_url, tmp_path, {"change.edi": opskit.edi([m1, m2, m3])})
    assert first.files[0]["members"]["new"] == 3
    outbox = tmp_path / "drop" / "outbox"
    assert not [p for p in outbox.iterdir() if ".recon-" in p.name]

    # Full file: member 1 and the canary member as held, member 3 absent, member 4 new.
    full = opskit.edi([_audit(m1), _audit(m2), _audit(opskit.member("700000004"))],
                      isa13="000000102", st02="0002")  # fmt: skip
    summary = _drop(db_url, tmp_path, {"full.edi": full})
    [f] = summary.files
    assert f["disposition"] == "archive" and summary.exit_code == 0
    stem = "full.edi.000000102.0002"
    names = [f"{stem}.recon-{w}.{e}" for w in ("ops", "sender") for e in ("json", "txt")]
    assert sorted(p.name for p in outbox.iterdir() if ".recon-" in p.name) == names
    assert set(names) <= set(f["acks"])
    sender = json.loads((outbox / f"{stem}.recon-sender.json").read_text())
    c = sender["counts"]
    assert (c["file_members"], c["confirmed_members"], c["missing_in_ledger"],
            c["missing_in_file"]) == (3, 2, 1, 1)  # fmt: skip
    kinds = sorted((d["kind"], d["subscriber_number"]) for d in sender["discrepancies"])
    assert kinds == [("missing_in_file", "700000003"), ("missing_in_ledger", "700000004")]
    ops = json.loads((outbox / f"{stem}.recon-ops.json").read_text())
    assert ops["semantics"] == "verify" and ops["status"] == "verified"
    assert "missing_in_file" in (outbox / f"{stem}.recon-ops.txt").read_text()
    for p in outbox.iterdir():
        text = p.read_text(errors="replace")
        for canary in opskit.CANARIES:
            assert canary not in text, (p.name, canary)


def test_a_change_file_dropped_alone_writes_no_reconciliation_report(db_url, tmp_path) -> None:
    _drop(db_url, tmp_path, {"a.edi": opskit.edi([opskit.member("700000001")])})
    again = opskit.edi([opskit.member("700000001")], isa13="000000103")
    _drop(db_url, tmp_path, {"b.edi": again})
    assert not [p for p in (tmp_path / "drop" / "outbox").iterdir() if ".recon-" in p.name]
