"""Printable bills and reminder notices: the one module that imports fpdf2.

`bill_pdf(header, lines, issuer)` -> PDF bytes (US Letter): the payer's and the group's
addresses, period, bill and due dates, a summary (premium, adjustments, total due),
totals per plan and level, the member detail (member id, name, month, line, plan,
level, quantity, rate, amount; at most `issuer.pdf_detail_limit` lines, the rest named
as being in the CSV) and a remittance stub to detach and return with the payment.
`notice_pdf(...)` -> a one-page payment reminder with the same stub. The core fonts
cover Latin-1: other characters are reduced to their base letter (or '?').
No fpdf type leaves this module.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from typing import Any

from fpdf import FPDF

from ledger.billing.documents import Header, Issuer
from ledger.billing.money import dollars

GREY = (235, 235, 235)
COLS = (("Member ID", 24), ("Name", 40), ("Month", 15), ("Line", 11), ("Plan", 20),
        ("Level", 12), ("Kind", 18), ("Qty", 9), ("Rate", 19), ("Amount", 20))  # fmt: skip


def latin1(text: str) -> str:
    """`text` in Latin-1: accents kept where Latin-1 has them, else the base letter or '?'."""
    out = []
    for ch in str(text):
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
    return "".join(out)


class _Doc(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="Letter")
        self.title_text = title
        self.set_auto_page_break(auto=True, margin=16)
        self.set_margins(14, 14, 14)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", "", 7)
        self.set_text_color(110)
        self.cell(0, 5, latin1(f"{self.title_text}  -  page {self.page_no()} of {{nb}}"),
                  align="C")  # fmt: skip
        self.set_text_color(0)

    def text_line(self, text: str, size: float = 9, style: str = "", h: float = 4.6,
                  align: str = "L") -> None:  # fmt: skip
        self.set_font("Helvetica", style, size)
        self.cell(0, h, latin1(text), align=align, new_x="LMARGIN", new_y="NEXT")


def _address_block(doc: _Doc, x: float, y: float, w: float, title: str,
                   lines: Sequence[str]) -> float:  # fmt: skip
    doc.set_xy(x, y)
    doc.set_font("Helvetica", "B", 8)
    doc.set_text_color(90)
    doc.cell(w, 4.5, latin1(title.upper()), new_x="LEFT", new_y="NEXT")
    doc.set_text_color(0)
    for i, ln in enumerate(lines):
        doc.set_font("Helvetica", "B" if i == 0 else "", 10 if i == 0 else 9)
        doc.cell(w, 4.8, latin1(ln), new_x="LEFT", new_y="NEXT")
    return float(doc.get_y())


def _kv_box(doc: _Doc, x: float, y: float, w: float, rows: Sequence[tuple[str, str]],
            strong: int = -1) -> float:  # fmt: skip
    doc.set_xy(x, y)
    for i, (k, v) in enumerate(rows):
        bold = "B" if i == strong else ""
        doc.set_fill_color(*GREY)
        doc.set_font("Helvetica", bold, 9)
        doc.set_x(x)
        doc.cell(w * 0.55, 6, latin1(k), border=1, fill=True)
        doc.set_font("Helvetica", bold, 10 if bold else 9)
        doc.cell(w * 0.45, 6, latin1(v), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    return float(doc.get_y())


def _stub(doc: _Doc, issuer: Issuer, head: Header, amount_cents: int, note: str) -> None:
    """The remittance stub: at the foot of the current page, or on a new one."""
    height = 58
    if doc.get_y() > doc.h - 16 - height:
        doc.add_page()
    y = doc.h - 16 - height
    doc.set_draw_color(120)
    doc.set_dash_pattern(dash=1.5, gap=1.2)
    doc.line(doc.l_margin, y, doc.w - doc.r_margin, y)
    doc.set_dash_pattern()
    doc.set_draw_color(0)
    doc.set_xy(doc.l_margin, y + 1.5)
    doc.set_font("Helvetica", "I", 7.5)
    doc.cell(0, 4, latin1(f"{note}  -  please detach and return this part with your payment"),
             align="C", new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    doc.set_font("Helvetica", "B", 11)
    doc.cell(0, 7, "REMITTANCE", new_x="LMARGIN", new_y="NEXT")
    top = doc.get_y()
    _kv_box(doc, doc.l_margin, top, 92, [
        ("Group", head.sponsor_id), ("Bill number", head.bill_number),
        ("Coverage month", head.period), ("Due date", head.due_date.isoformat()),
        ("Amount due", f"$ {dollars(amount_cents)}"), ("Amount enclosed", "$"),
    ], strong=4)  # fmt: skip
    _address_block(doc, doc.l_margin + 104, top, 80, "Make payable and mail to",
                   issuer.remit_to or (issuer.name, *issuer.address))  # fmt: skip
    doc.set_xy(doc.l_margin + 104, top + 30)
    doc.set_font("Helvetica", "", 7.5)
    doc.multi_cell(80, 3.6, latin1("Write the bill number on your check, or quote it as the "
                                   "RMR reference of an 820 remittance."))  # fmt: skip


def _table_head(doc: _Doc) -> None:
    doc.set_font("Helvetica", "B", 7.5)
    doc.set_fill_color(*GREY)
    for name, w in COLS:
        doc.cell(w, 5.5, name, border="B", fill=True,
                 align="R" if name in ("Qty", "Rate", "Amount") else "L")  # fmt: skip
    doc.ln()


def bill_pdf(head: Header, lines: Sequence[dict[str, Any]], issuer: Issuer) -> bytes:
    """The paper bill (see module docstring)."""
    doc = _Doc(f"Bill {head.bill_number}")
    doc.add_page()
    doc.set_font("Helvetica", "B", 16)
    doc.cell(0, 8, latin1(issuer.name), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 8.5)
    for ln in issuer.address:
        doc.cell(0, 4.2, latin1(ln), new_x="LMARGIN", new_y="NEXT")
    doc.set_xy(120, 14)
    doc.set_font("Helvetica", "B", 15)
    doc.cell(0, 8, "PREMIUM BILL", align="R", new_x="LMARGIN", new_y="NEXT")
    _kv_box(doc, 120, 23, 82, [
        ("Bill number", head.bill_number), ("Coverage month", head.period),
        ("Bill date", head.bill_date.isoformat()), ("Due date", head.due_date.isoformat()),
        ("Amount due", f"$ {dollars(head.total_cents)}"),
    ], strong=4)  # fmt: skip
    bottom = _address_block(doc, 14, 52, 100, "Bill to",
                            (head.group_name or f"Group {head.sponsor_id}",
                             f"Group {head.sponsor_id}", *head.group_address))  # fmt: skip
    doc.set_y(max(bottom, 56) + 6)
    doc.text_line("Summary", 11, "B", 7)
    y = _kv_box(doc, 14, doc.get_y(), 110, [
        (f"Premium for {head.period} ({head.members} members)", dollars(head.premium_cents)),
        ("Adjustments for earlier months", dollars(head.adjustments_cents)),
        ("Total due", dollars(head.total_cents)),
    ], strong=2)  # fmt: skip
    doc.set_xy(130, y - 18)
    doc.set_font("Helvetica", "", 7.5)
    doc.multi_cell(72, 3.6, latin1(
        f"Coverage as recorded at {head.cutoff.strftime('%Y-%m-%d %H:%M')} UTC. Changes "
        f"recorded later appear as adjustments on a later bill. Proration: "
        f"{head.proration.replace('_', ' ')}."))  # fmt: skip
    doc.set_y(y + 5)
    doc.text_line("Totals by plan and coverage level", 11, "B", 7)
    doc.set_font("Helvetica", "B", 8)
    doc.set_fill_color(*GREY)
    widths = (50, 22, 24, 30, 30, 30)
    for name, w in zip(("Plan", "Level", "Members", "Premium", "Adjustments", "Total"), widths,
                       strict=True):  # fmt: skip
        doc.cell(w, 5.5, name, border="B", fill=True, align="L" if w in (50, 22) else "R")
    doc.ln()
    doc.set_font("Helvetica", "", 8)
    for x in head.totals:
        vals = (x["plan"], x["level"], str(x["members"]), dollars(x["premium"]),
                dollars(x["adjustments"]), dollars(x["premium"] + x["adjustments"]))
        for v, w in zip(vals, widths, strict=True):
            doc.cell(w, 5, latin1(v), align="L" if w in (50, 22) else "R")
        doc.ln()
    doc.ln(3)
    doc.text_line("Member detail", 11, "B", 7)
    _table_head(doc)
    doc.set_font("Helvetica", "", 7.5)
    for x in lines:
        if doc.get_y() > doc.h - 24:
            doc.add_page()
            _table_head(doc)
            doc.set_font("Helvetica", "", 7.5)
        kind = "charge" if x["kind"] == "charge" else f"adj. {x['reason'].replace('retro_', '')}"
        qty = f"{x['quantity']}{'d' if x['unit'] == 'days' else 'm'}"
        cells = (x["member_id"], x["name"][:26], x["period"], x["line"], x["plan"][:13],
                x["level"], kind, qty, dollars(x["rate_cents"]), dollars(x["amount_cents"]))
        for (name, w), v in zip(COLS, cells, strict=True):
            doc.cell(w, 4.6, latin1(v), align="R" if name in ("Qty", "Rate", "Amount") else "L")
        doc.ln()
    if head.lines > len(lines):
        doc.ln(1)
        doc.text_line(f"... and {head.lines - len(lines)} more lines: see the CSV detail "
                      f"{head.bill_number}.csv", 8, "I")  # fmt: skip
    _stub(doc, issuer, head, head.total_cents, f"Bill {head.bill_number}")
    return bytes(doc.output())


def notice_pdf(head: Header, issuer: Issuer, step: int, on: dt.date, balance_cents: int,
               text: str) -> bytes:  # fmt: skip
    """A payment reminder for one bill (see `reminders`)."""
    doc = _Doc(f"Reminder {head.bill_number}")
    doc.add_page()
    doc.set_font("Helvetica", "B", 16)
    doc.cell(0, 8, latin1(issuer.name), new_x="LMARGIN", new_y="NEXT")
    doc.set_font("Helvetica", "", 8.5)
    for ln in issuer.address:
        doc.cell(0, 4.2, latin1(ln), new_x="LMARGIN", new_y="NEXT")
    doc.ln(6)
    _address_block(doc, 14, doc.get_y(), 100, "To",
                   (head.group_name or f"Group {head.sponsor_id}", f"Group {head.sponsor_id}",
                    *head.group_address))  # fmt: skip
    doc.ln(8)
    title = "PAYMENT REMINDER" if step <= 0 else "PAYMENT OVERDUE"
    doc.text_line(title, 15, "B", 9)
    doc.text_line(f"Date: {on.isoformat()}", 9)
    doc.ln(2)
    doc.set_font("Helvetica", "", 10)
    doc.multi_cell(0, 5.5, latin1(text))
    doc.ln(4)
    _kv_box(doc, 14, doc.get_y(), 110, [
        ("Bill number", head.bill_number), ("Coverage month", head.period),
        ("Due date", head.due_date.isoformat()), ("Open balance", f"$ {dollars(balance_cents)}"),
    ], strong=3)  # fmt: skip
    _stub(doc, issuer, head, balance_cents, f"Reminder for bill {head.bill_number}")
    return bytes(doc.output())
