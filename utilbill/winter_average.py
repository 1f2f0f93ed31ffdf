"""The residential winter average that caps billed wastewater units (domain §2).

Units per 30 days over the bills whose service period ends in the winter months (January,
February, March by default): (their units / their service days) x 30, rounded to 2 decimals.
It is recomputed each April 1 and used for the twelve months that follow; an account without
such a history uses the configured default (6 units per month).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from .config import BillingPolicy
from .consumption import PastUsage

TWO = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class WinterAverage:
    units_per_month: Decimal
    default_used: bool
    basis: str
    season_year: int  # the year whose winter it measures


def season_year_for(bill_date_or_period_start: date, policy: BillingPolicy) -> int:
    """Which winter applies on a date: this year's once the recompute date has passed."""
    rc = policy.winter_average_recompute
    d = bill_date_or_period_start
    return d.year if (d.month, d.day) >= (rc.month, rc.day) else d.year - 1


def winter_average(history: Iterable[PastUsage], on: date, policy: BillingPolicy) -> WinterAverage:
    """The winter average in force on `on` (typically a bill's period start)."""
    year = season_year_for(on, policy)
    units = Decimal(0)
    days = 0
    for h in history:
        if h.end.year == year and h.end.month in policy.winter_months and h.days > 0:
            units += Decimal(h.units)
            days += h.days
    if days == 0:
        return WinterAverage(policy.default_winter_average, True,
                             f"no winter {year} history: default {policy.default_winter_average} units per month",
                             year)
    avg = (units / Decimal(days) * 30).quantize(TWO, rounding=ROUND_HALF_UP)
    return WinterAverage(avg, False, f"{units} units / {days} days x 30 (bills ending Jan-Mar {year})", year)
