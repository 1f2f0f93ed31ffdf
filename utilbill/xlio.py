"""Reading clerks' workbooks and CSV files into typed rows, and writing workbooks safely.

Why it exists: every job starts from a file a person made (readings, payment batches, bank
files, CIS extracts) and ends in one a person opens. Reading turns each cell into the type
its `layouts_core.Column` declares and reports every problem as a `Finding` naming the
file, sheet, row, column, the value and what was expected (design.md example 6), so the
clerk fixes them all in one pass. A file that cannot be read at all (missing, empty,
damaged, encrypted, an .xls or .ods renamed .xlsx) gives one finding saying what the file
really is and what to do, never a traceback. Writing never turns data text into a formula
(engineering.md: text from data is never written as a formula) and is atomic.

The parts: this module says what a file really is (`describe_file`) and reads it
(`read_table`, `iter_table`); `utilbill.row_sources` gets the raw rows of a sheet or CSV
file, `utilbill.typed_rows` types them into records and findings (`ReadResult`), and
`utilbill.xlwrite` writes. Every name of those modules stays importable from here.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Iterator

from utilbill.layouts_core import SheetLayout
from utilbill.row_sources import (  # noqa: F401
    STREAM_ABOVE_BYTES, _calamine_rows, _choose_sheet, _csv_delimiter, _csv_encoding, _csv_source, _openpyxl_rows,
    _scan_part, _scan_sheet_xml, _sheet_members, _xlsx_source,
)
from utilbill.typed_rows import (  # noqa: F401
    SCAN_ROWS, CellError, ReadResult, _find_header, _header_score, _record, _records, _report_merged, read_values,
)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def read_table(path, layout: SheetLayout, *, sheet: str | None = None) -> ReadResult:
    """All rows of `layout`'s table in an .xlsx/.xlsm or CSV file, typed, with findings."""
    result = ReadResult(Path(path))
    result.rows.extend(iter_table(path, layout, sheet=sheet, result=result))
    return result


def iter_table(path, layout: SheetLayout, *, sheet: str | None = None,
               result: ReadResult | None = None) -> Iterator[dict]:
    """Stream the rows of a table without holding them all: findings, header row and the
    bad row numbers accumulate in `result` (pass one in to see them)."""
    result = result if result is not None else ReadResult(Path(path))
    p = result.path
    kind, problem = describe_file(p)
    if problem:
        result.add(problem)
        return
    result.file_hash = file_sha256(p)
    if kind == "csv":
        source = _csv_source(p, layout, result)
        overlay, merged, decimal_comma = {}, [], result.delimiter == ";"
    else:
        if p.suffix.lower() not in (".xlsx", ".xlsm"):
            result.add(f"is named {p.suffix or 'without an extension'} but is an Excel workbook; read it as one",
                       severity="warning")
        source, overlay, merged = _xlsx_source(p, layout, sheet, result)
        decimal_comma = False
    if source is not None:
        yield from _records(source, layout, result, overlay, merged, decimal_comma)


def file_sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_file(path: Path) -> tuple[str, str | None]:
    """("xlsx" | "csv", None) for a readable file, else (kind, what is wrong and what to do)."""
    ext = path.suffix.lower()
    if not path.exists():
        return "missing", f"file not found: {path}"
    if path.is_dir():
        return "folder", f"{path} is a folder, not a file"
    if path.stat().st_size == 0:
        return "empty", "the file is empty (0 bytes); export or save it again"
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    save_as = "open it in Excel (or LibreOffice) and save it as Excel Workbook (.xlsx)"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
                mimetype = zf.read("mimetype")[:100] if "mimetype" in names else b""
        except (zipfile.BadZipFile, OSError, EOFError, KeyError, ValueError):
            return "corrupt", "the file is damaged (not a readable zip/.xlsx); get a fresh copy or re-save it from Excel"
        if b"opendocument.spreadsheet" in mimetype:
            return "ods", f"is really an OpenDocument spreadsheet (.ods) named {ext}; {save_as}"
        if "xl/workbook.xml" in names:
            return "xlsx", None
        if "xl/workbook.bin" in names:
            return "xlsb", f"is an Excel Binary Workbook (.xlsb); {save_as}"
        if "word/document.xml" in names:
            return "docx", "is a Word document, not a workbook"
        return "zip", "is a zip archive, not an Excel workbook"
    if head.startswith(OLE_MAGIC):
        with open(path, "rb") as fh:
            body = fh.read(64 << 20)
        if "EncryptedPackage".encode("utf-16-le") in body:
            return "encrypted", ("is password-protected (encrypted) and cannot be read; open it in Excel, remove the "
                                 "password (File > Info > Protect Workbook > Encrypt with Password) and save it")
        if "Workbook".encode("utf-16-le") in body or "Book\x00".encode("utf-16-le") in body:
            return "xls", f"is really an Excel 97-2003 workbook (.xls){' named ' + ext if ext != '.xls' else ''}; {save_as}"
        return "ole", ("is an old-format Office file: a password-protected workbook or an Excel 97-2003 .xls; "
                       f"remove any password and {save_as}")
    if head.startswith(b"%PDF"):
        return "pdf", "is a PDF, not a workbook; ask for the data as .xlsx or .csv"
    lowered = head[:4096].lower()
    if ext in (".xlsx", ".xlsm", ".xls"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in lowered:
            return "xml2003", f"is an Excel 2003 XML spreadsheet named {ext}; {save_as}"
        if b"<html" in lowered or b"<table" in lowered:
            return "html", f"is a web page (HTML) named {ext}, as some 'export to Excel' buttons make; {save_as}"
        return "text", f"is a text file (perhaps CSV) named {ext}; rename it to .csv or {save_as}"
    return "csv", None


# Writing lives in utilbill.xlwrite; these names stay importable from here.
from utilbill.xlwrite import (  # noqa: E402,F401
    DATE_FORMAT, FORMULA_TRIGGERS, MONEY_FORMAT, clean_text, mask_bank_account, safe_text, save_workbook,
    write_cell, write_csv, write_rows_fast, write_table,
)
