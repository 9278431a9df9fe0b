"""Control numbers for the acknowledgments enroll834 sends (ISA13 of TA1/999/997).

`ControlNumbers.next(kind)` hands out the next number of a named sequence
('isa' for outbound interchanges). Numbers are 1..999_999_999 and wrap back
to 1; they are never derived from the wall clock, so two acks written in the
same minute still get distinct numbers. Implementations:

- `MemoryControlNumbers`: in-process counters (tests, one-shot runs);
- `FileControlNumbers`: a small JSON file guarded by an exclusive OS lock
  (fcntl), safe for several processes on one host;
- the ledger provides a database-backed one for many hosts.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Protocol, runtime_checkable

MAX_CONTROL = 999_999_999


@runtime_checkable
class ControlNumbers(Protocol):
    """A source of increasing control numbers, one sequence per `kind`."""

    def next(self, kind: str) -> int:
        """The next number of sequence `kind` (1..999_999_999, wrapping)."""
        ...


def _after(last: int) -> int:
    return 1 if last >= MAX_CONTROL or last < 0 else last + 1


class MemoryControlNumbers:
    """Counters kept in memory, starting after `start` (default 0 → first number is 1)."""

    def __init__(self, start: int = 0) -> None:
        self._start = start
        self._last: dict[str, int] = {}

    def next(self, kind: str) -> int:
        value = _after(self._last.get(kind, self._start))
        self._last[kind] = value
        return value


class ControlFileError(Exception):
    """The control-number file cannot be read or written (I/O, corrupt content)."""


def ack_control_numbers(control_file: str | os.PathLike[str] | None,
                        ack_dir: str | os.PathLike[str] | None) -> ControlNumbers:
    """The acks' control numbers: kept in `control_file`, else in `<ack_dir>/.control.json`,
    else in memory (no acks are kept, so no number needs to outlive the run)."""
    path = control_file or (Path(ack_dir) / ".control.json" if ack_dir else None)
    return FileControlNumbers(path) if path else MemoryControlNumbers()


class FileControlNumbers:
    """Counters in a JSON file `{kind: last_number}`, locked with fcntl while updated.

    The file is rewritten atomically (temp file + rename) so a crash never
    leaves it half written; the lock lives on a sibling `.lock` file so the
    rename does not invalidate it.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def next(self, kind: str) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            with open(lock_path, "a+") as lock:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
                try:
                    state = self._load()
                    value = _after(int(state.get(kind, 0)))
                    state[kind] = value
                    self._store(state)
                finally:
                    fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
        except OSError as exc:
            raise ControlFileError(f"control-number file {self.path}: {exc.strerror}") from None
        return value

    def _load(self) -> dict[str, int]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except ValueError:
            raise ControlFileError(f"control-number file {self.path} is not valid JSON") from None
        if not isinstance(data, dict) or not all(isinstance(v, int) for v in data.values()):
            raise ControlFileError(f"control-number file {self.path} has an unexpected shape")
        return {str(k): int(v) for k, v in data.items()}

    def _store(self, state: dict[str, int]) -> None:
        import tempfile  # only when a counter is written (validate imports this module)

        fd, tmp = tempfile.mkstemp(prefix=self.path.name, dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(state, out, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
