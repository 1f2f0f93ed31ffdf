"""`cash check`: a clerk's copy of the daily cash workbook, after the counts were typed,
recomputed and compared formula by formula (domain §8: the engine and the spreadsheet agree)."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

from test_cash_helpers import DAY, balanced_inputs, cash_day_store
from utilbill.cash_check import check_cash_workbook
from utilbill.cash_day import cash_day, record_drawer_count
from utilbill.cash_workbook import write_cash_workbook

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def clerk_copy(tmp_path_factory):
    """The workbook as written (no counts in the store yet) and the store behind it."""
    tmp = tmp_path_factory.mktemp("cashcheck")
    u = cash_day_store(tmp)
    path = write_cash_workbook(cash_day(u, DAY), tmp / "daily-cash.xlsx")
    return u, path


def type_counts(src, dst, *, d2_twenties=2):
    """The clerk types the counts of balanced_inputs() into the yellow cells (DRAWER-2's $20s
    as given), the bank's report and the petty cash."""
    wb = openpyxl.load_workbook(src)
    inputs = balanced_inputs()
    rows = {"bill_100": 19, "bill_50": 20, "bill_20": 21, "bill_10": 22, "bill_5": 23, "bill_2": 24, "bill_1": 25,
            "coin_100": 26, "coin_50": 27, "coin_25": 28, "coin_10": 29, "coin_5": 30, "coin_1": 31}
    for drawer, count in inputs.drawers.items():
        ws = wb[f"Cashier {drawer}"]
        for code, qty in count.quantities.items():
            ws[f"C{rows[code]}"] = qty
        ws["B39"], ws["C39"] = count.checks_count, float(count.checks_total)
    wb["Cashier DRAWER-2"]["C21"] = d2_twenties
    bank = wb["Bank Pay Bills"]
    bank["A8"], bank["B8"], bank["C8"] = "First Sample Bank", 2, 12.25
    petty = wb["Petty Cash"]
    petty["C5"] = 62.55
    petty["A8"], petty["B8"], petty["C8"] = "PC-1", "Hardware store", 37.45
    wb.save(dst)
    return dst


def test_typed_counts_check_clean_and_report_the_short_drawer(clerk_copy, libreoffice, tmp_path):
    u, path = clerk_copy
    typed = type_counts(path, tmp_path / "typed.xlsx", d2_twenties=1)
    res = check_cash_workbook(u, typed)
    assert res.differences == [] and res.cells_checked > 100
    assert res.values_from == "LibreOffice recalculation"
    # the counts come from the workbook: DRAWER-2 counted 175.55 against 195.55 expected
    assert res.cash_day.drawers[1].over_short == Decimal("-20.00")
    assert res.status == "OUT OF BALANCE"


def test_a_shortened_sum_range_is_detected(clerk_copy, libreoffice, tmp_path):
    u, path = clerk_copy
    typed = type_counts(path, tmp_path / "typed.xlsx")
    wb = openpyxl.load_workbook(typed)
    ws = wb["Treasury Receipt"]
    total_ref = next(c.coordinate for row in ws.iter_rows() for c in row
                     if isinstance(c.value, str) and c.value.startswith("=SUM(B5:"))
    original = ws[total_ref].value
    ws[total_ref] = original.replace(":B11)", ":B10)")  # the suspense line left out of the total
    wb.save(tmp_path / "tampered.xlsx")
    res = check_cash_workbook(u, tmp_path / "tampered.xlsx")
    changed = [d for d in res.differences if d.kind == "formula"]
    assert [(d.sheet, d.ref, d.expected, d.found) for d in changed] == [
        ("Treasury Receipt", total_ref, original, "=SUM(B5:B10)")]
    assert any(d.ref == total_ref and d.kind == "value" for d in res.differences)  # 10.00 suspense missing
    assert "formula changed" in str(changed[0])
    assert res.status.startswith("WORKBOOK DIFFERS")


def test_a_number_typed_over_a_formula_is_detected(clerk_copy, libreoffice, tmp_path):
    u, path = clerk_copy
    typed = type_counts(path, tmp_path / "typed.xlsx", d2_twenties=1)
    wb = openpyxl.load_workbook(typed)
    wb["Cashier DRAWER-2"]["D35"] = 0  # someone "fixed" the short drawer by typing 0 over/short
    wb.save(tmp_path / "typed-over.xlsx")
    res = check_cash_workbook(u, tmp_path / "typed-over.xlsx")
    over = [d for d in res.differences if d.sheet == "Cashier DRAWER-2" and d.ref == "D35"]
    assert {d.kind for d in over} == {"formula", "value"}
    assert "a typed value 0 replaces the formula =ROUND(D34-B16,2)" in str(over[0])


def test_a_changed_payment_amount_is_detected(clerk_copy, libreoffice, tmp_path):
    u, path = clerk_copy
    wb = openpyxl.load_workbook(path)
    wb["Payments"]["K4"] = 6.24  # 62.40 mistyped on the Payments table
    wb.save(tmp_path / "edited.xlsx")
    res = check_cash_workbook(u, tmp_path / "edited.xlsx")
    assert any(d.sheet == "Payments" and d.ref == "K4" and d.kind == "data" for d in res.differences)


def test_counts_recorded_in_the_store_are_written_into_the_entry_cells(clerk_copy, tmp_path):
    u, _ = clerk_copy
    record_drawer_count(u, DAY, "DRAWER-1", {"bill_100": 2, "coin_25": 3}, checks_count=1,
                        checks_total=Decimal("36.00"))
    ws = openpyxl.load_workbook(write_cash_workbook(cash_day(u, DAY), tmp_path / "c.xlsx"))["Cashier DRAWER-1"]
    assert (ws["C19"].value, ws["C28"].value, ws["B39"].value, ws["C39"].value) == (2, 3, 1, 36)
