"""Reading the caller's workbook and writing results into it, the same way for every task.

Why it exists: every ribbon task reads named input cells and tables from the clerk's
workbook and writes result sheets and an Exceptions sheet, through the xlwings object model
only, so the same code runs in the desktop add-in (a live Excel workbook) and on xlwings
Server (``xw.Book(json=...)``, a snapshot whose changes go back as actions). Rules:

- input cells are read through defined names (the templates' names, utilbill.templates);
  each is typed by a `layouts_core.Column`, the same conversion the file readers use;
- tables are read from A1 to the last used cell and typed by the sheet's layout with
  xlio's own row reader, so findings name the sheet's row and header as for a file;
- results go to named output sheets, created or cleared; a task never writes to one of its
  input sheets (`write_sheet` refuses); text from data goes through `xlio.safe_text`
  (Excel would take "=..." typed into a cell for a formula);
- business problems (FindingsError, a missing utility folder, a bad configuration) end on
  the Exceptions sheet with sheet, row and column; bugs still raise.
"""

from __future__ import annotations

import functools
import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from utilbill.config import ConfigError
from utilbill.findings import Finding, FindingsError
from utilbill.home import ENV_VAR, NoUtilityFolder, Utility, open_utility
from utilbill.layouts import EXCEPTIONS_OUT
from utilbill.layouts_core import Column, SheetLayout
from utilbill.rates import RateFileError
from utilbill import xlio

EXCEPTIONS = EXCEPTIONS_OUT.sheet  # "Exceptions"
CONF_SUFFIX = ".conf"  # the add-in's config sheet, also honoured inside the clerk's workbook


def utility_for(book) -> Utility:
    """The utility folder: a ``UTILBILL_HOME`` row on a ``*.conf`` sheet of the workbook
    (xlwings' own per-workbook override), else $UTILBILL_HOME, else the current folder."""
    for sheet in book.sheets:
        if sheet.name.lstrip("_").endswith(CONF_SUFFIX) and not sheet.name.startswith("_"):
            for key, value in grid(sheet):
                if str(key or "").strip().upper() == ENV_VAR and value:
                    return open_utility(str(value).strip())
    return open_utility(os.environ.get(ENV_VAR) or None)


def grid(sheet) -> list[list]:
    """The sheet's values from A1 to its last used cell (rows and columns as on the sheet)."""
    used = sheet.used_range
    last = used.last_cell
    if last.row == 1 and last.column == 1 and used.value in (None, ""):
        return [[None]]
    return sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value


def named(book, name: str, column: Column, problems: list[Finding]):
    """The value of a named input cell typed by `column`; a problem is noted, not raised."""
    try:
        rng = book.names[name].refers_to_range
    except (KeyError, AttributeError):
        problems.append(Finding(f"the workbook has no input cell named {name}; start from the utilbill template",
                                file=book.name, column=name))
        return None
    value, problem = column.parse(rng.value)
    if problem:
        problems.append(Finding(f"{column.name} {problem}", file=book.name, sheet=rng.sheet.name, row=rng.row,
                                column=f"{name} ({rng.address.replace('$', '')})", value=rng.value))
    return value


def read_table(book, layout: SheetLayout, sheet_name: str | None = None) -> xlio.ReadResult:
    """A table on a sheet of the workbook, typed by `layout` with xlio's row reader (header
    found as in a file, every problem a finding with the sheet's row and header). The
    result's `file_hash` is a hash of the values, so re-running on the same sheet is
    recognised as the same input."""
    name = sheet_name or layout.sheet
    if name not in [s.name for s in book.sheets]:
        result = xlio.ReadResult(Path(book.name), sheet=name)
        result.add(f"the workbook has no sheet named {name!r}")
        return result
    return xlio.read_values(grid(book.sheets[name]), layout, name=book.name, sheet=name)


def cell_value(value):
    """A Python value as a cell takes it: Decimal as float (only here), text made safe."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        return xlio.safe_text(xlio.clean_text(value))
    if isinstance(value, (date, datetime, int, float, bool)) or value is None:
        return value
    return xlio.safe_text(str(value))


def write_sheet(book, name: str, rows: list[list], *, inputs=(), header: list[str] | None = None):
    """Create or clear sheet `name` and write `rows` (with `header` above) from A1.
    Refuses to touch one of the task's `inputs` sheets: the clerk's input is never overwritten."""
    if name in inputs:
        raise ValueError(f"a task must not write over its input sheet {name!r}")
    names = [s.name for s in book.sheets]
    if name in names:
        sheet = book.sheets[name]
        sheet.clear_contents()
    else:
        sheet = book.sheets.add(name, after=book.sheets[len(names) - 1])
    data = ([list(header)] if header else []) + [[cell_value(v) for v in row] for row in rows]
    if data:
        width = max(len(r) for r in data)
        sheet["A1"].value = [r + [None] * (width - len(r)) for r in data]
    return sheet


def write_exceptions(book, findings, *, inputs=()) -> int:
    """The Exceptions sheet: one row per finding (severity, file, sheet, row, column, account,
    value, reason); "no problems found" when there are none. Returns the number of errors."""
    rows = []
    for f in findings:
        r = f.as_row()
        rows.append([r["severity"], r["file"], r["sheet"], r["row"], r["column"], r["account"],
                     None if r["value"] in (None, "") else str(r["value"]), r["reason"]])
    if not rows:
        rows = [["info", book.name, None, None, None, None, None, "no problems found"]]
    write_sheet(book, EXCEPTIONS, rows, inputs=inputs, header=EXCEPTIONS_OUT.names)
    return sum(1 for f in findings if f.severity == "error")


def task(*inputs: str):
    """Decorator of a task ``def name(book)``: known problems go to the Exceptions sheet
    (`inputs` are the sheets the task reads and must not write)."""

    def wrap(func):
        @functools.wraps(func)
        def run(book) -> None:
            try:
                func(book)
            except FindingsError as exc:
                findings = list(exc.findings) or [Finding(exc.summary, file=book.name)]
                if exc.summary and all(f.reason != exc.summary for f in findings):
                    findings.insert(0, Finding(exc.summary, file=book.name, severity="summary"))
                write_exceptions(book, findings, inputs=inputs)
            except (NoUtilityFolder, ConfigError, RateFileError) as exc:
                write_exceptions(book, [Finding(str(exc), file=book.name)], inputs=inputs)

        return run

    return wrap


def require(problems: list[Finding], what: str) -> None:
    """Stop the task with the input problems found (they go to the Exceptions sheet)."""
    if any(p.severity == "error" for p in problems):
        raise FindingsError(problems, summary=f"{what}: fix the input cells; nothing was done")
