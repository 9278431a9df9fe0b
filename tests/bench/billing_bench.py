"""Billing benchmark: bill runs for one 100,000-member group and for 1,000 groups of 100.

A ledger of `groups` x `size` members (one open HLT/PPO1/EMP span each from 2026-12-01,
a rate per group) is built in a child process by bulk inserts, so the measured process's
peak RSS is the bill runs' own. Measured: the January run (charges; PDF, CSV and JSON
per bill into an outbox), then — after 1 % of the members are terminated back-dated to
January 1 through the store's write path (not timed) — the February run, whose
adjustments read only the changed members. Reported: seconds, CPU seconds, peak RSS,
member-months and microseconds per member-month.

Usage: python tests/bench/billing_bench.py [--groups 1 --size 100000] [--db sqlite|URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def build(url: str, groups: int, size: int) -> None:
    """The ledger: `groups` sponsors of `size` members, each covered from 2026-12-01."""
    from ledger.billing import load_rates
    from ledger.store import bulk_insert, engine, upgrade
    from ledger.store import schema as t

    upgrade(url)
    n = 0
    with engine(url).begin() as conn:
        load_rates(conn, [("bench", {"sponsor": f"G{g:05d}", "plan": "PPO1", "level": "EMP",
                                     "from": "2027-01-01", "monthly_rate": "450.00"})
                          for g in range(groups)], user="bench")
        for g in range(groups):
            for lo in range(0, size, 5000):
                members, demo, cov = [], [], []
                for _ in range(lo, min(size, lo + 5000)):
                    n += 1
                    mid = f"M{n:09d}"
                    members.append({"member_id": mid, "sponsor_id": f"G{g:05d}",
                                    "subscriber_member_id": None, "subscriber_number": f"S{n}",
                                    "relationship": "18", "birth_sequence": None,
                                    "created_at": T0, "created_entry": None})
                    demo.append({"version_id": n, "member_id": mid, "last": f"LAST{n % 977}",
                                 "first": f"FIRST{n % 613}", "middle": "", "suffix": "",
                                 "birth_date": None, "gender": "", "address_line1": "",
                                 "address_line2": "", "city": "", "state": "", "postal_code": "",
                                 "valid_from": None, "recorded_at": T0, "entry_seq": None})
                    cov.append({"version_id": n, "member_id": mid, "insurance_line": "HLT",
                                "plan": "PPO1", "coverage_level": "EMP",
                                "valid_from": dt.date(2026, 12, 1), "valid_to": None,
                                "recorded_at": T0, "entry_seq": None})
                bulk_insert(conn, t.members, members)
                bulk_insert(conn, t.demographics_versions, demo)
                bulk_insert(conn, t.coverage_versions, cov)
        for name in ("member", "demographics_version", "coverage_version"):
            conn.execute(t.counters.insert().values(name=name, value=n))


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _terminate_share(url: str, share: float) -> int:
    """End every 1/share-th member's span at 2027-01-01 (back-dated), via the write path."""
    import sqlalchemy as sa

    from ledger.store import UnitOfWork, engine
    from ledger.store import schema as t
    from ledger.store.spans import terminate

    step = round(1 / share)
    with engine(url).begin() as conn:
        ids = [r[0] for r in conn.execute(sa.select(t.members.c.member_id)
                                          .order_by(t.members.c.member_id))][::step]
        uow = UnitOfWork(conn, recorded_at=dt.datetime(2027, 1, 5, tzinfo=dt.UTC))
        for mid in ids:
            terminate(uow, mid, "HLT", dt.date(2027, 1, 1),
                      lambda m=mid: uow.entry(member_id=m, kind="coverage_ended"))
        uow.finish()
    return len(ids)


def run(db: str = "sqlite", groups: int = 1, size: int = 100_000) -> dict[str, Any]:
    """Build (child), then time the January and February runs in this process."""
    from ledger.billing import run_bills
    from ledger.store import dispose

    with tempfile.TemporaryDirectory(prefix="billing-bench-") as tmp_:
        tmp = Path(tmp_)
        url = f"sqlite:///{tmp / 'ledger.db'}" if db == "sqlite" else db
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--build", url, "--groups", str(groups),
                        "--size", str(size)], check=True)  # fmt: skip
        out: dict[str, Any] = {"groups": groups, "members_per_group": size,
                               "build_s": round(time.perf_counter() - t0, 1)}
        for label, period, at in (("jan", "2027-01", dt.datetime(2027, 1, 1, tzinfo=dt.UTC)),
                                  ("feb", "2027-02", dt.datetime(2027, 2, 1, tzinfo=dt.UTC))):
            if label == "feb":
                out["retro_terminated"] = _terminate_share(url, 0.01)
            t1, c1 = time.perf_counter(), time.process_time()
            res = run_bills(url, period, user="bench", outbox=tmp / "outbox", now=at)
            secs, cpu = time.perf_counter() - t1, time.process_time() - c1
            assert all(r.status == "issued" for r in res), res[0].error
            mm = sum(r.lines for r in res)
            out[label] = {"seconds": round(secs, 1), "cpu_s": round(cpu, 1), "lines": mm,
                          "total": sum(r.total_cents for r in res) / 100,
                          "us_per_member_month": round(secs / max(mm, 1) * 1e6, 1)}
        out["peak_rss_mb"] = _peak_rss_mb()
        dispose()
    return out


def _case(groups: int, size: int) -> int:
    res = run("sqlite", groups, size)
    print(json.dumps(res), file=sys.stderr)
    return int(res["jan"]["lines"]) + int(res["feb"]["lines"])


try:
    from run import Case

    CASES = [
        Case("bill run, 1 group x 100,000 members (Jan + Feb with 1% retro)", 100_000,
             lambda _p, n: _case(1, n), quick=100_000, needs_file=False,
             note="member-months billed; RSS excludes building the ledger"),
        Case("bill run, 1,000 groups x 100 members (Jan + Feb with 1% retro)", 100_000,
             lambda _p, n: _case(n // 100, 100), quick=100_000, needs_file=False,
             note="member-months billed; RSS excludes building the ledger"),
    ]  # fmt: skip
except ImportError:  # pragma: no cover - imported outside the runner
    CASES = []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--groups", type=int, default=1)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--db", default="sqlite", help="'sqlite' or a PostgreSQL URL")
    ap.add_argument("--build", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.build:
        build(args.build, args.groups, args.size)
        return
    print(json.dumps(run(args.db, args.groups, args.size), indent=2))


if __name__ == "__main__":
    main()
