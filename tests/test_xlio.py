"""Reading clerks' files into typed rows with findings, and writing workbooks safely."""

from __future__ import annotations

import csv
import hashlib
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import badinputs
from badinputs import PAYMENTS
from utilbill import row_sources
from utilbill.layouts_core import Column, SheetLayout
from utilbill.xlio import (mask_bank_account, read_table, safe_text, save_workbook, write_cell, write_csv,
                           write_rows_fast, write_table)

JAN31 = date(2026, 1, 31)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return badinputs.make_corpus(tmp_path_factory.mktemp("bad"))


def errors(result):
    return [f for f in result.errors]


def one_error(result):
    errs = errors(result)
    assert len(errs) == 1, [str(f) for f in result.findings]
    return errs[0]


# ------------------------------------------------------------------ good files


def test_good_workbook_is_read_typed_with_excel_row_numbers(corpus):
    r = read_table(corpus["good"], PAYMENTS)
    assert r.ok and r.findings == []
    assert r.sheet == "Payments" and r.header_row == 1
    assert r.rows[0] == {"_row": 2, "account": "10-2041", "customer": "Ana Peña", "amount": Decimal("62.40"),
                         "paid_on": JAN31, "method": "check", "autopay": False}
    assert r.rows[1]["account"] == "102042"  # the number 102042.0 from Excel, as account text
    assert r.rows[1]["autopay"] is False  # blank optional bool takes the column default
    assert r.rows[2]["method"] == "card" and r.rows[2]["autopay"] is True  # "Card" matches; "x" is yes
    assert r.file_hash == hashlib.sha256(corpus["good"].read_bytes()).hexdigest()
    assert r.good_rows == r.rows and r.bad_row_numbers == set()


def test_header_on_row_4_found_through_aliases_case_spaces_and_underscores(corpus):
    r = read_table(corpus["header_row4"], PAYMENTS)
    assert r.ok, [str(f) for f in r.findings]
    assert r.header_row == 4
    assert [row["_row"] for row in r.rows] == [5, 6, 7]
    assert r.headers == {"account": "Account Number", "customer": "Customer", "amount": "AMOUNT",
                         "paid_on": "Payment_Date"}
    assert r.rows[0]["amount"] == Decimal("62.40") and r.rows[0]["method"] is None


def test_fixed_header_row_in_the_layout_is_used(corpus):
    layout = SheetLayout("Payments", PAYMENTS.columns, header_row=4)
    r = read_table(corpus["header_row4"], layout)
    assert r.ok and r.header_row == 4 and len(r.rows) == 3


# ------------------------------------------------------------------ column problems


def test_renamed_column_is_a_missing_column_naming_what_was_found(corpus):
    r = read_table(corpus["renamed_column"], PAYMENTS)
    f = one_error(r)
    assert (f.file, f.sheet, f.row) == ("renamed_column.xlsx", "Payments", 1)
    assert "missing required column(s): amount" in f.reason
    assert "'Amt'" in f.reason and "'Acct'" in f.reason  # what the file does have
    assert r.rows == []


def test_missing_column(corpus):
    f = one_error(read_table(corpus["missing_column"], PAYMENTS))
    assert "missing required column(s): paid_on" in f.reason


def test_extra_column_is_a_warning_and_the_rows_are_read(corpus):
    r = read_table(corpus["extra_column"], PAYMENTS)
    assert r.ok and len(r.rows) == 1 and "Notes" not in r.rows[0]
    [w] = r.findings
    assert w.severity == "warning" and w.column == "Notes" and "extra column" in w.reason


def test_merged_cells_are_named_and_the_blank_cell_they_hide_is_an_error(corpus):
    r = read_table(corpus["merged"], PAYMENTS)
    [w] = [f for f in r.findings if f.severity == "warning"]
    assert "A3:A4" in w.reason and w.row == 3 and w.column == "account"
    f = one_error(r)
    assert (f.row, f.column) == (4, "account") and "blank" in f.reason
    assert r.bad_row_numbers == {4} and [row["_row"] for row in r.good_rows] == [2, 3]


# ------------------------------------------------------------------ cell problems


def test_text_in_a_money_column(corpus):
    r = read_table(corpus["text_in_numbers"], PAYMENTS)
    by_row = {f.row: f for f in r.errors}
    assert set(by_row) == {2, 4}
    f = by_row[2]
    assert (f.file, f.sheet, f.column, f.value) == ("text_in_numbers.xlsx", "Payments", "amount", "twelve")
    assert "C2" in f.reason and "not a number" in f.reason and "expected an amount of money" in f.reason
    assert "'12,50'" in by_row[4].reason  # a comma that is not a thousands separator is refused, not 1250
    assert r.rows[1]["amount"] == Decimal("1234.50")  # "$1,234.50" is money


def test_dates_as_text_in_several_forms_and_as_serial_numbers(corpus):
    r = read_table(corpus["dates"], PAYMENTS)
    good = {row["_row"]: row["paid_on"] for row in r.good_rows}
    assert good == {n: JAN31 for n in range(2, 9)}  # ISO, US, "Jan 31, 2026", "31-Jan-2026", 20260131, serial, y/m/d
    reasons = {f.row: f.reason for f in r.errors}
    assert set(reasons) == {9, 10, 11, 12, 13}
    assert "day/month/year" in reasons[9]
    assert "two-digit year" in reasons[10]
    assert "no such day as 2026-02-30" in reasons[11]
    assert "not a date" in reasons[12] and "'soon'" in reasons[12]
    assert "1900-01-05" in reasons[13] and "found 5" in reasons[13]  # a tiny number is not a plausible date
    assert all(f.column == "paid_on" and f.sheet == "Payments" for f in r.errors)


def test_formula_errors_and_never_calculated_formulas_name_the_cell(corpus):
    r = read_table(corpus["formula_errors"], PAYMENTS)
    by_row = {f.row: f for f in r.errors}
    assert set(by_row) == {2, 3, 4}
    assert "C2" in by_row[2].reason and "#N/A" in by_row[2].reason and by_row[2].column == "amount"
    assert "C3" in by_row[3].reason and "#VALUE!" in by_row[3].reason
    assert "C4" in by_row[4].reason and "no saved result" in by_row[4].reason
    assert r.good_rows == []


def test_negative_and_absurd_amounts_per_column_bounds(corpus):
    r = read_table(corpus["bad_amounts"], PAYMENTS)
    by_row = {f.row: f.reason for f in r.errors}
    assert set(by_row) == {2, 3}
    assert "-5.00 is below the smallest allowed value, 0" in by_row[2]
    assert "250000.00 is above the largest allowed value, 10000" in by_row[3]
    assert [row["amount"] for row in r.good_rows] == [Decimal("10.00")]


def test_blank_rows_are_skipped_silently_and_blank_required_cells_are_errors(corpus):
    r = read_table(corpus["blanks"], PAYMENTS)
    assert [row["_row"] for row in r.rows] == [2, 5, 6]  # rows 3 and 4 are blank (one only has spaces)
    f = one_error(r)
    assert (f.row, f.column) == (5, "customer") and "B5" in f.reason and "blank" in f.reason


# ------------------------------------------------------------------ sheet problems


def test_empty_sheet(corpus):
    f = one_error(read_table(corpus["empty_sheet"], PAYMENTS))
    assert f.sheet == "Payments" and "empty" in f.reason


def test_sheet_not_found_lists_the_sheets(corpus):
    f = one_error(read_table(corpus["wrong_sheet"], PAYMENTS))
    assert "sheet 'Payments' not found" in f.reason and "'Sheet1', 'Notes'" in f.reason
    f = one_error(read_table(corpus["good"], PAYMENTS, sheet="Readings"))
    assert "'Readings' not found" in f.reason and "'Payments'" in f.reason


def test_sheet_names_match_without_case_and_a_lone_sheet_is_read_with_a_warning(corpus):
    assert read_table(corpus["good"], PAYMENTS, sheet="payments").ok
    r = read_table(corpus["single_other_sheet"], PAYMENTS)
    assert r.ok and r.sheet == "Sheet1" and len(r.rows) == 1
    assert r.findings[0].severity == "warning" and "only sheet" in r.findings[0].reason


# ------------------------------------------------------------------ file problems


@pytest.mark.parametrize("name, words", [
    ("missing_file", ["file not found"]),
    ("empty_file", ["empty", "0 bytes"]),
    ("corrupt", ["damaged"]),
    ("not_zip", ["damaged"]),
    ("encrypted", ["password-protected"]),
    ("ole_only", ["password-protected", "97-2003"]),
    ("xls_renamed", ["really an Excel 97-2003 workbook (.xls) named .xlsx", "save it as Excel Workbook (.xlsx)"]),
    ("ods_renamed", ["really an OpenDocument spreadsheet (.ods) named .xlsx", "save it as Excel Workbook (.xlsx)"]),
    ("html", ["web page (HTML)"]),
])
def test_unreadable_files_give_one_clear_finding(corpus, name, words):
    r = read_table(corpus[name], PAYMENTS)
    f = one_error(r)
    assert f.file == corpus[name].name and r.rows == []
    for word in words:
        assert word in f.reason


def test_real_xls_and_ods_made_by_libreoffice_are_recognised(corpus, tmp_path, libreoffice):
    from utilbill.recalc import convert

    for fmt, words in (("xls", "Excel 97-2003"), ("ods", "OpenDocument")):
        made = convert(corpus["good"], fmt, tmp_path / fmt)
        renamed = made.rename(made.with_name(f"really_{fmt}.xlsx"))
        f = one_error(read_table(renamed, PAYMENTS))
        assert words in f.reason, f.reason


# ------------------------------------------------------------------ CSV


@pytest.mark.parametrize("name, encoding, delimiter", [
    ("csv_bom", "utf-8-sig", ","), ("csv_latin1", "cp1252", ","), ("csv_semicolon", "utf-8", ";"),
    ("csv_tab", "utf-8", "\t"),
])
def test_csv_encodings_and_delimiters(corpus, name, encoding, delimiter):
    r = read_table(corpus[name], PAYMENTS)
    assert r.ok, [str(f) for f in r.findings]
    assert (r.encoding, r.delimiter, r.sheet) == (encoding, delimiter, None)
    assert [row["customer"] for row in r.rows] == ["Ana Peña", "Bo Chen"]
    assert [row["amount"] for row in r.rows] == [Decimal("62.40"), Decimal("1118.05")]  # "1.118,05" with ;
    assert [row["paid_on"] for row in r.rows] == [JAN31, date(2026, 2, 2)]
    assert [row["_row"] for row in r.rows] == [2, 3]


def test_csv_cell_findings_name_file_row_and_column(tmp_path):
    p = tmp_path / "pay.csv"
    p.write_text("account,customer,amount,paid_on\n1,A,abc,2026-01-02\n", encoding="utf-8")
    f = one_error(read_table(p, PAYMENTS))
    assert (f.file, f.sheet, f.row, f.column, f.value) == ("pay.csv", None, 2, "amount", "abc")


# ------------------------------------------------------------------ layout kinds


@pytest.mark.parametrize("kind, raw, expected", [
    ("account", 102041.0, "102041"), ("account", "102041.0", "102041"), ("account", " 10-2041 ", "10-2041"),
    ("int", 12.0, 12), ("int", "1,234", 1234), ("decimal", "0.333333333", Decimal("0.333333333")),
    ("decimal", 2.675, Decimal("2.675")), ("money", 2.675, Decimal("2.68")), ("money", "(3.00)", Decimal("-3.00")),
    ("date", 61, date(1900, 3, 1)), ("date", datetime(2026, 1, 31, 14, 5), JAN31), ("date", "31.01.2026", JAN31),
    ("date", "January 31st, 2026", JAN31), ("date", "2026-01-31T00:00:00", JAN31),
    ("bool", "Yes", True), ("bool", "N", False), ("bool", 1, True), ("bool", "0", False), ("text", 12.0, "12"),
])
def test_column_kinds_convert(kind, raw, expected):
    value, problem = Column("c", kind, min=None if kind != "date" else date(1900, 1, 1)).parse(raw)
    assert problem is None and value == expected and type(value) is type(expected)


@pytest.mark.parametrize("kind, raw, words", [
    ("account", 1.0204100000000001e15, "15 digits"), ("account", "1.02041E+15", "scientific"),
    ("int", 12.5, "not a whole number"), ("money", True, "TRUE/FALSE"), ("money", "12,50", "not a number"),
    ("date", 60, "1900-02-29"), ("bool", "maybe", "not yes or no"), ("date", "13/13/2026", "no such day"),
])
def test_column_kinds_refuse(kind, raw, words):
    value, problem = Column("c", kind).parse(raw)
    assert value is None and words in problem


def test_choice_column_matches_without_case_and_lists_choices():
    col = Column("method", "choice", choices=("check", "cash"))
    assert col.parse("CASH") == ("cash", None)
    assert col.parse("wire")[1].endswith("expected one of: check, cash")


def test_layout_refuses_a_header_that_names_two_columns():
    with pytest.raises(ValueError):
        SheetLayout("S", [Column("amount", "money"), Column("total", "money", aliases=("Amount",))])


# ------------------------------------------------------------------ the streaming reader


def test_streaming_reader_gives_the_same_rows_and_findings(corpus, monkeypatch):
    names = ["good", "header_row4", "merged", "formula_errors", "dates", "blanks", "bad_amounts"]
    fast = {n: read_table(corpus[n], PAYMENTS) for n in names}
    monkeypatch.setattr(row_sources, "STREAM_ABOVE_BYTES", 0)  # read by row_sources._xlsx_source
    for n in names:
        slow = read_table(corpus[n], PAYMENTS)
        assert slow.rows == fast[n].rows, n
        assert slow.findings == fast[n].findings, n


def test_a_million_rows_stream_in_bounded_memory(tmp_path):
    path = badinputs.big_xlsx(tmp_path / "big.xlsx", 1_000_000)
    script = textwrap.dedent(f"""
        import resource, sys, time
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from badinputs import PAYMENTS
        from utilbill.xlio import ReadResult, iter_table
        start = time.time()
        result = ReadResult({str(path)!r})
        count, last = 0, None
        for row in iter_table(result.path, PAYMENTS, result=result):
            count += 1
            last = row
        print(count, len(result.findings), last["_row"], last["account"], last["amount"], last["paid_on"],
              resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, round(time.time() - start, 1))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.split()
    count, findings, last_row, account, amount, paid_on, rss_mb, seconds = out
    # the last row is Excel row 1,000,001: account 100000+r, amount r%9000 . r%100, serial 46023 + r%365
    assert (count, findings, last_row, account, amount) == ("1000000", "0", "1000001", "1100001", "1001.01")
    assert paid_on == "2026-09-24"
    assert int(rss_mb) < 1500, f"{rss_mb} MB"
    print(f"1,000,000 rows in {seconds} s, peak {rss_mb} MB")


# ------------------------------------------------------------------ writing


INJECTION = '=HYPERLINK("http://x","y")'


def test_customer_named_like_a_formula_is_saved_as_text(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for row, text in enumerate([INJECTION, "+1 555 0100", "-note", "@SUM(A1)"], start=1):
        write_cell(ws, row, 1, text)
    save_workbook(wb, tmp_path / "out.xlsx")
    back = openpyxl.load_workbook(tmp_path / "out.xlsx")
    cells = [back.active.cell(row=r, column=1) for r in range(1, 5)]
    assert [c.data_type for c in cells] == ["s"] * 4
    assert cells[0].value == INJECTION
    assert list(tmp_path.iterdir()) == [tmp_path / "out.xlsx"]  # atomic: no temporary file left


def test_safe_text_and_masking():
    assert safe_text(INJECTION) == "'" + INJECTION
    assert [safe_text(t) for t in ("+1", "-1", "@x", "\tx", "\rx")] == ["'+1", "'-1", "'@x", "'\tx", "'\rx"]
    assert safe_text("Ana") == "Ana" and safe_text(Decimal("-5.00")) == Decimal("-5.00")
    assert mask_bank_account("0012 3456-7890 1234") == "****1234"
    assert mask_bank_account("123") == "****" and mask_bank_account(None) == "****"


def test_write_table_round_trips_through_read_table(tmp_path):
    layout = SheetLayout("Payments", PAYMENTS.columns, title="Payments received")
    rows = [{"account": "10-2041", "customer": INJECTION, "amount": Decimal("1234.50"), "paid_on": JAN31,
             "method": "cash", "autopay": True},
            {"account": "0102042", "customer": "Bo", "amount": Decimal("0.05"), "paid_on": date(2026, 2, 1)}]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Payments"
    ref = write_table(ws, layout, rows, table_name="Payments")
    save_workbook(wb, tmp_path / "p.xlsx")
    assert ref == "A3:F5"
    back = openpyxl.load_workbook(tmp_path / "p.xlsx").active
    assert back["A1"].value == "Payments received" and back["A3"].font.b
    assert back["C4"].number_format == "#,##0.00" and back["D4"].number_format == "yyyy-mm-dd"
    assert back["A5"].value == "0102042"  # account text keeps its leading zero
    assert back.freeze_panes == "A4" and "Payments" in back.tables
    r = read_table(tmp_path / "p.xlsx", PAYMENTS)
    assert r.ok, [str(f) for f in r.findings]
    assert r.header_row == 3
    assert r.rows[0] == {"_row": 4, **rows[0]}
    assert r.rows[1]["account"] == "0102042" and r.rows[1]["amount"] == Decimal("0.05")


def test_write_table_with_plain_headers_uses_an_autofilter(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    assert write_table(ws, ["a", "b"], [[1, Decimal("2.50")], (3, date(2026, 1, 2))]) == "A1:B3"
    assert ws.auto_filter.ref == "A1:B3" and ws["B2"].number_format == "#,##0.00"
    assert ws["B3"].number_format == "yyyy-mm-dd"


def test_write_rows_fast_writes_100k_rows_with_text_never_a_formula(tmp_path):
    n = 100_000
    headers = ["account", "customer", "amount", "paid_on"]
    rows = ([f"{100000 + i}", INJECTION if i == 7 else f"Customer {i}", Decimal(i % 5000) / 100, JAN31]
            for i in range(n))
    start = time.time()
    path = write_rows_fast(tmp_path / "big.xlsx", {"Payments": (headers, rows)}, {"amount": "money"})
    seconds = time.time() - start
    r = read_table(path, PAYMENTS)
    assert r.ok and len(r.rows) == n
    assert r.rows[7]["customer"] == INJECTION and r.rows[n - 1]["amount"] == Decimal("49.99")
    assert r.rows[0]["paid_on"] == JAN31
    first = openpyxl.load_workbook(path, read_only=True)["Payments"]
    row9 = next(first.iter_rows(min_row=9, max_row=9))
    assert row9[1].data_type == "s" and row9[2].number_format == "#,##0.00"
    print(f"write_rows_fast: {n} rows in {seconds:.1f} s")


def test_write_csv_neutralises_formula_text_and_opens_in_excel_as_utf8(tmp_path):
    path = write_csv(tmp_path / "out.csv", ["customer", "amount", "paid_on"],
                     [{"customer": INJECTION, "amount": Decimal("-5.00"), "paid_on": JAN31},
                      ["Ana Peña", Decimal("62.40"), None]])
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows == [["customer", "amount", "paid_on"], ["'" + INJECTION, "-5.00", "2026-01-31"],
                    ["Ana Peña", "62.40", ""]]
    assert list(tmp_path.iterdir()) == [path]


def test_a_header_without_data_is_a_warning(tmp_path):
    p = tmp_path / "only_header.csv"
    p.write_text("account,customer,amount,paid_on\n\n", encoding="utf-8")
    r = read_table(p, PAYMENTS)
    assert r.ok and r.rows == []
    assert [(f.severity, f.row) for f in r.findings] == [("warning", 1)] and "no data" in r.findings[0].reason


def test_an_unreadable_csv_line_is_a_finding_not_a_traceback(tmp_path):
    p = tmp_path / "huge_field.csv"
    p.write_text("account,customer,amount,paid_on\n1,A,1,2026-01-02\n2,\"" + "x" * 200_000 + "\",1,2026-01-02\n",
                 encoding="utf-8")
    r = read_table(p, PAYMENTS)
    assert [row["_row"] for row in r.rows] == [2]
    f = one_error(r)
    assert f.row == 3 and "cannot be read past row 2" in f.reason
