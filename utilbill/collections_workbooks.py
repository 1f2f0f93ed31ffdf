"""Collections workbooks: the turn-off list (sortable, filterable Excel tables), the aging
report, and the credit portfolio with its chart (domain §6).

Why it exists: clerks work the turn-off list and the aging in Excel. Every sheet layout
comes from utilbill.layouts; cells are written through utilbill.xlio so text from data never
becomes a formula, and files are saved atomically. Each function takes a job's result and a
path (or an openpyxl workbook, so a macro can write into the caller's book).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from .aging import AgingReport
from .credit_jobs import BANDS, Portfolio
from .layouts import (
    AGING_ACCOUNTS_SHEET,
    AGING_CHARGES_SHEET,
    CREDIT_PROFILES_SHEET,
    TURNOFF_LEFT_OUT_SHEET,
    TURNOFF_LIST_SHEET,
)
from .turnoff import TurnoffList
from .xlio import save_workbook, write_cell, write_table


def fill_turnoff_workbook(wb: Workbook, tl: TurnoffList) -> None:
    ws = wb.active if wb.active is not None and wb.active.max_row == 1 and wb.active.title == "Sheet" else wb.create_sheet()
    ws.title = TURNOFF_LIST_SHEET.sheet
    write_table(ws, TURNOFF_LIST_SHEET, [
        {"rank": e.rank, "account": e.account_no, "customer": e.customer_name, "service_address": e.service_address,
         "class": e.account_class, "past_due": e.past_due, "noticed_amount": e.noticed_amount,
         "notice_date": e.notice_date, "earliest_turnoff": e.earliest_turnoff, "last_payment": e.last_payment,
         "broken_arrangement": e.broken_arrangement, "rental": e.is_rental, "landlord": e.landlord or "",
         "meter": e.meter_id or "", "reason": e.reason} for e in tl.included], table_name="TurnoffList")
    ws2 = wb.create_sheet(TURNOFF_LEFT_OUT_SHEET.sheet)
    write_table(ws2, TURNOFF_LEFT_OUT_SHEET, [
        {"account": e.account_no, "customer": e.customer_name, "service_address": e.service_address,
         "class": e.account_class, "past_due": e.past_due, "noticed_amount": e.noticed_amount,
         "notice_date": e.notice_date, "earliest_turnoff": e.earliest_turnoff, "last_payment": e.last_payment,
         "notice_removed": e.removed, "reason": e.reason} for e in tl.excluded], table_name="TurnoffLeftOut")
    ws3 = wb.create_sheet("Summary")
    for r, (k, v) in enumerate([("As of", tl.as_of), ("Crew capacity", tl.capacity),
                                ("On the list", len(tl.included)), ("Left out", len(tl.excluded)),
                                ("Notices removed (paid)", len(tl.removed))], start=1):
        write_cell(ws3, r, 1, k)
        write_cell(ws3, r, 2, v, number_format="yyyy-mm-dd" if r == 1 else None)
    ws3.column_dimensions["A"].width = 26


def write_turnoff_workbook(tl: TurnoffList, path: Path) -> Path:
    wb = Workbook()
    fill_turnoff_workbook(wb, tl)
    return save_workbook(wb, path)


def _aging_sheets(wb: Workbook, report: AgingReport, first) -> None:
    ws = first
    ws.title = "Aging by class"
    write_table(ws, ["class", *report.labels, "total"], [
        [cls, *[row[l] for l in report.labels], sum(row.values())] for cls, row in report.by_class().items()],
        table_name="AgingByClass")
    headers = ["account", "class", *report.labels, "total", "past_due", "age_days", "credit"]
    layout = AGING_ACCOUNTS_SHEET if headers == AGING_ACCOUNTS_SHEET.names else headers
    ws2 = wb.create_sheet(AGING_ACCOUNTS_SHEET.sheet)
    write_table(ws2, layout, [
        [a.account_no, a.account_class, *[a.buckets[l] for l in report.labels], a.total, a.past_due, a.age_days,
         a.credit] for a in report.accounts if a.total or a.credit], table_name="AgingAccounts")
    ws3 = wb.create_sheet(AGING_CHARGES_SHEET.sheet)
    write_table(ws3, AGING_CHARGES_SHEET, [
        {"account": a.account_no, "posting": c.posting_id, "bill": c.bill_id, "kind": c.kind, "dated": c.date,
         "due": c.due, "unpaid": c.unpaid, "age_days": c.age_days, "bucket": c.bucket}
        for a in report.accounts for c in a.charges], table_name="AgingCharges")


def write_aging_workbook(report: AgingReport, path: Path) -> Path:
    wb = Workbook()
    _aging_sheets(wb, report, wb.active)
    return save_workbook(wb, path)


def write_portfolio_workbook(pf: Portfolio, path: Path) -> Path:
    """Aging by class, accounts by risk band (with a bar chart), and every account's profile."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Risk bands"
    counts = pf.band_counts()
    write_table(ws, ["class", *BANDS, "total"], [[cls, *[row[b] for b in BANDS], sum(row.values())]
                                                  for cls, row in counts.items()], table_name="RiskBands")
    if counts:
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = f"Accounts by risk band, {pf.as_of.isoformat()}"
        chart.y_axis.title = "accounts"
        n = len(counts)
        chart.add_data(Reference(ws, min_col=2, max_col=1 + len(BANDS), min_row=1, max_row=1 + n), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=1 + n))
        chart.width, chart.height = 18, 9
        ws.add_chart(chart, "H2")
    write_cell(ws, len(counts) + 4, 1, pf.score_rule)
    _aging_sheets(wb, pf.aging, wb.create_sheet())
    wp = wb.create_sheet(CREDIT_PROFILES_SHEET.sheet)
    write_table(wp, CREDIT_PROFILES_SHEET, [
        {"account": p.account_no, "class": pf.classes.get(p.account_no, ""), "bills_due": p.bills_due,
         "on_time": p.on_time, "late": p.late, "average_days_late": p.average_days_late,
         "returned_payments": p.returned_payments, "broken_arrangements": p.broken_arrangements,
         "highest_past_due": p.highest_past_due, "months_of_service": p.months_of_service,
         "past_due_now": p.past_due_now, "score": p.score, "band": p.band} for p in pf.profiles],
        table_name="CreditProfiles")
    return save_workbook(wb, path)
