"""The final bill for a move-out, and the next customer's account (domain §5).

A move-out on M ends the old customer's service at M: the final bill prices `[last read, M)`
as an irregular period with the final reading (or an estimate), adds the unpaid balance and
any late charge that would have been assessed by the bill date, applies the deposit held,
and refunds the rest of the deposit (and any credit balance). A final bill whose amount due
is under `billing.minimum_bill_print` ($1.00) is not printed. The new owner's or tenant's
account opens at M on the same premise with the same reading, so the next cycle bill run
bills it a first bill from M, and no longer bills the old account (status 'final').

`compute_final_bill` is the pure computation (the FINAL_BILL cell function and the payoff
property test use it); `final_bill(u, ...)` is the clerk's job that posts it. The bill date
is the move-out date unless given, so a final bill at D asks for exactly payoff(D).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from .accounts import Account
from .billing import ComputedBill, bill_from_read
from .config import Policy
from .findings import Finding, FindingsError
from .ledger import FEE_FUND, ledger_state
from .money import ZERO, from_cents, to_cents
from .payoff import AccountBooks, PendingLateCharge, deposit_to_apply, load_books, pending_late_charges
from .periods import ServicePeriod
from .pricing import BillLine, PricedBill
from .rates import RateBook
from .winter_average import WinterAverage

NEW_ACCOUNT_FIELDS = ("account_no", "customer_name", "customer_role", "mailing_address", "email", "phone",
                      "notice_delivery", "owner_name", "third_party_name", "third_party_address")


@dataclass
class FinalBillResult:
    account_no: str
    move_out: date
    bill: ComputedBill
    previous_balance: Decimal  # ledger balance on the bill date, before the final bill
    late_charges: list[PendingLateCharge]
    deposit_held: Decimal
    deposit_applied: Decimal
    credit_refund: Decimal  # a credit balance paid back
    new_account_no: str | None = None
    posted: bool = False
    already_posted: bool = False
    bill_id: int | None = None
    minimum_print: Decimal = Decimal("1.00")
    findings: list[Finding] = field(default_factory=list)
    account: Account | None = None

    @property
    def late_total(self) -> Decimal:
        return sum((l.amount for l in self.late_charges), ZERO)

    @property
    def owed(self) -> Decimal:
        return self.previous_balance + self.late_total + self.bill.total

    @property
    def balance_after_deposit(self) -> Decimal:
        """What the final bill asks for (negative: a refund); equals payoff at the bill date."""
        return self.owed - self.deposit_applied

    @property
    def amount_due(self) -> Decimal:
        return max(self.balance_after_deposit, ZERO)

    @property
    def deposit_refund(self) -> Decimal:
        return self.deposit_held - self.deposit_applied

    @property
    def refund(self) -> Decimal:
        """The refund check: the rest of the deposit plus any credit balance."""
        return self.deposit_refund + self.credit_refund

    @property
    def printed(self) -> bool:
        return self.amount_due >= self.minimum_print

    def statement_rows(self) -> list[tuple[str, str, Decimal | None, str]]:
        """(section, description, amount, how it was computed), for the sheet and the PDF."""
        b = self.bill
        reads = (f"reading {b.reading}" + (" (estimated)" if b.estimated else "")
                 if b.reading is not None else "estimated")
        rows: list[tuple[str, str, Decimal | None, str]] = [
            ("service", f"Final service {b.period}", None,
             f"previous reading {b.previous_reading}, {reads}: {b.units} units"
             + (f"; {b.estimate_basis}" if b.estimate_basis else "")),
        ]
        rows += [("service", l.description, l.amount, l.basis) for l in b.lines]
        rows.append(("service", "Final service charges", b.total, "sum of the lines above"))
        rows.append(("account", "Previous balance", self.previous_balance,
                     f"unpaid charges less credits on {b.bill_date.isoformat()}"))
        rows += [("account", f"Late charge on bill {l.bill_id}", l.amount,
                  f"{l.unpaid_after_due} unpaid after {l.due_date.isoformat()}") for l in self.late_charges]
        if self.deposit_held:
            rows.append(("deposit", "Deposit applied", -self.deposit_applied,
                         f"{self.deposit_held} held; applied up to what is owed"))
            rows.append(("deposit", "Deposit refunded", self.deposit_refund, "the rest of the deposit, by check"))
        if self.credit_refund:
            rows.append(("account", "Credit balance refunded", self.credit_refund, "by check"))
        rows.append(("total", "Amount due", self.amount_due,
                     "printed and mailed" if self.printed else
                     f"under {self.minimum_print}: not printed (billing.minimum_bill_print)"))
        return rows


def compute_final_bill(books: AccountBooks, move_out: date, *, reading: int | None = None, estimate: bool = False,
                       policy: Policy, rates: RateBook, bill_date: date | None = None) -> FinalBillResult | Finding:
    """The final bill of `books.account` for a move-out on `move_out` (pure)."""
    acct = books.account
    if books.start_date is None:
        return books.findings[0] if books.findings else Finding("no starting read", account=acct.account_no)
    if move_out <= books.start_date:
        return Finding(f"move-out {move_out} is not after the last read {books.start_date}: the account is "
                       f"already billed through it (cancel that bill first)", account=acct.account_no,
                       column="move-out", value=move_out)
    bill_date = bill_date or move_out
    bill = bill_from_read(acct, previous_read_date=books.start_date, previous_reading=books.start_reading,
                          read_date=move_out, reading=reading, history=books.history, policy=policy, rates=rates,
                          bill_date=bill_date, kind="final", estimate=estimate and reading is None)
    if isinstance(bill, Finding):
        if reading is None and not estimate:
            return Finding("no final reading: give --reading, or --estimate to estimate it",
                           account=acct.account_no, column="reading")
        return bill
    state = ledger_state(books.postings, bill_date)
    lates = pending_late_charges(books.postings, bill_date, policy)
    owed = state.balance + sum((l.amount for l in lates), ZERO) + bill.total
    applied = deposit_to_apply(books.deposit_held, owed)
    return FinalBillResult(acct.account_no, move_out, bill, state.balance, lates, books.deposit_held, applied,
                           credit_refund=max(applied - owed, ZERO) if owed < 0 else ZERO,
                           minimum_print=policy.billing.minimum_bill_print, account=acct)


def _new_account_no(conn, premise: str) -> str:
    from sqlalchemy import select

    from .store import schema

    taken = {r[0] for r in conn.execute(select(schema.accounts.c.account_no).where(
        schema.accounts.c.account_no.like(f"{premise}-%")))}
    k = 1
    while f"{premise}-{k:02d}" in taken:
        k += 1
    return f"{premise}-{k:02d}"


def stored_bill(conn, bill_id: int) -> ComputedBill:
    """A bill as the store holds it, as the engine's record (for reprints and re-runs)."""
    from sqlalchemy import select

    from .store import repo, schema

    b = conn.execute(select(schema.bills).where(schema.bills.c.id == bill_id)).one()._mapping
    lines = tuple(BillLine(l["code"], l["description"], l["fund"], Decimal(l["quantity"]), Decimal(l["rate"]),
                           from_cents(l["amount_cents"]), l["basis"]) for l in repo.bill_lines_for(conn, bill_id))
    period = ServicePeriod(b["period_start"], b["period_end"])
    priced = PricedBill(period, Decimal(b["units"]), bool(b["regular"]), Decimal(b["months"]),
                        Decimal(b["wastewater_units"] or 0), lines)
    winter = (WinterAverage(Decimal(b["winter_average"]), False, "as billed", b["period_start"].year)
              if b["winter_average"] else None)
    return ComputedBill(b["account_no"], b["kind"], b["bill_date"], b["due_date"], period, b["previous_reading"],
                        b["reading"], Decimal(b["units"]), bool(b["estimated"]), bool(b["rollover"]),
                        bool(b["regular"]), winter, priced)


def _already(conn, row, policy: Policy) -> FinalBillResult:
    """The final bill as posted earlier (a re-run posts nothing and says so)."""
    from .store import repo

    return FinalBillResult(row["account_no"], row["move_out"], stored_bill(conn, row["final_bill_id"]),
                           from_cents(row["previous_balance_cents"]), [], from_cents(row["deposit_held_cents"]),
                           from_cents(row["deposit_applied_cents"]), from_cents(row["credit_refund_cents"]),
                           row["new_account_no"], posted=False, already_posted=True, bill_id=row["final_bill_id"],
                           minimum_print=policy.billing.minimum_bill_print,
                           account=repo.get_account(conn, row["account_no"]))


def final_bill(u, account_no: str, move_out: date, reading: int | None = None, estimate: bool = False,
               new_customer: dict | None = None, post: bool = True, bill_date: date | None = None) -> FinalBillResult:
    """Compute and (with `post`) post the final bill, the deposit, and the next customer's account."""
    from sqlalchemy import insert, select, update

    from .store import repo, schema
    from .store.db import now_iso

    store, policy = u.store, u.policy
    bill_date = bill_date or move_out
    with store.read() as conn:
        done = conn.execute(select(schema.move_outs).where(schema.move_outs.c.account_no == account_no)).first()
        if done is not None:
            return _already(conn, done._mapping, policy)
        books = load_books(conn, account_no, bill_date)
    if books.account.status != "active":
        raise FindingsError([Finding(f"account {account_no} is {books.account.status}, not active",
                                     account=account_no, column="account")], summary="final bill refused")
    problems = []
    if new_customer is not None and not (new_customer.get("customer_name") or "").strip():
        problems.append(Finding("the new customer needs a name", column="customer_name", account=account_no))
    unknown = set(new_customer or {}) - set(NEW_ACCOUNT_FIELDS)
    if unknown:
        problems.append(Finding(f"unknown new-customer fields {sorted(unknown)}; use {NEW_ACCOUNT_FIELDS}",
                                account=account_no))
    result = compute_final_bill(books, move_out, reading=reading, estimate=estimate, policy=policy, rates=u.rates,
                                bill_date=bill_date)
    if isinstance(result, Finding):
        problems.append(result)
    if problems:
        raise FindingsError(problems, summary=f"final bill for {account_no} refused; nothing was posted")
    if not post:
        return result
    u.backup_before("final-bill", bulk=False)
    acct, bill = books.account, result.bill
    with store.write() as conn:
        job_id = repo.start_job(conn, store, kind="final-bill", job_key=f"final-bill:{account_no}",
                                run_date=bill_date, summary={"move_out": move_out, "amount_due": result.amount_due})
        result.bill_id = repo.save_bill(conn, store, bill, job_id=job_id)
        repo.add_read(conn, account_no=account_no, read_date=move_out, reading=int(bill.reading),
                      read_type="final", source="final bill", job_id=job_id)
        for l in result.late_charges:
            repo.post(conn, store, account_no=account_no, kind="late_charge", amount=l.amount,
                      effective_date=l.assessed_on, bill_id=l.bill_id, fund=FEE_FUND, job_id=job_id,
                      idem_key=f"late:{l.bill_id}", due_date=l.assessed_on,
                      memo="late charge assessed with the final bill")
        D = schema.deposits
        if result.deposit_applied:
            pid = repo.post(conn, store, account_no=account_no, kind="deposit_applied", amount=-result.deposit_applied,
                            effective_date=bill_date, job_id=job_id, memo="deposit applied to the final bill")
            conn.execute(insert(D).values(account_no=account_no, received_date=bill_date, posting_id=pid,
                                          amount_cents=-to_cents(result.deposit_applied), kind="applied",
                                          clerk=store.clerk, memo="applied to the final bill"))
        if result.deposit_refund:
            conn.execute(insert(D).values(account_no=account_no, received_date=bill_date,
                                          amount_cents=-to_cents(result.deposit_refund), kind="refunded",
                                          clerk=store.clerk, memo="rest of the deposit refunded at move-out"))
        if result.credit_refund:
            repo.post(conn, store, account_no=account_no, kind="refund", amount=result.credit_refund,
                      effective_date=bill_date, job_id=job_id, memo="credit balance refunded at move-out")
        after = ledger_state(repo.postings_for(conn, account_no), bill_date).balance
        if after != result.amount_due:  # the books must say what the bill says
            raise AssertionError(f"final bill {account_no}: ledger balance {after} != amount due {result.amount_due}")
        conn.execute(update(schema.accounts).where(schema.accounts.c.account_no == account_no)
                     .values(status="final", service_end=move_out))
        store.audit(conn, "final-bill", account_no=account_no, entity="bill", entity_id=result.bill_id,
                    reason=f"move-out {move_out}", details={"amount_due": result.amount_due,
                                                            "deposit_applied": result.deposit_applied,
                                                            "refund": result.refund})
        if new_customer is not None:
            values = {k: v for k, v in new_customer.items() if v not in (None, "")}
            values.setdefault("account_no", _new_account_no(conn, acct.premise_id))
            values.setdefault("customer_role", "owner")
            values.setdefault("mailing_address", acct.service_address)
            carry = dict(premise_id=acct.premise_id, account_class=acct.account_class, status="active",
                         service_address=acct.service_address, meter_id=acct.meter_id, meter_size=acct.meter_size,
                         meter_dials=acct.meter_dials, cycle=acct.cycle, service_start=move_out)
            if values["customer_role"] == "tenant":
                carry.update(landlord_name=acct.landlord_name, landlord_address=acct.landlord_address,
                             owner_name=acct.owner_name)
            repo.insert_account(conn, {**carry, **values})
            repo.add_read(conn, account_no=values["account_no"], read_date=move_out, reading=int(bill.reading),
                          read_type="initial", source=f"move-in after final bill of {account_no}", job_id=job_id)
            store.audit(conn, "open-account", account_no=values["account_no"], entity="account",
                        reason=f"moves in {move_out} after {account_no}",
                        details={"premise": acct.premise_id, "initial_reading": bill.reading})
            result.new_account_no = values["account_no"]
        conn.execute(insert(schema.move_outs).values(
            account_no=account_no, move_out=move_out, final_bill_id=result.bill_id, reading=bill.reading,
            estimated=bill.estimated, new_account_no=result.new_account_no,
            previous_balance_cents=to_cents(result.previous_balance + result.late_total),
            deposit_held_cents=to_cents(result.deposit_held), deposit_applied_cents=to_cents(result.deposit_applied),
            credit_refund_cents=to_cents(result.credit_refund),
            amount_due_cents=to_cents(result.amount_due), printed=result.printed, clerk=store.clerk,
            created_at=now_iso()))
    result.posted = True
    return result


# --- the statement: a workbook sheet and a PDF that show how every line was computed ---

def write_final_statement_workbook(result: FinalBillResult, path) -> "Path":
    from openpyxl import Workbook

    from .layouts import STATEMENT_SHEET
    from .xlio import save_workbook, write_table

    wb = Workbook()
    ws = wb.active
    ws.title = STATEMENT_SHEET.sheet
    rows = [dict(section=s, description=d, amount=a, basis=b) for s, d, a, b in result.statement_rows()]
    write_table(ws, STATEMENT_SHEET, rows, table_name="FinalBill")
    return save_workbook(wb, path)


def write_final_statement_pdf(result: FinalBillResult, info, path) -> "Path":
    from .pdfdoc import Document

    a = result.account
    doc = Document(info, "Final bill statement")
    doc.add_page()
    if a is not None:
        from .bill_print import address_lines

        doc.address_block([a.customer_name, *address_lines(a.mailing_address)])
    doc.key_values([("Account", result.account_no), ("Service address", a.service_address if a else ""),
                    ("Move-out date", result.move_out), ("Bill date", result.bill.bill_date),
                    ("Due date", result.bill.due_date), ("Amount due", result.amount_due),
                    ("Refund to be mailed", result.refund)])
    doc.wrapped_table(["Item", "Amount", "How it was computed"],
                      [(d, "" if amt is None else amt, b) for _, d, amt, b in result.statement_rows()],
                      widths=[55, 22, doc.w - doc.l_margin - doc.r_margin - 77], size=7.5)
    if not result.printed:
        doc.para(f"The amount due is under {result.minimum_print}: this final bill is kept on file and not mailed.",
                 size=9)
    return doc.save(path)
