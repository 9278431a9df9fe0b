"""The certainty gate: scores are sums of named weights; blockers and plausibility hold."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from matching.decisions import KnownPerson
from matching.score import Thresholds, assess, blockers, score_candidates

CHILD = KnownPerson(
    member_id="C1",
    subscriber_numbers=("SUB1",),
    last="OKONKWO",
    first="ADAEZE",
    birth_date=dt.date(2016, 4, 12),
    gender="F",
    relationship="19",
    birth_sequence=1,
    address_line1="3 Birch Way",
    postal_code="44101",
)
SIBLING = replace(
    CHILD, member_id="C2", first="CHIOMA", birth_date=dt.date(2018, 4, 12), birth_sequence=2
)


def test_score_is_the_sum_of_field_weights_and_sorted() -> None:
    probe = replace(CHILD, member_id="")
    scored = score_candidates([probe], [SIBLING, CHILD, CHILD])
    assert [c.member_id for c in scored] == ["C1", "C2"]  # duplicates dropped, best first
    for c in scored:
        assert abs(c.score - sum(f.weight for f in c.comparisons)) < 0.05
        assert {f.field for f in c.comparisons} >= {"ssn", "birth_date", "surname", "given_name"}


def test_sibling_one_digit_dob_away_is_never_automatic() -> None:
    probe = replace(
        SIBLING, member_id="", birth_date=dt.date(2016, 4, 12), first="ADAEZE", birth_sequence=None
    )
    scored = score_candidates([replace(probe, birth_date=dt.date(2016, 4, 13))], [CHILD])
    assert "family_birth_date" in blockers(scored[0], dependent=True)
    assert assess(scored, Thresholds(), dependent=True).verdict == "uncertain"


def test_same_family_near_birth_date_is_never_certainly_new() -> None:
    probe = replace(
        CHILD,
        member_id="",
        first="ZED",
        last="OKONKWO-BELL",
        birth_date=dt.date(2016, 4, 21),
        gender="",
        address_line1="",
        postal_code="",
    )
    scored = score_candidates([probe], [CHILD])
    assert scored[0].score < Thresholds().lower
    assert assess(scored, Thresholds(), dependent=True).verdict == "uncertain"
    far = replace(probe, birth_date=dt.date(2025, 12, 1))
    assert assess(score_candidates([far], [CHILD]), Thresholds(), dependent=True).verdict == "new"


def test_margin_over_runner_up_is_required() -> None:
    probe = replace(CHILD, member_id="", subscriber_numbers=(), relationship="")
    twin = replace(CHILD, member_id="C3", subscriber_numbers=("SUB9",))
    scored = score_candidates([probe], [CHILD, twin])
    result = assess(scored, Thresholds(), dependent=False)
    assert result.verdict == "uncertain"
    assert "runner_up_within_margin" in result.blockers
    assert assess(scored[:1], Thresholds(), dependent=False).verdict == "match"


def test_no_candidates_means_new() -> None:
    assert assess((), Thresholds(), dependent=True).verdict == "new"
