"""IG validation benchmarks: the compiled validator against pyx12, same file, same run.

    python tests/bench/ig_bench.py                 # 100,000 members (generated once into .bench/)
    python tests/bench/ig_bench.py --members 10000

What is timed, for both validators alike, is one validation pass: build the
validator, then `findings(path)` over the whole file — which reads and
tokenizes the file itself, since validation needs it. Nothing else is in the
timed part: the file's segments and members are counted in a separate,
untimed pass (also timed on its own, for information). Times are CPU seconds
of this process (`time.process_time`), so other load on a shared machine
distorts the ratio little; wall seconds are reported too. The command line
runs both validators on one file in one process and prints the ratio of the
two validation passes. `CASES` registers the same passes with run.py (`make
bench`): there each case's timed run is exactly `validate(path, name)`.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

from run import Case, bench_file  # noqa: E402


def _validator(name: str) -> object:
    if name == "compiled":
        from edi.ig import CompiledValidator

        return CompiledValidator()
    if name == "pyx12":
        from edi.ig_pyx12 import Pyx12Validator

        return Pyx12Validator()
    raise ValueError(f"unknown validator {name!r} (compiled or pyx12)")


def _count(path: Path) -> tuple[int, int]:
    """(segments, members) of a file."""
    from edi.segments import Segment
    from edi.tokenize import read_segments

    segments = members = 0
    for item in read_segments(path, path.name):
        if isinstance(item, Segment):
            segments += 1
            members += item.id == "INS"
    return segments, members


def validate(path: Path, validator_name: str) -> int:
    """One validation pass over `path` (the timed part): the number of findings."""
    validator = _validator(validator_name)
    return sum(1 for _ in validator.findings(path, path.name))  # type: ignore[attr-defined]


def bench_validate(path: Path, validator_name: str) -> dict[str, float]:
    """Validate `path` with 'compiled' or 'pyx12'; speed figures for the validation pass."""
    start = time.process_time()
    segments, members = _count(path)
    tokenize_seconds = time.process_time() - start
    wall = time.perf_counter()
    start = time.process_time()
    findings = validate(path, validator_name)
    seconds = time.process_time() - start
    wall = time.perf_counter() - wall
    return {
        "seconds": seconds,
        "wall_seconds": wall,
        "members": members,
        "segments": segments,
        "findings": findings,
        "members_per_s": members / seconds,
        "segments_per_s": segments / seconds,
        "us_per_segment": seconds / segments * 1e6,
        "tokenize_seconds": tokenize_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _compiled(path: Path | None, members: int) -> int:
    assert path is not None
    validate(path, "compiled")
    return members  # bench_file(members) holds exactly that many members


def _pyx12(path: Path | None, members: int) -> int:
    assert path is not None
    validate(path, "pyx12")
    return members


CASES: list[Case] = [
    Case("validate-compiled", 100_000, _compiled, quick=10_000),
    Case("validate-compiled", 1_000_000, _compiled),
    Case("validate-pyx12 (IG only)", 100_000, _pyx12, quick=10_000),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--members", type=int, default=100_000)
    ap.add_argument("--file", type=Path, default=None, help="an 834 to use instead of a generated one")
    ap.add_argument("--only", choices=("compiled", "pyx12"), default=None)
    args = ap.parse_args(argv)
    path = args.file or bench_file(args.members)
    names = (args.only,) if args.only else ("compiled", "pyx12")
    results = {name: bench_validate(path, name) for name in names}
    first = next(iter(results.values()))
    print(f"file: {path.name}  segments: {int(first['segments'])}  members: {int(first['members'])}")
    print("| validator | CPU s | members/s | segments/s | µs/segment | findings |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['seconds']:.2f} (wall {r['wall_seconds']:.2f}) | {r['members_per_s']:,.0f} | "
              f"{r['segments_per_s']:,.0f} | {r['us_per_segment']:.2f} | {int(r['findings'])} |")
    last = list(results.values())[-1]
    print(f"tokenizing alone (part of every pass above): {last['tokenize_seconds']:.2f} CPU s; "
          f"peak RSS {last['peak_rss_mb']:.0f} MB")
    if len(results) == 2:
        ratio = results["pyx12"]["seconds"] / results["compiled"]["seconds"]
        print(f"compiled vs pyx12: {ratio:.1f}x (CPU seconds of the two validation passes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
