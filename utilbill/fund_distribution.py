"""What each payment of a batch paid, by fund, so the Treasury receipt by fund is exact.

Implements domain §8 (payment application) by reusing `utilbill.ledger`'s one application
rule: the batch's payments are appended to each account's postings as new credits and the
ledger is computed once per account; the ledger's record of what each credit paid is the
payment's fund distribution (oldest unpaid charge first; a bill's late charge before its
lines; water and wastewater in proportion; the rest is an unapplied credit). Two payments
for one account in one batch therefore apply in row order, the second to what the first
left open. Items that are not account payments have a single fund: electric (collected on
the electric utility's behalf), permits, or suspense (unknown account, held for review).

Pure: postings in, Decimal distributions out (domain §1: the parts add up to the payment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Hashable, Iterable, Mapping, Sequence

from .ledger import UNAPPLIED, Posting, ledger_state
from .money import ZERO

ELECTRIC, PERMITS, SUSPENSE = "electric", "permits", "suspense"
# Synthetic ids for the new payments sort after every stored posting of the same day.
_NEW_ID_BASE = 1 << 62


@dataclass(frozen=True, slots=True)
class NewPayment:
    """A payment about to be posted: `key` identifies it to the caller (e.g. its row)."""

    key: Hashable
    account_no: str
    amount: Decimal  # positive: what the customer paid
    pay_date: date
    ref: str = ""


def distribute_new_payments(existing: Mapping[str, Sequence[Posting]],
                            payments: Iterable[NewPayment]) -> dict[Hashable, dict[str, Decimal]]:
    """Fund distribution of every new payment, given each account's stored postings.

    Returns {payment key: {fund: amount}}, each distribution adding up to its payment.
    """
    by_account: dict[str, list[NewPayment]] = {}
    for p in payments:
        if p.amount <= 0:
            raise ValueError(f"payment {p.key!r}: amount {p.amount} is not positive")
        by_account.setdefault(p.account_no, []).append(p)
    out: dict[Hashable, dict[str, Decimal]] = {}
    seq = 0
    for account_no, new in by_account.items():
        postings = list(existing.get(account_no, ()))
        ids: dict[int, NewPayment] = {}
        for p in new:
            seq += 1
            pid = _NEW_ID_BASE + seq
            ids[pid] = p
            postings.append(Posting(id=pid, date=p.pay_date, kind="payment", amount=-p.amount, ref=p.ref))
        as_of = max(max(p.date for p in postings), max(p.pay_date for p in new))
        state = ledger_state(postings, as_of)
        for pid, p in ids.items():
            dist = state.applications.get(pid, {})
            out[p.key] = _checked(p, dist)
    return out


def single_fund(fund: str, amount: Decimal) -> dict[str, Decimal]:
    """The distribution of an item that is not an account payment."""
    return {fund: amount}


def fund_totals(distributions: Iterable[Mapping[str, Decimal]]) -> dict[str, Decimal]:
    """Sum of many distributions by fund."""
    totals: dict[str, Decimal] = {}
    for dist in distributions:
        for fund, amount in dist.items():
            totals[fund] = totals.get(fund, ZERO) + amount
    return totals


def _checked(p: NewPayment, dist: Mapping[str, Decimal]) -> dict[str, Decimal]:
    clean = {f: a for f, a in dist.items() if a != 0}
    total = sum(clean.values(), ZERO)
    if total != p.amount:  # the ledger's rule guarantees it; a difference is a bug
        raise AssertionError(f"payment {p.key!r} of {p.amount} distributed as {clean} (sum {total})")
    if not clean:
        clean = {UNAPPLIED: p.amount}
    return clean
