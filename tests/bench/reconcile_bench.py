"""Full-file reconciliation benchmark (a script and bench-runner cases; not timed tests).

A ledger of N invented subscribers (one coverage each) is built and exported
as a full file (`ledger.fullfile.export834`) in a child process (on SQLite the ledger
is `ledger_bench`'s cached base ledger of that size, built once for both benches); 1 % of
its members are dropped from the file and 1 % get a new street; then the
file is reconciled in this process (verify policy: 1 % missing_in_file, 1 %
field_mismatch, the rest confirmed). Reported: reconcile seconds, members/s
and this process's peak RSS — building the ledger never counts towards it,
nor does the export, so comparing sizes shows whether reconcile memory stays flat.
`--cache DIR` keeps the built ledger and the file for later runs (building 1M takes
many minutes); each run reconciles against a fresh copy of the cached ledger.

Usage: python tests/bench/reconcile_bench.py [--members 100000] [--db sqlite|URL] [--cache DIR]
       python tests/bench/run.py --only reconcile [--quick]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

SPONSOR = "991234567"


def build(url: str, members: int, tmp: Path) -> None:
    """Create the ledger at `url` with `members` subscribers (run in a child process)."""
    from ledger_bench import _events, _new_member_decider, write_members

    from ledger.ingest import ingest_events
    from ledger.store.db import upgrade

    upgrade(url)
    step = 100_000
    for k, start in enumerate(range(0, members, step)):
        path = write_members(tmp / f"base_{k}.edi", min(step, members - start), start=start,
                             isa13=100 + k)  # fmt: skip
        events, sha = _events(path)
        ingest_events(url, events, source=path.name, file_sha256=sha, decide=_new_member_decider,
                      received_at=__import__("ledger_bench").RECEIVED)  # fmt: skip
        path.unlink()


def perturb(src: Path, dst: Path) -> int:
    """Copy the exported file dropping every 100th member loop and re-addressing every 100th+50.

    SE01 is recounted; QTY totals are left as exported (the reader only warns).
    """
    member, kept, count = -1, 0, 0
    skip = False
    with src.open() as fin, dst.open("w") as out:
        for line in fin:
            if line.startswith("INS*"):
                member += 1
                skip = member % 100 == 0
                kept += not skip
            if line.startswith(("SE*", "GE*", "IEA*")):
                skip = False
            if skip:
                continue
            if line.startswith("ST*"):
                count = 0
            if line.startswith("N3*") and member % 100 == 50:
                line = "N3*1 MOVED LANE~\n"
            if line.startswith("SE*"):
                line = f"SE*{count + 1}*0001~\n"
            count += 1
            out.write(line)
    return kept


def _url(db: str, tmp: Path, name: str) -> str:
    from ledger_bench import _fresh_url

    return _fresh_url(db, tmp, name)


def run(db: str = "sqlite", members: int = 100_000, cache: Path | None = None) -> dict[str, Any]:
    """Build, export, perturb and reconcile; returns the figures.

    With `cache` (SQLite only) the built ledger and the perturbed file are kept there and
    reused by later runs: each run reconciles against a fresh copy of the cached ledger.
    """
    with tempfile.TemporaryDirectory(prefix="recon-bench-") as d:
        tmp = Path(d)
        if cache is None:
            url = _url(db, tmp, f"recon_{members}")
            figures = _prepare(url, members, tmp)
            return {**figures, **_reconcile(url, tmp / "perturbed.edi")}
        if db != "sqlite":
            raise SystemExit("--cache works with SQLite only")
        cache.mkdir(parents=True, exist_ok=True)
        meta = cache / f"recon_{members}.json"
        if not meta.exists():
            url = f"sqlite:///{cache / f'recon_{members}.db'}"
            figures = _prepare(url, members, tmp)
            shutil.move(str(tmp / "perturbed.edi"), cache / f"recon_{members}.edi")
            meta.write_text(json.dumps(figures))
        figures = json.loads(meta.read_text())
        cached = cache / f"recon_{members}.db"
        with sqlite3.connect(cached) as db_:  # fold the WAL in, so one file is the whole ledger
            db_.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(cached, tmp / "ledger.db")
        url = f"sqlite:///{tmp / 'ledger.db'}"
        return {**figures, **_reconcile(url, cache / f"recon_{members}.edi")}


def _prepare(url: str, members: int, tmp: Path) -> dict[str, Any]:
    """Build the ledger at `url` and export it (child process), then write tmp/perturbed.edi.

    On SQLite the ledger is the scale benchmark's base ledger of the same size
    (`ledger_bench._base_ledger`: the same generated members through the same write path,
    cached in .bench/ while that path is unchanged), which the child copies before exporting.
    """
    t0 = time.perf_counter()
    # the build runs in the child too: nothing of it counts towards this process's peak RSS
    args = ["--export-only" if url.startswith("sqlite:///") else "--build", url]
    child = subprocess.run([sys.executable, __file__, *args, "--members", str(members),
                            "--tmp", str(tmp)], check=True, stdout=subprocess.PIPE, text=True)  # fmt: skip
    done = json.loads(child.stdout.strip().splitlines()[-1])
    t_export = done["export_s"]
    build = done.get("build", {})
    t_build = build.get("build_s", time.perf_counter() - t0 - t_export)
    full = tmp / "full.edi"
    in_file = perturb(full, tmp / "perturbed.edi")
    full.unlink()
    return {
        "db": "sqlite" if url.startswith("sqlite") else "postgresql", "members": members,
        "file_members": in_file, "build_s": round(t_build, 1), "export_s": round(t_export, 1),
        "export_members_per_s": round(members / t_export),
        **{f"ledger_{k}": v for k, v in build.items() if k != "build_s"},
    }  # fmt: skip


def _reconcile(url: str, file_: Path) -> dict[str, Any]:
    """Reconcile `file_` (verify policy) against `url` in this process; the measured part."""
    from ledger.fullfile.files import reconcile_file
    from ledger.store.db import dispose
    from ledger.store.policies import FullFilePolicy

    t0, c0 = time.perf_counter(), time.process_time()
    out = reconcile_file(url, file_, policy=FullFilePolicy())
    t_rec, cpu = time.perf_counter() - t0, time.process_time() - c0
    dispose()
    c = out.runs[0].counts
    in_file = sum(1 for line in file_.open() if line.startswith("INS*"))
    return {
        "reconcile_s": round(t_rec, 1), "reconcile_cpu_s": round(cpu, 1),
        "reconcile_members_per_s": round(in_file / t_rec),
        "confirmed": c.get("confirmed_members", 0), "missing_in_file": c.get("missing_in_file", 0),
        "field_mismatch": c.get("field_mismatch", 0), "peak_rss_mb": _peak_rss_mb(),
    }  # fmt: skip


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _case(members: int) -> int:
    res = run("sqlite", members)
    print(json.dumps(res), file=sys.stderr)
    return int(res["file_members"])


try:
    from run import Case

    CASES = [
        Case("reconcile full file vs ledger (sqlite, 1% absent, 1% changed)", 1_000_000,
             lambda _p, n: _case(n), quick=100_000, needs_file=False,
             note="member count of ledger and file; RSS excludes building the ledger"),
    ]  # fmt: skip
except ImportError:  # pragma: no cover - imported outside the runner
    CASES = []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", type=int, default=100_000)
    ap.add_argument("--db", default="sqlite", help="'sqlite' or a PostgreSQL URL")
    ap.add_argument("--cache", type=Path, default=None,
                    help="keep the built ledger and file in this folder and reuse them (SQLite)")
    ap.add_argument("--build", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--export-only", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--tmp", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.build or args.export_only:
        from ledger.fullfile.export834 import write_export

        url = args.build or args.export_only
        build_figures: dict[str, Any] = {}
        if args.build:
            build(url, args.members, Path(args.tmp))
        else:  # SQLite: a copy of the scale benchmark's cached base ledger
            from ledger_bench import CACHE, _base_ledger

            copy, build_figures = _base_ledger("sqlite", Path(args.tmp), args.members,
                                               "recon_base", CACHE)  # fmt: skip
            shutil.move(copy.removeprefix("sqlite:///"), url.removeprefix("sqlite:///"))
        t0 = time.perf_counter()
        write_export(url, Path(args.tmp) / "full.edi", SPONSOR)
        print(json.dumps({"export_s": round(time.perf_counter() - t0, 1),
                          "build": build_figures}))
        return
    print(json.dumps(run(args.db, args.members, args.cache), indent=2))


if __name__ == "__main__":
    main()
