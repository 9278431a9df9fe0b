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
from dataclasses import dataclass
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
FILLER_NAMES = frozenset(
    {
        "MAN OF THE HOUSE",
        "WOMAN OF THE HOUSE",
        "LADY OF THE HOUSE",
        "HEAD OF HOUSE",
        "HEAD OF HOUSEHOLD",
        "OCCUPANT",
        "CURRENT RESIDENT",
        "RESIDENT",
        "SPOUSE",
        "WIFE",
        "HUSBAND",
        "DEPENDENT",
        "DEPENDANT",
        "DAUGHTER",
        "MR",
        "MRS",
        "MS",
        "MISS",
        "NFN",
        "NLN",
        "NMN",
        "NO FIRST NAME",
        "NO LAST NAME",
        "FIRST NAME",
        "LAST NAME",
        "UNKNOWN NAME",
        "NOT AVAILABLE",
        "NOT PROVIDED",
        "REFUSED",
    }
)
"""Words senders put where a name should be: missing, like the placeholders."""
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
    if text in PLACEHOLDER_NAMES or text in FILLER_NAMES:
        return ""
    return text


def compact_name(value: str) -> str:
    """clean_name without spaces: 'DE LA CRUZ' and 'DELACRUZ' compare equal."""
    return clean_name(value).replace(" ", "")


def surname_key(value: str) -> str:
    """compact_name, except that a single letter (a filler, not a surname) is '' (missing)."""
    name = compact_name(value)
    return name if len(name) > 1 else ""


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


@dataclass(frozen=True, slots=True)
class _Nicknames:
    roots: dict[str, frozenset[str]]
    """name → every root it is listed under, in either table (itself not included)."""
    own_roots: dict[str, frozenset[str]]
    """name → its roots in the project's own table only (shared roots count there)."""
    nicknames: dict[str, frozenset[str]]
    """root → its listed nicknames, both tables."""
    own_nicknames: dict[str, frozenset[str]]
    """root → its nicknames in the project's own table."""


def _read(name: str) -> list[list[str]]:
    text = resources.files("matching").joinpath(f"data/{name}").read_text("utf-8")
    rows = csv.reader(line for line in text.splitlines() if not line.startswith("#"))
    return [[n.strip().upper() for n in row if n.strip()] for row in rows]


@cache
def _nickname_tables() -> _Nicknames:
    """The project's table (data/nicknames.csv: root, nicknames...) and the public one
    (data/nicknames-odu.csv: root, 'has_nickname', nickname; see data/README.md)."""
    own: list[tuple[str, str]] = []
    for row in _read("nicknames.csv"):
        own.extend((row[0], nick) for nick in row[1:])
    public = [
        (row[0], row[2])
        for row in _read("nicknames-odu.csv")
        if len(row) == 3 and row[1] == "HAS_NICKNAME"
    ]
    roots: dict[str, set[str]] = {}
    own_roots: dict[str, set[str]] = {}
    nicknames: dict[str, set[str]] = {}
    own_nicknames: dict[str, set[str]] = {}
    for is_own, pairs in ((True, own), (False, public)):
        for root, nick in pairs:
            root, nick = compact_name(root), compact_name(nick)
            if not root or not nick or root == nick:
                continue
            roots.setdefault(nick, set()).add(root)
            nicknames.setdefault(root, set()).add(nick)
            if is_own:
                own_roots.setdefault(nick, set()).add(root)
                own_nicknames.setdefault(root, set()).add(nick)

    def frozen(table: dict[str, set[str]]) -> dict[str, frozenset[str]]:
        return {k: frozenset(v) for k, v in table.items()}

    return _Nicknames(frozen(roots), frozen(own_roots), frozen(nicknames), frozen(own_nicknames))


@lru_cache(maxsize=65536)
def name_roots(first: str) -> frozenset[str]:
    """The given name itself plus every root it may be short for (BOB → {BOB, ROBERT}),
    from both tables; '' and single letters (initials, fillers) have none."""
    name = compact_name(first)
    if len(name) < 2:
        return frozenset()
    return frozenset({name}) | _nickname_tables().roots.get(name, frozenset())


@lru_cache(maxsize=65536)
def nickname_links(first: str) -> frozenset[str]:
    """What a given name may stand for or be stood for by: itself, its roots and nicknames
    (both tables), and the other nicknames of its roots in the project's own table."""
    name = compact_name(first)
    if len(name) < 2:
        return frozenset()
    tables = _nickname_tables()
    own = tables.own_roots.get(name, frozenset())
    linked = {name} | tables.roots.get(name, frozenset())
    linked |= tables.nicknames.get(name, frozenset())
    for root in own:
        linked |= tables.own_nicknames.get(root, frozenset())
    return frozenset(linked)


@lru_cache(maxsize=65536)
def common_nickname_links(first: str, *, shared_roots: bool = True) -> frozenset[str]:
    """`nickname_links` from the project's own table only: the common nicknames.

    Without `shared_roots`, only direct links (a name and its roots or nicknames: BILL
    and WILLIAM), not two nicknames of one root (WILLIE and LIAM)."""
    name = compact_name(first)
    if len(name) < 2:
        return frozenset()
    tables = _nickname_tables()
    own = tables.own_roots.get(name, frozenset())
    linked = {name} | own | tables.own_nicknames.get(name, frozenset())
    if shared_roots:
        for root in own:
            linked |= tables.own_nicknames.get(root, frozenset())
    return frozenset(linked)


def nickname_related(a: str, b: str) -> bool:
    """True when one name is a listed nickname (or root) of the other, or both are
    nicknames of one root in the project's own table (LIZ and BETH: ELIZABETH).

    The public table's sibling nicknames do not count (it lists BILL under ROBERT
    as well as under WILLIAM, which would make BOB and BILL one name)."""
    x, y = compact_name(a), compact_name(b)
    return bool(x and y) and (x == y or y in nickname_links(x))


def nicknames_of(root: str, *, common: bool = False) -> frozenset[str]:
    """The nicknames listed for `root` in either table, or (`common`) in the project's
    own table only (evaluation noise, tests)."""
    tables = _nickname_tables()
    table = tables.own_nicknames if common else tables.nicknames
    return table.get(compact_name(root), frozenset())


RELATIONSHIP_GROUPS = {"18": "self", "01": "spouse", "53": "spouse"}


def relationship_group(code: str) -> str:
    """'self', 'spouse', 'dependent', or '' when unknown: the place in the family."""
    code = code.strip()
    if not code:
        return ""
    return RELATIONSHIP_GROUPS.get(code, "dependent")
