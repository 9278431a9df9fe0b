"""One verdict for acknowledgments and ledger: judge a file first, then record what it accepts.

`ingest_file` and `drops run` read a file twice. The first reading is
judged (`judge_events`: `edi.validate`'s report, the verdict the TA1/999/997
are written from); the ledger's registry may then overrule an interchange
(`settle`: a duplicate or a reused ISA13 gets TA1 R 025); the second reading
passes through `edi.verdict.obey`, so the ledger records exactly the sets and
members the acknowledgments accept. Reading twice costs a second parse and
validation (a few percent of an ingest) and keeps memory flat: nothing of the
file is held between the readings but the verdict.

Environments: an instance has a usage (`production`, the default, or
`test`). An interchange whose ISA15 does not match (T on production, P on
test) is validated and acknowledged as usual and applied nowhere, unless the
partner has a `test_database_url` (production instances only), where its test
interchanges are recorded instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edi.records import Event, InterchangeHeader
from edi.validate import FileReport, ReportBuilder, overrule
from edi.verdict import accepted_sets
from ledger.store import schema as t
from ledger.store import utcnow

USAGES = ("production", "test")
"""The instance's usage setting; the ISA15 each one applies."""
_ISA15 = {"production": "P", "test": "T"}


def judge_events(events: Iterable[Event], source: str) -> FileReport:
    """The verdict of one reading of a file (no acknowledgment texts yet: `edi.validate.with_acks`)."""
    builder = ReportBuilder(source, None, utcnow())
    for ev in events:
        builder.feed(ev)
    return builder.report()


def registry_kind(eng: Engine, header: InterchangeHeader, sha: str, source: str | None) -> str:
    """What the registry says of an interchange before it is recorded.

    'new' (never received, or received and every set rejected: never
    registered), 'processed' (a run of this file that did not finish, or one
    registered under this very `source`, e.g. a drop claim adopted after a crash), 'duplicate' (same key, same bytes, complete)
    or 'control_number_reused' (same key, other bytes).
    """
    ic = t.interchanges
    with eng.connect() as conn:
        row = conn.execute(sa.select(ic.c.file_sha256, ic.c.source, ic.c.completed_at).where(
            ic.c.sender_qualifier == header.sender_qualifier.strip(),
            ic.c.sender_id == header.sender_id.strip(),
            ic.c.receiver_qualifier == header.receiver_qualifier.strip(),
            ic.c.receiver_id == header.receiver_id.strip(),
            ic.c.control_number == header.control_number.strip(),
        )).first()  # fmt: skip
    if row is None:
        return "new"
    if row.file_sha256 != sha:
        return "control_number_reused"
    if row.completed_at is None or (source is not None and row.source == source):
        return "processed"
    return "duplicate"


def settle(
    eng: Engine, report: FileReport, sha: str, source: str | None,
    applies: Callable[[InterchangeHeader], bool] = lambda _h: True,
) -> tuple[FileReport, frozenset[int], list[str]]:
    """`report` with the registry's say: (report, interchanges the ledger refuses, their kinds).

    An interchange the verdict would record that the registry knows as a
    duplicate or a reused control number is overruled to TA1 R 025 (nothing
    of it is recorded; the ledger counts its sets as duplicate / rejected).
    `kinds[i]` is `registry_kind` for interchange i ('rejected' when the
    verdict accepts none of its sets, 'not_applied' when `applies` refuses it:
    this ledger's registry has no say over it).
    """
    refused: set[int] = set()
    kinds: list[str] = []
    for i, ic in enumerate(report.interchanges):
        if accepted_sets(ic) == 0:
            kinds.append("rejected")
            continue
        if not applies(ic.header):
            kinds.append("not_applied")
            continue
        kind = registry_kind(eng, ic.header, sha, source)
        kinds.append(kind)
        if kind in ("duplicate", "control_number_reused"):
            refused.add(i)
            report = overrule(report, i, "025")
    return report, frozenset(refused), kinds


def usage_applies(usage: str) -> Callable[[InterchangeHeader], bool]:
    """Whether an instance of `usage` records an interchange (ISA15 P on production, T on test).

    An ISA15 that is neither P nor T is rejected by its TA1 anyway (020).
    """
    if usage not in _ISA15:
        raise ValueError(f"usage must be one of {', '.join(USAGES)}")
    wanted = _ISA15[usage]
    return lambda h: h.usage.strip() not in ("P", "T") or h.usage.strip() == wanted


def not_applied(report: FileReport, applies: Callable[[InterchangeHeader], bool], usage: str,
                test_ledger: Callable[[InterchangeHeader], str | None] | None = None,
                ) -> tuple[int, list[str]]:
    """(sets, notes) for the interchanges `applies` refuses: acknowledged, not applied (or, a
    test interchange on production with a `test_ledger`, recorded in the partner's test ledger)."""
    sets = 0
    notes: list[str] = []
    word = "test" if usage == "production" else "production"
    for ic in report.interchanges:
        if applies(ic.header):
            continue
        sets += sum(len(g.transaction_sets) for g in ic.groups)
        routed = (usage == "production" and test_ledger is not None
                  and ic.header.usage.strip() == "T" and test_ledger(ic.header))
        what = "recorded in the partner's test ledger" if routed else "not applied"
        notes.append(f"interchange {ic.control_number} from sender {ic.header.sender_id.strip()}: "
                     f"{word} interchange: acknowledged, {what}")
    return sets, notes
