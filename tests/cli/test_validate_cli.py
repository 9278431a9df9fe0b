"""`enroll834 validate`: exit codes, --json shape, --ack-dir, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import main
from tests.edi.synthetic834 import CANARIES, interchange, member


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["validate", *args])


def test_accepted_exit_0_summary_on_stdout(tmp_path: Path) -> None:
    path = write(tmp_path, "good.edi", interchange([member(1), member(2)]))
    result = invoke(str(path))
    assert result.exit_code == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[-1][3:] == ["0001", "ik5 A", "2", "0"]
    assert result.stderr == ""


def test_partially_accepted_exit_1_findings_on_stderr(tmp_path: Path) -> None:
    path = write(tmp_path, "partial.edi", interchange([member(1), member(2, ins05="Q")]))
    result = invoke(str(path), "--ack-dir", str(tmp_path / "acks"))
    assert result.exit_code == 1
    assert "[ig.element.code]" in result.stderr and "Traceback" not in result.stderr
    # one vocabulary: the summary says what the 999 says (IK5 E, AK9 E), not 'partially_accepted'
    (ack,) = (tmp_path / "acks").glob("*.999")
    text = ack.read_text()
    assert "IK5*E*5~" in text and "AK9*E*1*1*1~" in text
    header, *rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert header[4] == "VERDICT"
    assert [r[4] for r in rows] == ["ta1 A 000", "ak9 E", "ik5 E"]


def test_json_one_object_per_file(tmp_path: Path) -> None:
    good = write(tmp_path, "good.edi", interchange())
    bad = write(tmp_path, "bad.edi", interchange(se_delta=2))
    result = invoke("--json", str(good), str(bad))
    assert result.exit_code == 1
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["file"] for o in objects] == [str(good), str(bad)]
    statuses = [s["status"] for o in objects for ic in o["interchanges"]
                for g in ic["groups"] for s in g["transaction_sets"]]
    assert statuses == ["accepted", "rejected"]
    assert objects[1]["interchanges"][0]["groups"][0]["transaction_sets"][0]["findings"]


def test_ack_dir_writes_acks_with_persistent_control_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "in.edi", interchange(ack_requested=True))
    acks = tmp_path / "acks"
    assert invoke("--ack-dir", str(acks), str(path)).exit_code == 0
    first = sorted(p.name for p in acks.iterdir() if not p.name.startswith("."))
    assert first == ["in.edi.000004711.999", "in.edi.000004711.ta1"]
    numbers = {p.read_text().split("*")[13] for p in acks.glob("in.edi.*")}
    assert invoke("--ack-dir", str(acks), str(path)).exit_code == 0
    again = {p.read_text().split("*")[13] for p in acks.glob("in.edi.*")}
    assert numbers.isdisjoint(again)  # the counter file carries on across runs


def test_garbage_input_exit_1_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "junk.bin", bytes(range(256)) * 4)
    result = invoke(str(path))
    assert result.exit_code == 1
    assert "no interchange" in result.stdout and "Traceback" not in result.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert invoke(str(tmp_path / "missing.edi")).exit_code == 2
    assert invoke().exit_code == 2
    path = write(tmp_path, "good.edi", interchange())
    assert invoke("--validator", "nope", str(path)).exit_code == 2


def test_no_values_on_stdout_or_stderr(tmp_path: Path) -> None:
    bad = interchange([member(1, birth="19800231"), member(2, ins05="CANARYVILLE")])
    path = write(tmp_path, "canary.edi", bad)
    for args in ([str(path)], ["--json", str(path)]):
        result = invoke(*args)
        assert result.exit_code == 1
        assert not any(c in result.stdout + result.stderr for c in CANARIES)


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["validate", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output
