"""The speed targets (issue 16, section 3) as ratios to references measured in the same run.

    python tests/bench/targets.py                     # 100k members, twice each
    python tests/bench/targets.py --members 20000 --repeat 1 --only parse --only validate
    python tests/bench/targets.py --rss               # also peak RSS at 1M vs 100k

The machine's speed varies about 2x from day to day and other jobs share its two cores,
so every figure is a ratio to a reference run on the same file in the same run, right
before or after it: each pair is measured `--repeat` times and the range of the ratios is
printed, with both figures and the machine. `validate` (about 2 s against `x12valid`'s
minute or more) runs right before and right after `x12valid` and counts as the mean of the
two (`bracketed`): the machine's speed was seen to drift by a fifth within minutes. Every command runs in its own process as a
user runs it (the CLI, pyx12's `x12valid`); wall and CPU seconds come from wait4, peak RSS
from sampling /proc (both include a reading process the command spawned).

| target | enroll834 | reference |
|---|---|---|
| parse | `enroll834 parse FILE --json > file` | floor-split: split FILE into segments and elements |
| validate | `enroll834 validate FILE --json` | `x12valid FILE` (pyx12) |
| ingest-sqlite | `enroll834 ingest FILE` into an empty SQLite ledger | `x12valid FILE` |
| ingest-postgres | the same into PostgreSQL (`--postgres URL`) | `x12valid FILE` |
| rss (`--rss`) | peak RSS of parse and ingest (SQLite; PostgreSQL with `--postgres`) at 10x `--members` | the same at `--members` |

The goal is judged on wall time (what the issue states); CPU-time ratios are printed
next to it because they move less with the machine's load (an ingest's CPU time includes
its reading process, so it is higher than its wall time when both cores work).

Inputs are generated once into .bench/ (new members: every member is recorded).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BIN = Path(sys.executable).parent
sys.path[:0] = [str(ROOT), str(HERE)]


@dataclass(frozen=True)
class Run:
    """One command's figures."""

    seconds: float
    cpu: float
    rss_mb: float
    code: int


def tree_pids(pid: int) -> list[int]:
    """`pid` and its descendants now, parents first (a reader skips any that has gone)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            todo.extend(int(k) for k in Path(f"/proc/{p}/task/{p}/children").read_text().split())
        except OSError:
            continue
    return out


def _tree_rss_kb(pid: int) -> int:
    """VmRSS of `pid` and its descendants now, in KiB (0 when gone)."""
    total = 0
    for p in tree_pids(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines()
                       if line.startswith("VmRSS:")), 0)
    return total


def measure(cmd: list[str], *, stdout: Path | None = None, env: dict[str, str] | None = None,
            ok: tuple[int, ...] = (0, 1)) -> Run:
    """Run `cmd`; wall and CPU seconds (wait4: it and its children) and peak RSS: the
    largest sum of the resident sets of it and its children, sampled every 0.2 s (wait4's
    ru_maxrss would include this runner's own size, inherited at fork)."""
    out = open(stdout, "wb") if stdout else subprocess.DEVNULL  # noqa: SIM115
    peak = [0]
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT,
                                env=env or dict(os.environ))

        def sample() -> None:
            while proc.returncode is None:
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
                time.sleep(0.2)

        watcher = threading.Thread(target=sample, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        watcher.join()
    finally:
        if stdout:
            out.close()  # type: ignore[union-attr]
    code = proc.returncode
    if code not in ok:
        raise SystemExit(f"{' '.join(cmd[:3])} ... exited {code}")
    run = Run(seconds, usage.ru_utime + usage.ru_stime, peak[0] / 1024, code)
    print(f"  {Path(cmd[0]).name} {' '.join(cmd[1:4])[:60]}: {run.seconds:.1f} s, "
          f"CPU {run.cpu:.1f} s, {run.rss_mb:.0f} MB", file=sys.stderr, flush=True)
    return run


def compile_project() -> None:
    """The project's bytecode, written as an install writes it (`make install` does too), so
    that no command compiles its modules while measured: with PYTHONDONTWRITEBYTECODE set,
    every run would otherwise compile them again (about 0.06 s of a `parse` start-up), and
    whether a test run left bytecode behind would decide the figures."""
    import compileall

    for name in ("edi", "matching", "ledger", "web"):
        compileall.compile_dir(ROOT / name, quiet=1)
    compileall.compile_file(ROOT / "cli.py", quiet=1)


def new_members_file(members: int) -> Path:
    """The runner's `members`-enrolment file, sent today (`ingest` judges its effective date
    against the clock), generated in a child process (so this process stays small)."""
    code = ("import sys, datetime; sys.path[:0] = sys.argv[1:3]; from ledger_bench import "
            "_new_members_file; print(_new_members_file(int(sys.argv[3]), "
            "datetime.date.today()))")
    out = subprocess.run([sys.executable, "-c", code, str(HERE), str(ROOT), str(members)],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return Path(out.stdout.strip().splitlines()[-1])


def floor_split(path: Path) -> Run:
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from floor_bench import split; "
            "from pathlib import Path; split(Path(sys.argv[2]), 0)")
    return measure([sys.executable, "-c", code, str(HERE), str(path)])


def parse_json(path: Path, tmp: Path) -> Run:
    return measure([str(BIN / "enroll834"), "parse", str(path), "--json"],
                   stdout=tmp / "parse.jsonl")


def validate_json(path: Path) -> Run:
    return measure([str(BIN / "enroll834"), "validate", str(path), "--json"])


def x12valid(path: Path, tmp: Path) -> Run:
    return measure([str(BIN / "x12valid"), "--quiet", "--log-file", str(tmp / "x12valid.log"),
                    str(path)], ok=(0, 1, 2))


def ingest(path: Path, url: str, env: dict[str, str] | None = None) -> Run:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ENROLL834_")}
    return measure([str(BIN / "enroll834"), "--db", url, "--quiet", "ingest", str(path)],
                   env={**clean, **(env or {})})


def bracketed(before: Run, after: Run) -> Run:
    """A short command measured right before and right after its long reference: the
    mean of the two times (the worse exit status, the higher peak), so that a drift of the
    machine's speed while the reference runs weighs on both sides of the ratio."""
    return Run((before.seconds + after.seconds) / 2, (before.cpu + after.cpu) / 2,
               max(before.rss_mb, after.rss_mb), before.code or after.code)


def _bench_partner(url: str) -> None:
    """The bench files' sender with wide date windows: the generated files carry fixed
    dates, and with today's received time they would all go to review instead of being
    recorded as new members (what the targets measure)."""
    import sqlalchemy as sa

    from ledger.store import schema as t
    from ledger.store.db import dispose, engine

    with engine(url).begin() as conn:
        conn.execute(sa.insert(t.partners).values(
            sender_qualifier="ZZ", sender_id="BENCHSENDER", name="bench", retro_days=36500,
            future_days=3650))
    dispose()


def empty_sqlite(tmp: Path, name: str) -> str:
    from ledger.store.db import upgrade

    db = tmp / f"{name}.db"
    for p in tmp.glob(f"{name}.db*"):
        p.unlink()
    upgrade(f"sqlite:///{db}")
    _bench_partner(f"sqlite:///{db}")
    return f"sqlite:///{db}"


def empty_postgres(base: str, name: str) -> str:
    import sqlalchemy as sa

    from ledger.store.db import dispose, upgrade

    schema = f"bench_{os.getpid()}_{name}"
    eng = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    eng.dispose()
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    upgrade(url)
    dispose()
    _bench_partner(url)
    return url


def drop_postgres(base: str, name: str) -> None:
    import sqlalchemy as sa

    eng = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "bench_{os.getpid()}_{name}" CASCADE'))
    eng.dispose()


def _rss_run(what: str, path: Path, tmp: Path, postgres: str | None) -> Run:
    """One `--rss` measurement: `parse`, or `ingest` into an empty SQLite or PostgreSQL
    ledger (the client's processes: the server's own memory is not the command's)."""
    if what == "parse":
        return parse_json(path, tmp)
    if what == "ingest":
        return ingest(path, empty_sqlite(tmp, "rss"))
    assert postgres
    url = empty_postgres(postgres, "rss")
    try:
        return ingest(path, url)
    finally:
        drop_postgres(postgres, "rss")


# ---------------------------------------------------------------- the table

@dataclass(frozen=True)
class Row:
    target: str
    ours: list[Run]
    reference: list[Run]
    goal: str
    better: str  # "lower": ours/reference <= goal; "faster": reference/ours >= goal

    def ratios(self, what: str = "seconds") -> list[float]:
        pairs = [(getattr(o, what), getattr(r, what)) for o, r in
                 zip(self.ours, self.reference, strict=True)]
        if self.better == "faster":
            return [r / o for o, r in pairs]
        return [o / r for o, r in pairs]

    def line(self) -> str:
        ratios = self.ratios()
        low, high = min(ratios), max(ratios)
        limit = float(self.goal.strip("≤≥× "))
        met = (high <= limit) if self.better == "lower" else (low >= limit)
        span = f"{low:.2f}×" if len(ratios) == 1 else f"{low:.2f}–{high:.2f}×"
        ours = _span([o.seconds for o in self.ours], "s")
        ref = _span([r.seconds for r in self.reference], "s")
        cpu = _span([o.cpu for o in self.ours], "s")
        rss = max(o.rss_mb for o in self.ours)
        word = "faster than" if self.better == "faster" else "of"
        by_cpu = self.ratios("cpu")
        cpu_span = (f"{min(by_cpu):.2f}×" if len(by_cpu) == 1
                    else f"{min(by_cpu):.2f}–{max(by_cpu):.2f}×")
        ref_cpu = _span([r.cpu for r in self.reference], "s")
        return (f"| {self.target} | **{span}** {word} the reference | {self.goal} | "
                f"{'met' if met else '**not met**'} | {cpu_span} | {ours} (CPU {cpu}, "
                f"{rss:.0f} MB) | {ref} (CPU {ref_cpu}) |")


def _span(values: list[float], unit: str) -> str:
    low, high = min(values), max(values)
    return f"{low:.1f} {unit}" if abs(high - low) < 0.05 else f"{low:.1f}–{high:.1f} {unit}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--members", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--only", action="append", default=[],
                    help="parse, validate, ingest-sqlite, ingest-postgres (repeatable)")
    ap.add_argument("--postgres", default=os.environ.get("ENROLL834_TEST_POSTGRES_URL"),
                    help="PostgreSQL URL for ingest-postgres (default ENROLL834_TEST_POSTGRES_URL)")
    ap.add_argument("--rss", action="store_true", help="peak RSS at 10x --members vs --members")
    a = ap.parse_args(argv)
    chosen = set(a.only) or {"parse", "validate", "ingest-sqlite", "ingest-postgres"}
    from run import machine

    compile_project()
    path = new_members_file(a.members)
    rows: list[Row] = []
    notes: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="enroll834-targets-"))
    try:
        pyx12: list[Run] = []

        def reference_x12valid() -> Run:
            run = x12valid(path, tmp)
            pyx12.append(run)
            return run

        ours: dict[str, list[Run]] = {k: [] for k in chosen}
        refs: dict[str, list[Run]] = {k: [] for k in chosen}
        for i in range(a.repeat):
            print(f"round {i + 1} of {a.repeat} ({a.members:,} members) ...", file=sys.stderr,
                  flush=True)
            if "parse" in chosen:
                refs["parse"].append(floor_split(path))
                ours["parse"].append(parse_json(path, tmp))
            needs_pyx12 = chosen & {"validate", "ingest-sqlite", "ingest-postgres"}
            before = validate_json(path) if "validate" in chosen else None
            ref = reference_x12valid() if needs_pyx12 else None
            if before is not None:
                ours["validate"].append(bracketed(before, validate_json(path)))
                refs["validate"].append(ref)  # type: ignore[arg-type]
            if "ingest-sqlite" in chosen:
                ours["ingest-sqlite"].append(ingest(path, empty_sqlite(tmp, "ingest")))
                refs["ingest-sqlite"].append(ref)  # type: ignore[arg-type]
            if "ingest-postgres" in chosen:
                if not a.postgres:
                    notes.append("ingest-postgres skipped: no --postgres URL")
                    chosen.discard("ingest-postgres")
                else:
                    url = empty_postgres(a.postgres, "ingest")
                    try:
                        ours["ingest-postgres"].append(ingest(path, url))
                    finally:
                        drop_postgres(a.postgres, "ingest")
                    refs["ingest-postgres"].append(ref)  # type: ignore[arg-type]
        goals = {"parse": ("≤ 5×", "lower", "`parse --json` ÷ floor-split"),
                 "validate": ("≥ 30×", "faster", "`validate --json` vs pyx12 `x12valid`"),
                 "ingest-sqlite": ("≤ 0.25×", "lower", "`ingest`, empty SQLite ÷ `x12valid`"),
                 "ingest-postgres": ("≤ 0.35×", "lower",
                                     "`ingest`, empty PostgreSQL ÷ `x12valid`")}
        for key in ("parse", "validate", "ingest-sqlite", "ingest-postgres"):
            if key in chosen and ours[key]:
                goal, better, label = goals[key]
                rows.append(Row(label, ours[key], refs[key], goal, better))
        rss_lines: list[str] = []
        if a.rss:
            big = new_members_file(a.members * 10)
            kinds = ["parse", "ingest"] + (["ingest-postgres"] if a.postgres else [])
            if not a.postgres:
                notes.append("peak RSS of the PostgreSQL ingest skipped: no --postgres URL")
            for what in kinds:
                small_run = _rss_run(what, path, tmp, a.postgres)
                big_run = _rss_run(what, big, tmp, a.postgres)
                ratio = big_run.rss_mb / small_run.rss_mb
                ok = big_run.rss_mb <= 300 and ratio <= 1.3
                label = {"parse": "`parse`", "ingest": "`ingest` (SQLite)",
                         "ingest-postgres": "`ingest` (PostgreSQL, the client)"}[what]
                rss_lines.append(
                    f"| peak RSS of {label}, {a.members * 10:,} vs {a.members:,} members | "
                    f"**{ratio:.2f}×** | ≤ 300 MB and ≤ 1.3× | {'met' if ok else '**not met**'} "
                    f"| {big_run.rss_mb:.0f} MB ({big_run.seconds:.0f} s) | "
                    f"{small_run.rss_mb:.0f} MB |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()
    print(f"Machine: {machine()}; load average {load[0]:.1f} at the end; "
          f"{a.members:,} generated new members, {a.repeat} round(s)\n")
    print("| target | ratio of wall times (range over rounds) | goal | | same in CPU time "
          "| enroll834 | reference |")
    print("|---|---:|---|---|---:|---:|---:|")
    for row in rows:
        print(row.line())
    for line in rss_lines:
        print(line)
    if pyx12:
        print(f"\nReference pyx12 `x12valid`: {_span([r.seconds for r in pyx12], 's')}; "
              f"floor-split and pyx12 run in the same round as the command they divide.")
    for note in notes:
        print(f"\n{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
