"""Typing a table's rows: the header found, every cell parsed to its column's type, and every
problem a `Finding` naming the row, the column, the value and what was expected.

Why it exists: a table arrives as raw rows (a sheet, a CSV file, or the values xlwings
hands to a macro), and the clerk must get every problem of the file in one pass, never a
traceback (design.md example 6). `ReadResult` collects the rows and findings of one table;
the row reader finds the header among the first SCAN_ROWS non-blank rows, maps headers to
the `layouts_core.Column`s of the layout, and parses each cell with `Column.parse` (cells
whose formula failed come in as `CellError`). `read_values` reads a table held in memory
the same way; files are read through `utilbill.xlio`.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries

from utilbill.findings import Finding
from utilbill.layouts_core import SheetLayout, is_blank

SCAN_ROWS = 30  # the header is looked for among the first 30 non-blank rows


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
