"""The demo day, cash: the day's payment batches posted, the drawers counted (one drawer
short), the bank's report and the petty cash recorded, and the daily cash workbook written.

Batches are built from the store's own accounts (those with a balance owing pay it, or part
of it): a walk-in batch for each of two drawers (cash, checks, a card, an electric-utility
payment), a mail batch with an unknown account (suspense) and a duplicate check (held),
telepay, bank pay bills with the bank's report, and permit fees. Drawer 1 counts exactly;
drawer 2 is one $20 bill short, which the workbook shows on the Cashier's Report, the
Deposit Slip and the Summary. The clerk then decides the day's suspense item (applied to the
account it was meant for) and the duplicate (returned to the payer); the cash-only check stays
held for the supervisor. Running the step twice posts nothing new.
"""

from __future__ import annotations

import csv
import random
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from sqlalchemy import func, select

from ..cash_balancing import DENOMINATIONS
from ..cash_day import add_petty_voucher, cash_day, record_bank_report, record_drawer_count, record_petty_cash
from ..cash_workbook import write_cash_workbook
from ..home import Utility
from ..money import ZERO, fmt_money, from_cents
from ..payments import post_payment_batch
from ..store import schema
from ..xlio import save_workbook
from . import DemoReport

HEADER = ["account", "amount", "tender", "check_no", "type", "permit_no", "payer"]


def owing_accounts(u: Utility, limit: int) -> list[tuple[str, Decimal, bool]]:
    """(account, balance, cash_only) of accounts with a balance owing, from one query."""
    P, A = schema.postings, schema.accounts
    q = (select(P.c.account_no, func.sum(P.c.amount_cents).label("bal"), A.c.cash_only)
         .select_from(P.join(A, P.c.account_no == A.c.account_no)).group_by(P.c.account_no, A.c.cash_only)
         .having(func.sum(P.c.amount_cents) > 0).order_by(P.c.account_no).limit(limit))
    with u.store.read() as conn:
        return [(r.account_no, from_cents(r.bal), bool(r.cash_only)) for r in conn.execute(q)]


def write_batch(path, rows, *, batch_date: date, drawer: str | None = None) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Batch"
    ws.append(["Batch date", batch_date])
    ws.append(["Control count", len(rows)])
    ws.append(["Control total", float(sum((Decimal(r[1]) for r in rows), ZERO))])
    if drawer:
        ws.append(["Drawer", drawer])
    ws.append([])
    ws.append(HEADER)
    for r in rows:
        ws.append([r[0], float(r[1])] + list(r[2:]) + [None] * (len(HEADER) - len(r)))
    save_workbook(wb, path)


def denominations_for(amount: Decimal) -> dict[str, int]:
    """The fewest bills and coins making `amount` (a drawer that counts exactly)."""
    out, left = {}, amount
    for d in DENOMINATIONS:
        if d.code in ("bill_2", "coin_100", "coin_50"):
            continue
        n = int(left // d.value)
        if n:
            out[d.code], left = n, left - d.value * n
    return out


def run(u: Utility, day: date, report: DemoReport) -> None:
    rng = random.Random(day.toordinal())
    owing = owing_accounts(u, 80)
    if len(owing) < 20:
        report.line(f"cash: only {len(owing)} accounts owe anything; no batches made")
        return
    pay = lambda a: min(a[1], Decimal(rng.randint(20, 90)))  # noqa: E731 - pay all or part of the balance
    folder = u.root / "input" / f"payments-{day.isoformat()}"
    folder.mkdir(parents=True, exist_ok=True)
    drawers = list(u.policy.cash.drawers)[:2] or ["DRAWER-1"]
    batches = []
    it = iter(owing)
    cash_only = [a for a in owing if a[2]]
    for k, drawer in enumerate(drawers):
        rows = []
        for j in range(10 - 3 * k):
            a = next(it)
            tender = ("cash", "check", "cash", "card")[j % 4]
            rows.append((a[0], str(pay(a)), tender, f"{1000 + 17 * j + k}" if tender == "check" else None))
        if k == 0:
            rows.append(("E-55102", "84.16", "cash", None, "electric", None, "electric utility bill"))
        batches.append((f"walk-in-{drawer}.xlsx", "walk-in", drawer, rows))
    mail = [(a[0], str(pay(a)), "check", f"{2200 + j}") for j, a in enumerate([next(it) for _ in range(8)])]
    mail.append(("99-99999", "45.00", "check", "7781"))  # not one of our accounts: suspense
    mail.append(mail[0])  # the same check keyed twice: held
    if cash_only:
        mail.append((cash_only[0][0], "25.00", "check", "3131"))  # a cash-only account's check: held
    batches.append(("mail.xlsx", "mail", None, mail))
    batches.append(("telepay.xlsx", "telepay", None, [(a[0], str(pay(a)), "ach") for a in [next(it) for _ in range(6)]]))
    bank = [(a[0], str(pay(a)), "bank") for a in [next(it) for _ in range(6)]]
    batches.append(("bank-pay-bills.xlsx", "bank", None, bank))
    batches.append(("permits.xlsx", "permits", drawers[0], [
        (None, "150.00", "check", "5120", "permit", f"TAP-{day.year}-{n:03d}", "Acme Builders") for n in (14, 15)]
        + [(None, "35.00", "cash", None, "permit", f"PLB-{day.year}-201", "J. Rivera")]))
    posted = 0
    for name, source, drawer, rows in batches:
        path = folder / name
        write_batch(path, rows, batch_date=day, drawer=drawer)
        res = post_payment_batch(u, path, source, batch_date=day, drawer=drawer)
        if res.already_posted:
            report.line(f"cash: {name} was already posted; nothing new")
        elif not res.posted:
            report.line(f"cash: {name} NOT posted: {'; '.join(str(f) for f in res.errors[:3])}")
        else:
            posted += 1
            held, susp = len(res.with_disposition("held")), len(res.with_disposition("suspense"))
            report.line(f"cash: posted {source} batch {res.batch_id}: {res.item_count} items, "
                        f"{fmt_money(res.item_total)}" + (f", {held} held" if held else "")
                        + (f", {susp} to suspense" if susp else ""))
    _decide_open_items(u, day, owing[-1][0], report)
    bank_total = sum((Decimal(r[1]) for r in bank), ZERO)
    bank_report = folder / "bank-report.csv"
    with open(bank_report, "w", newline="") as fh:
        csv.writer(fh).writerows([["date", "bank", "items", "total"], [day.isoformat(), "First Sample Bank",
                                                                     len(bank), str(bank_total)]])
    record_bank_report(u, bank_report)
    cd = cash_day(u, day)
    for k, d in enumerate(cd.drawers):
        counted = d.expected_cash - (Decimal(20) if k == 1 else ZERO)  # drawer 2 is one $20 bill short
        record_drawer_count(u, day, d.drawer, denominations_for(counted), checks_count=d.checks_listed_count,
                            checks_total=d.checks_listed_total)
    if not cd.inputs.vouchers:
        add_petty_voucher(u, day, "PC-0107", "Sample City Hardware", Decimal("37.45"), "keys for the cash room")
    record_petty_cash(u, day, u.policy.cash.petty_cash_fund - Decimal("37.45"))
    cd = cash_day(u, day)
    path = write_cash_workbook(cd, u.out_dir("cash") / f"daily-cash-{day.isoformat()}.xlsx")
    short = [c for c in cd.checks() if not c.balanced]
    report.line(f"cash: {posted} batch(es) posted; daily cash {'BALANCED' if not short else 'OUT OF BALANCE'}: "
                + "; ".join(f"{c.label} {c.status}" for c in short))
    report.output(path, "daily cash workbook (formulas; type the counts in the yellow cells)")


def _decide_open_items(u: Utility, day: date, found: str, report: DemoReport) -> None:
    """The suspense item applied to the account the clerk found, the duplicate returned; the
    day's journal out of suspense written."""
    from ..suspense import apply_item, open_items, return_item, transfers_on, write_transfers_workbook

    for item in open_items(u):
        if item.pay_date != day:
            continue
        if item.kind == "suspense":
            r = apply_item(u, item.item_id, account_no=found, on=day,
                           memo="the customer wrote an old account number; found by name and address")
            report.line(f"cash: suspense item {item.item_id} ({fmt_money(item.amount)} for unknown account "
                        f"{item.account_no}) applied to {r.account_no}")
        elif item.reason.startswith("duplicate"):
            return_item(u, item.item_id, reason="the bank sent the same check twice: the second is refunded", on=day)
            report.line(f"cash: held duplicate item {item.item_id} ({fmt_money(item.amount)}) returned to the payer")
    t = transfers_on(u, day)
    if t.resolutions:
        path = write_transfers_workbook(t, u.out_dir("cash") / f"Suspense-{day.isoformat()}.xlsx")
        report.output(path, "the day's decisions on suspense and held items, by fund (out of suspense)")
