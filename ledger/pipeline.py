"""Two processes for a large file: one reads and validates, the other matches and writes.

`read_events(path, source, validator=..., file_sha256=...)` yields the same events, in
the same order, as `edi.reader.read` on that path: it is what `ingest_file` and
`drops run` hand to `ledger.ingest.ingest_events`. For a file of at least
`min_bytes()` bytes it starts a reading process (a new interpreter, not a fork: it
shares no database connection, lock or thread with this one; started with `subprocess`,
so no multiprocessing helper process stays beside it) that runs `edi.reader.read` with the same
validator and sends the events in batches of `BATCH` through a pipe that holds at
most `QUEUE_BYTES` (a bounded queue: the reader waits when it is full, so memory does
not grow with the file), each batch one msgspec msgpack message.
This process keeps matching and every ledger write, so everything the ledger
guarantees holds as with one process: one transaction set is one database
transaction whose first write is its registry row, writes follow the file's order,
and a set is committed only after its `SetEnd` has arrived, which the reader sends
after the set's last member.

When either process dies:

- the reader raises: the same exception is raised here (as in one process), after the
  events before it; the open set is rolled back by `ingest_events`;
- the reader is killed or exits without finishing, even halfway through a message:
  this side holds no writing end of the pipe, so it sees the end of the file and
  raises `ReaderStopped` (an OSError, EAGAIN; exit 75, temporary); nothing of the
  open set is committed;
- this process dies (even by SIGKILL): its database connection goes, so the open set
  is rolled back by the database; the reader's next send fails (broken pipe) and it
  exits.

Below `min_bytes()` (the cost of starting the reader, about 0.5 s, is more than it
saves; measured in README's Benchmarks) `read_events` is `edi.reader.read` itself.
`ENROLL834_PIPELINE_MIN_BYTES` sets the threshold (0: always two processes;
`off`: never).
"""

from __future__ import annotations

import contextlib
import errno
import os
import pickle
import signal
import subprocess
import sys
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import msgspec

from edi.findings import Finding
from edi.records import (
    Event,
    GroupEnd,
    GroupStart,
    InterchangeEnd,
    InterchangeStart,
    MemberTransaction,
    SetEnd,
    SetStart,
)

MIN_BYTES = 8 * 1024 * 1024
"""Default threshold: files of at least this many bytes (about 8,000 members) are read
in a second process."""
BATCH = 256
"""Events per message."""
QUEUE_BYTES = 1 << 20
"""What the pipe between the processes holds (about four messages): the reader runs
ahead by that much and then waits, so memory does not grow with the file."""
_EVENTS, _DONE, _ERROR = b"E", b"D", b"X"

_TYPES: tuple[type[msgspec.Struct], ...] = (
    MemberTransaction, SetStart, SetEnd, InterchangeStart, InterchangeEnd, GroupStart,
    GroupEnd, Finding,
)
_CODE = {cls: code for code, cls in enumerate(_TYPES)}
_DECODERS: list[msgspec.msgpack.Decoder[Any]] = [msgspec.msgpack.Decoder(cls) for cls in _TYPES]
_BATCH_DECODER = msgspec.msgpack.Decoder(list[tuple[int, msgspec.Raw]])


class ReaderStopped(OSError):
    """The reading process ended without finishing the file (killed, out of memory):
    temporary, nothing of the open transaction set was recorded, safe to retry."""


def min_bytes() -> int | None:
    """The size from which a file is read in a second process (None: never)."""
    value = os.environ.get("ENROLL834_PIPELINE_MIN_BYTES", "").strip().lower()
    if value in ("off", "none", "never"):
        return None
    try:
        return max(0, int(value)) if value else MIN_BYTES
    except ValueError:
        return MIN_BYTES


def read_events(
    path: Path, source: str, *, validator: Any = None, file_sha256: str | None = None,
    threshold: int | None | bool = True,
) -> Iterator[Event]:  # fmt: skip
    """`edi.reader.read(path, source, validator=..., file_sha256=...)`, in a second process
    when the file is at least the threshold (`True`: `min_bytes()`; an int; None: never).

    `validator` is a reader Validator; in two processes the reader builds its own by
    name ('compiled' or 'pyx12', from the validator's class), so it must be one of
    `edi.validate.make_validator`'s.
    """
    from edi.reader import read

    limit = min_bytes() if threshold is True else threshold
    if limit is None or isinstance(limit, bool) or path.stat().st_size < limit:
        return read(path, source, validator=validator, file_sha256=file_sha256)
    return _two_processes(path, source, validator_name(validator), file_sha256)


def validator_name(validator: Any) -> str | None:
    """The `make_validator` name of a validator object (None for no validator)."""
    if validator is None:
        return None
    name = type(validator).__name__
    if name == "CompiledValidator":
        return "compiled"
    if name == "Pyx12Validator":
        return "pyx12"
    raise ValueError(f"validator {name} cannot be rebuilt in a reading process")


# ---------------------------------------------------------------- the consuming side


def _two_processes(
    path: Path, source: str, validator: str | None, sha: str | None
) -> Iterator[Event]:
    read_end, write_end = os.pipe()
    _widen(write_end)
    receive = Connection(read_end, writable=False)
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, _ROOT, str(path), source, validator or "",
             sha or "", str(write_end)],
            pass_fds=(write_end,), stdin=subprocess.DEVNULL)
    except BaseException:
        receive.close()
        raise
    finally:
        os.close(write_end)  # the reader holds the only writing end: its death is an end of file here
    finished = False
    try:
        while True:
            try:
                message = receive.recv_bytes()
            except (EOFError, OSError):  # OSError: the end came halfway through a message
                raise ReaderStopped(errno.EAGAIN, "the reading process stopped") from None
            kind, payload = message[:1], message[1:]
            if kind == _EVENTS:
                yield from decode_batch(payload)
            elif kind == _DONE:
                finished = True
                return
            else:  # the reader's exception, raised here as one process would
                finished = True
                raise _exception(payload)
    finally:
        receive.close()  # a reader still writing gets a broken pipe and stops
        if not finished and child.poll() is None:
            child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


_ROOT = str(Path(__file__).resolve().parents[1])
_CHILD = ("import sys; sys.path.insert(0, sys.argv[1]); "
          "from ledger.pipeline import reader_entry; reader_entry(sys.argv[2:])")
"""The reading process's program: argv is the root of the packages, then `reader_entry`'s."""


def _widen(fd: int) -> None:
    """Let the pipe hold about QUEUE_BYTES (Linux; elsewhere the default 64 KiB)."""
    with contextlib.suppress(OSError, AttributeError, ValueError):
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), QUEUE_BYTES)


def decode_batch(payload: bytes) -> list[Event]:
    """The events of one message (see `encode_batch`)."""
    return [_DECODERS[code].decode(raw) for code, raw in _BATCH_DECODER.decode(payload)]


def _exception(payload: bytes) -> BaseException:
    try:
        exc = pickle.loads(payload)  # noqa: S301 - our own child process wrote it
    except Exception:  # noqa: BLE001 - an exception that does not survive pickling
        return RuntimeError("the reading process failed")
    return exc if isinstance(exc, BaseException) else RuntimeError("the reading process failed")


# ---------------------------------------------------------------- the reading side

_ENCODER = msgspec.msgpack.Encoder()


def reader_entry(argv: list[str]) -> None:
    """The reading process's main: `path source validator sha fd` ('' for no validator or
    no SHA-256), the pipe's writing end inherited as file descriptor `fd`."""
    path, source, validator, sha, fd = argv
    reader_main(path, source, validator or None, sha or None,
                Connection(int(fd), readable=False))


def encode_batch(events: list[Event]) -> bytes:
    """One message: [(type code, event)] in msgpack (types: `_TYPES`)."""
    return _ENCODER.encode([(_CODE[type(e)], e) for e in events])


def reader_main(path: str, source: str, validator: str | None, sha: str | None,
                conn: Any) -> None:  # fmt: skip
    """The reading process: read, validate, send messages; stop when the parent is gone
    (its end of the pipe closes: the next send fails).

    `ENROLL834_READER_CRASH_AT=n` (tests, like ENROLL834_CRASH_AT for the ledger's write
    points) kills this process with SIGKILL halfway through its n-th message.
    """
    from edi.reader import read

    crash_at = int(os.environ.get("ENROLL834_READER_CRASH_AT", "0") or 0)
    sent = 0

    def send(message: bytes) -> None:
        nonlocal sent
        sent += 1
        if sent == crash_at:  # half a message, then death: the worst moment for the reader
            os.write(conn.fileno(), len(message).to_bytes(4, "big") + message[:len(message) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        conn.send_bytes(message)

    try:
        try:
            from edi.validate import make_validator

            v = make_validator(validator) if validator else None
            batch: list[Event] = []
            for event in read(Path(path), source, validator=v, file_sha256=sha):
                batch.append(event)
                if len(batch) >= BATCH:
                    send(_EVENTS + encode_batch(batch))
                    batch = []
            if batch:
                send(_EVENTS + encode_batch(batch))
            send(_DONE)
        except (BrokenPipeError, ConnectionResetError):
            raise
        except BaseException as exc:  # noqa: BLE001 - every failure goes to the parent
            try:
                payload = pickle.dumps(exc)
            except Exception:  # noqa: BLE001
                payload = pickle.dumps(
                    RuntimeError(f"the reading process failed ({type(exc).__name__})"))
            send(_ERROR + payload)
    except (BrokenPipeError, ConnectionResetError):
        os._exit(0)  # nobody reads any more: stop, quietly
    finally:
        conn.close()
