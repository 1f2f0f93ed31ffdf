"""The Bills workbook a bill run writes: Bills, Lines, Exceptions and Summary sheets.

A bill per row on Bills (the layout `layouts.BILLS_OUT`, which `verify-run` reads back),
every charge line with how it was computed on Lines, every held-out row with its reason on
Exceptions, and the run's totals on Summary. Written with the Rust writer rustpy-xlsxwriter
(it stores every string as a text cell), which is handed each sheet by column rather than a
dict per row; or xlsxwriter in constant-memory mode where the Rust writer is not installed.
Every data string is written as text (never a formula) and the file is written atomically.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import chain, repeat
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


def _summary_rows(result, figures=None) -> list[tuple[str, object]]:
    """The Summary sheet's figures; `figures` are `_bill_figures(result.bills)` when known."""
    figures = _bill_figures(result.bills) if figures is None else figures
    return [
        ("Bill run date", result.run_date.isoformat()),
        ("Readings file", str(result.source)),
        ("Bills computed", len(result.bills)),
        ("Bills posted now", result.posted),
        ("Bills already in the store (not posted again)", result.already_posted),
        ("Rows held out (Exceptions sheet)", len([f for f in result.findings if f.severity == "error"])),
        ("Estimated reads", sum(1 for b in result.bills if b.estimated)),
        ("Total billed", sum((f[2] for f in figures), Decimal("0.00"))),
        ("Water", sum((f[0] for f in figures), Decimal("0.00"))),
        ("Wastewater", sum((f[1] for f in figures), Decimal("0.00"))),
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
        write_bills_file(result, tmp)
    return path


def write_bills_file(result, path: Path) -> None:
    """The workbook's bytes into `path` as it is (the caller makes that atomic: the bill run's
    forked writer fills the temporary file its parent renames after the commit)."""
    try:
        import rustpy_xlsxwriter  # noqa: F401
    except ImportError:
        _write_xlsxwriter(result, path)
    else:
        _write_rust(result, path)


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


# --- the Rust writer: each sheet handed over by column ------------------------------------
#
# FastExcel takes rows as dicts, or a DataFrame as columns. A dict per row cost more than the
# Rust writer itself (and 250 MB at 100,000 bills), so the Bills, Lines and Exceptions sheets
# go to it as `_Columns`: plain lists in the shape its DataFrame reader takes. The cells are
# the same as from dicts of `_cell` values (tests/test_bills_workbook.py compares the files).

_NUMBER_KINDS = {"money": "f", "decimal": "f", "int": "i"}  # numpy-style dtype kinds; else "O"
_YN = {True: "Y", False: "N"}


class _Kind:
    def __init__(self, kind: str):
        self.kind = kind


class _Column:
    def __init__(self, values: list):
        self._values = values

    def tolist(self) -> list:
        return self._values


class _Columns:
    """A sheet as FastExcel (0.8) reads a DataFrame: `columns` (the headers), `dtypes` (a kind
    per column: "f" numbers written as float(v), "i" integers, "O" each value by its type:
    str as text, None as a blank, date as a date), `frame[name].tolist()` and `len(frame)`."""

    def __init__(self, names: Sequence[str], kinds: Sequence[str], columns: Sequence[list]):
        self.columns = list(names)
        self.dtypes = [_Kind(_NUMBER_KINDS.get(k, "O")) for k in kinds]
        self._by_name = dict(zip(names, columns))
        self._rows = len(columns[0])

    def __getitem__(self, name: str) -> _Column:
        return _Column(self._by_name[name])

    def __len__(self) -> int:
        return self._rows


def _cells(values: list, kind: str) -> list:
    """`[_cell(v, kind) for v in values]` for the Rust writer, quicker, except that a Decimal
    or a date goes as it is: the writer stores a Decimal as float(v), as `_cell` does, and a
    date as that day, the same cell as `_cell`'s midnight datetime."""
    cell = _cell
    if kind in ("money", "decimal"):
        return [v if v.__class__ is Decimal or v.__class__ is float else cell(v, kind) for v in values]
    if kind == "int":
        return [v if v.__class__ is int else cell(v, kind) for v in values]
    if kind == "date":
        return [v if v.__class__ is date else cell(v, kind) for v in values]
    if kind == "bool":
        return [_YN[v] if v.__class__ is bool else cell(v, kind) for v in values]
    return [v if v.__class__ is str and v else cell(v, kind) for v in values]


def _bill_figures(bills) -> list[tuple[Decimal, Decimal, Decimal]]:
    """Each bill's water part, wastewater part and total, worked out once per priced bill (the
    vectorized engine shares one PricedBill among the bills priced alike)."""
    zero, memo, out = Decimal("0.00"), {}, []
    for p in [b.priced for b in bills]:
        f = memo.get(id(p))
        if f is None:
            funds = p.fund_totals()
            f = memo[id(p)] = (funds.get("water", zero), funds.get("wastewater", zero), p.total)
        out.append(f)
    return out


def _bill_columns(bills, figures, keys) -> list[list]:
    """The Bills sheet by column, in BILLS_OUT's order: the values `_bill_row` gives."""
    periods = [b.period for b in bills]
    cols = [
        [b.account_no for b in bills], [b.kind for b in bills], [b.bill_date for b in bills],
        [b.due_date for b in bills], [p.start for p in periods], [p.end for p in periods],
        [p.days for p in periods], [b.previous_reading for b in bills], [b.reading for b in bills],
        [b.units for b in bills], [b.estimated for b in bills], [b.rollover for b in bills],
        [b.regular for b in bills], [b.winter.units_per_month if b.winter else None for b in bills],
        [b.priced.wastewater_units for b in bills], [f[0] for f in figures], [f[1] for f in figures],
        [f[2] for f in figures], keys,
    ]
    return [_cells(c, col.kind) for c, col in zip(cols, BILLS_OUT.columns)]


def _line_columns(bills, keys) -> list[list]:
    """The Lines sheet by column, in BILL_LINES_OUT's order: the values `_line_rows` gives. A
    line's own cells are converted once per distinct line (bills priced alike share them),
    then spread by each line's place among the distinct ones; no object is made per line."""
    where: dict[int, int] = {}
    distinct: list = []
    places = []
    for line in [l for b in bills for l in b.lines]:
        at = where.get(id(line))
        if at is None:
            at = where[id(line)] = len(distinct)
            distinct.append(line)
        places.append(at)
    counts = [len(b.lines) for b in bills]
    cols = [list(chain.from_iterable(map(repeat, _cells([b.account_no for b in bills], "account"), counts))),
            list(chain.from_iterable(map(repeat, _cells(keys, "text"), counts))),
            [i for n in counts for i in range(1, n + 1)]]
    for name, col in zip(("code", "description", "fund", "quantity", "rate", "amount", "basis"),
                         BILL_LINES_OUT.columns[3:]):
        values = [getattr(l, name) for l in distinct]
        if col.kind in ("money", "decimal"):  # a float made once per distinct line
            cells = [_cell(v, col.kind) for v in values]
        else:
            cells = _cells(values, col.kind)
        cols.append(list(map(cells.__getitem__, places)))
    return cols


def _exception_columns(result) -> list[list]:
    rows = list(_exception_rows(result))
    if not rows:
        return [[] for _ in EXCEPTIONS_OUT.columns]
    return [_cells(list(c), col.kind) for c, col in zip(zip(*rows), EXCEPTIONS_OUT.columns)]


def _write_rust(result, tmp: Path) -> None:
    from rustpy_xlsxwriter import FastExcel, Format

    formats = {"money": Format().set_num_format("#,##0.00"), "date": Format().set_num_format("yyyy-mm-dd"),
               "decimal": Format().set_num_format("0.#########")}
    header = Format().set_bold().set_background_color("#DCE6F1").set_border("thin")
    book = FastExcel(str(tmp), output_format="xlsx")
    bills = result.bills
    figures = _bill_figures(bills)
    summary = [{"Bill run summary": k, "figure": float(v) if isinstance(v, Decimal) else v}
               for k, v in _summary_rows(result, figures)]
    book.sheet("Summary", summary, column_widths=[44, 22], header_format=header,
               column_formats=[None, formats["money"]])
    keys = [b.bill_key for b in bills]
    sheets = [("Bills", BILLS_OUT, _bill_columns(bills, figures, keys)),
              ("Lines", BILL_LINES_OUT, _line_columns(bills, keys)),
              ("Exceptions", EXCEPTIONS_OUT, _exception_columns(result))]
    for name, layout, columns in sheets:
        names, kinds = layout.names, [c.kind for c in layout.columns]
        if not columns[0]:
            columns = [[None] for _ in names]  # a sheet with no rows: one blank row under the headers
        widths = [WIDTHS[name].get(n, max(10, len(n) + 2)) for n in names]
        book.sheet(name, _Columns(names, kinds, columns), column_widths=widths, header_format=header,
                   autofilter=True, column_formats=[formats.get(k) for k in kinds])
        book.freeze(row=1, col=0, sheet=name)
    book.save()
