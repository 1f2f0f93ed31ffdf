"""Checking a clerk's daily cash workbook: recompute every figure and compare, formula by
formula, with what the workbook says.

Implements domain §8's requirement that the software's own computation of the daily cash
figures agrees with the spreadsheet's, cent for cent, and lets a supervisor trust a workbook
that passed through many hands. The check reads the counts the clerk typed (the entry
cells), recomputes the day from those counts and the store's payments, lays the workbook
out again (`cash_sheets.plan_cash_workbook`), and compares:
- every formula cell's formula text with the formula utilbill wrote (a shortened SUM range,
  a changed reference, a number typed over a formula all show up);
- every formula cell's result with the engine's figure (the workbook's saved results when
  Excel saved it; otherwise LibreOffice recalculates a copy);
- every data cell (the Payments table, control totals, opening fund) with the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from .cash_balancing import BankReportLine, CashDay, CashInputs, DrawerCount, Voucher
from .cash_day import cash_day
from .cash_sheets import TABLE, WorkbookPlan, plan_cash_workbook
from .findings import Finding, FindingsError
from .layouts import CASH_SHEETS
from .money import ZERO, MoneyError, to_money


@dataclass(frozen=True)
class CellDifference:
    sheet: str
    ref: str
    what: str
    kind: str  # formula | value | data
    expected: object
    found: object

    def __str__(self) -> str:
        if self.kind == "formula":
            if isinstance(self.found, str) and self.found.startswith("="):
                return f"{self.sheet}!{self.ref} ({self.what}): formula changed: expected {self.expected} found {self.found}"
            return (f"{self.sheet}!{self.ref} ({self.what}): a typed value {self.found!r} replaces the formula "
                    f"{self.expected}")
        return f"{self.sheet}!{self.ref} ({self.what}): expected {_show(self.expected)} found {_show(self.found)}"


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, Decimal):
        return f"{value:,}"
    return "blank" if value is None else str(value)


@dataclass
class CashCheckResult:
    path: Path
    day: date
    cash_day: CashDay
    differences: list[CellDifference] = field(default_factory=list)
    values_from: str = ""  # "saved results" | "LibreOffice recalculation"
    cells_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def status(self) -> str:
        if self.differences:
            return f"WORKBOOK DIFFERS from utilbill's figures ({len(self.differences)} cell(s))"
        return "BALANCED" if self.cash_day.balanced else "OUT OF BALANCE"


def check_cash_workbook(u, path) -> CashCheckResult:
    """The clerk's job `cash check FILE` (see the module doc)."""
    import openpyxl

    from .xlio import describe_file

    path = Path(path)
    kind, problem = describe_file(path)
    if problem or kind != "xlsx":
        raise FindingsError([Finding(problem or "not an Excel workbook: give the daily cash workbook (.xlsx)",
                                     file=path.name)], "cannot check the workbook")
    formulas = openpyxl.load_workbook(path)
    saved = openpyxl.load_workbook(path, data_only=True)
    summary = CASH_SHEETS["summary"]
    if summary not in formulas.sheetnames:
        raise FindingsError([Finding(f"no {summary} sheet: not a daily cash workbook", file=path.name)],
                            "cannot check the workbook")
    day = formulas[summary]["B3"].value
    day = day.date() if isinstance(day, datetime) else day
    if not isinstance(day, date):
        raise FindingsError([Finding("the business day is missing", file=path.name, sheet=summary, column="B3",
                                     value=day)], "cannot check the workbook")
    values, values_from = _values(path, plan_for_values(u, day, formulas), saved)
    return compare_workbook(u, day, formulas, values, values_from=values_from, formulas_known=True, path=path)


def plan_for_values(u, day: date, wb) -> WorkbookPlan:
    """The layout the check compares against: the day re-planned from the workbook's counts."""
    first = plan_cash_workbook(cash_day(u, day))
    inputs, _ = _inputs(first, wb)
    return plan_cash_workbook(cash_day(u, day, inputs=inputs),
                              **{f"{k}_rows": v for k, v in first.entry_rows.items()})


def compare_workbook(u, day: date, wb, values, *, values_from: str, formulas_known: bool,
                     path: Path | None = None) -> CashCheckResult:
    """Compare a daily cash workbook with utilbill's figures. `wb` gives cell contents
    (`wb[sheet][ref].value`, `wb.sheetnames`, `iter_rows`): formulas and typed values when
    `formulas_known`, else only values (Office.js); `values(sheet, ref)` gives formula results."""
    first = plan_cash_workbook(cash_day(u, day))
    inputs, problems = _inputs(first, wb)
    cd = cash_day(u, day, inputs=inputs)
    plan = plan_cash_workbook(cd, **{f"{k}_rows": v for k, v in first.entry_rows.items()})
    result = CashCheckResult(path or Path(""), day, cd, differences=problems, values_from=values_from)
    for sheet, cell in plan.formula_cells():
        result.cells_checked += 1
        if sheet.name not in wb.sheetnames:
            result.differences.append(CellDifference(sheet.name, cell.ref, "sheet", "data", "present", "missing"))
            continue
        if formulas_known:
            found = wb[sheet.name][cell.ref].value
            if not isinstance(found, str) or _norm(found) != _norm(cell.value):
                result.differences.append(CellDifference(sheet.name, cell.ref, cell.what, "formula", cell.value, found))
        got = values(sheet.name, cell.ref)
        if not _same(got, cell.expected):
            result.differences.append(CellDifference(sheet.name, cell.ref, cell.what, "value", cell.expected, got))
    _data(plan, wb, result)
    return result


def _norm(formula: str) -> str:
    return re.sub(r"\s+", "", formula).upper()


def _same(got, expected) -> bool:
    if isinstance(expected, str):
        return got == expected
    if isinstance(got, bool) or got is None:
        return expected in (None, 0, ZERO) and got is None
    try:
        return to_money(got) == to_money(expected)
    except MoneyError:
        return False


def _values(path: Path, plan: WorkbookPlan, saved):
    cells = list(plan.formula_cells())
    have = [s.name in saved.sheetnames and saved[s.name][c.ref].value is not None for s, c in cells]
    if cells and all(have):
        return (lambda sheet, ref: saved[sheet][ref].value), "saved results"
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    from .recalc import recalculate

    grid = recalculate(path)

    def lookup(sheet, ref):
        col, row = coordinate_from_string(ref)
        rows = grid.get(sheet, [])
        c = column_index_from_string(col) - 1
        return rows[row - 1][c] if row - 1 < len(rows) and c < len(rows[row - 1]) else None

    return lookup, "LibreOffice recalculation"


def _inputs(plan: WorkbookPlan, wb) -> tuple[CashInputs, list[CellDifference]]:
    """The counts typed into the entry cells (a cell that cannot be read is a difference)."""
    inputs, problems = CashInputs(), []
    bank: dict[int, dict] = {}
    vouchers: dict[int, dict] = {}
    for sheet, cell in plan.entry_cells():
        raw = wb[sheet.name][cell.ref].value if sheet.name in wb.sheetnames else None
        key = cell.input
        text_field = key[-1] in ("bank", "no", "payee")
        try:
            value = (None if raw is None or raw == "" else str(raw).strip()) if text_field else _number(raw, key)
        except (MoneyError, ValueError):
            problems.append(CellDifference(sheet.name, cell.ref, "entry cell", "data", "a number", raw))
            continue
        if key[0] == "drawer":
            count = inputs.drawers.setdefault(key[1], DrawerCount())
            if key[2] == "checks_count":
                count.checks_count = int(value or 0)
            elif key[2] == "checks_total":
                count.checks_total = value or ZERO
            else:
                count.quantities[key[2]] = int(value or 0)
        elif key[0] == "bank":
            bank.setdefault(key[1], {})[key[2]] = value
        elif key[0] == "petty":
            inputs.petty_cash_on_hand = value or ZERO
        elif key[0] == "voucher":
            vouchers.setdefault(key[1], {})[key[2]] = value
    inputs.bank_reports = [BankReportLine(b.get("bank") or "", int(b.get("items") or 0), b.get("total") or ZERO)
                           for _, b in sorted(bank.items()) if any(v not in (None, ZERO, 0) for v in b.values())]
    inputs.vouchers = [Voucher(v.get("no") or "", v.get("payee") or "", v.get("amount") or ZERO)
                       for _, v in sorted(vouchers.items()) if any(x not in (None, ZERO) for x in v.values())]
    return inputs, problems


def _number(raw, key):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = to_money(raw)
    if key[-1] not in ("total", "amount", "checks_total", "cash") and value != value.to_integral_value():
        raise ValueError("a count must be a whole number")
    return value


def _data(plan: WorkbookPlan, wb, result: CashCheckResult) -> None:
    """Data cells and the Payments table against the store."""
    for sheet in plan.sheets:
        if sheet.name not in wb.sheetnames:
            continue
        ws = wb[sheet.name]
        for cell in sheet.cells.values():
            if cell.kind != "value":
                continue
            found = ws[cell.ref].value
            if not _same_data(found, cell.value):
                result.differences.append(CellDifference(sheet.name, cell.ref, "data", "data", cell.value, found))
        if sheet.table_headers:
            width = len(sheet.table_headers)
            last = 3 + len(sheet.table_rows)
            found_rows = list(ws.iter_rows(min_row=4, max_row=max(last, 4), max_col=width, values_only=True))
            for k, expected in enumerate(sheet.table_rows):
                got = found_rows[k] if k < len(found_rows) else ()
                for c, (e, g) in enumerate(zip(expected, list(got) + [None] * (width - len(got)))):
                    if not _same_data(g, e):
                        result.differences.append(CellDifference(
                            sheet.name, f"{_letter(c + 1)}{4 + k}", f"{TABLE} table, {sheet.table_headers[c]}",
                            "data", e, g))
            extra = ws.cell(row=last + 1, column=11).value if sheet.table_rows else None
            if extra not in (None, ""):
                result.differences.append(CellDifference(sheet.name, f"K{last + 1}", "a payment not in the store",
                                                         "data", None, extra))


def _same_data(found, expected) -> bool:
    if isinstance(found, datetime):
        found = found.date()
    if expected is None or expected == "":
        return found in (None, "")
    if isinstance(expected, (Decimal, int)) and not isinstance(expected, bool):
        try:
            return found is not None and to_money(found) == to_money(expected)
        except MoneyError:
            return False
    return found == expected


def _letter(n: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(n)
