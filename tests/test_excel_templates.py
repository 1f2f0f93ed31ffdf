"""The workbook templates: their anatomy (inputs marked, validated and named; formulas locked;
sheets protected; print setup; How to use), no function stored without its prefix, the
committed copies in workbooks/ equal to a rebuild, and, recalculated by LibreOffice, their
formula cells (not the worksheet-function cells) give the engine's figures."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import macros_py
import udfs
from utilbill.arrangements import schedule
from utilbill.formula_lint import lint_workbook
from utilbill.layouts import CLASS_CHOICES, METER_SIZE_CHOICES
from utilbill.templates import BUILDERS, FILES, build_templates, fill_inputs

REPO = Path(__file__).resolve().parent.parent
UDF_CALL = re.compile(r"\b(" + "|".join(udfs.UDF_NAMES) + r")\(")
OUTPUT_SHEETS = {"Turn-off list", "Left out"}
# the named inputs each ribbon task reads (macros_py)
TASK_INPUTS = {
    "final_bill": {"FB_Account", "FB_MoveOut", "FB_FinalReading", "FB_Post"},
    "payoff": {"PO_Account", "PO_AsOf", "PO_PetitionDate", "PO_Chapter"},
    "arrangement": {"AR_Account", "AR_Down", "AR_Installments", "AR_FirstDue", "AR_AsOf", "AR_Post", "AR_Override"},
    "turnoff": {"TO_AsOf", "TO_Capacity"},
    "inquiry": {"IQ_Account", "IQ_AsOf"},
    "readings": {"RunDate"},
    "daily_cash": {"Cash_Day"},
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_templates(tmp_path_factory.mktemp("templates"))


def cells(path):
    """Every cell's stored content, the defined names, validations and protection."""
    wb = openpyxl.load_workbook(path)
    out = {"names": {n: d.attr_text for n, d in wb.defined_names.items()}}
    for ws in wb.worksheets:
        values = {c.coordinate: (c.value.text if hasattr(c.value, "text") else c.value)
                  for row in ws.iter_rows() for c in row if c.value is not None}
        dv = sorted((str(v.sqref), v.type, v.formula1) for v in ws.data_validations.dataValidation)
        out[ws.title] = (values, dv, ws.protection.sheet, ws.print_area)
    return out


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_committed_template_equals_a_rebuild(kind, built):
    committed = REPO / "workbooks" / FILES[kind]
    assert committed.is_file(), f"run 'utilbill workbooks build workbooks --example' and commit {committed.name}"
    assert cells(committed) == cells(built[kind])


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_anatomy(kind, built):
    path = built[kind]
    assert lint_workbook(path) == []
    wb = openpyxl.load_workbook(path)
    assert "How to use" in wb.sheetnames
    task = wb.defined_names["UTILBILL_TASK"].attr_text.strip('"')
    assert task in macros_py.BY_NAME
    assert TASK_INPUTS[kind] <= set(wb.defined_names)
    for ws in wb.worksheets:
        if ws.title in OUTPUT_SHEETS:  # result sheets the ribbon task rewrites stay unprotected
            assert not ws.protection.sheet
            continue
        assert ws.protection.sheet and not ws.protection.password  # protected, no password
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value.startswith("="):
                    assert c.protection.locked, f"{ws.title}!{c.coordinate} formula must be locked"
    for name in TASK_INPUTS[kind]:  # the named inputs are unlocked and filled
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        cell = wb[sheet][ref.replace("$", "")]
        if kind != "daily_cash":
            assert not cell.protection.locked and cell.fill.fgColor.rgb.endswith("FFF2CC"), name
    if kind != "daily_cash":
        assert wb.worksheets[0].print_area


def test_lists_and_checks(built):
    wb = openpyxl.load_workbook(built["final_bill"])
    ws = wb["Final Bill"]
    by_cell = {str(v.sqref): v for v in ws.data_validations.dataValidation}
    assert by_cell["B12"].formula1 == '"' + ",".join(METER_SIZE_CHOICES) + '"'
    assert by_cell["B13"].formula1 == '"' + ",".join(CLASS_CHOICES) + '"'
    assert by_cell["B5"].type == "date" and by_cell["B6"].type == "whole"
    readings = openpyxl.load_workbook(built["readings"])["Readings"]
    kinds = {str(v.sqref).split(":")[0]: v.type for v in readings.data_validations.dataValidation}
    assert kinds == {"B4": "date", "C4": "whole", "D4": "list"}
    # the worksheet functions are where the clerk sees them, spilling ones as array formulas
    fb = openpyxl.load_workbook(built["final_bill"])["Final Bill"]
    assert fb["B19"].value == "=FINAL_BILL(FB_Account,FB_MoveOut,FB_FinalReading)"
    assert fb["A23"].value.ref == "A23:D32" and fb["A23"].value.text.startswith("=BILL_LINES(")


@pytest.mark.libreoffice
def test_calculators_compute_the_engines_figures_in_libreoffice(built, tmp_path, libreoffice):
    from utilbill.recalc import recalculate

    # arrangement: 250.00 past due, 50.00 down, 3 installments from Jan 31:
    # 200.00 / 3 = 66.666 -> 66.66, 66.66 and the remainder 66.68; Jan 31, Feb 28, Mar 31
    arr = fill_inputs(built["arrangement"], {"AR_PastDue": Decimal("250.00"), "AR_Down": Decimal("50.00"),
                                             "AR_Installments": 3, "AR_FirstDue": date(2026, 1, 31)},
                      tmp_path / "arr.xlsx")
    got = recalculate(arr)["Arrangement"]
    expected = schedule(Decimal("250.00"), Decimal("50.00"), 3, date(2026, 1, 31))
    rows = [got[r][:4] for r in range(23, 23 + 3)]
    assert [[n, d.date(), Decimal(str(a)), Decimal(str(rem))] for n, d, a, rem in rows] == [
        [i.number, i.due_date, i.amount, i.remaining] for i in expected]
    assert got[26][:4] == [None, None, None, None]  # no fourth installment
    assert got[16][1] == 50 and got[17][1] == "yes"  # minimum down ROUND(250 x 20 / 100, 2) = 50.00
    _no_errors_but_udfs(arr, recalculate(arr))

    fb = fill_inputs(built["final_bill"], {"FB_MoveOut": date(2026, 3, 10), "FB_LastReadDate": date(2026, 2, 15),
                                           "FB_FinalReading": 1520, "FB_PreviousReading": 1500}, tmp_path / "fb.xlsx")
    values = recalculate(fb)
    assert values["Final Bill"][15][1] == 23 and values["Final Bill"][16][1] == 20  # Mar 10 - Feb 15; 1520 - 1500
    _no_errors_but_udfs(fb, values)

    wb = openpyxl.load_workbook(built["readings"])
    for r, row in enumerate([["10-1001", date(2026, 1, 5), 1080], ["10-1002", date(2026, 1, 5), None, "estimate"],
                             ["10-1003", date(2026, 1, 5)]], start=4):
        for c, v in enumerate(row, start=1):
            wb["Readings"].cell(row=r, column=c).value = v
    wb["Run"]["B4"].value = date(2026, 1, 5)
    wb.save(tmp_path / "readings.xlsx")
    values = recalculate(tmp_path / "readings.xlsx")
    run = {row[0]: row[1] for row in values["Run"] if len(row) > 1 and row[0]}
    assert run["Rows entered"] == 3 and run["Rows without a reading"] == 2 and run["Rows marked estimate"] == 1
    assert run["Bill date used"] == datetime(2026, 1, 5)
    _no_errors_but_udfs(tmp_path / "readings.xlsx", values)


def _no_errors_but_udfs(path, values):
    """No formula cell shows an error, except cells calling a worksheet function (no add-in here)."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        grid = values[ws.title]
        for row in ws.iter_rows():
            for c in row:
                text = c.value.text if hasattr(c.value, "text") else c.value
                if not (isinstance(text, str) and text.startswith("=")) or UDF_CALL.search(text):
                    continue
                got = grid[c.row - 1][c.column - 1] if c.row - 1 < len(grid) else None
                assert not (isinstance(got, str) and got.startswith("#")), f"{ws.title}!{c.coordinate} {text} = {got}"


@pytest.mark.libreoffice
def test_the_other_templates_open_and_compute_in_libreoffice(built, tmp_path, libreoffice):
    from utilbill.recalc import recalculate

    payoff = fill_inputs(built["payoff"], {"PO_Account": "10-1001", "PO_AsOf": date(2026, 1, 20),
                                           "PO_PetitionDate": date(2025, 12, 1)}, tmp_path / "payoff.xlsx")
    values = recalculate(payoff)
    assert values["Payoff"][8][1] == 50  # Jan 20 - Dec 1 = 31 + 19 days
    _no_errors_but_udfs(payoff, values)
    inquiry = fill_inputs(built["inquiry"], {"IQ_Account": "10-1001", "IQ_AsOf": date(2026, 1, 20)},
                          tmp_path / "inquiry.xlsx")
    values = recalculate(inquiry)
    assert values["Inquiry"][5][1] == datetime(2026, 1, 20)
    _no_errors_but_udfs(inquiry, values)
    turnoff = fill_inputs(built["turnoff"], {"TO_AsOf": date(2026, 1, 20)}, tmp_path / "turnoff.xlsx")
    values = recalculate(turnoff)
    assert [values["Turn-off"][r][1] for r in (9, 10, 11)] == [0, 0, 0]  # the task has not run yet
    _no_errors_but_udfs(turnoff, values)
