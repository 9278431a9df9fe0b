"""The event tap between `edi.reader.read` and the ledger ingest, for drop-folder runs.

`Tap.run(events)` passes reader events on to `ledger.ingest.ingest_events` and,
once the ingest has handled each one, to the acknowledgment builder. On the
way it applies the trading-partner rules from the configuration — an unknown
sender under `strict_partners` is kept from the ledger entirely, a set for a
sponsor the sender may not send for (or, in an inbox bound to a client by
`drops.bound_sponsors`, for a sponsor not the client's) becomes a rejected set — and binds the
log context (interchange, ISA13, GS06, ST02, member ordinal). No values pass
into logs: only control numbers, sender ids, ordinals and counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import structlog
from msgspec.structs import replace

from edi.findings import Finding, Level, Severity
from edi.records import (
    Event,
    InterchangeEnd,
    InterchangeHeader,
    InterchangeStart,
    MemberTransaction,
    SetEnd,
    SetStart,
    SetStatus,
)
from ledger.settings import PartnerSettings, Settings

log = structlog.get_logger("enroll834.drops")
Progress = Callable[[str, int], None]
"""progress(kind, n): kind 'members' (n more read), 'offset' (the byte offset reached in
the file being read) or 'file' (one more file finished)."""


_NOT_ALLOWED = {
    "partner.sponsor_not_allowed": "this sender may not send for this sponsor (trading partner "
                                   "settings)",
    "client.sponsor_not_allowed": "this account may not send for this sponsor (not one of the "
                                  "client's groups)",
}


def _sponsor_rejection(end: SetEnd, code: str = "partner.sponsor_not_allowed") -> SetEnd:
    finding = Finding(
        code=code, severity=Severity.ERROR, level=Level.TRANSACTION_SET,
        message=_NOT_ALLOWED[code],
        interchange_control=end.lineage.interchange_control,
        group_control=end.lineage.group_control, set_control=end.lineage.set_control,
        validator="partner",
    )  # fmt: skip
    return replace(end, status=SetStatus.REJECTED, findings=(*end.findings, finding))


class Tap:
    """Passes reader events to the ingest and, after it, to the ack builder; applies the
    partner rules (strict senders, allowed sponsors) and binds log context."""

    def __init__(self, settings: Settings, builder: Any, progress: Progress | None) -> None:
        self.settings, self.builder, self.progress = settings, builder, progress
        self.headers: list[InterchangeHeader] = []
        self.unknown_senders: set[str] = set()
        self.sponsor_rejected = 0
        self._skip_interchange = False
        self._skip_set = False
        self._skip_code = "partner.sponsor_not_allowed"
        self._partner: PartnerSettings | None = None

    def run(self, events: Iterable[Event]) -> Iterator[Event]:
        members = 0
        for ev in events:
            if isinstance(ev, InterchangeStart):
                self._interchange(ev.header)
            elif isinstance(ev, SetStart) and not self._skip_interchange:
                self._set_start(ev)
            elif isinstance(ev, MemberTransaction):
                members += 1
                structlog.contextvars.bind_contextvars(member_ordinal=ev.lineage.member_ordinal)
                if self.progress and members % 50 == 0:
                    self.progress("members", 50)
                    self.progress("offset", ev.lineage.first_offset)
            if self._skip_interchange or self._skip_set:
                if isinstance(ev, SetEnd) and self._skip_set:
                    self._skip_set = False
                    self.sponsor_rejected += 1
                    ev = _sponsor_rejection(ev, self._skip_code)
                if isinstance(ev, InterchangeEnd):
                    self._skip_interchange = False
                self.builder.feed(ev)
                continue
            yield ev
            # After the ingest has handled the event: its set is committed by now, so the
            # builder may take acknowledgment control numbers from the database.
            self.builder.feed(ev)
            if isinstance(ev, SetEnd):
                log.info("transaction_set", status=ev.status.value, members=ev.members,
                         rejected=ev.rejected_members)  # fmt: skip
                structlog.contextvars.unbind_contextvars("member_ordinal")
        if self.progress and members % 50:
            self.progress("members", members % 50)

    def _interchange(self, h: InterchangeHeader) -> None:
        self.headers.append(h)
        sender = f"{h.sender_qualifier.strip()}:{h.sender_id.strip()}"
        structlog.contextvars.bind_contextvars(
            interchange=f"{sender}/{h.control_number}", sender=sender, isa13=h.control_number
        )
        self._partner = self.settings.partner(h.sender_qualifier, h.sender_id)
        if self._partner is None and self.settings.drops.strict_partners:
            self._skip_interchange = True
            self.unknown_senders.add(h.control_number)
            log.warning("unknown_sender_rejected", reason="strict_partners")

    def _set_start(self, ev: SetStart) -> None:
        ln = ev.header.lineage
        structlog.contextvars.bind_contextvars(gs06=ln.group_control, st02=ln.set_control)
        allowed = self._partner.allowed_sponsors if self._partner else ()
        sponsor = ev.header.sponsor.id if ev.header.sponsor else ""
        bound = self.settings.drops.bound_sponsors
        if bound and sponsor not in bound:
            self._skip_set, self._skip_code = True, "client.sponsor_not_allowed"
            log.warning("sponsor_not_bound", st02=ln.set_control)
        elif allowed and sponsor not in allowed:
            self._skip_set, self._skip_code = True, "partner.sponsor_not_allowed"
            log.warning("sponsor_not_allowed", st02=ln.set_control)


def first_header(events: Iterator[Event]) -> tuple[list[Event], InterchangeHeader | None]:
    """Read up to the first InterchangeStart: (events read, its header or None)."""
    head: list[Event] = []
    for ev in events:
        head.append(ev)
        if isinstance(ev, InterchangeStart):
            return head, ev.header
    return head, None


def chain(head: list[Event], rest: Iterator[Event]) -> Iterator[Event]:
    """`head`, then the rest of the stream it was read from."""
    yield from head
    yield from rest
