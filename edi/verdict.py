"""The verdict applied to the event stream: what the ledger may record, and nothing else.

`edi.validate` folds a file's events into a `FileReport`, which is THE verdict
(`judge` made it consistent from the interchange down; the ledger may
`overrule` an interchange, e.g. a duplicate). The acknowledgments are written
from it; `obey` cuts a second reading of the same file to exactly what it
accepts, so what the ledger records and what the TA1/999/997 say cannot
disagree:

- an interchange with no accepted set (TA1 R, every group or set rejected)
  loses its InterchangeStart/End: it is never registered as received, so a
  corrected re-send with the same ISA13 is processed; its sets come through
  as SetStart + a rejected SetEnd (nothing in between) to be counted;
- a set the verdict rejects comes through the same way;
- in an accepted set, a member the verdict rejects is marked `rejected`;
- an interchange `applies` refuses (a test interchange on a production
  instance, ...) is dropped entirely: acknowledged, not applied;
- interchanges in `passthrough` (those the ledger's registry refuses as
  duplicates) pass unchanged, for the ledger to count them as it does.

The reader is deterministic, so the n-th interchange / group / set of the
second reading is the n-th of the report; anything beyond the report is
treated as rejected.

`judge_events` is the first reading's fold (every command that records a file
judges it with this one function: `ingest`, `drops run`, `reconcile`), and
`usage_applies` / `not_applied` are the environments rule: an instance of
usage `production` records ISA15 P interchanges, one of usage `test` records
T; the other kind is acknowledged as usual and applied nowhere (or, on
production, in a partner's test ledger).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator

import msgspec

from edi.records import (
    Event,
    GroupEnd,
    GroupStart,
    InterchangeEnd,
    InterchangeHeader,
    InterchangeStart,
    MemberTransaction,
    SetEnd,
    SetStart,
    SetStatus,
)
from edi.validate import FileReport, InterchangeReport, ReportBuilder, SetReport

USAGES = ("production", "test")
"""An instance's usage setting; each records the interchanges of one ISA15."""
_ISA15 = {"production": "P", "test": "T"}


def judge_events(events: Iterable[Event], source: str, now: dt.datetime | None = None,
                 ) -> FileReport:
    """The verdict of one reading of a file: `edi.validate`'s report, judged from the top
    down, without acknowledgment texts yet (`edi.validate.with_acks` writes them once the
    ledger has had its say, e.g. `overrule` for a duplicate)."""
    builder = ReportBuilder(source, None, now or dt.datetime.now(dt.UTC))
    for ev in events:
        builder.feed(ev)
    return builder.report()


def usage_applies(usage: str) -> Callable[[InterchangeHeader], bool]:
    """Whether an instance of `usage` records an interchange (ISA15 P on production, T on test).

    An ISA15 that is neither P nor T is rejected by its TA1 anyway (020).
    ValueError for a usage not in `USAGES`.
    """
    if usage not in _ISA15:
        raise ValueError(f"usage must be one of {', '.join(USAGES)}")
    wanted = _ISA15[usage]
    return lambda h: h.usage.strip() not in ("P", "T") or h.usage.strip() == wanted


def not_applied(report: FileReport, applies: Callable[[InterchangeHeader], bool], usage: str,
                test_ledger: Callable[[InterchangeHeader], str | None] | None = None,
                ) -> tuple[int, list[str]]:
    """(sets, notes) for the interchanges `applies` refuses: 'test interchange: acknowledged,
    not applied' (or, a test interchange on production with a `test_ledger`, 'recorded in
    the partner's test ledger')."""
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


def test_ledger_routes(report: FileReport, applies: Callable[[InterchangeHeader], bool], usage: str,
                 test_ledger: Callable[[InterchangeHeader], str | None] | None,
                 ) -> dict[str, Callable[[InterchangeHeader], bool]]:
    """The partners' test ledgers (database URLs) this file's test interchanges go to on a
    production instance, each with the `applies` that picks its interchanges."""
    if usage != "production" or test_ledger is None:
        return {}
    pick = test_ledger
    urls = sorted({u for ic in report.interchanges if not applies(ic.header)
                   and ic.header.usage.strip() == "T" and (u := pick(ic.header))})

    def routed(url: str) -> Callable[[InterchangeHeader], bool]:
        return lambda h: h.usage.strip() == "T" and pick(h) == url

    return {url: routed(url) for url in urls}


def accepted_sets(ic: InterchangeReport) -> int:
    """How many sets of `ic` the acknowledgment accepts (IK5 A or E, interchange not rejected)."""
    if ic.ta1_code == "R":
        return 0
    return sum(s.accepted for g in ic.groups for s in g.transaction_sets)


def obey(
    events: Iterable[Event],
    report: FileReport,
    *,
    applies: Callable[[InterchangeHeader], bool] = lambda _h: True,
    passthrough: frozenset[int] = frozenset(),
) -> Iterator[Event]:
    """`events` (a second reading of the file `report` judged) cut to what `report` accepts.

    `applies(header)` False drops an interchange entirely; interchange
    indexes (0-based, file order) in `passthrough` pass unchanged.
    """
    ic_index = -1
    ic: InterchangeReport | None = None
    mode = "drop"  # drop | pass | keep | sets_only
    g_index = s_index = -1
    verdict: SetReport | None = None
    for ev in events:
        if isinstance(ev, InterchangeStart):
            ic_index += 1
            ic = report.interchanges[ic_index] if ic_index < len(report.interchanges) else None
            g_index = -1
            if not applies(ev.header):
                mode = "drop"
            elif ic_index in passthrough:
                mode = "pass"
            elif ic is None or accepted_sets(ic) == 0:
                mode = "sets_only"
            else:
                mode = "keep"
            if mode in ("pass", "keep"):
                yield ev
            continue
        if mode == "pass" or not isinstance(
            ev, InterchangeEnd | GroupStart | GroupEnd | SetStart | SetEnd | MemberTransaction
        ):
            yield ev  # bare file-level findings, and everything of a passed interchange
            continue
        if mode == "drop":
            continue
        if isinstance(ev, InterchangeEnd):
            if mode == "keep":
                yield ev
            mode = "drop"
        elif isinstance(ev, GroupStart):
            g_index, s_index = g_index + 1, -1
            yield ev
        elif isinstance(ev, GroupEnd):
            yield ev
        elif isinstance(ev, SetStart):
            s_index += 1
            verdict = _set(ic, g_index, s_index)
            yield ev
        elif isinstance(ev, MemberTransaction):
            if verdict is None or not verdict.accepted:
                continue
            if not ev.rejected and ev.lineage.member_ordinal in verdict.rejected_ordinals:
                ev = msgspec.structs.replace(ev, **{"rejected": True})
            yield ev
        else:  # SetEnd
            if verdict is None or not verdict.accepted or mode == "sets_only":
                yield msgspec.structs.replace(ev, **{"status": SetStatus.REJECTED})
            else:
                yield msgspec.structs.replace(ev, **{"status": verdict.status})
            verdict = None


def _set(ic: InterchangeReport | None, g: int, s: int) -> SetReport | None:
    if ic is None or ic.ta1_code == "R" or g < 0 or g >= len(ic.groups):
        return None
    sets = ic.groups[g].transaction_sets
    return sets[s] if 0 <= s < len(sets) else None
