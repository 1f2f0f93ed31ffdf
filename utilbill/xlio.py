"""Reading clerks' workbooks and CSV files into typed rows, and writing workbooks safely.

Why it exists: every job starts from a file a person made (readings, payment batches, bank
files, CIS extracts) and ends in one a person opens. Reading turns each cell into the type
its `layouts_core.Column` declares and reports every problem as a `Finding` naming the
file, sheet, row, column, the value and what was expected (design.md example 6), so the
clerk fixes them all in one pass. A file that cannot be read at all (missing, empty,
damaged, encrypted, an .xls or .ods renamed .xlsx) gives one finding saying what the file
really is and what to do, never a traceback. Writing never turns data text into a formula
(engineering.md: text from data is never written as a formula) and is atomic.

Speed: .xlsx values come from python-calamine (about 1 s per 100,000 rows x 12 columns);
calamine shows a formula error as an empty cell, so one streaming pass over the sheet's XML
finds error cells, formulas never calculated, and merged cells. A sheet whose XML is larger
than STREAM_ABOVE_BYTES is read through openpyxl's streaming reader instead, so memory
stays flat however big the file is. CSV is always streamed.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence
from xml.etree import ElementTree

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, range_boundaries

from utilbill.findings import Finding
from utilbill.layouts_core import SheetLayout, is_blank

SCAN_ROWS = 30  # the header is looked for among the first 30 non-blank rows
STREAM_ABOVE_BYTES = 400_000_000  # sheet XML above this is streamed through openpyxl
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class CellError:
    """A cell whose formula failed (#N/A, #VALUE!, ...) or was never calculated (code "")."""

    code: str

    def __str__(self) -> str:
        return self.code or "a formula with no saved result"


@dataclass
class ReadResult:
    """Rows read from one sheet or CSV file, and every problem found in it."""

    path: Path
    sheet: str | None = None
    rows: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    file_hash: str = ""
    header_row: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # column name -> header text in the file
    encoding: str | None = None
    delimiter: str | None = None
    _bad: set[int] = field(default_factory=set, repr=False)

    def __post_init__(self):
        self.path = Path(self.path)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_row_numbers(self) -> set[int]:
        return set(self._bad)

    @property
    def good_rows(self) -> list[dict]:
        return [r for r in self.rows if r["_row"] not in self._bad]

    def add(self, reason: str, *, severity: str = "error", row=None, column=None, value=None) -> None:
        self.findings.append(Finding(reason, file=self.path.name, sheet=self.sheet, row=row,
                                     column=column, value=value, severity=severity))
        if severity == "error" and row is not None and row != self.header_row:
            self._bad.add(row)


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


# ----------------------------------------------------------------------------- xlsx


def _xlsx_source(path: Path, layout: SheetLayout, wanted: str | None, result: ReadResult):
    """(rows, overlay, merged) for the chosen sheet; rows yield (row number, values from column A)."""
    import python_calamine

    try:
        with zipfile.ZipFile(path) as zf:
            members = _sheet_members(zf)
            names = list(members)
            name = _choose_sheet(names, wanted, layout.sheet, result)
            if name is None:
                return None, {}, []
            member = members[name]
            size = zf.getinfo(member).file_size
            overlay, merged = _scan_sheet_xml(zf, member)
    except (zipfile.BadZipFile, OSError, EOFError, ElementTree.ParseError, KeyError, ValueError) as exc:
        result.add(f"the workbook is damaged and cannot be read ({exc}); get a fresh copy or re-save it from Excel")
        return None, {}, []
    result.sheet = name
    if size > STREAM_ABOVE_BYTES:
        return _openpyxl_rows(path, name), overlay, merged
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        data = book.get_sheet_by_name(name)
    except Exception as exc:  # calamine's errors are many and undocumented
        result.add(f"the workbook is damaged and cannot be read ({exc}); get a fresh copy or re-save it from Excel")
        return None, {}, []
    return _calamine_rows(data), overlay, merged


def _sheet_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet name -> its XML part inside the zip, in workbook order (transitional or
    strict OOXML: namespaces are matched by local name)."""
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    out = {}
    for element in ElementTree.fromstring(zf.read("xl/workbook.xml")).iter():
        if not element.tag.endswith("}sheet"):
            continue
        rid = next((v for k, v in element.attrib.items() if k.endswith("}id")), "")
        target = targets.get(rid, "")
        member = target.lstrip("/") if target.startswith("/") else "xl/" + target
        if "worksheets/" in member:  # chart sheets hold no cells
            out[element.get("name")] = member
    return out


def _choose_sheet(names: list[str], wanted: str | None, default: str, result: ReadResult) -> str | None:
    target = wanted or default
    for candidate in names:
        if candidate == target or candidate.strip().lower() == target.strip().lower():
            return candidate
    listing = ", ".join(repr(n) for n in names) or "no worksheets"
    if wanted is None and len(names) == 1:
        result.add(f"sheet {target!r} not found; reading the only sheet, {names[0]!r}", severity="warning")
        return names[0]
    result.add(f"sheet {target!r} not found; the workbook has: {listing}", value=target)
    return None


def _calamine_rows(data) -> Iterator[tuple[int, list]]:
    # calamine pads rows from row 1 but starts columns at the first used one.
    if data.start is None:
        return
    pad = [""] * data.start[1]
    count = 0
    for count, values in enumerate(data.iter_rows(), start=1):
        yield count, (pad + values) if pad else values
    if count != data.end[0] + 1:
        raise RuntimeError(f"python-calamine yielded {count} rows for a sheet ending on row {data.end[0] + 1}")


def _openpyxl_rows(path: Path, name: str) -> Iterator[tuple[int, list]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = book[name]
        ws.reset_dimensions()  # some writers store a wrong size; read every row there is
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, list(values)
    finally:
        book.close()


def _scan_sheet_xml(zf: zipfile.ZipFile, member: str) -> tuple[dict, list[str]]:
    """One streaming pass over a sheet's XML: cells whose cached value is an error or missing
    (the overlay, keyed by (row, 0-based column)), and the merged ranges."""
    overlay: dict[tuple[int, int], CellError] = {}
    merged: list[str] = []
    prefix = None
    carry = b""
    with zf.open(member) as fh:
        while True:
            chunk = fh.read(1 << 22)
            buf = carry + chunk
            if prefix is None:
                m = re.search(rb"<([\w.-]+:)?worksheet\b", buf)
                prefix = (m.group(1) or b"") if m else b""
            if chunk:
                end = buf.rfind(b"row>")
                if end < 0:
                    carry = buf
                    continue
                part, carry = buf[: end + 4], buf[end + 4:]
            else:
                part, carry = buf, b""
            _scan_part(part, prefix, overlay, merged)
            if not chunk:
                return overlay, merged


def _scan_part(part: bytes, p: bytes, overlay: dict, merged: list[str]) -> None:
    cell_open, cell_close, ftag = b"<" + p + b"c", b"</" + p + b"c>", b"<" + p + b"f"
    value_re = re.compile(rb"<" + re.escape(p) + rb"v>(.*?)</" + re.escape(p) + rb"v>", re.S)

    def cell_at(pos: int, inside_tag: bool) -> None:
        start = pos
        while True:
            start = part.rfind(cell_open, 0, start)
            if start < 0 or part[start + len(cell_open): start + len(cell_open) + 1].isspace():
                break
        if start < 0 or (inside_tag and part.find(b">", start, pos) >= 0):
            return
        tag_end = part.find(b">", start)
        end = part.find(cell_close, start)
        end = tag_end if part[tag_end - 1: tag_end] == b"/" or end < 0 else end
        tag, cell = part[start:tag_end], part[start:end]
        ref = re.search(rb"""\sr=["']([A-Za-z]+)(\d+)["']""", tag)
        if not ref:
            return
        kind = re.search(rb"""\st=["'](\w+)["']""", tag)
        kind = kind.group(1) if kind else b"n"
        value = value_re.search(cell)
        key = (int(ref.group(2)), column_index_from_string(ref.group(1).decode().upper()) - 1)
        if kind == b"e":
            overlay[key] = CellError(value.group(1).decode("utf-8", "replace").strip() if value else "#ERROR")
        elif (value is None or not value.group(1).strip()) and kind not in (b"str", b"inlineStr"):
            overlay.setdefault(key, CellError(""))

    for needle in (b' t="e"', b" t='e'"):
        i = part.find(needle)
        while i >= 0:
            cell_at(i, True)
            i = part.find(needle, i + 1)
    i = part.find(ftag)
    while i >= 0:
        if part[i + len(ftag): i + len(ftag) + 1] in (b">", b" ", b"/"):
            cell_at(i, False)
        i = part.find(ftag, i + 1)
    for m in re.finditer(rb"<" + re.escape(p) + rb"""mergeCell\s+ref=["']([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)["']""", part):
        merged.append(m.group(1).decode().upper())


# ----------------------------------------------------------------------------- csv


def _csv_source(path: Path, layout: SheetLayout, result: ReadResult) -> Iterator[tuple[int, list]]:
    result.encoding = encoding = _csv_encoding(path)
    try:
        with open(path, encoding=encoding, newline="") as fh:
            sample = fh.read(1 << 16)
    except UnicodeDecodeError as exc:  # a byte-order mark that the bytes after it belie
        result.add(f"the file is marked as {encoding} text but is not ({exc.reason} at byte {exc.start}); "
                   "re-export it as CSV (UTF-8)")
        return None
    result.delimiter = delimiter = _csv_delimiter(sample, layout)

    def rows():
        number = 0
        with open(path, encoding=encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            try:
                for number, values in enumerate(reader, start=1):
                    yield number, values
            except (csv.Error, UnicodeDecodeError) as exc:
                result.add(f"the file cannot be read past row {number} ({exc}); re-export it as CSV",
                           row=number + 1)

    return rows()


def _csv_encoding(path: Path) -> str:
    """utf-8-sig / utf-16 when a BOM says so; else UTF-8 if every byte decodes; else cp1252
    (what Excel on Windows writes), or Latin-1 for the five bytes cp1252 leaves undefined."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for block in iter(lambda: fh.read(1 << 20), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        fh.seek(0)
        try:
            codecs.decode(fh.read(), "cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"


def _csv_delimiter(sample: str, layout: SheetLayout) -> str:
    """The delimiter under which the layout's headers are found; ties go to the one that
    splits the first lines into the most fields."""
    best, best_score = ",", (-1, -1)
    for delimiter in (",", ";", "\t", "|"):
        try:
            lines = list(csv.reader(io.StringIO(sample), delimiter=delimiter))[:SCAN_ROWS]
        except csv.Error:
            continue
        matched = max((_header_score(line, layout) for line in lines), default=0)
        fields = max((len(line) for line in lines), default=0)
        if (matched, fields) > best_score:
            best, best_score = delimiter, (matched, fields)
    return best


# ----------------------------------------------------------------------------- rows


def _header_score(values: Sequence, layout: SheetLayout) -> int:
    return len({id(c) for c in (layout.match_header(v) for v in values if isinstance(v, str)) if c})


def _find_header(source: Iterator, layout: SheetLayout, result: ReadResult):
    """The header row and the rows read past it while looking, or None after a finding."""
    seen: list[tuple[int, list]] = []
    for number, values in source:
        if layout.header_row is not None:
            if number == layout.header_row:
                return number, values, []
            continue
        if any(not is_blank(v) for v in values):
            seen.append((number, values))
            if len(seen) >= SCAN_ROWS:
                break
    if not seen and layout.header_row is None:
        result.add(f"the {'sheet' if result.sheet else 'file'} is empty: no header row and no data")
        return None
    scores = [_header_score(values, layout) for _, values in seen]
    if not scores or max(scores) == 0:
        where = f"on row {layout.header_row}" if layout.header_row else f"in the first {SCAN_ROWS} rows"
        result.add(f"no header row found {where}; expected the headers {', '.join(layout.names)}")
        return None
    at = scores.index(max(scores))
    return seen[at][0], seen[at][1], seen[at + 1:]


def _records(source, layout: SheetLayout, result: ReadResult, overlay: dict, merged: list[str],
             decimal_comma: bool) -> Iterator[dict]:
    source = iter(source)
    found = _find_header(source, layout, result)
    if found is None:
        return
    header_row, header_values, pending = found
    result.header_row = header_row
    mapping: list[tuple] = []  # (index, column, header text, letter, cache of parsed values)
    where: dict[str, int] = {}
    for index, text in enumerate(header_values):
        column = layout.match_header(text)
        header = str(text).strip() if not is_blank(text) else ""
        if column is None:
            if header:
                result.add(f"extra column {header!r} ignored", severity="warning", row=header_row, column=header)
        elif column.name in where:
            result.add(f"column {column.name!r} appears twice (columns {get_column_letter(where[column.name] + 1)} "
                       f"and {get_column_letter(index + 1)}); reading the first", row=header_row, column=header)
        else:
            where[column.name] = index
            cache = {} if column.kind not in ("text", "account") else None
            mapping.append((index, column, header, get_column_letter(index + 1), cache))
            result.headers[column.name] = header
    missing = [c.name for c in layout.columns if c.required and c.name not in where]
    if missing:
        found_text = ", ".join(repr(str(v).strip()) for v in header_values if not is_blank(v))
        result.add(f"missing required column(s): {', '.join(missing)} (headers found on row {header_row}: "
                   f"{found_text}); rename the headers or add the columns", row=header_row)
        return
    _report_merged(merged, mapping, header_row, result)
    absent = {c.name: c.default for c in layout.columns if c.name not in where}
    count = 0
    for number, values in itertools.chain(pending, source):
        record = _record(number, values, mapping, overlay, decimal_comma, result)
        if record is not None:
            count += 1
            record.update(absent)
            yield record
    if count == 0:
        result.add(f"no data below the header on row {header_row}", severity="warning", row=header_row)


def _record(number, values, mapping, overlay, decimal_comma, result) -> dict | None:
    """One typed row, or None for a row blank in every column the layout reads."""
    width = len(values)
    record: dict = {"_row": number}
    problems = []
    blank = True
    for i, column, header, letter, cache in mapping:
        raw = values[i] if i < width else None
        if overlay:
            raw = overlay.get((number, i), raw)
        if raw.__class__ is CellError:
            blank = False
            record[column.name] = None
            if raw.code:
                reason = f"cell {letter}{number} shows the error {raw.code} from its formula; expected {column.expected}"
            else:
                reason = (f"cell {letter}{number} has a formula with no saved result (the file was written by a "
                          "program and never calculated); open it in Excel, let it calculate and save it")
            problems.append((reason, header, str(raw)))
            continue
        if blank and not (raw is None or raw == "" or (raw.__class__ is str and raw.isspace())):
            blank = False
        if cache is None:
            value, problem = column.parse(raw, decimal_comma=decimal_comma)
        else:  # batches repeat dates and amounts; keyed by type too, as 1 == 1.0 == True
            key = (raw.__class__, raw)
            parsed = cache.get(key)
            if parsed is None:
                if len(cache) > 4096:
                    cache.clear()
                parsed = cache[key] = column.parse(raw, decimal_comma=decimal_comma)
            value, problem = parsed
        record[column.name] = value
        if problem:
            problems.append((f"cell {letter}{number}: {problem}", header, None if raw == "" else raw))
    if blank:
        return None
    for reason, header, raw in problems:
        result.add(reason, row=number, column=header, value=raw)
    return record


def _report_merged(merged: list[str], mapping, header_row: int, result: ReadResult) -> None:
    by_index = {m[0]: m[2] for m in mapping}
    for ref in merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        headers = [by_index[i] for i in range(min_col - 1, max_col) if i in by_index]
        if max_row < header_row or not headers:
            continue
        result.add(f"cells {ref} are merged: only {ref.split(':')[0]} holds a value and the others read as blank; "
                   "unmerge them and fill in every cell", severity="warning", row=min_row, column=headers[0])


def read_values(values: Sequence[Sequence], layout: SheetLayout, *, name: str, sheet: str | None = None,
                first_row: int = 1) -> ReadResult:
    """A table held in memory (a sheet's values as xlwings hands them to a macro), read and
    checked exactly as a file is: header found, every cell typed, every problem a finding with
    the sheet's row number. The hash is of the values, so the same sheet is the same input."""
    import json

    result = ReadResult(Path(name), sheet=sheet)
    result.file_hash = hashlib.sha256(json.dumps([list(r) for r in values], default=str).encode("utf-8")).hexdigest()
    rows = ((n, list(row)) for n, row in enumerate(values, start=first_row))
    result.rows.extend(_records(rows, layout, result, {}, [], False))
    return result


# Writing lives in utilbill.xlwrite; these names stay importable from here.
from utilbill.xlwrite import (  # noqa: E402,F401
    DATE_FORMAT, FORMULA_TRIGGERS, MONEY_FORMAT, clean_text, mask_bank_account, safe_text, save_workbook,
    write_cell, write_csv, write_rows_fast, write_table,
)
