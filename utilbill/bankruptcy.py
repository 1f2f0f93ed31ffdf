"""The bankruptcy split of an account's debt at the petition date (domain §5, 11 U.S.C. §366).

Pre-petition = service before the petition date P; post-petition = service from P on. A bill
whose service period spans P is split by service days, line by line (each line allocated
pre/post in proportion to its days, the post part taking the remainder so the line adds up).
A late charge follows its bill's split; any other charge (fee, adjustment, refund) is
pre-petition when dated before P. Credits dated before P apply oldest charge first, as the
ledger does; credits dated on or after P go to post-petition charges first, oldest first,
and only then to pre-petition ones. The adequate-assurance deposit is due within
`bankruptcy.assurance_days[chapter]` days of P (20, or 30 under Chapter 11).

Pure: postings, bill periods and lines in; the two totals and the per-charge split out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Iterable, Mapping, Sequence

from .config import BankruptcyPolicy
from .ledger import Posting
from .money import ZERO, allocate
from .periods import ServicePeriod


@dataclass(frozen=True, slots=True)
class BilledService:
    """A bill's service period and its line amounts (what a split needs)."""

    period: ServicePeriod
    line_amounts: tuple[Decimal, ...]


@dataclass(frozen=True, slots=True)
class ExtraCharge:
    """A charge not yet posted (a pending late charge, unbilled service) to include in a split."""

    label: str
    on: date  # when it falls due / is dated
    amount: Decimal
    service: BilledService | None = None  # split by days when given
    bill_id: int | None = None  # a late charge follows this bill's split


@dataclass
class SplitLine:
    """One charge's pre/post-petition parts and what is still unpaid of each."""

    label: str
    on: date
    pre: Decimal
    post: Decimal
    pre_unpaid: Decimal = ZERO
    post_unpaid: Decimal = ZERO
    basis: str = ""
    due: date | None = None  # when the charge falls due


@dataclass
class PetitionSplit:
    petition_date: date
    chapter: int | None
    assurance_deadline: date | None
    lines: list[SplitLine] = field(default_factory=list)
    credit: Decimal = ZERO  # unapplied credit left over

    @property
    def pre_petition(self) -> Decimal:
        return sum((l.pre_unpaid for l in self.lines), ZERO)

    @property
    def post_petition(self) -> Decimal:
        return sum((l.post_unpaid for l in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.pre_petition + self.post_petition - self.credit


def split_service(amounts: Sequence[Decimal], period: ServicePeriod, petition: date) -> tuple[Decimal, Decimal]:
    """Pre/post parts of a bill's lines, each line split by service days before/from P."""
    before, after = period.split_at(petition)
    if after is None:
        return sum(amounts, ZERO), ZERO
    if before is None:
        return ZERO, sum(amounts, ZERO)
    pre = post = ZERO
    for amount in amounts:
        a, b = allocate(amount, [Decimal(before.days), Decimal(after.days)])
        pre += a
        post += b
    return pre, post


def assurance_deadline(petition: date, chapter: int | None, policy: BankruptcyPolicy | None) -> date | None:
    if chapter is None or policy is None:
        return None
    days = policy.assurance_days.get(chapter)
    return petition + timedelta(days=days) if days is not None else None


def petition_split(postings: Iterable[Posting], bills: Mapping[int, BilledService], as_of: date,
                   petition: date, *, chapter: int | None = None, policy: BankruptcyPolicy | None = None,
                   extras: Sequence[ExtraCharge] = ()) -> PetitionSplit:
    """Split what the account owes on `as_of` into pre- and post-petition parts (`policy`
    gives the adequate-assurance deadline for a `chapter`)."""
    live = [p for p in postings if p.date <= as_of]
    reversed_ids = {p.reverses for p in live if p.reverses is not None}
    live = [p for p in live if p.id not in reversed_ids and p.reverses is None and p.amount != 0]
    bill_split: dict[int, tuple[Decimal, Decimal]] = {}

    def split_of(amount: Decimal, on: date, bill_id: int | None, kind: str,
                 service: BilledService | None) -> tuple[Decimal, Decimal, str]:
        if service is not None:
            pre, post = split_service(service.line_amounts, service.period, petition)
            if pre + post != amount:  # lines that do not foot to the posting: split the posting
                pre, post = allocate(amount, [pre, post]) if pre + post else (ZERO, amount)
            if bill_id is not None:
                bill_split[bill_id] = (pre, post)
            return pre, post, f"service {service.period}, split by days at {petition}, line by line"
        if kind == "late_charge" and bill_id in bill_split:
            bp, bq = bill_split[bill_id]
            pre, post = allocate(amount, [bp, bq]) if bp + bq else (ZERO, amount)
            return pre, post, f"follows bill {bill_id}'s split"
        if on < petition:
            return amount, ZERO, "dated before the petition"
        return ZERO, amount, "dated on or after the petition"

    # (date, order, seq, kind, payload): charges before credits on the same day
    events: list[tuple] = []
    for p in live:
        events.append((p.date, 0 if p.amount > 0 else 1, p.id, "posting", p))
    for i, x in enumerate(extras):
        events.append((x.on, 0, 1 << 40 | i, "extra", x))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    result = PetitionSplit(petition, chapter, assurance_deadline(petition, chapter, policy))
    pool_pre = pool_post = ZERO  # unapplied credit from before / from the petition on

    def pay(order: list[tuple[SplitLine, str]], amount: Decimal) -> Decimal:
        for line, part in order:
            if amount <= 0:
                break
            unpaid = getattr(line, part + "_unpaid")
            take = min(unpaid, amount)
            setattr(line, part + "_unpaid", unpaid - take)
            amount -= take
        return amount

    def oldest_first(lines: list[SplitLine]) -> list[tuple[SplitLine, str]]:
        out = []
        for l in lines:
            out += [(l, "pre"), (l, "post")]
        return out

    for on, _, _, what, obj in events:
        if what == "extra" or obj.amount > 0:
            if what == "extra":
                service = obj.service
                pre, post, basis = split_of(obj.amount, on, obj.bill_id, "late_charge" if obj.bill_id else "", service)
                label, due = obj.label, on
            else:
                p: Posting = obj
                service = bills.get(p.bill_id) if p.kind == "bill" and p.bill_id is not None else None
                pre, post, basis = split_of(p.amount, p.date, p.bill_id, p.kind, service)
                label = f"{p.kind.replace('_', ' ')} {p.date.isoformat()}" + (f" (bill {p.bill_id})" if p.bill_id else "")
                due = p.due
            line = SplitLine(label, on, pre, post, pre, post, basis, due)
            result.lines.append(line)
            if pool_post > 0:
                pool_post = pay([(line, "post"), (line, "pre")], pool_post)
            if pool_pre > 0:
                pool_pre = pay([(line, "pre"), (line, "post")], pool_pre)
            continue
        amount = -obj.amount
        if on < petition:
            pool_pre += pay(oldest_first(result.lines), amount)
        else:
            order = [(l, "post") for l in result.lines] + [(l, "pre") for l in result.lines]
            pool_post += pay(order, amount)
    result.credit = pool_pre + pool_post
    return result
