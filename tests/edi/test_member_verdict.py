"""Reading for the verdict only (`read(..., records=False)`, what `validate` does) yields
the same events as a full reading, each member as a `MemberVerdict` carrying exactly its
`MemberTransaction`'s lineage, findings and rejection; and the validator, fed the
tokenizer's lists, finds the same whatever their size."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from edi import tokenize
from edi.control import MemoryControlNumbers
from edi.generate import FORMS, generate
from edi.ig import CompiledValidator
from edi.reader import read
from edi.records import Event, MemberTransaction, MemberVerdict
from edi.validate import ReportBuilder, validate_file
from tests.edi.test_one_pass import FirstPass, mutated

V = CompiledValidator()
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def verdict_of(event: Event) -> Event:
    if type(event) is MemberTransaction:
        return MemberVerdict(lineage=event.lineage, findings=event.findings,
                             rejected=event.rejected)
    return event


def assert_same(data: bytes, label: str) -> list[Event]:
    full = list(read(data, "f.edi", validator=V))
    only = list(read(data, "f.edi", validator=V, records=False))
    assert [verdict_of(e) for e in full] == only, label
    assert not any(type(e) is MemberTransaction for e in only), label
    # the report `validate` prints is the one a full reading gives
    builder = ReportBuilder("f.edi", MemoryControlNumbers(), NOW)
    for e in full:
        builder.feed(e)
    assert validate_file(data, "f.edi", validator=V, now=NOW) == builder.report(), label
    return full


def test_corpus(corpus_dir: Path) -> None:
    files = sorted(p for p in corpus_dir.iterdir() if p.is_file() and p.suffix != ".md")
    assert files
    for path in files:
        assert_same(path.read_bytes(), path.name)


@pytest.mark.parametrize("version", ["5010", "4010"])
@pytest.mark.parametrize("form_name", sorted(FORMS))
def test_generated_files_in_every_form(form_name: str, version: str) -> None:
    data = b"".join(generate(5, 3, form_name, version=version))  # type: ignore[arg-type]
    events = assert_same(data, form_name)
    assert sum(type(e) is MemberTransaction for e in events) >= 5


@pytest.mark.parametrize("batch", [1, 7, None])
def test_mutated_files(batch: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """At any size of the tokenizer's lists (each validated before it is read), and
    one pass (incremental) equal to two (all findings first)."""
    if batch is not None:
        monkeypatch.setattr(tokenize, "_BATCH", batch)
    rejected = 0
    for seed in range(150):
        data = mutated(seed)
        full = assert_same(data, f"seed {seed}")
        assert full == list(read(data, "f.edi", validator=FirstPass())), f"seed {seed}"
        rejected += sum(type(e) is MemberTransaction and e.rejected for e in full)
    assert rejected > 20
