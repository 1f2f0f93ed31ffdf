"""What an account owes through a date: the payoff for estates, title companies and
bankruptcy attorneys (domain §5).

Payoff as of D = the charges and payments dated on or before D (the ledger balance), plus
the late charges that would have been assessed by D, plus the service not yet billed,
`[billed-through date, D)`, estimated as for an estimated read and priced as an irregular
period, less the deposit the utility holds (applied the way a final bill applies it). It is
therefore what a final bill at D asks for (`final_bill.compute_final_bill` is built from the
same pieces, and a property test holds the two together).

Choices beyond domain.md (see docs/special-billing.md):
- "Billed through" is the end of the latest live bill dated on or before D; an account
  never billed starts at its initial read.
- A late charge "would have been assessed" for a bill when its late-charge date (the day
  after the due date) is on or before D, the bill was unpaid at the end of its due date, no
  late charge has been posted for it, and the bill is still open on D (a settled old bill
  is not charged after the fact).
- Units of the estimate are rounded to whole units like an estimated read when
  `billing.payoff_whole_units` is true (the default, so payoff(D) equals a final bill at D);
  false keeps the fraction.

With a petition date the result also carries the pre/post-petition split of
utilbill.bankruptcy. The job `payoff(u, ...)` posts nothing; the UDFs call it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Sequence

from .accounts import Account
from .bankruptcy import BilledService, ExtraCharge, PetitionSplit, petition_split
from .billing import ComputedBill, price_account_period
from .config import Policy
from .consumption import PastUsage, estimate_units
from .due_dates import late_charge, late_charge_date
from .findings import Finding, FindingsError
from .ledger import Posting, ledger_state
from .money import ZERO
from .periods import ServicePeriod
from .rates import RateBook


@dataclass(frozen=True, slots=True)
class PendingLateCharge:
    bill_id: int
    due_date: date
    assessed_on: date
    unpaid_after_due: Decimal
    amount: Decimal


@dataclass
class AccountBooks:
    """Everything a payoff or a final bill needs to know about one account, as of a date."""

    account: Account
    as_of: date
    postings: list[Posting]
    bills: list[dict]  # live bills dated on or before as_of, oldest first
    lines: dict[int, list[dict]]  # bill id -> its lines
    history: list[PastUsage]
    start_date: date | None  # billed-through date (or the initial read)
    start_reading: int | None
    deposit_held: Decimal
    findings: list[Finding] = field(default_factory=list)

    def billed_services(self) -> dict[int, BilledService]:
        from .money import from_cents

        out = {}
        for b in self.bills:
            out[b["id"]] = BilledService(ServicePeriod(b["period_start"], b["period_end"]),
                                         tuple(from_cents(l["amount_cents"]) for l in self.lines.get(b["id"], ())))
        return out


@dataclass(frozen=True, slots=True)
class PayoffItem:
    section: str  # billed | late charge | unbilled service | deposit | total
    description: str
    amount: Decimal
    basis: str = ""


@dataclass
class PayoffResult:
    account: Account
    as_of: date
    billed_through: date | None
    balance: Decimal  # ledger balance on D (charges - credits)
    open_charges: list[tuple[Posting, Decimal]]  # (charge, unpaid on D)
    credit: Decimal
    late_charges: list[PendingLateCharge]
    unbilled: ComputedBill | None
    deposit_held: Decimal
    deposit_applied: Decimal
    split: PetitionSplit | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def late_total(self) -> Decimal:
        return sum((l.amount for l in self.late_charges), ZERO)

    @property
    def unbilled_total(self) -> Decimal:
        return self.unbilled.total if self.unbilled else ZERO

    @property
    def owed_before_deposit(self) -> Decimal:
        return self.balance + self.late_total + self.unbilled_total

    @property
    def total(self) -> Decimal:
        """The payoff amount (negative: the utility owes a refund)."""
        return self.owed_before_deposit - self.deposit_applied

    @property
    def breakdown(self) -> list[PayoffItem]:
        items = [PayoffItem("billed", f"{p.kind.replace('_', ' ')} dated {p.date.isoformat()}"
                            + (f", due {p.due.isoformat()}" if p.kind == "bill" else ""), unpaid,
                            f"{p.amount} charged, {p.amount - unpaid} paid")
                 for p, unpaid in self.open_charges]
        if self.credit:
            items.append(PayoffItem("billed", "Credit on the account", -self.credit, "unapplied payments"))
        for l in self.late_charges:
            items.append(PayoffItem("late charge", f"Late charge on bill {l.bill_id} (due {l.due_date.isoformat()})",
                                    l.amount, f"{l.unpaid_after_due} unpaid after the due date x late-charge rate, "
                                              f"assessed {l.assessed_on.isoformat()}"))
        if self.unbilled is not None:
            u = self.unbilled
            items.append(PayoffItem("unbilled service", f"Service {u.period} not yet billed: {u.units} units "
                                    "(estimated)", ZERO, u.estimate_basis))
            for line in u.lines:
                items.append(PayoffItem("unbilled service", line.description, line.amount, line.basis))
        if self.deposit_applied:
            items.append(PayoffItem("deposit", "Deposit on hand, applied", -self.deposit_applied,
                                    f"{self.deposit_held} held"))
        items.append(PayoffItem("total", f"Payoff as of {self.as_of.isoformat()}", self.total))
        return items


def deposit_to_apply(held: Decimal, owed: Decimal) -> Decimal:
    """The deposit applied against what is owed: all of it, or as much as is owed."""
    return min(held, max(owed, ZERO))


def pending_late_charges(postings: Sequence[Posting], as_of: date, policy: Policy) -> list[PendingLateCharge]:
    """Late charges that would have been assessed by `as_of` and are not posted yet."""
    state = ledger_state(postings, as_of)
    live_bills = [c.posting for c in state.charges if c.posting.kind == "bill" and c.posting.bill_id is not None]
    charged = {c.posting.bill_id for c in state.charges if c.posting.kind == "late_charge"}
    out = []
    for p in live_bills:
        if p.bill_id in charged or p.due_date is None:
            continue
        on = late_charge_date(p.due_date)
        if on > as_of or state.unpaid_of_bill(p.bill_id) <= 0:
            continue
        unpaid = ledger_state(postings, p.due_date).unpaid_of_bill(p.bill_id)
        amount = late_charge(unpaid, policy.billing)
        if amount > 0:
            out.append(PendingLateCharge(p.bill_id, p.due_date, on, unpaid, amount))
    return out


def estimate_service(account: Account, start: date, start_reading: int | None, end: date,
                     history: Sequence[PastUsage], policy: Policy, rates: RateBook, *,
                     whole: bool, kind: str = "final") -> ComputedBill | Finding:
    """Service `[start, end)` estimated from average daily use, priced as an irregular period."""
    units, basis = estimate_units(history, start, end, policy.billing, whole=whole)
    if units is None:
        return Finding(f"cannot estimate service {start} to {end}: {basis}", account=account.account_no,
                       column="reading")
    reading = None
    if start_reading is not None and units == units.to_integral_value():
        reading = start_reading + int(units)
        if account.meter_dials:
            reading %= 10 ** account.meter_dials
    return price_account_period(account, ServicePeriod(start, end), units, kind=kind, history=history,
                                policy=policy, rates=rates, bill_date=end, previous_reading=start_reading,
                                reading=reading, estimated=True, estimate_basis=basis)


def compute_payoff(books: AccountBooks, policy: Policy, rates: RateBook, *, petition_date: date | None = None,
                   chapter: int | None = None) -> PayoffResult:
    """The payoff of `books.account` as of `books.as_of` (pure: nothing is read or posted)."""
    as_of = books.as_of
    findings = list(books.findings)
    state = ledger_state(books.postings, as_of)
    lates = pending_late_charges(books.postings, as_of, policy)
    unbilled = None
    if books.start_date is not None and books.start_date < as_of:
        est = estimate_service(books.account, books.start_date, books.start_reading, as_of, books.history,
                               policy, rates, whole=policy.billing.payoff_whole_units)
        if isinstance(est, Finding):
            findings.append(est)
        else:
            unbilled = est
    owed = state.balance + sum((l.amount for l in lates), ZERO) + (unbilled.total if unbilled else ZERO)
    result = PayoffResult(
        account=books.account, as_of=as_of, billed_through=books.start_date, balance=state.balance,
        open_charges=[(c.posting, c.unpaid) for c in state.charges if c.unpaid > 0], credit=state.credit,
        late_charges=lates, unbilled=unbilled, deposit_held=books.deposit_held,
        deposit_applied=deposit_to_apply(books.deposit_held, owed), findings=findings,
    )
    if petition_date is not None:
        extras = [ExtraCharge(f"late charge on bill {l.bill_id} (not yet posted)", l.assessed_on, l.amount,
                              bill_id=l.bill_id) for l in lates]
        if unbilled is not None:
            extras.append(ExtraCharge(f"unbilled service {unbilled.period}", as_of, unbilled.total,
                                      BilledService(unbilled.period, tuple(l.amount for l in unbilled.lines))))
        result.split = petition_split(books.postings, books.billed_services(), as_of, petition_date,
                                      chapter=chapter, policy=policy.bankruptcy, extras=extras)
    return result


# --- reading the books from the store ---------------------------------------------------

def load_books(conn, account_no: str, as_of: date) -> AccountBooks:
    """The account's postings, live bills dated on or before `as_of`, history and deposit."""
    from sqlalchemy import func, select

    from .money import from_cents
    from .store import repo, schema

    account = repo.get_account(conn, account_no)
    if account is None:
        raise FindingsError([Finding(f"unknown account {account_no}", account=account_no, column="account")],
                            summary="no such account")
    bills = [b for b in repo.live_bills(conn, account_no) if b["bill_date"] <= as_of]
    lines: dict[int, list[dict]] = {b["id"]: [] for b in bills}  # one query, not one per bill (PAYOFF_AS_OF per cell)
    if bills:
        BL = schema.bill_lines
        for r in conn.execute(select(BL).where(BL.c.bill_id.in_(list(lines))).order_by(BL.c.bill_id, BL.c.seq)):
            lines[r._mapping["bill_id"]].append(dict(r._mapping))
    history = [PastUsage(b["period_start"], b["period_end"], Decimal(b["units"]), bool(b["estimated"]))
               for b in bills]
    findings: list[Finding] = []
    start_date = start_reading = None
    if bills:
        last = max(bills, key=lambda b: (b["period_end"], b["id"]))
        start_date, start_reading = last["period_end"], last["reading"]
    else:
        R = schema.reads
        r = conn.execute(select(R).where(R.c.account_no == account_no, R.c.read_date <= as_of)
                         .order_by((R.c.read_type == "initial").desc(), R.c.read_date, R.c.id).limit(1)).first()
        if r is not None:
            start_date, start_reading = r._mapping["read_date"], r._mapping["reading"]
        else:
            findings.append(Finding(f"account {account_no} has no bill and no initial read on or before "
                                    f"{as_of}: service cannot be estimated", account=account_no, column="reading"))
    D = schema.deposits
    held = conn.execute(select(func.coalesce(func.sum(D.c.amount_cents), 0)).where(
        D.c.account_no == account_no, D.c.received_date <= as_of)).scalar()
    return AccountBooks(account, as_of, repo.postings_for(conn, account_no), bills, lines, history,
                        start_date, start_reading, from_cents(held), findings)


def payoff(u, account_no: str, as_of: date, petition_date: date | None = None,
           chapter: int | None = None) -> PayoffResult:
    """The payoff job (CLI `utilbill payoff`, UDFs PAYOFF_AS_OF / PAYOFF_DETAIL): posts nothing."""
    if chapter is not None and chapter not in u.policy.bankruptcy.assurance_days:
        raise FindingsError([Finding(f"chapter {chapter} is not configured (bankruptcy.assurance_days has "
                                     f"{sorted(u.policy.bankruptcy.assurance_days)})", column="chapter",
                                     value=chapter)], summary="payoff refused")
    if petition_date is not None and petition_date > as_of:
        raise FindingsError([Finding(f"the petition date {petition_date} is after the payoff date {as_of}",
                                     column="petition date", value=petition_date)], summary="payoff refused")
    with u.store.read() as conn:
        books = load_books(conn, account_no, as_of)
    return compute_payoff(books, u.policy, u.rates, petition_date=petition_date, chapter=chapter)


# --- outputs: the breakdown workbook and the letter ------------------------------------

def write_payoff_workbook(result: PayoffResult, path):
    from openpyxl import Workbook

    from .layouts import PAYOFF_SPLIT_SHEET, STATEMENT_SHEET
    from .xlio import save_workbook, write_table

    wb = Workbook()
    ws = wb.active
    ws.title = "Payoff"
    rows = [dict(section=i.section, description=i.description, amount=i.amount, basis=i.basis) for i in result.breakdown]
    write_table(ws, STATEMENT_SHEET, rows, table_name="Payoff")
    if result.split is not None:
        sp = result.split
        srows = [dict(charge=l.label, dated=l.on, pre_petition=l.pre, post_petition=l.post, pre_unpaid=l.pre_unpaid,
                      post_unpaid=l.post_unpaid, basis=l.basis) for l in sp.lines]
        srows.append(dict(charge="Unpaid totals", dated=sp.petition_date, pre_petition=None, post_petition=None,
                          pre_unpaid=sp.pre_petition, post_unpaid=sp.post_petition,
                          basis=f"credit left over {sp.credit}; adequate-assurance deposit due by "
                                f"{sp.assurance_deadline or 'n/a'}"))
        write_table(wb.create_sheet(PAYOFF_SPLIT_SHEET.sheet), PAYOFF_SPLIT_SHEET, srows, table_name="PetitionSplit")
    return save_workbook(wb, path)


def write_payoff_letter(result: PayoffResult, info, path, *, addressee: Sequence[str] = ()):
    """The payoff letter for the attorney, estate or title company (PDF)."""
    from .money import fmt_money
    from .pdfdoc import Document

    a = result.account
    doc = Document(info, f"Payoff statement as of {result.as_of:%B %d, %Y}")
    doc.add_page()
    if addressee:
        doc.address_block(list(addressee))
    doc.key_values([("Account", a.account_no), ("Customer", a.customer_name), ("Service address", a.service_address),
                    ("Billed through", result.billed_through or "not yet billed"), ("Payoff date", result.as_of),
                    ("Payoff amount", result.total)])
    doc.para(f"The amount needed to pay this account in full through {result.as_of:%m/%d/%Y} is "
             f"{fmt_money(result.total)}. It includes every charge and payment dated on or before that date, the late "
             "charges that would be assessed by then, and water and wastewater service since the last meter reading, "
             "estimated from the account's average daily use. A final meter reading replaces the estimate on the final "
             "bill; service after the payoff date is billed separately.", size=9.5)
    doc.wrapped_table(["Item", "Amount", "Basis"],
                      [(i.description, "" if i.section == "unbilled service" and not i.amount and i.basis and
                        "estimated" in i.description else i.amount, i.basis) for i in result.breakdown],
                      widths=[62, 22, doc.w - doc.l_margin - doc.r_margin - 84], size=7.5)
    if result.split is not None:
        sp = result.split
        doc.para(f"Bankruptcy petition filed {sp.petition_date:%m/%d/%Y}"
                 + (f" (Chapter {sp.chapter})" if sp.chapter else "") + ": service before the petition date is a "
                 "pre-petition claim; service from that date on is post-petition. Bills spanning the petition date are "
                 "split by service days, line by line; payments dated on or after it were applied to post-petition "
                 "charges first.", size=9.5)
        doc.key_values([("Pre-petition unpaid", sp.pre_petition), ("Post-petition unpaid", sp.post_petition),
                        ("Unapplied credit", sp.credit)]
                       + ([("Adequate assurance due by", sp.assurance_deadline)] if sp.assurance_deadline else []))
    doc.signature(info.department, info.name)
    return doc.save(path)
