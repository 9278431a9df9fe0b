"""The labelled evaluation through the command line: FEBRL 1's store file, then its noisy
second copy, ingested with `enroll834 ingest` (SQLite and PostgreSQL) give the figures
`python -m matching.evaluate --data febrl1` gives in process."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from desk834 import Desk, desk_test_env  # noqa: F401 - autouse fixture

from matching.evaluate import evaluate
from matching.febrl import labelled_files


@pytest.fixture
def desk(db_url: str, tmp_path) -> Desk:  # type: ignore[no-untyped-def]
    d = Desk(db_url, tmp_path)
    d.add_user("ops", "operator")
    return d


def test_febrl1_through_ingest_matches_the_evaluation(desk: Desk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    today = dt.date.today()
    begin = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)  # inside the window
    files = labelled_files("febrl1", seed=1, begin=begin)
    (tmp_path / "store.834").write_bytes(files.store)
    (tmp_path / "incoming.834").write_bytes(files.incoming)
    expected = evaluate(1, data="febrl1")
    outcomes = expected["outcomes"]

    res = desk.run("ops", "ingest", str(tmp_path / "store.834"), "--json")
    assert res.exit_code == 1, res.output  # members without a surname are rejected
    store = json.loads(res.stdout)["members"]
    assert store["new"] == expected["roster_people"] and store["review"] == 0

    res = desk.run("ops", "ingest", str(tmp_path / "incoming.834"), "--json")
    assert res.exit_code == 1, res.output
    incoming = json.loads(res.stdout)["members"]
    assert incoming == {
        "applied": outcomes["febrl:apply"],
        "new": outcomes["febrl:new_member"],
        "review": outcomes["febrl:review"],
        "referred": 0,
        "rejected": expected["rejected_by_validation"],
    }
