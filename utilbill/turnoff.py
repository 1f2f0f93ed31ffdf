"""The turn-off list: which properties a crew may work today, in which order (domain §6).

Why it exists: a turn-off is the most serious thing the office does to a customer, so every
account with an active notice gets a written answer — worked today (and why it ranks where
it does) or left out (and why). Rules, in the order they are checked:

1. the notice is removed when payments on or after its date cover the noticed amount, or
   nothing is past due (reason "paid");
2. the notice must be matured: its earliest turn-off date reached;
3. still past due >= $50.00 (collections.turnoff_min_past_due);
4. not protected (utilbill.protections: arrangement current, medical postponement,
   conference pending, assistance pending, bankruptcy pre-petition debt, landlord hold,
   credit extension);
5. order: broken arrangements first, then dollars past due (highest first), then date of
   last payment (oldest first; never paid counts as oldest), then account number;
6. the daily crew capacity cuts the list; the rest are left out "beyond crew capacity".

Pure: cases in, a TurnoffList out. The job (collections_jobs.turnoff_list) loads the cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from .config import Policy
from .money import ZERO, fmt_money
from .notices import removal_reason
from .protections import Case, broken_recently, landlord_answer, protections


@dataclass(frozen=True, slots=True)
class TurnoffEntry:
    """One account with an active notice and what the list decided for it."""

    account_no: str
    included: bool
    reason: str
    rank: int | None = None  # 1.. in work order, included only
    notice_id: int | None = None
    notice_date: date | None = None
    earliest_turnoff: date | None = None
    noticed_amount: Decimal = ZERO
    past_due: Decimal = ZERO
    last_payment: date | None = None
    broken_arrangement: bool = False
    landlord: str | None = None  # the landlord's answer on file: hold | proceed
    removed: bool = False  # the notice is removed by this decision (paid)
    customer_name: str = ""
    service_address: str = ""
    account_class: str = ""
    meter_id: str | None = None
    is_rental: bool = False


@dataclass
class TurnoffList:
    as_of: date
    capacity: int
    included: list[TurnoffEntry] = field(default_factory=list)
    excluded: list[TurnoffEntry] = field(default_factory=list)

    @property
    def entries(self) -> list[TurnoffEntry]:
        return self.included + self.excluded

    @property
    def removed(self) -> list[TurnoffEntry]:
        return [e for e in self.excluded if e.removed]


def _entry(case: Case, notice, *, included: bool, reason: str, past_due: Decimal, broken: bool,
           landlord: str | None, rank: int | None = None, removed: bool = False) -> TurnoffEntry:
    a = case.account
    return TurnoffEntry(
        account_no=a.account_no, included=included, reason=reason, rank=rank, notice_id=notice.id,
        notice_date=notice.issued, earliest_turnoff=notice.earliest_turnoff, noticed_amount=notice.amount,
        past_due=past_due, last_payment=case.last_payment_date(), broken_arrangement=broken,
        landlord=landlord, removed=removed, customer_name=a.customer_name,
        service_address=a.service_address, account_class=a.account_class, meter_id=a.meter_id,
        is_rental=a.is_rental)


def order_key(e: TurnoffEntry):
    """Broken arrangements first, then highest past due, then oldest last payment."""
    return (0 if e.broken_arrangement else 1, -e.past_due, e.last_payment or date.min, e.account_no)


def build_turnoff_list(cases: list[Case], as_of: date, policy: Policy, capacity: int | None = None) -> TurnoffList:
    """The turn-off list as of `as_of` over the cases that have an active notice."""
    col = policy.collections
    capacity = col.daily_crew_capacity if capacity is None else capacity
    if capacity < 0:
        raise ValueError("crew capacity cannot be negative")
    lookback = as_of - relativedelta(months=policy.arrangements.broken_lookback_months)
    result = TurnoffList(as_of=as_of, capacity=capacity)
    candidates: list[TurnoffEntry] = []
    for case in cases:
        notice = case.active_notice()
        if notice is None:
            continue
        past_due = case.state.past_due(as_of)
        broken = broken_recently(case, as_of, lookback)
        landlord = landlord_answer(case, as_of) if case.account.is_rental else None
        common = dict(past_due=past_due, broken=broken, landlord=landlord)
        paid = removal_reason(case, notice, as_of)
        if paid:
            result.excluded.append(_entry(case, notice, included=False, reason=f"paid: {paid}; notice removed",
                                          removed=True, **common))
            continue
        if as_of < notice.earliest_turnoff:
            result.excluded.append(_entry(case, notice, included=False, **common,
                                          reason=f"notice not matured (earliest turn-off "
                                                 f"{notice.earliest_turnoff.isoformat()})"))
            continue
        if past_due < col.turnoff_min_past_due:
            result.excluded.append(_entry(case, notice, included=False, **common,
                                          reason=f"past due {fmt_money(past_due)} below "
                                                 f"{fmt_money(col.turnoff_min_past_due)}"))
            continue
        reasons = protections(case, as_of, col.turnoff_min_past_due)
        if reasons:
            result.excluded.append(_entry(case, notice, included=False, reason="protected: " + "; ".join(reasons),
                                          **common))
            continue
        candidates.append(_entry(case, notice, included=True, reason="", **common))
    candidates.sort(key=order_key)
    for i, e in enumerate(candidates, start=1):
        why = ("broken arrangement; " if e.broken_arrangement else "") + f"past due {fmt_money(e.past_due)}; " + (
            f"last payment {e.last_payment.isoformat()}" if e.last_payment else "no payment on record")
        if e.landlord == "proceed":
            why += "; landlord said proceed"
        if i <= capacity:
            result.included.append(replace(e, rank=i, reason=f"rank {i}: {why}"))
        else:
            result.excluded.append(replace(e, included=False, rank=None,
                                            reason=f"beyond crew capacity ({capacity}); would rank {i}: {why}"))
    result.excluded.sort(key=lambda e: e.account_no)
    return result


