"""The labelled evaluation meets its targets on a small seed-fixed set."""

from __future__ import annotations

import json

from matching.evaluate import evaluate, main


def test_targets_on_a_small_seed_fixed_set() -> None:
    result = evaluate(seed=11, families=500, matches=500, new=150)
    assert result["true_matches"] == 500 and result["true_new"] == 150
    assert result["wrong_automatic"] == 0
    assert result["wrong_apply"] == 0 and result["wrong_new_member"] == 0
    assert result["automatic_precision"] == 1.0
    assert result["match_auto_rate_ssn"] >= 0.99
    assert result["match_auto_rate_no_ssn"] >= 0.85
    assert result["review_top3_recall"] == 1.0
    # the set really is hard: some true matches need review, some new people look known
    assert result["matches_reviewed"] > 0
    assert 0 < result["new_member_rate"] < 1


def test_cli_prints_json(capsys) -> None:  # type: ignore[no-untyped-def]
    assert (
        main(["--seed", "2", "--families", "60", "--matches", "40", "--new", "10", "--json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["seed"] == 2 and data["records"] == 50
