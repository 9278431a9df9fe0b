"""Ledger benchmarks (a script and a function the bench runner calls; not timed tests).

1. bulk:   N new members, one coverage each, in one transaction set, into an
           empty ledger, the ledger alone (events read beforehand, a decider
           that says NEW_MEMBER); plus the whole pipeline (reader + compiled
           validator + matcher + ledger: `ingest_file`) on `full_members`
           members. Peak-RSS growth is reported per phase.
2. scale:  a change file of C members (INS03 001 address change) against
           ledgers of `small` and `large` members; reports the per-member cost
           ratio large/small (target <= 1.5). The base ledgers are real ones,
           built through `ingest_events` (NEW_MEMBER sets of 100,000); on
           SQLite they are kept in .bench/ keyed by size and a digest of the
           code that writes them (the 1M one takes minutes to build), and each
           measurement changes a fresh copy.

Usage: python tests/bench/ledger_bench.py [--members 100000] [--full-members 10000]
       [--changes 10000] [--small 10000] [--large 1000000] [--db sqlite|URL] [--skip-scale]
       [--cache DIR | --no-cache]

Registered in run.py's SECTIONS (`python tests/bench/run.py --only ledger`):
ledger-ingest (the whole pipeline, compiled validator on, on a file of new
members, empty SQLite ledger; the file is generated once into .bench/),
ledger-ingest-mixed (the same on the runner's generated mixed file),
ledger-apply (ledger only, events read first) and ledger-scale (the
change-file ratio; ENROLL834_BENCH_LARGE sets the large ledger, default
1,000,000, 100,000 under --quick). Their detail figures go to stderr as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import inspect
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
for _p in (str(ROOT), str(Path(__file__).resolve().parent)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from run import peak_rss_mb  # noqa: E402

CACHE = ROOT / ".bench"
"""Built base ledgers of the scale benchmark (SQLite), reused while the write path is unchanged."""
RECEIVED = dt.datetime(2026, 1, 20, 9, 0, tzinfo=dt.UTC)
"""When the in-process benches receive their files (`received_at`)."""
SENT = dt.date(2026, 1, 15)
"""When those files were sent (BGN); effective the first of the next month."""


def _first_of_next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "we", "za", "bri", "dra", "fen",
             "gor", "hul", "jas", "kel", "mor", "nim", "pax", "quo", "sel", "tov", "ulm", "yer"]


def _ssn(i: int) -> str:
    """Member `i`'s invented SSN: unique, scattered over the 8xx area (48271 is prime to
    10^8). Numbered in order, every SSN would be one keyed digit from its neighbours' and
    each new member a possible typo of another, held for review: no real file looks so."""
    return f"8{(i * 48271 + 4099) % 10**8:08d}"


def write_members(path: Path, n: int, *, start: int = 0, change: bool = False, isa13: int = 1,
                  seed: int = 7, sent: dt.date = SENT) -> Path:  # fmt: skip
    """A one-set 834 of `n` invented subscribers (enrolments, or 001 address changes), sent
    on `sent` and effective the first of the next month."""
    rnd = random.Random(seed + start)
    eff = f"{_first_of_next_month(sent):%Y%m%d}"
    segs = [
        "ISA*00*          *00*          *ZZ*BENCHSENDER    *ZZ*BENCHPAYER     "
        f"*{sent:%y%m%d}*1200*^*00501*{isa13:09d}*0*P*:",
        f"GS*BE*BENCHSENDER*BENCHPAYER*{sent:%Y%m%d}*1200*1*X*005010X220A1",
    ]
    st = ["ST*834*0001*005010X220A1", f"BGN*00*B1*{sent:%Y%m%d}*1200****2",
          "N1*P5*BENCH GROUP*FI*991234567", "N1*IN*SYNTH PLAN*FI*990000001"]  # fmt: skip
    for i in range(start, start + n):
        who = random.Random(i)  # the same person in the enrolment and the change file
        last = "".join(who.choice(SYLLABLES) for _ in range(3)).upper()
        first = "".join(who.choice(SYLLABLES) for _ in range(2)).upper()
        dob = dt.date(1950, 1, 1) + dt.timedelta(days=who.randrange(20000))
        if change:
            st += ["INS*Y*18*001*43*A***FT", f"REF*0F*B{i:09d}", f"DTP*303*D8*{eff}",
                   f"NM1*IL*1*{last}*{first}****34*{_ssn(i)}", f"N3*{rnd.randrange(1, 999)} NEW RD",
                   "N4*SPRINGFIELD*IL*62701", f"DMG*D8*{dob:%Y%m%d}*F"]  # fmt: skip
        else:
            st += ["INS*Y*18*021*28*A***FT", f"REF*0F*B{i:09d}", f"DTP*356*D8*{eff}",
                   f"NM1*IL*1*{last}*{first}****34*{_ssn(i)}", f"N3*{i} MAIN ST",
                   "N4*SPRINGFIELD*IL*62701", f"DMG*D8*{dob:%Y%m%d}*F",
                   "HD*021**HLT*PPO1*EMP", f"DTP*348*D8*{eff}"]  # fmt: skip
    st.append(f"SE*{len(st) + 1}*0001")
    segs += st + ["GE*1*1", f"IEA*1*{isa13:09d}"]
    path.write_text("~\n".join(segs) + "~\n")
    return path


def _new_member_decider(header: Any, family: Sequence[Any], **_: Any) -> list[Any]:
    from matching.decisions import Decision, Outcome

    return [Decision(Outcome.NEW_MEMBER, tx) for tx in family]


def _subscriber_decider(header: Any, family: Sequence[Any], *, candidates: Any, **_: Any) -> list[Any]:
    """APPLY to the candidate holding the same subscriber number (blocking-key lookup)."""
    from matching.blocking import transaction_keys
    from matching.decisions import Decision, Outcome, Reason

    out = []
    for tx in family:
        found = [p for p in candidates.candidates(transaction_keys(tx))
                 if tx.subscriber_number in p.subscriber_numbers]  # fmt: skip
        if found:
            out.append(Decision(Outcome.APPLY, tx, member_id=found[0].member_id, score=1.0))
        else:
            out.append(Decision(Outcome.REVIEW, tx, reason=Reason.UNKNOWN_MEMBER))
    return out


def _events(path: Path) -> tuple[list[Any], str]:
    from edi.reader import read

    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    return list(read(data, path.name, file_sha256=sha)), sha


def _schema(name: str) -> str:
    """This run's PostgreSQL schema for `name` (the process id keeps concurrent runs apart)."""
    return f"bench_{os.getpid()}_{name}"


def _fresh_url(kind: str, tmp: Path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp / name}.db"
    import sqlalchemy as sa

    schema = _schema(name)
    eng = sa.create_engine(kind, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    eng.dispose()
    sep = "&" if "?" in kind else "?"
    return f"{kind}{sep}options=-csearch_path%3D{schema}"


def ingest_new_members(kind: str, tmp: Path, path: Path) -> dict[str, Any]:
    """`ingest_file` of `path` as `enroll834 ingest` runs it (reader + compiled validator +
    matching + ledger) into an empty ledger: seconds, CPU seconds, outcome counts."""
    from edi.validate import make_validator
    from ledger.ingest import ingest_file
    from ledger.store.db import upgrade

    url = _fresh_url(kind, tmp, "bulk_full")
    upgrade(url)
    validator = make_validator("compiled")
    rss0 = peak_rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    res = ingest_file(url, path, received_at=RECEIVED, validator=validator)
    secs, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"s": round(secs, 2), "cpu_s": round(cpu, 2),
            "peak_rss_growth_mb": round(peak_rss_mb() - rss0), "members": dict(res.members)}  # fmt: skip


def bench_bulk(kind: str, tmp: Path, members: int, full_members: int) -> dict[str, Any]:
    """Seconds for `members` new members ledger-only, and `full_members` through the pipeline."""
    from ledger.ingest import ingest_events
    from ledger.store.db import upgrade

    out: dict[str, Any] = {"members": members}
    if full_members:
        full = ingest_new_members(kind, tmp, write_members(tmp / "full.edi", full_members))
        out |= {"full_pipeline_members": full_members, "full_pipeline_s": full["s"],
                "full_pipeline_cpu_s": full["cpu_s"],
                "full_pipeline_peak_rss_growth_mb": full["peak_rss_growth_mb"],
                "full_new": full["members"]["new"], "full_review": full["members"]["review"]}  # fmt: skip
    if not members:
        return out
    path = write_members(tmp / "bulk.edi", members)
    t0, c0 = time.perf_counter(), time.process_time()
    events, sha = _events(path)
    t_read, c_read = time.perf_counter() - t0, time.process_time() - c0
    url2 = _fresh_url(kind, tmp, "bulk_ledger")
    upgrade(url2)
    # the events are held in memory beforehand (~12 KB each): the ledger's own
    # memory is what the peak grows by while it runs
    rss0 = peak_rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    only = ingest_events(url2, events, source="bulk.edi", file_sha256=sha,
                         decide=_new_member_decider, received_at=RECEIVED)  # fmt: skip
    t_ledger, c_ledger = time.perf_counter() - t0, time.process_time() - c0
    return out | {
        "read_only_s": round(t_read, 2),
        "read_only_cpu_s": round(c_read, 2),
        "events_rss_mb": round(rss0),
        "ledger_only_s": round(t_ledger, 2),
        "ledger_only_cpu_s": round(c_ledger, 2),
        "ledger_peak_rss_growth_mb": round(peak_rss_mb() - rss0),
        "ledger_new": only.members["new"],
        "ledger_members_per_s": round(members / t_ledger),
    }


_WRITE_PATH = (
    "ledger/store/schema.py", "ledger/store/db.py", "ledger/store/unit.py", "ledger/ingest.py", "ledger/store/apply.py",
    "ledger/store/spans.py", "matching/blocking.py", "edi/records.py", "edi/reader.py",
)  # fmt: skip
"""What decides a base ledger's content (with the migrations and this file's generator)."""


@functools.cache
def _write_path_digest() -> str:
    """Digest of the code that writes a base ledger: the cache key beside its size.

    Taken once per process (the code it runs does not change under it, even if
    the files do).
    """
    h = hashlib.sha256()
    for fn in (write_members, _new_member_decider, _build_ledger):
        h.update(inspect.getsource(fn).encode())
    versions = sorted((ROOT / "ledger" / "store" / "migrations" / "versions").glob("*.py"))
    for path in [ROOT / name for name in _WRITE_PATH] + versions:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def _build_ledger(url: str, tmp: Path, size: int, name: str) -> None:
    """`size` new members through ingest_events (NEW_MEMBER decider), 100,000 per set."""
    from ledger.ingest import ingest_events
    from ledger.store.db import upgrade

    upgrade(url)
    step = 100_000
    for k, start in enumerate(range(0, size, step)):
        path = write_members(tmp / f"{name}_{k}.edi", min(step, size - start), start=start, isa13=100 + k)
        events, sha = _events(path)
        ingest_events(url, events, source=path.name, file_sha256=sha,
                      decide=_new_member_decider, received_at=RECEIVED)  # fmt: skip
        path.unlink()


def _base_ledger(
    kind: str, tmp: Path, size: int, name: str, cache: Path | None = None
) -> tuple[str, dict[str, Any]]:
    """A fresh `size`-member ledger to change, and how its build went.

    With `cache` (SQLite only) the built ledger is kept there as
    ledger-<size>-<write-path digest>.db and every call gets its own copy of
    it, so the change file never touches the cached one; a cache file of
    another digest for the same size is replaced.
    """
    from ledger.store.db import dispose

    if kind != "sqlite" or cache is None:
        url = _fresh_url(kind, tmp, name)
        t0, c0 = time.perf_counter(), time.process_time()
        _build_ledger(url, tmp, size, name)
        return url, {"build_s": round(time.perf_counter() - t0, 1),
                     "build_cpu_s": round(time.process_time() - c0, 1)}  # fmt: skip
    cache.mkdir(parents=True, exist_ok=True)
    cached = cache / f"ledger-{size}-{_write_path_digest()}.db"
    meta = cached.with_suffix(".json")
    reused = cached.exists() and meta.exists()
    if not reused:
        part = cached.with_suffix(f".{os.getpid()}.part")  # concurrent builders never share one
        try:
            t0, c0 = time.perf_counter(), time.process_time()
            _build_ledger(f"sqlite:///{part}", tmp, size, name)
            figures = {"build_s": round(time.perf_counter() - t0, 1),
                       "build_cpu_s": round(time.process_time() - c0, 1)}  # fmt: skip
            dispose(f"sqlite:///{part}")
            with closing(sqlite3.connect(part)) as db:  # fold the WAL in: one file is the ledger
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            for old in cache.glob(f"ledger-{size}-*.*"):
                if old.suffix in (".db", ".json"):
                    old.unlink()
            part.rename(cached)
            meta.write_text(json.dumps(figures))
        finally:
            for leftover in cache.glob(f"{part.name}*"):
                leftover.unlink()
    copy = tmp / f"{name}.db"
    shutil.copyfile(cached, copy)
    return f"sqlite:///{copy}", {**json.loads(meta.read_text()), "build_reused": reused}


def bench_scale(
    kind: str, tmp: Path, changes: int, small: int, large: int, cache: Path | None = None,
    repeat: int = 1,
) -> dict[str, Any]:  # fmt: skip
    """Per-member seconds of a `changes`-member change file against two ledger sizes.

    Ledgers come from `_base_ledger` (cached under `cache` for SQLite); the
    build figures of a cached ledger are those of the run that built it. With
    `repeat` > 1 the two sizes alternate, each run on a fresh ledger, and the
    medians are reported (one run on a shared machine is noise-prone).
    """
    from ledger.ingest import ingest_events
    from ledger.store.db import dispose

    out: dict[str, Any] = {"changes": changes, "repeat": repeat}
    runs: dict[str, list[tuple[float, float]]] = {"small": [], "large": []}
    for r in range(repeat):
        for label, size in (("small", small), ("large", large)):
            url, build = _base_ledger(kind, tmp, size, f"base_{label}", cache)
            if r == 0:
                out |= {f"{label}_{k}": v for k, v in build.items()}
            start = max(0, size - changes) // 2
            path = write_members(tmp / f"chg_{label}.edi", changes, start=start, change=True,
                                 isa13=9)  # fmt: skip
            events, sha = _events(path)
            t0, c0 = time.perf_counter(), time.process_time()
            res = ingest_events(url, events, source=path.name, file_sha256=sha,
                                decide=_subscriber_decider, received_at=RECEIVED)  # fmt: skip
            runs[label].append((time.perf_counter() - t0, time.process_time() - c0))
            out[f"{label}_members"] = size
            out[f"{label}_applied"] = res.members["applied"]
            dispose(url)
            if url.startswith("sqlite:///"):  # the next run gets a fresh copy
                for leftover in tmp.glob(f"base_{label}.db*"):
                    leftover.unlink()
    for label, got in runs.items():
        out[f"{label}_us_per_member"] = round(statistics.median(w for w, _ in got) / changes * 1e6)
        out[f"{label}_cpu_us_per_member"] = round(statistics.median(c for _, c in got) / changes * 1e6)
    out["ratio_large_small"] = round(out["large_us_per_member"] / out["small_us_per_member"], 2)
    out["cpu_ratio_large_small"] = round(
        out["large_cpu_us_per_member"] / out["small_cpu_us_per_member"], 2
    )
    return out


def run(db: str = "sqlite", members: int = 100_000, changes: int = 10_000, small: int = 10_000,
        large: int = 1_000_000, scale: bool = True, full_members: int = 10_000,
        cache: Path | None = None, repeat: int = 1) -> dict[str, Any]:  # fmt: skip
    """Run the ledger benchmarks; returns figures as a dict (what the bench runner prints).

    `cache` keeps the scale benchmark's SQLite base ledgers between runs (see
    `_base_ledger`); `repeat` runs of each size, medians reported (`bench_scale`).
    """
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as d:
        tmp = Path(d)
        result: dict[str, Any] = {"db": "sqlite" if db == "sqlite" else "postgresql"}
        try:
            result["bulk"] = bench_bulk(db, tmp, members, full_members)
            if scale:
                result["scale"] = bench_scale(db, tmp, changes, small, large, cache, repeat)
        finally:
            _drop_schemas(db)
        return result


def _drop_schemas(kind: str) -> None:
    """Drop the PostgreSQL schemas the benchmark created."""
    from ledger.store.db import dispose

    dispose()
    if kind == "sqlite":
        return
    import sqlalchemy as sa

    eng = sa.create_engine(kind, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        for name in ("bulk_full", "bulk_ledger", "base_small", "base_large"):
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{_schema(name)}" CASCADE'))
    eng.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite", help="'sqlite' or a PostgreSQL URL")
    ap.add_argument("--members", type=int, default=100_000)
    ap.add_argument("--changes", type=int, default=10_000)
    ap.add_argument("--small", type=int, default=10_000)
    ap.add_argument("--large", type=int, default=1_000_000)
    ap.add_argument("--full-members", type=int, default=10_000,
                    help="members for the whole-pipeline run (reader + matcher + ledger); 0 skips")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--cache", type=Path, default=CACHE,
                    help="where SQLite base ledgers are kept between runs (default .bench/)")
    ap.add_argument("--no-cache", action="store_true", help="build every base ledger afresh")
    ap.add_argument("--repeat", type=int, default=None,
                    help="change-file runs per size, medians reported (default 3 on a cached "
                         "SQLite ledger, else 1: uncached, every run rebuilds its ledger)")
    a = ap.parse_args()
    cache = None if a.no_cache or a.db != "sqlite" else a.cache
    repeat = a.repeat or (3 if cache else 1)
    print(json.dumps(run(a.db, a.members, a.changes, a.small, a.large, not a.skip_scale,
                         a.full_members, cache, repeat), indent=2))


def _new_members_file(members: int, sent: dt.date = SENT) -> Path:
    """A `members`-enrolment file under .bench/ (write_members) sent on `sent`, generated
    once and reused. The command-line benches send it today, so it reads as a file arriving
    now (`enroll834 ingest` judges effective dates against the clock; targets.py's bench
    sender also has wide date windows)."""
    bench_dir = ROOT / ".bench"
    bench_dir.mkdir(exist_ok=True)
    path = bench_dir / f"834-{members}-new-members-{sent:%Y%m%d}.edi"
    if not path.exists():
        tmp = write_members(path.with_suffix(f".{os.getpid()}.tmp"), members, sent=sent)
        tmp.rename(path)
    return path


def _case_ingest(_: Path | None, members: int) -> int:
    """Issue #7's case: `enroll834 ingest` of a `members`-new-member file (compiled
    validator on) into an empty SQLite ledger."""
    path = _new_members_file(members)
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as d:
        print(json.dumps({"ledger-ingest": ingest_new_members("sqlite", Path(d), path)}),
              file=sys.stderr)  # fmt: skip
    return members


def _case_ingest_mixed(path: Path | None, members: int) -> int:
    """ingest_file of the runner's generated mixed file (additions, changes, terminations
    of unknown members that go to review ...) into an empty SQLite ledger."""
    assert path is not None
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as d:
        print(json.dumps({"ledger-ingest-mixed": ingest_new_members("sqlite", Path(d), path)}),
              file=sys.stderr)  # fmt: skip
    return members


def _case_apply(_: Path | None, members: int) -> int:
    """The ledger alone: `members` new members in one set (events read first, untimed here)."""
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as d:
        print(json.dumps(bench_bulk("sqlite", Path(d), members, 0)), file=sys.stderr)
    return members


def _case_scale(_: Path | None, members: int) -> int:
    """A `members`-member change file against 10,000 and ENROLL834_BENCH_LARGE members
    (ledgers cached in .bench/; medians of three runs per size)."""
    large = int(os.environ.get("ENROLL834_BENCH_LARGE", 1_000_000 if members >= 10_000 else 100_000))
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as d:
        figures = bench_scale("sqlite", Path(d), members, 10_000, large, CACHE, repeat=3)
        print(json.dumps(figures), file=sys.stderr)
    return members


def _cases() -> list[Any]:
    from run import Case

    return [
        Case("ledger-ingest", 100_000, _case_ingest, quick=10_000, needs_file=False,
             note="new members, compiled validator"),
        Case("ledger-ingest-mixed", 100_000, _case_ingest_mixed, quick=10_000,
             note="the generated mixed file"),
        Case("ledger-apply", 100_000, _case_apply, quick=10_000, needs_file=False),
        Case("ledger-scale", 10_000, _case_scale, quick=2_000, needs_file=False,
             note="change file vs 10k and ENROLL834_BENCH_LARGE members"),  # fmt: skip
    ]


if __name__ == "__main__":
    main()
else:
    CASES = _cases()
