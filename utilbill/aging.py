"""Aging of receivables: past due per account and per bill, in age buckets, by class
(domain §6).

Why it exists: collections starts from "how much is past due, and how old is it". Past due
is the unpaid part of charges whose due date has passed; a charge's age is the days since
its due date; an account's age is the age of its oldest unpaid past-due charge. Buckets come
from collections.aging_buckets (0, 30, 60, 90): current (not yet due), 1-30, 31-60, 61-90
and over 90 days. Credit balances are reported apart, never netted into a bucket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .ledger import LedgerState
from .money import ZERO


def bucket_labels(bounds: tuple[int, ...]) -> list[str]:
    """(0, 30, 60, 90) -> current, 1-30, 31-60, 61-90, over 90."""
    labels = ["current"]
    for lo, hi in zip(bounds, bounds[1:]):
        labels.append(f"{lo + 1}-{hi}")
    labels.append(f"over {bounds[-1]}")
    return labels


def bucket_of(age_days: int, bounds: tuple[int, ...]) -> int:
    """Index into bucket_labels: 0 = current (age <= 0)."""
    if age_days <= bounds[0]:
        return 0
    for i, hi in enumerate(bounds[1:], start=1):
        if age_days <= hi:
            return i
    return len(bounds)


@dataclass(frozen=True, slots=True)
class ChargeAge:
    posting_id: int
    bill_id: int | None
    kind: str
    date: date
    due: date
    unpaid: Decimal
    age_days: int
    bucket: str


@dataclass
class AccountAging:
    account_no: str
    account_class: str
    buckets: dict[str, Decimal]
    past_due: Decimal
    age_days: int
    credit: Decimal
    charges: list[ChargeAge] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)


def age_account(account_no: str, account_class: str, state: LedgerState, as_of: date,
                bounds: tuple[int, ...]) -> AccountAging:
    labels = bucket_labels(bounds)
    buckets = {l: ZERO for l in labels}
    charges = []
    for c in state.open_charges():
        age = (as_of - c.posting.due).days
        label = labels[bucket_of(age, bounds)]
        buckets[label] += c.unpaid
        charges.append(ChargeAge(c.posting.id, c.posting.bill_id, c.posting.kind, c.posting.date, c.posting.due,
                                 c.unpaid, max(age, 0), label))
    return AccountAging(account_no, account_class, buckets, state.past_due(as_of), state.age_days(as_of),
                        state.credit, charges)


@dataclass
class AgingReport:
    as_of: date
    labels: list[str]
    accounts: list[AccountAging]

    def by_class(self) -> dict[str, dict[str, Decimal]]:
        out: dict[str, dict[str, Decimal]] = {}
        for a in self.accounts:
            row = out.setdefault(a.account_class, {l: ZERO for l in self.labels})
            for l, v in a.buckets.items():
                row[l] += v
        return dict(sorted(out.items()))

    def totals(self) -> dict[str, Decimal]:
        t = {l: ZERO for l in self.labels}
        for row in self.by_class().values():
            for l, v in row.items():
                t[l] += v
        return t

    @property
    def past_due(self) -> Decimal:
        return sum((a.past_due for a in self.accounts), ZERO)


def aging_report(items, as_of: date, bounds: tuple[int, ...]) -> AgingReport:
    """`items`: (account_no, account_class, LedgerState) for every account to age."""
    rows = [age_account(no, cls, st, as_of, bounds) for no, cls, st in items]
    return AgingReport(as_of, bucket_labels(bounds), rows)
