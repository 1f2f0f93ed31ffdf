"""LibreOffice recalculates formula workbooks and the values come back, cent for cent."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.workbook.defined_name import DefinedName

from badinputs import set_cached_values
from utilbill import recalc
from utilbill.recalc import RecalcError, convert, recalc_values, recalculate

pytestmark = pytest.mark.libreoffice


def rate_workbook(path: Path) -> Path:
    """Lincoln's worked example (domain §1): 49 units bimonthly = 16 x 1.344 + 30 x 1.911 + 3 x 2.961,
    each line rounded: 21.50 + 57.33 + 8.88 = 87.71. Written by openpyxl: no saved results."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Blocks"
    ws.append(["units", "rate", "line", "class"])
    for units, rate, cls in ((16, 1.344, "res"), (30, 1.911, "res"), (3, 2.961, "com")):
        r = ws.max_row + 1
        ws.append([units, rate, f"=ROUND(A{r}*B{r},2)", cls])
    ws["F1"], ws["F2"] = "total", "=SUM(C2:C4)"
    ws["F3"] = '=SUMIFS(C2:C4,D2:D4,"res")'                          # 21.50 + 57.33 = 78.83
    ws["F4"] = "=ROUND(F2*TaxRate,2)"                                 # 87.71 x 0.07 = 6.1397 -> 6.14
    ws["F5"] = "=NETWORKDAYS(DATE(2026,1,1),DATE(2026,1,31))"          # January 2026: 22 weekdays
    ws["F6"] = "=EDATE(DATE(2026,1,31),1)"                            # month end clamps: 2026-02-28
    ws["F6"].number_format = "yyyy-mm-dd"
    ws["F7"] = '=_xlfn.XLOOKUP("com",D2:D4,C2:C4)'                    # 8.88
    ws["F8"] = "=ROUND(2.675,2)"                                      # half away from zero: 2.68
    inputs = wb.create_sheet("My Inputs")
    inputs["A1"], inputs["B1"] = "tax rate", 0.07
    wb.defined_names["TaxRate"] = DefinedName("TaxRate", attr_text="'My Inputs'!$B$1")
    wb.defined_names["Fee"] = DefinedName("Fee", attr_text="30")
    wb.defined_names["BillTotal"] = DefinedName("BillTotal", attr_text="SUM(Blocks!$C$2:$C$4)+Fee")
    wb.save(path)
    return path


def test_recalculate_computes_every_formula(tmp_path, libreoffice):
    values = recalculate(rate_workbook(tmp_path / "rates.xlsx"))
    assert set(values) == {"Blocks", "My Inputs"}
    grid = values["Blocks"]
    assert [row[2] for row in grid[1:4]] == [21.50, 57.33, 8.88]
    assert [row[5] for row in grid[1:8]] == [87.71, 78.83, 6.14, 22, datetime(2026, 2, 28), 8.88, 2.68]
    assert values["My Inputs"][0] == ["tax rate", 0.07]


def test_recalc_values_reads_cells_ranges_and_defined_names(tmp_path, libreoffice):
    path = rate_workbook(tmp_path / "rates.xlsx")
    before = path.read_bytes()
    got = recalc_values(path, ["Blocks!F2", "'My Inputs'!B1", "Blocks!$C$2:$C$3", "TaxRate", "Fee", "BillTotal"])
    assert got == {"Blocks!F2": 87.71, "'My Inputs'!B1": 0.07, "Blocks!$C$2:$C$3": [[21.5], [57.33]],
                   "TaxRate": 0.07, "Fee": 30, "BillTotal": 117.71}
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["rates.xlsx"]
    with pytest.raises(KeyError):
        recalc_values(path, ["NoSuchName"])


def test_wrong_saved_results_are_recalculated_not_trusted(tmp_path, libreoffice):
    # A file saved by LibreOffice itself whose saved total is wrong: without the profile's
    # OOXMLRecalcMode=always, --convert-to would hand the wrong 999 back.
    first = convert(rate_workbook(tmp_path / "rates.xlsx"), "xlsx", tmp_path / "lo")
    index = openpyxl.load_workbook(first).sheetnames.index("Blocks") + 1
    set_cached_values(first, {"F2": ("n", "999")}, sheet_index=index)
    assert openpyxl.load_workbook(first, data_only=True)["Blocks"]["F2"].value == 999
    assert recalc_values(first, ["Blocks!F2"]) == {"Blocks!F2": 87.71}


def test_parallel_recalculations_each_get_their_own_profile(tmp_path, libreoffice):
    path = rate_workbook(tmp_path / "rates.xlsx")
    results, failures = [], []

    def run():
        try:
            results.append(recalc_values(path, ["Blocks!F2"])["Blocks!F2"])
        except Exception as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == [] and results == [87.71, 87.71]


def test_missing_libreoffice_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(recalc, "soffice_path", lambda: None)
    assert recalc.libreoffice_available() is False
    with pytest.raises(RecalcError, match="not installed"):
        recalculate(rate_workbook(tmp_path / "rates.xlsx"))


def test_a_file_libreoffice_cannot_open_is_a_recalc_error(tmp_path, libreoffice):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(RecalcError):
        recalculate(bad)
