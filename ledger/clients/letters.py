"""The mailed letter: a printable PDF with a client user's ID and one-time access code.

`write_letter(letter, mail_room)` lays the letter out for a window envelope (address
block top left), writes it into `mail_room` (created 0700; the letter 0600, written to a
temporary name and renamed, so the mail room never holds half a letter) and returns its
path. The file name holds the client id, the user ID and the time, never the code.

fpdf2 is the one PDF library (pure Python); its types stay in this module.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF

PAYER = "Synthetic Health Plan"
"""Who the letter is from (the payer running enroll834)."""


@dataclass(frozen=True, slots=True)
class Letter:
    """What one letter says. `code` is the access code in clear: it exists only here and on paper."""

    client_id: str
    client_name: str
    address: list[str]
    user_id: str
    code: str
    issued_at: dt.datetime
    administrator: bool
    site: str = ""


def _latin(text: str) -> str:
    """The core PDF fonts are Latin-1: anything else becomes '?'."""
    return text.encode("latin-1", "replace").decode("latin-1")


def render_pdf(letter: Letter) -> bytes:
    """The letter as PDF bytes (one US-letter page)."""
    pdf = FPDF(format="letter", unit="mm")
    pdf.set_title("Online account services: your user ID and access code")
    pdf.set_author(PAYER)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_margins(25, 20, 25)
    pdf.set_xy(25, 20)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 7, _latin(PAYER), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, "Online account services for employer groups", new_x="LMARGIN", new_y="NEXT")
    # Window-envelope address block.
    pdf.set_xy(25, 50)
    pdf.set_font("Helvetica", "", 11)
    for line in letter.address:
        pdf.cell(0, 5.5, _latin(line.upper()), new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(25, 85)
    pdf.cell(0, 6, letter.issued_at.strftime("%B %d, %Y").replace(" 0", " "),
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, "Your user ID and access code", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    role = ("the administrator of your account: you can create user IDs for your colleagues "
            "under Account Access" if letter.administrator else
            "a user of your organization's account, with the privileges your administrator "
            "gave you")  # fmt: skip
    pdf.multi_cell(0, 5.5, _latin(
        f"Dear {letter.client_name},\n\nThis letter gives you access to our online account "
        f"services (account {letter.client_id}). The user ID below is {role}. We mail user IDs "
        "and access codes only to your address of record; we never send them by e-mail "
        "or tell them on the telephone."))  # fmt: skip
    pdf.ln(4)
    y = pdf.get_y()
    pdf.set_draw_color(40, 40, 40)
    pdf.rect(25, y, 166, 24)
    pdf.set_xy(30, y + 3)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(40, 8, "User ID")
    pdf.set_font("Courier", "B", 14)
    pdf.cell(0, 8, _latin(letter.user_id), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(30)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(40, 8, "Access code")
    pdf.set_font("Courier", "B", 14)
    pdf.cell(0, 8, _latin(letter.code), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(y + 30)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 6, "Signing in the first time", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    where = f"the sign-in page, {letter.site}" if letter.site else "the sign-in page of online account services"
    steps = [
        f"1. Go to {where}.",
        "2. Enter the user ID and the access code exactly as printed above.",
        "3. Choose your password: at least 12 characters, not a commonly used password. "
        "From then on you sign in with your password; the access code stops working.",
        "4. Keep this letter in a safe place or shred it once you have chosen your password.",
    ]
    for step in steps:
        pdf.multi_cell(0, 5.5, _latin(step), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.multi_cell(0, 5.5, _latin(
        "A forgotten password is replaced only by a new letter: ask your administrator (for "
        "your colleagues' user IDs) or your group representative (for the administrator). A new "
        "letter makes this access code invalid."))  # fmt: skip
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4, _latin(f"Issued {letter.issued_at.strftime('%Y-%m-%d %H:%M')} UTC for "
                                f"{letter.user_id}."))  # fmt: skip
    return bytes(pdf.output())


def write_letter(letter: Letter, mail_room: Path) -> Path:
    """Write the letter into `mail_room` (0700) as a 0600 PDF; returns its path."""
    mail_room.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(mail_room, 0o700)
    stamp = letter.issued_at.strftime("%Y%m%dT%H%M%S%f")
    final = mail_room / f"{letter.client_id}-{letter.user_id}-{stamp}.pdf"
    temp = mail_room / f".{final.name}.part"
    data = render_pdf(letter)
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return final
