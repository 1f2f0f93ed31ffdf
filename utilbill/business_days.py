"""The utility's business-day calendar (domain §9).

Weekends and holidays are not business days. The default calendar is the United States
federal holidays (observed: a Saturday holiday is kept on the Friday before, a Sunday one on
the Monday after) plus Nebraska's Arbor Day (last Friday of April), extended by the utility's
own closures from configuration: fixed dates, and named rules such as the day after
Thanksgiving. Due dates, turn-off notice maturity and credit extensions count on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

RULES = ("day_after_thanksgiving", "christmas_eve", "new_years_eve")


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th (1-based) given weekday (Mon=0) of a month."""
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(d: date) -> date:
    if d.weekday() == 5:
        return d - timedelta(days=1)
    if d.weekday() == 6:
        return d + timedelta(days=1)
    return d


def us_federal_holidays(year: int) -> dict[date, str]:
    """Federal holidays of a year, on the days they are observed."""
    h = {
        _observed(date(year, 1, 1)): "New Year's Day",
        _nth_weekday(year, 1, 0, 3): "Martin Luther King Jr. Day",
        _nth_weekday(year, 2, 0, 3): "Washington's Birthday",
        _last_weekday(year, 5, 0): "Memorial Day",
        _observed(date(year, 7, 4)): "Independence Day",
        _nth_weekday(year, 9, 0, 1): "Labor Day",
        _nth_weekday(year, 10, 0, 2): "Columbus Day",
        _observed(date(year, 11, 11)): "Veterans Day",
        _nth_weekday(year, 11, 3, 4): "Thanksgiving Day",
        _observed(date(year, 12, 25)): "Christmas Day",
    }
    if year >= 2021:
        h[_observed(date(year, 6, 19))] = "Juneteenth"
    # New Year's Day of the next year may be observed on Dec 31 of this one.
    nxt = _observed(date(year + 1, 1, 1))
    if nxt.year == year:
        h[nxt] = "New Year's Day (observed)"
    return h


def nebraska_holidays(year: int) -> dict[date, str]:
    """Nebraska state holidays beyond the federal ones: Arbor Day, last Friday of April."""
    return {_last_weekday(year, 4, 4): "Arbor Day"}


def rule_dates(rule: str, year: int) -> dict[date, str]:
    if rule == "day_after_thanksgiving":
        return {_nth_weekday(year, 11, 3, 4) + timedelta(days=1): "Day after Thanksgiving"}
    if rule == "christmas_eve":
        return {date(year, 12, 24): "Christmas Eve"}
    if rule == "new_years_eve":
        return {date(year, 12, 31): "New Year's Eve"}
    raise ValueError(f"unknown closure rule {rule!r}; known rules: {', '.join(RULES)}")


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days the utility is open. Immutable; cheap to pass into rules."""

    federal: bool = True
    nebraska: bool = True
    closure_rules: tuple[str, ...] = ()
    closures: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self):
        for r in self.closure_rules:
            if r not in RULES:
                raise ValueError(f"unknown closure rule {r!r}; known rules: {', '.join(RULES)}")

    def holidays(self, year: int) -> dict[date, str]:
        return _holidays(self, year)

    def holiday_name(self, d: date) -> str | None:
        return self.holidays(d.year).get(d)

    def is_business_day(self, d: date) -> bool:
        return d.weekday() < 5 and d not in self.holidays(d.year)

    def next_business_day(self, d: date) -> date:
        """`d` itself when it is a business day, else the next one."""
        while not self.is_business_day(d):
            d += timedelta(days=1)
        return d

    def add_business_days(self, d: date, n: int) -> date:
        """The n-th business day after `d` (n may be negative; n = 0 gives `d` unchanged)."""
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        while remaining:
            d += timedelta(days=step)
            if self.is_business_day(d):
                remaining -= 1
        return d

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in (start, end]: how many business days after `start` `end` is."""
        if end <= start:
            return 0
        count, d = 0, start
        while d < end:
            d += timedelta(days=1)
            if self.is_business_day(d):
                count += 1
        return count


@lru_cache(maxsize=512)
def _holidays(cal: BusinessCalendar, year: int) -> dict[date, str]:
    h: dict[date, str] = {}
    if cal.federal:
        h.update(us_federal_holidays(year))
    if cal.nebraska:
        h.update(nebraska_holidays(year))
    for rule in cal.closure_rules:
        h.update(rule_dates(rule, year))
    for d in cal.closures:
        if d.year == year:
            h.setdefault(d, "Utility closure")
    return h
