"""`enroll834 ingest` under the same trading-partner rules as `drops run`.

`ingest_with_partners` runs `ledger.ingest.ingest_file` with the events passing
through the drop folders' `Tap`, so one configuration means one behaviour
whichever command reads the file: each sender's date windows and termination
rule (`ledger.store.groups.partner_settings`), the sponsors it may send for (another
sponsor's set is rejected, `partner.sponsor_not_allowed`) and, under
`drops.strict_partners`, unknown senders kept out of the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from edi.records import Event, InterchangeHeader
from ledger.drops.events import Progress, Tap
from ledger.drops.progress import MemberProgress, NoProgress
from ledger.ingest import IngestSummary, ingest_file
from ledger.settings import Settings


class _NoAcks:
    """The acknowledgment builder `Tap` feeds, for a run that writes no acknowledgments."""

    def feed(self, _event: Event) -> None:
        return None


def ingest_with_partners(
    url: str, path: Path, config: Settings, *, actor: str, validator: Any = None,
    outbox: Path | None = None, progress: Progress | None = None, usage: str = "production",
    test_ledger: Callable[[InterchangeHeader], str | None] | None = None,
) -> IngestSummary:  # fmt: skip
    """Ingest `path` as `drops run` would (without acknowledgments or file moves).

    Sets rejected by the partner rules count as rejected sets; an interchange
    from an unknown sender under strict_partners is an error in `errors`
    (nothing of it recorded). Both make the summary `rejected` (exit 1).
    """
    tap = Tap(config, _NoAcks(), progress)
    summary = ingest_file(url, path, actor=actor, validator=validator, outbox=outbox,
                          partners=config.partners, through=tap.run, usage=usage,
                          test_ledger=test_ledger)  # fmt: skip
    if tap.sponsor_rejected:
        summary.transaction_sets["rejected"] += tap.sponsor_rejected
        summary.notes.append(
            f"{path.name}: {tap.sponsor_rejected} transaction set(s) for a sponsor this sender "
            "may not send for: rejected (partner.sponsor_not_allowed)"
        )
    for isa13 in sorted(tap.unknown_senders):
        summary.errors.append(f"{path.name}: interchange {isa13} is from an unknown sender "
                              "(drops.strict_partners); nothing recorded")  # fmt: skip
    return summary


def ingest_files(
    url: str, files: Iterable[Path], config: Settings, *, actor: str,
    validator_name: str = "compiled", outbox: Path | None = None,
    progress: MemberProgress | NoProgress | None = None,
) -> IngestSummary:  # fmt: skip
    """`enroll834 ingest`: each of `files` through `ingest_with_partners`, in order, summed.

    `validator_name` is an `edi.validate.make_validator` name (with the configured charsets)
    or 'none' (envelope and model checks only); `outbox` defaults to `drops.outbox_dir`;
    `progress` is told of every file read.
    """
    from edi.validate import make_validator

    bar = progress or NoProgress()
    validator = None if validator_name == "none" \
        else make_validator(validator_name, config.charsets())
    total = IngestSummary()
    for f in files:
        total.merge(ingest_with_partners(url, f, config, actor=actor, validator=validator,
                                         outbox=outbox or config.drops.outbox_dir,
                                         usage=config.usage, test_ledger=config.test_ledger,
                                         progress=bar.hook))  # fmt: skip
        bar.file_done(str(f))
    return total
