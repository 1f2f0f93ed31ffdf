"""An account's ledger: which charges are unpaid, what each payment paid (domain §6, §8).

The store keeps postings (charges positive, credits negative); this module turns them into
the state the rules need: the unpaid part of each charge, the past-due amount and its age,
the credit balance, and the fund distribution of every credit.

Application rule (domain §8): a credit applies to the oldest unpaid charges first (by due
date, then posting order); a bill's own fees (its late charge) come before the bill's lines;
within a bill, water and wastewater are paid in proportion to what is still unpaid of each,
the last cent going to the remainder so the parts add up to the payment. A credit larger than
what is open waits as a credit balance and pays later charges when they post.

A reversal cancels the posting it points to as of the reversal's date: the ledger is then
computed as if neither had happened (a returned check restores the exact past-due state).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Iterable, Sequence

from .money import ZERO, allocate

CHARGE_KINDS = ("bill", "late_charge", "fee", "adjustment", "refund", "transfer")
CREDIT_KINDS = ("payment", "adjustment", "deposit_applied", "transfer", "writeoff")
FEE_FUND = "fees"
UNAPPLIED = "unapplied"


@dataclass(frozen=True, slots=True)
class Posting:
    """One money movement on an account. Positive = charge, negative = credit."""

    id: int
    date: date  # effective date
    kind: str
    amount: Decimal
    due_date: date | None = None  # charges: when it is due (None = due on its date)
    bill_id: int | None = None
    reverses: int | None = None  # the posting this one reverses
    parts: tuple[tuple[str, Decimal], ...] = ()  # fund split of a charge; () = one fund
    fund: str | None = None  # the fund of a single-fund charge
    ref: str = ""  # check number, reason code, memo

    @property
    def is_charge(self) -> bool:
        return self.amount > 0 and self.reverses is None

    @property
    def due(self) -> date:
        return self.due_date or self.date

    def fund_parts(self) -> list[tuple[str, Decimal]]:
        if self.parts:
            return list(self.parts)
        return [(self.fund or (FEE_FUND if self.kind in ("late_charge", "fee") else "water"), self.amount)]


@dataclass
class OpenCharge:
    posting: Posting
    unpaid_by_fund: dict[str, Decimal]

    @property
    def unpaid(self) -> Decimal:
        return sum(self.unpaid_by_fund.values(), ZERO)


@dataclass
class LedgerState:
    as_of: date
    charges: list[OpenCharge] = field(default_factory=list)  # every live charge, paid or not
    credit: Decimal = ZERO  # unapplied credit (positive number)
    applications: dict[int, dict[str, Decimal]] = field(default_factory=dict)  # credit id -> fund -> amount
    last_payment: Posting | None = None
    cancelled: set[int] = field(default_factory=set)

    @property
    def balance(self) -> Decimal:
        return sum((c.unpaid for c in self.charges), ZERO) - self.credit

    def open_charges(self) -> list[OpenCharge]:
        return [c for c in self.charges if c.unpaid > 0]

    def past_due_charges(self, on: date | None = None) -> list[OpenCharge]:
        """Charges whose due date has passed by `on` (default: the state's date) and are unpaid."""
        on = on or self.as_of
        return [c for c in self.charges if c.unpaid > 0 and c.posting.due < on]

    def past_due(self, on: date | None = None) -> Decimal:
        return sum((c.unpaid for c in self.past_due_charges(on)), ZERO)

    def oldest_past_due_date(self, on: date | None = None) -> date | None:
        due = [c.posting.due for c in self.past_due_charges(on)]
        return min(due) if due else None

    def age_days(self, on: date | None = None) -> int:
        on = on or self.as_of
        oldest = self.oldest_past_due_date(on)
        return (on - oldest).days if oldest else 0

    def unpaid_of_bill(self, bill_id: int) -> Decimal:
        return sum((c.unpaid for c in self.charges if c.posting.bill_id == bill_id and c.posting.kind == "bill"), ZERO)


def _order(charges: Sequence["OpenCharge"]) -> list["OpenCharge"]:
    """Oldest due first; a bill's own fees (its late charge) sort with the bill, just ahead
    of the bill's lines."""
    bill_due = {c.posting.bill_id: c.posting.due for c in charges
                if c.posting.kind == "bill" and c.posting.bill_id is not None}

    def key(c: "OpenCharge"):
        p = c.posting
        attached = p.kind != "bill" and p.bill_id is not None and p.bill_id in bill_due
        due = bill_due[p.bill_id] if attached else p.due
        return (due, p.bill_id if p.bill_id is not None else 1 << 60, 0 if attached else 1, p.id)

    return sorted(charges, key=key)


def _pay(charge: OpenCharge, amount: Decimal, into: dict[str, Decimal]) -> None:
    funds = [f for f, v in charge.unpaid_by_fund.items() if v > 0]
    weights = [charge.unpaid_by_fund[f] for f in funds]
    for f, share in zip(funds, allocate(amount, weights)):
        charge.unpaid_by_fund[f] -= share
        into[f] = into.get(f, ZERO) + share


def ledger_state(postings: Iterable[Posting], as_of: date) -> LedgerState:
    """The ledger after every posting dated on or before `as_of`."""
    live = [p for p in postings if p.date <= as_of]
    reversed_ids = {p.reverses for p in live if p.reverses is not None}
    state = LedgerState(as_of=as_of, cancelled=set(reversed_ids))
    live = [p for p in live if p.id not in reversed_ids and p.reverses is None]
    # Events by date; on one day charges post before credits so a same-day payment pays them.
    live.sort(key=lambda p: (p.date, 0 if p.amount > 0 else 1, p.id))
    still_open: list[OpenCharge] = []  # the charges not yet paid in full (a paid one never reopens here)
    for p in live:
        if p.amount > 0:
            oc = OpenCharge(p, {f: a for f, a in p.fund_parts()})
            state.charges.append(oc)
            still_open.append(oc)
            if state.credit > 0:
                _apply_credit_pool(state, oc)
        elif p.amount < 0:
            if p.kind == "payment":
                state.last_payment = p
            dist = _apply(still_open, -p.amount)
            still_open = [c for c in still_open if c.unpaid > 0]
            state.credit += dist.get(UNAPPLIED, ZERO)
            state.applications[p.id] = dist
    return state


def _apply_credit_pool(state: LedgerState, oc: OpenCharge) -> None:
    take = min(state.credit, oc.unpaid)
    dist: dict[str, Decimal] = {}
    _pay(oc, take, dist)
    state.credit -= take


def balance(postings: Iterable[Posting], as_of: date) -> Decimal:
    """Sum of the postings dated on or before `as_of` (reversals included)."""
    return sum((p.amount for p in postings if p.date <= as_of), ZERO)


def distribute_payment(open_charges: Sequence[OpenCharge], amount: Decimal) -> dict[str, Decimal]:
    """Fund distribution of a new payment against the given open charges (not mutated)."""
    return _apply([OpenCharge(c.posting, dict(c.unpaid_by_fund)) for c in open_charges], amount)


def _apply(charges: Sequence[OpenCharge], amount: Decimal) -> dict[str, Decimal]:
    """Pay `amount` into `charges` (mutated) oldest first; returns the fund distribution,
    with what is left over under UNAPPLIED."""
    dist: dict[str, Decimal] = {}
    remaining = amount
    for oc in _order([c for c in charges if c.unpaid > 0]):
        if remaining <= 0:
            break
        take = min(remaining, oc.unpaid)
        _pay(oc, take, dist)
        remaining -= take
    if remaining > 0:
        dist[UNAPPLIED] = dist.get(UNAPPLIED, ZERO) + remaining
    return dist
