"""The daily cash workbook (domain §8): every formula, recalculated by LibreOffice, equals the
engine's figure to the cent, in four situations: balanced, a short drawer, a bank
difference, a missing check. Plus the workbook's build: lint, names, locked/unlocked cells."""

from __future__ import annotations

import copy
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from test_cash_helpers import DAY, balanced_inputs, cash_day_store
from utilbill.cash_balancing import BankReportLine
from utilbill.cash_day import cash_day
from utilbill.cash_sheets import plan_cash_workbook
from utilbill.cash_workbook import write_cash_workbook
from utilbill.formula_lint import lint_workbook
from utilbill.money import to_money

D = Decimal


@pytest.fixture(scope="module")
def day_store(tmp_path_factory):
    return cash_day_store(tmp_path_factory.mktemp("cashday"))


def scenario(name):
    inputs = balanced_inputs()
    if name == "short drawer":
        inputs.drawers["DRAWER-2"].quantities["bill_20"] = 1  # one $20 bill missing
    elif name == "bank difference":
        inputs.bank_reports = [BankReportLine("First Sample Bank", 2, D("13.25"))]  # the bank says 1.00 more
    elif name == "missing check":
        inputs.drawers["DRAWER-1"].checks_count, inputs.drawers["DRAWER-1"].checks_total = 0, D("0.00")
    return inputs


def recalculated_mismatches(path, cd):
    from utilbill.recalc import recalculate

    grid = recalculate(path)
    bad, n = [], 0
    for sheet, cell in plan_cash_workbook(cd).formula_cells():
        col, row = coordinate_from_string(cell.ref)
        got = grid[sheet.name][row - 1][column_index_from_string(col) - 1]
        n += 1
        if isinstance(cell.expected, str):
            ok = got == cell.expected
        else:
            ok = isinstance(got, (int, float)) and to_money(got) == to_money(cell.expected)
        if not ok:
            bad.append((sheet.name, cell.ref, cell.value, got, cell.expected))
    return bad, n


EXPECTED = {
    # name: (over/short DRAWER-1, DRAWER-2, checks difference DRAWER-1, bank difference, deposit difference)
    "balanced": ("0.00", "0.00", "0.00", "0.00", "0.00"),
    "short drawer": ("0.00", "-20.00", "0.00", "0.00", "-20.00"),
    "bank difference": ("0.00", "0.00", "0.00", "-1.00", "0.00"),     # posted 12.25 - report 13.25
    "missing check": ("0.00", "0.00", "-36.00", "0.00", "-36.00"),    # check 1187 for 36.00 not in the drawer
}


@pytest.mark.libreoffice
@pytest.mark.parametrize("name", list(EXPECTED))
def test_libreoffice_agrees_with_the_engine_to_the_cent(day_store, libreoffice, tmp_path, name):
    cd = cash_day(day_store, DAY, inputs=scenario(name))
    d1, d2 = cd.drawers
    # receipts 490.36; deposit 191.00 currency (296 + 195 - 300 opening) + 1.11 coin + 251.00 checks
    # (66.00 in drawers + 185.00 mail and permits) = 443.11; electronic 20 card + 15 ach + 12.25 bank = 47.25
    assert cd.receipts_total == cd.treasury_total == D("490.36")
    assert cd.by_fund["suspense"] == D("10.00") and cd.by_fund["electric"] == D("84.16")
    assert cd.by_fund["permits"] == D("150.00")
    assert tuple(str(x) for x in (d1.over_short, d2.over_short, d1.checks_difference,
                                  cd.bank_items_total - cd.bank_report_total,
                                  cd.accounted_total - cd.treasury_total)) == EXPECTED[name]
    assert cd.balanced == (name == "balanced")
    path = write_cash_workbook(cd, tmp_path / "cash.xlsx")
    bad, n = recalculated_mismatches(path, cd)
    assert n > 100 and bad == []


def test_balanced_day_figures(day_store):
    cd = cash_day(day_store, DAY, inputs=balanced_inputs())
    assert (cd.deposit_currency, cd.deposit_coin, cd.deposit_checks) == (D("191.00"), D("1.11"), D("251.00"))
    assert cd.electronic_total == D("47.25") and cd.accounted_total == D("490.36")
    assert [c.status for c in cd.checks()] == ["BALANCED"] * len(cd.checks())
    short = cash_day(day_store, DAY, inputs=scenario("short drawer"))
    assert [c.status for c in short.checks() if not c.balanced] == ["OUT OF BALANCE by 20.00"] * 2


def test_lint_names_protection_and_print_setup(day_store, tmp_path):
    cd = cash_day(day_store, DAY, inputs=balanced_inputs())
    path = write_cash_workbook(cd, tmp_path / "cash.xlsx")
    assert lint_workbook(path) == []
    wb = openpyxl.load_workbook(path)
    for name in ("Treasury_Total", "Deposit_Total", "Receipts_Total", "Bank_Difference", "Day_Status",
                 "OverShort_DRAWER_1", "ChecksDifference_DRAWER_2", "PettyCash_Difference", "Cash_Day"):
        assert name in wb.defined_names, name
    assert "Payments" in wb["Payments"].tables
    plan = plan_cash_workbook(cd)
    for sheet, cell in plan.entry_cells():
        c = wb[sheet.name][cell.ref]
        assert c.protection.locked is False and c.fill.fgColor.rgb.endswith("FFF2CC")
    for sheet, cell in plan.formula_cells():
        assert wb[sheet.name][cell.ref].protection.locked is True
    for ws in wb.worksheets:
        assert ws.protection.sheet and not ws.protection.password
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_area
    assert "SUMIFS(Payments[Amount]" in wb["Cashier DRAWER-1"]["B7"].value


def test_lint_catches_a_missing_prefix(day_store, tmp_path):
    """The lint this suite relies on does fail on a bare post-2007 function."""
    cd = cash_day(day_store, DAY, inputs=balanced_inputs())
    path = write_cash_workbook(cd, tmp_path / "cash.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["Summary"]["G1"] = "=XLOOKUP(1,A1:A2,B1:B2)"
    wb.save(tmp_path / "bad.xlsx")
    assert lint_workbook(tmp_path / "bad.xlsx")


def test_data_text_is_never_a_formula(day_store, tmp_path):
    cd = cash_day(day_store, DAY, inputs=balanced_inputs())
    cd = copy.copy(cd)
    cd.lines = [cd.lines[0].__class__(**{**{f: getattr(cd.lines[0], f) for f in cd.lines[0].__slots__},
                                        "payer": "=HYPERLINK(\"http://x\")"})] + cd.lines[1:]
    path = write_cash_workbook(cd, tmp_path / "cash.xlsx")
    ws = openpyxl.load_workbook(path)["Payments"]
    assert ws["G4"].value == "=HYPERLINK(\"http://x\")" and ws["G4"].data_type == "s"
