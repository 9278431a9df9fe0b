"""Benchmark runner (`make bench`): members/s and peak RSS, one subprocess per benchmark.

    python tests/bench/run.py                  # everything, 100k and 1M member files
    python tests/bench/run.py --only parse --quick

members/s is per wall-clock second; on a shared machine compare CPU s too.
Input files are generated once into .bench/ (synthetic, seed 1, ASCII names) and
reused; delete .bench/ after changing the generator. Each
benchmark runs in its own Python process, so the peak RSS reported (VmHWM of
that process) is its own. Prints a markdown table and the machine it ran on.

Adding a benchmark area (ledger, matching, compiled validator, ...): write
tests/bench/<area>_bench.py exposing `CASES: list[Case]` (see parse_bench.py)
and add one line to SECTIONS below.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BENCH_DIR = ROOT / ".bench"

# ---------------------------------------------------------------- the registry
SECTIONS: list[str] = [
    "parse_bench",  # edi: generate, tokenize, parse 100k/1M; pyx12 validation side by side
    "ig_bench",  # edi/ig: the compiled validator vs pyx12 (IG only)
    "matching_bench",  # matching: decisions against 10k / 1M rosters
    "reconcile_bench",  # ledger: full file vs ledger, 100k (quick) / 1M members
    "floor_bench",  # parse floors: split only, one untyped model, the typed records unchecked
    "ledger_bench",  # ledger: ingest / apply 100k into an empty ledger; change-file scaling
    "billing_bench",  # billing: bill runs, 1 group x 100k and 1,000 groups x 100 members
    "web_bench",  # web: 20 representatives against `enroll834 serve` on a 50k-item queue (PG)
]


@dataclass(frozen=True)
class Case:
    """One benchmark: `run(path, members)` consumes the input and returns members handled.

    `members` is the input size of a full run; `quick` the size under --quick
    (None: skipped under --quick). `path` is a generated 834 of that many
    members, or None when `needs_file` is False.
    """

    name: str
    members: int
    run: Callable[[Path | None, int], int]
    quick: int | None = None
    needs_file: bool = True
    note: str = ""


def bench_file(members: int) -> Path:
    """The shared input of `members` members under .bench/, generated on first use."""
    sys.path.insert(0, str(ROOT))
    from edi.generate import write_file

    BENCH_DIR.mkdir(exist_ok=True)
    path = BENCH_DIR / f"834-{members}-seed1.edi"
    if not path.exists():
        print(f"generating {path.relative_to(ROOT)} ...", file=sys.stderr, flush=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")  # concurrent runners never share a tmp
        write_file(tmp, members, 1, "lines", ascii_only=True)
        tmp.rename(path)
    return path


# ---------------------------------------------------------------- child side


def peak_rss_mb() -> float:
    """This process's peak resident set size (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(section: str, name: str, members: int, path: str | None) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    module = importlib.import_module(section)
    case = next(c for c in module.CASES if c.name == name and members in (c.members, c.quick))
    start, cpu = time.perf_counter(), time.process_time()
    handled = case.run(Path(path) if path else None, members)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "members": handled,
                      "rss_mb": peak_rss_mb()}))


# ---------------------------------------------------------------- parent side


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        ram = f", {kb / 1024 / 1024:.1f} GB RAM"
    except (OSError, IndexError, ValueError):
        pass
    return (f"{cpu}, {os.cpu_count()} cores{ram}, Python {platform.python_version()} "
            f"({platform.system()} {platform.release()})")


def selected(only: list[str], quick: bool) -> list[tuple[str, Case, int]]:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    modules = {section: importlib.import_module(section) for section in SECTIONS}
    names = {case.name for mod in modules.values() for case in mod.CASES}
    # A name that is a benchmark selects that benchmark; any other names a section.
    sections = {name for name in only if name not in names}
    chosen = []
    for section, mod in modules.items():
        short = section.removesuffix("_bench")
        for case in mod.CASES:
            if only and short not in sections and case.name not in only:
                continue
            size = case.quick if quick else case.members
            if size is not None:
                chosen.append((section, case, size))
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", default=[],
                        help="a benchmark name (e.g. parse), else a section (e.g. ig); repeatable")
    parser.add_argument("--quick", action="store_true", help="small inputs (minutes, not tens)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--members", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        section, name = args.child.split(":", 1)
        child(section, name, args.members, args.file)
        return 0

    cases = selected(args.only, args.quick)
    if not cases:
        print("no benchmark selected", file=sys.stderr)
        return 2
    rows: list[str] = []
    details: list[str] = []  # figures a benchmark prints itself (JSON lines on its stderr)
    failed = False
    for section, case, size in cases:
        path = bench_file(size) if case.needs_file else None
        print(f"running {case.name} ({size:,} members) ...", file=sys.stderr, flush=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", f"{section}:{case.name}",
               "--members", str(size)] + (["--file", str(path)] if path else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            failed = True
            print(proc.stderr[-2000:], file=sys.stderr)
            rows.append(f"| {case.name} | {size:,} | failed | | | |")
            continue
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        details.extend(f"- {case.name} ({size:,}): {line}" for line in _json_lines(proc.stderr))
        rate = result["members"] / result["seconds"] if result["seconds"] else 0.0
        note = f" ({case.note})" if case.note else ""
        rows.append(f"| {case.name}{note} | {result['members']:,} | {result['seconds']:.1f} | "
                    f"{result['cpu']:.1f} | {rate:,.0f} | {result['rss_mb']:.0f} |")
    print(f"Machine: {machine()}\n")
    print("| benchmark | members | seconds | CPU s | members/s | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    if details:
        print("\nDetail figures (ledger-only time, ratios, memory growth):\n")
        print("\n".join(details))
    return 1 if failed else 0


def _json_lines(text: str) -> list[str]:
    """The lines of `text` that are JSON objects, compacted."""
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                found.append(json.dumps(json.loads(line), separators=(",", ":")))
            except ValueError:
                continue
    return found


if __name__ == "__main__":
    sys.exit(main())
