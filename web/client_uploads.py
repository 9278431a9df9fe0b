"""The client's file uploads: the form, the upload (through `ledger.clients.receive`, the
same drop pipeline as a trading partner's folder), an upload's acknowledgment in words and
its sender report. Action `client.changes` (the submit-changes privilege) on every route.

A body larger than the limit (`[web] upload_max_mb`) is refused from its Content-Length
before anything is read (413, audited); a multipart body without one is refused (411).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ledger.clients import receive, upload, upload_report, uploads
from ledger.desk import NotPermitted, Session
from ledger.settings import Settings
from ledger.store import LedgerError
from web.client_pages import client, page
from web.security import allow, config, refusal

router = APIRouter()
ENVELOPE = 64_000
"""Room for the multipart headers and the CSRF field beside the file itself."""


def _root(request: Request) -> Path:
    return Path(config(request).uploads)


def _settings(request: Request) -> Settings:
    cfg = config(request)
    return cfg.settings if cfg.settings is not None else Settings(database_url=cfg.url)


async def size_guard(request: Request) -> None:
    """Refuse a body over the limit (or of unknown length) before it is read."""
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise await refusal(request, None, "client.changes", "an upload needs its length", 411)
    if int(length) > config(request).upload_max_bytes + ENVELOPE:
        raise await refusal(request, None, "client.changes", "the file is larger than the limit",
                            413)  # fmt: skip


def _limit_mb(request: Request) -> int:
    return config(request).upload_max_bytes // 1_000_000


@router.get("/client/upload", response_class=HTMLResponse)
async def upload_form(request: Request,
                      session: Session = Depends(allow("client.changes"))) -> Response:  # fmt: skip
    """The upload form and the account's recent uploads."""
    await client(request, session)
    rows = await run_in_threadpool(uploads, config(request).url, session.actor, _root(request))
    return page(request, "client/upload.html", {"title": "Upload a file", "rows": rows,
                                                "error": "", "limit_mb": _limit_mb(request)})


@router.post("/client/upload", dependencies=[Depends(size_guard)])
async def upload_post(request: Request,
                      session: Session = Depends(allow("client.changes"))) -> Response:  # fmt: skip
    """Receive the file, run it through the client's inbox, show its acknowledgment."""
    await client(request, session)
    form = await request.form()
    sent = form.get("file")
    data = b""
    if isinstance(sent, UploadFile):
        data = await sent.read(config(request).upload_max_bytes + 1)
        await sent.close()
    try:
        up = await run_in_threadpool(lambda: receive(
            _settings(request), session.actor, data, _root(request),
            max_bytes=config(request).upload_max_bytes))  # fmt: skip
    except NotPermitted:  # a file may carry any change: every submitting privilege is needed
        raise await refusal(request, session.actor.user_id, "client.changes",
                            "upload needs every submitting privilege") from None
    except LedgerError as exc:
        rows = await run_in_threadpool(uploads, config(request).url, session.actor,
                                       _root(request))  # fmt: skip
        return page(request, "client/upload.html", {"title": "Upload a file", "rows": rows,
                                                    "error": str(exc),
                                                    "limit_mb": _limit_mb(request)}, status=422)
    return RedirectResponse(f"/client/uploads/{up.name}", status_code=303)


@router.get("/client/uploads/{name}", response_class=HTMLResponse)
async def upload_page(request: Request, name: str,
                      session: Session = Depends(allow("client.changes"))) -> Response:  # fmt: skip
    """One upload: its acknowledgment in words, per interchange, group and set."""
    await client(request, session)
    up = await run_in_threadpool(upload, config(request).url, session.actor, _root(request), name)
    return page(request, "client/upload_result.html", {"title": "Uploaded file", "up": up})


@router.get("/client/uploads/{name}/report")
async def upload_report_text(request: Request, name: str,
                             session: Session = Depends(allow("client.changes"))) -> Response:  # fmt: skip
    """The upload's sender report (plain text, audited)."""
    await client(request, session)
    text = await run_in_threadpool(upload_report, config(request).url, session.actor,
                                   _root(request), name)  # fmt: skip
    return PlainTextResponse(text)
