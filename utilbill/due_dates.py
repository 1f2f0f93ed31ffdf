"""Due dates and late charges (domain §3).

Due date = bill date + 21 days, moved to the next business day when it falls on a weekend or
holiday. A late charge of 1.5% of the amount of a bill still unpaid at the end of its due
date is assessed once per bill, on the next day, rounded to the cent as one line.
"""

from __future__ import annotations

from datetime import date, timedelta

from .business_days import BusinessCalendar
from .config import BillingPolicy
from .money import ZERO, round_line
from decimal import Decimal


def due_date(bill_date: date, policy: BillingPolicy, calendar: BusinessCalendar) -> date:
    return calendar.next_business_day(bill_date + timedelta(days=policy.due_days))


def late_charge_date(due: date) -> date:
    """The day a late charge is assessed: the day after the due date."""
    return due + timedelta(days=1)


def late_charge(unpaid_after_due: Decimal, policy: BillingPolicy) -> Decimal:
    """1.5% of the bill's amount still unpaid at the end of its due date (0 when paid)."""
    if unpaid_after_due <= 0:
        return ZERO
    return round_line(unpaid_after_due * policy.late_charge_rate)
