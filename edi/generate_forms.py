"""Transport forms: how a generated 834's text is laid out as bytes.

`FORMS` names every layout the generator can write. Each form is a segment
layout (terminator and what follows it) plus a byte-level writer that turns
the stream of text chunks into bytes chunks without holding the file:

- oneline / lines / crlf: `~` then nothing, LF or CRLF;
- newline: a line feed IS the segment terminator (no `~` anywhere);
- multi: like `lines`, with several interchanges in one file;
- diskette80: the one-line stream with CRLF inserted after every 80 bytes,
  even inside an element or the ISA, and a final CRLF;
- tape80 / tape128 (+ `-nul`): fixed-block records of 80/128 bytes, no
  separators, the last record padded with spaces (or NULs);
- cp037 / cp500: EBCDIC fixed-block 80-byte records (padded with EBCDIC spaces).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Form:
    """A transport layout: segment terminator, what follows it, and the byte writer."""

    name: str
    terminator: str
    suffix: str = ""
    encoding: str | None = None
    """Fixed code page (EBCDIC); None means the caller's text encoding."""
    wrap: int = 0
    """Diskette: insert CRLF after every `wrap` bytes."""
    record: int = 0
    """Tape: fixed record length; the last record is padded."""
    pad: bytes = b" "
    min_interchanges: int = 1


FORMS: dict[str, Form] = {
    f.name: f
    for f in (
        Form("oneline", "~"),
        Form("lines", "~", "\n"),
        Form("crlf", "~", "\r\n"),
        Form("newline", "\n"),
        Form("multi", "~", "\n", min_interchanges=3),
        Form("diskette80", "~", wrap=80),
        Form("tape80", "~", record=80),
        Form("tape128", "~", record=128),
        Form("tape80-nul", "~", record=80, pad=b"\x00"),
        Form("tape128-nul", "~", record=128, pad=b"\x00"),
        Form("cp037", "~", encoding="cp037", record=80, pad=" ".encode("cp037")),
        Form("cp500", "~", encoding="cp500", record=80, pad=" ".encode("cp500")),
    )
}


def form(name: str) -> Form:
    """The `Form` called `name`; ValueError naming the known forms otherwise."""
    try:
        return FORMS[name]
    except KeyError:
        raise ValueError(f"unknown form {name!r}; known: {', '.join(FORMS)}") from None


def encode_chunks(chunks: Iterable[str], layout: Form, encoding: str = "utf-8") -> Iterator[bytes]:
    """Encode text chunks (segments already terminated per `layout`) into the form's bytes.

    Streaming: at most one chunk plus one record is held. Wrapping and record
    padding count bytes after encoding, as a diskette or tape would.
    """
    codec = layout.encoding or encoding
    if layout.wrap:
        yield from _wrap(chunks, codec, layout.wrap)
    elif layout.record:
        yield from _pad(chunks, codec, layout.record, layout.pad)
    else:
        for chunk in chunks:
            yield chunk.encode(codec)


def _wrap(chunks: Iterable[str], codec: str, width: int) -> Iterator[bytes]:
    rest = b""
    for chunk in chunks:
        data = rest + chunk.encode(codec)
        full = len(data) - len(data) % width
        if full:
            yield b"".join(data[i : i + width] + b"\r\n" for i in range(0, full, width))
        rest = data[full:]
    if rest:
        yield rest + b"\r\n"


def _pad(chunks: Iterable[str], codec: str, record: int, pad: bytes) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        data = chunk.encode(codec)
        total += len(data)
        yield data
    if total % record:
        yield pad * (record - total % record)
