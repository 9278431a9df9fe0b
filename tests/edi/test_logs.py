"""The log allow-list: PHI passed to a log call by mistake never reaches the output."""

from __future__ import annotations

import json

import structlog

from edi import logs

CANARY_NAME = "ZQXCANARYNAME"
CANARY_SSN = "987650123"


def _emit(capsys, **fields) -> dict:
    logs.configure(json=True)
    log = logs.get_logger("test")
    log.info("member_applied", **fields)
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "nothing was logged"
    return json.loads(err[-1])


def test_allowed_keys_pass_through(capsys) -> None:
    line = _emit(capsys, run_id="r1", st02="0001", member_ordinal=3, status="applied")
    assert line["run_id"] == "r1" and line["st02"] == "0001" and line["member_ordinal"] == 3
    assert line["event"] == "member_applied"
    assert "redacted" not in line


def test_unknown_keys_are_dropped_and_counted(capsys) -> None:
    line = _emit(capsys, last_name=CANARY_NAME, ssn=CANARY_SSN, run_id="r2")
    text = json.dumps(line)
    assert CANARY_NAME not in text and CANARY_SSN not in text
    assert line["redacted"] == 2 and line["run_id"] == "r2"


def test_structured_values_under_allowed_keys_are_dropped(capsys) -> None:
    line = _emit(capsys, member_id={"name": CANARY_NAME}, status=[CANARY_SSN])
    text = json.dumps(line)
    assert CANARY_NAME not in text and CANARY_SSN not in text


def test_exception_messages_are_reduced_to_their_type(capsys) -> None:
    logs.configure(json=True)
    log = logs.get_logger("test")
    try:
        raise ValueError(f"bad value {CANARY_SSN} for {CANARY_NAME}")
    except ValueError:
        log.exception("ingest_failed", run_id="r3")
    out = capsys.readouterr().err
    assert CANARY_SSN not in out and CANARY_NAME not in out
    assert json.loads(out.strip().splitlines()[-1])["error_type"] == "ValueError"


def test_bound_context_is_filtered_too(capsys) -> None:
    structlog.contextvars.bind_contextvars(run_id="r4", patient=CANARY_NAME)
    try:
        line = _emit(capsys, st02="0002")
    finally:
        structlog.contextvars.clear_contextvars()
    assert line["run_id"] == "r4" and CANARY_NAME not in json.dumps(line)
