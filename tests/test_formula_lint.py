"""Formulas stored without the prefix their function needs are found before a clerk sees #NAME?."""

from __future__ import annotations

import openpyxl
import pytest
from openpyxl.formatting.rule import FormulaRule
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from utilbill.formula_lint import lint_formula, lint_workbook


@pytest.mark.parametrize("formula", [
    '=_xlfn.XLOOKUP(A1,B:B,C:C)',
    '="XLOOKUP(" & A1 & IFS',                         # names inside a string literal
    "='XLOOKUP(x) sheet'!A1 + 1",                       # ... or inside a quoted sheet name
    "=SUM(Table1[[#This Row],[IFS(]])",                 # ... or inside a structured reference
    "=_xlfn._xlws.FILTER(A1:A9,B1:B9>0)", "=_xlfn._xlws.SORT(A1:A9)",
    "=_xlfn.LET(_xlpm.rate,0.07,_xlpm.amount,B2,ROUND(_xlpm.amount*_xlpm.rate,2))",
    "=_xlfn.MAP(A1:A3,_xlfn.LAMBDA(_xlpm.v,_xlpm.v*2))",
    "=SUMIFS(C:C,D:D,\"res\")+NETWORKDAYS(A1,B1)+EDATE(A1,1)+ROUND(A1,2)",
    "=_xlfn.IFNA(VLOOKUP(A1,B:C,2,FALSE),0)+_xlfn.DAYS(A1,B1)+_xlfn.CONCAT(A1,B1)",
])
def test_correctly_stored_formulas_pass(formula):
    assert lint_formula(formula) == []


@pytest.mark.parametrize("formula, fragment", [
    ("=XLOOKUP(A1,B:B,C:C)", "_xlfn.XLOOKUP"),
    ("=xlookup(A1,B:B,C:C)", "_xlfn.XLOOKUP"),
    ("=IF(A1>0,IFS(A1>1,1,TRUE,2),0)", "_xlfn.IFS"),
    ("=DAYS(B1,A1)", "_xlfn.DAYS"), ("=TEXTJOIN(\",\",TRUE,A1:A3)", "_xlfn.TEXTJOIN"),
    ("=MAXIFS(A:A,B:B,1)+MINIFS(A:A,B:B,1)", "_xlfn.MINIFS"), ("=SWITCH(A1,1,\"a\",\"b\")", "_xlfn.SWITCH"),
    ("=XMATCH(1,A:A)", "_xlfn.XMATCH"), ("=IFNA(A1,0)", "_xlfn.IFNA"), ("=CONCAT(A1,B1)", "_xlfn.CONCAT"),
    ("=SEQUENCE(3)", "_xlfn.SEQUENCE"), ("=UNIQUE(A1:A9)", "_xlfn.UNIQUE"),
    ("=FILTER(A1:A9,B1:B9>0)", "_xlfn._xlws.FILTER"), ("=_xlfn.SORT(A1:A9)", "_xlfn._xlws.SORT"),
    ("=_xlfn.LET(x,1,x+1)", "_xlpm.x"), ("=_xlfn.LET(_xlpm.x,1,x+1)", "must be used as _xlpm.x"),
    ("=_xlfn.LAMBDA(v,v*2)(3)", "_xlpm.v"),
])
def test_missing_prefixes_are_flagged(formula, fragment):
    problems = lint_formula(formula)
    assert problems and any(fragment in p for p in problems), problems


def test_both_missing_prefixes_in_one_formula_are_reported():
    problems = lint_formula("=MAXIFS(A:A,B:B,1)+MINIFS(A:A,B:B,1)")
    assert len(problems) == 2


def test_lint_workbook_names_the_cell_defined_name_and_rule(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Bills"
    ws["A1"], ws["B1"] = "10-2041", 62.40
    ws["C2"] = "=XLOOKUP(A1,A:A,B:B)"
    ws["C3"] = "=_xlfn.XLOOKUP(A1,A:A,B:B)"
    ws["C4"] = '="use XLOOKUP( here"'
    wb.defined_names["Late"] = DefinedName("Late", attr_text="IFS(Bills!$B$1>0,1,TRUE,0)")
    ws.conditional_formatting.add("B1:B9", FormulaRule(formula=["XMATCH(B1,$B$1:$B$9)>1"]))
    dv = DataValidation(type="custom", formula1="SWITCH(A1,1,TRUE,FALSE)")
    dv.add("A1:A9")
    ws.add_data_validation(dv)
    path = tmp_path / "template.xlsx"
    wb.save(path)

    findings = lint_workbook(path)
    assert len(findings) == 4, [str(f) for f in findings]
    cell = [f for f in findings if f.row is not None]
    assert [(f.file, f.sheet, f.row, f.column) for f in cell] == [("template.xlsx", "Bills", 2, "C")]
    assert "_xlfn.XLOOKUP" in cell[0].reason and cell[0].value == "=XLOOKUP(A1,A:A,B:B)"
    reasons = " | ".join(f.reason for f in findings)
    assert "defined name Late" in reasons and "_xlfn.IFS" in reasons
    assert any("conditional format B1:B9" == f.column and "_xlfn.XMATCH" in f.reason for f in findings)
    assert any("data validation" in (f.column or "") and "_xlfn.SWITCH" in f.reason for f in findings)


def test_clean_workbook_has_no_findings(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "=_xlfn.XLOOKUP(1,B:B,C:C)"
    wb.active["A2"] = "=SUM(B:B)"
    wb.save(tmp_path / "ok.xlsx")
    assert lint_workbook(tmp_path / "ok.xlsx") == []


def test_what_the_lint_prevents_really_happens_in_libreoffice(tmp_path, libreoffice):
    from utilbill.recalc import recalc_values

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"], ws["B1"] = "x", 5
    ws["C1"] = '=XLOOKUP("x",A1:A1,B1:B1)'
    ws["C2"] = '=_xlfn.XLOOKUP("x",A1:A1,B1:B1)'
    wb.save(tmp_path / "s.xlsx")
    assert recalc_values(tmp_path / "s.xlsx", ["S!C1", "S!C2"]) == {"S!C1": "#NAME?", "S!C2": 5}
    assert [f.row for f in lint_workbook(tmp_path / "s.xlsx")] == [1]
