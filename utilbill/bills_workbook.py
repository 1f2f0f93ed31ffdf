"""The Bills workbook a bill run writes: Bills, Lines, Exceptions and Summary sheets.

A bill per row on Bills (the layout `layouts.BILLS_OUT`, which `verify-run` reads back),
every charge line with how it was computed on Lines, every held-out row with its reason on
Exceptions, and the run's totals on Summary. Written with xlsxwriter in constant-memory mode
so a 100,000-account run is written in seconds; every data string is written as a string
(never a formula) and the file is written atomically.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Sequence

import xlsxwriter

from .atomic import atomic_write_path
from .layouts import BILL_LINES_OUT, BILLS_OUT, EXCEPTIONS_OUT


def _bill_row(b) -> list:
    funds = b.priced.fund_totals()
    return [
        b.account_no, b.kind, b.bill_date, b.due_date, b.period.start, b.period.end, b.period.days,
        b.previous_reading, b.reading, b.units, b.estimated, b.rollover, b.regular,
        b.winter.units_per_month if b.winter else None, b.priced.wastewater_units,
        funds.get("water", Decimal("0.00")), funds.get("wastewater", Decimal("0.00")), b.total, b.bill_key,
    ]


def _line_rows(b) -> Iterable[list]:
    for i, l in enumerate(b.lines, start=1):
        yield [b.account_no, b.bill_key, i, l.code, l.description, l.fund, l.quantity, l.rate, l.amount, l.basis]


class _SheetWriter:
    """Typed cell writing: money and quantities as numbers with formats, dates as dates,
    booleans as Y/N, text always as text."""

    def __init__(self, wb, name: str, headers: Sequence[str], kinds: Sequence[str], widths=None):
        self.ws = wb.add_worksheet(name)
        self.kinds = kinds
        self.f_money = wb.add_format({"num_format": "#,##0.00"})
        self.f_date = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.f_qty = wb.add_format({"num_format": "0.#########"})
        head = wb.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1})
        for c, h in enumerate(headers):
            self.ws.write_string(0, c, h, head)
            self.ws.set_column(c, c, (widths or {}).get(h, max(10, len(h) + 2)))
        self.ws.freeze_panes(1, 0)
        self.row = 1
        self.ncols = len(headers)

    def write(self, values: Sequence) -> None:
        ws, r = self.ws, self.row
        for c, (v, k) in enumerate(zip(values, self.kinds)):
            if v is None or v == "":
                continue
            if k == "money":
                ws.write_number(r, c, float(v), self.f_money)  # display value; exact text in Lines/amount
            elif k == "decimal":
                ws.write_number(r, c, float(v), self.f_qty)
            elif k == "int":
                ws.write_number(r, c, int(v))
            elif k == "date":
                ws.write_datetime(r, c, _dt(v), self.f_date)
            elif k == "bool":
                ws.write_string(r, c, "Y" if v else "N")
            else:
                ws.write_string(r, c, str(v))
        self.row += 1

    def finish(self) -> None:
        if self.row > 1:
            self.ws.autofilter(0, 0, self.row - 1, self.ncols - 1)


def _dt(d: date):
    from datetime import datetime

    return datetime(d.year, d.month, d.day)


def write_bills_workbook(result, path: str | Path, *, protect: Sequence[str | Path] = ()) -> Path:
    """Write the run's Bills workbook atomically; never over one of the `protect` files."""
    path = Path(path)
    with atomic_write_path(path, protect=protect) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                             "strings_to_urls": False})
        summary = wb.add_worksheet("Summary")
        bills = _SheetWriter(wb, "Bills", BILLS_OUT.names, [c.kind for c in BILLS_OUT.columns],
                             {"bill_key": 40})
        for b in result.bills:
            bills.write(_bill_row(b))
        bills.finish()
        lines = _SheetWriter(wb, "Lines", BILL_LINES_OUT.names, [c.kind for c in BILL_LINES_OUT.columns],
                             {"description": 36, "basis": 70, "bill_key": 40})
        for b in result.bills:
            for row in _line_rows(b):
                lines.write(row)
        lines.finish()
        exc = _SheetWriter(wb, "Exceptions", EXCEPTIONS_OUT.names, [c.kind for c in EXCEPTIONS_OUT.columns],
                           {"reason": 90, "file": 24})
        for f in result.findings:
            r = f.as_row()
            exc.write([r["severity"], r["file"], r["sheet"], r["row"], r["column"], r["account"], r["value"],
                       r["reason"]])
        exc.finish()
        bold = wb.add_format({"bold": True})
        money = wb.add_format({"num_format": "#,##0.00"})
        summary.set_column(0, 0, 34)
        summary.set_column(1, 1, 22)
        rows = [
            ("Bill run date", result.run_date.isoformat()),
            ("Readings file", str(result.source)),
            ("Bills computed", len(result.bills)),
            ("Bills posted now", result.posted),
            ("Bills already in the store (not posted again)", result.already_posted),
            ("Rows held out (Exceptions sheet)", len([f for f in result.findings if f.severity == "error"])),
            ("Estimated reads", sum(1 for b in result.bills if b.estimated)),
            ("Total billed", result.total),
            ("Water", sum((b.priced.fund_totals().get("water", Decimal(0)) for b in result.bills), Decimal("0.00"))),
            ("Wastewater", sum((b.priced.fund_totals().get("wastewater", Decimal(0)) for b in result.bills),
                               Decimal("0.00"))),
        ]
        summary.write_string(0, 0, "Bill run summary", bold)
        for i, (k, v) in enumerate(rows, start=2):
            summary.write_string(i, 0, k)
            if isinstance(v, Decimal):
                summary.write_number(i, 1, float(v), money)
            elif isinstance(v, int):
                summary.write_number(i, 1, v)
            else:
                summary.write_string(i, 1, str(v))
        wb.close()
    return path
