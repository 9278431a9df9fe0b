"""Progress of a long run on a terminal: members read, members/s, time left by bytes read.

Fed by the `ledger.drops.events.Progress` callback that `ingest` and `drops run` pass
down; shown on stderr (rich), only when the command decides stderr is a terminal.
"""

from __future__ import annotations

from pathlib import Path

from ledger.drops.events import Progress


class MemberProgress:
    """A progress bar on stderr for a long read: members read, members/s, and time left
    from the bytes read out of the bytes to read (rich; only on a terminal, not --quiet).

    `hook(kind, n)` is the `ledger.drops.events.Progress` callback; `file_done(name)`
    counts a finished file as wholly read.
    """

    def __init__(self, sizes: dict[str, int]) -> None:
        import time

        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self.sizes, self.done_bytes, self.offset, self.members = dict(sizes), 0, 0, 0
        self.started, self.clock = time.monotonic(), time.monotonic
        self.bar = Progress(
            TextColumn("{task.fields[members]:,} members"),
            BarColumn(),
            TextColumn("{task.fields[rate]} members/s"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.bar.add_task(
            "read", total=sum(sizes.values()) or None, members=0, rate="0"
        )

    def hook(self, kind: str, n: int) -> None:
        if kind == "members":
            self.members += n
        elif kind == "offset":
            self.offset = max(self.offset, n)
        rate = self.members / max(self.clock() - self.started, 1e-3)
        self.bar.update(
            self.task,
            completed=self.done_bytes + self.offset,
            members=self.members,
            rate=f"{rate:,.0f}",
        )

    def file_done(self, name: str) -> None:
        self.done_bytes += self.sizes.pop(name, self.offset)
        self.offset = 0
        self.hook("file", 1)

    def __enter__(self) -> MemberProgress:
        self.bar.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.bar.stop()


class NoProgress:
    """No bar (stderr is not a terminal, or --quiet): `MemberProgress`'s interface, doing
    nothing; its `hook` is None so the reader is not called back at all."""

    hook: Progress | None = None

    def file_done(self, name: str) -> None:
        return None

    def __enter__(self) -> NoProgress:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None


def progress_bar(sizes: dict[str, int] | None) -> MemberProgress | NoProgress:
    """A bar over `sizes` (file -> bytes to read), or `NoProgress` when `sizes` is None."""
    return NoProgress() if sizes is None else MemberProgress(sizes)


def inbox_sizes(inbox: Path) -> dict[str, int] | None:
    """The files waiting in `inbox`, name -> bytes; None when `inbox` is not a directory."""
    if not inbox.is_dir():
        return None
    return {p.name: p.stat().st_size for p in inbox.iterdir() if p.is_file()}
