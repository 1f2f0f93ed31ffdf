"""Test helpers for the Excel side, on Linux, through xlwings' own remote interpreter.

What Excel would send and do is imitated with the same data shapes xlwings Server uses:

- a **workbook payload** (what Office.js sends with a script call) built from an
  ``.xlsx`` file: `book_payload_from_xlsx`, or from plain lists: `payload_from_values`;
- a **macro run**: `run_macro` runs ``func(xw.Book(json=payload))`` and returns the
  actions (``setValues``, ``addSheet``...) that Excel would apply; `apply_actions` applies
  them back to the payload's grids, so a test reads the results with `values`/`cell`;
- a **worksheet function call** shaped as Office.js makes it (dates as serial numbers,
  blank cells as 0, every argument a 2-D list, omitted optional arguments as null):
  `call_udf`, whose result `plain` turns back into Python values.

Importing this module sets ``XLWINGS_LICENSE_KEY=noncommercial`` (unless set) and puts
xlwings in server mode (`utilbill.server.ensure_server_mode`), repairing an xlwings that
another test imported earlier.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

from utilbill import server  # noqa: E402

server.ensure_server_mode()

import xlwings as xw  # noqa: E402
import xlwings.server as xs  # noqa: E402

__all__ = [
    "OMITTED",
    "apply_actions",
    "book_payload_from_xlsx",
    "call_udf",
    "cell",
    "excel_serial",
    "from_excel_serial",
    "payload_from_values",
    "plain",
    "run_macro",
    "run_task",
    "values",
]

EXCEL_EPOCH = dt.datetime(1899, 12, 30)


# ----------------------------------------------------------------------------- addresses


def col_letter(index: int) -> str:
    """0-based column index -> letters (0 -> A)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_index(letters: str) -> int:
    """Letters -> 0-based column index (A -> 0)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def parse_address(address: str) -> tuple[int, int, int, int]:
    """'$B$2:C5' -> (first row, first col, last row, last col), 0-based, inclusive."""
    address = address.split("!")[-1].replace("$", "")
    parts = address.split(":")
    cells = []
    for part in parts:
        m = re.fullmatch(r"([A-Za-z]+)(\d+)", part)
        if not m:
            raise ValueError(f"cannot parse address {address!r}")
        cells.append((int(m.group(2)) - 1, col_index(m.group(1))))
    (r1, c1), (r2, c2) = cells[0], cells[-1]
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def address_of(r1: int, c1: int, r2: int, c2: int) -> str:
    first = f"{col_letter(c1)}{r1 + 1}"
    last = f"{col_letter(c2)}{r2 + 1}"
    return first if first == last else f"{first}:{last}"


# ----------------------------------------------------------------------------- dates


def excel_serial(value: dt.date | dt.datetime) -> float | int:
    """A date as Excel's serial number (1900 date system): 2026-01-31 -> 46053."""
    if isinstance(value, dt.datetime):
        delta = value - EXCEL_EPOCH
        return delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
    return (value - EXCEL_EPOCH.date()).days


def from_excel_serial(serial: float) -> dt.date | dt.datetime:
    """Inverse of `excel_serial`: whole numbers give a date, fractions a datetime."""
    moment = EXCEL_EPOCH + dt.timedelta(days=serial)
    return moment.date() if float(serial).is_integer() else moment


def _iso_z(value: dt.date | dt.datetime) -> str:
    """How Office.js sends a date cell: ISO 8601 in UTC with milliseconds and a Z."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


# ----------------------------------------------------------------------------- payloads


def _sheet_entry(name: str, grid: list[list[Any]], **extra: Any) -> dict[str, Any]:
    sheet = {
        "name": name,
        "visibility": "Visible",
        "show_gridlines": True,
        "print_area": None,
        "notes": [],
        "notes_supported": True,
        "values": grid,
        "pictures": [],
        "shapes": [],
        "charts": [],
        "tables": [],
        "pivot_tables": [],
    }
    sheet.update(extra)
    _refresh_used_range(sheet)
    return sheet


def _empty_payload(book_name: str) -> dict[str, Any]:
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": book_name, "active_sheet_index": 0, "selection": "A1", "calculation": "Automatic"},
        "names": [],
        "sheets": [],
    }


def _office_cell(value: Any) -> Any:
    """A Python cell value as Office.js puts it in a payload."""
    if value is None:
        return ""
    if isinstance(value, (dt.datetime, dt.date)):
        return _iso_z(value)
    if isinstance(value, dt.time):
        return _iso_z(dt.datetime.combine(EXCEL_EPOCH.date(), value))
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def payload_from_values(
    sheets: dict[str, list[list[Any]]],
    *,
    names: dict[str, str] | None = None,
    book_name: str = "Book.xlsx",
    active: int = 0,
    selection: str = "A1",
) -> dict[str, Any]:
    """A payload from {sheet name: rows from A1}; `names` maps a defined name to what it
    refers to (``"=Sheet!$A$1"`` or a constant such as ``'="final_bill"'``)."""
    payload = _empty_payload(book_name)
    for name, rows in sheets.items():
        grid = [[_office_cell(v) for v in row] for row in rows] or [[""]]
        width = max(len(r) for r in grid) or 1
        payload["sheets"].append(_sheet_entry(name, [r + [""] * (width - len(r)) for r in grid]))
    payload["book"]["active_sheet_index"] = active
    payload["book"]["selection"] = selection
    for name, refers_to in (names or {}).items():
        payload["names"].append(_name_entry(payload, name, refers_to))
    return payload


def _name_entry(payload, name: str, refers_to: str, scope_sheet: str | None = None) -> dict[str, Any]:
    sheet_index, address, kind = None, None, "String"
    m = re.fullmatch(r"=\s*'?(.+?)'?!(\$?[A-Z]+\$?\d+(?::\$?[A-Z]+\$?\d+)?)", refers_to)
    if m:
        sheet_names = [s["name"] for s in payload["sheets"]]
        if m.group(1) in sheet_names:
            sheet_index = sheet_names.index(m.group(1))
            address = address_of(*parse_address(m.group(2)))
            kind = "Range"
    scope_index = None
    if scope_sheet is not None:
        scope_index = [s["name"] for s in payload["sheets"]].index(scope_sheet)
    return {
        "name": name,
        "refers_to": refers_to,
        "type": kind,
        "sheet_index": sheet_index,
        "address": address,
        "scope_sheet_name": scope_sheet,
        "scope_sheet_index": scope_index,
        "book_scope": scope_sheet is None,
    }


def book_payload_from_xlsx(path, *, data_only: bool = True) -> dict[str, Any]:
    """The payload Office.js would send for the workbook at `path`.

    Values come from A1 to the last non-empty cell of each sheet, ``""`` for empty cells,
    dates as ISO strings ending in Z; names from the defined names (book and sheet
    scope); tables with their addresses. With ``data_only=True`` (the default) formula
    cells give their cached results: a file written by openpyxl has none until a
    spreadsheet program has recalculated it, so those cells read as ``""``; pass
    ``data_only=False`` to see the formulas instead.
    """
    import openpyxl

    path = Path(path)
    wb = openpyxl.load_workbook(path, data_only=data_only)
    payload = _empty_payload(path.name)
    for ws in wb.worksheets:
        last_row = last_col = 0
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is None or c.value == "":
                    continue
                cells[(c.row - 1, c.column - 1)] = c.value
                last_row, last_col = max(last_row, c.row), max(last_col, c.column)
        grid = [["" for _ in range(max(last_col, 1))] for _ in range(max(last_row, 1))]
        for (r, c), v in cells.items():
            grid[r][c] = _office_cell(v)
        visibility = {"visible": "Visible", "hidden": "Hidden", "veryHidden": "VeryHidden"}[ws.sheet_state]
        print_area = ws.print_area
        if print_area:
            print_area = ",".join(
                address_of(*parse_address(a)) for a in str(print_area).split(",")
            )
        sheet = _sheet_entry(
            ws.title,
            grid,
            visibility=visibility,
            show_gridlines=bool(ws.sheet_view.showGridLines in (None, True)),
            print_area=print_area or None,
        )
        for table in ws.tables.values():
            sheet["tables"].append(_table_entry(table.name, table.ref, grid, table.headerRowCount != 0,
                                                bool(table.totalsRowCount), table.tableStyleInfo))
        payload["sheets"].append(sheet)
    payload["book"]["active_sheet_index"] = wb.worksheets.index(wb.active)
    selection = wb.active.sheet_view.selection
    if selection and selection[0].sqref:
        payload["book"]["selection"] = address_of(*parse_address(str(selection[0].sqref).split()[0]))
    for name, defn in wb.defined_names.items():
        payload["names"].append(_name_entry(payload, name, "=" + defn.attr_text))
    for ws in wb.worksheets:
        for name, defn in ws.defined_names.items():
            payload["names"].append(_name_entry(payload, name, "=" + defn.attr_text, scope_sheet=ws.title))
    return payload


def _table_entry(name, ref, grid, show_headers=True, show_totals=False, style=None) -> dict[str, Any]:
    r1, c1, r2, c2 = parse_address(ref)
    header_row = grid[r1] if show_headers and r1 < len(grid) else []
    columns = [str(header_row[c]) if c < len(header_row) and header_row[c] != "" else f"Column{c - c1 + 1}"
               for c in range(c1, c2 + 1)]
    body_r1 = r1 + (1 if show_headers else 0)
    body_r2 = r2 - (1 if show_totals else 0)
    return {
        "name": name,
        "range_address": address_of(r1, c1, r2, c2),
        "row_count": r2 - r1 + 1,
        "column_count": c2 - c1 + 1,
        "columns": columns,
        "header_row_range_address": address_of(r1, c1, r1, c2) if show_headers else None,
        "data_body_range_address": address_of(body_r1, c1, max(body_r1, body_r2), c2),
        "total_row_range_address": address_of(r2, c1, r2, c2) if show_totals else None,
        "show_headers": show_headers,
        "show_totals": show_totals,
        "table_style": getattr(style, "name", None) or (style if isinstance(style, str) else "TableStyleMedium2"),
        "show_autofilter": True,
        "show_table_style_first_column": False,
        "show_table_style_last_column": False,
        "show_table_style_row_stripes": True,
        "show_table_style_column_stripes": False,
    }


def _refresh_used_range(sheet: dict[str, Any]) -> None:
    grid = sheet["values"]
    filled = [(r, c) for r, row in enumerate(grid) for c, v in enumerate(row) if v != ""]
    if not filled:
        sheet.update(used_range_address=None, used_range_row_count=0, used_range_column_count=0)
        return
    r1, r2 = min(r for r, _ in filled), max(r for r, _ in filled)
    c1, c2 = min(c for _, c in filled), max(c for _, c in filled)
    sheet.update(
        used_range_address=address_of(r1, c1, r2, c2),
        used_range_row_count=r2 - r1 + 1,
        used_range_column_count=c2 - c1 + 1,
    )


# ----------------------------------------------------------------------------- macros


def run_macro(func: Callable[[xw.Book], Any], payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Run a macro on ``xw.Book(json=payload)``; return the actions Excel would apply.
    The payload is not changed."""
    book = xw.Book(json=copy.deepcopy(payload))
    try:
        func(book)
        return copy.deepcopy(book.json()["actions"])
    finally:
        book.close()


def run_task(name: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """`run_macro` for a task of the catalog, by name (``"bill_run"``)."""
    import macros_py

    return run_macro(macros_py.resolve(name), payload)


_DATE_TEXT = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?")

# Actions that change only how cells look, or nothing a value-reading test can see.
_NO_VALUE_EFFECT = {
    "setFontProperty", "setNumberFormat", "setColumnWidth", "setRowHeight", "setAutofit",
    "setSheetAutofit", "setRangeColor", "setRangeColors", "setHorizontalAlignment",
    "setVerticalAlignment", "setWrapText", "setBorderProperty", "rangeClearFormats",
    "sheetClearFormats", "freezePaneAtRange", "freezePaneUnfreeze", "setShowGridlines",
    "setColumnHidden", "setRowHidden", "setCalculation", "setScreenUpdating", "calculate",
    "alert", "rangeAdjustIndent", "rangeMerge", "rangeUnmerge", "rangeGroup", "rangeUngroup",
    "addConditionalFormat", "setConditionalFormat", "deleteConditionalFormat",
    "clearConditionalFormats", "setDataValidationList", "setDataValidationRule",
    "deleteDataValidation", "setTableStyle", "showAutofilterTable", "showHeadersTable",
    "showTableStyleColumnStripes", "showTableStyleFirstColumn", "showTableStyleLastColumn",
    "showTableStyleRowStripes", "save", "addNote", "deleteNote", "setNoteText",
}


def _written(value: Any) -> Any:
    """A value written by a macro as Excel would store it (and send it back next time)."""
    if value is None:
        return ""
    if isinstance(value, str):
        m = _DATE_TEXT.fullmatch(value)
        if m:  # Excel turns date text into a date cell
            parts = [int(p) if p else 0 for p in m.groups()]
            return _iso_z(dt.datetime(*parts))
        return value
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _ensure(grid: list[list[Any]], rows: int, cols: int) -> None:
    width = max(cols, max((len(r) for r in grid), default=0))
    while len(grid) < rows:
        grid.append([])
    for row in grid:
        row.extend([""] * (width - len(row)))


def _block(action) -> tuple[int, int, int, int]:
    r, c = action["start_row"], action["start_column"]
    return r, c, r + action["row_count"] - 1, c + action["column_count"] - 1


def _fill(grid, r1, c1, r2, c2, rows) -> None:
    _ensure(grid, r2 + 1, c2 + 1)
    single = not isinstance(rows, list)
    if not single and len(rows) == 1 and len(rows[0]) == 1 and (r2 > r1 or c2 > c1):
        rows, single = rows[0][0], True
    for i, r in enumerate(range(r1, r2 + 1)):
        for j, c in enumerate(range(c1, c2 + 1)):
            grid[r][c] = _written(rows if single else rows[i][j])


def apply_actions(payload: dict[str, Any], actions: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A copy of `payload` with `actions` applied to its sheets, names and tables.

    Values are stored as Excel would send them back: date text becomes an ISO date,
    ``None`` becomes ``""``; a formula is stored as its text (no engine computes it here).
    Formatting actions are ignored; an action this function does not know raises, so a
    test never passes by silently dropping what a macro did.
    """
    payload = copy.deepcopy(payload)
    sheets = payload["sheets"]
    for action in actions:
        func, args = action["func"], action.get("args") or []
        sheet = sheets[action["sheet_position"]] if action.get("sheet_position") is not None else None
        if func in _NO_VALUE_EFFECT:
            continue
        if func == "setValues" or func == "setFormula":
            _fill(sheet["values"], *_block(action), action["values"])
        elif func in ("rangeClearContents", "rangeClear"):
            _fill(sheet["values"], *_block(action), "")
        elif func in ("sheetClearContents", "sheetClear"):
            sheet["values"] = [[""]]
        elif func == "addSheet":
            index, name = args[0], args[1]
            sheets.insert(index, _sheet_entry(name or f"Sheet{len(sheets) + 1}", [[""]]))
            payload["book"]["active_sheet_index"] = index
        elif func == "sheetDelete":
            del sheets[action["sheet_position"]]
        elif func == "setSheetName":
            sheet["name"] = args[0]
        elif func == "setSheetPosition":
            sheets.insert(args[0], sheets.pop(action["sheet_position"]))
        elif func == "copySheet":
            position, target, name = args
            clone = copy.deepcopy(sheet)
            clone["name"] = name
            sheets.insert(target if position == "Before" else target + 1, clone)
        elif func == "setSheetVisibility":
            sheet["visibility"] = args[0]
        elif func == "setPrintArea":
            sheet["print_area"] = args[0] if args else None
        elif func == "activateSheet":
            payload["book"]["active_sheet_index"] = args[0]
        elif func == "rangeSelect":
            payload["book"]["active_sheet_index"] = action["sheet_position"]
            payload["book"]["selection"] = address_of(*_block(action))
        elif func == "rangeDelete":
            _shift(sheet["values"], *_block(action), args[0], delete=True)
        elif func == "rangeInsert":
            _shift(sheet["values"], *_block(action), args[0], delete=False)
        elif func == "addHyperlink":
            address, text = args[0], args[1]
            _fill(sheet["values"], *_block(action), text if text is not None else address)
        elif func == "namesAdd":  # through sheet.names: scoped to that sheet
            scope = sheet["name"] if sheet is not None else None
            payload["names"].append(_name_entry(payload, args[0], args[1], scope_sheet=scope))
        elif func == "setRangeName":
            ref = f"='{sheet['name']}'!{_absolute(address_of(*_block(action)))}"
            payload["names"].append(_name_entry(payload, args[0], ref))
        elif func == "nameDelete":
            short, book_scope, scope_index = args[2], args[4], args[5]
            payload["names"] = [
                n for n in payload["names"]
                if not (n["name"].split("!")[-1] == short and n["book_scope"] == book_scope
                        and (book_scope or n["scope_sheet_index"] == scope_index))
            ]
        elif func == "setNameRefersTo":
            short, book_scope, scope_index, refers_to = args
            for i, n in enumerate(payload["names"]):
                if n["name"].split("!")[-1] == short and n["book_scope"] == book_scope and (
                    book_scope or n["scope_sheet_index"] == scope_index
                ):
                    entry = _name_entry(payload, n["name"], refers_to, n["scope_sheet_name"])
                    payload["names"][i] = entry
        elif func == "addTable":
            source, has_headers, style, name = args
            existing = [t["name"] for s in sheets for t in s["tables"]]
            name = name or f"Table{len(existing) + 1}"
            sheet["tables"].append(_table_entry(name, source, sheet["values"], bool(has_headers), False, style))
        elif func == "setTableName":
            raise NotImplementedError("apply_actions: setTableName (extend the harness)")
        else:
            raise NotImplementedError(f"apply_actions does not know the action {func!r}")
    for sheet in sheets:
        _refresh_used_range(sheet)
    return payload


def _absolute(address: str) -> str:
    return re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", address)


def _shift(grid, r1, c1, r2, c2, shift: str, delete: bool) -> None:
    """Excel's Delete/Insert with shift up/left (delete) or down/right (insert)."""
    _ensure(grid, r2 + 1, c2 + 1)
    height, width = r2 - r1 + 1, c2 - c1 + 1
    if shift in ("up", "down"):
        rows = len(grid)
        if not delete:
            _ensure(grid, rows + height, c2 + 1)
        for c in range(c1, c2 + 1):
            column = [grid[r][c] for r in range(rows)]
            if delete:
                column = column[:r1] + column[r2 + 1:] + [""] * height
            else:
                column = column[:r1] + [""] * height + column[r1:]
            for r, v in enumerate(column):
                grid[r][c] = v
    else:
        for r in range(r1, r2 + 1):
            row = grid[r]
            if delete:
                grid[r] = row[:c1] + row[c2 + 1:] + [""] * width
            else:
                grid[r] = row[:c1] + [""] * width + row[c1:]
        _ensure(grid, len(grid), max(len(r) for r in grid))


def sheet_payload(payload: dict[str, Any], sheet: str) -> dict[str, Any]:
    for s in payload["sheets"]:
        if s["name"] == sheet:
            return s
    raise KeyError(f"no sheet {sheet!r} (sheets: {[s['name'] for s in payload['sheets']]})")


def values(payload: dict[str, Any], sheet: str, address: str | None = None) -> list[list[Any]]:
    """The grid of a sheet (or of `address` on it), as stored in the payload."""
    grid = sheet_payload(payload, sheet)["values"]
    if address is None:
        return [list(row) for row in grid]
    r1, c1, r2, c2 = parse_address(address)
    return [
        [grid[r][c] if r < len(grid) and c < len(grid[r]) else "" for c in range(c1, c2 + 1)]
        for r in range(r1, r2 + 1)
    ]


def cell(payload: dict[str, Any], sheet: str, address: str) -> Any:
    """One cell as stored in the payload (``""`` if empty)."""
    return values(payload, sheet, address)[0][0]


def book(payload: dict[str, Any]) -> xw.Book:
    """An ``xw.Book`` over the payload, to read results the way a macro would."""
    return xw.Book(json=copy.deepcopy(payload))


# ----------------------------------------------------------------------------- UDFs


class _Omitted:
    def __repr__(self) -> str:
        return "OMITTED"


OMITTED = _Omitted()  # an optional argument left out of the formula (Office.js sends null)


def _office_value(value: Any, blank: Any) -> Any:
    if value is None:
        return blank
    if isinstance(value, (dt.date, dt.datetime)):
        return excel_serial(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def to_office_arg(value: Any, blank: Any = 0) -> Any:
    """One argument as Office.js passes it: a 2-D list, or None when omitted."""
    if value is OMITTED:
        return None
    if isinstance(value, (list, tuple)):
        rows = value if value and isinstance(value[0], (list, tuple)) else [value]
        return [[_office_value(v, blank) for v in row] for row in rows]
    return [[_office_value(value, blank)]]


async def call_udf_async(func_name: str, args: list[Any], module=None, *, blank: Any = 0,
                         caller_address: str = "Sheet1!A1", date_format: str = "M/d/yyyy",
                         culture: str = "en-US") -> Any:
    """`call_udf` for tests that already run an event loop."""
    module = module if module is not None else server.udf_module()
    name = func_name.lower()
    func = getattr(module, name, None)
    if func is None:
        raise AttributeError(f"{getattr(module, '__name__', module)} has no function {name}")
    if not hasattr(func, "__xlfunc__"):
        raise TypeError(
            f"{name} carries no xlwings metadata: decorate it with @xw.func, and import its "
            "module after xlwings is in server mode (import xlwings_harness first)"
        )
    params = func.__xlfunc__["args"]
    vararg = any(p["vararg"] for p in params)
    fixed = [p for p in params if not p["vararg"]]
    office = [to_office_arg(a, blank) for a in args[: len(fixed)]]
    office += [None] * (len(fixed) - len(office))  # Excel sends null for omitted arguments
    if vararg:
        office.append([to_office_arg(a, blank) for a in args[len(fixed):]])
    elif len(args) > len(fixed):
        raise TypeError(f"{name} takes {len(fixed)} arguments, got {len(args)}")
    data = {
        "func_name": name,
        "args": office,
        "caller_address": caller_address,
        "version": xw.__version__,
        "client": "Office.js",
        "runtime": "1.4",
        "culture_info_name": culture,
        "date_format": date_format,
    }
    return await xs.custom_functions_call(data, module)


def call_udf(func_name: str, args: list[Any], module=None, **kwargs: Any) -> Any:
    """Call a worksheet function the way Excel's Office.js runtime does, through
    ``xlwings.server.custom_functions_call``, and return what Excel would receive
    (a 2-D list; see `plain`).

    `func_name` is the Excel or Python name; `args` are Python values: dates become
    serial numbers, ``None`` a blank cell (sent as ``blank``, 0 by default), a list a row,
    a list of lists a range, `OMITTED` an argument left out. `module` defaults to the
    ``udfs`` package.
    """
    return asyncio.run(call_udf_async(func_name, args, module, **kwargs))


def plain(result: Any) -> Any:
    """A custom-function result in Python terms: date-formatted numbers become dates, and
    a 1x1 result its single value."""

    def one(v):
        if isinstance(v, dict) and v.get("type") == "FormattedNumber":
            return from_excel_serial(v["basicValue"])
        return v

    if isinstance(result, list):
        rows = [[one(v) for v in row] for row in result]
        return rows[0][0] if len(rows) == 1 and len(rows[0]) == 1 else rows
    return one(result)
