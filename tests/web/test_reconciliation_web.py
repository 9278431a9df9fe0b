"""The reconciliation queue in the web face: a verify full file's differences as items, the
file's values beside the ledger's, each decision through `ledger.desk.decide_item` (audited,
the run's reports written again). SQLite and PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

import datetime as dt
import re

from webkit import ALICE, BOB, Member, Web

RENAMED = ALICE.__class__("RENAMEDPERSON", ALICE.first, ALICE.dob, ALICE.gender, ALICE.ssn)


def _seed(web: Web) -> dict[str, int]:
    web.ingest([Member(ALICE, "S100"), Member(BOB, "S200")])
    web.full_file([Member(RENAMED, "S100")])  # Bob left out, Alice renamed
    b = web.signin("sam")
    page = b.get("/queues/reconciliation").text
    ids = [int(i) for i in re.findall(r'href="/items/(\d+)" data-open', page)]
    reasons = {}
    for i in ids:
        text = b.get(f"/items/{i}").text
        reasons[re.search(r'<span class="tag">(missing_in_file|field_mismatch)', text).group(1)] = i  # type: ignore[union-attr]
    return reasons


def test_the_queue_and_a_decision_each_way(web: Web) -> None:
    items = _seed(web)
    assert set(items) == {"missing_in_file", "field_mismatch"}
    rita = web.signin("rita")
    page = rita.get("/queues/reconciliation").text
    assert "Reconciliation" in page and "run 1" in page and "last name" in page
    assert "RENAMEDPERSON" not in page  # the queue shows ids and field names only
    item = rita.get(f"/items/{items['field_mismatch']}").text
    assert "The file says" in item and "RENAMEDPERSON" in item and "TESTPERSON" in item
    assert "***-**-3333" in item and "111223333" not in item
    assert "Apply the file" in item and "Keep the ledger" in item
    # a decision that does not fit is said on the page
    r = rita.post(f"/items/{items['field_mismatch']}/decide", {"decision": "terminate"})
    assert r.status_code == 409 and 'id="refusal"' in r.text
    r = rita.post(f"/items/{items['field_mismatch']}/decide", {"decision": "apply_file"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=apply_file")
    end = (dt.date.today() + dt.timedelta(days=45)).isoformat()
    r = rita.post(f"/items/{items['missing_in_file']}/decide",
                  {"decision": "terminate", "as_of": end})  # fmt: skip
    assert r.status_code == 303
    resolves = web.audit("review.resolve", user_id="rita")
    assert len(resolves) == 2 and end in resolves[-1].details
    assert "Nothing waiting" in rita.get("/queues/reconciliation").text
    notes = list(web.outbox.glob("*.recon-ops.txt"))
    assert notes and "decided terminate" in notes[0].read_text()


def test_a_bad_date_and_the_auditor(web: Web) -> None:
    items = _seed(web)
    rita = web.signin("rita")
    r = rita.post(f"/items/{items['missing_in_file']}/decide",
                  {"decision": "terminate", "as_of": "TESTPERSON"})  # fmt: skip
    assert r.status_code == 422 and "TESTPERSON" not in r.text.split('id="refusal"')[1][:200]
    aud = web.signin("aud")
    assert "Terminate" not in aud.get(f"/items/{items['missing_in_file']}").text
    assert aud.post(f"/items/{items['missing_in_file']}/decide",
                    {"decision": "keep"}).status_code == 403
    assert not web.audit("review.resolve")
