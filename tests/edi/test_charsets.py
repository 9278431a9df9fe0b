"""Per-partner character sets (issue 14, friction 3): X12 basic, extended (the default) or
UTF-8 by agreement, judged by the compiled validator per sender (ISA05/ISA06)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from edi.validate import make_validator, validate_file
from tests.cli.desk834 import Member, Person, interchange

ACCENTED = Person("MUÑOZ", "JOSÉ", dt.date(1980, 1, 2), "M", "111223333")
LOWER = Person("Smith", "Anna", dt.date(1981, 2, 3), "F", "111224444")
PLAIN = Person("SMITH", "ANNA", dt.date(1981, 2, 3), "F", "111224444")


def _rejected(data: bytes, charsets: dict[tuple[str, str], str] | None = None) -> list[str]:
    """The rules of the findings that rejected members (no values in them)."""
    report = validate_file(data, "t.edi", validator=make_validator("compiled", charsets))
    (ic,) = report.interchanges
    assert ic.groups[0].transaction_sets
    return [f.code for f in report.all_findings() if f.rejects]


def test_extended_is_the_default_accents_rejected_lower_case_accepted() -> None:
    assert "ig.element.invalid_character" in _rejected(interchange([Member(ACCENTED, "S1")]))
    assert _rejected(interchange([Member(LOWER, "S1")])) == []


def test_utf8_by_agreement_accepts_accents_for_that_sender_only() -> None:
    agreed = {("ZZ", "SENDER1"): "utf-8"}
    assert _rejected(interchange([Member(ACCENTED, "S1")]), agreed) == []
    other = interchange([Member(ACCENTED, "S1")], sender="SENDER2")
    assert "ig.element.invalid_character" in _rejected(other, agreed)


def test_utf8_still_refuses_ascii_outside_the_extended_set() -> None:
    bad = Person("SMITH\\", "ANNA", dt.date(1981, 2, 3), "F")  # backslash: not in 5010's set
    data = interchange([Member(bad, "S1")]).replace(b"SMITH\\", b"SMITH\x7f")
    assert _rejected(data, {("ZZ", "SENDER1"): "utf-8"})


def test_basic_refuses_lower_case() -> None:
    basic = {("ZZ", "SENDER1"): "basic"}
    found = _rejected(interchange([Member(LOWER, "S1")]), basic)
    assert found and set(found) == {"ig.element.invalid_character"}
    assert _rejected(interchange([Member(PLAIN, "S1")]), basic) == []


@pytest.mark.parametrize(("charset", "code"), [("utf-8", 0), ("extended", 1)])
def test_the_partner_setting_reaches_validate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               charset: str, code: int) -> None:
    from cli import main

    for key in [k for k in __import__("os").environ if k.startswith("ENROLL834_")]:
        monkeypatch.delenv(key)
    conf = tmp_path / "enroll834.toml"
    conf.write_text(f'[[partners]]\nsender_id = "SENDER1"\ncharset = "{charset}"\n')
    path = tmp_path / "a.edi"
    path.write_bytes(interchange([Member(ACCENTED, "S1")]))
    res = CliRunner().invoke(main, ["--config", str(conf), "validate", str(path)])
    assert res.exit_code == code, res.output
