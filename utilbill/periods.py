"""Service periods: half-open `[start, end)` between read dates (domain §1, §2).

The day of a read belongs to the next period; a move-out on M ends the old customer's
service at M and the new customer's starts at M. A period is *regular* when it is a cycle
bill of an established account and its length falls in the billing frequency's window;
every other period is *irregular* and is scaled by service days / 30.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Mapping

BILL_KINDS = ("regular", "first", "final", "special", "rebill", "estimate")


@dataclass(frozen=True, slots=True)
class ServicePeriod:
    """Service from `start` up to, not including, `end` (the read dates)."""

    start: date
    end: date

    def __post_init__(self):
        if self.end <= self.start:
            raise ValueError(f"a service period must end after it starts: [{self.start}, {self.end})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def split_at(self, day: date) -> tuple["ServicePeriod | None", "ServicePeriod | None"]:
        """The parts before `day` and from `day` on (either may be None)."""
        if day <= self.start:
            return None, self
        if day >= self.end:
            return self, None
        return ServicePeriod(self.start, day), ServicePeriod(day, self.end)

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()} ({self.days} days)"


def is_regular(
    kind: str,
    days: int,
    months_per_bill: int,
    windows: Mapping[int, tuple[int, int]],
) -> bool:
    """Regular = a cycle bill ('regular' kind) whose length is within the frequency's window."""
    if kind not in ("regular", "estimate", "rebill"):
        return False
    lo, hi = windows[months_per_bill]
    return lo <= days <= hi


def scale_factor(regular: bool, days: int, months_per_bill: int, basis_days: int = 30) -> Fraction:
    """How many 'months' of block bounds and monthly charges a period carries."""
    return Fraction(months_per_bill) if regular else Fraction(days, basis_days)
