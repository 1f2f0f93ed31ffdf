"""The raw rows of a sheet of an .xlsx/.xlsm workbook or of a CSV file, before typing.

Why it exists: the row reader (`utilbill.typed_rows`) wants (row number, values from
column A) pairs whatever the file; getting them fast and in flat memory, with the cells
the fast reader hides, is a job of its own. The sheet is chosen by name (case and spaces
forgiven), the CSV's encoding and delimiter are detected, and problems that stop the
reading become findings in the `ReadResult`.

Speed: .xlsx values come from python-calamine (about 1 s per 100,000 rows x 12 columns);
calamine shows a formula error as an empty cell, so one streaming pass over the sheet's XML
finds error cells, formulas never calculated, and merged cells. A sheet whose XML is larger
than STREAM_ABOVE_BYTES is read through openpyxl's streaming reader instead, so memory
stays flat however big the file is. CSV is always streamed.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Iterator
from xml.etree import ElementTree

from openpyxl.utils.cell import column_index_from_string

from utilbill.layouts_core import SheetLayout
from utilbill.typed_rows import SCAN_ROWS, CellError, ReadResult, _header_score

STREAM_ABOVE_BYTES = 400_000_000  # sheet XML above this is streamed through openpyxl


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
