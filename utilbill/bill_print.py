"""Printed bills: one letter-size page per bill, the way a utility bill looks (domain §4).

A page carries the account, service and mailing addresses, the service period, the meter
reads and units (an estimated read is marked E), every charge line, the account summary
(previous balance, payments since the last bill, other charges and credits, current
charges, amount due), the due date, a bar chart of the last 12 periods' use, and a
remittance stub to detach and return. Pulled bills (review.py) never reach the print file.

The amounts on a page add up by construction: previous balance = the ledger on the previous
bill's date; everything dated after it up to this bill's date is a payment, another charge
or credit, or this bill; so the amount due is the ledger balance on the bill date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Sequence

from .config import Policy, UtilityInfo
from .money import ZERO, fmt_money, from_cents
from .pdfdoc import GREY, NAVY, Document, latin1

LIGHT = (232, 237, 246)
CUT_Y = 212  # the perforation above the remittance stub (mm from the top)
ACCENT = (60, 110, 170)


@dataclass
class BillPage:
    account_no: str
    customer_name: str
    service_address: str
    mailing_address: str
    meter: str
    kind: str
    bill_date: date
    due_date: date
    period_start: date
    period_end: date
    previous_reading: int | None
    reading: int | None
    units: Decimal
    estimated: bool
    lines: list[tuple[str, Decimal, Decimal, Decimal]]  # description, quantity, rate, amount
    current_charges: Decimal
    previous_balance: Decimal
    payments: Decimal  # negative: credits received since the last bill
    other: Decimal  # fees, late charges, adjustments since the last bill
    usage: list[tuple[str, Decimal, bool]] = field(default_factory=list)  # (label, units per 30 days, current)
    messages: list[str] = field(default_factory=list)

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days

    @property
    def amount_due(self) -> Decimal:
        return self.previous_balance + self.payments + self.other + self.current_charges


def bill_page(conn, bill_id: int, policy: Policy) -> BillPage:
    """Everything printed on one bill, read from the store."""
    from sqlalchemy import select

    from .store import repo, schema

    b = conn.execute(select(schema.bills).where(schema.bills.c.id == bill_id)).one()._mapping
    acct = repo.get_account(conn, b["account_no"])
    postings = repo.postings_for(conn, acct.account_no)
    live = repo.live_bills(conn, acct.account_no)
    earlier = [x for x in live if x["bill_date"] < b["bill_date"] and x["id"] != bill_id]
    since = earlier[-1]["bill_date"] if earlier else None
    window = [p for p in postings if p.date <= b["bill_date"] and (since is None or p.date > since)]
    previous = sum((p.amount for p in postings if since is not None and p.date <= since), ZERO)
    reversed_kind = {p.id: p.kind for p in postings}
    payments = other = current = ZERO
    for p in window:
        if p.kind == "bill" and p.bill_id == bill_id:
            current += p.amount
        elif p.kind in ("payment",) or (p.kind == "reversal" and reversed_kind.get(p.reverses) == "payment"):
            payments += p.amount
        else:
            other += p.amount
    lines = [(l["description"], Decimal(l["quantity"]), Decimal(l["rate"]), from_cents(l["amount_cents"]))
             for l in repo.bill_lines_for(conn, bill_id)]
    shown = [x for x in live if x["period_end"] <= b["period_end"]][-12:]
    usage = [(x["period_end"].strftime("%b %y"),
              Decimal(x["units"]) * 30 / max((x["period_end"] - x["period_start"]).days, 1), x["id"] == bill_id)
             for x in shown]
    messages = []
    if b["estimated"]:
        messages.append("E = estimated reading. Your meter could not be read this period; the next actual "
                        "reading corrects any difference.")
    if b["kind"] == "final":
        messages.append("This is your final bill. Thank you for being our customer.")
    rate = (policy.billing.late_charge_rate * 100).normalize()
    messages.append(f"A late charge of {rate}% applies to any amount of this bill unpaid after the due date.")
    return BillPage(
        account_no=acct.account_no, customer_name=acct.customer_name, service_address=acct.service_address,
        mailing_address=acct.mailing_address or acct.service_address,
        meter=f'{acct.meter_id} ({acct.meter_size}")' if acct.meter_id else f'{acct.meter_size}" meter', kind=b["kind"], bill_date=b["bill_date"],
        due_date=b["due_date"], period_start=b["period_start"], period_end=b["period_end"],
        previous_reading=b["previous_reading"], reading=b["reading"], units=Decimal(b["units"]),
        estimated=bool(b["estimated"]), lines=lines, current_charges=current, previous_balance=previous,
        payments=payments, other=other, usage=usage, messages=messages)


class BillDocument(Document):
    """Bills draw their own page (no running letterhead or footer)."""

    def __init__(self, info: UtilityInfo):
        super().__init__(info, "Utility bills")
        self.set_auto_page_break(auto=False)
        self.set_margins(14, 12, 14)

    def header(self):
        pass

    def footer(self):
        pass


def address_lines(text: str) -> list[str]:
    """Address lines for an envelope window: 'street, city, ST 12345' -> street / city, ST 12345."""
    parts = [p.strip() for p in str(text or "").replace("\n", ",").split(",") if p.strip()]
    lines: list[str] = []
    for p in parts:
        if lines and re.fullmatch(r"[A-Z]{2}\s+\d{5}(-\d{4})?", p):
            lines[-1] = f"{lines[-1]}, {p}"
        else:
            lines.append(p)
    return lines[:4]


def _text(pdf, x, y, text, size=9, style="", color=(0, 0, 0), w=0, align="L", h=4.5):
    pdf.set_xy(x, y)
    pdf.set_font("Helvetica", style, size)
    pdf.set_text_color(*color)
    pdf.cell(w, h, latin1(text), align=align)


def _draw_page(pdf: BillDocument, page: BillPage) -> None:
    info = pdf.info
    pdf.add_page()
    L, R = 14, pdf.w - 14
    W = R - L
    # letterhead band
    pdf.set_fill_color(*NAVY)
    pdf.rect(L, 10, W, 16, style="F")
    _text(pdf, L + 4, 12, info.name, 14, "B", (255, 255, 255))
    _text(pdf, L + 4, 19, " | ".join(x for x in (info.address, info.phone, info.email) if x), 8, "", (220, 228, 240))
    title = "FINAL BILL" if page.kind == "final" else "WATER & WASTEWATER BILL"
    _text(pdf, L, 14, title, 12, "B", (255, 255, 255), w=W - 4, align="R")
    # customer / service block
    y = 32
    _text(pdf, L, y, "SERVICE ADDRESS", 7.5, "B", GREY)
    _text(pdf, L, y + 4, page.service_address, 10, "B")
    _text(pdf, L, y + 12, "MAILING ADDRESS", 7.5, "B", GREY)
    _text(pdf, L, y + 16, page.customer_name, 10)
    for i, line in enumerate(address_lines(page.mailing_address)):
        _text(pdf, L, y + 21 + i * 4.5, line, 10)
    # summary box
    bx, bw = 122, R - 122
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(0.4)
    pdf.set_fill_color(*LIGHT)
    pdf.rect(bx, y - 1, bw, 37, style="DF")
    rows = [("Account number", page.account_no), ("Bill date", page.bill_date.strftime("%m/%d/%Y")),
            ("Service period", f"{page.period_start:%m/%d/%Y} - {page.period_end:%m/%d/%Y}"),
            ("Due date", page.due_date.strftime("%m/%d/%Y"))]
    for i, (k, v) in enumerate(rows):
        _text(pdf, bx + 3, y + 1 + i * 5, k, 8.5, "", GREY)
        _text(pdf, bx + 3, y + 1 + i * 5, v, 9, "B", w=bw - 6, align="R")
    pdf.set_fill_color(*NAVY)
    pdf.rect(bx, y + 23, bw, 13, style="F")
    due_label = "AMOUNT DUE" if page.amount_due >= 0 else "CREDIT - DO NOT PAY"
    _text(pdf, bx + 3, y + 27, due_label, 10, "B", (255, 255, 255))
    _text(pdf, bx + 3, y + 26, fmt_money(abs(page.amount_due)), 15, "B", (255, 255, 255), w=bw - 6, align="R", h=6)
    # meter reading
    y = 71
    _section(pdf, L, y, W, "METER READING")
    heads = ["Meter", "Service period", "Days", "Previous reading", "Current reading", "Units used (100 cu ft)"]
    widths = [36, 46, 14, 30, 30, W - 156]
    cur = "" if page.reading is None else f"{page.reading}{' E' if page.estimated else ''}"
    vals = [page.meter, f"{page.period_start:%m/%d/%Y} - {page.period_end:%m/%d/%Y}", str(page.days),
            "" if page.previous_reading is None else str(page.previous_reading), cur,
            f"{page.units.normalize():f}{' E' if page.estimated else ''}"]
    _row(pdf, L, y + 7, widths, heads, 7.5, "B", fill=True)
    _row(pdf, L, y + 12.5, widths, vals, 9)
    # charges
    y = 92
    _section(pdf, L, y, W, "CURRENT CHARGES")
    widths = [W - 78, 26, 24, 28]
    _row(pdf, L, y + 7, widths, ["Description", "Quantity", "Rate", "Amount"], 7.5, "B", fill=True,
         aligns="LRRR")
    yy = y + 12.5
    pitch = 5 if len(page.lines) <= 8 else 3.9
    for desc, q, rate, amount in page.lines[:14]:
        _row(pdf, L, yy, widths, [desc, f"{q.normalize():f}", f"${rate}", fmt_money(amount)],
             8.5 if pitch == 5 else 7.5, aligns="LRRR")
        yy += pitch
    pdf.set_draw_color(*NAVY)
    pdf.line(L, yy + 0.5, R, yy + 0.5)
    _row(pdf, L, yy + 1.5, [W - 28, 28], ["Total current charges", fmt_money(page.current_charges)], 9, "B",
         aligns="RR")
    # usage chart (left) and account summary (right)
    y = max(yy + 9, 140)
    _section(pdf, L, y, 98, "YOUR WATER USE (units per 30 days)")
    _usage_chart(pdf, L, y + 7, 98, 31, page.usage)
    if page.days:
        per_day = page.units / page.days
        _text(pdf, L, y + 38.5, f"This period: {per_day:.2f} units a day, about {per_day * 748:,.0f} gallons a day "
              "(1 unit = 100 cubic feet = 748 gallons)", 7.2, "I", GREY)
    sx = L + 104
    _section(pdf, sx, y, R - sx, "ACCOUNT SUMMARY")
    summary = [("Previous balance", page.previous_balance), ("Payments received - thank you", page.payments),
               ("Other charges and credits", page.other), ("Current charges", page.current_charges)]
    for i, (k, v) in enumerate(summary):
        _text(pdf, sx + 2, y + 8 + i * 5.5, k, 9)
        _text(pdf, sx, y + 8 + i * 5.5, fmt_money(v), 9, w=R - sx - 2, align="R")
    ty = y + 8 + len(summary) * 5.5 + 1
    pdf.line(sx, ty, R, ty)
    _text(pdf, sx + 2, ty + 1.5, f"Amount due by {page.due_date:%m/%d/%Y}", 10, "B", NAVY)
    _text(pdf, sx, ty + 1.5, fmt_money(page.amount_due), 10, "B", NAVY, w=R - sx - 2, align="R")
    # messages
    my = min(y + 44, CUT_Y - 4 - 3.6 * (len(page.messages) + 1))
    pdf.set_xy(L, my)
    pdf.set_font("Helvetica", "", 7.8)
    pdf.set_text_color(60, 60, 60)
    for m in page.messages:
        pdf.set_x(L)
        pdf.multi_cell(W, 3.6, latin1(m), new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(L)
    pdf.multi_cell(W, 3.6, latin1(f"Questions? Call {info.phone} ({info.office_hours}) or write {info.email}."),
                   new_x="LMARGIN", new_y="NEXT")
    _stub(pdf, page, L, R)


def _section(pdf, x, y, w, title):
    _text(pdf, x, y, title, 8.5, "B", NAVY)
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(0.3)
    pdf.line(x, y + 5, x + w, y + 5)


def _row(pdf, x, y, widths, values, size, style="", fill=False, aligns=None):
    pdf.set_xy(x, y)
    pdf.set_font("Helvetica", style, size)
    pdf.set_text_color(0, 0, 0)
    pdf.set_fill_color(*LIGHT)
    for i, (w, v) in enumerate(zip(widths, values)):
        pdf.cell(w, 5, latin1(v), fill=fill, align=(aligns[i] if aligns else "L"))


def _usage_chart(pdf, x, y, w, h, usage: Sequence[tuple[str, Decimal, bool]]) -> None:
    pdf.set_draw_color(180, 180, 180)
    pdf.set_line_width(0.2)
    base = y + h - 6
    pdf.line(x, base, x + w, base)
    if not usage:
        _text(pdf, x, y + h / 2 - 3, "No usage history yet", 8, "I", GREY, w=w, align="C")
        return
    top = max(max(u for _, u, _ in usage), Decimal(1))
    slot = w / 12
    bw = slot * 0.62
    for i, (label, units, current) in enumerate(usage):
        bh = float(units / top) * (h - 12)
        bx = x + i * slot + (slot - bw) / 2
        pdf.set_fill_color(*(NAVY if current else (150, 175, 210)))
        if bh > 0:
            pdf.rect(bx, base - bh, bw, bh, style="F")
        _text(pdf, bx - 2, base - bh - 4, f"{units:.0f}", 6.5, "B" if current else "", (40, 40, 40), w=bw + 4,
              align="C", h=3.5)
        _text(pdf, x + i * slot, base + 0.8, label, 5.8, "", GREY, w=slot, align="C", h=3.5)


def _stub(pdf, page: BillPage, L: float, R: float) -> None:
    info = pdf.info
    cut = CUT_Y
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.3)
    pdf.set_dash_pattern(dash=1.5, gap=1.2)
    pdf.line(L - 4, cut, R + 4, cut)
    pdf.set_dash_pattern()
    _text(pdf, L, cut + 1, "Please detach and return this portion with your payment. Make checks payable to "
          + info.name + ".", 7.5, "I", GREY, w=R - L, align="C")
    y = cut + 8
    _text(pdf, L, y, info.name, 11, "B", NAVY)
    _text(pdf, L, y + 5.5, "REMITTANCE", 8, "B", GREY)
    _text(pdf, L, y + 14, page.customer_name, 9.5)
    for i, line in enumerate(address_lines(page.mailing_address)):
        _text(pdf, L, y + 18.5 + i * 4.3, line, 9.5)
    bx, bw = 116, R - 116
    pdf.set_draw_color(*NAVY)
    pdf.set_line_width(0.4)
    rows = [("Account number", page.account_no), ("Due date", page.due_date.strftime("%m/%d/%Y")),
            ("Amount due", fmt_money(max(page.amount_due, ZERO)))]
    for i, (k, v) in enumerate(rows):
        pdf.rect(bx, y + i * 7, bw, 7)
        _text(pdf, bx + 2, y + 1.3 + i * 7, k, 8.5, "", GREY)
        _text(pdf, bx, y + 1.3 + i * 7, v, 10, "B", w=bw - 2, align="R")
    pdf.rect(bx, y + 21, bw, 9)
    _text(pdf, bx + 2, y + 23.3, "Amount enclosed", 8.5, "", GREY)
    _text(pdf, bx, y + 23.3, "$ ______________", 10, "", w=bw - 2, align="R")
    _text(pdf, bx, y + 33, "Remit to:", 8, "B", GREY)
    for i, line in enumerate(address_lines(info.address)):
        _text(pdf, bx, y + 37 + i * 4, line, 8.5)
    cents = int(max(page.amount_due, ZERO) * 100)
    scan = f"{page.account_no.replace('-', '')}  {page.due_date:%Y%m%d}  {cents:010d}"
    pdf.set_xy(L, 268)
    pdf.set_font("Courier", "", 10)
    pdf.set_text_color(0, 0, 0)
    pdf.cell(R - L, 5, latin1(scan), align="R")


def render_bills(pages: Sequence[BillPage], info: UtilityInfo, path: str | Path) -> Path:
    """Write the pages as one PDF (atomically)."""
    pdf = BillDocument(info)
    for page in pages:
        _draw_page(pdf, page)
    if not pages:
        pdf.add_page()
        _text(pdf, 14, 40, "No bills in this print file.", 12, "B")
    return pdf.save(path)


@dataclass
class PrintResult:
    path: Path
    printed: int
    pulled: int
    job_id: int | None = None


def print_bills(u, job_id: int | None = None, *, bill_ids: Sequence[int] | None = None,
                path: str | Path | None = None) -> PrintResult:
    """The print file: the review's print list of run `job_id` (pulled bills left out), or
    the given bills (a reprint)."""
    from .review import review_bills

    pulled = 0
    if job_id is not None:
        review = review_bills(u, job_id)
        ids = [rb.bill_id for rb in review.print_list]
        pulled = len(review.pulled)
    else:
        ids = list(bill_ids or [])
    with u.store.read() as conn:
        pages = [bill_page(conn, i, u.policy) for i in ids]
    out = Path(path) if path else u.out_dir("bills") / (
        f"PrintFile-run{job_id}.pdf" if job_id is not None else f"Bills-{'-'.join(map(str, ids[:3]))}.pdf")
    render_bills(pages, u.policy.utility, out)
    return PrintResult(out, len(pages), pulled, job_id)
