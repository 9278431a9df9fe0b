"""matching benchmark: per-transaction decide cost at a 10,000 vs a 1,000,000-person roster.

    python tests/bench/matching_bench.py            # both sizes, prints the ratio
    python tests/bench/matching_bench.py --sizes 10000 100000

The roster is indexed in `MemoryCandidates` (the same blocking keys the
ledger's indexed table holds), so the cost of a decision should depend on
block sizes, not on the roster: the target is 1M within 1.5x of 10k.
Only `decide_family` calls are timed (process CPU time; wall time alongside);
building the roster is not.

Names: a real million-person roster has tens of thousands of surnames, so
besides the common-name pool of matching.synthetic (30 %) people get
surnames and given names built from syllables; with only a few hundred
names every name-based block would grow with the roster, which no real
roster does.

Registered for tests/bench/run.py through `CASES` (the runner's time includes
building the roster; the per-transaction figure is printed to stderr).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from edi.records import Lineage, TransactionSetHeader  # noqa: E402
from matching.blocking import transaction_keys  # noqa: E402
from matching.decisions import CobraAdministration, GroupPolicy, KnownPerson, Outcome  # noqa: E402
from matching.memory import MemoryCandidates  # noqa: E402
from matching.route import decide_family  # noqa: E402
from matching.synthetic import FEMALE, MALE, STREETS, SURNAMES, transaction_for  # noqa: E402

SYLLABLES = [
    "BAR",
    "KEL",
    "MOR",
    "TAN",
    "VIL",
    "RO",
    "SEN",
    "DA",
    "LIN",
    "GAR",
    "HOL",
    "MAN",
    "BER",
    "TOR",
    "WIN",
    "FEL",
    "KIN",
    "STO",
    "RAD",
    "LOW",
    "NOR",
    "PAL",
    "SHA",
    "VEN",
    "DRO",
    "MAL",
    "CAR",
    "LEV",
    "HAN",
    "TRE",
    "GOS",
    "BIN",
    "FAR",
    "MER",
    "QUI",
    "ZAN",
    "OST",
    "PEL",
]
RECEIVED = dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)
HEADER = TransactionSetHeader(lineage=Lineage(source="bench"))
GROUP = GroupPolicy(sponsor_id="BENCH", cobra=CobraAdministration.SELF)


def roster(size: int, seed: int = 1, first_family: int = 0) -> list[KnownPerson]:
    """`size` people in households of about 2.5 sharing number, surname and address
    (family numbers from `first_family` + 1)."""
    rng = random.Random(seed)
    people: list[KnownPerson] = []
    family = first_family
    start = dt.date(1940, 1, 1).toordinal()
    while len(people) < size:
        family += 1
        if rng.random() < 0.3:
            surname = rng.choice(SURNAMES)
        else:
            surname = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3))))
        line = f"{rng.randint(1, 99999)} {rng.choice(STREETS)} {rng.choice(SYLLABLES)} ST"
        zip5 = f"{rng.randint(10000, 99899):05d}"
        number = f"S{family:09d}"
        for place in range(rng.choice((1, 2, 2, 3, 3, 4))):
            gender = rng.choice("MF")
            if rng.random() < 0.7:
                first = rng.choice(MALE if gender == "M" else FEMALE)
            else:
                first = "".join(rng.choice(SYLLABLES) for _ in range(2))
            dob = dt.date.fromordinal(start + rng.randint(0, 85 * 365))
            people.append(
                KnownPerson(
                    member_id=f"M{len(people):09d}",
                    subscriber_numbers=(number,),
                    ssn=f"{rng.randint(1, 665):03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
                    if place < 2 or rng.random() < 0.6
                    else "",
                    last=surname,
                    first=first,
                    birth_date=dob,
                    gender=gender,
                    relationship=("18", "01", "19", "19")[place],
                    address_line1=line,
                    postal_code=zip5,
                )
            )
    return people[:size]


def decide_cost(size: int, decisions: int = 2000, seed: int = 1) -> dict[str, float]:
    """Build and index a roster of `size`, then time `decisions` enrollments of roster people
    (half with a nickname-free exact resend, half without SSN and with a moved address)."""
    # The in-memory index stands in for the ledger's table: its millions of
    # objects are built without GC passes and then frozen out of them.
    gc.disable()
    people = roster(size, seed)
    build = time.perf_counter()
    source = MemoryCandidates(people)
    indexed = time.perf_counter() - build
    gc.freeze()
    gc.enable()
    rng = random.Random(seed + 1)
    sample = [rng.choice(people) for _ in range(decisions)]
    txs = [
        transaction_for(p)
        if i % 2
        else transaction_for(p, ssn="", address_line1="1 NEW ST", postal_code="30301")
        for i, p in enumerate(sample)
    ]
    for tx in txs[:50]:  # warm the caches as a running pipeline would
        decide_family(HEADER, [tx], candidates=source, group=GROUP, received_at=RECEIVED)
    # CPU time of this process: the machine is shared, wall time is not a fair comparison.
    start, wall = time.process_time(), time.perf_counter()
    for tx in txs:
        decide_family(HEADER, [tx], candidates=source, group=GROUP, received_at=RECEIVED)
    seconds, wall = time.process_time() - start, time.perf_counter() - wall
    seen = sum(len(source.candidates(transaction_keys(tx))) for tx in txs)
    # People the roster does not hold, drawn the same way (half without an SSN): a
    # decision should find them certainly new, however many strangers look alike.
    fresh = roster(decisions // 4, seed + 1000, first_family=10**8)
    new = [transaction_for(p) if i % 2 else transaction_for(p, ssn="") for i, p in enumerate(fresh)]
    held = sum(
        decide_family(HEADER, [tx], candidates=source, group=GROUP, received_at=RECEIVED)[0].outcome
        != Outcome.NEW_MEMBER
        for tx in new
    )
    return {
        "roster": size,
        "decisions": decisions,
        "us_per_decision": round(seconds / decisions * 1e6, 1),
        "wall_us_per_decision": round(wall / decisions * 1e6, 1),
        "mean_candidates": round(seen / decisions, 2),
        "index_seconds": round(indexed, 1),
        "new_people": len(new),
        "new_held_share": round(held / len(new), 4),
    }


def _case(size: int):  # type: ignore[no-untyped-def]
    def run(_: Path | None, decisions: int) -> int:
        result = decide_cost(size, decisions)
        print(json.dumps(result), file=sys.stderr)
        return decisions

    return run


try:
    from run import Case  # type: ignore[import-not-found]

    CASES = [
        Case(
            "decide@10k-roster",
            5000,
            _case(10_000),
            quick=2000,
            needs_file=False,
            note="time includes indexing the roster",
        ),
        Case(
            "decide@1M-roster",
            5000,
            _case(1_000_000),
            needs_file=False,
            note="time includes indexing the roster",
        ),
    ]
except ImportError:  # imported outside tests/bench
    CASES = []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--decisions", type=int, default=2000)
    args = parser.parse_args(argv)
    results = [decide_cost(size, args.decisions) for size in args.sizes]
    for r in results:
        print(json.dumps(r))
    base = results[0]["us_per_decision"]
    for r in results[1:]:
        print(
            f"roster {r['roster']:,} vs {results[0]['roster']:,}: "
            f"{r['us_per_decision'] / base:.2f}x per decision"
        )
    for r in results:
        print(
            f"roster {r['roster']:,}: {r['new_held_share']:.1%} of {r['new_people']} "
            "new people held for review"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
