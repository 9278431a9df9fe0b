"""A family is decided together through ingest: one subscriber decision never splits it, and
every cause that holds a subscriber (matching, the date window, a refusal, validation) holds
the dependents' enrollments with it."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

from desk834 import ALICE, CARLA, Member, interchange  # noqa: E402

from ledger.ingest import ingest_file  # noqa: E402
from ledger.store import schema as t  # noqa: E402
from ledger.store.db import engine  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "family-enrollment.edi"
SAMPLE_RECEIVED = dt.datetime(2026, 1, 8, 12, tzinfo=dt.UTC)
"""A receipt time inside the sample's date window (its coverages begin 2026-02-01)."""


def _rows(url: str, table: sa.Table) -> list[sa.Row]:
    with engine(url).connect() as conn:
        return list(conn.execute(sa.select(table)))


def _resend_family_one(tmp: Path) -> Path:
    """The reported case: the sample with a new ISA13, family 1's REF*0F changed, the
    subscriber's given name changed by one letter, no SSN and a new street line."""
    text = SAMPLE.read_text()
    text = text.replace("000047515", "000047516").replace(
        "REF*0F*000060000001", "REF*0F*000060000091"
    )
    text = text.replace("NM1*IL*1*GALLOWAN*JUNO*A***34*900095785", "NM1*IL*1*GALLOWAN*JUNE*A")
    text = text.replace("N3*1402 MAPLE DR~\nN4*CEDAR HOLLOW*MN*51052~\nDMG*D8*19720123",
                        "N3*77 BIRCH RD~\nN4*CEDAR HOLLOW*MN*51052~\nDMG*D8*19720123")  # fmt: skip
    assert text.count("000060000091") == 2 and "JUNE" in text and "77 BIRCH RD" in text
    path = tmp / "resent.edi"
    path.write_text(text)
    return path


def test_resent_family_is_not_split_by_a_new_subscriber(ledger_url: str, tmp_path: Path) -> None:
    first = ingest_file(ledger_url, SAMPLE, received_at=SAMPLE_RECEIVED).to_json()
    assert first["members"]["new"] == 12
    again = ingest_file(ledger_url, _resend_family_one(tmp_path), received_at=SAMPLE_RECEIVED)
    members = again.to_json()["members"]
    # before: the subscriber became a 13th member while her daughter was matched to the old family
    assert (members["new"], members["review"]) == (0, 2)
    assert len(_rows(ledger_url, t.members)) == 12
    items = {r.reason: r for r in _rows(ledger_url, t.review_items)}
    assert set(items) == {"family_mismatch", "family_held"}
    sub = items["family_mismatch"]
    assert "M000000002" in sub.explanation  # the known daughter
    assert "M000000001" in sub.candidates  # her mother, the old family's subscriber
    assert sub.family_key == items["family_held"].family_key


def test_a_subscriber_held_by_the_date_window_holds_the_family(
    ledger_url: str, tmp_path: Path
) -> None:
    old = dt.date.today() - dt.timedelta(days=200)
    path = tmp_path / "f.edi"
    path.write_bytes(interchange([
        Member(ALICE, "S100", begin=old),
        Member(CARLA, "S100", relationship="19"),
    ]))  # fmt: skip
    members = ingest_file(ledger_url, path).to_json()["members"]
    assert (members["new"], members["review"]) == (0, 2)
    reasons = sorted(r.reason for r in _rows(ledger_url, t.review_items))
    assert reasons == ["family_held", "retro_date"]
    assert _rows(ledger_url, t.members) == []


def _resent_items(url: str, tmp: Path) -> tuple[int, int]:
    from ledger.desk.auth import initialise
    from ledger.desk.users import Actor, add_user

    initialise(url, "root")
    add_user(url, Actor("root", frozenset({"administrator"})), "rita", ["reviewer"])
    ingest_file(url, SAMPLE, received_at=SAMPLE_RECEIVED)
    ingest_file(url, _resend_family_one(tmp), received_at=SAMPLE_RECEIVED)
    items = {r.reason: r.id for r in _rows(url, t.review_items)}
    return items["family_mismatch"], items["family_held"]


def test_resolving_the_subscriber_into_the_old_family_releases_her_daughter_there(
    ledger_url: str, tmp_path: Path
) -> None:
    from ledger import desk
    from ledger.desk.users import Actor

    sub, kid = _resent_items(ledger_url, tmp_path)
    res = desk.resolve(ledger_url, Actor("rita", frozenset({"reviewer"})), sub, match="M000000001")
    assert [(r.item_id, r.status, r.member_id) for r in res.released] == [
        (kid, "applied", "M000000002")
    ]
    assert len(_rows(ledger_url, t.members)) == 12


def test_a_subscriber_resolved_as_new_does_not_take_the_old_familys_daughter(
    ledger_url: str, tmp_path: Path
) -> None:
    from ledger import desk
    from ledger.desk.users import Actor

    sub, kid = _resent_items(ledger_url, tmp_path)
    res = desk.resolve(ledger_url, Actor("rita", frozenset({"reviewer"})), sub, new_member=True)
    (released,) = res.released
    assert released.status == "review" and released.new_item_id is not None
    (again,) = [r for r in _rows(ledger_url, t.review_items) if r.id == released.new_item_id]
    assert again.reason == "family_mismatch" and "M000000002" in again.explanation
