"""The parse floor (tests/bench/floor_bench.py) builds what `parse` builds for the bench file.

The floor is quoted against the parse target in README, so it must not build
less: per member, the same records of the same classes, with the same values
in the fields it fills.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import msgspec

from edi.generate import write_file
from edi.reader import read
from edi.records import MemberTransaction

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import floor_bench  # noqa: E402


def _records(value: object, into: Counter[str]) -> Counter[str]:
    if isinstance(value, msgspec.Struct):
        into[type(value).__name__] += 1
        for name in value.__struct_fields__:
            _records(getattr(value, name), into)
    elif isinstance(value, tuple):
        for item in value:
            _records(item, into)
    return into


def test_floor_builds_the_records_parse_builds(tmp_path: Path) -> None:
    path = tmp_path / "bench.edi"
    write_file(path, 300, 1, "lines", ascii_only=True)
    parsed = [e for e in read(path, path.name) if isinstance(e, MemberTransaction)]
    floor = list(floor_bench._typed(path))

    assert len(floor) == len(parsed) == 300
    assert floor_bench.split(path, 300) == floor_bench.one_model(path, 300) == 300
    for ours, base in zip(parsed, floor, strict=True):
        assert _records(ours, Counter()) == _records(base, Counter())
        assert base.member.name == ours.member.name
        assert base.member.demographics == ours.member.demographics
        assert base.member.address == ours.member.address
        assert base.member.contact == ours.member.contact
        assert base.identifiers == ours.identifiers
        assert base.subscriber_number == ours.subscriber_number
        assert base.group_policy_number == ours.group_policy_number
        assert base.dates == ours.dates
        assert base.relationship is ours.relationship
        assert base.incorrect == ours.incorrect
        assert (base.maintenance_reason, base.benefit_status, base.employment_status) == (
            ours.maintenance_reason, ours.benefit_status, ours.employment_status)
        assert [c.dates for c in base.coverages] == [c.dates for c in ours.coverages]
        assert [(c.insurance_line, c.coverage_level, c.plan_description)
                for c in base.coverages] == [(c.insurance_line, c.coverage_level,
                                              c.plan_description) for c in ours.coverages]
        assert [(k.name, k.value, k.date) for k in base.reporting_categories] == [
            (k.name, k.value, k.date) for k in ours.reporting_categories]
