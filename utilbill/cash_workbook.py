"""Writing the daily cash workbook with openpyxl: live formulas, the Payments table, named
ranges, entry cells unlocked and filled yellow, sheets protected without a password, print
areas one page wide.

Implements the presentation half of domain §8's daily cash workbook; the layout and the
expected figure of every cell come from `cash_sheets.plan_cash_workbook`, so what is written
here is exactly what `cash_check` later compares a clerk's copy against.
"""

from __future__ import annotations

from .cash_balancing import CashDay
from .cash_sheets import TABLE, SheetPlan, WorkbookPlan, plan_cash_workbook
from .layouts import ENTRY_FILL

__all__ = ["render", "write_cash_workbook", "plan_cash_workbook"]


def render(plan: WorkbookPlan):
    """The plan as an openpyxl workbook (formulas live, entry cells unlocked, sheets protected)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.table import Table, TableStyleInfo

    wb = Workbook()
    wb.remove(wb.active)
    entry_fill = PatternFill("solid", fgColor=ENTRY_FILL)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    thin = Side(style="thin", color="999999")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    unlocked = Protection(locked=False)
    styles = {"title": Font(bold=True, size=14), "header": Font(bold=True), "status": Font(bold=True)}
    for sp in plan.sheets:
        ws = wb.create_sheet(sp.name)
        if sp.table_headers:
            _render_table(ws, sp, Table, TableStyleInfo, header_fill)
        for c in sp.cells.values():
            cell = ws[c.ref]
            if c.kind == "formula":
                cell.value = c.value
            elif isinstance(c.value, str):
                cell.value = c.value
                cell.data_type = "s"  # data text is never a formula
            else:
                cell.value = c.value
            if c.fmt:
                cell.number_format = c.fmt
            if c.kind in styles:
                cell.font = styles[c.kind]
            if c.kind == "header":
                cell.fill = header_fill
            if c.kind == "formula" and c.expected is not None and isinstance(c.expected, str):
                cell.font = styles["status"]
            if c.kind in ("entry", "legend"):
                cell.fill = entry_fill
                cell.border = box
            if c.kind == "entry":
                cell.protection = unlocked
            if c.kind == "legend":
                cell.alignment = Alignment(wrap_text=False)
        for letter, width in sp.widths.items():
            ws.column_dimensions[letter].width = width
        ws.protection.sheet = True
        ws.protection.autoFilter = False
        ws.protection.sort = False
        ws.print_area = sp.print_area
        ws.page_setup.orientation = "landscape" if sp.landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    for name, ref in plan.names.items():
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    return wb


def _render_table(ws, sp: SheetPlan, Table, TableStyleInfo, header_fill) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    for c, h in enumerate(sp.table_headers, start=1):
        cell = ws.cell(row=3, column=c, value=h)
        cell.font, cell.fill = Font(bold=True), header_fill
    formats = sp.table_formats
    for r, row in enumerate(sp.table_rows, start=4):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            if formats[c - 1]:
                cell.number_format = formats[c - 1]
    last = 3 + max(1, len(sp.table_rows))
    width = len(sp.table_headers)
    table = Table(displayName=TABLE, ref=f"A3:{get_column_letter(width)}{last}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    for c, h in enumerate(sp.table_headers, start=1):
        ws.column_dimensions[get_column_letter(c)].width = max(10, len(h) + 4)


def write_cash_workbook(cd: CashDay, path, *, protect=()):
    """Write the daily cash workbook for `cd` to `path` (atomically). Returns the path.

    Written by `cash_xlsx` (xlsxwriter, the Payments rows as XML: 50,000 payments in a few
    seconds); `render` above is the reference it is tested against, and builds the template."""
    from pathlib import Path

    from .atomic import atomic_write_path
    from .cash_xlsx import write_plan

    with atomic_write_path(path, protect=protect) as tmp:
        write_plan(plan_cash_workbook(cd), tmp)
    return Path(path)
