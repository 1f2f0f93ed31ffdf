"""Builders for the payments and daily cash tests: a utility folder with accounts and bills
posted through the store's repository functions, and batch files as a clerk writes them
(a header area with the batch ticket above the item table). No test here."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from utilbill.home import init_folder
from utilbill.store import repo

DAY = date(2026, 3, 2)  # a Monday


def make_utility(tmp_path):
    return init_folder(tmp_path / "utility")


def add_account(u, account_no, *, cash_only=False, customer_name="Pat Doe"):
    with u.store.write() as conn:
        repo.insert_account(conn, dict(
            account_no=account_no, account_class="residential", status="active", customer_name=customer_name,
            customer_role="owner", service_address="100 Elm St, Sample City, NE 68508", meter_size="5/8",
            service_start=date(2025, 1, 2), cash_only=cash_only))


def add_bill(u, account_no, water, wastewater, *, on=date(2026, 1, 31), due=date(2026, 2, 23)):
    """A bill posting with its water/wastewater parts (no bill record needed by the ledger)."""
    water, wastewater = Decimal(water), Decimal(wastewater)
    with u.store.write() as conn:
        return repo.post(conn, u.store, account_no=account_no, kind="bill", amount=water + wastewater,
                         effective_date=on, due_date=due, parts=[("wastewater", wastewater), ("water", water)])


def add_fee(u, account_no, amount, *, on=date(2026, 2, 24), kind="late_charge"):
    with u.store.write() as conn:
        return repo.post(conn, u.store, account_no=account_no, kind=kind, amount=Decimal(amount),
                         effective_date=on, due_date=on, fund="fees")


def batch_rows(rows, *, header=("account", "amount", "tender", "check_no")):
    return [list(header)] + [list(r) for r in rows]


def write_batch(path: Path, rows, *, control_count=None, control_total=None, batch_date=DAY, drawer=None,
                header=("account", "amount", "tender", "check_no")):
    """A batch file with its ticket above the table. Counts/totals default to the rows' own."""
    path = Path(path)
    amounts = [Decimal(str(r[1])) for r in rows]
    ticket = [["Batch date", batch_date.isoformat()],
              ["Control count", len(rows) if control_count is None else control_count],
              ["Control total", str(sum(amounts, Decimal(0)) if control_total is None else control_total)]]
    if drawer:
        ticket.append(["Drawer", drawer])
    grid = ticket + [[]] + batch_rows(rows, header=header)
    if path.suffix == ".csv":
        with open(path, "w", newline="") as fh:
            csv.writer(fh).writerows(grid)
    else:
        wb = Workbook()
        ws = wb.active
        ws.title = "Batch"
        for r in grid:
            ws.append([float(v) if isinstance(v, Decimal) else v for v in r])
        wb.save(path)
    return path
