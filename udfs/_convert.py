"""Excel values in, engine types out, and back: the one converter every worksheet function uses.

Why it exists: the same cell reaches Python differently through each front end (excel.md):
classic xlwings gives ``None`` for a blank cell and floats for whole numbers; Office.js
(xlwings Server) gives 0 for a blank cell, serial numbers for dates, and may hand a 1x1
range as a one-element list. Converting here, once, means no worksheet function ever sees
a float where it expects money or a serial number where it expects a date (design.md,
example 1), and an argument Excel cannot use becomes a clear error text in the cell
(``"#VALUE! meter size '7/8' unknown"``) instead of a Python traceback.

Dates: serial numbers in Excel's 1900 system, including its phantom 1900-02-29 (serial 60,
refused), datetimes (the time is dropped), and date text (2026-01-31, 1/31/2026). Money:
floats through ``repr`` (utilbill.money.to_money), text amounts with $ and thousands
separators. Results: money as float only here, at the very last step; dates as
``datetime.date`` (xlwings formats them as dates in both front ends); tables as 2-D lists
(native dynamic arrays spill them).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from utilbill.findings import FindingsError
from utilbill.layouts_core import date_from_number, date_from_text
from utilbill.money import MoneyError, round_line, to_decimal, to_money

# Whole floats below 2**53 are exact integers whose repr shows every digit, so int(value) is what
# the general path (Decimal(repr(value))) gives; beyond, repr may round (1e23 is not 10**23).
_EXACT_FLOAT_INT = 2.0 ** 53


class ExcelArgError(ValueError):
    """An argument a worksheet function cannot use; `code` is the Excel error shown."""

    def __init__(self, message: str, code: str = "#VALUE!"):
        super().__init__(message)
        self.code = code


def scalar(value):
    """A 1x1 range (``[[x]]`` or ``[x]``) as its single value; other values unchanged."""
    while isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (list, tuple)):
        raise ExcelArgError("expected one cell, got a range of several cells")
    return value


def is_blank(value, *, zero_is_blank: bool = True) -> bool:
    """A blank cell: None (classic), "" , or 0 (Office.js sends 0 for a blank cell; only for
    arguments where 0 is not a meaningful value)."""
    value = scalar(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return zero_is_blank and not isinstance(value, bool) and isinstance(value, (int, float)) and value == 0


def arg_date(value, name: str, *, required: bool = True) -> date | None:
    """A date argument: a date/datetime, an Excel serial number, or date text."""
    kind = type(value)
    if kind is datetime:  # the common cells first, as the general path below would take them
        return value.date()
    if kind is date:
        return value
    value = scalar(value)
    if is_blank(value):
        if required:
            raise ExcelArgError(f"{name} is blank; expected a date")
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        if isinstance(value, bool):
            raise ValueError("TRUE/FALSE")
        if isinstance(value, (int, float, Decimal)):
            return date_from_number(value)
        if isinstance(value, str):
            text = value.strip()
            try:
                return date_from_number(float(text)) if text.replace(".", "", 1).isdigit() else date_from_text(text)
            except ValueError:
                return date_from_text(text)
    except ValueError as exc:  # layouts_core's reasons ("no such day as ...", "not a date")
        raise ExcelArgError(f"{name} {value!r} is not a date ({exc})") from None
    raise ExcelArgError(f"{name} {value!r} is not a date")


def arg_int(value, name: str, *, required: bool = True, default: int | None = None,
            zero_is_blank: bool = False) -> int | None:
    """A whole number (Excel hands whole numbers over as floats)."""
    kind = type(value)
    if kind is float:  # the common cells first, as the general path below would take them
        if value.is_integer() and -_EXACT_FLOAT_INT < value < _EXACT_FLOAT_INT and (value or not zero_is_blank):
            return int(value)
    elif kind is int and (value or not zero_is_blank):
        return value
    value = scalar(value)
    if is_blank(value, zero_is_blank=zero_is_blank):
        if required and default is None:
            raise ExcelArgError(f"{name} is blank; expected a whole number")
        return default
    try:
        number = to_decimal(value)
    except MoneyError:
        raise ExcelArgError(f"{name} {value!r} is not a number") from None
    if number != number.to_integral_value():
        raise ExcelArgError(f"{name} {value!r} is not a whole number")
    return int(number)


def arg_decimal(value, name: str, *, required: bool = True, zero_is_blank: bool = False) -> Decimal | None:
    """An exact number (units, averages): floats through repr, text with separators."""
    value = scalar(value)
    if is_blank(value, zero_is_blank=zero_is_blank):
        if required:
            raise ExcelArgError(f"{name} is blank; expected a number")
        return None
    try:
        return to_decimal(value)
    except MoneyError:
        raise ExcelArgError(f"{name} {value!r} is not a number") from None


def arg_money(value, name: str, *, required: bool = True) -> Decimal | None:
    """An amount of money to the cent (62.4, "62.40", "$1,062.40", "(5.00)")."""
    kind = type(value)
    if kind is float:  # the common cells first, as the general path below would take them
        if value - value == 0.0:  # finite (inf - inf and nan - nan are nan)
            return round_line(Decimal(repr(value)))
    elif kind is int:
        return round_line(Decimal(value))
    value = scalar(value)
    if is_blank(value, zero_is_blank=False):
        if required:
            raise ExcelArgError(f"{name} is blank; expected an amount such as 62.40")
        return None
    try:
        return to_money(value)
    except MoneyError:
        raise ExcelArgError(f"{name} {value!r} is not an amount of money") from None


def arg_text(value, name: str, *, required: bool = True) -> str | None:
    """Text such as an account number or a meter size; whole floats lose their '.0'."""
    value = scalar(value)
    if is_blank(value):
        if required:
            raise ExcelArgError(f"{name} is blank")
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        raise ExcelArgError(f"{name} is a date; expected text")
    return str(value).strip()


# --- results ---------------------------------------------------------------------------

def out_money(amount: Decimal | None):
    """Money for a cell: a float, made only here (the engine stays exact)."""
    return None if amount is None else float(amount)


def out_cents(cents: int):
    """Integer cents for a cell: the float nearest cents / 100 (int division is correctly
    rounded, so it is the same float as out_money of the Decimal amount)."""
    return cents / 100


def out_number(number: Decimal | None):
    if number is None:
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def out_date(day: date | None):
    """A date for a cell (xlwings writes it date-formatted: a serial number in Excel)."""
    return day


def error_text(exc: BaseException) -> str:
    """The text a cell shows for a problem: an Excel error code and the reason."""
    if isinstance(exc, ExcelArgError):
        return f"{exc.code} {exc}"
    if isinstance(exc, FindingsError):
        reasons = "; ".join(f.reason for f in exc.findings[:3]) or exc.summary
        return f"#N/A {reasons}"
    if isinstance(exc, (ValueError, KeyError, ArithmeticError)):
        text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return f"#VALUE! {text}"
    return f"#VALUE! {type(exc).__name__}: {exc}"


def excel_errors(func):
    """Run a worksheet function's body; a problem becomes the cell's error text.

    Used as ``return excel_errors(_body)(args...)`` inside the decorated UDF, so xlwings
    still sees the UDF's own signature for its metadata.
    """

    def guarded(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a cell must never show a traceback
            return error_text(exc)

    # functools.wraps would copy more and cost ~10 us on every cell (this runs per call)
    guarded.__name__, guarded.__doc__, guarded.__wrapped__ = func.__name__, func.__doc__, func
    return guarded
