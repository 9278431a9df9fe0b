"""`parse --json` encodes its members in batches (`edi.jsonout.dumps_members`): the batch
is the same bytes as the members' lines one by one, whatever the batch, and the records
whose twins are copied field for field (every field as it is) leave out the same empty
fields as the rule."""

from __future__ import annotations

import json

import pytest
from parse_json_inputs import INPUTS, input_bytes

from edi.jsonout import dumps, dumps_line, dumps_members
from edi.reader import read
from edi.records import Address, Lineage, MemberTransaction, PersonName


def _members(name: str) -> list[MemberTransaction]:
    return [e for e in read(input_bytes(name), name)
            if isinstance(e, MemberTransaction)]


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_a_batch_is_the_lines_one_by_one(name: str) -> None:
    members = _members(name)
    assert members
    one_by_one = b"".join(dumps_line(m) for m in members)
    assert dumps_members(members) == one_by_one
    for size in (1, 3, 64):
        batches = b"".join(dumps_members(members[i:i + size])
                           for i in range(0, len(members), size))
        assert batches == one_by_one
    assert dumps_members([]) == b""


def test_records_copied_field_for_field_leave_out_empty_fields() -> None:
    name = PersonName(entity_code="", position=0, last="DOE", id_qualifier="")
    assert json.loads(dumps(name)) == {"last": "DOE", "position": 0}
    address = Address(line1="1 MAIN ST", city="", state="IL")
    assert json.loads(dumps(address)) == {"line1": "1 MAIN ST", "state": "IL"}
    lineage = Lineage(source="x.edi", set_control="0001", first_position=7)
    assert json.loads(dumps(lineage)) == {  # ints always written, None and "" left out
        "source": "x.edi", "set_control": "0001", "first_position": 7, "last_position": 0,
        "first_offset": 0}
