"""The bad-input corpus through the command line, as a clerk would meet it.

Every file utilbill reads (readings for the bill run, the three CIS extracts, payment
batches, the bank's report) is handed in broken in every way a file can be broken (not a
workbook, damaged, encrypted, an .xls/.ods renamed, empty, headers renamed or missing) and
with bad rows (text in numbers, impossible dates, formula errors, negative and absurd
amounts, duplicates, unknown accounts), as .xlsx and as CSV with a BOM, semicolons or
Latin-1. Each one must end with exit code 2, a message naming the file (and the row and
column for a bad cell) and what was expected, no traceback, and a store whose every table
is exactly as it was. The files are generated here into a temporary folder; nothing binary
is committed (see tests/data/bad/README.md).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

import badinputs
from books import DAY, sample_utility, snapshot
from utilbill.cli import app
from utilbill.commands import common

runner = CliRunner()
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


@dataclass(frozen=True)
class Reader:
    """A command that reads a file, the sheet and headers it expects, and one good row."""

    name: str
    argv: tuple[str, ...]  # the file's path goes where "{file}" is
    sheet: str
    header: tuple[str, ...]
    good: tuple
    above: tuple = ()  # rows above the header (a payment batch's ticket)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    u = sample_utility(root / "utility", accounts=30, months=4)
    import sqlite3

    con = sqlite3.connect(u.store_path)
    acct, last = con.execute("SELECT account_no, max(read_date) FROM reads GROUP BY account_no ORDER BY account_no "
                             "LIMIT 1").fetchone()
    con.close()
    u.store.dispose()
    return u, acct, date.fromisoformat(last), root


def readers(acct: str) -> dict[str, Reader]:
    return {r.name: r for r in (
        Reader("bill-run", ("bill-run", "{file}", "--strict", "--date", "2026-03-16"), "Readings",
               ("Account", "Read Date", "Reading", "Read Type"), (acct, DAY, 99999, "actual")),
        Reader("import-accounts", ("import", "accounts", "{file}"), "Accounts",
               ("Account", "Class", "Customer Name", "Service Address", "Meter Size", "Service Start"),
               ("30-0001-1", "residential", "New Customer", "1 Oak St", "5/8", DAY)),
        Reader("import-reads", ("import", "reads", "{file}"), "Reads", ("Account", "Read Date", "Reading", "Read Type"),
               (acct, date(2026, 3, 20), 99999, "actual")),
        Reader("import-postings", ("import", "postings", "{file}"), "Postings", ("Account", "Date", "Kind", "Amount"),
               (acct, DAY, "payment", 10.00)),
        Reader("payments", ("payments", "post", "{file}", "--source", "mail"), "Batch",
               ("Account", "Amount", "Tender", "Check No"), (acct, 10.00, "check", "1001"),
               above=(("Batch date", DAY), ("Control count", 2), ("Control total", 20.00), ())),
        Reader("bank-report", ("cash", "bank-report", "{file}"), "Bank Report", ("Date", "Bank", "Items", "Total"),
               (DAY, "First Bank", 3, 150.00)),
    )}


def write_xlsx(path: Path, reader: Reader, rows, *, header=None, extra=None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = reader.sheet
    for r in reader.above:
        ws.append(list(r))
    ws.append(list(header or reader.header))
    for r in rows:
        ws.append(list(r))
    if extra:
        extra(ws)
    wb.save(path)
    return path


def header_row(reader: Reader) -> int:
    return len(reader.above) + 1


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Findings tables one line per finding, as on a wide terminal (assertions read them)."""
    monkeypatch.setattr(common.err_console, "width", 1000)
    monkeypatch.setattr(common.console, "width", 1000)


def run_rejected(u, reader: Reader, path: Path, *needles: str):
    """Run the command; assert exit 2, every needle in the message, no traceback, store unchanged."""
    before = snapshot(u.store_path)
    argv = [a.replace("{file}", str(path)) for a in reader.argv] + ["--home", str(u.root)]
    res = runner.invoke(app, argv)
    out = res.output
    assert res.exit_code == 2, f"{reader.name} {path.name}: exit {res.exit_code}\n{out}\n{res.exception!r}"
    assert isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in out
    for n in needles:
        assert n.lower() in out.lower(), f"{reader.name} {path.name}: {n!r} not in\n{out}"
    after = snapshot(u.store_path)
    assert after == before, f"{reader.name} {path.name} changed tables " \
                            f"{[t for t in before if before[t] != after.get(t)]}"
    return out


# --- files that are not readable workbooks -------------------------------------------------

def _unreadable(folder: Path, reader: Reader) -> dict[str, tuple[Path, str]]:
    """name -> (file, what the message must say)."""
    good = write_xlsx(folder / f"{reader.name}-good.xlsx", reader, [reader.good])
    data = good.read_bytes()
    files = {
        "corrupt zip": (data[: len(data) // 2], "damaged"),
        "not a zip": (b"PK\x03\x04" + b"\x00garbage" * 50, "damaged"),
        "password-protected": (OLE + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512, "password-protected"),
        "xls named xlsx": (OLE + "Workbook".encode("utf-16-le") + b"\x00" * 1024, "Excel 97-2003"),
        "empty file": (b"", "empty"),
        "web page": (b"<html><body><table><tr><td>x</td></tr></table></body></html>", "web page"),
        "pdf": (b"%PDF-1.4\n", "PDF"),
    }
    out = {}
    for name, (content, needle) in files.items():
        p = folder / f"{reader.name}-{name.replace(' ', '_')}.xlsx"
        p.write_bytes(content)
        out[name] = (p, needle)
    ods = folder / f"{reader.name}-ods.xlsx"
    with zipfile.ZipFile(ods, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<x/>")
    out["ods named xlsx"] = (ods, "OpenDocument")
    empty = folder / f"{reader.name}-empty_sheet.xlsx"
    wb = Workbook()
    wb.active.title = reader.sheet
    wb.save(empty)
    out["empty sheet"] = (empty, "empty")
    out["renamed headers"] = (write_xlsx(folder / f"{reader.name}-renamed.xlsx", reader, [reader.good],
                                         header=[f"{h} (new)" for h in reader.header]), "header")
    out["missing column"] = (write_xlsx(folder / f"{reader.name}-missing.xlsx", reader, [reader.good[:1]],
                                        header=reader.header[:1]), "missing required column")
    out["missing file"] = (folder / f"{reader.name}-no_such_file.xlsx", "not found")
    return out


@pytest.mark.parametrize("reader_name", ["bill-run", "import-accounts", "import-reads", "import-postings", "payments",
                                         "bank-report"])
def test_unreadable_files_are_refused_with_a_clear_message_and_nothing_changes(world, reader_name):
    u, acct, _, root = world
    reader = readers(acct)[reader_name]
    folder = root / f"unreadable-{reader_name}"
    folder.mkdir()
    for name, (path, needle) in _unreadable(folder, reader).items():
        run_rejected(u, reader, path, path.name, needle)


# --- bad rows --------------------------------------------------------------------------------

def _bad_rows(acct: str, last: date):
    """(reader, case, rows, (row offset of the bad row below the header, column header, reason part))."""
    g = readers(acct)
    unknown = "99-9999-9"
    return [
        ("bill-run", "text in reading", [(acct, DAY, "N/A", "actual")], (1, "Reading", "expected a whole number")),
        ("bill-run", "impossible date", [(acct, "2026-02-30", 5, "actual")], (1, "Read Date", "expected a date")),
        ("bill-run", "negative reading", [(acct, DAY, -5, "actual")], (1, "Reading", "")),
        ("bill-run", "unknown account", [g["bill-run"].good, (unknown, DAY, 5, "actual")], (2, "Account", "unknown account")),
        ("bill-run", "duplicate", [g["bill-run"].good, g["bill-run"].good], (2, "Account", "appears again")),
        ("bill-run", "read before the last", [(acct, last.replace(day=1), 5, "actual")], (1, "Read Date", "before")),
        ("import-accounts", "unknown class", [("30-0002-2", "industrial", "X", "1 A St", "5/8", DAY)],
         (1, "Class", "expected one of")),
        ("import-accounts", "date as text", [("30-0002-2", "residential", "X", "1 A St", "5/8", "next week")],
         (1, "Service Start", "expected a date")),
        ("import-accounts", "already in the store", [(acct, "residential", "X", "1 A St", "5/8", DAY)],
         (1, "Account", "already in the store")),
        ("import-accounts", "duplicate", [g["import-accounts"].good, g["import-accounts"].good], (2, "Account", "appears again")),
        ("import-reads", "unknown account", [(unknown, DAY, 5, "actual")], (1, "Account", "unknown account")),
        ("import-reads", "text in reading", [(acct, DAY, "twelve", "actual")], (1, "Reading", "expected a whole number")),
        ("import-reads", "duplicate", [g["import-reads"].good, g["import-reads"].good], (2, "Read Date", "appears again")),
        ("import-postings", "absurd amount", [(acct, DAY, "payment", 5_000_000)], (1, "Amount", "")),
        ("import-postings", "negative payment", [(acct, DAY, "payment", -10)], (1, "Amount", "must be positive")),
        ("import-postings", "unknown kind", [(acct, DAY, "gift", 10)], (1, "Kind", "expected one of")),
        ("import-postings", "unknown account", [(unknown, DAY, "payment", 10)], (1, "Account", "unknown account")),
        ("payments", "negative amount", [g["payments"].good, (acct, -10.00, "check", "1002")], (2, "Amount", "")),
        ("payments", "text amount", [g["payments"].good, (acct, "twelve", "check", "1002")], (2, "Amount", "expected")),
        ("payments", "check without number", [g["payments"].good, (acct, 10.00, "check", None)], (2, "", "check")),
        ("payments", "does not balance", [g["payments"].good, (acct, 12.00, "check", "1002")], (None, "", "22.00")),
        ("bank-report", "text total", [(DAY, "First Bank", 3, "lots")], (1, "Total", "expected")),
        ("bank-report", "negative items", [(DAY, "First Bank", -3, 10)], (1, "Items", "")),
        ("bank-report", "date as text", [("yesterday", "First Bank", 3, 10)], (1, "Date", "expected a date")),
    ]


def test_bad_rows_name_file_sheet_row_and_column_and_nothing_changes(world):
    u, acct, last, root = world
    folder = root / "rows"
    folder.mkdir()
    g = readers(acct)
    for i, (name, case, rows, (offset, column, reason)) in enumerate(_bad_rows(acct, last)):
        reader = g[name]
        path = write_xlsx(folder / f"{name}-{i}.xlsx", reader, rows)
        needles = [path.name, reason]
        if offset is not None:
            needles.append(f"row {header_row(reader) + offset}")
        if column:
            needles.append(f"column {column}")
        run_rejected(u, reader, path, *needles)


def test_formula_errors_and_header_below_a_title_keep_excel_row_numbers(world):
    u, acct, _, root = world
    reader = readers(acct)["import-reads"]
    path = root / "formula.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Reads"
    ws.append(["Meter read history"])
    ws.append([])
    ws.append(list(reader.header))  # header on row 3
    ws.append([acct, date(2026, 3, 20), 5, "actual"])
    ws.append([acct, date(2026, 3, 21), "=VLOOKUP(A5,Z:Z,2,0)", "actual"])
    ws.append([acct, date(2026, 3, 22), "=1+1", "actual"])
    wb.save(path)
    badinputs.set_cached_values(path, {"C5": ("e", "#N/A")})  # C6: a formula never calculated
    out = run_rejected(u, reader, path, "formula.xlsx", "row 5", "column Reading", "#N/A", "row 6",
                       "never calculated")
    assert "row 4" not in out


def test_csv_with_bom_semicolons_and_latin1_report_the_bad_cell(world):
    u, acct, _, root = world
    reader = readers(acct)["import-postings"]
    body = [f"Account{{d}}Date{{d}}Kind{{d}}Amount", f"{acct}{{d}}2026-03-16{{d}}payment{{d}}{{ok}}",
            f"{acct}{{d}}2026-03-16{{d}}payment{{d}}dix €uros"]
    cases = {
        "bom.csv": b"\xef\xbb\xbf" + "\r\n".join(body).format(d=",", ok="10.00").encode("utf-8"),
        "semicolon.csv": "\n".join(body).format(d=";", ok="10,00").encode("utf-8"),
        "latin1.csv": "\n".join(body).format(d=",", ok="10.00").replace("€", "é").encode("latin-1"),
    }
    for name, content in cases.items():
        path = root / name
        path.write_bytes(content)
        run_rejected(u, reader, path, name, "row 3", "column Amount", "expected")


def test_a_big_bank_report_with_one_bad_cell_on_its_last_row_is_read_to_the_end_and_refused(world):
    """200,000 rows through the command (the reader's own test streams 1,000,000 rows in
    bounded memory: tests/test_xlio.py); the one bad cell is on the last row."""
    u, acct, _, root = world
    reader = readers(acct)["bank-report"]
    path = root / "big.xlsx"
    n = 200_000
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                    'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>')
        zf.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                    f'package/2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" '
                    f'Target="xl/workbook.xml"/></Relationships>')
        zf.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel}"><sheets>'
                    f'<sheet name="Bank Report" sheetId="1" r:id="rId1"/></sheets></workbook>')
        zf.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.'
                    f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" '
                    f'Target="worksheets/sheet1.xml"/></Relationships>')
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(f'<?xml version="1.0"?><worksheet {ns}><sheetData><row r="1">'.encode())
            fh.write("".join(f'<c r="{c}1" t="inlineStr"><is><t>{h}</t></is></c>'
                             for c, h in zip("ABCD", reader.header)).encode() + b"</row>")
            chunk = []
            for r in range(2, n + 2):
                total = "<c r=\"D%d\" t=\"inlineStr\"><is><t>n/a</t></is></c>" % r if r == n + 1 else \
                    f'<c r="D{r}"><v>{r % 5000}.25</v></c>'
                chunk.append(f'<row r="{r}"><c r="A{r}"><v>{46000 + r % 300}</v></c><c r="B{r}" t="inlineStr"><is><t>'
                             f'Bank {r}</t></is></c><c r="C{r}"><v>{r % 40}</v></c>{total}</row>')
                if len(chunk) == 50_000:
                    fh.write("".join(chunk).encode())
                    chunk.clear()
            fh.write(("".join(chunk) + "</sheetData></worksheet>").encode())
    run_rejected(u, reader, path, "big.xlsx", f"row {n + 1}", "column Total", "expected an amount")
