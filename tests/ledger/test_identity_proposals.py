"""An automatic match on an enrollment never rewrites who the member is: a typo'd SSN is not
stored as a second SSN and a name is not overwritten; the differences wait in review as a
demographic change proposal. A demographic change (INS03 001) still applies them."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

from desk834 import ALICE, Member, Person, desk_test_env, interchange  # noqa: E402, F401

from ledger import desk  # noqa: E402
from ledger.desk.auth import initialise  # noqa: E402
from ledger.desk.users import Actor, add_user  # noqa: E402
from ledger.ingest import ingest_file  # noqa: E402
from ledger.store import schema as t  # noqa: E402
from ledger.store.db import engine  # noqa: E402

RESENT = Person("TESTPERS", "ALICE", ALICE.dob, "F", "111232333")
"""Alice re-sent with a shortened surname and two SSN digits transposed."""
ROOT = Actor("root", frozenset({"administrator"}))
RITA = Actor("rita", frozenset({"reviewer"}))


class Ledger:
    def __init__(self, url: str, tmp: Path) -> None:
        self.url, self.tmp, self.n = url, tmp, 0
        initialise(url, "root")
        add_user(url, ROOT, "rita", ["reviewer"])

    def ingest(self, *members: Member) -> dict:
        self.n += 1
        path = self.tmp / f"f{self.n}.edi"
        path.write_bytes(interchange(list(members), control=self.n))
        return ingest_file(self.url, path, actor="ops").to_json()

    def rows(self, table: sa.Table, *where: object) -> list:
        with engine(self.url).connect() as conn:
            return list(conn.execute(sa.select(table).where(*where)))  # type: ignore[arg-type]

    def ssns(self) -> list[str]:
        ids = self.rows(t.member_identifiers, t.member_identifiers.c.type == "ssn")
        return sorted(r.value for r in ids)

    def surname(self) -> str:
        demo = self.rows(t.demographics_versions)
        return max(demo, key=lambda r: r.version_id).last


@pytest.fixture
def led(db_url: str, tmp_path: Path) -> Ledger:
    led = Ledger(db_url, tmp_path)
    assert led.ingest(Member(ALICE, "S100"))["members"]["new"] == 1
    return led


def test_enrollment_match_holds_identity_differences_as_a_proposal(led: Ledger) -> None:
    out = led.ingest(Member(RESENT, "S100", hd=[("021", "HLT"), ("021", "DEN")]))
    assert out["members"]["applied"] == 1  # rightly matched: the coverage is applied
    assert {v.insurance_line for v in led.rows(t.coverage_versions)} == {"HLT", "DEN"}
    # ... but neither a second SSN nor the shortened surname
    assert led.ssns() == ["111223333"] and led.surname() == "TESTPERSON"
    (item,) = led.rows(t.review_items)
    assert (item.reason, item.suggested_member_id) == ("demographic_proposal", "M000000001")
    assert "ssn, last differ" in item.explanation
    assert "111232333" not in item.explanation and "TESTPERS" not in item.explanation
    held = json.loads(item.transaction)
    assert held["maintenance_type"] == "001" and held["coverages"] == []
    assert any("proposal" in n for n in out["notes"])
    # the reviewer accepts it: one command, the differences applied, coverage untouched
    versions = len(led.rows(t.coverage_versions))
    res = desk.resolve(led.url, RITA, item.id, match="M000000001")
    assert res.status == "applied" and res.match is not None and res.match.listed
    assert led.surname() == "TESTPERS" and "111232333" in led.ssns()
    assert len(led.rows(t.coverage_versions)) == versions


def test_a_demographic_change_applies_identity_differences(led: Ledger) -> None:
    out = led.ingest(Member(RESENT, "S100", ins03="001", hd=[]))
    assert out["members"]["applied"] == 1
    assert led.surname() == "TESTPERS" and led.ssns() == ["111223333", "111232333"]
    assert led.rows(t.review_items) == []


def test_an_enrollment_match_still_updates_the_address(led: Ledger) -> None:
    moved = Member(ALICE, "S100", address=("9 OTHER ROAD", "FAKETOWN", "PA", "17001"))
    led.ingest(moved)
    demo = max(led.rows(t.demographics_versions), key=lambda r: r.version_id)
    assert demo.address_line1 == "9 OTHER ROAD"  # an address is not an identity
    assert led.rows(t.review_items) == []

