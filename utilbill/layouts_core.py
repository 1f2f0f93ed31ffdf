"""Declarative sheet layouts, and turning one cell into one typed value.

Why it exists: design.md says one module defines every sheet layout and both the readers
and the writers use it. This module is the vocabulary for that (`Column`, `SheetLayout`);
`utilbill/layouts.py` holds the concrete layouts and `utilbill/xlio.py` reads and writes
them. Converting a cell here, once, at the boundary, means a job never sees an Excel
float where it expects money (domain §1: money is exact Decimal to the cent) or a
serial number where it expects a date.

`Column.parse(raw)` returns `(value, problem)`: a problem is a sentence the clerk can act
on ("expected a date such as 2026-01-31 or 1/31/2026"); xlio wraps it in a Finding with
the file, sheet, row and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from utilbill.money import round_line

KINDS = ("text", "account", "int", "decimal", "money", "date", "bool", "choice")

EXPECTED = {
    "text": "text",
    "account": "an account number",
    "int": "a whole number",
    "decimal": "a number",
    "money": "an amount of money such as 62.40",
    "date": "a date such as 2026-01-31 or 1/31/2026",
    "bool": "yes or no",
    "choice": "one of the listed choices",
}

_NUMBER_FORMATS = {"money": "#,##0.00", "date": "yyyy-mm-dd", "int": "0", "account": "@", "text": "@"}
DATE_MIN = date(1901, 1, 1)  # a date column holding 5 is a typo, not 1900-01-05
DATE_MAX = date(2199, 12, 31)
_EPOCH_ORDINAL = date(1899, 12, 30).toordinal()  # serial 61 = 1900-03-01; Excel's fake 1900-02-29 is 60
_TRUE = {"yes", "y", "true", "t", "1", "x"}
_FALSE = {"no", "n", "false", "f", "0"}
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


def normalize_header(text) -> str:
    """Header text compared without case, spaces, underscores or punctuation."""
    return re.sub(r"[^0-9a-z]", "", str(text).lower()) if text is not None else ""


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header, its kind, and what values it accepts.

    `min`/`max` bound numbers and dates (inclusive); `default` is the value of a blank cell
    in an optional column.
    """

    name: str
    kind: str
    required: bool = True
    aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] | None = None
    help: str = ""
    width: float | None = None
    number_format: str | None = None
    min: object = None
    max: object = None
    default: object = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r}; use one of {KINDS}")
        object.__setattr__(self, "aliases", tuple(self.aliases))
        if self.kind == "choice":
            if not self.choices:
                raise ValueError(f"column {self.name!r}: a choice column needs choices")
            object.__setattr__(self, "choices", tuple(self.choices))
        low, high = self.min, self.max
        if self.kind == "date":
            low, high = (DATE_MIN if low is None else low), (DATE_MAX if high is None else high)
        elif self.kind in ("int", "decimal", "money"):
            low = None if low is None else Decimal(str(low))
            high = None if high is None else Decimal(str(high))
        else:
            low = high = None
        object.__setattr__(self, "_bounds", (low, high) if (low, high) != (None, None) else None)
        object.__setattr__(self, "_parser", _PARSERS[self.kind])

    @property
    def expected(self) -> str:
        if self.kind == "choice":
            return "one of: " + ", ".join(self.choices)
        return EXPECTED[self.kind]

    @property
    def excel_format(self) -> str | None:
        """The number format a writer gives this column's cells."""
        return self.number_format or _NUMBER_FORMATS.get(self.kind)

    def parse(self, raw, *, decimal_comma: bool = False) -> tuple[object, str | None]:
        """The cell value as this column's type, or (None, what is wrong)."""
        if raw is None or raw == "" or (raw.__class__ is str and raw.isspace()):
            if self.required:
                return None, f"is blank; expected {self.expected}"
            return self.default, None
        try:
            value = self._parser(self, raw, decimal_comma)
        except _Bad as bad:
            return None, f"{bad} (found {_show(raw)}); expected {self.expected}"
        if self._bounds is None:
            return value, None
        low, high = self._bounds
        if low is not None and value < low:
            problem = f"{value} is below the smallest allowed value, {low}"
        elif high is not None and value > high:
            problem = f"{value} is above the largest allowed value, {high}"
        else:
            return value, None
        if _show(raw) != str(value):
            problem += f" (found {_show(raw)})"
        return value, problem


@dataclass(frozen=True)
class SheetLayout:
    """A sheet's name, its columns in order, an optional title above the header, and the
    header's row when it is fixed (readers otherwise find it)."""

    sheet: str
    columns: tuple[Column, ...]
    title: str | None = None
    header_row: int | None = None
    _by_key: dict = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "columns", tuple(self.columns))
        by_key: dict[str, Column] = {}
        for col in self.columns:
            for label in (col.name, *col.aliases):
                key = normalize_header(label)
                if key in by_key and by_key[key] is not col:
                    raise ValueError(f"layout {self.sheet!r}: header {label!r} names two columns")
                by_key[key] = col
        object.__setattr__(self, "_by_key", by_key)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def match_header(self, text) -> Column | None:
        """The column whose name or alias this header text is, if any."""
        return self._by_key.get(normalize_header(text)) if not is_blank(text) else None


class _Bad(ValueError):
    pass


def is_blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _show(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return repr(raw) if isinstance(raw, str) else str(raw)


_PLAIN = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_COMMA_DECIMAL = re.compile(r"[+-]?(\d+|\d{1,3}(\.\d{3})+)(,\d+)?")


def number_from_text(text: str, *, decimal_comma: bool = False) -> Decimal:
    """Text such as "1,234.50", "$12", "(3.00)" or, with `decimal_comma`, "1.234,50" as an
    exact Decimal. Commas are thousands separators only in groups of three, so "12,50"
    is refused instead of becoming 1250."""
    s = text.strip().replace("$", "").replace("\u00a0", "").replace(" ", "")
    negative = s.startswith("(") and s.endswith(")")
    if negative:
        s = s[1:-1]
    if decimal_comma and _COMMA_DECIMAL.fullmatch(s):
        s = s.replace(".", "").replace(",", ".")
    elif _GROUPED.fullmatch(s):
        s = s.replace(",", "")
    elif not _PLAIN.fullmatch(s):
        raise _Bad("not a number")
    number = Decimal(s)
    return -number if negative else number


def _number(raw, decimal_comma: bool) -> Decimal:
    if raw.__class__ is float and raw - raw == 0:  # the common case first; inf - inf and nan fail
        return Decimal(repr(raw))
    if isinstance(raw, bool):
        raise _Bad("a TRUE/FALSE value")
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise _Bad("not a finite number")
        return Decimal(repr(raw))
    if isinstance(raw, str):
        return number_from_text(raw, decimal_comma=decimal_comma)
    if isinstance(raw, (date, datetime, timedelta)):
        raise _Bad("a date or time")
    raise _Bad("not a number")


def _text(col, raw, dc):
    if raw.__class__ is str:
        return raw.strip()
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw).strip()


def _account(col, raw, dc):
    if isinstance(raw, bool):
        raise _Bad("a TRUE/FALSE value")
    if isinstance(raw, float):
        if abs(raw) >= 1e15:
            raise _Bad("too long to keep as a number (Excel keeps 15 digits); format the column as Text and re-enter it")
        if not raw.is_integer():
            raise _Bad("a number with decimals")
        return str(int(raw))
    text = _text(col, raw, dc)
    if "." not in text and "e" not in text and "E" not in text:
        return text
    if re.fullmatch(r"\d+\.0+", text):
        text = text.split(".")[0]
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", text):
        raise _Bad("in scientific notation, so its digits were lost; format the column as Text and re-enter it")
    return text


def _int(col, raw, dc):
    if raw.__class__ is float and raw.is_integer() and -2**53 <= raw <= 2**53:  # a whole number typed in a cell
        return int(raw)
    number = _number(raw, dc)
    if number != number.to_integral_value():
        raise _Bad("not a whole number")
    return int(number)


def _decimal(col, raw, dc):
    return _number(raw, dc)


def _money(col, raw, dc):
    return round_line(_number(raw, dc))


def _bool(col, raw, dc):
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float, Decimal)) and raw in (0, 1):
        return bool(raw)
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _Bad("not yes or no")


def _choice(col, raw, dc):
    text = _text(col, raw, dc).lower()
    for choice in col.choices:
        if choice.lower() == text:
            return choice
    raise _Bad("not one of the choices")


def _date(col, raw, dc):
    if raw.__class__ is float or raw.__class__ is int:
        return date_from_number(raw)
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, bool):
        raise _Bad("a TRUE/FALSE value")
    if isinstance(raw, (int, float, Decimal)):
        return date_from_number(raw)
    if isinstance(raw, str):
        return date_from_text(raw)
    raise _Bad("not a date")


def date_from_number(raw) -> date:
    """An Excel serial day number (1900 date system), or a yyyymmdd number as banks write."""
    try:
        whole = int(raw)
    except (ValueError, OverflowError):
        raise _Bad("not a date") from None
    if 19000101 <= whole <= 21991231:
        return _make_date(whole // 10000, whole // 100 % 100, whole % 100)
    if whole == 60:
        raise _Bad("Excel's day 60 is 1900-02-29, which never existed")
    if whole < 1 or whole > 2958465:
        raise _Bad("not a date serial number")
    return date.fromordinal(_EPOCH_ORDINAL + (whole if whole > 60 else whole + 1))


_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?)?"
_ISO = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})" + _TIME)
_US = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})" + _TIME)
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_SHORT_YEAR = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}|\d{1,2}[-\s][A-Za-z]{3,9}[-\s]\d{2}")
_MDY_NAME = re.compile(r"([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_DMY_NAME = re.compile(r"(\d{1,2})[-\s]([A-Za-z]{3,9})\.?[-\s,]+(\d{4})")


def date_from_text(text: str) -> date:
    """Date text in the forms clerks and exports use: 2026-01-31, 2026/01/31, 1/31/2026
    (US month first), 31.01.2026, Jan 31, 2026, 31-Jan-2026, 20260131. Two-digit years
    and day-first slashes are refused as ambiguous."""
    s = text.strip()
    if m := _ISO.fullmatch(s):
        return _make_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _US.fullmatch(s):
        month, day = int(m[1]), int(m[2])
        if month > 12 and day <= 12:
            raise _Bad("looks like day/month/year; dates are read month/day/year, so write it as yyyy-mm-dd")
        return _make_date(int(m[3]), month, day)
    if m := _DOTTED.fullmatch(s):
        return _make_date(int(m[3]), int(m[2]), int(m[1]))
    if re.fullmatch(r"\d{8}", s):
        return _make_date(int(s[:4]), int(s[4:6]), int(s[6:]))
    if _SHORT_YEAR.fullmatch(s):
        raise _Bad("a two-digit year is ambiguous; write the year in full")
    if (m := _MDY_NAME.fullmatch(s)) and m[1][:3].lower() in _MONTHS:
        return _make_date(int(m[3]), _MONTHS[m[1][:3].lower()], int(m[2]))
    if (m := _DMY_NAME.fullmatch(s)) and m[2][:3].lower() in _MONTHS:
        return _make_date(int(m[3]), _MONTHS[m[2][:3].lower()], int(m[1]))
    raise _Bad("not a date")


def _make_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _Bad(f"no such day as {year:04d}-{month:02d}-{day:02d}") from None


_PARSERS = {
    "text": _text, "account": _account, "int": _int, "decimal": _decimal,
    "money": _money, "date": _date, "bool": _bool, "choice": _choice,
}
