"""Conservation: every segment of a transaction set is mapped or reported, never dropped.

For each ST..SE (ST01 = 834) the builder is fed the segments between ST and
SE; (mapped) + (reported) must equal that count, every reported segment must
have a builder finding at its position, and no mapped segment may have one
saying it was not mapped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from test_build import RICH
from x834 import member, simple

from edi.build import BuildStats, SetBuilder
from edi.envelope import Context
from edi.findings import Finding
from edi.generate import generate
from edi.records import Lineage, MemberTransaction
from edi.segments import Segment
from edi.tokenize import read_segments


def sets(items: Iterable[Segment | Finding]) -> Iterator[tuple[Segment, list[Segment], Segment | None]]:
    st: Segment | None = None
    body: list[Segment] = []
    for item in items:
        if not isinstance(item, Segment):
            continue
        if item.id == "ST":
            if st is not None:
                yield st, body, None
            st, body = item, []
        elif item.id in ("SE", "GE", "IEA", "ISA", "GS") and st is not None:
            yield st, body, item if item.id == "SE" else None
            st = None
        elif st is not None:
            body.append(item)
    if st is not None:
        yield st, body, None


def check(data: bytes, source: str) -> list[BuildStats]:
    out = []
    for st, body, _se in sets(read_segments(data, source)):
        if st.get(1) != "834":
            continue
        ctx = Context(source, st_position=st.position)
        builder = SetBuilder(st, Lineage(source=source), ctx)
        records = [r for seg in body if (r := builder.feed(seg)) is not None]
        records.extend(builder.close())
        findings = list(builder.findings)
        for r in records:
            if isinstance(r, MemberTransaction):
                findings.extend(r.findings)
        stats = builder.stats
        assert stats.fed == len(body) == stats.mapped + stats.reported, source
        at = {f.segment_position for f in findings}
        assert set(stats.reported_positions) <= at, source
        reported = set(stats.reported_positions)
        mapped_positions = {s.position for s in body} - reported
        for f in findings:
            if f.code in ("model.unmapped_segment", "model.unrecognized_segment"):
                assert f.segment_position in reported, (source, str(f))
        assert len(mapped_positions) == stats.mapped, source
        # the reader's loop (`feed_run`: a run of segments per call) closes the same records
        # and keeps the same counts
        runner = SetBuilder(st, Lineage(source=source), Context(source, st_position=st.position))
        end, run_records = runner.feed_run(list(body), 0)
        assert end == len(body), source
        run_records.extend(runner.close())
        assert run_records == records and runner.stats == stats, source
        out.append(stats)
    return out


def test_rich_member_is_fully_mapped() -> None:
    (stats,) = check(simple(RICH), "rich")
    assert stats.reported == 0 and stats.mapped == 3 + len(RICH)


def test_misplaced_and_repeated_segments_are_reported() -> None:
    junk = member(extra=("NM1*IL*1*AGAIN", "XYZ*1", "PLA*2", "LE*2700", "DTP*348*D8*20241301"))
    (stats,) = check(simple(junk, member("900110002")), "junk")
    assert stats.reported == 5
    assert stats.mapped + stats.reported == 3 + len(junk) + 6


def test_generated_files_are_fully_mapped() -> None:
    for version in ("5010", "4010"):
        data = b"".join(generate(80, 3, version=version, sets=2))  # type: ignore[arg-type]
        all_stats = check(data, "gen")
        assert len(all_stats) == 2
        assert sum(s.reported for s in all_stats) == 0


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.name != "SOURCES.md")


def test_every_corpus_file_conserves_segments(corpus_dir: Path) -> None:
    files = corpus_files(corpus_dir)
    assert files
    total = 0
    for path in files:
        for stats in check(path.read_bytes(), path.name):
            total += stats.fed
    assert total > 900  # the corpus holds ~970 segments inside 834 sets


@pytest.mark.parametrize("name", ["pyx12__834_ls_le_ls.edi",
                                  "stupidedi__tr3ex_enroll-multiple-products_oneline.edi",
                                  "lfh__change-subscriber-information.edi"])
def test_valid_corpus_files_map_everything(corpus_dir: Path, name: str) -> None:
    (stats,) = check((corpus_dir / name).read_bytes(), name)
    assert stats.reported == 0 and stats.mapped == stats.fed
