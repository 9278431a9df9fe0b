"""`enroll834 parse`: members on stdout (JSON lines or a masked table), findings on stderr."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import main

MEMBER = [
    "INS*Y*18*021*28*A***FT",
    "REF*0F*900112222",
    "NM1*IL*1*TESTER*ALICE****34*900112222",
    "DMG*D8*19800101*F",
    "HD*021**HLT**EMP",
    "DTP*348*D8*20240101",
]


def write(tmp_path: Path, members: list[list[str]], *, se_count: int | None = None) -> Path:
    body = ["BGN*00*REF1*20240101*1200****2", "N1*P5*ACME*FI*999999999",
            "N1*IN*PLAN*FI*888888888"]
    for m in members:
        body.extend(m)
    isa = (f"ISA*00*{' ' * 10}*00*{' ' * 10}*ZZ*{'SENDER'.ljust(15)}*ZZ*{'RECEIVER'.ljust(15)}"
           "*240101*1200*^*00501*000000001*0*P*:")
    segs = [isa, "GS*BE*S*R*20240101*1200*1*X*005010X220A1", "ST*834*0001*005010X220A1", *body,
            f"SE*{len(body) + 2 if se_count is None else se_count}*0001", "GE*1*1", "IEA*1*000000001"]
    path = tmp_path / "in.edi"
    path.write_text("".join(s + "~\n" for s in segs))
    return path


def test_json_lines(tmp_path: Path) -> None:
    second = [s.replace("900112222", "900113333") for s in MEMBER]
    second[0] = "INS*N*01*021*28*A"
    path = write(tmp_path, [MEMBER, second])
    result = CliRunner().invoke(main, ["parse", str(path), "--json"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["maintenance_type"] == {"code": "021", "name": "addition"}
    assert first["relationship"] == {"code": "18", "name": "self"}
    assert first["member"]["demographics"]["birth_date"] == "1980-01-01"
    assert first["coverages"][0]["dates"][0] == {
        "qualifier": {"code": "348", "name": "benefit_begin"}, "begin": "2024-01-01", "position": 12}
    assert first["lineage"]["set_control"] == "0001" and first["subscriber"] is True
    assert json.loads(lines[1])["relationship"]["name"] == "spouse"
    assert result.stderr == ""


def test_table_masks_the_subscriber_number(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["parse", str(write(tmp_path, [MEMBER]))])
    assert result.exit_code == 0
    header, row = result.stdout.splitlines()
    assert header.split("\t")[0] == "set"
    cells = row.split("\t")
    assert cells[:5] == ["0001", "1", "021:addition", "18:self", "subscriber"]
    assert cells[5] == "…2222" and "900112222" not in result.stdout
    assert cells[6:] == ["HLT", "ok"]


def test_error_findings_go_to_stderr_and_exit_1(tmp_path: Path) -> None:
    bad = list(MEMBER)
    bad[0] = "INS*Y*99*021*28*A"
    result = CliRunner().invoke(main, ["parse", str(write(tmp_path, [bad], se_count=3))])
    assert result.exit_code == 1
    assert "[envelope.se.segment_count]" in result.stderr
    assert "[model.unknown_code]" in result.stderr
    assert "Traceback" not in result.stderr and "TESTER" not in result.stderr
    assert len(result.stdout.splitlines()) == 2  # header + the (rejected) member
    assert result.stdout.splitlines()[1].endswith("rejected")


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["parse", str(tmp_path / "nope.edi")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_corpus_file(corpus_dir: Path) -> None:
    path = corpus_dir / "pyx12__multiple_st_loops.edi"
    result = CliRunner().invoke(main, ["parse", str(path), "--json"])
    assert result.exit_code == 0
    assert [json.loads(x)["lineage"]["set_control"] for x in result.stdout.splitlines()] == [
        "0001", "0002", "0003", "0004"]


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(main, ["parse", "--help"])
    assert result.exit_code == 0 and "Example:" in result.stdout


def test_closed_stdout_pipe_stops_quietly(tmp_path: Path) -> None:
    """`enroll834 parse --json big.edi | head -n 1` ends without an error message."""
    import shutil
    import subprocess
    import sys

    from edi.generate import write_file

    big = tmp_path / "big.edi"
    write_file(big, 3000, 7, "lines")
    exe = shutil.which("enroll834", path=str(Path(sys.executable).parent))
    assert exe is not None
    proc = subprocess.run(
        f"'{exe}' parse --json '{big}' | head -n 1", shell=True, capture_output=True, text=True,
        timeout=120, executable="/bin/bash",
    )
    assert proc.stdout.count("\n") == 1
    assert "Error" not in proc.stderr and "Traceback" not in proc.stderr
