"""What protects an account from turn-off on a given day (domain §6, §5 bankruptcy).

Why it exists: the notice selection and the turn-off list both ask "is this account
protected today, and why?", and they must answer the same way. Protected = arrangement in
good standing, medical postponement in force, conference pending, assistance application
pending, bankruptcy (pre-petition debt), landlord hold; a credit extension also keeps the
extended amount out of collections until its new due date (domain §6, credit extension).

A hold is in force on the half-open days [start, end): `end` None means until someone ends
it (a conference is pending until it is held). The rules here are pure: records in,
reasons out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .accounts import Account
from .ledger import LedgerState, Posting
from .money import ZERO, fmt_money

PROTECTION_KINDS = ("landlord_hold", "conference", "medical", "assistance", "bankruptcy")
RECORD_KINDS = PROTECTION_KINDS + ("landlord_proceed", "assistance_referral")


@dataclass(frozen=True, slots=True)
class Hold:
    """A protection or a landlord answer recorded on an account."""

    kind: str
    start: date
    end: date | None = None  # exclusive; None = open
    id: int | None = None
    notice_id: int | None = None
    reference: str = ""

    def __post_init__(self):
        if self.kind not in RECORD_KINDS:
            raise ValueError(f"unknown hold kind {self.kind!r}")

    def in_force(self, on: date) -> bool:
        return self.start <= on and (self.end is None or on < self.end)


@dataclass(frozen=True, slots=True)
class Notice:
    """A turn-off notice as the rules see it."""

    account_no: str
    issued: date
    earliest_turnoff: date
    amount: Decimal
    status: str = "active"  # active | removed
    id: int | None = None
    status_date: date | None = None
    oldest_due: date | None = None

    @property
    def active(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True, slots=True)
class ArrangementStanding:
    """An arrangement's standing on a day (computed by utilbill.arrangements.monitor)."""

    arrangement_id: int | None
    made: date
    status: str  # current | kept | broken
    status_date: date | None = None


@dataclass(frozen=True, slots=True)
class Extension:
    granted: date
    new_due: date
    amount: Decimal


@dataclass
class Case:
    """Everything collections knows about one account on one day."""

    account: Account
    state: LedgerState
    postings: list[Posting] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)
    arrangements: list[ArrangementStanding] = field(default_factory=list)
    extensions: list[Extension] = field(default_factory=list)
    last_payment: date | None = None  # when the loader folded settled history away
    # bill id -> service period and line amounts, for the bills a bankruptcy petition splits
    # by days (collections_repo.attach_billed loads them for accounts with a petition)
    billed: dict = field(default_factory=dict)

    @property
    def account_no(self) -> str:
        return self.account.account_no

    def active_notice(self) -> Notice | None:
        active = [n for n in self.notices if n.active]
        return max(active, key=lambda n: (n.issued, n.id or 0)) if active else None

    def last_payment_date(self) -> date | None:
        lp = self.state.last_payment
        if lp is not None and (self.last_payment is None or lp.date >= self.last_payment):
            return lp.date
        return self.last_payment


def bankruptcy_petition(case: Case, on: date) -> date | None:
    """The petition date of a bankruptcy in force (the latest one)."""
    starts = [h.start for h in case.holds if h.kind == "bankruptcy" and h.in_force(on)]
    return max(starts) if starts else None


def post_petition_past_due(case: Case, petition: date, on: date) -> Decimal:
    """Past due for service from the petition date on (domain §5): the post-petition part
    of each charge due before `on`, less the payments dated on or after P (which pay
    post-petition charges first, oldest first). A bill whose service period spans P counts
    only its days from P, line by line, as `bankruptcy.petition_split` splits it (the
    case's `billed` holds its period and lines); any other charge counts when dated on or
    after P. Postings before P are pre-petition and left out."""
    from .bankruptcy import petition_split

    cancelled = case.state.cancelled
    live = [p for p in case.postings if petition <= p.date <= on and p.id not in cancelled and p.reverses is None]
    split = petition_split(live, case.billed, on, petition)
    return sum((l.post_unpaid for l in split.lines if l.due is not None and l.due < on), ZERO)


def protections(case: Case, on: date, min_past_due: Decimal) -> list[str]:
    """The reasons, in a fixed order, that this account cannot be noticed or worked today."""
    reasons: list[str] = []
    good = [a for a in case.arrangements if a.status == "current" and a.made <= on]
    if good:
        reasons.append("arrangement current")
    for h in sorted(case.holds, key=lambda h: h.start):
        if not h.in_force(on):
            continue
        if h.kind == "medical":
            reasons.append(f"medical postponement until {h.end.isoformat()}" if h.end else "medical postponement")
        elif h.kind == "conference":
            reasons.append("conference pending")
        elif h.kind == "assistance":
            reasons.append(f"assistance application pending until {h.end.isoformat()}" if h.end
                           else "assistance application pending")
        elif h.kind == "landlord_hold":
            reasons.append("landlord hold")
    petition = bankruptcy_petition(case, on)
    if petition is None and case.account.has_flag("bankruptcy"):
        reasons.append("bankruptcy (pre-petition debt)")
    elif petition is not None and post_petition_past_due(case, petition, on) < min_past_due:
        reasons.append(f"bankruptcy (pre-petition debt, petition {petition.isoformat()})")
    for e in case.extensions:
        if e.granted <= on < e.new_due:
            reasons.append(f"credit extension to {e.new_due.isoformat()} ({fmt_money(e.amount)})")
    return reasons


def landlord_answer(case: Case, on: date) -> str | None:
    """The landlord's latest answer on file by `on`: 'hold', 'proceed' or None."""
    answers = [h for h in case.holds if h.kind in ("landlord_hold", "landlord_proceed") and h.start <= on]
    if not answers:
        return None
    last = max(answers, key=lambda h: (h.start, h.id or 0))
    return "hold" if last.kind == "landlord_hold" and last.in_force(on) else "proceed"


def broken_recently(case: Case, on: date, since: date) -> bool:
    """An arrangement broke in [since, on] (the turn-off list works these first)."""
    return any(a.status == "broken" and a.status_date is not None and since <= a.status_date <= on
               for a in case.arrangements)
