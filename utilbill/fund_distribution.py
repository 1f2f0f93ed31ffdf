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

`distribute_on_rows` is the batch posting's fast path: the same rule replayed in integer
cents on compact posting rows (as `store.payment_ledgers` reads them, the settled past
folded into one opening credit). It gives exactly what `distribute_new_payments` gives on
the full history (tests/test_fund_distribution_fast.py compares them on random ledgers);
a history it does not take on (parts that do not add up to their posting, amounts past a
billion dollars, fractions of a cent) goes through `distribute_new_payments` instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from operator import itemgetter
from datetime import date
from decimal import Decimal
from typing import Hashable, Iterable, Mapping, Sequence

from .ledger import FEE_FUND, UNAPPLIED, Posting, ledger_state
from .money import ZERO, from_cents

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


def _by_account(payments: Iterable[NewPayment]) -> dict[str, list[NewPayment]]:
    """The new payments grouped by account, in order; a payment that is not positive is refused."""
    by_account: dict[str, list[NewPayment]] = {}
    for p in payments:
        if p.amount <= 0:
            raise ValueError(f"payment {p.key!r}: amount {p.amount} is not positive")
        by_account.setdefault(p.account_no, []).append(p)
    return by_account


def distribute_new_payments(existing: Mapping[str, Sequence[Posting]],
                            payments: Iterable[NewPayment]) -> dict[Hashable, dict[str, Decimal]]:
    """Fund distribution of every new payment, given each account's stored postings.

    Returns {payment key: {fund: amount}}, each distribution adding up to its payment.
    """
    by_account = _by_account(payments)
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


# --- the fast path: integer cents on posting rows ----------------------------------------

# A stored posting as a row: (id, effective date ISO, kind, amount in cents, due date ISO or
# None, bill id, id of the posting it reverses or None, fund parts JSON or None, fund).
ID, DAY, KIND, CENTS, DUE, BILL, REVERSES, PARTS, FUND = range(9)
_CENTS_OF = itemgetter(CENTS)
_LIMIT = 10 ** 11  # cents; below it integer rounding equals Decimal's 28-digit allocate()


class _NotTaken(Exception):
    """A history the integer replay leaves to the reference replay."""


def posting_from_ledger_row(row: Sequence) -> Posting:
    """The `Posting` a row stands for (what the reference replay reads)."""
    parts = ()
    if row[PARTS]:
        parts = tuple((f, from_cents(c)) for f, c in json.loads(row[PARTS]).items())
    return Posting(id=row[ID], date=date.fromisoformat(row[DAY]), kind=row[KIND], amount=from_cents(row[CENTS]),
                   due_date=date.fromisoformat(row[DUE]) if row[DUE] else None, bill_id=row[BILL],
                   reverses=row[REVERSES], parts=parts, fund=row[FUND])


def distribute_on_rows(rows_by_account: Mapping[str, Sequence[Sequence]],
                       payments: Iterable[NewPayment]) -> dict[Hashable, dict[str, Decimal]]:
    """`distribute_new_payments` on posting rows, replayed in integer cents (same result)."""
    by_account = _by_account(payments)
    out: dict[Hashable, dict[str, Decimal]] = {}
    parsed: dict[str, dict[str, int]] = {}
    money: dict[int, Decimal] = {}
    for account_no, new in by_account.items():
        rows = rows_by_account.get(account_no, ())
        try:
            cents = _replay(rows, [(p.pay_date.isoformat(), _whole_cents(p.amount)) for p in new], parsed)
        except _NotTaken:
            postings = [posting_from_ledger_row(r) for r in rows]
            out.update(distribute_new_payments({account_no: postings}, new))
            continue
        for p, dist in zip(new, cents):
            amounts = {}
            for f, c in dist.items():
                d = money.get(c)
                if d is None:
                    d = money[c] = from_cents(c)
                amounts[f] = d
            out[p.key] = _checked(p, amounts)
    return out


def _whole_cents(amount: Decimal) -> int:
    """A payment in cents; one not written to the cent (12.5, 12.500) keeps its own digits in
    the reference's Decimal arithmetic, so it goes there."""
    if amount.as_tuple().exponent != -2 or amount >= _LIMIT // 100:
        raise _NotTaken
    return int(amount * 100)


def _parts(row: Sequence, parsed: dict[str, dict[str, int]]) -> dict[str, int]:
    """The charge's cents by fund, in the order `Posting.fund_parts` gives them (not a copy)."""
    text = row[PARTS]
    if text:
        parts = parsed.get(text)
        if parts is None:
            parts = json.loads(text)
            if not all(type(c) is int and abs(c) < _LIMIT for c in parts.values()):
                raise _NotTaken
            parsed[text] = parts
        if parts:
            if sum(parts.values()) != row[CENTS]:
                raise _NotTaken
            return parts
    kind = row[KIND]
    return {row[FUND] or (FEE_FUND if kind in ("late_charge", "fee") else "water"): row[CENTS]}


# A charge while it is replayed: [due, bill id, kind, id, cents by fund at posting, unpaid cents,
# the takes it has had, unpaid by fund after the first `applied` takes (None until needed), applied].
# The order of application depends only on unpaid totals, so the funds of a charge are worked
# out (take by take, exactly as ledger._pay does) only when a new payment reaches it.
UNPAID, TAKES, FUNDS, APPLIED = 5, 6, 7, 8


def _replay(rows: Sequence[Sequence], new: list[tuple[str, int]], parsed) -> list[dict[str, int]]:
    """What each new payment paid, by fund in cents: `ledger.ledger_state`'s rule, step for step."""
    if rows and not (-_LIMIT < min(map(_CENTS_OF, rows)) and max(map(_CENTS_OF, rows)) < _LIMIT):
        raise _NotTaken
    cancelled = {r[REVERSES] for r in rows if r[REVERSES] is not None}
    if cancelled:
        rows = [r for r in rows if r[REVERSES] is None and r[ID] not in cancelled]
    events = [(r[DAY], 0 if r[CENTS] > 0 else 1, r[ID], r) for r in rows if r[CENTS]]
    events += [(day, 1, _NEW_ID_BASE + k, cents) for k, (day, cents) in enumerate(new)]
    events.sort()  # ids are unique: the rows themselves are never compared
    dists: list[dict[str, int]] = [{} for _ in new]
    still_open: list[list] = []  # charges not yet paid in full, in posting order
    credit = 0
    for day, credit_side, pid, r in events:
        if not credit_side:  # a charge
            cents = r[CENTS]
            charge = [r[DUE] or day, r[BILL], r[KIND], pid, _parts(r, parsed), cents, [], None, 0]
            if credit > 0:
                take = cents if credit >= cents else credit
                charge[UNPAID] -= take
                charge[TAKES].append(take)
                credit -= take
            if charge[UNPAID] > 0:  # one paid in full never reopens (ledger.py keeps it out of every application)
                still_open.append(charge)
            continue
        if type(r) is int:  # a new payment
            dist = dists[pid - _NEW_ID_BASE] = _apply(still_open, r, {})
            credit += dist.get(UNAPPLIED, 0)
        elif len(still_open) == 1:  # a stored credit against one open charge, the usual case
            charge, amount = still_open[0], -r[CENTS]
            unpaid = charge[UNPAID]
            take = amount if amount < unpaid else unpaid
            charge[UNPAID] = unpaid - take
            charge[TAKES].append(take)
            credit += amount - take
        else:
            credit += _apply(still_open, -r[CENTS], None).get(UNAPPLIED, 0)
        still_open = [c for c in still_open if c[UNPAID] > 0]
    return dists


def _apply(charges: list[list], amount: int, into: dict[str, int] | None) -> dict[str, int]:
    """`ledger._apply` in cents: oldest due first, a bill's own fees just ahead of its lines.
    With `into`, what each charge was paid is split by fund there (a new payment); without,
    only the takes are recorded (a stored credit)."""
    open_ = [c for c in charges if c[UNPAID] > 0]
    if len(open_) > 1:
        bill_due = {c[1]: c[0] for c in open_ if c[2] == "bill" and c[1] is not None}

        def key(c):
            attached = c[2] != "bill" and c[1] is not None and c[1] in bill_due
            return (bill_due[c[1]] if attached else c[0], c[1] if c[1] is not None else 1 << 60,
                    0 if attached else 1, c[3])

        open_.sort(key=key)
    dist: dict[str, int] = {} if into is None else into
    remaining = amount
    for c in open_:
        if remaining <= 0:
            break
        unpaid = c[UNPAID]
        take = remaining if remaining < unpaid else unpaid
        if into is not None:
            _split(_funds_now(c), take, into)
            c[APPLIED] += 1
        c[UNPAID] = unpaid - take
        c[TAKES].append(take)
        remaining -= take
    if remaining > 0:
        dist[UNAPPLIED] = dist.get(UNAPPLIED, 0) + remaining
    return dist


def _funds_now(charge: list) -> dict[str, int]:
    """The charge's unpaid cents by fund after every take it has had so far."""
    funds = charge[FUNDS]
    if funds is None:
        funds = charge[FUNDS] = dict(charge[4])
    takes = charge[TAKES]
    for take in takes[charge[APPLIED]:]:
        _split(funds, take, {})
    charge[APPLIED] = len(takes)
    return funds


def _split(unpaid: dict[str, int], amount: int, into: dict[str, int]) -> None:
    """`ledger._pay` in cents: `money.allocate` over the funds still unpaid (half up, the last
    fund the remainder)."""
    funds = [f for f, v in unpaid.items() if v > 0]
    if not funds:
        raise _NotTaken
    weight_sum = sum(unpaid[f] for f in funds)
    shares = [(2 * amount * unpaid[f] + weight_sum) // (2 * weight_sum) for f in funds[:-1]]
    shares.append(amount - sum(shares))
    for f, share in zip(funds, shares):
        unpaid[f] -= share
        into[f] = into.get(f, 0) + share
