"""Small synthetic 834 interchanges for the ack/validate tests (invented people only).

The member data uses canary strings (`CANARIES`) so tests can prove that no
finding message or acknowledgment ever copies an element value.
"""

from __future__ import annotations

from collections.abc import Sequence

CANARIES = (
    "ZYXQUARTZ", "QUENTINAVOX", "987650001", "CANARY0F1", "CANARYSTREET",
    "CANARYVILLE", "19800231", "PLANCANARY", "GRPCANARY",
)

ISA = ("ISA*00*          *00*          *ZZ*ACMEHR         *ZZ*BLUEPAYER      "
       "*240315*0930*^*00501*{control}*{ack}*T*:~")


def member(n: int, *, ins05: str = "A", birth: str = "19800101", last: str = "ZYXQUARTZ") -> list[str]:
    """One subscriber 2000 loop (member number `n`); override fields to make it bad."""
    return [
        f"INS*Y*18*021*28*{ins05}***FT~",
        f"REF*0F*CANARY0F{n}~",
        "REF*1L*GRPCANARY~",
        "DTP*356*D8*20240401~",
        f"NM1*IL*1*{last}*QUENTINAVOX****34*98765000{n}~",
        "N3*1 CANARYSTREET~",
        "N4*CANARYVILLE*IL*62701~",
        f"DMG*D8*{birth}*F~",
        "HD*021**HLT*PLANCANARY*EMP~",
        "DTP*348*D8*20240401~",
    ]


def interchange(
    members: Sequence[list[str]] = (),
    *,
    control: str = "000004711",
    ack_requested: bool = False,
    se_delta: int = 0,
    iea_control: str | None = None,
    qty: int | None = None,
) -> str:
    """ISA..IEA with one group and one 834 set holding `members` (default: one good member)."""
    loops = list(members) or [member(1)]
    body = ["BGN*00*REF4711*20240315*0930****2~"]
    if qty is not None:
        body.append(f"QTY*TO*{qty}~")
    body += ["N1*P5*ACME WIDGETS*FI*999999999~", "N1*IN*BLUE PAYER*FI*888888888~"]
    for loop in loops:
        body += loop
    count = len(body) + 2 + se_delta
    lines = [
        ISA.format(control=control, ack="1" if ack_requested else "0"),
        "GS*BE*ACMEHR*BLUEPAYER*20240315*0930*4711*X*005010X220A1~",
        "ST*834*0001*005010X220A1~",
        *body,
        f"SE*{count}*0001~",
        "GE*1*4711~",
        f"IEA*1*{iea_control or control}~",
    ]
    return "\n".join(lines) + "\n"
