"""The short paths of normalisation (clean values) give what the full cleaning gives."""

from __future__ import annotations

import pytest

from matching.normalize import normalize_address, normalize_id, normalize_ssn, postal5


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("12 MAPLE ST", "12 MAPLE ST"),  # already clean: the short path
        ("12  maple   st", "12 MAPLE ST"),
        ("12 MAPLE STREET", "12 MAPLE ST"),  # a word to abbreviate
        ("12 MAPLE NO 4", "12 MAPLE 4"),  # a word that vanishes
        ("12 Mäple St", "12 MAPLE ST"),
        ("12\tMAPLE ST", "12 MAPLE ST"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_address_normalisation_of_clean_and_messy_lines(line: str, expected: str) -> None:
    assert normalize_address(line) == expected


def test_clean_values_normalise_like_messy_ones() -> None:
    """The short paths for values with nothing to remove give what the full cleaning gives."""
    assert normalize_ssn("212345678") == normalize_ssn(" 212-34-5678 ") == "212345678"
    assert normalize_ssn("000345678") == normalize_ssn("2123456789") == ""
    assert postal5("55101") == postal5("55101-1234") == postal5("551 01") == "55101"
    assert postal5("1234") == postal5("55555") == ""
    assert normalize_id("sub100") == normalize_id("SUB-100") == "SUB100"
    assert normalize_id("1111") == normalize_id("É") == ""
