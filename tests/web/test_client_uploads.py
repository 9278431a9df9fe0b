"""A client's file upload over HTTP: the same drop pipeline as a partner's folder, bound to
the client (another group's set rejected), the acknowledgment in words, the report, the
size limit, files 0600 under names without PHI, CSRF, privileges, tenant isolation, audit."""

from __future__ import annotations

import dataclasses
import re
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from clientkit import ACME, BETA, Clients
from desk834 import DAVE, ERIN, GINA, Member, interchange
from test_client_web import _admin
from webkit import Browser, Web

from edi.generate_forms import encode_chunks, form
from ledger.store import engine
from ledger.store import schema as t

CANARY = "alice-TESTPERSON-111223333.edi"
"""The browser's file name: it names a person, so it must never reach the disk."""


@pytest.fixture
def cl(web: Web, tmp_path: Path) -> Clients:
    web.config = dataclasses.replace(web.config, uploads=str(tmp_path / "uploads"))
    web.app.state.config = web.config
    return Clients(web)


def two_sets(control: int, first: tuple[Member, str], second: tuple[Member, str]) -> bytes:
    """One interchange, one group, two sets: `first` = (member, sponsor) in ST 0001,
    `second` in ST 0002."""
    a = interchange([first[0]], control=control, sponsor=first[1]).decode().split("~\n")
    b = interchange([second[0]], control=control, sponsor=second[1],
                    set_control="0002").decode().split("~\n")  # fmt: skip
    segs = [*a[:2], *a[2:-3], *b[2:-3], f"GE*2*{control}", a[-2]]
    return ("~\n".join(segs) + "~\n").encode()


def send(b: Browser, data: bytes, name: str = CANARY) -> object:
    if not b.csrf:
        b.get("/client/upload")
    return b.c.post("/client/upload", data={"csrf_token": b.csrf},
                    files={"file": (name, data, "application/octet-stream")})  # fmt: skip


def result(b: Browser, r: object) -> tuple[str, str]:
    assert r.status_code == 303, r.text[:400]  # type: ignore[attr-defined]
    where = r.headers["location"]  # type: ignore[attr-defined]
    page = b.get(where)
    assert page.status_code == 200
    return where.rsplit("/", 1)[1], page.text


def known(web: Web, ssn: str) -> int:
    """How many members the ledger holds with this SSN."""
    mi = t.member_identifiers
    with engine(web.url).connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(mi)
                                .where(mi.c.type == "ssn", mi.c.value == ssn)).scalar_one())


def test_upload_accepted_through_the_drop_pipeline(web: Web, cl: Clients, tmp_path: Path) -> None:
    admin = _admin(web, cl)
    page = admin.get("/client/upload")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    name, text = result(admin, send(admin, interchange([Member(DAVE, "S200")], control=71,
                                                       sponsor=ACME)))  # fmt: skip
    assert re.fullmatch(r"C991234567-\d{8}T\d{6}-[0-9a-f]{8}\.x12", name)
    assert "Accepted</h2>" in text and "IK5 A" in text and "TA1 A" in text
    assert known(web, DAVE.ssn) == 1
    # The drop folder's files: archived 0600 under the generated name; the report for the client.
    root = tmp_path / "uploads"
    on_disk = [p for p in root.rglob("*") if p.is_file()]
    assert not any(CANARY in str(p) or "TESTPERSON" in str(p) for p in on_disk)
    archived = [p for p in on_disk if "archive" in p.parts and p.name == name]
    assert len(archived) == 1 and stat.S_IMODE(archived[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((root / archived[0].relative_to(root).parts[0]).stat().st_mode) == 0o700
    report = admin.get(f"/client/uploads/{name}/report")
    assert report.status_code == 200 and "Processing report for" in report.text
    assert DAVE.ssn not in report.text and DAVE.last not in report.text
    assert name in admin.get("/client/upload").text
    for action in ("client.upload", "client.upload_result", "client.upload_report"):
        rows = web.audit(action, target=name)
        assert len(rows) == 1 and CANARY not in str(rows[0].details)


def test_a_set_for_another_clients_group_is_rejected(web: Web, cl: Clients) -> None:
    admin = _admin(web, cl)
    data = two_sets(72, (Member(DAVE, "S201"), ACME), (Member(GINA, "S901"), BETA))
    name, text = result(admin, send(admin, data))
    assert "Partially accepted</h2>" in text
    assert re.search(r"AK9 P.*partially accepted", text)
    assert re.search(r"0002</td>\s*<td>IK5 R:.*rejected", text)
    assert known(web, DAVE.ssn) == 1 and known(web, GINA.ssn) == 0
    assert "client.sponsor_not_allowed" in admin.get(f"/client/uploads/{name}/report").text
    # Only another group's set: rejected, quarantined.
    name, text = result(admin, send(admin, interchange([Member(GINA, "S902")], control=73,
                                                       sponsor=BETA)))  # fmt: skip
    assert "Rejected</h2>" in text and "not accepted" in text
    assert known(web, GINA.ssn) == 0


def test_a_diskette_image_is_read_like_the_stream(web: Web, cl: Clients) -> None:
    admin = _admin(web, cl)
    one_line = interchange([Member(GINA, "S300")], control=74, sponsor=ACME).replace(b"~\n", b"~")
    image = b"".join(encode_chunks([one_line.decode()], form("diskette80")))
    assert b"\r\n" in image and len(image.split(b"\r\n")[0]) == 80
    _, text = result(admin, send(admin, image))
    assert "Accepted</h2>" in text and known(web, GINA.ssn) == 1


def test_size_limit_empty_file_csrf_and_privilege(web: Web, cl: Clients, tmp_path: Path) -> None:
    admin = _admin(web, cl)
    r = send(admin, b"")
    assert r.status_code == 422 and "the file is empty" in r.text  # type: ignore[attr-defined]
    web.config = dataclasses.replace(web.config, upload_max_bytes=2_000)
    web.app.state.config = web.config
    r = send(admin, b"ISA" + b"x" * 200_000)
    assert r.status_code == 413  # type: ignore[attr-defined]
    assert any("larger" in str(x.details) for x in web.audit("auth.refused"))
    r = send(admin, b"ISA" + b"x" * 3_000)  # under the envelope's room, over the file limit
    assert r.status_code == 422 and "larger than" in r.text  # type: ignore[attr-defined]
    assert not [p for p in (tmp_path / "uploads").rglob("*.x12")]
    r = admin.c.post("/client/upload", data={"csrf_token": "wrong"},
                     files={"file": ("a.edi", b"ISA", "application/octet-stream")})  # fmt: skip
    assert r.status_code == 403
    # A user without the submit-changes privilege may not upload.
    admin.get("/client/access")
    admin.post("/client/access/users", {"login": "viewer", "p_view_roster": "1"})
    from clientkit import read_letter
    from test_client_web import _first_time

    user, code = read_letter(sorted(cl.mail.folder.glob("*viewer*.pdf"))[0])
    viewer = _first_time(web, user, code)
    assert viewer.get("/client/upload").status_code == 403
    assert send(viewer, b"ISA").status_code == 403  # type: ignore[attr-defined]
    assert "/client/upload" not in viewer.get("/client").text
    # Submitting changes alone is not enough: a file may carry enrollments and COBRA too.
    admin.post("/client/access/users", {"login": "changer", "p_submit_changes": "1"})
    user, code = read_letter(sorted(cl.mail.folder.glob("*changer*.pdf"))[0])
    changer = _first_time(web, user, code)
    r = send(changer, b"ISA")
    assert r.status_code == 403  # type: ignore[attr-defined]
    assert not [p for p in (tmp_path / "uploads").rglob("*.x12")]


def test_uploads_of_another_client_are_not_found(web: Web, cl: Clients) -> None:
    acme = _admin(web, cl)
    name, _ = result(acme, send(acme, interchange([Member(ERIN, "S210")], control=75,
                                                  sponsor=ACME)))  # fmt: skip
    beta = _admin(web, cl, BETA)
    for path in (f"/client/uploads/{name}", f"/client/uploads/{name}/report",
                 "/client/uploads/..%2F..%2Fetc", "/client/uploads/CBETA-20200101T000000-00000000.x12"):
        assert beta.get(path).status_code == 404, path
    assert name not in beta.get("/client/upload").text
    assert len(web.audit("client.not_found")) >= 3
