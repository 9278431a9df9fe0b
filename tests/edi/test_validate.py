"""validate_file(): the report (verdicts, counts, findings), its acks, write_acks()."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import msgspec

from edi.control import MemoryControlNumbers
from edi.findings import Finding
from edi.records import SetStatus, encode_json
from edi.validate import FileReport, validate_file, write_acks
from tests.edi.synthetic834 import CANARIES, interchange, member

NOW = datetime(2024, 3, 15, 10, 0)


def run(text: str | bytes, name: str = "t.edi") -> FileReport:
    data = text.encode() if isinstance(text, str) else text
    return validate_file(data, name, control=MemoryControlNumbers(), now=NOW)


def only_set(report: FileReport):  # type: ignore[no-untyped-def]
    (ic,) = report.interchanges
    (group,) = ic.groups
    (s,) = group.transaction_sets
    return s


def test_accepted_report() -> None:
    report = run(interchange([member(1), member(2)]))
    s = only_set(report)
    assert (s.status, s.members, s.rejected_members, s.findings) == (SetStatus.ACCEPTED, 2, 0, ())
    ic = report.interchanges[0]
    assert (ic.sender, ic.receiver, ic.control_number) == ("ZZ:ACMEHR", "ZZ:BLUEPAYER", "000004711")
    assert (ic.ta1_code, ic.ta1_note, ic.ta1_text) == ("A", "000", None)
    assert ic.ack_text is not None and report.accepted


def test_ta1_written_when_requested() -> None:
    ic = run(interchange(ack_requested=True)).interchanges[0]
    assert ic.ta1_text is not None and "TA1*000004711*240315*0930*A*000~" in ic.ta1_text


def test_partially_accepted_counts_and_member_findings() -> None:
    report = run(interchange([member(1), member(2, ins05="Q"), member(3)]))
    s = only_set(report)
    assert (s.status, s.members, s.rejected_members) == (SetStatus.PARTIALLY_ACCEPTED, 3, 1)
    assert {f.member_ordinal for f in s.findings} == {2}
    assert not report.accepted  # a rejected member makes the file not fully accepted


def test_rejected_set_and_interchange() -> None:
    assert only_set(run(interchange(se_delta=1))).status is SetStatus.REJECTED
    report = run(interchange(iea_control="000000999"))
    ic = report.interchanges[0]
    assert (ic.ta1_code, ic.ta1_note, ic.ack_text) == ("R", "001", None)
    assert not report.accepted


def test_no_interchange_is_not_accepted() -> None:
    report = run(b"hello, this is not X12\n")
    assert report.interchanges == () and not report.accepted
    assert report.findings and all(isinstance(f, Finding) for f in report.findings)
    assert report.summary_lines() == ["t.edi\t-\t-\t-\tno interchange\t0\t0"]


def test_report_keeps_no_member_records() -> None:
    report = run(interchange([member(1, birth="19800231")]))
    dumped = msgspec.json.encode(report).decode()
    assert "CANARY0F1" not in dumped and "QUENTINAVOX" not in dumped
    assert only_set(report).findings  # but findings are kept


def test_json_shape_is_exact() -> None:
    report = run(interchange([member(1), member(2, ins05="Q")]))
    obj = json.loads(json.dumps(report.to_json()))
    assert set(obj) == {"file", "interchanges"}
    (ic,) = obj["interchanges"]
    assert set(ic) == {"sender", "receiver", "control_number", "ta1", "groups"}
    (group,) = ic["groups"]
    assert set(group) == {"control_number", "ack_code", "transaction_sets"}
    assert group["ack_code"] == "E"
    (s,) = group["transaction_sets"]
    assert set(s) == {"control_number", "status", "ack_code", "members", "rejected_members",
                      "findings"}
    assert (s["status"], s["members"], s["rejected_members"]) == ("partially_accepted", 2, 1)
    assert s["ack_code"] == "E"  # what the 999's IK5 says
    assert all(msgspec.convert(f, Finding) for f in s["findings"])


def test_canaries_never_reach_findings_or_acks() -> None:
    bad = interchange([
        member(1, birth="19800231", last="ZYXQUARTZ\u00c9"),
        member(2, ins05="CANARYVILLE"),
        member(3),
    ], ack_requested=True, qty=9)
    report = run(bad)
    texts = [str(f) + encode_json(f) for f in report.all_findings()]
    texts += [ic.ta1_text or "" for ic in report.interchanges]
    texts += [ic.ack_text or "" for ic in report.interchanges]
    texts += report.summary_lines()
    assert len(texts) > 5
    for text in texts:
        assert not any(c in text for c in CANARIES), text


def test_write_acks_names_and_control_numbers(tmp_path: Path) -> None:
    report = run(interchange(ack_requested=True) + interchange(control="000000042"), "in.edi")
    written = write_acks(report, tmp_path / "acks")
    assert sorted(p.name for p in written) == [
        "in.edi.000000042.999", "in.edi.000004711.999", "in.edi.000004711.ta1"]
    isa13 = {p.read_text().split("*")[13] for p in written}
    assert len(isa13) == 3  # every ack interchange has its own control number


def test_4010_gets_a_997(corpus_dir: Path) -> None:
    report = validate_file(corpus_dir / "pyx12__834_lui_id_4010.edi", "lui.edi",
                           control=MemoryControlNumbers(), now=NOW)
    ic = report.interchanges[0]
    assert ic.ack_kind == "997" and ic.ack_text is not None
    assert "ST*997*0001~" in ic.ack_text and "AK5*A~" in ic.ack_text and report.accepted


def test_every_corpus_file_validates_without_exception(corpus_dir: Path) -> None:
    for path in sorted(corpus_dir.iterdir()):
        if path.name == "SOURCES.md":
            continue
        report = validate_file(path, path.name, control=MemoryControlNumbers(), now=NOW)
        assert report.interchanges, path.name
        for ic in report.interchanges:
            assert ic.ta1_code in ("A", "E", "R")
            if ic.groups and ic.ta1_code != "R":
                assert ic.ack_text is not None and ic.ack_text.startswith("ISA*"), path.name
        json.dumps(report.to_json())


def test_compiled_validator_is_the_default_and_agrees_with_pyx12() -> None:
    from edi.validate import make_validator

    data = interchange([member(1), member(2, ins05="Q"), member(3)]).encode()
    default = validate_file(data, "t.edi", control=MemoryControlNumbers(), now=NOW)
    ig = [f for f in only_set(default).findings if f.validator not in ("envelope", "model")]
    assert ig and {f.validator for f in ig} <= {"compiled", "situational"}
    reference = validate_file(
        data, "t.edi", validator=make_validator("pyx12"), control=MemoryControlNumbers(), now=NOW
    )
    # Same verdicts and the same 999 from either validator.
    assert only_set(reference).status is only_set(default).status
    assert reference.interchanges[0].ack_text == default.interchanges[0].ack_text
