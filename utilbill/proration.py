"""Proration of a charge by days, and splitting an amount across a date (domain §1, §2, §5).

A monthly charge for part of a month is `amount x days / basis_days` (basis 30 days, as an
irregular period is scaled), rounded once to the cent. When one amount is split between two
customers or two sides of a date (move-out, petition date, rate change), the parts are in
proportion to their days and add up to the whole: the last part takes the remainder.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Sequence

from .money import allocate
from .pricing import frac, round_fraction, round_ratio


def prorate(amount, days: int, basis_days: int = 30) -> Decimal:
    """`amount` x `days` / `basis_days`, rounded half away from zero to the cent."""
    if basis_days <= 0:
        raise ValueError("basis_days must be positive")
    if days < 0:
        raise ValueError("days must not be negative")
    if type(amount) is Decimal and type(days) is int and type(basis_days) is int and amount.is_finite():
        # the common case (money from a cell, whole days), without building Fractions: the same
        # exact ratio amount x days / basis_days, rounded once (tests/test_udf_fast_paths.py compares)
        numerator, denominator = amount.as_integer_ratio()
        return round_ratio(numerator * days, denominator * basis_days)
    return round_fraction(frac(amount) * Fraction(days, basis_days))


def split_by_days(amount, start: date, end: date, cuts: Sequence[date]) -> list[tuple[date, date, Decimal]]:
    """Split `amount` for service `[start, end)` at each date in `cuts`; parts add up to it."""
    if end <= start:
        raise ValueError("the period must end after it starts")
    bounds = [start, *sorted(c for c in cuts if start < c < end), end]
    spans = list(zip(bounds, bounds[1:]))
    parts = allocate(Decimal(amount), [Decimal((b - a).days) for a, b in spans])
    return [(a, b, p) for (a, b), p in zip(spans, parts)]
