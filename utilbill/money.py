"""Exact money: conversion at the boundary, rounding once per line, splits that add up.

Implements domain §1: money is Decimal to the cent, rounded half away from zero (Excel's
ROUND) once per charge line; when an amount is split into parts, all parts but the last are
rounded and the last takes the remainder, so the parts always add up to the whole.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Iterable, Sequence

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class MoneyError(ValueError):
    """A value that cannot be read as an amount of money."""


def to_decimal(value) -> Decimal:
    """Any number-like value as an exact Decimal, without rounding.

    Floats (what Excel hands over) go through `repr`, which is the shortest string that
    round-trips, so 2.675 stays 2.675 instead of 2.67499999999999982236431605997495353221893310546875.
    Text may carry a currency sign, thousands separators and accounting parentheses.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise MoneyError(f"{value!r} is not a number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise MoneyError(f"{value!r} is not a finite number")
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("$", "").replace(" ", "")
        negative = False
        if text.startswith("(") and text.endswith(")"):
            negative, text = True, text[1:-1]
        if not text:
            raise MoneyError("blank where a number was expected")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise MoneyError(f"{value!r} is not a number") from None
        if not number.is_finite():
            raise MoneyError(f"{value!r} is not a finite number")
        return -number if negative else number
    raise MoneyError(f"{value!r} ({type(value).__name__}) is not a number")


def to_money(value) -> Decimal:
    """A cell value as money: exact Decimal, rounded half away from zero to the cent."""
    return round_line(to_decimal(value))


def round_line(amount: Decimal) -> Decimal:
    """Round one charge line to the cent, half away from zero (Excel's ROUND(x, 2))."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def round_down_cent(amount: Decimal) -> Decimal:
    """Round toward zero to the cent (installments are rounded down)."""
    return amount.quantize(CENT, rounding=ROUND_DOWN)


def to_cents(amount: Decimal) -> int:
    """Money as integer cents; the amount must already be whole cents."""
    q = amount.quantize(CENT)
    if q != amount:
        raise MoneyError(f"{amount} is not a whole number of cents")
    return int(q * 100)


def from_cents(cents: int) -> Decimal:
    """Integer cents as money."""
    return (Decimal(int(cents)) / 100).quantize(CENT)


def money_sum(amounts: Iterable[Decimal]) -> Decimal:
    """Sum of money amounts, as money (an empty sum is 0.00)."""
    total = ZERO
    for a in amounts:
        total += a
    return total.quantize(CENT)


def allocate(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split `total` in proportion to `weights`: every part but the last rounded half away
    from zero, the last part the remainder, so the parts add up to `total` exactly.

    With all weights zero, everything goes to the last part.
    """
    if not weights:
        raise ValueError("allocate needs at least one weight")
    total = to_money(total)
    weight_sum = sum((Decimal(w) for w in weights), Decimal(0))
    parts: list[Decimal] = []
    if weight_sum == 0:
        return [ZERO] * (len(weights) - 1) + [total]
    for w in weights[:-1]:
        parts.append(round_line(total * Decimal(w) / weight_sum))
    parts.append(total - sum(parts, ZERO))
    return parts


def fmt_money(amount: Decimal) -> str:
    """$1,234.56 or -$12.00, for letters and reports."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"
