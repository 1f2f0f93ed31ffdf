"""Ribbon tasks of the Cash group: post a payment batch, make the day's cash workbook, check a
daily cash workbook, decide suspense and held items. Each runs the cash engine's job (utilbill.payments, cash_day,
cash_workbook, cash_check) on what the caller's workbook holds (macros_py._book)."""

from __future__ import annotations

import csv
import tempfile
from datetime import date, datetime
from pathlib import Path

from utilbill.cash_check import compare_workbook
from utilbill.cash_day import cash_day
from utilbill.cash_workbook import write_cash_workbook
from utilbill.findings import Finding, FindingsError
from utilbill.layouts import PAYMENT_SOURCES
from utilbill.layouts_core import Column, is_blank, normalize_header

from ._book import grid, named, require, task, utility_for, write_exceptions, write_sheet

BATCH_SHEET = "Batch"
SOURCE_LABELS = {"source", "batch source", "payment source"}


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _batch_source(book, rows, problems) -> str | None:
    """The batch's source: a 'Source' label above the table, or the BatchSource cell."""
    for row in rows:
        cells = [v for v in row if not is_blank(v)]
        for label, value in zip(cells, cells[1:]):
            if isinstance(label, str) and normalize_header(label.rstrip(":")) in {normalize_header(s) for s in SOURCE_LABELS}:
                return str(value).strip().lower()
    if "BatchSource" in {n.name for n in book.names}:
        return named(book, "BatchSource", Column("source", "choice", choices=PAYMENT_SOURCES), problems)
    problems.append(Finding(f"no batch source: write 'Source' and one of {', '.join(PAYMENT_SOURCES)} above the "
                            "table", file=book.name, sheet=BATCH_SHEET, column="Source"))
    return None


@task(BATCH_SHEET)
def post_payment_batch(book) -> None:
    """Post the Batch sheet (its ticket above the table: Source, Control count, Control total,
    Batch date, Drawer) when it balances; the same job as `utilbill payments post`. The
    sheet's values are handed to the job as a CSV file in a temporary folder, so the batch's
    key is its content: posting the same sheet again posts nothing."""
    from utilbill.payments import post_payment_batch as post_job

    if BATCH_SHEET not in [s.name for s in book.sheets]:
        raise FindingsError([Finding(f"the workbook has no sheet named {BATCH_SHEET!r}", file=book.name)],
                            summary="no payment batch")
    rows = grid(book.sheets[BATCH_SHEET])
    problems: list = []
    source = _batch_source(book, rows, problems)
    require(problems, "payment batch")
    u = utility_for(book)
    with tempfile.TemporaryDirectory(prefix="utilbill-batch-") as tmp:
        path = Path(tmp) / f"{Path(book.name).stem} - {BATCH_SHEET}.csv"
        with open(path, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([[_csv_cell(v) for v in row] for row in rows])
        res = post_job(u, path, source)
    status = ("already posted (batch %s); nothing new was posted" % res.batch_id if res.already_posted else
              "posted as batch %s" % res.batch_id if res.posted else "NOT posted: see Exceptions")
    summary = [["Status", status], ["Source", res.source], ["Batch date", res.batch_date],
               ["Items", res.item_count], ["Item total", res.item_total], ["Control count", res.control_count],
               ["Control total", res.control_total]]
    summary += [[f"Fund {fund}", amount] for fund, amount in sorted(res.fund_totals().items())]
    write_sheet(book, "Batch Result", summary + [[None, None],
                ["row", "account", "amount", "tender", "disposition", "reason"]] +
                [[i.row, i.account_no, i.amount, i.tender, i.disposition, i.reason] for i in res.items],
                inputs=(BATCH_SHEET,))
    write_exceptions(book, res.findings, inputs=(BATCH_SHEET,))


def _cash_date(book, problems) -> date:
    for name in ("Cash_Day", "CD_Day"):
        if name in {n.name for n in book.names}:
            return named(book, name, Column("business day", "date", required=False), problems) or date.today()
    return date.today()


@task()
def daily_cash(book) -> None:
    """Write the day's cash workbook (Cash_Day, blank = today) to the utility's output/cash
    folder, as `utilbill cash day`, and its balance checks on the 'Daily Cash Checks' sheet."""
    problems: list = []
    day = _cash_date(book, problems)
    require(problems, "daily cash")
    u = utility_for(book)
    cd = cash_day(u, day)
    path = write_cash_workbook(cd, u.out_dir("cash") / f"daily-cash-{day.isoformat()}.xlsx")
    rows = [[c.label, c.figure, c.against, c.difference, c.status] for c in cd.checks()]
    rows += [[None] * 5, ["The day", None, None, None, "BALANCED" if cd.balanced else "OUT OF BALANCE"]]
    from utilbill.suspense import open_items

    waiting = open_items(u, received_by=day)
    if waiting:  # money deposited into suspense that nobody has decided yet (Suspense Items button)
        rows.append(["Suspense and held items open", len(waiting), sum(i.amount for i in waiting),
                     min(i.pay_date for i in waiting), "to decide"])
    rows.append(["Daily cash workbook", str(path), None, None, None])
    write_sheet(book, "Daily Cash Checks", rows, header=["check", "figure", "against", "difference", "status"])
    write_exceptions(book, [])


class _Cell:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class _SheetView:
    """One sheet's values with the openpyxl calls cash_check reads through."""

    def __init__(self, rows):
        self.rows = rows

    def cell(self, row: int, column: int) -> _Cell:
        r, c = row - 1, column - 1
        value = self.rows[r][c] if r < len(self.rows) and c < len(self.rows[r]) else None
        return _Cell(None if value == "" else value)

    def __getitem__(self, ref: str) -> _Cell:
        from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

        col, row = coordinate_from_string(ref)
        return self.cell(row, column_index_from_string(col))

    def iter_rows(self, min_row, max_row, max_col, values_only=True):
        for r in range(min_row, max_row + 1):
            yield tuple(self.cell(r, c).value for c in range(1, max_col + 1))


class _BookView:
    """The workbook's values (what Excel computed and the clerk typed), read once."""

    def __init__(self, book):
        self.sheets = {s.name: _SheetView(grid(s)) for s in book.sheets}
        self.sheetnames = list(self.sheets)

    def __getitem__(self, name: str) -> _SheetView:
        return self.sheets[name]


@task()
def check_cash(book) -> None:
    """Recompute the daily cash workbook's day from the counts typed in it and compare every
    figure Excel shows, and every data cell, with utilbill's (cash_check). Formula text is
    not sent by Office.js: `utilbill cash check FILE` also compares the formulas."""
    problems: list = []
    day = named(book, "Cash_Day", Column("business day", "date"), problems)
    require(problems, "check cash")
    u = utility_for(book)
    view = _BookView(book)
    result = compare_workbook(u, day, view, lambda sheet, ref: view[sheet][ref].value,
                              values_from="the values Excel shows", formulas_known=False, path=Path(book.name))
    rows = [["Status", result.status], ["Business day", day], ["Figures checked", result.cells_checked],
            ["Compared with", result.values_from], [None, None]]
    write_sheet(book, "Cash Check", rows + [[str(d)] for d in result.differences])
    write_exceptions(book, [Finding(str(d), file=book.name, sheet=d.sheet, column=d.ref,
                                    value=None if d.found is None else str(d.found))
                            for d in result.differences])


DECISIONS_SHEET = "Suspense Decisions"
DECISION_HEADER = ["item", "decision", "account", "note"]


@task(DECISIONS_SHEET)
def suspense_items(book) -> None:
    """Carry out the decisions typed on the 'Suspense Decisions' sheet (item, decision apply or
    return, account, note), each on its own, as `utilbill payments apply` / `return`; then list
    the items still open on 'Suspense Items' and today's decisions by fund on 'Suspense
    Transfers'. Without that sheet it makes it, with its header, and only lists."""
    from utilbill.suspense import AlreadyDecided, apply_item, open_items, return_item, transfers_on

    u = utility_for(book)
    problems: list[Finding] = []
    names = [s.name for s in book.sheets]
    if DECISIONS_SHEET not in names:
        write_sheet(book, DECISIONS_SHEET, [], header=DECISION_HEADER)
    else:
        rows = grid(book.sheets[DECISIONS_SHEET])
        for n, row in enumerate(rows[1:], start=2):
            row = (list(row) + [None] * 4)[:4]
            if all(is_blank(v) for v in row):
                continue
            item, decision, account, note = row
            where = dict(file=book.name, sheet=DECISIONS_SHEET, row=n)
            try:
                item_id = int(item)
                if item_id != item:
                    raise ValueError
            except (TypeError, ValueError):
                problems.append(Finding("the item number must be a whole number (Suspense Items lists them)",
                                        column="item", value=item, **where))
                continue
            decision = str(decision or "").strip().lower()
            account = None if is_blank(account) else str(account).strip()
            note = "" if is_blank(note) else str(note).strip()
            try:
                if decision == "apply":
                    apply_item(u, item_id, account_no=account, memo=note)
                elif decision == "return":
                    return_item(u, item_id, reason=note)
                else:
                    problems.append(Finding("the decision must be apply or return", column="decision",
                                            value=row[1], **where))
            except FindingsError as e:
                severity = "warning" if isinstance(e, AlreadyDecided) else "error"  # a re-run is no fault
                for f in e.findings:
                    problems.append(Finding(f.reason, column=f.column or "item", value=f.value, account=f.account,
                                            severity=severity, **where))
    items = open_items(u)
    write_sheet(book, "Suspense Items", [
        [i.item_id, i.kind, i.pay_date, i.batch_id, i.row, i.source, i.account_no, i.payer, i.amount, i.tender,
         i.check_no, i.reason] for i in items],
        header=["item", "kind", "received", "batch", "row", "source", "account written", "payer", "amount", "tender",
                "check no", "why"], inputs=(DECISIONS_SHEET,))
    t = transfers_on(u, date.today())
    funds = t.funds
    write_sheet(book, "Suspense Transfers",
                [[r.item_id, r.kind, r.account_no, r.amount, *[r.parts.get(f) for f in funds], r.memo]
                 for r in t.resolutions]
                + ([["Total", None, None, t.total(), *[t.total(f) for f in funds], None]] if t.resolutions else []),
                header=["item", "decision", "account", "amount", *funds, "note"], inputs=(DECISIONS_SHEET,))
    write_exceptions(book, problems, inputs=(DECISIONS_SHEET,))
