"""Ingest: one database transaction per transaction set, exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import msgspec
import sqlalchemy as sa
from ledger_helpers import RECEIVED, M, interchange, simple_decide, transaction_set, write

from ledger.ingest import ingest_file
from ledger.store import schema as t
from ledger.store.db import engine, utcnow
from ledger.store.queries import export_members, verify_chain

FAMILY = [M(), M(subscriber=False, rel="01", first="BOB", dob="19810202", gender="M")]


def _count(url: str, table: sa.Table) -> int:
    with engine(url).connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _ingest(url: str, path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return ingest_file(url, path, decide=simple_decide, received_at=RECEIVED, **kw)  # type: ignore[arg-type]


def test_new_family_is_recorded_with_lineage_and_summary(ledger_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "family.edi", interchange([transaction_set(FAMILY)]))
    summary = _ingest(ledger_url, path)
    assert summary.to_json()["transaction_sets"] == {"accepted": 1, "rejected": 0, "duplicate": 0,
                                                        "not_applied": 0}
    assert summary.members == {"applied": 0, "new": 2, "review": 0, "referred": 0, "rejected": 0}
    with engine(ledger_url).connect() as conn:
        rows = list(conn.execute(sa.select(t.entries).order_by(t.entries.c.seq)))
        members = {r.member_id: r for r in conn.execute(sa.select(t.members))}
        assert verify_chain(conn).ok
        assert verify_chain(conn, "audit").ok
        exported = list(export_members(conn))
    assert [r.kind for r in rows] == ["enrolment", "enrolment"]
    assert rows[0].interchange_control == "000000101" and rows[0].set_control == "0001"
    assert rows[1].member_ordinal == 2 and rows[1].first_position > rows[0].last_position
    dependent = members[rows[1].member_id]
    assert dependent.subscriber_member_id == rows[0].member_id
    assert exported[0]["coverages"] == [
        {"line": "HLT", "plan": "PPO1", "begin": "2026-02-01", "end": None}
    ]
    assert _count(ledger_url, t.blocking_keys) > 0


def test_duplicate_interchange_changes_nothing(ledger_url: str, tmp_path: Path) -> None:
    path = write(tmp_path, "a.edi", interchange([transaction_set(FAMILY)]))
    _ingest(ledger_url, path)
    before = (_count(ledger_url, t.entries), _count(ledger_url, t.audit_log))
    again = _ingest(ledger_url, path)
    assert again.transaction_sets == {"accepted": 0, "rejected": 0, "duplicate": 1,
                                      "not_applied": 0}
    assert again.ta1_notes == [("000000101", "025")]
    assert len(again.ta1_acks) == 1 and "TA1*000000101*" in again.ta1_acks[0]
    assert again.ta1_acks[0].rstrip("~\n").split("TA1*")[1].split("~")[0].endswith("*025")
    assert (_count(ledger_url, t.entries), _count(ledger_url, t.audit_log)) == before


def test_same_key_other_bytes_is_refused(ledger_url: str, tmp_path: Path) -> None:
    _ingest(ledger_url, write(tmp_path, "a.edi", interchange([transaction_set(FAMILY)])))
    other = write(tmp_path, "b.edi", interchange([transaction_set([M(sub="SUB2002", first="CARL")])]))
    summary = _ingest(ledger_url, other)
    assert summary.transaction_sets["accepted"] == 0
    assert any("refused" in n for n in summary.notes)
    assert _count(ledger_url, t.members) == 2


def test_same_isa13_from_another_sender_is_fine(ledger_url: str, tmp_path: Path) -> None:
    _ingest(ledger_url, write(tmp_path, "a.edi", interchange([transaction_set(FAMILY)])))
    other = interchange([transaction_set([M(sub="SUB2002", first="CARL")])], sender="SENDER2")
    summary = _ingest(ledger_url, write(tmp_path, "b.edi", other))
    assert summary.members["new"] == 1 and _count(ledger_url, t.members) == 3


def test_rejected_set_is_rolled_back_others_commit(ledger_url: str, tmp_path: Path) -> None:
    bad = transaction_set([M(sub="SUB3003", first="DORA")], "0002")
    bad[-1] = "SE*99*0002"  # wrong segment count: the reader rejects the set
    data = interchange([transaction_set(FAMILY), bad])
    summary = _ingest(ledger_url, write(tmp_path, "mixed.edi", data))
    assert summary.transaction_sets == {"accepted": 1, "rejected": 1, "duplicate": 0,
                                                        "not_applied": 0}
    assert _count(ledger_url, t.members) == 2
    assert _count(ledger_url, t.transaction_sets) == 1


def test_interchange_row_alone_does_not_skip_sets(ledger_url: str, tmp_path: Path) -> None:
    """A crash after the interchange row but before any set committed must be resumable."""
    data = interchange([transaction_set(FAMILY)])
    path = write(tmp_path, "a.edi", data)
    import hashlib

    with engine(ledger_url).begin() as conn:
        conn.execute(t.interchanges.insert().values(
            sender_qualifier="ZZ", sender_id="SENDER1", receiver_qualifier="ZZ",
            receiver_id="RECEIVER1", control_number="000000101",
            file_sha256=hashlib.sha256(data).hexdigest(), source="a.edi", first_seen_at=utcnow(),
        ))  # fmt: skip
    summary = _ingest(ledger_url, path)
    assert summary.members["new"] == 2
    assert any("resuming" in n for n in summary.notes)


def test_resubmission_is_reported(ledger_url: str, tmp_path: Path) -> None:
    data = interchange([transaction_set(FAMILY, purpose="15")])
    summary = _ingest(ledger_url, write(tmp_path, "r.edi", data))
    assert summary.members["new"] == 2
    assert any("BGN01=15" in n for n in summary.notes)


def test_review_and_referral_become_review_items(ledger_url: str, tmp_path: Path) -> None:
    data = interchange([transaction_set([
        M(sub="SUB5005", first="EVE", medicare="C"),
        M(sub="SUB6006", first="FAY", ins03="001", ins04="25", hds=()),
    ])])  # fmt: skip
    summary = _ingest(ledger_url, write(tmp_path, "h.edi", data))
    assert summary.members["referred"] == 1 and summary.members["review"] == 1
    with engine(ledger_url).connect() as conn:
        items = list(conn.execute(sa.select(t.review_items).order_by(t.review_items.c.id)))
    assert [(i.queue, i.reason, i.status) for i in items] == [
        ("medicare", "medicare_referral", "open"),
        ("review", "unknown_member", "open"),
    ]
    due = items[1].due_at.replace(tzinfo=None)
    assert due == (RECEIVED + dt.timedelta(hours=48)).replace(tzinfo=None)
    held = json.loads(items[0].transaction)
    assert held["subscriber_number"] == "SUB5005"
    assert json.loads(items[0].header)["lineage"]["set_control"] == "0001"
    assert _count(ledger_url, t.entries) == 0


def test_member_rejected_by_validation_never_reaches_ledger(ledger_url: str, tmp_path: Path) -> None:
    from edi.reader import read
    from edi.records import MemberTransaction
    from ledger.ingest import ingest_events

    data = interchange([transaction_set(FAMILY)])

    def events():  # the reader's stream with the first member marked rejected
        for ev in read(data, "v.edi"):
            if isinstance(ev, MemberTransaction) and ev.lineage.member_ordinal == 1:
                ev = msgspec.structs.replace(ev, rejected=True)
            yield ev

    summary = ingest_events(
        ledger_url, events(), source="v.edi", file_sha256="0" * 64,
        decide=simple_decide, received_at=RECEIVED,
    )  # fmt: skip
    # the rejected member is the subscriber: her spouse's enrollment is held with her
    assert summary.members["rejected"] == 1 and summary.members["review"] == 1
    assert _count(ledger_url, t.members) == 0
    with engine(ledger_url).connect() as conn:
        (item,) = conn.execute(sa.select(t.review_items)).all()
    assert item.reason == "family_held" and "rejected by validation" in item.explanation


def test_dependent_sent_apart_links_to_its_subscriber(ledger_url: str, tmp_path: Path) -> None:
    """A dependent whose subscriber came earlier (still buffered in the same set, or
    written by an earlier file) is linked to the subscriber's member id."""
    first = [M(sub="SUB1"), M(sub="SUB2", first="CARL", dob="19700303", gender="M")]
    child = M(sub="SUB1", subscriber=False, rel="19", first="DANA", dob="20100404")
    in_set = write(tmp_path, "a.edi", interchange([transaction_set([*first, child])]))
    assert _ingest(ledger_url, in_set).members["new"] == 3
    later = M(sub="SUB2", subscriber=False, rel="01", first="ERIN", dob="19710505")
    path = write(tmp_path, "b.edi", interchange([transaction_set([later])], isa13="000000102"))
    assert _ingest(ledger_url, path).members["new"] == 1
    with engine(ledger_url).connect() as conn:
        rows = conn.execute(sa.select(t.members).order_by(t.members.c.member_id)).all()
    subs = {r.subscriber_number: r.member_id for r in rows if r.relationship == "18"}
    linked = {r.relationship: r.subscriber_member_id for r in rows if r.relationship != "18"}
    assert linked == {"19": subs["SUB1"], "01": subs["SUB2"]}
