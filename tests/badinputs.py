"""The bad-input corpus: one small file per way a clerk's file goes wrong.

`make_corpus(folder)` writes every file and returns {name: path}; the tests read each one
with `PAYMENTS` and check the finding. Run `python tests/badinputs.py tests/data/bad` to
look at the files in Excel or LibreOffice. Nothing here is committed as binary: the corpus
is generated, so it can never drift from the code that explains it.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import zipfile
from datetime import date
from pathlib import Path

import openpyxl

if __package__ in (None, "") and str(Path(__file__).resolve().parents[1]) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from utilbill.layouts_core import Column, SheetLayout  # noqa: E402

PAYMENTS = SheetLayout("Payments", [
    Column("account", "account", aliases=("acct", "account number")),
    Column("customer", "text"),
    Column("amount", "money", min=0, max=10000),
    Column("paid_on", "date", aliases=("date paid", "payment date")),
    Column("method", "choice", required=False, choices=("check", "cash", "card")),
    Column("autopay", "bool", required=False, default=False),
])
HEADER = ["account", "customer", "amount", "paid_on", "method", "autopay"]
GOOD_ROWS = [
    ["10-2041", "Ana Peña", 62.40, date(2026, 1, 31), "check", "no"],
    [102042, "Bo Chen", 118.05, date(2026, 2, 2), "cash", None],
    ["10-2043", "Cy Dee", 0, date(2026, 2, 3), "Card", "x"],
]


def xlsx(path: Path, rows: list[list], *, sheet: str = "Payments", header_at: int = 1, extra=None) -> Path:
    """A workbook with `rows` (the first row is the header) starting on row `header_at`."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r, row in enumerate(rows, start=header_at):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    if extra:
        extra(wb, ws)
    wb.save(path)
    return path


def set_cached_values(path: Path, cells: dict[str, tuple[str, str]], sheet_index: int = 1) -> Path:
    """Give formula cells a saved result, as Excel would: {"C3": ("e", "#N/A")} or ("n", "999").
    openpyxl never writes one, and a wrong saved result is what a recalculation test needs."""
    member = f"xl/worksheets/sheet{sheet_index}.xml"
    with zipfile.ZipFile(path) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    xml = parts[member].decode()
    for ref, (kind, value) in cells.items():
        pattern = re.compile(rf'<c r="{ref}"([^>]*)>(<f[^>]*>.*?</f>|<f[^>]*/>)(?:<v\s*/>|<v>[^<]*</v>)?</c>')
        def cached(m, kind=kind, value=value, ref=ref):
            attributes = re.sub(r' t="[^"]*"', "", m[1])
            return f'<c r="{ref}"{attributes} t="{kind}">{m[2]}<v>{value}</v></c>'
        xml, n = pattern.subn(cached, xml)
        if n != 1:
            raise ValueError(f"no formula cell {ref} in {member}")
    parts[member] = xml.encode()
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    tmp.replace(path)
    return path


def big_xlsx(path: Path, n_rows: int, *, sheet: str = "Payments") -> Path:
    """A one-sheet workbook of `n_rows` payments, written as raw XML (xlsxwriter needs about
    a minute for a million rows; this takes seconds)."""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"))
        zf.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        zf.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets>'
            f'<sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        zf.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'))
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>'.encode())
            head = "".join(f'<c r="{c}1" t="inlineStr"><is><t>{h}</t></is></c>' for c, h in zip("ABCD", HEADER))
            fh.write(f'<row r="1">{head}</row>'.encode())
            batch = []
            for r in range(2, n_rows + 2):
                batch.append(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{100000 + r}</t></is></c>'
                             f'<c r="B{r}" t="inlineStr"><is><t>Customer {r}</t></is></c>'
                             f'<c r="C{r}"><v>{r % 9000}.{r % 100:02d}</v></c><c r="D{r}"><v>{46023 + r % 365}</v></c></row>')
                if len(batch) == 20000:
                    fh.write("".join(batch).encode())
                    batch.clear()
            fh.write(("".join(batch) + "</sheetData></worksheet>").encode())
    return path


def _soffice_convert(src: Path, fmt: str, out: Path) -> bool:
    """A real .xls or .ods made by LibreOffice, when it is installed."""
    try:
        from utilbill.recalc import convert, libreoffice_available
    except ImportError:
        return False
    if not libreoffice_available():
        return False
    with tempfile.TemporaryDirectory() as tmp:
        made = convert(src, fmt, Path(tmp))
        shutil.copy(made, out)
    return True


def make_corpus(folder: Path, *, real_formats: bool = False) -> dict[str, Path]:
    """Write every bad input into `folder`; with `real_formats`, the renamed .xls is made by
    LibreOffice (otherwise a file with the OLE2 header and a Workbook stream name stands in)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    f: dict[str, Path] = {}
    f["good"] = xlsx(folder / "good.xlsx", [HEADER, *GOOD_ROWS])
    f["renamed_column"] = xlsx(folder / "renamed_column.xlsx",
                               [["Acct", "customer", "Amt", "Date Paid"], ["1", "A", 1, date(2026, 1, 2)]])
    f["missing_column"] = xlsx(folder / "missing_column.xlsx", [HEADER[:3], ["1", "A", 1]])
    f["extra_column"] = xlsx(folder / "extra_column.xlsx", [HEADER + ["Notes"], GOOD_ROWS[0] + ["called"]])
    f["header_row4"] = xlsx(folder / "header_row4.xlsx", [
        ["Payments received"], [], ["Batch 17"],
        ["Account Number", "Customer", "AMOUNT", "Payment_Date"], *[r[:4] for r in GOOD_ROWS]])

    def merge(wb, ws):
        ws.merge_cells("A3:A4")
    f["merged"] = xlsx(folder / "merged.xlsx", [HEADER, GOOD_ROWS[0], ["10-2050", "Ed", 5, date(2026, 1, 5)],
                                                [None, "Flo", 6, date(2026, 1, 6)]], extra=merge)
    f["text_in_numbers"] = xlsx(folder / "text_in_numbers.xlsx", [
        HEADER[:4], ["1", "A", "twelve", date(2026, 1, 2)], ["2", "B", "$1,234.50", date(2026, 1, 2)],
        ["3", "C", "12,50", date(2026, 1, 2)]])
    f["dates"] = xlsx(folder / "dates.xlsx", [HEADER[:4]] + [[str(i), "A", 1, d] for i, d in enumerate([
        "2026-01-31", "1/31/2026", "Jan 31, 2026", "31-Jan-2026", "20260131", 46053, "2026/01/31",   # rows 2-8 good
        "31/01/2026", "1/31/26", "2026-02-30", "soon", 5], start=1)])                                 # rows 9-13 bad

    def formulas(wb, ws):
        ws["C2"], ws["C3"], ws["C4"] = "=NA()", "=1+\"x\"", "=1+1"
    f["formula_errors"] = xlsx(folder / "formula_errors.xlsx",
                               [HEADER[:4], ["1", "A", 0, date(2026, 1, 2)], ["2", "B", 0, date(2026, 1, 2)],
                                ["3", "C", 0, date(2026, 1, 2)]], extra=formulas)
    set_cached_values(f["formula_errors"], {"C2": ("e", "#N/A"), "C3": ("e", "#VALUE!")})  # C4: never calculated
    f["bad_amounts"] = xlsx(folder / "bad_amounts.xlsx", [
        HEADER[:4], ["1", "A", -5, date(2026, 1, 2)], ["2", "B", 250000, date(2026, 1, 2)], ["3", "C", 10, date(2026, 1, 2)]])
    f["blanks"] = xlsx(folder / "blanks.xlsx", [HEADER[:4], ["1", "A", 1, date(2026, 1, 2)], [None] * 4, [" ", "", None],
                                                ["2", None, 2, date(2026, 1, 2)], ["3", "C", 3, date(2026, 1, 2)]])
    f["empty_sheet"] = xlsx(folder / "empty_sheet.xlsx", [])
    f["wrong_sheet"] = xlsx(folder / "wrong_sheet.xlsx", [HEADER, GOOD_ROWS[0]], sheet="Sheet1",
                            extra=lambda wb, ws: wb.create_sheet("Notes"))
    f["single_other_sheet"] = xlsx(folder / "single_other_sheet.xlsx", [HEADER, GOOD_ROWS[0]], sheet="Sheet1")
    data = f["good"].read_bytes()
    (folder / "corrupt.xlsx").write_bytes(data[: len(data) // 2])
    f["corrupt"] = folder / "corrupt.xlsx"
    (folder / "not_zip.xlsx").write_bytes(b"PK\x03\x04" + b"\x00garbage" * 50)
    f["not_zip"] = folder / "not_zip.xlsx"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    (folder / "encrypted.xlsx").write_bytes(ole + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512)
    f["encrypted"] = folder / "encrypted.xlsx"
    (folder / "ole_only.xlsx").write_bytes(ole + b"\x00" * 1024)
    f["ole_only"] = folder / "ole_only.xlsx"
    f["xls_renamed"] = folder / "xls_renamed.xlsx"
    if not (real_formats and _soffice_convert(f["good"], "xls", f["xls_renamed"])):
        f["xls_renamed"].write_bytes(ole + "Workbook".encode("utf-16-le") + b"\x00" * 1024)
    with zipfile.ZipFile(folder / "ods_renamed.xlsx", "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        zf.writestr("content.xml", '<?xml version="1.0"?><office:document-content '
                    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>')
    f["ods_renamed"] = folder / "ods_renamed.xlsx"
    (folder / "empty_file.xlsx").write_bytes(b"")
    f["empty_file"] = folder / "empty_file.xlsx"
    (folder / "html.xlsx").write_bytes(b"<html><body><table><tr><td>account</td></tr></table></body></html>")
    f["html"] = folder / "html.xlsx"
    f["missing_file"] = folder / "no_such_file.xlsx"
    csv_rows = "account,customer,amount,paid_on\r\n10-2041,Ana Peña,62.40,1/31/2026\r\n102042,Bo Chen,\"1,118.05\",2026-02-02\r\n"
    (folder / "bom.csv").write_bytes(b"\xef\xbb\xbf" + csv_rows.encode("utf-8"))
    f["csv_bom"] = folder / "bom.csv"
    (folder / "semicolon.csv").write_bytes(
        "Account;Customer;Amount;Payment Date\n10-2041;Ana Peña;62,40;31.01.2026\n102042;Bo Chen;1.118,05;02.02.2026\n".encode("utf-8"))
    f["csv_semicolon"] = folder / "semicolon.csv"
    (folder / "latin1.csv").write_bytes(csv_rows.encode("cp1252"))
    f["csv_latin1"] = folder / "latin1.csv"
    (folder / "tab.txt").write_bytes(csv_rows.replace(",", "\t").replace('"1\t118.05"', "1118.05").encode("utf-8"))
    f["csv_tab"] = folder / "tab.txt"
    (folder / "injection.csv").write_bytes(b"account,customer,amount,paid_on\n1,=HYPERLINK(\"http://x\"),5,2026-01-02\n")
    f["csv_injection"] = folder / "injection.csv"
    return f


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/bad")
    for name, path in make_corpus(target, real_formats=True).items():
        print(f"{name:20} {path}")
