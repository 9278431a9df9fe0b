"""The item page's candidates and the match rules through the web face: each candidate's
conflicts, coverages and family; a member who is not a candidate scored first; a match
with a conflict refused on the page and overridden by a supervisor with a reason.

SQLite and PostgreSQL (the `db_url` fixture).
"""

from __future__ import annotations

import re

from webkit import ALICE, ALICIA, BOB, CARLA, Member, Web


def _family_seed(web: Web) -> int:
    """Alice (M000000001) with her daughter Carla (M000000002), Bob alone (M000000003), and
    one item held against Alice (ALICIA, no SSN); returns the item id."""
    web.ingest([Member(ALICE, "S100"), Member(CARLA, "S100", relationship="19")])
    web.ingest([Member(BOB, "S200")])
    web.ingest([Member(ALICIA, "S500")])
    (item,) = web.held()
    return item


def _cards(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-member="(M\d{9})">(.*?)</section>', page, re.S))


def test_candidates_show_conflicts_coverages_and_family(web: Web) -> None:
    item = _family_seed(web)
    b = web.signin("rita")
    page = b.get(f"/items/{item}").text
    cards = _cards(page)
    alice = cards["M000000001"]
    assert "<dt>Match model</dt><dd>version 0 (the hand-set weights)</dd>" in page
    assert "p class=\"error conflicts\"" not in alice
    assert "HLT Health" in alice and "Not covered today" not in alice
    assert "M000000002" in alice and "19 Child" in alice and "CARLA" in alice
    # the candidate's street line is shown beside the incoming one, not its ZIP alone
    address = re.search(r'<th scope="row">Address</th><td>(.*?)</td><td>(.*?)</td>', alice)
    assert address is not None and address.group(2) == "12 INVENTED LANE 17001"
    # a family number nobody holds weighs nothing: shown neutral, not as a disagreement
    number = re.search(r'<tr class="(\w+)"><th scope="row">Subscriber number', alice)
    assert number is not None and number.group(1) == "neutral"


def test_a_member_not_listed_is_scored_first_and_its_conflict_refused(web: Web) -> None:
    item = _family_seed(web)
    rita = web.signin("rita")
    r = rita.post(f"/items/{item}/score", {"member_id": "m000000003"})
    assert r.status_code == 200
    bob = _cards(r.text)["M000000003"]
    assert "Scored on request" in bob and "birth date conflict" in bob
    assert "M000000003" not in str(r.url)
    r = rita.post(f"/items/{item}/resolve", {"decision": "match", "member_id": "M000000003"})
    assert r.status_code == 409 and 'id="refusal"' in r.text
    assert "birth_date_conflict" in r.text and "form.override" not in r.text
    assert 'class="card override"' not in r.text  # reviewers get no override form
    assert len(web.audit("review.match_refused", user_id="rita")) == 1
    # a reviewer's override reason is refused: overriding is a supervisor's action
    r = rita.post(f"/items/{item}/resolve", {"decision": "match", "member_id": "M000000003",
                                              "override_reason": "looks right"})  # fmt: skip
    assert r.status_code == 403
    sam = web.signin("sam")
    r = sam.post(f"/items/{item}/resolve", {"decision": "match", "member_id": "M000000003"})
    assert r.status_code == 409 and 'class="card override"' in r.text
    r = sam.post(f"/items/{item}/resolve", {"decision": "match", "member_id": "M000000003",
                                            "override_reason": "confirmed with the group"})
    assert r.status_code == 303 and r.headers["location"].endswith("done=matched")
    (rec,) = web.audit("review.resolve", user_id="sam")
    assert "confirmed with the group" in rec.details and "birth_date_conflict" in rec.details


def test_scoring_refuses_what_is_not_a_member_id_without_echoing_it(web: Web) -> None:
    item = _family_seed(web)
    b = web.signin("rita")
    r = b.post(f"/items/{item}/score", {"member_id": "123-45-6789"})
    assert r.status_code == 422 and "123-45-6789" not in r.text and "not a member id" in r.text
    r = b.post(f"/items/{item}/score", {"member_id": "M999999999"})
    assert r.status_code == 200 and "not found" in r.text and 'data-member="M999999999"' not in r.text
    r = b.post(f"/items/{item}/resolve", {"decision": "match", "member_id": "ALICE"})
    assert r.status_code == 409 and 'id="refusal"' in r.text
    assert not web.audit("review.resolve")
