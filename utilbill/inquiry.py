"""Customer inquiry: what the clerk says when a customer calls about their account.

The account (who, where, status, flags, deposit), its balance, past-due amount and credit,
its recent history (bills and payments with a running balance), and the latest bill
explained line by line from each line's basis (how the engine computed it, domain §1-§3):
reads and units, regular or irregular period, the winter-average cap on wastewater, an
estimated read, the due date and the late charge. `utilbill account ACCOUNT` prints it;
`write_inquiry_workbook` writes the same content for the Excel side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from dateutil.relativedelta import relativedelta

from .accounts import Account
from .findings import Finding, FindingsError
from .ledger import ledger_state
from .money import ZERO, fmt_money, from_cents


@dataclass
class Inquiry:
    account: Account
    as_of: date
    balance: Decimal
    past_due: Decimal
    credit: Decimal
    deposit_held: Decimal
    history: list[dict] = field(default_factory=list)  # date, kind, description, amount, balance
    latest_bill: dict | None = None
    latest_lines: list[dict] = field(default_factory=list)  # description, amount, basis
    explanation: list[str] = field(default_factory=list)

    def summary(self) -> list[tuple[str, str]]:
        a = self.account
        return [("Account", a.account_no), ("Customer", f"{a.customer_name} ({a.customer_role})"),
                ("Service address", a.service_address), ("Mailing address", a.mailing_address),
                ("Status", a.status + (f" since {a.service_end}" if a.service_end else "")),
                ("Class / meter", f'{a.account_class}, {a.meter_size}" meter'),
                ("Special handling", ", ".join(sorted(a.flags)) or "none"),
                ("Cash only", "yes" if a.cash_only else "no"),
                ("Deposit held", fmt_money(self.deposit_held)),
                (f"Balance on {self.as_of.isoformat()}", fmt_money(self.balance)),
                ("Past due", fmt_money(self.past_due))]


def explain_bill(bill: dict, lines: list[dict], late_rate: Decimal) -> list[str]:
    """The latest bill in plain words, one sentence per fact and one per line."""
    days = (bill["period_end"] - bill["period_start"]).days
    out = [f"Bill of {bill['bill_date']:%m/%d/%Y} ({bill['kind']}) for service {bill['period_start']:%m/%d/%Y} to "
           f"{bill['period_end']:%m/%d/%Y}, {days} days."]
    if bill["previous_reading"] is not None and bill["reading"] is not None:
        est = " (an ESTIMATED reading: the meter was not read)" if bill["estimated"] else ""
        roll = " The meter rolled over past zero." if bill["rollover"] else ""
        out.append(f"Meter went from {bill['previous_reading']} to {bill['reading']}{est}: {bill['units']} units "
                   f"of 100 cubic feet (748 gallons each).{roll}")
    if bill["regular"]:
        out.append(f"A regular period: block sizes and monthly charges count {Decimal(bill['months']).normalize()} months.")
    else:
        out.append(f"An irregular period: block sizes and monthly charges are scaled by {days}/30 of a month.")
    if bill["winter_average"]:
        out.append(f"Wastewater is billed on the lesser of the water used and the winter average "
                   f"{bill['winter_average']} units a month ({Decimal(bill['wastewater_units'] or 0).normalize():f} units this bill).")
    for l in lines:
        out.append(f"{l['description']}: {fmt_money(from_cents(l['amount_cents']))} = {l['basis']}.")
    out.append(f"Total {fmt_money(from_cents(bill['total_cents']))}, due {bill['due_date']:%m/%d/%Y}; "
               f"{(late_rate * 100).normalize()}% is added once to any part unpaid after that date.")
    return out


def account_inquiry(u, account_no: str, as_of: date | None = None, *, months: int = 12) -> Inquiry:
    """The account, its last `months` of history, and its latest bill explained."""
    from sqlalchemy import func, select

    from .store import repo, schema

    as_of = as_of or date.today()
    with u.store.read() as conn:
        account = repo.get_account(conn, account_no)
        if account is None:
            raise FindingsError([Finding(f"unknown account {account_no}", account=account_no, column="account")],
                                summary="no such account")
        postings = repo.postings_for(conn, account_no)
        live = [b for b in repo.live_bills(conn, account_no) if b["bill_date"] <= as_of]
        latest = live[-1] if live else None
        lines = repo.bill_lines_for(conn, latest["id"]) if latest else []
        D = schema.deposits
        held = conn.execute(select(func.coalesce(func.sum(D.c.amount_cents), 0)).where(
            D.c.account_no == account_no, D.c.received_date <= as_of)).scalar()
    state = ledger_state(postings, as_of)
    since = as_of - relativedelta(months=months)
    running = ZERO
    history = []
    for p in sorted((p for p in postings if p.date <= as_of), key=lambda p: (p.date, p.id)):
        running += p.amount
        if p.date >= since:
            what = {"bill": "Bill", "payment": "Payment", "reversal": "Reversal", "late_charge": "Late charge",
                    "fee": "Fee", "adjustment": "Adjustment", "deposit_applied": "Deposit applied",
                    "refund": "Refund"}.get(p.kind, p.kind)
            desc = what + (f" (bill {p.bill_id})" if p.bill_id else "") + (f" ref {p.ref}" if p.ref else "")
            history.append(dict(date=p.date, kind=p.kind, description=desc, amount=p.amount, balance=running))
    inq = Inquiry(account, as_of, state.balance, state.past_due(as_of), state.credit, from_cents(held), history,
                  latest, [dict(description=l["description"], amount=from_cents(l["amount_cents"]), basis=l["basis"])
                           for l in lines])
    if latest:
        inq.explanation = explain_bill(latest, lines, u.policy.billing.late_charge_rate)
    return inq


def write_inquiry_workbook(inq: Inquiry, path: str | Path) -> Path:
    """Account, Account history and Latest bill sheets."""
    from openpyxl import Workbook

    from .layouts import INQUIRY_HISTORY, STATEMENT_SHEET
    from .xlio import save_workbook, write_cell, write_table

    wb = Workbook()
    ws = wb.active
    ws.title = "Account"
    for r, (k, v) in enumerate(inq.summary(), start=1):
        write_cell(ws, r, 1, k)
        write_cell(ws, r, 2, v)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 24, 60
    write_table(wb.create_sheet(INQUIRY_HISTORY.sheet), INQUIRY_HISTORY, inq.history, table_name="AccountHistory")
    rows = [dict(section="bill", description=l["description"], amount=l["amount"], basis=l["basis"])
            for l in inq.latest_lines]
    rows += [dict(section="explanation", description=s, amount=None, basis="") for s in inq.explanation]
    write_table(wb.create_sheet("Latest bill"), STATEMENT_SHEET, rows, table_name="LatestBill")
    return save_workbook(wb, path)
