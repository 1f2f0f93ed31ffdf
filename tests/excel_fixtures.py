"""A small utility for the Excel-side tests (no test here): three accounts with a year of
bimonthly bills, one paid up, one never paid (noticed, then on the turn-off list), one
commercial; and the built templates, filled through their named input cells."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import openpyxl

from test_special_helpers import add_account, bill_reads, bimonthly_reads, make_utility, pay
from utilbill.store import repo
from utilbill.templates import build_templates, fill_inputs

START = date(2025, 1, 2)
PAID, LATE, SHOP = "10-1001", "10-1002", "20-2001"


def sample_utility(tmp_path):
    u = make_utility(tmp_path)
    add_account(u, PAID, start=START, initial=1000)
    add_account(u, LATE, start=START, initial=5000, customer_name="Lee Late", service_address="7 Oak St")
    add_account(u, SHOP, start=START, initial=200, account_class="commercial", meter_size="1",
                customer_name="Corner Shop")
    bill_reads(u, PAID, bimonthly_reads(START, 1000, [12, 14, 10, 16, 13]))
    bill_reads(u, LATE, bimonthly_reads(START, 5000, [20, 22, 18, 25, 21]))
    bill_reads(u, SHOP, [(date(2025, 2, 1), 240), (date(2025, 3, 3), 290)])
    with u.store.read() as conn:
        paid_bills = repo.live_bills(conn, PAID)
    for b in paid_bills:  # paid ten days after each bill, by check
        pay(u, PAID, b["bill_date"] + timedelta(days=10), Decimal(b["total_cents"]) / 100, ref=f"chk{b['id']}")
    return u


def last_read(u, account_no):
    with u.store.read() as conn:
        return repo.last_read(conn, account_no)


def templates(tmp_path, policy=None):
    return build_templates(tmp_path / "templates", policy)


def filled(paths, kind, values, tmp_path, name=None):
    return fill_inputs(paths[kind], values, tmp_path / (name or f"filled-{kind}.xlsx"))


def readings_workbook(paths, rows, tmp_path, run_date=None):
    """The readings template with `rows` (account, read date, reading, read type) typed in."""
    wb = openpyxl.load_workbook(paths["readings"])
    ws = wb["Readings"]
    for r, row in enumerate(rows, start=4):
        for c, v in enumerate(row, start=1):
            ws.cell(row=r, column=c).value = v
    if run_date is not None:
        wb["Run"]["B4"].value = run_date
    out = tmp_path / "readings-filled.xlsx"
    wb.save(out)
    return out
