"""Past due and its oldest due date from raw posting rows, in integer cents (domain §6, §8).

Why it exists: the notice run looks at every account with a balance (about 36,000 of a
100,000-account city, most of them owing only a bill that is not due yet). ledger.ledger_state
answers exactly but builds Decimal fund splits for every payment, which the notice selection
never reads. This replays the same application rule on integer cents:

- reversals and the postings they reverse are left out (as of the day);
- on one day charges post before credits, then by posting id;
- a credit pays the open charges oldest due first, a bill's own fees (late charge) just ahead
  of the bill's lines (only while that bill is still open), then by bill, then posting id;
- what a credit leaves over waits as a credit pool and pays later charges as they post.

The fund split of a payment never changes how much of a charge stays unpaid (the parts add
up to what is paid), so the figures are ledger_state's to the cent;
tests/test_collections_screen.py checks that on random ledgers.

Rows are plain tuples `(id, date, kind, cents, due_date, bill_id, reverses_id)`; dates may
be `datetime.date` or ISO text (as SQLite hands them over), but one kind throughout.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Iterable, NamedTuple, Sequence

from .money import from_cents

Row = tuple  # (id, date, kind, cents, due_date | None, bill_id | None, reverses_id | None)
_NO_BILL = 1 << 60  # sorts after every bill id, as in ledger._order


class PastDue(NamedTuple):
    cents: int  # unpaid cents of the charges due before the day
    oldest_due: object  # the oldest such due date (date or ISO text, as given), None when nothing is past due


def _ordered(open_charges: list[list]) -> list[list]:
    """ledger._order on [id, kind, due, bill_id, unpaid] lists."""
    bill_due = {c[3]: c[2] for c in open_charges if c[1] == "bill" and c[3] is not None}

    def key(c):
        attached = c[1] != "bill" and c[3] is not None and c[3] in bill_due
        return (bill_due[c[3]] if attached else c[2], c[3] if c[3] is not None else _NO_BILL,
                0 if attached else 1, c[0])

    return sorted(open_charges, key=key)


def open_charges(rows: Iterable[Row], as_of, opening_credit: int = 0) -> list[list]:
    """Every live charge as [id, kind, due, bill_id, unpaid cents] after the rows dated on or
    before `as_of`, starting from a credit pool of `opening_credit` cents (a folded past)."""
    rows = [r for r in rows if r[1] <= as_of]
    reversed_ids = {r[6] for r in rows if r[6] is not None}
    live = sorted((r for r in rows if r[6] is None and r[0] not in reversed_ids),
                  key=lambda r: (r[1], 0 if r[3] > 0 else 1, r[0]))
    pool = opening_credit
    charges: list[list] = []
    still_open: list[list] = []
    for r in live:
        cents = r[3]
        if cents > 0:
            c = [r[0], r[2], r[4] or r[1], r[5], cents]
            charges.append(c)
            still_open.append(c)
            if pool > 0:
                take = min(pool, cents)
                c[4] -= take
                pool -= take
        elif cents < 0:
            remaining = -cents
            if still_open:
                for c in _ordered([c for c in still_open if c[4] > 0]):
                    if remaining <= 0:
                        break
                    take = min(remaining, c[4])
                    c[4] -= take
                    remaining -= take
                still_open = [c for c in still_open if c[4] > 0]
            pool += remaining
    return charges


def past_due(rows: Sequence[Row], as_of, on=None, opening_credit: int = 0) -> PastDue:
    """Past-due cents on `on` (default `as_of`) and the oldest unpaid due date before it,
    as ledger_state(rows, as_of).past_due(on) and .oldest_past_due_date(on) give them."""
    on = as_of if on is None else on
    due = [(c[2], c[4]) for c in open_charges(rows, as_of, opening_credit) if c[4] > 0 and c[2] < on]
    if not due:
        return PastDue(0, None)
    return PastDue(sum(u for _, u in due), min(d for d, _ in due))


class CentsState:
    """What the collections rules read of a ledger.LedgerState (past due, its age and oldest
    due date on a day, the cancelled postings), from open_charges. The date of the last
    payment is the Case's (Case.last_payment); `last_payment` stays None here."""

    __slots__ = ("as_of", "unpaid", "cancelled", "last_payment")

    def __init__(self, as_of: date, unpaid: list[tuple[date, int]], cancelled: set[int]):
        self.as_of = as_of
        self.unpaid = unpaid  # (due date, unpaid cents) of every charge not paid in full
        self.cancelled = cancelled
        self.last_payment = None

    def past_due(self, on: date | None = None) -> Decimal:
        on = on or self.as_of
        return from_cents(sum(u for d, u in self.unpaid if d < on))

    def oldest_past_due_date(self, on: date | None = None) -> date | None:
        on = on or self.as_of
        due = [d for d, _ in self.unpaid if d < on]
        return min(due) if due else None

    def age_days(self, on: date | None = None) -> int:
        on = on or self.as_of
        oldest = self.oldest_past_due_date(on)
        return (on - oldest).days if oldest else 0
