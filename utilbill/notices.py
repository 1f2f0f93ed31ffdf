"""Turn-off notices: who gets one, when it matures, and when it is removed (domain §6, §7).

Why it exists: Neb. Rev. Stat. §70-1605..1607 forbid a turn-off until 7 days after written
notice, not counting weekends and holidays. This module computes that earliest turn-off
date on the utility's business-day calendar, selects the accounts that get a notice
(past due >= $50.00, oldest unpaid due date at least 30 days ago, no active notice, not
protected), states every element the statute requires, and decides when a notice is
removed (a payment on or after the notice date covers the noticed amount, or nothing is
past due any more). Pure: cases in, decisions out; the job in collections_jobs stores them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from .business_days import BusinessCalendar
from .config import CollectionsPolicy, Policy
from .money import ZERO, fmt_money
from .protections import Case, Notice, protections


def earliest_turnoff(notice_date: date, calendar: BusinessCalendar, business_days: int = 7) -> date:
    """The 7th business day after the notice date (the notice date itself never counts).

    Example: a notice dated Friday 2026-11-20 counts Mon 23, Tue 24, Wed 25, (Thanksgiving
    Thu 26 and the configured Friday 27 closure skipped), Mon 30, Tue Dec 1, Wed 2, Thu 3.
    """
    return calendar.add_business_days(notice_date, business_days)


def medical_deadline(notice_date: date, calendar: BusinessCalendar, business_days: int = 5) -> date:
    """Last day to file a physician's certificate: 5 business days after the notice date."""
    return calendar.add_business_days(notice_date, business_days)


@dataclass(frozen=True, slots=True)
class NoticeDecision:
    """One account's answer from the notice selection: a notice to issue, or why not."""

    account_no: str
    issue: bool
    reason: str
    past_due: Decimal = ZERO
    age_days: int = 0
    oldest_due: date | None = None
    earliest_turnoff: date | None = None


def past_due_rules_out(past_due: Decimal, age: int, col: CollectionsPolicy) -> bool:
    """The past due alone rules a notice out: too small, or not old enough."""
    return past_due < col.notice_min_past_due or age < col.notice_min_age_days


def decide_by_past_due(account_no: str, past_due: Decimal, age: int, oldest: date | None,
                       col: CollectionsPolicy) -> NoticeDecision | None:
    """The answer when the past due alone rules a notice out (past_due_rules_out), with
    its reason; None when the account's notices and protections decide."""
    if not past_due_rules_out(past_due, age, col):
        return None
    return NoticeDecision(account_no, False, _ruled_out_reason(past_due, age, col.notice_min_past_due,
                                                               col.notice_min_age_days), past_due, age, oldest)


@lru_cache(maxsize=4096)
def _ruled_out_reason(past_due: Decimal, age: int, min_past_due: Decimal, min_age_days: int) -> str:
    # the notice run words this for tens of thousands of accounts, most with the same figures
    if past_due < min_past_due:
        return f"past due {fmt_money(past_due)} below {fmt_money(min_past_due)}"
    return f"past due only {age} days (needs {min_age_days})"


def decide_notice(case: Case, as_of: date, policy: Policy) -> NoticeDecision:
    """Whether this account gets a notice dated `as_of`, with the reason either way."""
    col: CollectionsPolicy = policy.collections
    st = case.state
    past_due = st.past_due(as_of)
    age = st.age_days(as_of)
    oldest = st.oldest_past_due_date(as_of)
    base = dict(account_no=case.account_no, past_due=past_due, age_days=age, oldest_due=oldest)
    by_amount = decide_by_past_due(case.account_no, past_due, age, oldest, col)
    if by_amount is not None:
        return by_amount
    active = case.active_notice()
    if active is not None:
        return NoticeDecision(issue=False, reason=f"notice of {active.issued.isoformat()} still active", **base)
    reasons = protections(case, as_of, col.turnoff_min_past_due)
    if reasons:
        return NoticeDecision(issue=False, reason="protected: " + "; ".join(reasons), **base)
    return NoticeDecision(issue=True, reason=f"past due {fmt_money(past_due)} for {age} days",
                          earliest_turnoff=earliest_turnoff(as_of, policy.calendar, col.turnoff_business_days),
                          **base)


def select_for_notice(cases: list[Case], as_of: date, policy: Policy) -> tuple[list[NoticeDecision], list[NoticeDecision]]:
    """(notices to issue, accounts skipped with their reason), both in account order."""
    issue, skip = [], []
    for case in sorted(cases, key=lambda c: c.account_no):
        d = decide_notice(case, as_of, policy)
        (issue if d.issue else skip).append(d)
    return issue, skip


def notice_key(account_no: str, issued: date, oldest_due: date | None, past_due: Decimal) -> str:
    """Idempotency: one notice per account, day and past-due amount (re-running a day's notice
    run records nothing new; on later days the active notice keeps a second one away, and a
    removed notice never blocks a new one for a past due that comes back)."""
    cents = int(past_due * 100)
    return f"{account_no}:{issued.isoformat()}:{oldest_due.isoformat() if oldest_due else '-'}:{cents}"


def paid_since(case: Case, since: date, on: date) -> Decimal:
    """Payments dated in [since, on] that still stand (a returned payment no longer counts)."""
    cancelled = case.state.cancelled
    return -sum((p.amount for p in case.postings
                 if p.amount < 0 and p.reverses is None and p.id not in cancelled and since <= p.date <= on),
                ZERO)


def removal_reason(case: Case, notice: Notice, on: date) -> str | None:
    """Why the notice is removed on `on`, or None while it stands (domain §6, §7): payments on
    or after the notice date cover the noticed amount, or the account has nothing past due."""
    if not notice.active:
        return None
    paid = paid_since(case, notice.issued, on)
    if paid >= notice.amount:
        return f"paid {fmt_money(paid)} since the notice (noticed {fmt_money(notice.amount)})"
    if case.state.past_due(on) <= ZERO:
        return "nothing past due"
    return None


@dataclass(frozen=True, slots=True)
class NoticeText:
    """The statutory elements of a notice, in words (Neb. Rev. Stat. §70-1606)."""

    reason: str
    amount: str
    notice_date: str
    earliest_turnoff: str
    contact: str
    conference_right: str
    medical_right: str


def notice_text(account_no: str, notice_date: date, turnoff: date, amount: Decimal, policy: Policy) -> NoticeText:
    col = policy.collections
    info = policy.utility
    contact = ", ".join(x for x in (info.department, info.address, info.phone, info.email) if x)
    med = medical_deadline(notice_date, policy.calendar, col.medical_certificate_business_days)
    return NoticeText(
        reason=f"Nonpayment: account {account_no} has {fmt_money(amount)} past due.",
        amount=fmt_money(amount),
        notice_date=notice_date.strftime("%B %d, %Y"),
        earliest_turnoff=turnoff.strftime("%A, %B %d, %Y"),
        contact=f"Questions, payment arrangements or a dispute: {contact}"
                + (f" ({info.office_hours})" if info.office_hours else "") + ".",
        conference_right=("You have the right to a conference with the utility to dispute this bill or arrange "
                          "payment. Ask for one before the turn-off date; service will not be turned off while "
                          "a conference is pending."),
        medical_right=(f"If turning off service would be especially dangerous to the health of a resident, a "
                       f"physician's certificate filed with us by {med.strftime('%B %d, %Y')} "
                       f"({col.medical_certificate_business_days} business days after this notice) postpones "
                       f"turn-off for at least {col.medical_postponement_days} days, once for this past-due amount."),
    )
