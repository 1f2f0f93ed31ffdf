"""Writing workbooks and CSV files safely: text from data is never a formula, outputs are
written atomically, bank account numbers are masked.

Why it exists: every job ends in a file a person opens. `write_cell`, `write_table` and
`write_rows_fast` store data text as text cells (a customer named "=HYPERLINK(...)" stays a
name); `safe_text` gives values Excel will parse (xlwings range values, CSV) Excel's own text
prefix; `save_workbook` and the fast writers go through `atomic_write_path`.
"""

from __future__ import annotations

import csv
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from utilbill.atomic import atomic_write_path
from utilbill.layouts_core import Column, SheetLayout

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
MONEY_FORMAT, DATE_FORMAT = "#,##0.00", "yyyy-mm-dd"
_KIND_FORMATS = {"money": MONEY_FORMAT, "date": DATE_FORMAT, "int": "0", "text": "@", "account": "@"}
_MAX_CELL_TEXT = 32767


def safe_text(value):
    """Text that Excel would take for a formula (= + - @ tab CR LF first) gets Excel's own
    text prefix, an apostrophe (OWASP CSV-injection advice). Use it for values handed to
    Excel to parse: xlwings/Office.js range values and CSV files. For .xlsx files written
    here use `write_cell`/`write_rows_fast`, which store text as text, unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def clean_text(text: str) -> str:
    """Text as a cell can hold it: XML-illegal control characters removed, at most 32,767 characters."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)[:_MAX_CELL_TEXT]


def write_cell(ws, row: int, col: int, value, *, number_format: str | None = None):
    """Write one value into an openpyxl worksheet; text is always a string cell, never a formula."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = clean_text(value)
        cell.data_type = "s"  # openpyxl would make '=...' a formula
    else:
        cell.value = value
    if number_format and value is not None:
        cell.number_format = number_format
    return cell


def mask_bank_account(number) -> str:
    """A bank account number as '****1234' (its last four characters), for letters and reports."""
    text = re.sub(r"[^0-9A-Za-z]", "", "" if number is None else str(number))
    return "****" + (text[-4:] if len(text) > 4 else "")


def _format_for(value) -> str | None:
    if isinstance(value, Decimal):
        return MONEY_FORMAT
    if isinstance(value, datetime):
        return "yyyy-mm-dd hh:mm"
    if isinstance(value, date):
        return DATE_FORMAT
    return None


def _values(row, names: list[str]) -> list:
    return [row.get(n) for n in names] if isinstance(row, Mapping) else list(row)


def write_table(ws, layout_or_headers, rows: Iterable, *, table_name: str | None = None, start_row: int = 1) -> str:
    """Write a header and rows into an openpyxl worksheet: bold header, number formats for
    money and dates, column widths, frozen header, and an Excel table (`table_name`) or an
    autofilter. Rows are dicts keyed by column name or sequences. Returns the table's range."""
    from openpyxl.worksheet.table import Table, TableStyleInfo

    if isinstance(layout_or_headers, SheetLayout):
        columns = list(layout_or_headers.columns)
        names = [c.name for c in columns]
        formats = [c.excel_format for c in columns]
        widths = [c.width for c in columns]
        title = layout_or_headers.title
        header_row = layout_or_headers.header_row or (start_row + 2 if title else start_row)
    else:
        names = [c.name if isinstance(c, Column) else str(c) for c in layout_or_headers]
        formats, widths, title, header_row = [None] * len(names), [None] * len(names), None, start_row
    if title:
        write_cell(ws, start_row, 1, title).font = Font(bold=True, size=14)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for c, name in enumerate(names, start=1):
        cell = write_cell(ws, header_row, c, name)
        cell.font, cell.fill = Font(bold=True), fill
    longest = [len(n) for n in names]
    r = header_row
    for r, row in enumerate(rows, start=header_row + 1):
        for c, value in enumerate(_values(row, names)):
            fmt = formats[c] or _format_for(value)
            write_cell(ws, r, c + 1, value, number_format=fmt)
            if r - header_row <= 500 and value is not None:
                longest[c] = max(longest[c], len(f"{value:,.2f}" if isinstance(value, Decimal) else str(value)))
    for c, width in enumerate(widths):
        ws.column_dimensions[get_column_letter(c + 1)].width = width or min(max(longest[c] + 2, 8), 60)
    ref = f"A{header_row}:{get_column_letter(len(names))}{max(r, header_row + 1)}"
    ws.freeze_panes = f"A{header_row + 1}"
    if table_name:
        table = Table(displayName=table_name, ref=ref)
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(table)
    else:
        ws.auto_filter.ref = ref
    return ref


def save_workbook(wb, path, *, protect: Iterable = ()) -> Path:
    """Save an openpyxl workbook atomically (never half a file; never over an input in `protect`)."""
    with atomic_write_path(path, protect=protect) as tmp:
        wb.save(tmp)
    return Path(path)


def write_rows_fast(path, sheets: Mapping[str, tuple[Sequence[str], Iterable]],
                    formats: Mapping[str, str] | None = None, *, protect: Iterable = ()) -> Path:
    """Write large outputs (100,000+ rows) quickly with xlsxwriter in constant-memory mode.

    `sheets` maps a sheet name to (headers, rows); `formats` maps a header to a kind
    ("money", "date", "int", "text", "account") or an Excel number format. Text is always
    written as text, never as a formula; dates get a date format even without `formats`.
    """
    import xlsxwriter

    formats = dict(formats or {})
    with atomic_write_path(path, protect=protect) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False,
                                              "strings_to_numbers": False, "strings_to_urls": False,
                                              "remove_timezone": True})
        cache: dict[str, object] = {}

        def fmt(spec: str | None):
            if spec is None:
                return None
            spec = _KIND_FORMATS.get(spec, spec)
            if spec not in cache:
                cache[spec] = book.add_format({"num_format": spec})
            return cache[spec]

        bold = book.add_format({"bold": True, "bg_color": "#DDEBF7"})
        date_fmt, stamp_fmt = fmt(DATE_FORMAT), fmt("yyyy-mm-dd hh:mm")
        for name, (headers, rows) in sheets.items():
            ws = book.add_worksheet(name)
            names = list(headers)
            col_formats = [fmt(formats.get(h)) for h in names]
            for c, h in enumerate(names):
                ws.write_string(0, c, clean_text(str(h)), bold)
                ws.set_column(c, c, max(len(str(h)) + 2, 12))
            ws.freeze_panes(1, 0)
            r = 0
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(_values(row, names)):
                    f = col_formats[c]
                    if value is None:
                        continue
                    if isinstance(value, str):
                        ws.write_string(r, c, clean_text(value), f)
                    elif isinstance(value, bool):
                        ws.write_boolean(r, c, value, f)
                    elif isinstance(value, (int, float, Decimal)):
                        ws.write_number(r, c, float(value), f)
                    elif isinstance(value, (date, datetime)):
                        ws.write_datetime(r, c, value, f or (stamp_fmt if isinstance(value, datetime) else date_fmt))
                    else:
                        ws.write_string(r, c, clean_text(str(value)), f)
            ws.autofilter(0, 0, max(r, 1), max(len(names) - 1, 0))
        book.close()
    return Path(path)


def write_csv(path, headers: Sequence[str], rows: Iterable, *, encoding: str = "utf-8-sig",
              protect: Iterable = ()) -> Path:
    """Write a CSV atomically; formula-looking text is neutralised (`safe_text`). UTF-8 with
    a byte-order mark by default, which is what makes Excel open it as UTF-8."""
    names = list(headers)

    def cell(value):
        if value is None:
            return ""
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        return safe_text(value) if isinstance(value, str) else str(value)

    with atomic_write_path(path, protect=protect) as tmp:
        with open(tmp, "w", encoding=encoding, newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([safe_text(str(h)) for h in names])
            for row in rows:
                writer.writerow([cell(v) for v in _values(row, names)])
    return Path(path)
