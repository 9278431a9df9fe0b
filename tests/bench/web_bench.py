"""The review desk under load: 20 simulated representatives against `enroll834 serve` on
PostgreSQL, working a 50,000-item review queue (a benchmark, not a timed test).

After seeding, `VACUUM ANALYZE review_items` stands in for the autovacuum a table that
grew by 50,000 rows gets in service. The ledger lives in its own schema of ENROLL834_BENCH_POSTGRES_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/test), dropped afterwards. 50,000 held
items are copies of one real held transaction (an uncertain match against a member);
the server is `enroll834 --db URL serve` in its own process on 127.0.0.1. Each
representative is a thread with its own signed-in HTTP client and works a bounded loop:
open a queue page (one of the first pages, so representatives collide), open an item
on it, resolve it (half enrolled as new members, half rejected with a reason).

Reported (a JSON line on stderr): p50/p95/max of the list and item pages, resolves,
resolves lost to another representative (the desk refuses an item already resolved:
a 409 said on the page), and the checks: no item resolved twice, every resolved item
audited 'review.resolve' exactly once, every 303 answered by one resolved item. Where
the CPU went while the representatives worked, per request: the server's processes,
its PostgreSQL backends (found by their application_name; read from /proc, so only
with the database on this host) and this process (the representatives' HTTP clients);
and the machine's load average, since all three share its cores.

ENROLL834_BENCH_REPS (20) and ENROLL834_BENCH_ROUNDS (25) set the representatives and
their resolves; ENROLL834_BENCH_WORKERS (2: one per core here) the server's `--workers`.
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from run import ROOT, Case

REPS = int(os.environ.get("ENROLL834_BENCH_REPS", "20"))
WORKERS = int(os.environ.get("ENROLL834_BENCH_WORKERS", "2"))
APP_NAME = "enroll834_bench_web"
"""The application_name of the server's database connections (their backends' CPU)."""
ROUNDS = int(os.environ.get("ENROLL834_BENCH_ROUNDS", "25"))
"""Resolves attempted per representative (the loop's bound)."""
PG = os.environ.get("ENROLL834_BENCH_POSTGRES_URL",
                    "postgresql+psycopg://postgres@127.0.0.1:5432/test")  # fmt: skip
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ITEM = re.compile(r'href="/items/(\d+)" data-open')


def _schema_url(schema: str) -> str:
    import sqlalchemy as sa

    eng = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    eng.dispose()
    return f"{PG}{'&' if '?' in PG else '?'}options=-csearch_path%3D{schema}"


def _drop(schema: str) -> None:
    import sqlalchemy as sa

    from ledger.store import dispose

    dispose()
    eng = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    eng.dispose()


def _seed(url: str, tmp: Path, items: int) -> dict[str, str]:
    """The schema, 20 reviewers (their access codes) and `items` held items."""
    import datetime as dt

    import sqlalchemy as sa

    sys.path.insert(0, str(ROOT / "tests" / "cli"))
    from desk834 import ALICE, Member, Person, interchange

    from ledger.desk import add_user
    from ledger.desk.auth import initialise
    from ledger.desk.users import Actor
    from ledger.ingest import ingest_file
    from ledger.store import bulk_insert, engine, upgrade
    from ledger.store import schema as t

    upgrade(url)
    initialise(url, "root")
    root = Actor("root", frozenset({"administrator"}))
    codes = {f"rep{i:02d}": add_user(url, root, f"rep{i:02d}", ["reviewer"])
             for i in range(1, REPS + 1)}  # fmt: skip
    for n, members in enumerate(([Member(ALICE, "S100")],
                                 [Member(Person("TESTPERSON", "ALICIA", ALICE.dob, "F"), "S500")]),
                                start=1):  # fmt: skip
        path = tmp / f"seed{n}.edi"
        path.write_bytes(interchange(members, control=n))
        ingest_file(url, path, actor="ops")
    ri = t.review_items
    with engine(url).begin() as conn:
        (proto,) = [dict(r._mapping) for r in conn.execute(sa.select(ri))]
        conn.execute(ri.delete())
        del proto["id"]
        now = dt.datetime.now(dt.UTC)
        rng = random.Random(834)
        batch = []
        for k in range(items):
            received = now - dt.timedelta(minutes=rng.randint(0, 72 * 60))
            batch.append({**proto, "family_key": f"bench|{k}", "received_at": received,
                          "due_at": received + dt.timedelta(hours=48)})  # fmt: skip
            if len(batch) == 5000:
                bulk_insert(conn, ri, batch)
                batch = []
        if batch:
            bulk_insert(conn, ri, batch)
    # what autovacuum does to a table that grew by 50,000 rows (statistics, visibility map)
    eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE review_items"))
    eng.dispose()
    return codes


class _Cpu(threading.Thread):
    """Samples the CPU seconds of the server's processes and of its PostgreSQL backends
    (pg_stat_activity by application_name, then /proc) until stopped; a backend that ends
    keeps its last reading."""

    def __init__(self, server_pid: int, url: str) -> None:
        super().__init__(daemon=True)
        self.server_pid, self.url = server_pid, url
        self.seen: dict[tuple[str, int], float] = {}
        self.base: dict[tuple[str, int], float] = {}
        self.started = threading.Event()
        self.done = threading.Event()

    @staticmethod
    def _cpu(pid: int) -> float | None:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _pids(self, conn: Any) -> set[tuple[str, int]]:
        import sqlalchemy as sa

        out = {("server", self.server_pid)}
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                if ppid == self.server_pid:
                    out.add(("server", int(d.name)))
        out |= {("postgres", int(pid)) for (pid,) in conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE application_name = :a"), {"a": APP_NAME})}
        return out

    def sample(self, conn: Any) -> None:
        for key in self._pids(conn):
            value = self._cpu(key[1])
            if value is not None:
                self.seen[key] = value
                # a backend first seen after the start did all its work within the measure
                self.base.setdefault(key, 0.0 if self.started.is_set() else value)

    def run(self) -> None:
        import sqlalchemy as sa

        # autocommit: pg_stat_activity is read once per transaction, and backends opened
        # later (another worker's) must be seen
        eng = sa.create_engine(PG, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            self.sample(conn)  # the baseline
            self.started.set()
            while not self.done.wait(0.5):
                self.sample(conn)
            self.sample(conn)
        eng.dispose()

    def seconds(self, kind: str) -> float:
        return sum(v - self.base[k] for k, v in self.seen.items() if k[0] == kind)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rep(base: str, user: str, code: str, seed: int, out: dict[str, list[Any]],
         signed_in: threading.Barrier, go: threading.Barrier) -> None:  # fmt: skip
    import httpx

    rng = random.Random(seed)
    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as c:
        token = CSRF.search(c.get("/signin").text).group(1)  # type: ignore[union-attr]
        r = c.post("/signin", data={"csrf_token": token, "user_id": user, "access_code": code})
        assert r.status_code == 303, (user, r.status_code)
        signed_in.wait()
        go.wait()  # every representative signed in: the work (and its measure) starts
        for k in range(ROUNDS):
            t0 = time.perf_counter()
            page = c.get(f"/queues/review?page={rng.randint(1, 3)}")
            out["list"].append(time.perf_counter() - t0)
            ids = ITEM.findall(page.text)
            csrf = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
            item = rng.choice(ids)
            t0 = time.perf_counter()
            shown = c.get(f"/items/{item}")
            out["item"].append(time.perf_counter() - t0)
            assert shown.status_code == 200
            form = ({"decision": "new"} if k % 2 == 0 else
                    {"decision": "reject", "reason": "duplicate enrolment (bench)"})
            r = c.post(f"/items/{item}/resolve", data={**form, "csrf_token": csrf})
            out["resolve"].append(time.perf_counter() - t0)
            out["status"].append((int(item), r.status_code))


def _pct(values: list[float], q: float) -> float:
    return round(1000 * statistics.quantiles(values, n=100)[int(q) - 1], 1) if values else 0.0


def run_load(_path: Path | None, items: int) -> int:
    """The benchmark: seed, serve, 20 representatives, check; returns resolves done."""
    import tempfile

    import sqlalchemy as sa

    from ledger.store import engine
    from ledger.store import schema as t

    schema = f"bench_{os.getpid()}_web"
    url = _schema_url(schema)
    served = f"{url}&application_name={APP_NAME}"
    server = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            codes = _seed(url, Path(tmp), items)
            seeded = time.perf_counter() - t0
            port = _port()
            env = {**os.environ, "ENROLL834_CONFIG": "", "ENROLL834_USER": ""}
            server = subprocess.Popen(
                [str(Path(sys.executable).with_name("enroll834")), "--quiet", "--db", served,
                 "serve", "--host", "127.0.0.1", "--port", str(port),
                 "--workers", str(WORKERS)],
                cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the server did not start") from None
                    time.sleep(0.2)
            out: dict[str, list[Any]] = {"list": [], "item": [], "resolve": [], "status": []}
            signed_in, go = threading.Barrier(len(codes) + 1), threading.Barrier(len(codes) + 1)
            threads = [threading.Thread(target=_rep, args=(base, u, c, n, out, signed_in, go))
                       for n, (u, c) in enumerate(codes.items())]  # fmt: skip
            for th in threads:
                th.start()
            cpu = _Cpu(server.pid, url)
            signed_in.wait()  # sign-ins (scrypt, once per representative) are not measured
            cpu.start()
            cpu.started.wait(30)
            t0, mine = time.perf_counter(), time.process_time()
            go.wait()
            for th in threads:
                th.join()
            worked, mine = time.perf_counter() - t0, time.process_time() - mine
            cpu.done.set()
            cpu.join(timeout=30)
        ri, a = t.review_items, t.audit_log
        with engine(url).connect() as conn:
            resolved = {int(r.id): r.resolved_by for r in conn.execute(
                sa.select(ri.c.id, ri.c.resolved_by).where(ri.c.status == "resolved"))}
            audits: dict[int, int] = {}
            for (target,) in conn.execute(sa.select(a.c.target)
                                          .where(a.c.action == "review.resolve")):
                audits[int(target)] = audits.get(int(target), 0) + 1
        done = [i for i, s in out["status"] if s == 303]
        lost = [i for i, s in out["status"] if s == 409]
        requests = 3 * len(out["status"])
        per = 1000 / max(1, requests)
        figures = {
            "items": items, "representatives": REPS, "rounds": ROUNDS, "workers": WORKERS,
            "seed_s": round(seeded, 1), "work_s": round(worked, 1), "requests": requests,
            "requests_per_s": round(requests / worked, 1),
            "cpu_ms_per_request": {"server": round(per * cpu.seconds("server"), 1),
                                   "postgres": round(per * cpu.seconds("postgres"), 1),
                                   "clients": round(per * mine, 1)},
            "load_average_1m": round(os.getloadavg()[0], 1),
            "list_p50_ms": _pct(out["list"], 50), "list_p95_ms": _pct(out["list"], 95),
            "list_max_ms": round(1000 * max(out["list"]), 1),
            "item_p50_ms": _pct(out["item"], 50), "item_p95_ms": _pct(out["item"], 95),
            "item_max_ms": round(1000 * max(out["item"]), 1),
            "resolve_p95_ms": _pct(out["resolve"], 95),
            "resolves": len(done), "lost_to_another_rep": len(lost),
            "other_status": sorted({s for _, s in out["status"]} - {303, 409}),
            "resolved_twice": len(done) - len(set(done)),
            "resolved_items_match_303s": sorted(done) == sorted(resolved),
            "audited_exactly_once": all(audits.get(i) == 1 for i in resolved)
            and set(audits) == set(resolved),
        }  # fmt: skip
        print(json.dumps(figures), file=sys.stderr)
        ok = (not figures["resolved_twice"] and figures["resolved_items_match_303s"]
              and figures["audited_exactly_once"] and not figures["other_status"])
        if not ok:
            raise AssertionError(f"desk load checks failed: {figures}")
        return len(done)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        _drop(schema)


CASES = [Case("web desk, 20 representatives (PostgreSQL)", 50_000, run_load, quick=5_000,
              needs_file=False, note="members = items resolved")]  # fmt: skip
