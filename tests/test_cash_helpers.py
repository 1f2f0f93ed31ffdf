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


def three_accounts(tmp_path):
    """10-1001 owing a 62.40 bill (water 40.00, wastewater 22.40, due Feb 23) and a 0.94 late
    charge (due Feb 24); 10-1002 owing a 36.00 bill (17.00 + 19.00); 10-1003 cash-only."""
    u = make_utility(tmp_path)
    add_account(u, "10-1001")
    add_account(u, "10-1002")
    add_account(u, "10-1003", cash_only=True)
    add_bill(u, "10-1001", "40.00", "22.40")
    add_fee(u, "10-1001", "0.94")
    add_bill(u, "10-1002", "17.00", "19.00")
    return u


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


def cash_day_store(tmp_path):
    """A day of batches from every source (figures worked in test_cash_workbook.py):
    DRAWER-1 62.40 cash, 36.00 check, 20.00 card, 84.16 electric cash; DRAWER-2 45.55 cash,
    30.00 check; mail 25.00 check + 10.00 unknown account; bank 5.00 + 7.25; telepay 15.00;
    permits 150.00 check. Receipts 490.36."""
    from utilbill.payments import post_payment_batch

    u = make_utility(tmp_path)
    for n in range(1, 7):
        add_account(u, f"10-100{n}")
        add_bill(u, f"10-100{n}", "40.00", "22.40")
    hdr = ("account", "amount", "tender", "check_no", "type", "permit_no")
    batches = [
        ("d1.xlsx", "walk-in", "DRAWER-1", [("10-1001", "62.40", "cash", None, "payment", None),
                                            ("10-1002", "36.00", "check", "1187", "payment", None),
                                            ("10-1003", "20.00", "card", None, "payment", None),
                                            ("E-1", "84.16", "cash", None, "electric", None)]),
        ("d2.xlsx", "walk-in", "DRAWER-2", [("10-1004", "45.55", "cash", None, "payment", None),
                                            ("10-1005", "30.00", "check", "77", "payment", None)]),
        ("mail.csv", "mail", None, [("10-1006", "25.00", "check", "300", "payment", None),
                                    ("99-0000", "10.00", "check", "301", "payment", None)]),
        ("bank.csv", "bank", None, [("10-1001", "5.00", "bank", None, "payment", None),
                                    ("10-1002", "7.25", "bank", None, "payment", None)]),
        ("telepay.csv", "telepay", None, [("10-1003", "15.00", "ach", None, "payment", None)]),
        ("permits.csv", "permits", None, [(None, "150.00", "check", "5120", "permit", "TAP-1")]),
    ]
    for name, source, drawer, rows in batches:
        res = post_payment_batch(u, write_batch(tmp_path / name, rows, drawer=drawer, header=hdr), source)
        assert res.posted, res.findings
    return u


def balanced_inputs():
    """Counts that balance the day of `cash_day_store` exactly."""
    from utilbill.cash_balancing import BankReportLine, CashInputs, DrawerCount, Voucher

    return CashInputs(
        drawers={
            # 296.56 = 150.00 opening + 62.40 + 84.16 cash
            "DRAWER-1": DrawerCount({"bill_100": 2, "bill_20": 4, "bill_10": 1, "bill_5": 1, "bill_1": 1,
                                     "coin_25": 2, "coin_5": 1, "coin_1": 1}, 1, Decimal("36.00")),
            # 195.55 = 150.00 opening + 45.55 cash
            "DRAWER-2": DrawerCount({"bill_100": 1, "bill_50": 1, "bill_20": 2, "bill_5": 1, "coin_25": 2,
                                     "coin_5": 1}, 1, Decimal("30.00")),
        },
        bank_reports=[BankReportLine("First Sample Bank", 2, Decimal("12.25"))],
        petty_cash_on_hand=Decimal("62.55"),
        vouchers=[Voucher("PC-1", "Hardware store", Decimal("37.45"))],
    )
