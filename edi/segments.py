"""Segments: the unit every later edi stage reads.

A `Segment` is one X12 segment as found in the input, after transport decoding
(diskette/tape/EBCDIC/BOM handling) and delimiter discovery. It keeps where it
came from (`position`, `offset`) so findings and lineage can point back at it.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four X12 delimiters of one interchange, discovered from its ISA."""

    element: str = "*"
    component: str = ":"
    segment: str = "~"
    repetition: str | None = None  # None: the interchange has no repetition separator


class Segment(msgspec.Struct, frozen=True, gc=False):
    """One segment of an interchange (a compiled struct: one is built per segment read).

    `elements[0]` is the first data element after the segment id (so ISA13 is
    `elements[12]`); trailing empty elements are kept as written. Values are
    raw strings (composites not split): use `component()`/`repeats()`.
    `position` is the 1-based ordinal of the segment in the file, `offset` the
    byte offset in the original input where the segment starts.
    """

    id: str
    elements: tuple[str, ...]
    position: int
    offset: int
    delimiters: Delimiters

    def get(self, n: int) -> str:
        """Element `n` (1-based, as X12 numbers them), '' when absent."""
        return self.elements[n - 1] if 0 < n <= len(self.elements) else ""

    def component(self, n: int, c: int) -> str:
        """Component `c` (1-based) of composite element `n`, '' when absent."""
        parts = self.get(n).split(self.delimiters.component)
        return parts[c - 1] if 0 < c <= len(parts) else ""

    def repeats(self, n: int) -> tuple[str, ...]:
        """The repetitions of element `n` (one item when the interchange has none)."""
        value = self.get(n)
        sep = self.delimiters.repetition
        return tuple(value.split(sep)) if sep and value else (value,)
