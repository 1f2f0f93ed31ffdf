"""Payment arrangements: eligibility, the schedule, and whether it is kept (domain §6).

Why it exists: an arrangement lets a customer pay a past-due amount over months instead of
being turned off, and it must be figured the same way on the counter, in the workbook
calculator (ARRANGEMENT_SCHEDULE) and in the agreement letter.

- Down payment >= 20% of the past due (arrangements.min_down_percent).
- Up to 6 monthly installments, 12 with an assistance referral.
- Installment = (past due - down) / n rounded DOWN to the cent; the last takes the
  remainder, so the installments add up to the financed amount exactly.
- Due dates count whole months from the first due date, never from the previous one:
  months_after(first_due, k) gives Jan 31 -> Feb 28/29 -> Mar 31 (what dateutil's
  first_due + relativedelta(months=k) gives, without its cost on every installment).
- Not eligible when an arrangement was broken in the last 12 months, unless a supervisor
  overrides (the override and its reason are recorded as such).
- Broken = an installment (or the down payment, due the day it is made, or a bill posted
  after the arrangement) still unpaid at the end of the 5th day after its due date; it is
  broken on the next day. Payments count cumulatively from the arrangement date.
- Kept = payments since the arrangement cover the down payment, every installment and the
  bills posted since (paying ahead of the schedule keeps it too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from .config import ArrangementPolicy
from .ledger import Posting
from .money import ZERO, fmt_money, from_cents, round_down_cent, round_line


@dataclass(frozen=True, slots=True)
class Installment:
    number: int
    due_date: date
    amount: Decimal
    remaining: Decimal  # still owed under the arrangement after this installment


def schedule(past_due: Decimal, down: Decimal, n: int, first_due: date,
             policy: ArrangementPolicy | None = None) -> list[Installment]:
    """The installments of an arrangement (number, due date, amount, remaining after it).

    Example: past due 250.00, down 50.00, 3 installments from 2026-01-31:
    financed 200.00; 200.00 / 3 = 66.666... -> 66.66, 66.66, last 200.00 - 133.32 = 66.68,
    due 2026-01-31, 2026-02-28, 2026-03-31.
    """
    return [Installment(number, due, from_cents(amount), from_cents(remaining))
            for number, due, amount, remaining in schedule_cents(past_due, down, n, first_due, policy)]


def schedule_cents(past_due: Decimal, down: Decimal, n: int, first_due: date,
                   policy: ArrangementPolicy | None = None) -> list[tuple[int, date, int, int]]:
    """`schedule` as plain rows of integer cents: (number, due date, amount, remaining after
    it). The worksheet function ARRANGEMENT_SCHEDULE spills these without building records."""
    past_due, down = round_line(Decimal(past_due)), round_line(Decimal(down))
    if n < 1:
        raise ValueError("an arrangement needs at least one installment")
    if policy is not None:
        cap = policy.max_installments_with_assistance
        if n > cap:
            raise ValueError(f"at most {cap} installments")
    if down < ZERO or down > past_due:
        raise ValueError("the down payment must be between 0 and the past-due amount")
    financed = past_due - down
    each = round_down_cent(financed / n)
    financed, each = int(financed.scaleb(2)), int(each.scaleb(2))  # whole cents: exact
    out: list[tuple[int, date, int, int]] = []
    paid, last = 0, n - 1
    for k, due in enumerate(monthly_dates(first_due, n)):
        amount = each if k < last else financed - paid
        paid += amount
        out.append((k + 1, due, amount, financed - paid))
    return out


def monthly_dates(anchor: date, count: int) -> list[date]:
    """`count` due dates a month apart, each counted from `anchor` (months_after(anchor, k))."""
    if type(anchor) is not date or anchor.day > 28:
        return [months_after(anchor, k) for k in range(count)]
    base, day = anchor.year * 12 + anchor.month - 1, anchor.day  # a day every month has
    out = []
    for k in range(count):
        year, month0 = divmod(base + k, 12)
        out.append(date(year, month0 + 1, day))
    return out


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def months_after(anchor: date, months: int) -> date:
    """The same day `months` whole months after `anchor` (before it when negative), the day
    clamped to the month's length: Jan 31 + 1 -> Feb 28 (Feb 29 in a leap year), + 2 -> Mar 31.
    Same result, type and errors as ``anchor + relativedelta(months=months)``."""
    if type(anchor) is not date and not isinstance(anchor, date):
        raise TypeError(f"months_after needs a date, not {type(anchor).__name__}")
    year, month0 = divmod(anchor.year * 12 + anchor.month - 1 + months, 12)
    month, day = month0 + 1, anchor.day
    if day > 28:
        last = _MONTH_DAYS[month0]
        if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
            last = 29
        day = min(day, last)
    if type(anchor) is date:
        return date(year, month, day)
    return anchor.replace(year=year, month=month, day=day)


@dataclass(frozen=True, slots=True)
class PastArrangement:
    made: date
    status: str  # current | kept | broken
    status_date: date | None = None


@dataclass(frozen=True, slots=True)
class Eligibility:
    eligible: bool
    reasons: tuple[str, ...] = ()  # why not (empty when eligible)
    override: bool = False  # eligible only because a supervisor overrode
    override_reason: str = ""

    def __str__(self) -> str:
        if self.override:
            return f"eligible by supervisor override ({self.override_reason}); would be refused: " + "; ".join(self.reasons)
        return "eligible" if self.eligible else "not eligible: " + "; ".join(self.reasons)


def check_eligibility(past_due: Decimal, down: Decimal, n: int, as_of: date, history: list[PastArrangement],
                      policy: ArrangementPolicy, *, assistance: bool = False,
                      override_reason: str | None = None) -> Eligibility:
    """Whether an arrangement may be made, with every reason when it may not.

    The supervisor override lifts only the broken-in-12-months rule; the down payment and the
    number of installments are arithmetic limits no override changes.
    """
    hard: list[str] = []
    if past_due <= ZERO:
        hard.append("nothing is past due")
    min_down = round_line(past_due * policy.min_down_percent / 100)
    if down < min_down:
        hard.append(f"down payment {fmt_money(down)} is below {policy.min_down_percent}% of the past due "
                    f"({fmt_money(min_down)})")
    if down > past_due:
        hard.append("down payment exceeds the past due")
    cap = policy.max_installments_with_assistance if assistance else policy.max_installments
    if not 1 <= n <= cap:
        hard.append(f"{n} installments; allowed 1 to {cap}" + ("" if assistance else
                    f" ({policy.max_installments_with_assistance} with an assistance referral)"))
    if any(a.status == "current" for a in history):
        hard.append("an arrangement is already in force")
    since = as_of - relativedelta(months=policy.broken_lookback_months)
    soft = [f"an arrangement was broken on {a.status_date.isoformat()} (within {policy.broken_lookback_months} months)"
            for a in history if a.status == "broken" and a.status_date and since < a.status_date <= as_of]
    if hard:
        return Eligibility(False, tuple(hard + soft))
    if soft:
        if override_reason:
            return Eligibility(True, tuple(soft), override=True, override_reason=override_reason)
        return Eligibility(False, tuple(soft))
    return Eligibility(True)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One thing the arrangement requires by a deadline (cumulative amounts)."""

    label: str
    due_date: date
    cumulative: Decimal


@dataclass(frozen=True)
class Standing:
    status: str  # current | kept | broken
    status_date: date | None
    paid: Decimal  # payments since the arrangement that still stand
    required_now: Decimal  # what should have been paid by now (past deadlines)
    missed: str = ""  # the requirement that broke it
    requirements: tuple[Requirement, ...] = field(default=())


def requirements(made: date, down: Decimal, installments: list[Installment],
                 new_charges: list[Posting]) -> list[Requirement]:
    """Down payment (due the day the arrangement is made), installments, and the bills
    posted since (current bills must also be paid), as cumulative amounts by due date."""
    items = [(made, "down payment", down)] + [(i.due_date, f"installment {i.number}", i.amount) for i in installments]
    items += [(p.due, f"bill of {p.date.isoformat()}", p.amount) for p in new_charges]
    items.sort(key=lambda t: (t[0], t[1]))
    out, total = [], ZERO
    for due, label, amount in items:
        total += amount
        out.append(Requirement(label, due, total))
    return out


def monitor(made: date, down: Decimal, installments: list[Installment], postings: list[Posting], on: date,
            grace_days: int, cancelled: set[int] | frozenset[int] = frozenset()) -> Standing:
    """The arrangement's standing on `on`.

    A requirement due on D is met when payments dated from `made` to D + grace_days reach its
    cumulative amount; if not, the arrangement is broken on D + grace_days + 1.
    """
    live = [p for p in postings if p.id not in cancelled and p.reverses is None and p.date <= on]
    new_charges = [p for p in live if p.amount > 0 and p.date > made and p.kind == "bill"]
    reqs = requirements(made, down, installments, new_charges)
    pays = sorted((p for p in live if p.amount < 0 and p.date >= made), key=lambda p: p.date)

    def paid_by(day: date) -> Decimal:
        return -sum((p.amount for p in pays if p.date <= day), ZERO)

    required_now = ZERO
    for r in reqs:
        deadline = r.due_date + timedelta(days=grace_days)
        if deadline >= on:
            break
        required_now = r.cumulative
        if paid_by(deadline) < r.cumulative:
            return Standing("broken", deadline + timedelta(days=1), paid_by(on), required_now, r.label, tuple(reqs))
    total = reqs[-1].cumulative if reqs else ZERO
    schedule_total = down + sum((i.amount for i in installments), ZERO)
    paid = paid_by(on)
    if paid >= total and paid >= schedule_total:
        return Standing("kept", on, paid, required_now, "", tuple(reqs))
    return Standing("current", None, paid, required_now, "", tuple(reqs))
