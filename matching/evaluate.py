"""Labelled evaluation of the matcher, whole families through the routing path ingest uses.

    python -m matching.evaluate --data synthetic|hard|febrl1|febrl2|febrl3 --seed 1 --json
    python -m matching.evaluate --data febrl3 --seed 1 --write-834 out/   # + the two 834s
    python -m matching.evaluate --data febrl3 --seed 1 --model learned --curve --json

A labelled set (matching/labelled.py) gives a store — indexed in a
`MemoryCandidates`, as the ledger indexes its members — and incoming families.
Each family goes through `decide_family` (so families are decided together and
the family hold applies); then, as ingest does, every NEW_MEMBER decision adds a
member to the store, so a person sent twice must match the member the first
send created.

Reported, over incoming members:

- wrong APPLY (another person) and known people created NEW (a member already
  held, created again): both are wrong automatic decisions;
- automatic and right, and review, as shares of all members; for true matches
  the automatic rate with an SSN that agrees (or one edit of it) on both sides,
  without a usable SSN on either side, and the count with two different SSNs
  (`ssn_conflict`: always a person's decision);
- for reviewed true matches, the share with the true member ranked first / in
  the top three candidates;
- pairs completeness: the share of true pairs whose stored member is among the
  candidates blocking returns — the first search and the wider one run before a
  NEW decision; also the first search alone — with the median and largest block
  (members sharing one key looked up, both searches) and the mean candidates of
  the first search;
- the share of true pairs with two or more noisy fields (SSN, surname, given
  name, birth date, gender differing or blanked), and the family rules' work
  (family_held, family_mismatch);
- `held_matches`: the true matches sent to review, by SSN bucket (`ssn_conflict` too), as
  `family_held` (held with the family's subscriber) or by how many of the
  person's other fields agree closely with the true member (`agree_0` ..
  `agree_5`: birth date identical, surname and given name close, gender, and
  the place — the same street or family), and `ceilings`: the automatic rate of
  true matches with an SSN that agrees, and without one, if every held pair
  with at least k of those fields agreeing were also taken automatically (what
  a rule of "k fields beside the SSN" could reach at most; family holds stay).

`--model prior` (default) scores with the hand-set weights (version 0);
`--model learned` first fits a model on the store (matching/learn.py: EM, u from
random pairs, term frequencies) and decides with it; the fit's diagnostics and
per-level weights are reported (`model`). `--curve` repeats the run over a list of
`upper` match probabilities and reports precision (right among automatic) and
automation (automatic and right among all members) at each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

import msgspec

from edi.records import Lineage, TransactionSetHeader
from matching.blocking import lookup_keys, wide_keys
from matching.compare import prepare
from matching.decisions import (
    CobraAdministration,
    Decision,
    GroupPolicy,
    KnownPerson,
    Outcome,
    Reason,
)
from matching.febrl import SETS as FEBRL_SETS
from matching.febrl import FebrlUnavailable, labelled_files
from matching.labelled import LabelledSet, Member, febrl_set, synthetic_set
from matching.learn import fit
from matching.memory import MemoryCandidates
from matching.model import PRIOR, MatchModel
from matching.noise import PROFILES
from matching.person import enrollee_probes, transaction_person
from matching.route import MatchingSettings, decide_family
from matching.score import DEFAULT_UPPER, STREET_LEVELS, STRONG_LEVELS

RECEIVED = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
HEADER = TransactionSetHeader(lineage=Lineage(source="synthetic"))
DATA = ("synthetic", "hard", *FEBRL_SETS)
MODELS = ("prior", "learned", "learned-incoming")
CURVE = (0.5, 0.8, 0.9, 0.95, 0.98, DEFAULT_UPPER, 0.99, 0.995, 0.999, 0.9999)
"""The `upper` match probabilities of `--curve` (DEFAULT_UPPER: the tuned 23 bits)."""


def labelled_set(data: str, seed: int, families: int, matches: int, new: int) -> LabelledSet:
    """The labelled set `data` for `seed` (sizes apply to the generated sets only)."""
    if data in PROFILES:
        return synthetic_set(seed, families, matches, new, PROFILES[data])
    if data in FEBRL_SETS:
        return febrl_set(data, seed)
    raise ValueError(f"unknown data set {data!r} (one of {', '.join(DATA)})")


def _ssn_bucket(tx_person: KnownPerson, stored: list[KnownPerson]) -> str:
    """'ssn' (agrees or one edit), 'ssn_conflict' (two different SSNs) or 'no_ssn'."""
    mine = prepare(tx_person).ssn
    theirs = [s for s in (prepare(p).ssn for p in stored) if s]
    if not mine or not theirs:
        return "no_ssn"
    if any(
        s == mine or sum(a != b for a, b in zip(s, mine, strict=True)) == 1
        or any(s == mine[:i] + mine[i + 1] + mine[i] + mine[i + 2 :] for i in range(8))
        for s in theirs
    ):
        return "ssn"
    return "ssn_conflict"


def _noisy_fields(tx_person: KnownPerson, stored: KnownPerson) -> int:
    """How many identity fields the sender sent differently or left out."""
    a, b = prepare(tx_person), prepare(stored)
    pairs = [(a.ssn, b.ssn), (a.last, b.last), (a.first, b.first),
             (a.birth_date, b.birth_date), (a.gender, b.gender)]  # fmt: skip
    return sum(1 for x, y in pairs if y and x != y)


_CLOSE = {
    **{f: STRONG_LEVELS[f] for f in ("birth_date", "surname", "given_name")},
    "gender": frozenset({"agree"}),
}
"""Levels at which a field beside the SSN agrees closely (`held_matches`): the gate's own
close agreements (`score.STRONG_LEVELS`), and gender."""


def _agreeing(levels: dict[str, str]) -> int:
    """How many of birth date, surname, given name, gender and place agree closely."""
    place = levels.get("address") in STREET_LEVELS or levels.get("subscriber_number") == "same_family"
    return int(place) + sum(levels.get(f) in close for f, close in _CLOSE.items())


def _held_key(d: Decision, ids: set[str]) -> str:
    """`held_matches`' class of a held true match: family_held, agree_N, or unranked."""
    if d.reason is Reason.FAMILY_HELD:
        return "family_held"
    mine = next((c for c in d.candidates if c.member_id in ids), None)
    if mine is None:
        return "unranked"
    return f"agree_{_agreeing({c.field: c.level for c in mine.comparisons})}"


class _Store:
    """The in-memory ledger: candidates, who each member is, members per person."""

    def __init__(self, labelled: LabelledSet) -> None:
        self.source = MemoryCandidates(p for p, _ in labelled.store)
        self.who = {p.member_id: w for p, w in labelled.store}
        self.members: dict[str, list[KnownPerson]] = defaultdict(list)
        for p, w in labelled.store:
            self.members[w].append(p)
        self._serial = 0

    def add(self, member: Member) -> None:
        self._serial += 1
        person = replace(transaction_person(member.tx), member_id=f"NEW{self._serial:07d}")
        self.source.add(person)
        self.who[person.member_id] = member.person
        self.members[member.person].append(person)


def learned_model(labelled: LabelledSet, *, incoming: bool = False) -> MatchModel:
    """A model fitted on the set's store (version 1), as `enroll834 matching train` fits
    the ledger's members; with `incoming`, the incoming file's people (unlabelled) are
    paired with the store too, as `matching train --file` pairs a file's."""
    arriving = (
        [transaction_person(m.tx) for family in labelled.incoming for m in family]
        if incoming else []
    )  # fmt: skip
    return fit([p for p, _ in labelled.store], version=1, trained_at="evaluation",
               incoming=arriving)  # fmt: skip


def _model(name: str, labelled: LabelledSet) -> MatchModel:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r} (one of {', '.join(MODELS)})")
    if name == "prior":
        return PRIOR
    return learned_model(labelled, incoming=name == "learned-incoming")


def model_report(model: MatchModel) -> dict[str, Any]:
    """Version, prior odds, diagnostics and per-level weights (no TF values: PHI)."""
    return {
        "version": model.version,
        "log2_prior_odds": model.log2_prior_odds,
        "diagnostics": msgspec.to_builtins(model.diagnostics),
        "tf_tables": {t.field: len(t.values) for t in model.tf},
        "weights": {f"{p.field}.{p.level}": p.weight for p in model.levels},
    }


def evaluate(
    seed: int,
    families: int = 1500,
    matches: int = 1500,
    new: int = 500,
    settings: MatchingSettings | None = None,
    data: str = "synthetic",
    model: str | MatchModel = "prior",
    labelled: LabelledSet | None = None,
) -> dict[str, Any]:
    """Run the matcher over one labelled set and return the metrics (see module doc).

    `model`: 'prior', 'learned' (fitted on the store first), 'learned-incoming' (on the
    store and the incoming people, unlabelled) or a `MatchModel`."""
    labelled = labelled or labelled_set(data, seed, families, matches, new)
    if isinstance(model, str):
        model = _model(model, labelled)
    settings = replace(settings or MatchingSettings(), model=model)
    store = _Store(labelled)
    roster = len(store.source)
    group = GroupPolicy(sponsor_id="LABELLED", cobra=CobraAdministration.SELF)
    counts: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    blocks: list[int] = []
    candidates_seen: list[int] = []
    held: dict[str, Counter[str]] = defaultdict(Counter)
    for family in labelled.incoming:
        decisions = decide_family(
            HEADER, [m.tx for m in family], candidates=store.source, group=group,
            received_at=RECEIVED, settings=settings,
        )  # fmt: skip
        created: list[Member] = []
        for m, d in zip(family, decisions, strict=True):
            out = d.outcome
            outcomes[f"{m.kind}:{out.value}"] += 1
            if d.reason is not None:
                reasons[d.reason.value] += 1
            known = list(store.members.get(m.person, ()))
            if out is Outcome.NEW_MEMBER:
                created.append(m)
            if not known:
                counts["new"] += 1
                if out is Outcome.NEW_MEMBER:
                    counts["new_auto"] += 1
                elif out is Outcome.APPLY:
                    counts["wrong_apply"] += 1
                else:
                    counts["new_review"] += 1
                continue
            ids = {p.member_id for p in known}
            probes = enrollee_probes(m.tx)
            keys = lookup_keys(probes[::-1])
            found = {p.member_id for p in store.source.candidates(keys)}
            candidates_seen.append(len(found))
            wide = wide_keys(probes[::-1])
            blocks.extend(n for n in store.source.block_sizes(keys + wide) if n)
            counts["pairs"] += 1
            counts["pairs_found_first"] += bool(ids & found)
            found |= {p.member_id for p in store.source.candidates(wide)}
            counts["pairs_found"] += bool(ids & found)
            counts["noisy_2plus"] += _noisy_fields(probes[-1], known[0]) >= 2
            bucket = _ssn_bucket(probes[-1], known)
            counts[f"match_{bucket}"] += 1
            if out is Outcome.APPLY and d.member_id in ids:
                counts[f"match_{bucket}_auto"] += 1
            elif out is Outcome.APPLY:
                counts["wrong_apply"] += 1
            elif out is Outcome.NEW_MEMBER:
                counts["wrong_new"] += 1
            else:
                counts["review"] += 1
                held[bucket][_held_key(d, ids)] += 1
                ranked = [c.member_id for c in d.candidates]
                counts["review_top1"] += bool(ranked[:1] and ranked[0] in ids)
                counts["review_top3"] += bool(ids & set(ranked[:3]))
        for m in created:
            store.add(m)
    result = _metrics(data, seed, roster, counts, outcomes, reasons, blocks, candidates_seen)
    result["held_matches"] = {
        b: dict(sorted(held[b].items())) for b in ("ssn", "no_ssn", "ssn_conflict")
    }
    result["ceilings"] = _ceilings(counts, held)
    result["rejected_by_validation"] = labelled.rejected
    result["upper"] = settings.upper
    result["upper_score"] = settings.thresholds.upper_score(model)
    result["model"] = model_report(model)
    return result


def curve(
    seed: int,
    families: int = 1500,
    matches: int = 1500,
    new: int = 500,
    data: str = "synthetic",
    model: str = "prior",
    uppers: tuple[float, ...] = CURVE,
) -> list[dict[str, Any]]:
    """Precision and automation at each `upper` match probability (one run each)."""
    labelled = labelled_set(data, seed, families, matches, new)
    fitted = _model(model, labelled)
    out = []
    for upper in uppers:
        r = evaluate(seed, families, matches, new, MatchingSettings(upper=upper), data,
                     fitted, labelled)  # fmt: skip
        out.append({
            "upper": round(upper, 6),
            "upper_score": round(r["upper_score"], 2),
            "automatic_precision": r["automatic_precision"],
            "automatic_right_rate": r["automatic_right_rate"],
            "review_rate": r["review_rate"],
            "wrong_apply": r["wrong_apply"],
            "wrong_new_member": r["wrong_new_member"],
        })  # fmt: skip
    return out


def _metrics(
    data: str,
    seed: int,
    roster: int,
    counts: Counter[str],
    outcomes: Counter[str],
    reasons: Counter[str],
    blocks: list[int],
    candidates_seen: list[int],
) -> dict[str, Any]:
    def rate(num: int, den: int) -> float:
        return round(num / den, 4) if den else 1.0

    matches = counts["match_ssn"] + counts["match_no_ssn"] + counts["match_ssn_conflict"]
    right = counts["new_auto"] + sum(
        counts[f"match_{b}_auto"] for b in ("ssn", "no_ssn", "ssn_conflict")
    )
    wrong = counts["wrong_apply"] + counts["wrong_new"]
    auto = right + wrong
    records = matches + counts["new"]
    reviewed = counts["review"] + counts["new_review"]
    return {
        "data": data,
        "seed": seed,
        "roster_people": roster,
        "records": records,
        "true_matches": matches,
        "true_new": counts["new"],
        "automatic": auto,
        "wrong_automatic": wrong,
        "wrong_apply": counts["wrong_apply"],
        "wrong_new_member": counts["wrong_new"],
        "known_created_new_rate": rate(counts["wrong_new"], matches),
        "automatic_precision": rate(auto - wrong, auto),
        "automatic_right_rate": rate(right, records),
        "review_rate": rate(reviewed, records),
        "match_auto_rate_ssn": rate(counts["match_ssn_auto"], counts["match_ssn"]),
        "match_auto_rate_no_ssn": rate(counts["match_no_ssn_auto"], counts["match_no_ssn"]),
        "matches_ssn": counts["match_ssn"],
        "matches_no_ssn": counts["match_no_ssn"],
        "matches_ssn_conflict": counts["match_ssn_conflict"],
        "ssn_conflict_automatic": counts["match_ssn_conflict_auto"],
        "new_member_rate": rate(counts["new_auto"], counts["new"]),
        "matches_reviewed": counts["review"],
        "review_top1_recall": rate(counts["review_top1"], counts["review"]),
        "review_top3_recall": rate(counts["review_top3"], counts["review"]),
        "pairs_completeness": rate(counts["pairs_found"], counts["pairs"]),
        "pairs_missed": counts["pairs"] - counts["pairs_found"],
        "pairs_completeness_first_search": rate(counts["pairs_found_first"], counts["pairs"]),
        "median_block_size": statistics.median(blocks) if blocks else 0,
        "largest_block_size": max(blocks, default=0),
        "mean_candidates": round(statistics.fmean(candidates_seen), 2) if candidates_seen else 0,
        "noisy_2plus_share": rate(counts["noisy_2plus"], counts["pairs"]),
        "family_held": reasons["family_held"],
        "family_mismatch": reasons["family_mismatch"],
        "outcomes": dict(sorted(outcomes.items())),
    }


def _ceilings(counts: Counter[str], held: dict[str, Counter[str]]) -> dict[str, Any]:
    """Per SSN bucket: the automatic rate now and if every held pair with at least k
    close fields beside the SSN (k = 1..5) were taken automatically as well."""
    out: dict[str, Any] = {}
    for bucket in ("ssn", "no_ssn"):
        total, auto = counts[f"match_{bucket}"], counts[f"match_{bucket}_auto"]
        if not total:
            continue
        row = {"now": round(auto / total, 4)}
        for k in range(5, 0, -1):
            auto += held[bucket][f"agree_{k}"]
            row[f"at_least_{k}"] = round(auto / total, 4)
        out[bucket] = row
    return out


def _write_834(data: str, seed: int, out: Path) -> None:
    today = dt.date.today()
    begin = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    files = labelled_files(data, seed, begin=begin)
    out.mkdir(parents=True, exist_ok=True)
    for part, text in (("store", files.store), ("incoming", files.incoming)):
        path = out / f"{data}-seed{seed}-{part}.834"
        path.write_bytes(text)
        path.chmod(0o600)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", choices=DATA, default="synthetic")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--families", type=int, default=1500)
    parser.add_argument("--matches", type=int, default=1500)
    parser.add_argument("--new", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument(
        "--model", choices=MODELS, default="prior",
        help="prior: the hand-set weights (version 0); learned: EM fitted on the store "
             "first; learned-incoming: on the store and the incoming file's people",
    )  # fmt: skip
    parser.add_argument(
        "--curve", action="store_true",
        help="also report precision / automation over upper match probabilities",
    )  # fmt: skip
    parser.add_argument(
        "--write-834",
        metavar="DIR",
        help="FEBRL sets: also write the store and incoming 834s to DIR (coverages begin the"
        " first of next month) for `enroll834 ingest`",
    )
    args = parser.parse_args(argv)
    if args.write_834:
        if args.data not in FEBRL_SETS:
            parser.error("--write-834 needs a FEBRL set (--data febrl1|febrl2|febrl3)")
        _write_834(args.data, args.seed, Path(args.write_834))
    try:
        result = evaluate(args.seed, args.families, args.matches, args.new, data=args.data,
                          model=args.model)  # fmt: skip
        if args.curve:
            result["curve"] = curve(args.seed, args.families, args.matches, args.new,
                                    args.data, args.model)  # fmt: skip
    except FebrlUnavailable as exc:
        print(f"matching.evaluate: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for key, value in result.items():
            if key not in ("outcomes", "model", "curve", "held_matches", "ceilings"):
                print(f"{key:28} {value}")
        for bucket, row in result["ceilings"].items():
            print(f"{'ceiling ' + bucket:28} " + "  ".join(f"{k} {v}" for k, v in row.items()))
        for point in result.get("curve", ()):
            print("curve " + "  ".join(f"{k} {v}" for k, v in point.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
