"""The daily cash workbook's fast writer (cash_xlsx: xlsxwriter, the Payments rows as XML)
against the reference writer (cash_workbook.render, openpyxl): the same sheets, cells (values,
types, number formats, fonts, fills, borders, locking), column widths, names, table, freeze
panes, protection and print setup, read back with openpyxl; and every formula saved with the
engine's figure as its result (domain §8: the workbook and the engine agree)."""

from __future__ import annotations

import random
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from test_cash_helpers import DAY, balanced_inputs, cash_day_store
from utilbill.cash_balancing import BankReportLine, BatchLine, CashInputs, DrawerCount, PaymentLine, Voucher, \
    compute_cash_day
from utilbill.cash_check import check_cash_workbook
from utilbill.cash_day import cash_day
from utilbill.cash_sheets import plan_cash_workbook
from utilbill.cash_workbook import render, write_cash_workbook

D = Decimal
PAYERS = ["Pat Doe", "O'Brien & Sons <plumbing>", "  leading and trailing  ", "Zoë Ünal", "=HYPERLINK(\"x\")",
          "line\nbreak", "12345", "", None]


def random_day(rng: random.Random, n: int):
    funds = ["water", "wastewater", "fees", "unapplied", "electric", "permits", "suspense"]
    batches, lines = [], []
    for b in range(1, rng.randrange(2, 6)):
        source, drawer = rng.choice([("walk-in", "DRAWER-1"), ("walk-in", "DRAWER-2"), ("mail", None),
                                     ("bank", None), ("telepay", None), ("permits", None)])
        items = [rng.randrange(1, 10 ** rng.randrange(2, 7)) for _ in range(n)]
        for k, cents in enumerate(items):
            amount = D(cents) / 100
            split = rng.sample(funds, rng.randrange(1, 3))
            first = D(rng.randrange(0, cents + 1)) / 100
            parts = ((split[0], first), (split[-1], amount - first)) if len(split) > 1 else ((split[0], amount),)
            tender = rng.choice(["cash", "check", "card", "ach", "bank"])
            lines.append(PaymentLine(batch_id=b, source=source, drawer=drawer, row=k + 5, line_type="payment",
                                     account_no=rng.choice([f"10-{k:04d}-{b}", None]), payer=rng.choice(PAYERS),
                                     tender=tender, check_no=str(900 + k) if tender == "check" else None,
                                     pay_date=date(2026, 3, rng.randrange(1, 3)), amount=amount,
                                     funds=tuple(p for p in parts if p[1]), disposition="posted"))
        batches.append(BatchLine(b, source, drawer, f"batch{b}.csv", n + rng.randrange(0, 2),
                                 sum((D(c) / 100 for c in items), D(0)) + D(rng.choice([0, 0, 5]))))
    inputs = CashInputs(drawers={"DRAWER-1": DrawerCount({"bill_20": rng.randrange(0, 9)}, 1, D("36.00")),
                                 "DRAWER-2": DrawerCount()},
                        bank_reports=[BankReportLine("First Sample Bank", 2, D("12.25"))],
                        petty_cash_on_hand=D("62.55"), vouchers=[Voucher("PC-1", "Hardware & co", D("37.45"))])
    return compute_cash_day(date(2026, 3, 2), lines, batches, inputs, opening_fund=D("150.00"),
                            petty_cash_fund=D("100.00"), utility_name="Sample City <Water & Wastewater>",
                            drawer_order=("DRAWER-1", "DRAWER-2"))


def _widths(ws) -> dict[int, float]:
    out = {}
    for dim in ws.column_dimensions.values():
        if dim.width:
            for c in range(dim.min or 0, (dim.max or 0) + 1):
                out[c] = dim.width
    return out


def _protection(ws) -> dict:
    p = ws.protection
    return {k: getattr(p, k) for k in ("sheet", "objects", "scenarios", "formatCells", "formatColumns", "formatRows",
                                        "insertColumns", "insertRows", "insertHyperlinks", "deleteColumns",
                                        "deleteRows", "selectLockedCells", "selectUnlockedCells", "sort",
                                        "autoFilter", "pivotTables", "password")}


def _cell(c) -> tuple:
    value = c.value
    kind = "n" if value is None else c.data_type
    rgb = c.fill.fgColor.rgb if c.fill.fill_type else None
    return (value, kind, c.number_format, bool(c.font.b), c.font.sz or 11.0, c.fill.fill_type,
            rgb[-6:] if isinstance(rgb, str) else None, c.border.left.style, c.border.top.style,
            c.border.left.color.rgb[-6:] if c.border.left.color is not None else None,
            c.protection.locked, bool(c.alignment.wrap_text))


def assert_same_workbook(fast_path, reference_path):
    fast, ref = openpyxl.load_workbook(fast_path), openpyxl.load_workbook(reference_path)
    assert fast.sheetnames == ref.sheetnames
    assert {n: d.attr_text for n, d in fast.defined_names.items()} == \
        {n: d.attr_text for n, d in ref.defined_names.items()}
    for a, b in zip(fast.worksheets, ref.worksheets):
        where = a.title
        assert (a.freeze_panes, a.print_area, a.print_title_rows, a.print_title_cols) == \
            (b.freeze_panes, b.print_area, b.print_title_rows, b.print_title_cols), where
        assert (a.page_setup.orientation, a.page_setup.fitToWidth, a.page_setup.fitToHeight,
                a.sheet_properties.pageSetUpPr.fitToPage) == \
            (b.page_setup.orientation, b.page_setup.fitToWidth, b.page_setup.fitToHeight,
             b.sheet_properties.pageSetUpPr.fitToPage), where
        assert _protection(a) == _protection(b), where
        assert _widths(a) == _widths(b), where
        assert [(t.displayName, t.ref, t.tableStyleInfo.name, bool(t.tableStyleInfo.showRowStripes),
                 [c.name for c in t.tableColumns], t.autoFilter.ref if t.autoFilter else None)
                for t in a.tables.values()] == \
            [(t.displayName, t.ref, t.tableStyleInfo.name, bool(t.tableStyleInfo.showRowStripes),
              [c.name for c in t.tableColumns], t.autoFilter.ref if t.autoFilter else None) for t in b.tables.values()]
        assert len(a.data_validations.dataValidation) == len(b.data_validations.dataValidation) == 0
        assert (a.max_row, a.max_column) == (b.max_row, b.max_column), where
        for row_a, row_b in zip(a.iter_rows(), b.iter_rows()):
            for ca, cb in zip(row_a, row_b):
                assert _cell(ca) == _cell(cb), (where, ca.coordinate)


def _reference(cd, path):
    render(plan_cash_workbook(cd)).save(path)
    return path


def _saved_results_are_the_engines(path, cd):
    saved = openpyxl.load_workbook(path, data_only=True)
    for sheet, cell in plan_cash_workbook(cd).formula_cells():
        got, expected = saved[sheet.name][cell.ref].value, cell.expected
        if isinstance(expected, str):
            assert got == expected, (sheet.name, cell.ref)
        else:
            assert Decimal(repr(got)).quantize(D("0.01")) == D(expected), (sheet.name, cell.ref, got, expected)


@pytest.mark.parametrize("seed", range(3))
def test_fast_writer_writes_what_the_reference_writes(tmp_path, seed):
    cd = random_day(random.Random(seed), n=40)
    fast = write_cash_workbook(cd, tmp_path / "fast.xlsx")
    assert_same_workbook(fast, _reference(cd, tmp_path / "reference.xlsx"))
    _saved_results_are_the_engines(fast, cd)
    ws = openpyxl.load_workbook(fast)["Payments"]
    assert isinstance(ws["J4"].value, datetime) and ws["J4"].number_format == "yyyy-mm-dd"


def test_a_posted_day_and_an_empty_day(tmp_path):
    u = cash_day_store(tmp_path)
    for cd in (cash_day(u, DAY, inputs=balanced_inputs()), cash_day(u, date(2026, 3, 3))):
        fast = write_cash_workbook(cd, tmp_path / "fast.xlsx")
        assert_same_workbook(fast, _reference(cd, tmp_path / "reference.xlsx"))
        _saved_results_are_the_engines(fast, cd)


def test_a_fresh_workbook_checks_clean_from_its_saved_results(tmp_path):
    u = cash_day_store(tmp_path)
    res = check_cash_workbook(u, write_cash_workbook(cash_day(u, DAY), tmp_path / "daily.xlsx"))
    assert res.differences == [] and res.values_from == "saved results"


def test_text_a_worksheet_cannot_hold_is_refused_as_before(tmp_path):
    cd = random_day(random.Random(9), n=3)
    line = cd.lines[0]
    cd.lines[0] = PaymentLine(**{**{f: getattr(line, f) for f in line.__slots__}, "payer": "bell\x07"})
    with pytest.raises(openpyxl.utils.exceptions.IllegalCharacterError):
        write_cash_workbook(cd, tmp_path / "fast.xlsx")
    with pytest.raises(openpyxl.utils.exceptions.IllegalCharacterError):
        _reference(cd, tmp_path / "reference.xlsx")
    assert not (tmp_path / "fast.xlsx").exists()
