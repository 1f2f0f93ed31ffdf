"""From meter readings to billed units: consumption, rollover and estimated reads (domain §3).

Consumption is the reading less the previous reading. A reading below the previous one is a
rollover only when the meter's dial count is known and the rolled-over consumption is
plausible (below `rollover_plausible_factor` x the account's average for the period);
otherwise it is a problem for a clerk to review, never a negative bill. An estimated read
uses the account's average daily units over the last `estimate_lookback_days` days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Iterable, Sequence

from .config import BillingPolicy


@dataclass(frozen=True, slots=True)
class PastUsage:
    """Units and length of one earlier billed period (the account's history)."""

    start: date
    end: date
    units: Decimal
    estimated: bool = False

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True, slots=True)
class Consumption:
    units: int | None  # None when the read is a problem to review
    rollover: bool = False
    problem: str | None = None


def average_daily_units(history: Iterable[PastUsage], as_of: date, lookback_days: int) -> Fraction | None:
    """Units / service days over the periods ending within `lookback_days` before `as_of`."""
    since = as_of - timedelta(days=lookback_days)
    units = Fraction(0)
    days = 0
    for h in history:
        if since <= h.end <= as_of and h.days > 0:
            units += Fraction(h.units)
            days += h.days
    if days == 0:
        return None
    return units / days


def consumption(
    previous: int,
    reading: int,
    *,
    dials: int | None,
    expected_units: Fraction | None,
    policy: BillingPolicy,
) -> Consumption:
    """Units between two readings; a lower reading is a rollover only when plausible."""
    if reading >= previous:
        return Consumption(reading - previous)
    if dials is None:
        return Consumption(None, problem=(
            f"reading {reading} is below the previous reading {previous} and the meter's dial "
            f"count is unknown: review the read (no bill is made from a negative consumption)"))
    rolled = 10**dials + reading - previous
    if rolled <= 0:
        return Consumption(None, problem=f"reading {reading} does not fit a {dials}-dial meter")
    if expected_units is None:
        return Consumption(None, problem=(
            f"reading {reading} is below the previous reading {previous}; a rollover of "
            f"{rolled} units cannot be checked without usage history: review the read"))
    limit = Fraction(policy.rollover_plausible_factor) * expected_units
    if Fraction(rolled) < limit:
        return Consumption(rolled, rollover=True)
    return Consumption(None, problem=(
        f"reading {reading} is below the previous reading {previous}; as a rollover of a "
        f"{dials}-dial meter it would be {rolled} units, not below "
        f"{policy.rollover_plausible_factor} x the average {float(expected_units):.1f}: review the read"))


def estimate_units(history: Sequence[PastUsage], period_start: date, period_end: date,
                   policy: BillingPolicy, *, whole: bool = True) -> tuple[Decimal | None, str]:
    """Estimated units for `[period_start, period_end)` and the basis in words.

    Average daily units of the bills whose periods end in the lookback window before
    `period_start`, times the service days; rounded half up to a whole unit unless `whole`
    is False (payoff estimates may keep the fraction).
    """
    days = (period_end - period_start).days
    avg = average_daily_units(history, period_start, policy.estimate_lookback_days)
    if avg is None:
        return None, "no usage history in the last {} days to estimate from".format(policy.estimate_lookback_days)
    exact = avg * days
    value = Decimal(exact.numerator) / Decimal(exact.denominator)
    if whole:
        value = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    basis = (f"average {float(avg):.4f} units/day over the last {policy.estimate_lookback_days} days "
             f"x {days} days = {float(exact):.4f} units")
    return value, basis
