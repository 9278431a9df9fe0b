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


def test_hard_profile_is_noisier_and_still_never_merges_two_people() -> None:
    result = evaluate(seed=11, families=500, matches=500, new=150, data="hard")
    assert result["true_matches"] == 500 and result["true_new"] == 150
    assert result["wrong_apply"] == 0
    # two or more fields differ (or were left out) in at least a fifth of true pairs
    assert result["noisy_2plus_share"] >= 0.2
    # whole families go through the family rules: a held subscriber holds dependents
    assert result["family_held"] > 0
    # the wider search before NEW: (almost) every known person reaches scoring, and
    # (almost) nobody known is created again
    assert result["pairs_completeness"] >= 0.995
    assert result["pairs_completeness"] > result["pairs_completeness_first_search"]
    assert result["known_created_new_rate"] <= 0.004
    assert result["median_block_size"] >= 1 and result["largest_block_size"] >= 1


def test_every_evaluation_reports_pairs_completeness_and_block_sizes() -> None:
    result = evaluate(seed=3, families=200, matches=150, new=50)
    for key in ("pairs_completeness", "pairs_missed", "median_block_size",
                "largest_block_size", "mean_candidates"):  # fmt: skip
        assert key in result
    assert result["pairs_completeness"] == 1.0 and result["pairs_missed"] == 0


def test_febrl1_through_834_files() -> None:
    """FEBRL 1: 500 people, each original and one duplicate; a tenth of the people are
    absent from the store, so their two records arrive as a new person and a match;
    records without a surname are rejected by the implementation guide, as in ingest."""
    result = evaluate(seed=1, data="febrl1")
    assert result["roster_people"] == 450 - 6
    assert result["rejected_by_validation"] == 12
    assert result["records"] == 550 - 12
    assert result["true_new"] + result["true_matches"] == 550 - 12
    assert result["wrong_apply"] == 0
    assert result["wrong_new_member"] <= 2  # 18 before the wider search and its rule
    assert result["pairs_completeness"] == 1.0
    assert result["matches_ssn"] > 400  # the 7-digit ids arrive as 9-digit SSNs
    assert result["automatic_right_rate"] > 0.5


def test_cli_names_the_data_set(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["--data", "hard", "--seed", "2", "--families", "60", "--matches", "40",
                 "--new", "10", "--json"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert data["data"] == "hard" and data["records"] == 50


def test_learned_model_and_curve_on_the_hard_profile() -> None:
    """`--model learned` fits on the store first and decides with it (version 1); the
    curve trades automation for precision as `upper` rises."""
    from matching.evaluate import curve

    result = evaluate(seed=11, families=500, matches=500, new=150, data="hard", model="learned")
    assert result["model"]["version"] == 1 and result["wrong_apply"] == 0
    assert result["upper_score"] > 23.0  # the same probability, the fitted model's own odds
    assert result["model"]["diagnostics"]["random_pairs"] > 0
    points = curve(11, 500, 500, 150, data="hard", model="prior", uppers=(0.5, 0.9846, 0.9999))
    assert [p["upper_score"] for p in points] == [17.0, 23.0, 30.29]
    automatic = [p["automatic_right_rate"] for p in points]
    assert automatic[0] >= automatic[1] >= automatic[2]
    assert points[0]["wrong_apply"] >= points[1]["wrong_apply"] == points[2]["wrong_apply"] == 0


def test_learned_from_incoming_pairs_finds_matches_the_roster_alone_does_not() -> None:
    """The store alone holds one record per person: EM finds no match share there. Paired
    with the incoming people (unlabelled), it finds the re-sent ones and learns their m —
    and the renumbered families make a differing family number weigh less."""
    alone = evaluate(seed=11, families=500, matches=500, new=150, data="hard", model="learned")
    both = evaluate(seed=11, families=500, matches=500, new=150, data="hard",
                    model="learned-incoming")  # fmt: skip
    assert alone["model"]["diagnostics"]["match_share"] < 0.01
    assert both["model"]["diagnostics"]["match_share"] > 0.2
    assert both["model"]["diagnostics"]["incoming_people"] == both["records"]
    other = "subscriber_number.other_family"
    assert both["model"]["weights"][other] > alone["model"]["weights"][other]
    assert both["wrong_apply"] == 0


def test_held_matches_and_ceilings_account_for_every_reviewed_match() -> None:
    """Every true match sent to review is classed once (family hold, or how many fields
    beside the SSN agree), and the ceilings add those classes to the automatic rate."""
    result = evaluate(seed=11, families=500, matches=500, new=150, data="hard")
    held = result["held_matches"]
    assert sum(n for bucket in held.values() for n in bucket.values()) == result["matches_reviewed"]
    assert held["ssn"].get("family_held", 0) + held["no_ssn"].get("family_held", 0) > 0
    for bucket, rate in (("ssn", "match_auto_rate_ssn"), ("no_ssn", "match_auto_rate_no_ssn")):
        row = result["ceilings"][bucket]
        assert row["now"] == result[rate]
        steps = [row["now"], *(row[f"at_least_{k}"] for k in range(5, 0, -1))]
        assert steps == sorted(steps) and steps[-1] <= 1.0
        # family holds and unranked pairs are never counted in: the last step stays below
        # 1 exactly when some of them were held
        kept = sum(held[bucket].get(k, 0) for k in ("family_held", "unranked", "agree_0"))
        assert (steps[-1] < 1.0) == (kept > 0)
