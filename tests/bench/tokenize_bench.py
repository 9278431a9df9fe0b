"""Tokenizer benchmark: segments/s and peak memory for one file (no timing asserts).

`bench_tokenize(path)` is called by tests/bench/run.py; run this file directly to
generate a synthetic plain 834 and measure it:

    .venv/bin/python tests/bench/tokenize_bench.py --members 200000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from edi.segments import Segment  # noqa: E402
from edi.tokenize import read_segments  # noqa: E402

_HEAD = (
    "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       "
    "*260101*1200*^*00501*000000001*0*P*:~\n"
    "GS*BE*SENDER*RECEIVER*20260101*1200*1*X*005010X220A1~\n"
    "ST*834*0001*005010X220A1~\nBGN*00*REF1*20260101*1200****2~\n"
    "N1*P5*ACME*FI*999888777~\nN1*IN*PAYER*FI*999888666~\n"
)
_MEMBER = (
    "INS*Y*18*021*20*A***FT~\nREF*0F*{id:09d}~\nDTP*356*D8*20260101~\n"
    "NM1*IL*1*DOE*JANE*Q***34*{id:09d}~\nPER*IP**HP*5555550100~\n"
    "N3*12 MAIN ST~\nN4*ANYTOWN*PA*17011~\nDMG*D8*19800101*F~\n"
    "HD*021**HLT~\nDTP*348*D8*20260101~\nHD*021**DEN~\nDTP*348*D8*20260101~\n"
    "COB*P*890111*5~\nDTP*344*D8*20260101~\n"
)
SEGMENTS_PER_MEMBER = _MEMBER.count("~")


def write_plain_834(path: Path, members: int) -> Path:
    """A synthetic one-segment-per-line 834 with `members` invented members (no real data)."""
    with path.open("w", encoding="ascii", newline="") as fh:
        fh.write(_HEAD)
        for i in range(members):
            fh.write(_MEMBER.format(id=999000000 + i % 1000000))
        n = 4 + SEGMENTS_PER_MEMBER * members + 1
        fh.write(f"SE*{n}*0001~\nGE*1*1~\nIEA*1*000000001~\n")
    return path


def bench_tokenize(path: Path | str, trace_memory: bool = False) -> dict[str, float]:
    """Stream `path` through `read_segments`; report counts, speed and memory.

    `peak_rss_mb` is the process high-water mark (it includes whatever ran
    before); `traced_peak_mb` (only with `trace_memory`, which slows the run)
    is the peak of Python allocations during the read. On a shared machine
    `segments_per_cpu_s` is the steadier speed figure.
    """
    path = Path(path)
    if trace_memory:
        tracemalloc.start()
    start = time.perf_counter()
    cpu_start = time.process_time()
    segments = findings = 0
    for item in read_segments(path, path.name):
        if isinstance(item, Segment):
            segments += 1
        else:
            findings += 1
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    result: dict[str, float] = {
        "bytes": float(path.stat().st_size),
        "segments": float(segments),
        "findings": float(findings),
        "seconds": seconds,
        "segments_per_s": segments / seconds if seconds else 0.0,
        "cpu_seconds": cpu,
        "segments_per_cpu_s": segments / cpu if cpu else 0.0,
        "mb_per_s": path.stat().st_size / seconds / 1e6 if seconds else 0.0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if trace_memory:
        result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", nargs="?", help="an 834 file (default: generate one)")
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--trace-memory", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = (
            Path(args.path) if args.path else write_plain_834(Path(tmp) / "bench.834", args.members)
        )
        for key, value in bench_tokenize(path, args.trace_memory).items():
            print(f"{key:>16}: {value:,.2f}")


if __name__ == "__main__":
    main()
