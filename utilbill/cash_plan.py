"""The daily cash workbook's plan as data: cells, sheets and the workbook, with the number
formats and the spelling of names every sheet shares.

Why it exists: one plan (`cash_sheets.plan_cash_workbook`) is read three ways:
`cash_workbook.render` writes it with openpyxl, `cash_xlsx` writes it fast, `cash_check`
compares a clerk's copy with it formula by formula. This module is the shape they all read,
apart from how the sheets are laid out. A formula cell carries the figure the engine
computed for it (`expected`), an entry cell the input it holds (`input`); `drawer_sheet_name`,
`name_part`, `fund_header` and `col` spell a drawer's sheet name, a workbook name, a fund's
column header and a Payments table reference the same way everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .cash_balancing import status_text
from .layouts import CASH_DRAWER_SHEET_PREFIX, CASH_PAYMENTS_TABLE

MONEY = "#,##0.00;[Red]-#,##0.00"
COUNT = "0"
TABLE = CASH_PAYMENTS_TABLE


@dataclass
class PlanCell:
    ref: str
    kind: str  # title | label | header | value | formula | entry | legend
    value: object
    expected: object = None  # formula cells: the engine's figure
    fmt: str | None = None
    what: str = ""
    input: tuple | None = None  # entry cells: which input the cell holds


@dataclass
class SheetPlan:
    name: str
    cells: dict[str, PlanCell] = field(default_factory=dict)
    widths: dict[str, float] = field(default_factory=dict)
    print_area: str = "A1:F40"
    landscape: bool = False
    table_headers: list[str] = field(default_factory=list)
    table_rows: list[list] = field(default_factory=list)  # the Payments table's data, from row 4
    table_formats: list[str | None] = field(default_factory=list)

    def quoted(self) -> str:
        return "'" + self.name.replace("'", "''") + "'"

    def abs_ref(self, ref: str) -> str:
        col, row = re.match(r"([A-Z]+)(\d+)", ref).groups()
        return f"{self.quoted()}!${col}${row}"

    def put(self, ref, kind, value, *, expected=None, fmt=None, what="", input=None) -> str:
        self.cells[ref] = PlanCell(ref, kind, value, expected, fmt, what, input)
        return ref

    def formula(self, ref, text, expected, *, fmt=MONEY, what="") -> str:
        return self.put(ref, "formula", text, expected=expected, fmt=fmt, what=what or f"{self.name}!{ref}")

    def status(self, ref, diff_ref, diff, what) -> str:
        return self.formula(ref, f'=IF({diff_ref}=0,"BALANCED","OUT OF BALANCE by "&TEXT(ABS({diff_ref}),"#,##0.00"))',
                            status_text(diff), fmt=None, what=what)


@dataclass
class WorkbookPlan:
    sheets: list[SheetPlan]
    names: dict[str, str]  # defined name -> absolute reference
    entry_rows: dict[str, int] = field(default_factory=dict)  # "bank", "voucher": entry rows laid out

    def sheet(self, name: str) -> SheetPlan:
        return next(s for s in self.sheets if s.name == name)

    def formula_cells(self):
        for s in self.sheets:
            for c in s.cells.values():
                if c.kind == "formula":
                    yield s, c

    def entry_cells(self):
        for s in self.sheets:
            for c in s.cells.values():
                if c.kind == "entry":
                    yield s, c


def drawer_sheet_name(drawer: str) -> str:
    return (CASH_DRAWER_SHEET_PREFIX + re.sub(r"[\[\]:*?/\\']", "-", drawer))[:31]


def name_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def fund_header(fund: str) -> str:
    return re.sub(r"[^A-Za-z0-9 _]", " ", fund).strip().title() or "Fund"


def col(c: str) -> str:
    return f"{TABLE}[{c}]"
