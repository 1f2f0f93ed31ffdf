"""Assistance referral and the pending-application hold (domain §6).

Why it exists: a household that cannot pay is referred to the water assistance program
(Nebraska LIHWAP by default: households at or below 150% of the federal poverty level or
with an active LIHEAP case, up to $2,500 per federal fiscal year). A referral allows an
arrangement of up to 12 installments; an application on file holds turn-off for
assistance.pending_hold_days (30 by default) or until the program decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .config import AssistancePolicy
from .money import fmt_money


@dataclass(frozen=True, slots=True)
class ProgramTerms:
    program: str
    eligibility: str
    benefit: str
    contact: str
    effect: str


def program_terms(policy: AssistancePolicy, max_installments_with_assistance: int) -> ProgramTerms:
    return ProgramTerms(
        program=policy.program,
        eligibility=(f"Households with income at or below {policy.income_limit_fpl_percent.normalize():f}% of the "
                     f"federal poverty level, or with an active LIHEAP case, may qualify."),
        benefit=(f"The program pays up to {fmt_money(policy.max_benefit_per_federal_fiscal_year)} per federal fiscal "
                 f"year (October 1 - September 30) toward water and wastewater bills."),
        contact=f"Apply through: {policy.contact}." if policy.contact else "Ask our office how to apply.",
        effect=(f"Tell us when you apply: while your application is pending (up to {policy.pending_hold_days} days) "
                f"we will not turn off your service, and with a referral a payment arrangement may run up to "
                f"{max_installments_with_assistance} months."),
    )


def pending_hold_end(applied: date, policy: AssistancePolicy, end: date | None = None) -> date:
    """The first day the pending-application hold no longer applies (hold = [applied, end))."""
    if end is not None:
        if end <= applied:
            raise ValueError("the hold must end after the application date")
        return end
    return applied + timedelta(days=policy.pending_hold_days)


def federal_fiscal_year(d: date) -> int:
    """FFY 2027 runs 2026-10-01 .. 2027-09-30."""
    return d.year + 1 if d.month >= 10 else d.year
