"""Writing the daily cash workbook fast: xlsxwriter for the sheets, the Payments table's rows
straight into the sheet's XML.

Implements the presentation half of domain §8's daily cash workbook for a heavy day (50,000
payments): openpyxl took 30 s for the Payments table's 850,000 cells, xlsxwriter alone 6 s.
The layout is `cash_sheets.plan_cash_workbook`'s, cell for cell as `cash_workbook.render`
(the openpyxl reference) writes it: live formulas, each with the engine's figure as its saved
result (what a reader that does not recalculate shows; Excel recalculates on opening), the
Payments table, named ranges, entry cells unlocked and filled yellow, sheets protected
without a password, print areas one page wide. xlsxwriter writes every sheet with the
Payments table's header; the table's data rows are then written as XML text (numbers, dates
as serial numbers, text as inline strings, never a formula) into that sheet's part of the
file. tests/test_cash_xlsx.py compares the two writers cell by cell.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from .cash_sheets import TABLE, SheetPlan, WorkbookPlan
from .layouts import ENTRY_FILL

HEADER_FILL = "DDEBF7"
_EPOCH = date(1899, 12, 30)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what openpyxl refuses in a cell


def write_plan(plan: WorkbookPlan, target) -> None:
    """Write `plan` as an .xlsx file to `target` (a path or a binary file)."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"strings_to_formulas": False, "strings_to_numbers": False,
                                   "strings_to_urls": False, "in_memory": True})
    styles = _Styles(wb)
    table_rows = None
    for index, sp in enumerate(plan.sheets):
        ws = wb.add_worksheet(sp.name)
        if sp.table_headers:
            _table(ws, sp, styles)
            table_rows = (index, sp)
        _cells(ws, sp, styles)
        _setup(ws, sp)
    for name, ref in plan.names.items():
        wb.define_name(name, "=" + ref)
    formats = {}
    if table_rows is not None:  # the rows' styles must exist before xlsxwriter writes the styles part
        formats = {f: styles.xf_index(f) for f in set(table_rows[1].table_formats)}
    wb.close()
    data = _finished(buf.getvalue(), table_rows, formats)
    if hasattr(target, "write"):
        target.write(data)
    else:
        Path(target).write_bytes(data)


class _Styles:
    """xlsxwriter formats by (number format, kind), made once each."""

    def __init__(self, wb):
        self.wb, self.cache = wb, {}

    def get(self, fmt: str | None, kind: str | None = None, *, bold: bool = False):
        key = (fmt, kind, bold)
        if key not in self.cache:
            props = {}
            if fmt:
                props["num_format"] = fmt
            if kind == "title":
                props.update(bold=True, font_size=14)
            elif kind == "header":
                props.update(bold=True, pattern=1, bg_color="#" + HEADER_FILL)
            if bold:
                props["bold"] = True
            if kind in ("entry", "legend"):
                props.update(pattern=1, bg_color="#" + ENTRY_FILL, border=1, border_color="#999999")
            if kind == "entry":
                props["locked"] = False
            self.cache[key] = self.wb.add_format(props) if props else None
        return self.cache[key]

    def xf_index(self, fmt: str | None) -> int:
        """The style number of a data cell with this number format (0: the default)."""
        f = self.get(fmt)
        return 0 if f is None else f._get_xf_index()


def _cells(ws, sp: SheetPlan, styles: _Styles) -> None:
    for c in sp.cells.values():
        status = c.kind == "formula" and isinstance(c.expected, str)
        fmt = styles.get(c.fmt, c.kind if c.kind in ("title", "header", "entry", "legend") else None, bold=status)
        if c.kind == "formula":
            ws.write_formula(c.ref, c.value, fmt, _saved_result(c.expected))
        elif c.value is None or c.value == "":  # openpyxl reads an empty text back as no value
            if fmt is not None:
                ws.write_blank(c.ref, None, fmt)
        elif isinstance(c.value, str):
            ws.write_string(c.ref, _checked_text(c.value), fmt)
        elif isinstance(c.value, (date, datetime)):
            ws.write_datetime(c.ref, c.value if isinstance(c.value, datetime)
                              else datetime(c.value.year, c.value.month, c.value.day), fmt)
        elif isinstance(c.value, bool):
            ws.write_boolean(c.ref, c.value, fmt)
        else:
            ws.write_number(c.ref, _number(c.value), fmt)


def _number(value):
    """A whole number as an int, as openpyxl writes 150.00 ("150")."""
    number = float(value)
    return int(number) if number.is_integer() and abs(number) < 1e15 else number


def _saved_result(expected):
    if expected is None or isinstance(expected, (str, bool)):
        return expected
    return _number(expected)


def _checked_text(text: str) -> str:
    if _ILLEGAL.search(text):
        from openpyxl.utils.exceptions import IllegalCharacterError

        raise IllegalCharacterError(f"{text!r} cannot be used in worksheets.")
    return text


def _table(ws, sp: SheetPlan, styles: _Styles) -> None:
    """The Payments table over its header and first row: xlsxwriter notes every cell of a
    table's range (50,000 rows: 2 s), so `_finished` stretches the range over every row."""
    width = len(sp.table_headers)
    header = styles.get(None, "header")
    ws.add_table(2, 0, 3, width - 1, {
        "name": TABLE, "style": "Table Style Medium 2",
        "columns": [{"header": h, "header_format": header} for h in sp.table_headers]})
    ws.freeze_panes(3, 0)
    ws.repeat_rows(2)
    for c, h in enumerate(sp.table_headers):
        ws.set_column_pixels(c, c, _pixels(max(10, len(h) + 4)))


def _pixels(width: float) -> int:
    """Pixels for a stored column width (Calibri 11: 7 pixels a character): xlsxwriter then
    stores exactly `width`, as openpyxl does."""
    return round(width * 7)


def _setup(ws, sp: SheetPlan) -> None:
    for letter, width in sp.widths.items():
        col = _column_index(letter)
        ws.set_column_pixels(col, col, _pixels(width))
    ws.protect("", {"autofilter": True, "sort": True, "objects": True, "scenarios": True})  # as openpyxl: those two unprotected
    first, last = sp.print_area.split(":")
    (c1, r1), (c2, r2) = _cell(first), _cell(last)
    ws.print_area(r1, c1, r2, c2)
    if sp.landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _cell(ref: str) -> tuple[int, int]:
    letters, digits = re.match(r"([A-Z]+)(\d+)", ref).groups()
    return _column_index(letters), int(digits) - 1


def _column_letters(n: int) -> list[str]:
    out = []
    for k in range(1, n + 1):
        s = ""
        while k:
            k, r = divmod(k - 1, 26)
            s = chr(65 + r) + s
        out.append(s)
    return out


def table_rows_xml(sp: SheetPlan, styles_by_format: dict[str | None, int]) -> str:
    """The Payments table's data rows (sheet rows 4 on) as <row> elements: what openpyxl
    writes for `cash_workbook.render`'s cells, value for value (a None is no cell)."""
    letters = _column_letters(len(sp.table_headers))
    # per column, the cell's opening up to its row number, and what follows the row number
    heads = [f'<c r="{letter}' for letter in letters]
    styles = [f'" s="{styles_by_format[f]}"' if styles_by_format.get(f) else '"' for f in sp.table_formats]
    out = []
    append = out.append
    for r, row in enumerate(sp.table_rows, start=4):
        append(f'<row r="{r}">')
        for c, value in enumerate(row):
            if value is None:
                continue
            kind = type(value)
            if kind is str:
                if not value:  # as openpyxl writes an empty text (read back as no value)
                    append(f'{heads[c]}{r}{styles[c]} t="inlineStr"/>')
                    continue
                text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
                append(f'{heads[c]}{r}{styles[c]} t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif kind is Decimal or kind is int or kind is float:  # as openpyxl writes numbers
                append(f'{heads[c]}{r}{styles[c]}><v>{"%.16g" % value}</v></c>')
            elif kind is date:
                append(f'{heads[c]}{r}{styles[c]}><v>{(value - _EPOCH).days}</v></c>')
            elif kind is bool:
                append(f'{heads[c]}{r}{styles[c]} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, datetime):
                serial = (value - datetime(1899, 12, 30)).total_seconds() / 86400
                append(f'{heads[c]}{r}{styles[c]}><v>{serial!r}</v></c>')
            else:
                raise TypeError(f"cannot write {value!r} ({kind.__name__}) in the {TABLE} table")
        append("</row>")
    xml = "".join(out)
    if _ILLEGAL.search(xml):  # only text can bring such a character: refuse it as openpyxl does
        for row in sp.table_rows:
            for value in row:
                if isinstance(value, str):
                    _checked_text(value)
    return xml


def _finished(data: bytes, table: tuple[int, SheetPlan] | None, formats: dict[str | None, int]) -> bytes:
    """The file with the table's data rows written into its sheet (xlsxwriter names the
    sheets' parts by position: sheet1.xml, sheet2.xml, ...) and every sheet's page setup
    as openpyxl writes it."""
    part = f"xl/worksheets/sheet{table[0] + 1}.xml" if table else None
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info.filename)
            level = None
            if info.filename.startswith("xl/worksheets/sheet"):
                content = _fit_to_width(content)
            if table and info.filename.startswith("xl/tables/table"):  # the one table: Payments
                width = _column_letters(len(table[1].table_headers))[-1]
                last = 3 + max(1, len(table[1].table_rows))
                content = content.replace(f'ref="A3:{width}4"'.encode(), f'ref="A3:{width}{last}"'.encode())
            if info.filename == part:
                sp = table[1]
                xml = content.decode("utf-8").replace("<sheetData/>", "<sheetData></sheetData>", 1)
                last = 3 + max(1, len(sp.table_rows))
                width = _column_letters(len(sp.table_headers))[-1]
                xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{width}{last}"/>', xml, count=1)
                head, tail = xml.split("</sheetData>", 1)
                content = (head + table_rows_xml(sp, formats) + "</sheetData>" + tail).encode("utf-8")
                level = 1  # the big part: fast compression
            dst.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED, compresslevel=level)
    return out.getvalue()


def _fit_to_width(xml: bytes) -> bytes:
    """fitToWidth="1" spelled out, as openpyxl writes it (xlsxwriter leaves the default out)."""
    return re.sub(rb"<pageSetup (?![^>]*fitToWidth=)", b'<pageSetup fitToWidth="1" ', xml, count=1)
