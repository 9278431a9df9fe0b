"""Findings: problems as data, with positions and never values.

Every stage of edi/ reports what it noticed as `Finding` records. A finding
names the rule (`code`), how bad it is, where it is (file, byte offset,
segment position, loop, element) and the X12 acknowledgment code it maps to;
it never carries an element's value, which may be PHI. `message` is written
by the project from fixed text plus positions, never from input data.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec


class Severity(StrEnum):
    """Rejecting findings are ERROR; WARNING is 'accepted with errors'; INFO is a note."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Level(StrEnum):
    """The envelope level a finding belongs to (decides TA1 vs 999 and what it rejects)."""

    FILE = "file"
    INTERCHANGE = "interchange"
    GROUP = "group"
    TRANSACTION_SET = "transaction_set"
    SEGMENT = "segment"
    ELEMENT = "element"


class Finding(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, gc=False):
    """One located problem. Frozen; safe to log (no element values).

    A msgspec Struct like the records of `edi.records` (`as_json` is its JSON
    object without the empty fields).
    """

    code: str
    """Project rule id, dotted: 'transport.prose_before_isa', 'envelope.se_count', 'ig.element.code' ..."""
    severity: Severity
    level: Level
    message: str
    source: str | None = None
    """File name (as given by the caller)."""
    offset: int | None = None
    """Byte offset in the original file."""
    segment_position: int | None = None
    """1-based ordinal of the segment in the file."""
    set_position: int | None = None
    """1-based position inside its transaction set (ST = 1): the 999's IK302."""
    segment_id: str | None = None
    loop_id: str | None = None
    element: int | None = None
    component: int | None = None
    repetition: int | None = None
    data_element: str | None = None
    """X12 data element reference number (IK402), e.g. '1203'."""
    x12_code: str | None = None
    """The acknowledgment code: TA105, AK905, IK502, IK304 or IK403 depending on `level`."""
    interchange_control: str | None = None
    group_control: str | None = None
    set_control: str | None = None
    member_ordinal: int | None = None
    """1-based ordinal of the 2000 member loop inside its transaction set, when inside one."""
    validator: str | None = None
    """Who found it: 'envelope', 'transport', 'model', 'compiled', 'pyx12', 'situational'."""

    def as_json(self) -> dict[str, object]:
        """The JSON object of this finding: enums as their values, None fields left out."""
        return {name: value for name in self.__struct_fields__
                if (value := getattr(self, name)) is not None}

    @property
    def rejects(self) -> bool:
        return self.severity is Severity.ERROR

    def where(self) -> str:
        """A human location string: 'file.edi: segment 12 (N3, loop 2100A) element 1 at byte 345'."""
        parts: list[str] = []
        if self.source:
            parts.append(f"{self.source}:")
        if self.segment_position is not None:
            seg = f"segment {self.segment_position}"
            detail = ", ".join(
                x for x in (self.segment_id, f"loop {self.loop_id}" if self.loop_id else None) if x
            )
            parts.append(f"{seg} ({detail})" if detail else seg)
        if self.element is not None:
            el = f"element {self.element:02d}"
            if self.component is not None:
                el += f"-{self.component}"
            parts.append(el)
        if self.offset is not None:
            parts.append(f"at byte {self.offset}")
        return " ".join(parts) if parts else "(no position)"

    def __str__(self) -> str:
        return f"{self.severity.value}: {self.where()}: {self.message} [{self.code}]"
