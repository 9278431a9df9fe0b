"""`review resolve --reject` on the command line reaches the sender like the web face's
rejection: a notice in `drops.outbox_dir` with the controls, the ordinal and the reason."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from desk834 import (
    Desk,
    Member,
    Person,
    desk_test_env,  # noqa: F401 - autouse fixture
)


def test_cli_rejection_writes_the_sender_notice(db_url: str, tmp_path: Path) -> None:
    desk = Desk(db_url, tmp_path)
    desk.add_user("rita", "reviewer")
    desk.add_user("ops", "operator")
    desk.ingest([Member(Person("MOCKWELL", "IVY", dt.date(1990, 1, 1), "F", "777889999"),
                        "S700", ins05="C", ins04="09")])  # fmt: skip
    res = desk.run("rita", "review", "list", "--json")
    item = json.loads(res.stdout.splitlines()[0])["id"]
    outbox = tmp_path / "outbox"
    res = desk.run("rita", "review", "resolve", str(item), "--reject", "--reason",
                   "COBRA administered elsewhere", "--json",
                   env={"ENROLL834_DROPS__OUTBOX_DIR": str(outbox)})  # fmt: skip
    assert res.exit_code == 0, res.output
    assert any("sender notice" in n for n in json.loads(res.stdout)["notes"])
    (notice,) = outbox.glob("*.review-rejected.json")
    body = json.loads(notice.read_text())
    assert body["explanation"] == "COBRA administered elsewhere"
    assert body["reason"] == "rejected_by_reviewer" and body["subscriber_number_last4"] == "S700"
    assert "MOCKWELL" not in notice.read_text() and "1990" not in notice.read_text()
