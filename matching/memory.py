"""An in-memory, indexed `CandidateSource`: for tests, the evaluation and the benchmark.

It indexes `person_keys` exactly as the ledger's blocking_keys table does,
so a lookup costs the size of the blocks, not of the roster.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from matching.blocking import person_keys
from matching.decisions import BlockingKey, KnownPerson


class MemoryCandidates:
    """People indexed by blocking key; `candidates` returns each sharer once, in insertion order."""

    def __init__(self, people: Iterable[KnownPerson] = ()) -> None:
        self._people: dict[str, KnownPerson] = {}
        self._index: dict[BlockingKey, dict[str, None]] = {}
        for person in people:
            self.add(person)

    def add(self, person: KnownPerson) -> None:
        """Add a person (a member_id seen before is replaced; its old keys stay harmless)."""
        self._people[person.member_id] = person
        for key in person_keys(person):
            self._index.setdefault(key, {})[person.member_id] = None

    def __len__(self) -> int:
        return len(self._people)

    def roster_size(self) -> int:
        return len(self._people)

    def block_sizes(self, keys: Sequence[BlockingKey]) -> list[int]:
        """How many people hold each key (0 for a key nobody holds), in order."""
        return [len(self._index.get(key, ())) for key in keys]

    def candidates(self, keys: Sequence[BlockingKey]) -> list[KnownPerson]:
        seen: dict[str, None] = {}
        for key in keys:
            for member_id in self._index.get(key, ()):
                seen.setdefault(member_id, None)
        return [self._people[m] for m in seen]
