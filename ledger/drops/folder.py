"""Drop folders: an inbox processed through an atomic-rename state machine.

    INBOX/name ──rename──▶ work/<claim>.name ──ingest──▶ archive/YYYY/MM/name
                                                 └────▶ quarantine/REASON/name + name.reason.txt
    outbox/name.<ISA13>.ta1 · .999/.997 · name.report.txt   (for the sender)

The other directories are the inbox's siblings unless the `[drops]` settings
name them; all must be on the inbox's file system (renames are atomic only
there). A file is taken when it is not a temporary name (`temporary_names`,
e.g. `.x.tmp`, `x.part`) and is stable: the same size and mtime seen twice at
least `settle_seconds` apart, or last modified longer ago than that.

Exactly once, with any number of workers (`ledger.drops.claims`): a worker locks and
records a claim, then renames the file into work/ (a lost race is a failed
rename); the ledger refuses a transaction set twice; a claim whose worker died
is adopted by the next worker that scans, which resumes it (ingest skips sets
already recorded). The claim row records the outcome before the file moves, so
a crash after the ledger commit never turns a file into its own duplicate.

Outcomes: archive (accepted, partly accepted, or a duplicate under the
partner's `skip` policy) or quarantine with a reason: `no_interchange`,
`rejected`, `unknown_sender`, `duplicate`, `control_number_reused`,
`internal_error`. Reports, reason files and logs hold codes, positions,
counts, control numbers and sender ids, never member data.
"""

from __future__ import annotations

import datetime as dt
import errno
import fnmatch
import os
import random
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa
import structlog

from ledger.drops.claims import Claim, ClaimStore, set_lock_timeout
from ledger.drops.events import Progress, Tap, chain, first_header
from ledger.drops.reports import EXPLAIN, reason_text, sender_report, verdict_rows
from ledger.fullfile import last_run_id, write_reports_since
from ledger.ingest import IngestSummary
from ledger.pipeline import ReaderStopped
from ledger.settings import ConfigError, DropSettings, PartnerSettings, Settings
from ledger.store import DbControlNumbers, LedgerError, crash_point, engine, utcnow

log = structlog.get_logger("enroll834.drops")


class TemporaryFailure(Exception):
    """The run stopped for a reason worth retrying (database locked or down, disk full): exit 75."""


@dataclass(frozen=True, slots=True)
class Layout:
    """The directories of one drop."""

    inbox: Path
    work: Path
    archive: Path
    quarantine: Path
    outbox: Path

    @classmethod
    def for_inbox(cls, inbox: Path, drops: DropSettings) -> Layout:
        base = inbox.resolve().parent
        return cls(
            inbox=inbox.resolve(),
            work=(drops.work_dir or base / "work").resolve(),
            archive=(drops.archive_dir or base / "archive").resolve(),
            quarantine=(drops.quarantine_dir or base / "quarantine").resolve(),
            outbox=(drops.outbox_dir or base / "outbox").resolve(),
        )

    def prepare(self) -> None:
        """Create missing directories; ConfigError when one is unusable or on another device."""
        if not self.inbox.is_dir():
            raise ConfigError(f"{self.inbox}: inbox is not a directory")
        device = self.inbox.stat().st_dev
        for d in (self.work, self.archive, self.quarantine, self.outbox):
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(f"{d}: cannot create ({exc.strerror})") from None
            if d is not self.outbox and d.stat().st_dev != device:
                raise ConfigError(f"{d}: not on the inbox's file system (renames must be atomic)")


@dataclass
class RunSummary:
    """What a run did: one outcome per finished file (PHI-free), totals, and the exit code."""

    run_id: str
    files: list[dict[str, Any]] = field(default_factory=list)
    temporary_failure: str | None = None

    @property
    def exit_code(self) -> int:
        if self.temporary_failure:
            return 75
        rejected = any(f["disposition"] == "quarantine" or f["sets"]["rejected"]
                       or f["members"].get("rejected") for f in self.files)  # fmt: skip
        return 1 if rejected else 0

    def totals(self) -> dict[str, Any]:
        sets = {"accepted": 0, "rejected": 0, "duplicate": 0}
        members = {"applied": 0, "new": 0, "review": 0, "referred": 0, "rejected": 0}
        for f in self.files:
            for k in sets:
                sets[k] += f["sets"].get(k, 0)
            for k in members:
                members[k] += f["members"].get(k, 0)
        return {
            "run_id": self.run_id,
            "files": len(self.files),
            "archived": sum(f["disposition"] == "archive" for f in self.files),
            "quarantined": sum(f["disposition"] == "quarantine" for f in self.files),
            "transaction_sets": sets,
            "members": members,
            "temporary_failure": self.temporary_failure,
        }


# ------------------------------------------------------------------ stability


def scan(inbox: Path, temporary_names: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Regular files in `inbox` that are not temporary names: name -> (size, mtime_ns)."""
    patterns = tuple(temporary_names)
    out: dict[str, tuple[int, int]] = {}
    try:
        entries = list(os.scandir(inbox))
    except FileNotFoundError:
        return out
    for e in entries:
        if any(fnmatch.fnmatch(e.name, p) for p in patterns):
            continue
        try:
            if e.is_file(follow_symlinks=False):
                st = e.stat(follow_symlinks=False)
                out[e.name] = (st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            continue
    return out


class Stability:
    """Decides when a file is complete: unchanged across polls `settle` seconds apart."""

    def __init__(self, settle: float, clock: Callable[[], float] = time.time) -> None:
        self.settle, self.clock = settle, clock
        self.seen: dict[str, tuple[tuple[int, int], float]] = {}

    def stable(self, snapshot: dict[str, tuple[int, int]]) -> list[str]:
        now = self.clock()
        ready: list[str] = []
        for name, sig in snapshot.items():
            before = self.seen.get(name)
            if before is None or before[0] != sig:
                self.seen[name] = (sig, now)
                before = self.seen[name]
            idle = now - sig[1] / 1e9
            if now - before[1] >= self.settle or idle >= self.settle:
                ready.append(name)
        for gone in set(self.seen) - set(snapshot):
            del self.seen[gone]
        return ready


# ------------------------------------------------------------------ one file


def _retryable(exc: BaseException) -> bool:
    """A race another worker caused (unique key, deadlock, serialization): run the file again."""
    if isinstance(exc, sa.exc.IntegrityError):
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None) or ""
    return isinstance(exc, sa.exc.OperationalError) and str(code).startswith("40")


def _unique_path(path: Path, claim: Claim) -> Path:
    return path if not path.exists() else path.with_name(f"{path.name}.{claim.id[:8]}")


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(text, encoding="ascii", errors="replace")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class DropWorker:
    """Processes one inbox; any number of these may run at once against one database."""

    def __init__(
        self, settings: Settings, inbox: Path, *, actor: str = "system",
        worker: str | None = None, progress: Progress | None = None,
        on_outcome: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.layout = Layout.for_inbox(inbox, settings.drops)
        self.layout.prepare()
        self.url = settings.database_url
        self.actor = actor
        self.progress = progress
        self.on_outcome = on_outcome
        self.claims = ClaimStore(self.url, self.layout.inbox, self.layout.work / ".locks", worker)
        self.control = DbControlNumbers(self.url)
        self.validator: Any = settings.validator()
        self.run_id = uuid.uuid4().hex[:12]
        self.summary = RunSummary(self.run_id)
        self.rng = random.Random()
        self.contended = False

    def close(self) -> None:
        self.claims.close()

    # -------------------------------------------------------------- loops

    def run_once(self) -> RunSummary:
        """Process every stable file now in the inbox (and orphaned claims), then return."""
        stability = Stability(self.settings.drops.settle_seconds)
        waited = False
        self._bind()
        try:
            while True:
                self._adopt()
                snapshot = scan(self.layout.inbox, self.settings.drops.temporary_names)
                ready = stability.stable(snapshot)
                if ready:
                    for name in self._order(ready, snapshot):
                        self._take(name)
                    waited = False
                    continue
                if snapshot and not waited:
                    time.sleep(self.settings.drops.settle_seconds)
                    waited = True
                    continue
                self._adopt()
                return self.summary
        except TemporaryFailure as exc:
            self.summary.temporary_failure = str(exc)
            return self.summary

    def watch(self, should_stop: Callable[[], bool]) -> RunSummary:
        """Poll the inbox every `poll_seconds` until `should_stop()`; temporary failures
        are logged and retried at the next poll."""
        stability = Stability(self.settings.drops.settle_seconds)
        self._bind()
        while not should_stop():
            try:
                self._adopt()
                snapshot = scan(self.layout.inbox, self.settings.drops.temporary_names)
                for name in self._order(stability.stable(snapshot), snapshot):
                    if should_stop():
                        break
                    self._take(name)
            except TemporaryFailure as exc:
                log.warning("temporary_failure", reason=str(exc)[:120])
            deadline = time.monotonic() + self.settings.drops.poll_seconds
            while time.monotonic() < deadline and not should_stop():
                time.sleep(min(0.2, self.settings.drops.poll_seconds))
        return self.summary

    def _bind(self) -> None:
        structlog.contextvars.bind_contextvars(run_id=self.run_id, worker=self.claims.worker)

    def _order(self, ready: list[str], snapshot: dict[str, tuple[int, int]]) -> list[str]:
        """Oldest first; shuffled once another worker has been seen taking from this inbox,
        so racing workers spread out instead of all reaching for the same file."""
        ordered = sorted(ready, key=lambda n: (snapshot[n][1], n))
        if self.contended:
            self.rng.shuffle(ordered)
        return ordered

    # -------------------------------------------------------------- claims

    def _adopt(self) -> None:
        for claim in self._guard(lambda: list(self.claims.adopt_orphans())) or []:
            log.warning("claim_adopted", file=claim.name, status=claim.state)
            self._process(claim)

    def _guard(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except sa.exc.DBAPIError as exc:
            raise TemporaryFailure(
                f"database unavailable or busy ({type(exc.orig).__name__})"
            ) from None

    def _take(self, name: str) -> None:
        src = self.layout.inbox / name
        if not src.exists():
            self.contended = True
            return
        structlog.contextvars.bind_contextvars(file=name)
        claim = self._guard(lambda: self.claims.new(name))
        crash_point()
        try:
            os.rename(src, self.layout.work / claim.work_name)
        except FileNotFoundError:
            self.contended = True
            self._guard(lambda: self.claims.finish(claim, "abandoned"))
            return
        except OSError as exc:
            self.claims.let_go(claim)
            raise TemporaryFailure(f"cannot move a file into work/ ({exc.strerror})") from None
        crash_point()
        try:
            claim = self.claims.update(
                claim, "working", size=(self.layout.work / claim.work_name).stat().st_size
            )
        except sa.exc.DBAPIError:
            self.claims.let_go(claim)
            raise TemporaryFailure(
                "database unavailable or busy; the file waits in work/"
            ) from None
        log.info("file_taken", file=name)
        self._process(claim)

    def _process(self, claim: Claim) -> None:
        structlog.contextvars.bind_contextvars(file=claim.name)
        work = self.layout.work / claim.work_name
        try:
            if claim.state in ("taking", "working"):
                if not work.exists():
                    self.claims.finish(claim, "abandoned")
                    return
                outcome = self._ingest(claim, work)
                claim = self.claims.update(claim, "ingested", outcome=outcome,
                                           destination=outcome["destination"],
                                           file_sha256=outcome["file_sha256"])  # fmt: skip
                crash_point()
            outcome = claim.outcome or {}
            dest = Path(claim.destination or outcome.get("destination", ""))
            if work.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                if outcome.get("disposition") == "quarantine":
                    _write_atomic(dest.with_name(dest.name + ".reason.txt"), reason_text(outcome))
                os.rename(work, dest)
                crash_point()
            elif not dest.exists():
                log.error("file_missing", status=claim.state)
            self.claims.finish(claim, "done")
        except TemporaryFailure:
            self.claims.let_go(claim)
            raise
        except sa.exc.DBAPIError as exc:
            self.claims.let_go(claim)
            raise TemporaryFailure(
                f"database unavailable or busy ({type(exc.orig).__name__}); the file waits in work/"
            ) from None
        except ReaderStopped as exc:
            self.claims.let_go(claim)
            raise TemporaryFailure(f"{exc.strerror}; the file waits in work/") from None
        except OSError as exc:
            self.claims.let_go(claim)
            what = "disk full" if exc.errno == errno.ENOSPC else (exc.strerror or "I/O error")
            raise TemporaryFailure(
                f"cannot write or move files ({what}); the file waits in work/"
            ) from None
        finally:
            structlog.contextvars.unbind_contextvars("interchange", "sender", "isa13", "gs06",
                                                     "st02", "member_ordinal")  # fmt: skip
        out = dict(claim.outcome or {})
        self.summary.files.append(out)
        if self.on_outcome:
            self.on_outcome(out)
        log.info("file_done", outcome=out.get("disposition"), reason=out.get("reason"),
                 transaction_sets=sum(out.get("sets", {}).values()))  # fmt: skip
        if self.progress:
            self.progress("file", 1)

    # -------------------------------------------------------------- ingest and decide

    def _ingest(self, claim: Claim, work: Path) -> dict[str, Any]:
        from edi.reader import file_sha256

        sha = file_sha256(work)  # streamed: the file is read from work/, never held whole
        last: BaseException | None = None
        for attempt in range(1, 4):
            try:
                return self._ingest_once(claim, sha)
            except (sa.exc.IntegrityError, sa.exc.OperationalError) as exc:
                if not _retryable(exc):
                    raise
                last = exc
                log.warning("ingest_retry", attempt=attempt, error_type=type(exc).__name__)
                time.sleep(0.05 * attempt)
            except (sa.exc.DBAPIError, OSError, TemporaryFailure):
                raise
            except Exception as exc:  # noqa: BLE001 - a defect must not stop the inbox
                last = exc
                break
        log.error("ingest_failed", error_type=type(last).__name__)
        return self._decide(claim, sha, None, None, IngestSummary(), internal_error=True)

    def _ingest_once(self, claim: Claim, sha: str) -> dict[str, Any]:
        """Judge the file (partner rules and the registry included), record what the verdict
        accepts (`ledger.verdicts`), then write the acknowledgments of that same verdict."""
        from edi.reader import read
        from edi.validate import ReportBuilder, overrule, with_acks
        from edi.verdict import usage_applies
        from ledger.ingest import record_verdict
        from ledger.verdicts import settle

        data = self.layout.work / claim.work_name  # read from work/, never held whole
        builder = ReportBuilder(claim.name, None, dt.datetime.now(dt.UTC))
        events = iter(read(data, claim.name, validator=self.validator, file_sha256=sha))
        head, first = first_header(events)
        partner = self.settings.partner(first.sender_qualifier, first.sender_id) if first else None
        tap = Tap(self.settings, builder, None)
        for _ in tap.run(chain(head, events)):
            pass  # the first reading only judges
        report = builder.report()
        for i, ic in enumerate(report.interchanges):
            if ic.control_number in tap.unknown_senders:
                report = overrule(report, i, "006")
        report, refused, kinds = settle(engine(self.url), report, sha, claim.work_name,
                                        usage_applies(self.settings.usage))
        kinds = ["unknown_sender" if ic.control_number in tap.unknown_senders else k
                 for ic, k in zip(report.interchanges, kinds, strict=True)]
        with engine(self.url).connect() as conn:
            watermark = last_run_id(conn)
        recording = Tap(self.settings, _NoAcks(), self.progress)
        summary = record_verdict(
            engine(self.url), data, report, refused, source=claim.work_name, file_sha256=sha,
            usage=self.settings.usage, test_ledger=self.settings.test_ledger,
            validator=self.validator, wrap=recording.run, name=claim.name, actor=self.actor,
            partners=self.settings.partners,
        )  # fmt: skip
        report = with_acks(report, self.control, dt.datetime.now(dt.UTC))
        outcome = self._decide(claim, sha, report, recording, summary, partner=partner,
                               kinds=kinds)  # fmt: skip
        outcome["acks"].extend(
            write_reports_since(self.url, watermark, sha, self.layout.outbox, claim.name,
                                path=data)  # keeps held files
        )
        return outcome

    def _decide(
        self, claim: Claim, sha: str, report: Any, tap: Tap | None, summary: IngestSummary,
        *, partner: PartnerSettings | None = None, internal_error: bool = False,
        kinds: list[str] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        sets = dict(summary.transaction_sets)
        interchanges: list[dict[str, Any]] = []
        acks: list[tuple[str, str]] = []
        reason: str | None = "internal_error" if internal_error else None
        if report is not None and tap is not None:
            from edi.validate import ack_files

            sets["rejected"] += tap.sponsor_rejected
            acks = ack_files(msgspec.structs.replace(report, **{"file": claim.name}))
            for ic, kind in zip(report.interchanges, kinds or [], strict=True):
                # what the report says is what the TA1 sent says: both come from the verdict
                shown = kind if kind in ("duplicate", "unknown_sender",
                                         "control_number_reused") else "processed"
                interchanges.append({"isa13": ic.control_number, "sender": ic.sender,
                                     "ta1_code": ic.ta1_code, "ta1_note": ic.ta1_note,
                                     "kind": shown})  # fmt: skip
            if reason is None:
                reason = self._reason([i["kind"] for i in interchanges], report, sets, partner)
        disposition = "quarantine" if reason else "archive"
        when = utcnow()
        if disposition == "archive":
            test = bool(report is not None and report.interchanges) and all(
                ic.header.usage.strip() == "T" for ic in report.interchanges)
            base = self.layout.archive / "test" if test else self.layout.archive
            dest = base / f"{when:%Y}" / f"{when:%m}" / claim.name
        else:
            dest = self.layout.quarantine / str(reason) / claim.name
        dest = _unique_path(dest, claim)
        written = []
        for name, text in acks:
            _write_atomic(self.layout.outbox / name, text)
            written.append(name)
        outcome: dict[str, Any] = {
            "file": claim.name, "claim": claim.id, "file_sha256": sha,
            "disposition": disposition, "reason": reason,
            "explanation": EXPLAIN.get(reason or "", "processed"),
            "destination": str(dest), "sets": sets, "members": dict(summary.members),
            "rejections": [dict(r) for r in summary.rejections],
            "interchanges": interchanges, "verdicts": verdict_rows(report), "acks": written, "processed_at": when.isoformat(),
            "worker": self.claims.worker, "run_id": self.run_id,
            "notes": [n for n in summary.notes if "acknowledged, " in n],
        }  # fmt: skip
        report_name = f"{claim.name}.report.txt"
        _write_atomic(self.layout.outbox / report_name, sender_report(outcome, report))
        outcome["acks"].append(report_name)
        return outcome

    def _reason(self, kinds: list[str], report: Any, sets: dict[str, int],
                partner: PartnerSettings | None) -> str | None:  # fmt: skip
        if not kinds:
            return "no_interchange"
        if all(k == "unknown_sender" for k in kinds):
            return "unknown_sender"
        if "control_number_reused" in kinds:
            return "control_number_reused"
        if all(k == "duplicate" for k in kinds):
            policy = partner.duplicate_policy if partner else "skip"
            return "duplicate" if policy == "quarantine" else None
        if sets["accepted"] == 0 and sets["duplicate"] == 0 and not sets.get("not_applied"):
            return "rejected"  # (a test file on production is acknowledged, not rejected)
        if any(ic.ta1_code == "R" for ic in report.interchanges):
            return "rejected"
        return None


class _NoAcks:
    """The acknowledgment builder of the recording reading: the verdict is already made."""

    def feed(self, event: Any) -> None:
        """Ignore `event`."""


def stop_on_signals() -> Callable[[], bool]:
    """A `should_stop` for watching an inbox: true once SIGTERM or SIGINT has arrived (the
    handlers are installed now; the file being worked on is finished first)."""
    import signal

    stopped: list[int] = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: stopped.append(signum))
    return lambda: bool(stopped)


def run_drop(settings: Settings, inbox: Path, *, once: bool = True, actor: str = "system",
             progress: Progress | None = None,
             on_outcome: Callable[[dict[str, Any]], None] | None = None,
             should_stop: Callable[[], bool] = lambda: False) -> RunSummary:  # fmt: skip
    """Process `inbox` once (or watch it until `should_stop()`); the run's summary.
    `on_outcome` receives each file's outcome as soon as the file is finished.

    Raises ConfigError for an unusable layout, TemporaryFailure when the
    database cannot even be reached to start.
    """
    try:
        set_lock_timeout(settings.database_url, settings.lock_timeout_seconds)
        worker = DropWorker(settings, inbox, actor=actor, progress=progress, on_outcome=on_outcome)
    except sa.exc.DBAPIError as exc:
        raise TemporaryFailure(
            f"database unavailable or busy ({type(exc.orig).__name__})"
        ) from None
    except LedgerError:
        raise
    try:
        return worker.run_once() if once else worker.watch(should_stop)
    finally:
        worker.close()
