"""Collections paperwork: turn-off notices (with the third-party copy and the landlord
letter), field work orders and door hangers, the arrangement agreement, the assistance
referral letter and the returned-payment letter (domain §6, §7).

Why it exists: the statute (Neb. Rev. Stat. §70-1606) says what a notice must state; this
module prints exactly the elements utilbill.notices.notice_text words, through the shared
pdfdoc.Document look. Each function takes a job's result and a path, so the CLI, a macro
or the demo print the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

from .accounts import Account
from .arrangement_jobs import ArrangementResult, AssistanceResult
from .collections_jobs import IssuedNotice
from .config import Policy
from .money import fmt_money
from .notices import notice_text
from .pdfdoc import Document
from .returned_payment_job import ReturnedPaymentResult
from .returned_payments import DESCRIPTIONS
from .turnoff import TurnoffList


def _customer_block(a: Account) -> list[str]:
    return [a.customer_name, *a.mailing_address.split("\n")]


def _notice_page(doc: Document, policy: Policy, n: IssuedNotice, *, to: list[str], heading: str) -> None:
    a = n.case.account
    t = notice_text(a.account_no, n.notice.issued, n.notice.earliest_turnoff, n.notice.amount, policy)
    doc.add_page()
    doc.para(heading, size=9, bold=True)
    doc.address_block(to)
    doc.key_values([("Notice date", t.notice_date), ("Account", a.account_no), ("Service address", a.service_address),
                    ("Amount past due", t.amount), ("Earliest turn-off date", t.earliest_turnoff)])
    doc.para("NOTICE OF INTENT TO DISCONTINUE WATER SERVICE", size=11, bold=True)
    doc.para(f"Reason: {t.reason}")
    doc.para(f"Water service at {a.service_address} may be turned off on or after {t.earliest_turnoff} unless "
             f"the past-due amount of {t.amount} is paid or other arrangements are made. This date is seven "
             f"business days after this notice, not counting weekends and holidays.")
    doc.para(f"Whom to contact: {t.contact}")
    doc.para(f"Your right to a conference: {t.conference_right}")
    doc.para(f"Medical certificate: {t.medical_right}")
    doc.para("Payment arrangements and assistance programs may be available; ask us.")


def write_notices(issued: Iterable[IssuedNotice], policy: Policy, path: Path) -> Path:
    """One notice per page to the customer (by first-class mail or in person, or by e-mail
    only when the customer chose it)."""
    doc = Document(policy.utility, "Turn-off notice")
    count = 0
    for n in issued:
        a = n.case.account
        how = {"email": f"Sent by e-mail to {a.email}", "in_person": "Delivered in person"}.get(
            a.notice_delivery, "Sent by first-class mail")
        _notice_page(doc, policy, n, to=_customer_block(a), heading=how)
        count += 1
    if not count:
        doc.add_page()
        doc.para("No turn-off notices were issued.")
    return doc.save(path)


def write_third_party_copies(issued: Iterable[IssuedNotice], policy: Policy, path: Path) -> Path | None:
    """A copy of each notice to the customer's designated third party (domain §6)."""
    doc = Document(policy.utility, "Copy of turn-off notice")
    count = 0
    for n in issued:
        a = n.case.account
        if not a.third_party_name:
            continue
        _notice_page(doc, policy, n, to=[a.third_party_name, *(a.third_party_address or "").split("\n")],
                     heading=f"COPY sent to you as the designated third party of {a.customer_name}")
        count += 1
    return doc.save(path) if count else None


def write_landlord_letters(issued: Iterable[IssuedNotice], policy: Policy, path: Path) -> Path | None:
    """A letter to the landlord of each rental with a notice: the landlord may answer hold or proceed."""
    doc = Document(policy.utility, "Notice to property owner")
    info = policy.utility
    count = 0
    for n in issued:
        a = n.case.account
        if not a.is_rental:
            continue
        owner = a.landlord_name or a.owner_name or "Property owner"
        doc.add_page()
        doc.address_block([owner, *(a.landlord_address or "").split("\n")])
        doc.key_values([("Date", n.notice.issued), ("Rental property", a.service_address), ("Account", a.account_no),
                        ("Tenant", a.customer_name), ("Amount past due", n.notice.amount),
                        ("Earliest turn-off date", n.notice.earliest_turnoff)])
        doc.para(f"The water account for your rental property at {a.service_address} is past due and the tenant "
                 f"has been sent a turn-off notice. Service may be turned off on or after "
                 f"{n.notice.earliest_turnoff.strftime('%B %d, %Y')}.")
        doc.para(f"Please tell us whether you want us to HOLD the turn-off or PROCEED. Call {info.phone} or write "
                 f"to {info.address}. Your instruction is recorded and honored.")
        doc.signature(info.department, info.name)
        count += 1
    return doc.save(path) if count else None


def write_work_orders(tl: TurnoffList, policy: Policy, path: Path) -> Path:
    """One field work order per property on the list, in work order, and a summary page."""
    doc = Document(policy.utility, f"Turn-off work orders for {tl.as_of.strftime('%A, %B %d, %Y')}")
    doc.add_page()
    doc.para(f"{len(tl.included)} properties (crew capacity {tl.capacity}); {len(tl.excluded)} accounts left out "
             f"(see the turn-off list workbook for every reason).")
    doc.table(["#", "Account", "Service address", "Past due", "Notice", "Last payment"],
              [[e.rank, e.account_no, e.service_address, e.past_due, e.notice_date, e.last_payment or "none"]
               for e in tl.included], widths=[10, 26, 70, 24, 24, 26])
    for e in tl.included:
        doc.add_page()
        doc.para(f"WORK ORDER {tl.as_of.strftime('%Y%m%d')}-{e.rank:03d}: TURN OFF FOR NONPAYMENT", size=11, bold=True)
        doc.key_values([("Account", e.account_no), ("Customer", e.customer_name),
                        ("Service address", e.service_address), ("Meter", e.meter_id or ""),
                        ("Past due", e.past_due), ("Notice date", e.notice_date),
                        ("Earliest turn-off", e.earliest_turnoff), ("Why on the list", e.reason),
                        ("Rental", "yes - landlord said proceed" if e.landlord == "proceed" else
                         "yes" if e.is_rental else "no")])
        doc.para("Before turning off: call the office to confirm no payment, arrangement, conference, medical "
                 "certificate or assistance application was received since the list was printed. Leave a door "
                 "hanger.", size=9)
        doc.key_values([("Time off", "________"), ("Meter reading", "________"), ("Crew", "________"),
                        ("Could not complete because", "______________________________")])
    return doc.save(path)


def write_door_hangers(tl: TurnoffList, policy: Policy, path: Path) -> Path:
    """The hanger a crew leaves at each property turned off."""
    info = policy.utility
    doc = Document(policy.utility, "Water service has been turned off")
    for e in tl.included:
        doc.add_page()
        doc.key_values([("Service address", e.service_address), ("Account", e.account_no),
                        ("Date", tl.as_of), ("Amount past due", e.past_due)])
        doc.para("Water service at this address was turned off today for nonpayment after written notice.", bold=True)
        doc.para(f"To restore service, pay the past-due amount or make an arrangement: {info.department}, "
                 f"{info.address}, {info.phone} ({info.office_hours}).")
        doc.para("If someone here has a serious medical condition, tell us right away: a physician's certificate "
                 "may postpone the turn-off.", size=9)
    if not tl.included:
        doc.add_page()
        doc.para("No properties on today's list.")
    return doc.save(path)


def write_arrangement_agreement(r: ArrangementResult, policy: Policy, path: Path) -> Path:
    pol = policy.arrangements
    a = r.account
    doc = Document(policy.utility, "Payment arrangement agreement")
    doc.add_page()
    doc.address_block(_customer_block(a))
    doc.key_values([("Date", r.as_of), ("Account", a.account_no), ("Service address", a.service_address),
                    ("Past due", r.past_due), ("Down payment (due today)", r.down),
                    ("Financed", r.past_due - r.down), ("Installments", len(r.installments))])
    if r.eligibility.override:
        doc.para(f"Approved by supervisor override: {r.eligibility.override_reason}.", bold=True)
    doc.table(["#", "Due date", "Amount", "Remaining after"],
              [[i.number, i.due_date, i.amount, i.remaining] for i in r.installments],
              widths=[15, 45, 45, 45])
    doc.para(f"Each installment is due on its date, in addition to every new bill by its own due date. If an "
             f"installment or a new bill is still unpaid {pol.grace_days} days after its due date, this arrangement "
             f"is broken: the account returns to the turn-off process with priority, and no new arrangement can be "
             f"made for {pol.broken_lookback_months} months.")
    doc.ln(6)
    doc.para("Customer signature: ______________________________   Date: __________")
    doc.para("For the utility: ______________________________   Date: __________")
    return doc.save(path)


def write_referral_letter(r: AssistanceResult, policy: Policy, path: Path) -> Path:
    a, t = r.account, r.terms
    doc = Document(policy.utility, "Help paying your water bill")
    doc.add_page()
    doc.address_block(_customer_block(a))
    doc.key_values([("Date", r.as_of), ("Account", a.account_no), ("Amount past due", r.past_due)])
    doc.para(f"You may qualify for help from the {t.program}.")
    for line in (t.eligibility, t.benefit, t.contact, t.effect):
        doc.para(line)
    if r.hold_end:
        doc.para(f"Your application is on file: we will not turn off your service before "
                 f"{r.hold_end.strftime('%B %d, %Y')} while it is pending.", bold=True)
    doc.signature(policy.utility.department, policy.utility.name)
    return doc.save(path)


def write_returned_payment_letter(r: ReturnedPaymentResult, policy: Policy, path: Path) -> Path:
    a = r.account
    doc = Document(policy.utility, "Returned payment")
    doc.add_page()
    doc.address_block(_customer_block(a))
    rows = [("Date", r.return_date), ("Account", a.account_no), ("Payment date", r.payment.date),
            ("Check / reference", r.payment.ref or ""), ("Amount returned", -r.payment.amount),
            ("Reason", f"{r.code}: {DESCRIPTIONS.get(r.code, '')}"), ("Returned-payment fee", r.fee),
            ("Balance now", r.balance_after)]
    doc.key_values(rows)
    doc.para(f"Your payment of {fmt_money(-r.payment.amount)} was returned by your bank, so it has been removed "
             f"from your account and a returned-payment fee of {fmt_money(r.fee)} has been added.")
    doc.para(f"What happens next: {r.action.explanation}.")
    if r.cash_only_set:
        doc.para(f"Because {r.returns_in_window} payments were returned within "
                 f"{policy.returned_payments.cash_only_lookback_months} months, we can accept only cash, money order "
                 f"or cashier's check on this account from now on.", bold=True)
    if r.notice is not None:
        doc.para(f"Your account is past due ({fmt_money(r.notice.amount)}). A turn-off notice is enclosed: service "
                 f"may be turned off on or after {r.notice.earliest_turnoff.strftime('%B %d, %Y')} unless it is paid.")
    doc.signature(policy.utility.department, policy.utility.name)
    return doc.save(path)


def notice_file_stem(as_of: date) -> str:
    return f"notices-{as_of.isoformat()}"
