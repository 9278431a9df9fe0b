"""The declared comparisons compiled: a pair's level per field in one pass.

`compare.COMPARISONS` declares each field's levels as tests tried in order; that is
the readable statement of the rules, and `compare.compare` runs it as written.
Scoring runs the same rules here, written out per field (`level_indices`: the index
of the first level that holds, -1 for missing), and builds each level's
`FieldComparison` once: comparing a pair allocates the tuple of indices and nothing
else once that combination has been seen (`scored`). tests/matching/test_levels.py
holds the two to the same answer on every level of every field.

`prepared(person)` keeps each person's normalised form (`compare.prepare`) by the
identity of its `KnownPerson`: the ledger hands back the same object for a person
across the look-ups of a unit of work, and the evaluation and the in-memory source
keep theirs. The cache holds the object it is keyed by, so an id is never reused
while its entry lives; it is bounded (`PREPARED_MAX`, least recently used first out).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import OrderedDict
from typing import Any

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from matching.compare import (
    COMPARISONS,
    Prepared,
    Stored,
    _street_similar,
    birth_digits,
    prepare,
    stored,
)
from matching.decisions import FieldComparison, KnownPerson
from matching.model import MatchModel
from matching.normalize import normalize_ssn

_jw = JaroWinkler.similarity
_dl = DamerauLevenshtein.distance

PREPARED_MAX = 20_000
"""People whose prepared form is kept, the least recently used first out (about 1 KB each
with the person it holds)."""
_PREPARED: OrderedDict[int, tuple[KnownPerson, Prepared]] = OrderedDict()


def evict_oldest(cache: OrderedDict[Any, Any]) -> None:
    """Drop a bounded cache's oldest entry (another thread may have emptied it first).

    An OrderedDict: a plain dict's first entry is found by scanning past the slots of the
    entries deleted before it, which grows with the evictions until the dict is rebuilt
    (4.7 % of an ingest's CPU at 100,000 members)."""
    with contextlib.suppress(KeyError):
        cache.popitem(last=False)


def prepared(person: KnownPerson) -> Prepared:
    """`compare.prepare(person)`, computed once per `KnownPerson` object while it is kept."""
    key = id(person)
    hit = _PREPARED.get(key)
    if hit is not None and hit[0] is person:
        with contextlib.suppress(KeyError):  # another thread may have evicted it
            _PREPARED.move_to_end(key)  # now the most recently used
        return hit[1]
    out = prepare(person)
    if len(_PREPARED) >= PREPARED_MAX:
        evict_oldest(_PREPARED)
    _PREPARED[key] = (person, out)
    return out


def _close(x: str, x_again: str, x_links: frozenset[str], y: str, y_again: str) -> bool:
    """compare._close(x, y), given x_again = compact_name(x), x_links =
    nickname_links(x_again) and y_again = compact_name(y) (what nickname_related reads)."""
    if not x or not y:
        return False
    if x == y or _jw(x, y) >= 0.85:
        return True
    if x_again and y_again and (x_again == y_again or y_again in x_links):
        return True
    short, long_ = (x, y) if len(x) <= len(y) else (y, x)
    return len(short) >= 3 and (long_.startswith(short) or long_.endswith(short))


def _swapped(a: Prepared, b: Prepared) -> bool:
    """compare._swapped: given name and surname swapped."""
    return (
        bool(a.first and b.first)
        and a.last != b.last
        and _close(a.last, a.last_again, a.last_again_links, b.first, b.first_again)
        and _close(a.first, a.first_again, a.first_again_links, b.last, b.last_again)
    )


def _ssn_level(x: str, y: str) -> int:
    """The SSN's level index: exact, one_edit, conflict (-1: missing)."""
    if not (x and y):
        return -1
    if x == y:
        return 0
    return 1 if len(x) == len(y) and _dl(x, y) == 1 else 2


def _birth_level(a: Stored, e: dt.date | None, digits: str) -> int:
    """The birth date's level index against `e` (and its `digits`): exact,
    day_month_swapped, one_edit, conflict (-1: missing)."""
    d = a.birth_date
    if d is None or e is None:
        return -1
    if d == e:
        return 0
    if d.year == e.year and d.month == e.day and d.day == e.month:
        return 1
    return 2 if len(a.birth_digits) == len(digits) and _dl(a.birth_digits, digits) == 1 else 3


def level_indices(a: Prepared, b: Prepared) -> tuple[int, ...]:
    """Per field of `COMPARISONS`, in order, the index of the first level of its
    declared levels that holds for (a, b); -1 when the field is missing on a side."""
    ssn = _ssn_level(a.ssn, b.ssn)
    dob = _birth_level(a, b.birth_date, b.birth_digits)
    swapped: bool | None = None
    # surname: initial, exact, swapped, part, jw_0.92, jw_0.80, conflict
    x, y = a.last, b.last
    if not (x and y):
        last = -1
    elif len(x) == 1 or len(y) == 1:
        last = 0
    elif x == y:
        last = 1
    elif swapped := _swapped(a, b):
        last = 2
    else:
        short, long_ = (x, y) if len(x) <= len(y) else (y, x)
        if len(short) >= 3 and (long_.startswith(short) or long_.endswith(short)):
            last = 3
        else:
            sim = _jw(x, y)
            last = 4 if sim >= 0.92 else 5 if sim >= 0.80 else 6
    # given name: initial, exact, swapped, nickname, nickname_shared, nickname_listed,
    # jw_0.92, close, conflict
    x, y = a.first, b.first
    if not (x and y):
        first = -1
    elif len(x) == 1 or len(y) == 1:
        first = 0
    elif x == y:
        first = 1
    elif swapped if swapped is not None else _swapped(a, b):
        first = 2
    elif y in a.first_common:
        first = 3
    elif y in a.first_shared:
        first = 4
    elif y in a.first_links:
        first = 5
    else:
        sim = _jw(x, y)
        first = 6 if sim >= 0.92 else 7 if _dl(x, y) <= 1 or sim >= 0.80 else 8
    # gender, relationship, birth sequence: agree, conflict
    gender = -1 if not (a.gender and b.gender) else 0 if a.gender == b.gender else 1
    x, y = a.relationship, b.relationship
    place = -1 if not (x and y) else 0 if x == y else 1
    s, t = a.birth_sequence, b.birth_sequence
    sequence = -1 if s is None or t is None else 0 if s == t else 1
    # address: exact, street, similar, same_zip, conflict
    sa, sb, pa, pb = a.street, b.street, a.postal, b.postal
    if not ((pa and pb) or (sa and sb)):
        address = -1
    elif sa and sa == sb and pa == pb:
        address = 0
    elif sa and sa == sb and not (pa and pb):
        address = 1
    elif _street_similar(a, b):
        address = 2
    elif pa and pa == pb:
        address = 3
    else:
        address = 4
    # subscriber number: same_family, other_family
    na, nb = a.subscriber_numbers, b.subscriber_numbers
    number = -1 if not (na and nb) else 0 if na & nb else 1
    # Medicare id: exact, conflict
    x, y = a.medicare_id, b.medicare_id
    medicare = -1 if not (x and y) else 0 if x == y else 1
    return (ssn, dob, last, first, gender, place, sequence, address, number, medicare)


_LEVELS: tuple[tuple[FieldComparison, ...], ...] = tuple(
    (
        *(FieldComparison(c.field, lv.name, lv.weight, lv.description) for lv in c.levels),
        FieldComparison(c.field, "missing", 0.0, f"{c.field}: missing on one side"),
    )
    for c in COMPARISONS
)
"""Per field, each declared level's FieldComparison, then 'missing' (index -1)."""
_SEEN: dict[tuple[int, ...], tuple[float, tuple[FieldComparison, ...]]] = {}
_SEEN_MAX = 100_000


def scored(a: Prepared, b: Prepared) -> tuple[float, tuple[FieldComparison, ...]]:
    """(the prior's score, `compare.compare(a, b)`): the sum of the declared weights,
    rounded to 0.01, and one FieldComparison per field (shared objects)."""
    key = level_indices(a, b)
    out = _SEEN.get(key)
    if out is None:
        found = tuple(levels[i] for levels, i in zip(_LEVELS, key, strict=True))
        out = (round(sum(c.weight for c in found), 2), found)
        if len(_SEEN) >= _SEEN_MAX:
            _SEEN.clear()
        _SEEN[key] = out
    return out


# ---------------------------------------------------------------- the wider search's screen


def _conflicting(a: Prepared, y: str, e: dt.date | None, digits: str) -> bool:
    """`a`'s SSN and birth date against another's (`y` normalised, `e` and its `digits`):
    both sent and conflicting (levels `conflict`). The first half of `apart`."""
    return _ssn_level(a.ssn, y) == 2 and _birth_level(a, e, digits) == 3


def apart_from_all(mine: list[Prepared], person: KnownPerson) -> bool:
    """`all(apart(p, prepare(person)) for p in mine)`: on the person's prepared form when
    one is kept, else on its `compare.stored` form (the same values, not kept), read only
    as far as the SSN and birth date while they already say it is not apart. The wider
    search's people are mostly set aside and never scored: they need no names prepared."""
    theirs: Stored
    hit = _PREPARED.get(id(person))
    if hit is not None and hit[0] is person:
        theirs = hit[1]
    else:
        ssn, born = normalize_ssn(person.ssn), person.birth_date
        digits = birth_digits(born)
        for p in mine:
            if not _conflicting(p, ssn, born, digits):
                return False
        theirs = stored(person.ssn, born, person.subscriber_numbers, person.medicare_id,
                        person.address_line1, person.postal_code)  # fmt: skip
    return all(apart(p, theirs) for p in mine)


def apart(a: Prepared, b: Stored) -> bool:
    """SSN and birth date both sent and conflicting (levels `conflict`), no street
    agreement (address level neither exact, street nor similar), not the same family
    (subscriber number level not same_family) and no identical Medicare id: the levels
    `level_indices` gives these fields, read without the names."""
    if not _conflicting(a, b.ssn, b.birth_date, b.birth_digits):
        return False
    if a.subscriber_numbers & b.subscriber_numbers:
        return False
    if a.medicare_id and a.medicare_id == b.medicare_id:
        return False
    if a.street and a.street == b.street:
        return False
    return not _street_similar(a, b)


_BOUNDS: OrderedDict[int, tuple[MatchModel, float]] = OrderedDict()


def apart_bound(model: MatchModel) -> float:
    """The highest score (bits, ranked as `score.rank` may: a subscriber number nobody
    holds weighs 0) that `model` gives a pair `apart` holds for: SSN and birth date at
    their conflict weights, the address at most same_zip, the subscriber number and
    Medicare id at most 0 or their conflict weight, every other field at its best level
    (term frequencies at most `tf_max_bits`)."""
    found = _BOUNDS.get(id(model))
    if found is not None and found[0] is model:
        return found[1]
    weights = model.weights()
    tf_fields = {t.field for t in model.tf}

    def weight(field: str, level: str, default: float) -> float:
        extra = max(model.tf_max_bits, 0.0) if level == "exact" and field in tf_fields else 0.0
        return weights.get((field, level), default) + extra

    known = {
        "ssn": ("conflict",),
        "birth_date": ("conflict",),
        "address": ("same_zip", "conflict"),
        "subscriber_number": ("other_family",),
        "medicare_id": ("conflict",),
    }
    bound = 0.0
    for c in COMPARISONS:
        levels = known.get(c.field, tuple(lv.name for lv in c.levels))
        declared = {lv.name: lv.weight for lv in c.levels}
        at_most = max(weight(c.field, name, declared[name]) for name in levels)
        # 'missing', 'initial' and 'new_number' weigh 0 in every model
        bound += at_most if c.field in ("ssn", "birth_date") else max(at_most, 0.0)
    if len(_BOUNDS) >= 16:
        evict_oldest(_BOUNDS)
    _BOUNDS[id(model)] = (model, bound)
    return bound
