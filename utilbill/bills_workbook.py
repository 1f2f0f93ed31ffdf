"""The Bills workbook a bill run writes: Bills, Lines, Exceptions and Summary sheets.

A bill per row on Bills (the layout `layouts.BILLS_OUT`, which `verify-run` reads back),
every charge line with how it was computed on Lines, every held-out row with its reason on
Exceptions, and the run's totals on Summary. Written with the Rust writer rustpy-xlsxwriter
(about 4x faster than xlsxwriter on a 100,000-account run; it stores every string as a text
cell), or xlsxwriter in constant-memory mode where the Rust writer is not installed. Every
data string is written as text (never a formula) and the file is written atomically.
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


def _summary_rows(result) -> list[tuple[str, object]]:
    water = sum((b.priced.fund_totals().get("water", Decimal(0)) for b in result.bills), Decimal("0.00"))
    wastewater = sum((b.priced.fund_totals().get("wastewater", Decimal(0)) for b in result.bills), Decimal("0.00"))
    return [
        ("Bill run date", result.run_date.isoformat()),
        ("Readings file", str(result.source)),
        ("Bills computed", len(result.bills)),
        ("Bills posted now", result.posted),
        ("Bills already in the store (not posted again)", result.already_posted),
        ("Rows held out (Exceptions sheet)", len([f for f in result.findings if f.severity == "error"])),
        ("Estimated reads", sum(1 for b in result.bills if b.estimated)),
        ("Total billed", result.total),
        ("Water", water),
        ("Wastewater", wastewater),
    ]


def _exception_rows(result) -> Iterable[list]:
    for f in result.findings:
        r = f.as_row()
        yield [r["severity"], r["file"], r["sheet"], r["row"], r["column"], r["account"], r["value"], r["reason"]]


WIDTHS = {"Bills": {"bill_key": 40}, "Lines": {"description": 36, "basis": 70, "bill_key": 40},
          "Exceptions": {"reason": 90, "file": 24}}


def write_bills_workbook(result, path: str | Path, *, protect: Sequence[str | Path] = ()) -> Path:
    """Write the run's Bills workbook atomically; never over one of the `protect` files.

    Uses the Rust writer (rustpy-xlsxwriter, which stores every string as a text cell) when
    it is installed, else xlsxwriter in constant-memory mode; both write the same cells."""
    path = Path(path)
    with atomic_write_path(path, protect=protect) as tmp:
        try:
            import rustpy_xlsxwriter  # noqa: F401
        except ImportError:
            _write_xlsxwriter(result, tmp)
        else:
            _write_rust(result, tmp)
    return path


def _write_xlsxwriter(result, tmp: Path) -> None:
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    summary = wb.add_worksheet("Summary")
    for name, layout, rows in _sheets(result):
        sheet = _SheetWriter(wb, name, layout.names, [c.kind for c in layout.columns], WIDTHS[name])
        for row in rows:
            sheet.write(row)
        sheet.finish()
    bold = wb.add_format({"bold": True})
    money = wb.add_format({"num_format": "#,##0.00"})
    summary.set_column(0, 0, 44)
    summary.set_column(1, 1, 22)
    summary.write_string(0, 0, "Bill run summary", bold)
    summary.write_string(0, 1, "figure", bold)
    for i, (k, v) in enumerate(_summary_rows(result), start=1):
        summary.write_string(i, 0, k)
        if isinstance(v, Decimal):
            summary.write_number(i, 1, float(v), money)
        elif isinstance(v, int):
            summary.write_number(i, 1, v)
        else:
            summary.write_string(i, 1, str(v))
    wb.close()


def _sheets(result):
    return [
        ("Bills", BILLS_OUT, (_bill_row(b) for b in result.bills)),
        ("Lines", BILL_LINES_OUT, (row for b in result.bills for row in _line_rows(b))),
        ("Exceptions", EXCEPTIONS_OUT, _exception_rows(result)),
    ]


def _cell(value, kind: str):
    """A value as the Rust writer takes it: numbers as floats, dates as datetimes, flags as Y/N,
    everything else as text (stored as a text cell, never a formula)."""
    if value is None or value == "":
        return None
    if kind in ("money", "decimal"):
        return float(value)
    if kind == "int":
        return int(value)
    if kind == "date":
        return _dt(value)
    if kind == "bool":
        return "Y" if value else "N"
    return str(value)


def _write_rust(result, tmp: Path) -> None:
    from rustpy_xlsxwriter import FastExcel, Format

    formats = {"money": Format().set_num_format("#,##0.00"), "date": Format().set_num_format("yyyy-mm-dd"),
               "decimal": Format().set_num_format("0.#########")}
    header = Format().set_bold().set_background_color("#DCE6F1").set_border("thin")
    book = FastExcel(str(tmp), output_format="xlsx")
    summary = [{"Bill run summary": k, "figure": float(v) if isinstance(v, Decimal) else v}
               for k, v in _summary_rows(result)]
    book.sheet("Summary", summary, column_widths=[44, 22], header_format=header,
               column_formats=[None, formats["money"]])
    for name, layout, rows in _sheets(result):
        names, kinds = layout.names, [c.kind for c in layout.columns]
        records = [{n: _cell(v, k) for n, v, k in zip(names, row, kinds)} for row in rows]
        if not records:
            records = [{n: None for n in names}]
        widths = [WIDTHS[name].get(n, max(10, len(n) + 2)) for n in names]
        book.sheet(name, records, column_widths=widths, header_format=header, autofilter=True,
                   column_formats=[formats.get(k) for k in kinds])
        book.freeze(row=1, col=0, sheet=name)
    book.save()
