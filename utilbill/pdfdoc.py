"""Printed paperwork: bills, notices, letters, work orders, door hangers (fpdf2).

One look for everything the office mails or hands out: the utility's letterhead, a body
in plain words, tables of figures with amounts right-aligned. Documents are written
atomically. Text from data is printed as text (PDF has no formulas to inject).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Sequence

from fpdf import FPDF

from .atomic import atomic_write_path
from .config import UtilityInfo
from .money import fmt_money

NAVY = (20, 45, 90)
GREY = (110, 110, 110)


def latin1(text) -> str:
    """fpdf2's core fonts are Latin-1: replace what they cannot print."""
    s = "" if text is None else str(text)
    s = (s.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'").replace("\u2018", "'")
          .replace("\u201c", '"').replace("\u201d", '"').replace("\u00a7", "Sec. ").replace("\u2026", "..."))
    return s.encode("latin-1", "replace").decode("latin-1")


class Document(FPDF):
    """A letter-size document with the utility's letterhead on every page."""

    def __init__(self, info: UtilityInfo, title: str = ""):
        super().__init__(orientation="P", unit="mm", format="Letter")
        self.info = info
        self.doc_title = title
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 16, 18)
        self.set_title(latin1(title or info.name))
        self.set_author(latin1(info.name))

    def header(self):
        self.set_font("Helvetica", "B", 14)
        self.set_text_color(*NAVY)
        self.cell(0, 7, latin1(self.info.name), new_x="LMARGIN", new_y="NEXT")
        self.set_font("Helvetica", "", 8.5)
        self.set_text_color(*GREY)
        line = " | ".join(x for x in (self.info.department, self.info.address, self.info.phone) if x)
        self.cell(0, 4.5, latin1(line), new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*NAVY)
        self.set_line_width(0.6)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(4)
        if self.doc_title:
            self.set_font("Helvetica", "B", 12)
            self.set_text_color(0, 0, 0)
            self.cell(0, 7, latin1(self.doc_title), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0, 0, 0)

    def footer(self):
        self.set_y(-12)
        self.set_font("Helvetica", "I", 7.5)
        self.set_text_color(*GREY)
        self.cell(0, 5, latin1(f"{self.info.name} - {self.info.office_hours}"), align="L")
        self.cell(0, 5, f"Page {self.page_no()}", align="R")
        self.set_text_color(0, 0, 0)

    # -- building blocks ---------------------------------------------------------------
    def para(self, text: str, size: float = 10, bold: bool = False, gap: float = 2) -> None:
        self.set_font("Helvetica", "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, latin1(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)

    def address_block(self, lines: Sequence[str]) -> None:
        self.set_font("Helvetica", "", 10)
        for l in lines:
            if l:
                self.cell(0, 5, latin1(l), new_x="LMARGIN", new_y="NEXT")
        self.ln(3)

    def key_values(self, pairs: Sequence[tuple[str, object]], label_w: float = 55) -> None:
        for k, v in pairs:
            self.set_font("Helvetica", "B", 9.5)
            self.cell(label_w, 5.5, latin1(k))
            self.set_font("Helvetica", "", 9.5)
            self.cell(0, 5.5, latin1(_fmt(v)), new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]],
              widths: Sequence[float] | None = None, total_row: Sequence[object] | None = None,
              size: float = 8.5) -> None:
        avail = self.w - self.l_margin - self.r_margin
        widths = list(widths or [avail / len(headers)] * len(headers))
        self.set_font("Helvetica", "B", size)
        self.set_fill_color(225, 231, 242)
        for h, w in zip(headers, widths):
            self.cell(w, 6, latin1(h), border=1, fill=True, align="C")
        self.ln()
        self.set_font("Helvetica", "", size)
        for row in rows:
            if self.get_y() > self.h - 25:
                self.add_page()
            for v, w in zip(row, widths):
                self.cell(w, 5.5, latin1(_fmt(v)), border=1, align="R" if _numeric(v) else "L")
            self.ln()
        if total_row is not None:
            self.set_font("Helvetica", "B", size)
            for v, w in zip(total_row, widths):
                self.cell(w, 6, latin1(_fmt(v)), border=1, align="R" if _numeric(v) else "L")
            self.ln()
        self.ln(2)

    def wrapped_table(self, headers: Sequence[str], rows: Sequence[Sequence[object]],
                      widths: Sequence[float], size: float = 8) -> None:
        """A table whose long cells wrap onto more lines (explanations, bases of charges)."""
        from fpdf.fonts import FontFace

        self.set_font("Helvetica", "", size)
        aligns = ["R" if any(_numeric(r[i]) for r in rows) else "L" for i in range(len(headers))]
        with super().table(col_widths=tuple(widths), text_align=tuple(aligns), line_height=size * 0.5,
                           headings_style=FontFace(emphasis="BOLD", fill_color=(225, 231, 242)),
                           first_row_as_headings=True) as t:
            t.row([latin1(h) for h in headers])
            for row in rows:
                t.row([latin1(_fmt(v)) for v in row])
        self.ln(2)

    def signature(self, name: str, title: str) -> None:
        self.ln(6)
        self.set_font("Helvetica", "", 10)
        self.cell(0, 5, "Sincerely,", new_x="LMARGIN", new_y="NEXT")
        self.ln(8)
        self.cell(0, 5, latin1(name), new_x="LMARGIN", new_y="NEXT")
        self.cell(0, 5, latin1(title), new_x="LMARGIN", new_y="NEXT")

    def save(self, path: str | Path) -> Path:
        with atomic_write_path(path) as tmp:
            self.output(str(tmp))
        return Path(path)


def _numeric(v) -> bool:
    return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)


def _fmt(v) -> str:
    if isinstance(v, Decimal):
        return fmt_money(v) if v == v.quantize(Decimal("0.01")) else f"{v.normalize():f}"
    if isinstance(v, date):
        return v.strftime("%m/%d/%Y")
    if v is None:
        return ""
    return str(v)
