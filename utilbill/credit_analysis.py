"""Credit analysis: an account's payment record and a risk score a supervisor can redo by hand.

Why it exists: deposits, arrangements and collection priority all lean on "how has this
customer paid?" (domain §6, §7). The profile counts, from the ledger alone:

- bills due so far, paid on time (in full by the end of the due date), paid late;
- average days late: over the late bills, days from the due date to the day the bill was
  paid in full (a bill still unpaid counts up to the as-of date), to 0.1 day;
- returned payments (reversed payments), broken arrangements;
- highest past due ever (checked on every day the past due can change);
- months of service (whole months from the service start).

Risk score (collections.risk_weights, over the last collections.risk_lookback_months):

    points = 1 x late bills + 3 x returned payments + 4 x broken arrangements
             + 2 if past due now >= $50.00 + 1 if under 12 months of service
    band   = low below 3 points, medium 3 to 5, high 6 and up (collections.risk_bands)

Example: 2 late bills, 1 returned check, nothing past due, 5 years of service
= 2 x 1 + 1 x 3 = 5 points, medium.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta

from .config import CollectionsPolicy
from .ledger import Posting, ledger_state
from .money import ZERO


@dataclass(frozen=True, slots=True)
class BillRecord:
    posting_id: int
    due: date
    amount: Decimal
    paid_on: date | None  # the day it was paid in full (None = still unpaid)
    days_late: int  # 0 when paid by the due date


@dataclass(frozen=True)
class CreditProfile:
    account_no: str
    as_of: date
    bills_due: int
    on_time: int
    late: int
    average_days_late: Decimal
    returned_payments: int
    broken_arrangements: int
    highest_past_due: Decimal
    highest_past_due_date: date | None
    months_of_service: int
    past_due_now: Decimal
    late_recent: int
    returned_recent: int
    broken_recent: int
    score: int
    band: str
    score_parts: tuple[tuple[str, int, int], ...]  # (what, count, points)
    bills: tuple[BillRecord, ...] = ()

    @property
    def on_time_percent(self) -> Decimal:
        if not self.bills_due:
            return Decimal("100.0")
        return (Decimal(self.on_time * 100) / self.bills_due).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _bill_records(postings: list[Posting], as_of: date) -> tuple[list[BillRecord], Decimal, date | None]:
    """When each bill was paid in full, and the highest past due, by replaying the ledger on
    each day something can change (a credit posts, a reversal posts, a due date passes)."""
    live_dates = sorted({p.date for p in postings if p.date <= as_of and (p.amount < 0 or p.reverses)}
                        | {p.due + timedelta(days=1) for p in postings if p.amount > 0 and p.reverses is None
                           and p.due < as_of})
    bills = {p.id: p for p in postings if p.kind == "bill" and p.reverses is None and p.date <= as_of}
    paid_on: dict[int, date | None] = {}
    highest, highest_date = ZERO, None
    for d in [x for x in live_dates if x <= as_of] + [as_of]:
        st = ledger_state(postings, d)
        pd = st.past_due(d)
        if pd > highest:
            highest, highest_date = pd, d
        for c in st.charges:
            pid = c.posting.id
            if pid in bills:
                if c.unpaid <= 0 and paid_on.get(pid) is None:
                    paid_on[pid] = d
                elif c.unpaid > 0:
                    paid_on[pid] = None  # unpaid again (a returned payment)
    final = ledger_state(postings, as_of)
    cancelled = final.cancelled
    out = []
    for pid, p in sorted(bills.items(), key=lambda t: t[1].due):
        if pid in cancelled or p.due >= as_of:
            continue
        when = paid_on.get(pid)
        if when is not None and when <= p.due:
            late = 0
        else:
            late = ((when or as_of) - p.due).days
        out.append(BillRecord(pid, p.due, p.amount, when, late))
    return out, highest, highest_date


def risk_band(score: int, bands: tuple[int, int]) -> str:
    medium, high = bands
    return "high" if score >= high else "medium" if score >= medium else "low"


def credit_profile(account_no: str, postings: list[Posting], as_of: date, service_start: date,
                   broken_dates: list[date], policy: CollectionsPolicy) -> CreditProfile:
    """The account's credit profile on `as_of`. `broken_dates`: when its arrangements broke."""
    postings = [p for p in postings if p.date <= as_of]
    bills, highest, highest_date = _bill_records(postings, as_of)
    state = ledger_state(postings, as_of)
    late_bills = [b for b in bills if b.days_late > 0]
    avg = (Decimal(sum(b.days_late for b in late_bills)) / len(late_bills)).quantize(
        Decimal("0.1"), ROUND_HALF_UP) if late_bills else Decimal("0.0")
    by_id = {p.id: p for p in postings}
    returns = [p for p in postings if p.reverses is not None and by_id.get(p.reverses) is not None
               and by_id[p.reverses].kind == "payment"]
    since = as_of - relativedelta(months=policy.risk_lookback_months)
    months = relativedelta(as_of, service_start)
    months_of_service = max(0, months.years * 12 + months.months)
    past_due_now = state.past_due(as_of)
    w = policy.risk_weights
    late_recent = sum(1 for b in late_bills if since < b.due <= as_of)
    returned_recent = sum(1 for p in returns if since < p.date <= as_of)
    broken_recent = sum(1 for d in broken_dates if since < d <= as_of)
    parts = (
        ("late bills", late_recent, late_recent * w.get("late_bill", 0)),
        ("returned payments", returned_recent, returned_recent * w.get("returned_payment", 0)),
        ("broken arrangements", broken_recent, broken_recent * w.get("broken_arrangement", 0)),
        ("past due now", int(past_due_now >= policy.notice_min_past_due),
         w.get("past_due_now", 0) if past_due_now >= policy.notice_min_past_due else 0),
        ("under 12 months of service", int(months_of_service < 12),
         w.get("new_account", 0) if months_of_service < 12 else 0),
    )
    score = sum(p[2] for p in parts)
    return CreditProfile(
        account_no=account_no, as_of=as_of, bills_due=len(bills), on_time=len(bills) - len(late_bills),
        late=len(late_bills), average_days_late=avg, returned_payments=len(returns),
        broken_arrangements=len(broken_dates), highest_past_due=highest, highest_past_due_date=highest_date,
        months_of_service=months_of_service, past_due_now=past_due_now, late_recent=late_recent,
        returned_recent=returned_recent, broken_recent=broken_recent, score=score,
        band=risk_band(score, policy.risk_bands), score_parts=parts, bills=tuple(bills))


def score_rule(policy: CollectionsPolicy) -> str:
    """The score's formula in words, from the configured weights (printed on the workbook)."""
    w = policy.risk_weights
    medium, high = policy.risk_bands
    return (f"Score = {w.get('late_bill', 0)} x late bills + {w.get('returned_payment', 0)} x returned payments + "
            f"{w.get('broken_arrangement', 0)} x broken arrangements (last {policy.risk_lookback_months} months) + "
            f"{w.get('past_due_now', 0)} if past due now >= ${policy.notice_min_past_due:,.2f} + "
            f"{w.get('new_account', 0)} if under 12 months of service. Bands: low below {medium}, "
            f"medium {medium} to {high - 1}, high {high} and up.")
