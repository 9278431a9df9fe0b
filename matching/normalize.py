"""Normalisation of the fields the matcher compares: names, SSNs, identifiers, addresses.

Every function is pure and total: it takes whatever the file or the ledger
holds and returns a canonical string, '' meaning "missing". Placeholders
(000000000, 999999999, 123456789, UNKNOWN, BABY BOY, NEWBORN ...) are
missing, never values: two placeholders must not look like agreement.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources

import jellyfish

_NON_LETTER = re.compile(r"[^A-Z ]+")
_NON_ALNUM = re.compile(r"[^A-Z0-9]+")
_SPACES = re.compile(r"\s+")

NAME_SUFFIXES = frozenset({"JR", "SR", "II", "III", "IV", "V", "MD", "PHD", "ESQ"})
PLACEHOLDER_NAMES = frozenset(
    {
        "UNKNOWN",
        "UNK",
        "NONE",
        "NA",
        "N A",
        "TBD",
        "TEST",
        "BABY",
        "BABY BOY",
        "BABY GIRL",
        "BABYBOY",
        "BABYGIRL",
        "NEWBORN",
        "NEW BORN",
        "INFANT",
        "BOY",
        "GIRL",
        "NB",
        "FNU",
        "LNU",
        "X",
        "XX",
        "XXX",
        "NOT GIVEN",
        "NOTGIVEN",
        "NAME",
        "NO NAME",
    }
)
PLACEHOLDER_SSNS = frozenset({"123456789", "987654321", "012345678", "078051120", "219099999"})

_STREET_WORDS = {
    "STREET": "ST",
    "AVENUE": "AVE",
    "AV": "AVE",
    "ROAD": "RD",
    "DRIVE": "DR",
    "LANE": "LN",
    "BOULEVARD": "BLVD",
    "COURT": "CT",
    "PLACE": "PL",
    "TERRACE": "TER",
    "CIRCLE": "CIR",
    "HIGHWAY": "HWY",
    "PARKWAY": "PKWY",
    "SQUARE": "SQ",
    "TRAIL": "TRL",
    "WAY": "WAY",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "APARTMENT": "APT",
    "SUITE": "STE",
    "UNIT": "APT",
    "NUMBER": "",
    "NO": "",
}


def _ascii_upper(value: str) -> str:
    if value.isascii():
        return value.upper()
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


@lru_cache(maxsize=65536)
def clean_name(value: str) -> str:
    """Upper-case letters and single spaces; apostrophes vanish, hyphens become spaces;
    generational suffixes dropped; placeholders ('BABY BOY', 'UNKNOWN') give ''."""
    text = _ascii_upper(value).replace("'", "").replace("-", " ").replace(".", " ")
    text = _SPACES.sub(" ", _NON_LETTER.sub(" ", text)).strip()
    words = [w for w in text.split(" ") if w and w not in NAME_SUFFIXES]
    text = " ".join(words)
    if text in PLACEHOLDER_NAMES:
        return ""
    return text


def compact_name(value: str) -> str:
    """clean_name without spaces: 'DE LA CRUZ' and 'DELACRUZ' compare equal."""
    return clean_name(value).replace(" ", "")


def normalize_ssn(value: str) -> str:
    """Nine digits, or '' for absent, malformed or placeholder SSNs.

    Letter O reads as zero (a corpus look-alike); hyphens and spaces vanish.
    Placeholders: area 000 or 666, group 00, serial 0000, one repeated digit,
    and a few well-known dummy numbers (123456789 ...).
    """
    if len(value) == 9 and value.isdigit():  # the usual form: nothing to clean
        text = digits = value
    else:
        text = value.strip().upper().replace("O", "0")
        digits = "".join(c for c in text if c.isdigit())
    if len(digits) != 9 or len(text) > 11:
        return ""
    if len(set(digits)) == 1 or digits in PLACEHOLDER_SSNS:
        return ""
    if digits[:3] in ("000", "666") or digits[3:5] == "00" or digits[5:] == "0000":
        return ""
    return digits


def normalize_id(value: str) -> str:
    """Upper-case letters and digits only; '' for ids made of one repeated character."""
    if value.isascii() and value.isalnum():  # nothing to remove
        text = value.upper()
    else:
        text = _NON_ALNUM.sub("", _ascii_upper(value))
    if len(set(text)) <= 1:
        return ""
    return text


def normalize_address(line1: str) -> str:
    """Street line with punctuation gone and common words abbreviated ('AVENUE' → 'AVE')."""
    text = _ascii_upper(line1)
    if not (text.isascii() and text.replace(" ", "").isalnum()):  # punctuation to remove
        text = _NON_ALNUM.sub(" ", text)
    words = text.split()
    if _STREET_WORDS.keys().isdisjoint(words):  # the usual case: nothing to abbreviate
        return " ".join(words)
    return " ".join(w for w in (_STREET_WORDS.get(w, w) for w in words) if w)


def postal5(value: str) -> str:
    """The five-digit ZIP, or '' when the value is not a US postal code."""
    digits = value if value.isdigit() else "".join(c for c in value if c.isdigit())
    if len(digits) < 5 or len(set(digits[:5])) == 1:
        return ""
    return digits[:5]


@lru_cache(maxsize=65536)
def soundex(name: str) -> str:
    """Soundex of the compacted name ('' for a missing name)."""
    compact = compact_name(name)
    return jellyfish.soundex(compact) if compact else ""


@cache
def _nickname_table() -> dict[str, frozenset[str]]:
    roots: dict[str, set[str]] = {}
    text = resources.files("matching").joinpath("data/nicknames.csv").read_text("utf-8")
    for row in csv.reader(line for line in text.splitlines() if not line.startswith("#")):
        names = [n.strip().upper() for n in row if n.strip()]
        if not names:
            continue
        root = names[0]
        for name in names:
            roots.setdefault(name, set()).add(root)
    return {name: frozenset(r) for name, r in roots.items()}


@lru_cache(maxsize=65536)
def name_roots(first: str) -> frozenset[str]:
    """The given name itself plus every root it may be short for (BOB → {BOB, ROBERT})."""
    name = compact_name(first)
    if not name:
        return frozenset()
    return frozenset({name}) | _nickname_table().get(name, frozenset())


def nickname_related(a: str, b: str) -> bool:
    """True when one name is a listed nickname of the other or both share a root."""
    ra, rb = name_roots(a), name_roots(b)
    return bool(ra and rb and ra & rb)


RELATIONSHIP_GROUPS = {"18": "self", "01": "spouse", "53": "spouse"}


def relationship_group(code: str) -> str:
    """'self', 'spouse', 'dependent', or '' when unknown: the place in the family."""
    code = code.strip()
    if not code:
        return ""
    return RELATIONSHIP_GROUPS.get(code, "dependent")
