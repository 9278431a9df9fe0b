"""The registry's say over a verdict: a duplicate or a reused ISA13 is rejected (TA1 R 025).

`ingest_file` and `drops run` read a file twice. The first reading is
judged (`edi.verdict.judge_events`: `edi.validate`'s report, the verdict the
TA1/999/997 are written from); the ledger's registry may then overrule an
interchange (`settle`); the second reading passes through `edi.verdict.obey`,
so the ledger records exactly the sets and members the acknowledgments accept.
Reading twice costs a second parse and validation (a few percent of an
ingest) and keeps memory flat: nothing of the file is held between the
readings but the verdict. (`reconcile FILE` judges with the same function and
never registers a file, so the registry has no say there.)

Environments (`edi.verdict.usage_applies`): an interchange whose ISA15 is not
the instance's usage is validated and acknowledged as usual and applied
nowhere, unless the partner has a `test_database_url` (production instances
only), where its test interchanges are recorded instead.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from edi.records import InterchangeHeader
from edi.validate import FileReport, overrule
from edi.verdict import accepted_sets
from ledger.store import schema as t


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
