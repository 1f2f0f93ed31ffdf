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
from operator import itemgetter
from typing import Iterable, NamedTuple, Sequence

from .money import from_cents

Row = tuple  # (id, date, kind, cents, due_date | None, bill_id | None, reverses_id | None)
_NO_BILL = 1 << 60  # sorts after every bill id, as in ledger._order
_KEY = itemgetter(5)


class PastDue(NamedTuple):
    cents: int  # unpaid cents of the charges due before the day
    oldest_due: object  # the oldest such due date (date or ISO text, as given), None when nothing is past due


def _event_order(r: Row):
    return (r[1], r[3] <= 0, r[0])  # by day, charges before credits, then posting id


def _ordered(open_charges: list[list]) -> list[list]:
    """ledger._order on [id, kind, due, bill_id, unpaid, key] lists (key: the order when
    no open bill of the same bill_id takes the charge along)."""
    bill_due = {c[3]: c[2] for c in open_charges if c[1] == "bill" and c[3] is not None}
    if not bill_due:
        return sorted(open_charges, key=_KEY)
    return sorted(open_charges, key=lambda c: (bill_due[c[3]], c[3], 0, c[0])
                  if c[1] != "bill" and c[3] in bill_due else c[5])


def open_charges(rows: Iterable[Row], as_of, opening_credit: int = 0, opening_debt: int = 0) -> list[list]:
    """Every live charge as [id, kind, due, bill_id, unpaid cents, order key] after the rows
    dated on or before `as_of`, starting from a folded past: a credit pool of
    `opening_credit` cents, or `opening_debt` cents of charges that sort before every charge
    of the rows (so every credit pays them first) and that the rows' credits pay in full."""
    live = [r for r in rows if r[1] <= as_of]
    if any(r[6] is not None for r in live):
        cancelled = {r[6] for r in live if r[6] is not None}
        live = [r for r in live if r[6] is None and r[0] not in cancelled]
    live.sort(key=_event_order)
    pool, debt = opening_credit, opening_debt
    charges: list[list] = []
    still_open: list[list] = []  # in posting order; a charge paid in full never reopens
    for r in live:
        cents = r[3]
        if cents > 0:
            due = r[4] or r[1]
            c = [r[0], r[2], due, r[5], cents, (due, r[5] if r[5] is not None else _NO_BILL, 1, r[0])]
            charges.append(c)
            if pool > 0:
                take = min(pool, cents)
                c[4] -= take
                pool -= take
            if c[4]:
                still_open.append(c)
        elif cents < 0:
            remaining = -cents
            if debt:
                take = min(debt, remaining)
                debt -= take
                remaining -= take
            if still_open:
                for c in (still_open if len(still_open) == 1 else _ordered(still_open)):
                    if remaining >= c[4]:
                        remaining -= c[4]
                        c[4] = 0
                    else:
                        c[4] -= remaining
                        remaining = 0
                        break
                still_open = [c for c in still_open if c[4]]
            pool += remaining
    if debt:
        raise ValueError(f"{debt} cents of the folded past are left unpaid: the fold is not valid")
    return charges


def fold(before: int, after: Sequence[Row], *, before_max_due=None, before_max_bill=None) -> tuple[int, int] | None:
    """How to replay only `after` (every row dated from some day s on) and get the same
    charges: (opening credit, opening debt) for open_charges, or None when that is not sure.

    `before` is the sum of the rows dated before s, `before_max_due` the latest due date of
    their charges and `before_max_bill` their highest bill id. A sum <= 0 means everything
    before s was paid, with -sum left as a credit pool. A positive sum is a debt: it folds
    when every earlier charge sorts before every later one (due dates strictly earlier,
    bills apart) so each credit pays it first, and the later credits pay all of it. Either
    way no reversal in `after` may reach before s (a reversal is dated on or after the
    posting it reverses, so none before s reaches after it).
    """
    ids = {r[0] for r in after}
    if any(r[6] is not None and r[6] not in ids for r in after):
        return None
    if before <= 0:
        return -before, 0
    charges = [r for r in after if r[3] > 0]
    if charges:
        if before_max_due is None or not before_max_due < min(r[4] or r[1] for r in charges):
            return None
        bills = {r[5] for r in after if r[2] == "bill" and r[5] is not None}
        if any(r[5] is not None and r[5] not in bills for r in charges):
            return None  # a charge that sorts with a bill from before s
        if bills and before_max_bill is not None and before_max_bill >= min(bills):
            return None  # an earlier charge may belong to a later bill
    cancelled = {r[6] for r in after if r[6] is not None}
    paid = -sum(r[3] for r in after if r[3] < 0 and r[6] is None and r[0] not in cancelled)
    return (0, before) if paid >= before else None


def past_due(rows: Sequence[Row], as_of, on=None, *, opening: tuple[int, int] = (0, 0)) -> PastDue:
    """Past-due cents on `on` (default `as_of`) and the oldest unpaid due date before it,
    as ledger_state(rows, as_of).past_due(on) and .oldest_past_due_date(on) give them;
    `opening`: (credit, debt) of a folded past (see fold)."""
    on = as_of if on is None else on
    due = [(c[2], c[4]) for c in open_charges(rows, as_of, *opening) if c[4] > 0 and c[2] < on]
    if not due:
        return PastDue(0, None)
    return PastDue(sum(u for _, u in due), min(d for d, _ in due))


class CentsState:
    """What the collections rules read of a ledger.LedgerState (past due, its age and oldest
    due date on a day, the cancelled postings), from open_charges. The date of the last
    payment is the Case's (Case.last_payment); `last_payment` stays None here."""

    __slots__ = ("as_of", "unpaid", "cancelled", "last_payment", "_text", "_on")

    def __init__(self, as_of: date, unpaid: list[tuple], cancelled: set[int], *, text: bool = False):
        self.as_of = as_of
        self.unpaid = unpaid  # (due date, unpaid cents) of every charge not paid in full; ISO text dates when text
        self.cancelled = cancelled
        self.last_payment = None
        self._text = text
        self._on: dict[date, tuple[Decimal, date | None]] = {}  # the figures of each day asked

    def _figures(self, on: date | None) -> tuple[Decimal, date | None]:
        on = on or self.as_of
        got = self._on.get(on)
        if got is None:
            day = on.isoformat() if self._text else on
            due = [(d, u) for d, u in self.unpaid if d < day]
            oldest = min(d for d, _ in due) if due else None
            if self._text and oldest is not None:
                oldest = date.fromisoformat(oldest)
            got = self._on[on] = (from_cents(sum(u for _, u in due)), oldest)
        return got

    def past_due(self, on: date | None = None) -> Decimal:
        return self._figures(on)[0]

    def oldest_past_due_date(self, on: date | None = None) -> date | None:
        return self._figures(on)[1]

    def age_days(self, on: date | None = None) -> int:
        on = on or self.as_of
        oldest = self._figures(on)[1]
        return (on - oldest).days if oldest else 0
