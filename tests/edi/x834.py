"""Inline synthetic 834 snippets for the reader tests (invented people only).

Segments are written without terminators; `interchange()` joins them with
'~' + newline and builds a fixed-width ISA.
"""

from __future__ import annotations

HEADER = [
    "BGN*00*REF1*20240101*1200****2",
    "N1*P5*ACME TOOLS*FI*999999999",
    "N1*IN*SYNTH PLAN*FI*888888888",
]


def member(number: str = "900112222", *, ins: str = "INS*Y*18*021*28*A***FT",
           extra: tuple[str, ...] = ()) -> list[str]:
    """One plain subscriber addition (invented person), plus `extra` segments at its end."""
    return [
        ins,
        f"REF*0F*{number}",
        f"NM1*IL*1*TESTER*ALICE****34*{number}",
        "DMG*D8*19800101*F",
        "HD*021**HLT**EMP",
        "DTP*348*D8*20240101",
        *extra,
    ]


def transaction_set(body: list[str], control: str = "0001", *, st01: str = "834",
                    st03: str | None = "005010X220A1", se_count: int | None = None,
                    se_control: str | None = None, se: bool = True) -> list[str]:
    st = f"ST*{st01}*{control}" + (f"*{st03}" if st03 is not None else "")
    out = [st, *body]
    if se:
        out.append(f"SE*{len(body) + 2 if se_count is None else se_count}*{se_control or control}")
    return out


def group(sets: list[list[str]], control: str = "1", *, version: str = "005010X220A1",
          fid: str = "BE", ge: bool = True, ge_count: int | None = None,
          ge_control: str | None = None) -> list[str]:
    out = [f"GS*{fid}*SENDER*RECEIVER*20240101*1200*{control}*X*{version}"]
    for s in sets:
        out.extend(s)
    if ge:
        out.append(f"GE*{len(sets) if ge_count is None else ge_count}*{ge_control or control}")
    return out


def isa(control: str = "000000001", *, version: str = "00501", sender_q: str = "ZZ",
        receiver_q: str = "ZZ", date: str = "240101", time: str = "1200", ack: str = "0",
        usage: str = "P", rep: str = "^") -> str:
    return (f"ISA*00*{' ' * 10}*00*{' ' * 10}*{sender_q}*{'SENDER'.ljust(15)}*{receiver_q}*"
            f"{'RECEIVER'.ljust(15)}*{date}*{time}*{rep}*{version}*{control}*{ack}*{usage}*:")


def interchange(groups: list[list[str]], control: str = "000000001", *, iea: bool = True,
                iea_count: int | None = None, iea_control: str | None = None,
                **isa_kw: str) -> list[str]:
    out = [isa(control, **isa_kw)]
    for g in groups:
        out.extend(g)
    if iea:
        out.append(f"IEA*{len(groups) if iea_count is None else iea_count}*{iea_control or control}")
    return out


def encode(*segment_lists: list[str]) -> bytes:
    return "".join(s + "~\n" for seg in segment_lists for s in seg).encode()


def simple(*members: list[str], header: list[str] | None = None, **set_kw: object) -> bytes:
    """One interchange, one group, one set holding `members` (default: one member)."""
    body = list(HEADER if header is None else header)
    for m in members or (member(),):
        body.extend(m)
    return encode(interchange([group([transaction_set(body, **set_kw)])]))  # type: ignore[arg-type]
