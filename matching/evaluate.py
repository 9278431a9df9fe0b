"""Labelled evaluation of the certainty gate on synthetic households.

    python -m matching.evaluate --seed 1 --json

A seeded roster of households (subscribers, spouses, children, twins,
dependents without SSN) is indexed in a `MemoryCandidates`. Held-out records
are then decided one at a time with `decide_family`:

- true matches: existing people re-sent with realistic corruption (typos,
  nicknames, swapped names, marriage surnames, transposed or mistyped birth
  dates, missing/placeholder/mistyped SSNs, moves, new employer numbers),
  as enrollments (021), audits (030) and demographic changes (001 with
  2100B OLD values);
- true new people who resemble existing ones: newborns and new twins in a
  known family, new spouses, namesakes (same name and birth date), and
  strangers.

Reported: precision of automatic decisions (wrong APPLY = another person;
wrong NEW_MEMBER = somebody who exists), automatic rate of true matches with
an SSN on both sides and without, and top-3 recall of true matches sent to
review. "SSN present" means both the transaction and the known person carry
a usable (non-placeholder) SSN.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from edi.records import Lineage, MemberTransaction, TransactionSetHeader
from matching.decisions import CobraAdministration, GroupPolicy, KnownPerson, Outcome
from matching.memory import MemoryCandidates
from matching.normalize import _nickname_table, normalize_ssn
from matching.route import MatchingSettings, decide_family
from matching.synthetic import FEMALE, MALE, OldValues, Roster, transaction_for

RECEIVED = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
HEADER = TransactionSetHeader(lineage=Lineage(source="synthetic"))


@dataclass(frozen=True, slots=True)
class Labelled:
    """A held-out transaction and the truth about it."""

    tx: MemberTransaction
    truth: str | None
    """member_id of the person it is about; None for a truly new person."""
    kind: str
    ssn_present: bool


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text))
    op = rng.choice(("sub", "del", "swap", "ins"))
    letter = rng.choice("AEIOURSTLNMHK")
    if op == "sub":
        return text[:i] + letter + text[i + 1 :]
    if op == "del":
        return text[:i] + text[i + 1 :]
    if op == "ins":
        return text[:i] + letter + text[i:]
    if i + 1 < len(text):
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def _nicknames(first: str) -> list[str]:
    table = _nickname_table()
    return sorted(n for n, roots in table.items() if first in roots and n != first)


def _ssn_typo(rng: random.Random, ssn: str) -> str:
    i = rng.randrange(0, 8)
    if rng.random() < 0.5 and ssn[i] != ssn[i + 1]:
        return ssn[:i] + ssn[i + 1] + ssn[i] + ssn[i + 2 :]
    digit = rng.choice([d for d in "0123456789" if d != ssn[i]])
    return ssn[:i] + digit + ssn[i + 1 :]


def _dob_typo(rng: random.Random, dob: dt.date) -> dt.date:
    text = dob.strftime("%Y%m%d")
    for _ in range(20):
        i = rng.choice((2, 3, 6, 7))
        candidate = text[:i] + rng.choice("0123456789") + text[i + 1 :]
        try:
            value = dt.datetime.strptime(candidate, "%Y%m%d").date()
        except ValueError:
            continue
        if value != dob and value < RECEIVED.date():
            return value
    return dob


def corrupt_match(rng: random.Random, roster: Roster, p: KnownPerson) -> Labelled:
    """Re-send an existing person with realistic errors (rates in the README)."""
    o: dict[str, object] = {}
    ssn_present = bool(normalize_ssn(p.ssn))
    if p.ssn:
        r = rng.random()
        if r < 0.05:
            o["ssn"], ssn_present = "", False
        elif r < 0.08:
            o["ssn"], ssn_present = rng.choice(("999999999", "000000000", "123456789")), False
        elif r < 0.12:
            o["ssn"] = _ssn_typo(rng, p.ssn)
        elif r < 0.15:
            o["ssn"] = f"{p.ssn[:3]}-{p.ssn[3:5]}-{p.ssn[5:]}"
    last, first = p.last, p.first
    r = rng.random()
    if r < 0.05:
        last = _typo(rng, last)
    elif r < 0.08 and p.relationship in ("18", "01"):
        last = roster.surname()
    elif r < 0.10:
        last = f"{last}-{roster.surname()}"
    r = rng.random()
    nicks = _nicknames(first)
    if r < 0.10 and nicks:
        first = rng.choice(nicks)
    elif r < 0.14:
        first = _typo(rng, first)
    if rng.random() < 0.02:
        first, last = last, first
    o["last"], o["first"] = last, first
    dob = p.birth_date
    assert dob is not None
    r = rng.random()
    if r < 0.02 and dob.day <= 12 and dob.day != dob.month:
        o["birth_date"] = dob.replace(month=dob.day, day=dob.month)
    elif r < 0.04:
        o["birth_date"] = _dob_typo(rng, dob)
    elif r < 0.05:
        o["birth_date"] = None
    if rng.random() < 0.03:
        o["gender"] = ""
    if rng.random() < 0.12:
        o["address_line1"], o["postal_code"] = roster.address()
    if p.relationship == "18" and rng.random() < 0.08:
        o["subscriber_number"] = roster.next_id("S")
    if rng.random() < 0.3:
        o["birth_sequence"] = None
    r = rng.random()
    kind = "enroll"
    if r < 0.10:
        o["maintenance"], o["coverages"], kind = "030", ("030",), "audit"
    elif r < 0.22:
        o["maintenance"], o["coverages"], kind = "001", (), "change"
        if rng.random() < 0.5:
            # a correction: 2100A new values, 2100B the values the ledger still has
            o["old"] = OldValues(last=p.last, first=p.first, birth_date=p.birth_date)
            o["last"] = roster.surname() if rng.random() < 0.5 else o["last"]
            kind = "correction"
    return Labelled(transaction_for(p, **o), p.member_id, kind, ssn_present)


def new_lookalike(
    rng: random.Random, roster: Roster, family: list[KnownPerson], kind: str
) -> Labelled:
    """A truly new person who resembles people of `family` (or nobody, for 'stranger')."""
    sub = family[0]
    used = {p.first for p in family}
    gender = rng.choice("MF")
    names = [n for n in (MALE if gender == "M" else FEMALE) if n not in used]
    first = rng.choice(names)
    if kind == "stranger":
        stranger = roster.family()[0]
        return Labelled(transaction_for(stranger), None, kind, True)
    if kind == "namesake":
        twin = rng.choice(family)
        line, zip5 = roster.address()
        ssn = roster.ssn() if rng.random() < 0.5 else ""
        tx = transaction_for(
            twin,
            ssn=ssn,
            subscriber_number=roster.next_id("S"),
            address_line1=line,
            postal_code=zip5,
            subscriber=True,
            relationship="18",
            birth_sequence=None,
        )
        return Labelled(tx, None, kind, False)
    if kind == "new_spouse":
        dob = roster.birth_date(22, 64)
        tx = transaction_for(
            replace(sub, relationship="01", first=first, gender=gender, birth_date=dob),
            ssn=roster.ssn() if rng.random() < 0.8 else "",
        )
        return Labelled(tx, None, kind, False)
    children = [p for p in family if p.relationship == "19"]
    twin_dob = rng.choice(children).birth_date if children else None
    if kind == "new_twin" and twin_dob is not None:
        dob = twin_dob
    else:
        kind = "newborn"
        dob = RECEIVED.date() - dt.timedelta(days=rng.randint(1, 300))
    tx = transaction_for(
        replace(sub, relationship="19", first=first, gender=gender, birth_date=dob),
        ssn="",
        birth_sequence=len(children) + 1 if rng.random() < 0.5 else None,
    )
    return Labelled(tx, None, kind, False)


def build(
    seed: int, families: int, matches: int, new: int
) -> tuple[MemoryCandidates, list[Labelled]]:
    """A seeded roster and its held-out labelled records (matches then new people, shuffled)."""
    rng = random.Random(seed * 7919 + 1)
    roster = Roster(seed)
    households = [roster.family() for _ in range(families)]
    people = [p for h in households for p in h]
    source = MemoryCandidates(people)
    records = [corrupt_match(rng, roster, rng.choice(people)) for _ in range(matches)]
    kinds = ("newborn", "newborn", "new_twin", "new_spouse", "namesake", "stranger")
    for _ in range(new):
        records.append(new_lookalike(rng, roster, rng.choice(households), rng.choice(kinds)))
    rng.shuffle(records)
    return source, records


def evaluate(
    seed: int,
    families: int = 1500,
    matches: int = 1500,
    new: int = 500,
    settings: MatchingSettings | None = None,
) -> dict[str, Any]:
    """Run the gate over one seeded labelled set and return the metrics."""
    source, records = build(seed, families, matches, new)
    group = GroupPolicy(sponsor_id="SYNTH", cobra=CobraAdministration.SELF)
    counts: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for rec in records:
        (decision,) = decide_family(
            HEADER,
            [rec.tx],
            candidates=source,
            group=group,
            received_at=RECEIVED,
            settings=settings,
        )
        out = decision.outcome
        outcomes[f"{rec.kind}:{out.value}"] += 1
        if rec.truth is None:
            counts["new"] += 1
            if out is Outcome.NEW_MEMBER:
                counts["new_auto"] += 1
            elif out is Outcome.APPLY:
                counts["wrong_apply"] += 1
            continue
        bucket = "ssn" if rec.ssn_present else "no_ssn"
        counts[f"match_{bucket}"] += 1
        if out is Outcome.APPLY and decision.member_id == rec.truth:
            counts[f"match_{bucket}_auto"] += 1
        elif out is Outcome.APPLY:
            counts["wrong_apply"] += 1
        elif out is Outcome.NEW_MEMBER:
            counts["wrong_new"] += 1
        else:
            counts["review"] += 1
            top3 = [c.member_id for c in decision.candidates[:3]]
            counts["review_top3"] += rec.truth in top3
    auto = (
        counts["new_auto"]
        + counts["match_ssn_auto"]
        + counts["match_no_ssn_auto"]
        + counts["wrong_apply"]
        + counts["wrong_new"]
    )
    wrong = counts["wrong_apply"] + counts["wrong_new"]

    def rate(num: int, den: int) -> float:
        return round(num / den, 4) if den else 1.0

    return {
        "seed": seed,
        "roster_people": len(source),
        "records": len(records),
        "true_matches": counts["match_ssn"] + counts["match_no_ssn"],
        "true_new": counts["new"],
        "automatic": auto,
        "wrong_automatic": wrong,
        "wrong_apply": counts["wrong_apply"],
        "wrong_new_member": counts["wrong_new"],
        "automatic_precision": rate(auto - wrong, auto),
        "match_auto_rate_ssn": rate(counts["match_ssn_auto"], counts["match_ssn"]),
        "match_auto_rate_no_ssn": rate(counts["match_no_ssn_auto"], counts["match_no_ssn"]),
        "matches_ssn": counts["match_ssn"],
        "matches_no_ssn": counts["match_no_ssn"],
        "new_member_rate": rate(counts["new_auto"], counts["new"]),
        "matches_reviewed": counts["review"],
        "review_top3_recall": rate(counts["review_top3"], counts["review"]),
        "outcomes": dict(sorted(outcomes.items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--families", type=int, default=1500)
    parser.add_argument("--matches", type=int, default=1500)
    parser.add_argument("--new", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    args = parser.parse_args(argv)
    result = evaluate(args.seed, args.families, args.matches, args.new)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for key, value in result.items():
            if key != "outcomes":
                print(f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
