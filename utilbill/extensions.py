"""Credit extensions: a past-due amount's due date moved by a few business days (domain §6).

Why it exists: a clerk may give a customer a short extension instead of an arrangement. The
limits are policy: up to 10 business days (extensions.max_business_days), at most twice in
any 12 months (extensions.max_per_12_months). The new due date counts business days from the
day the extension is granted on the utility calendar (the past-due charges' own due dates
have already passed, so moving them would not give the customer any time). While the
extension runs, the extended amount is kept out of notices and the turn-off list
(utilbill.protections).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from .business_days import BusinessCalendar
from .config import ExtensionPolicy
from .money import ZERO


@dataclass(frozen=True, slots=True)
class ExtensionDecision:
    granted: bool
    reasons: tuple[str, ...]
    new_due: date | None = None
    business_days: int = 0


def decide_extension(past_due: Decimal, business_days: int, as_of: date, previous: list[date],
                     policy: ExtensionPolicy, calendar: BusinessCalendar) -> ExtensionDecision:
    """`previous` are the dates earlier extensions were granted. A window of 12 months counts
    grants dated after as_of - 12 months."""
    reasons = []
    if past_due <= ZERO:
        reasons.append("nothing is past due")
    if not 1 <= business_days <= policy.max_business_days:
        reasons.append(f"{business_days} business days; allowed 1 to {policy.max_business_days}")
    since = as_of - relativedelta(months=12)
    recent = sorted(d for d in previous if since < d <= as_of)
    if len(recent) >= policy.max_per_12_months:
        reasons.append(f"already {len(recent)} extensions in 12 months ({', '.join(d.isoformat() for d in recent)}); "
                       f"at most {policy.max_per_12_months}")
    if reasons:
        return ExtensionDecision(False, tuple(reasons))
    return ExtensionDecision(True, (), calendar.add_business_days(as_of, business_days), business_days)
