"""A long ingest watched as it runs: the bench's new-members file into an empty ledger.

    python tests/bench/ingest_watch.py --members 1000000                 # SQLite
    python tests/bench/ingest_watch.py --members 400000 --postgres URL --slow-ms 20

Every 30 s it prints the elapsed time, how far the reading process is in the file (its
offset, as a member count), the command's CPU seconds (both processes), the resident set of
both processes now and at its peak (summed every 0.2 s, as `targets.py` measures it) and, on
SQLite, the size of the write-ahead log; on PostgreSQL, the CPU seconds of the server's
processes for the database (read from /proc: a server on this machine) and, with
`--slow-ms`, the plans of the statements slower than that are written to the server's log
(`auto_explain`, loaded into the ingest's session only). The command runs at `nice 19`, so a
run of hours leaves the machine to other work; its peak RSS does not depend on that.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

from ledger_bench import _new_members_file  # noqa: E402
from targets import (  # noqa: E402
    BIN,
    _tree_rss_kb,
    drop_postgres,
    empty_postgres,
    empty_sqlite,
    tree_pids,
)

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int | str) -> float:
    """User and system CPU seconds of one process (0 when gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _cpu(pid: int) -> float:
    """CPU seconds of `pid` and its descendants."""
    return sum(_cpu_seconds(p) for p in tree_pids(pid))


def _server_cpu(database: str) -> float:
    """CPU seconds of the PostgreSQL processes serving `database` now."""
    total = 0.0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"postgres:") and f" {database} ".encode() in cmdline:
            total += _cpu_seconds(pid)
    return total


def _place(pid: int, path: Path, members: int) -> int | None:
    """Where a process of `pid`'s tree is reading `path`, as a member count (None: nowhere)."""
    size = path.stat().st_size
    for p in tree_pids(pid):
        try:
            for fd in os.listdir(f"/proc/{p}/fd"):
                if os.readlink(f"/proc/{p}/fd/{fd}") == str(path):
                    pos = int(Path(f"/proc/{p}/fdinfo/{fd}").read_text().split()[1])
                    return round(pos / size * members)
        except OSError:
            continue
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--members", type=int, required=True)
    ap.add_argument("--postgres", help="PostgreSQL URL (default: an empty SQLite ledger)")
    ap.add_argument("--slow-ms", type=int, help="PostgreSQL: log the plans slower than this")
    a = ap.parse_args(argv)
    path = _new_members_file(a.members, dt.date.today()).resolve()
    tmp = Path(tempfile.mkdtemp(prefix="enroll834-watch-"))
    if a.postgres:
        url = empty_postgres(a.postgres, "watch")
        if a.slow_ms:
            url += ("%20-csession_preload_libraries%3Dauto_explain"
                    f"%20-cauto_explain.log_min_duration%3D{a.slow_ms}")
        database = a.postgres.rsplit("/", 1)[1].split("?")[0]
    else:
        url = empty_sqlite(tmp, "watch")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENROLL834_")}
    cmd = ["nice", "-n", "19", str(BIN / "enroll834"), "--db", url, "--quiet", "ingest", str(path)]
    try:
        return _watch(cmd, env, path, a.members, tmp, database if a.postgres else None)
    finally:
        if a.postgres:
            drop_postgres(a.postgres, "watch")
        shutil.rmtree(tmp, ignore_errors=True)


def _watch(cmd: list[str], env: dict[str, str], path: Path, members: int, tmp: Path,
           database: str | None) -> int:
    start = time.monotonic()
    server0 = _server_cpu(database) if database else 0.0
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    peak, last = 0, 0.0
    while proc.poll() is None:
        rss = _tree_rss_kb(proc.pid)
        peak = max(peak, rss)
        now = time.monotonic()
        if now - last >= 30:
            last = now
            line = (f"{now - start:7.0f} s  member ~{_place(proc.pid, path, members)}  CPU "
                    f"{_cpu(proc.pid):.0f} s  RSS {rss / 1024:.1f} MB (peak {peak / 1024:.1f})")
            if database:
                line += f"  server CPU {_server_cpu(database) - server0:.0f} s"
            else:
                wal = tmp / "watch.db-wal"
                line += f"  WAL {wal.stat().st_size / 2**30 if wal.exists() else 0:.2f} GB"
            print(line, flush=True)
        time.sleep(0.2)
    print(f"exit {proc.returncode} after {time.monotonic() - start:.0f} s; peak RSS "
          f"{peak / 1024:.1f} MB", flush=True)
    return proc.returncode or 0


if __name__ == "__main__":
    raise SystemExit(main())
