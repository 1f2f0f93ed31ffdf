"""The daily cash job: read one business day's batches, items, counts, bank report and petty
cash from the store and compute every figure of the daily cash workbook; and the small jobs
that record what people counted (drawer counts by denomination, petty cash, vouchers, the
bank's report).

Implements domain §8 through `cash_balancing.compute_cash_day` (the pure computation). Reads
are bulk: one query for the day's items, one for their fund allocations, one per input table
(no per-row queries), so a day of 50,000 payments computes in a fraction of a second.
Counts are append-only: a recount appends, and the newest count of a drawer's item wins.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Mapping

from sqlalchemy import insert, select

from .cash_balancing import (DENOMINATION_CODES, BankReportLine, BatchLine, CashDay, CashInputs, DrawerCount,
                             PaymentLine, Voucher, compute_cash_day)
from .findings import FindingsError
from .layouts import BANK_REPORT
from .money import ZERO, from_cents, to_cents
from .store import schema as S
from .store.db import now_iso

PETTY_CASH = "PETTY-CASH"  # the drawer id under which the petty cash envelope's count is kept
CHECKS, CASH_ON_HAND = "checks", "cash_on_hand"


def cash_day(u, day: date, *, inputs: CashInputs | None = None) -> CashDay:
    """Every figure of `day` from the store (or, given `inputs`, from those counts instead)."""
    with u.store.read() as conn:
        lines, batches = load_day_items(conn, day)
        if inputs is None:
            inputs = load_inputs(conn, day)
    cash = u.policy.cash
    return compute_cash_day(day, lines, batches, inputs, opening_fund=cash.opening_fund,
                            petty_cash_fund=cash.petty_cash_fund, utility_name=u.policy.utility.name,
                            drawer_order=tuple(cash.drawers))


def load_day_items(conn, day: date) -> tuple[list[PaymentLine], list[BatchLine]]:
    PB, PI, PA = S.payment_batches, S.payment_items, S.payment_allocations
    batches = [BatchLine(r.id, r.source, r.drawer, Path(r.source_file or "").name, r.control_count,
                         from_cents(r.control_total_cents))
               for r in conn.execute(select(PB).where(PB.c.batch_date == day).order_by(PB.c.id))]
    if conn.dialect.name == "sqlite":
        return _sqlite_day_lines(conn, day), batches
    funds: dict[int, list[tuple[str, Decimal]]] = {}
    q = (select(PA.c.item_id, PA.c.fund, PA.c.amount_cents).select_from(PA.join(PI, PA.c.item_id == PI.c.id)
         .join(PB, PI.c.batch_id == PB.c.id)).where(PB.c.batch_date == day).order_by(PA.c.id))
    for r in conn.execute(q):
        funds.setdefault(r.item_id, []).append((r.fund, from_cents(r.amount_cents)))
    q = (select(PI, PB.c.source, PB.c.drawer).select_from(PI.join(PB, PI.c.batch_id == PB.c.id))
         .where(PB.c.batch_date == day).order_by(PI.c.batch_id, PI.c.row))
    lines = [PaymentLine(batch_id=r.batch_id, source=r.source, drawer=r.drawer, row=r.row, line_type=r.line_type,
                         account_no=r.account_no, payer=r.payer, tender=r.tender, check_no=r.check_no,
                         pay_date=r.pay_date, amount=from_cents(r.amount_cents), funds=tuple(funds.get(r.id, ())),
                         disposition=r.disposition)
             for r in conn.execute(q)]
    return lines, batches


def _sqlite_day_lines(conn, day: date) -> list[PaymentLine]:
    """The day's items and their fund allocations straight from SQLite's cursor (50,000 items,
    100,000 allocations: SQLAlchemy's per-value processing was most of the day's figures)."""
    cursor = conn.connection.driver_connection
    day_text = day.isoformat()
    money: dict[int, Decimal] = {}

    def cents(c: int) -> Decimal:
        d = money[c] = from_cents(c)
        return d

    funds: dict[int, list[tuple[str, Decimal]]] = {}
    for item_id, fund, amount in cursor.execute(
            "SELECT pa.item_id, pa.fund, pa.amount_cents FROM payment_allocations pa "
            "JOIN payment_items pi ON pa.item_id = pi.id JOIN payment_batches pb ON pi.batch_id = pb.id "
            "WHERE pb.batch_date = ? ORDER BY pa.id", (day_text,)):
        part = (fund, money.get(amount) or cents(amount))
        if item_id in funds:
            funds[item_id].append(part)
        else:
            funds[item_id] = [part]
    dates: dict[str, date] = {}
    lines = []
    for (item_id, batch_id, source, drawer, row, line_type, account_no, payer, tender, check_no, pay_date, amount,
         disposition) in cursor.execute(
            "SELECT pi.id, pi.batch_id, pb.source, pb.drawer, pi.row, pi.line_type, pi.account_no, pi.payer, "
            "pi.tender, pi.check_no, pi.pay_date, pi.amount_cents, pi.disposition FROM payment_items pi "
            "JOIN payment_batches pb ON pi.batch_id = pb.id WHERE pb.batch_date = ? ORDER BY pi.batch_id, pi.row",
            (day_text,)):
        paid = dates.get(pay_date)
        if paid is None:
            paid = dates[pay_date] = date.fromisoformat(pay_date)
        lines.append(PaymentLine(batch_id=batch_id, source=source, drawer=drawer, row=row, line_type=line_type,
                                 account_no=account_no, payer=payer, tender=tender, check_no=check_no,
                                 pay_date=paid, amount=money.get(amount) or cents(amount),
                                 funds=tuple(funds.get(item_id, ())),
                                 disposition=disposition))
    return lines


def load_inputs(conn, day: date) -> CashInputs:
    DC, BR, PV = S.drawer_counts, S.bank_reports, S.petty_cash_vouchers
    inputs = CashInputs()
    latest: dict[tuple[str, str], tuple[int, int]] = {}
    for r in conn.execute(select(DC).where(DC.c.count_date == day).order_by(DC.c.id)):
        latest[(r.drawer, r.item)] = (r.quantity, r.amount_cents)
    for (drawer, item), (qty, cents) in latest.items():
        if drawer == PETTY_CASH:
            if item == CASH_ON_HAND:
                inputs.petty_cash_on_hand = from_cents(cents)
            continue
        count = inputs.drawers.setdefault(drawer, DrawerCount())
        if item == CHECKS:
            count.checks_count, count.checks_total = qty, from_cents(cents)
        else:
            count.quantities[item] = qty
    inputs.bank_reports = [BankReportLine(r.bank, r.item_count, from_cents(r.total_cents))
                           for r in conn.execute(select(BR).where(BR.c.report_date == day).order_by(BR.c.id))]
    q = select(PV).where(PV.c.voucher_date <= day).order_by(PV.c.voucher_date, PV.c.id)
    inputs.vouchers = [Voucher(r.voucher_no, r.payee, from_cents(r.amount_cents)) for r in conn.execute(q)
                       if r.reimbursed_on is None or r.reimbursed_on > day]
    return inputs


def record_drawer_count(u, day: date, drawer: str, quantities: Mapping[str, int], *,
                        checks_count: int | None = None, checks_total: Decimal | None = None) -> None:
    """Record a drawer's count (quantity per denomination code, and its checks)."""
    bad = [c for c in quantities if c not in DENOMINATION_CODES]
    if bad:
        raise ValueError(f"unknown denomination(s) {bad}; use {', '.join(DENOMINATION_CODES)}")
    from .cash_balancing import DENOMINATIONS
    value = {d.code: d.value for d in DENOMINATIONS}
    rows = [(code, int(q), to_cents(value[code] * int(q))) for code, q in quantities.items()]
    if checks_count is not None or checks_total is not None:
        rows.append((CHECKS, int(checks_count or 0), to_cents(checks_total or ZERO)))
    _append_counts(u, day, drawer, rows, "cash:count")


def record_petty_cash(u, day: date, cash_on_hand: Decimal) -> None:
    """Record the cash found in the petty cash envelope."""
    _append_counts(u, day, PETTY_CASH, [(CASH_ON_HAND, 0, to_cents(cash_on_hand))], "cash:petty-count")


def add_petty_voucher(u, day: date, voucher_no: str, payee: str, amount: Decimal, purpose: str = "") -> None:
    """A paid-out voucher put in the petty cash envelope."""
    with u.store.write() as conn:
        conn.execute(insert(S.petty_cash_vouchers).values(
            voucher_date=day, voucher_no=voucher_no, payee=payee, purpose=purpose, amount_cents=to_cents(amount),
            clerk=u.store.clerk, created_at=now_iso()))
        u.store.audit(conn, "cash:voucher", entity="petty_cash_voucher",
                      details={"voucher": voucher_no, "payee": payee, "amount": str(amount)})


def record_bank_report(u, path) -> list[tuple[date, BankReportLine]]:
    """Record the bank's report of pay bills (BANK_REPORT layout); rejected whole on any error.
    The same file recorded twice adds nothing."""
    from .xlio import read_table

    table = read_table(path, BANK_REPORT)
    if table.errors:
        raise FindingsError(table.findings, f"the bank's report {Path(path).name} was not recorded")
    out = []
    with u.store.write() as conn:
        seen = {(r.report_date, r.bank) for r in conn.execute(
            select(S.bank_reports.c.report_date, S.bank_reports.c.bank).where(
                S.bank_reports.c.file_hash == table.file_hash))}
        for rec in table.rows:
            line = BankReportLine(rec["bank"], rec["items"], rec["total"])
            if (rec["date"], line.bank) in seen:
                continue
            conn.execute(insert(S.bank_reports).values(
                report_date=rec["date"], bank=line.bank, item_count=line.items, total_cents=to_cents(line.total),
                source_file=str(path), file_hash=table.file_hash, recorded_at=now_iso(), clerk=u.store.clerk))
            out.append((rec["date"], line))
        u.store.audit(conn, "cash:bank-report", source_file=str(path), source_hash=table.file_hash,
                      details={"recorded": len(out)})
    return out


def _append_counts(u, day: date, drawer: str, rows, action: str) -> None:
    with u.store.write() as conn:
        now = now_iso()
        conn.execute(insert(S.drawer_counts), [dict(
            count_date=day, drawer=drawer, item=item, quantity=q, amount_cents=c, counted_at=now,
            clerk=u.store.clerk) for item, q, c in rows])
        u.store.audit(conn, action, entity="drawer", details={"day": day.isoformat(), "drawer": drawer,
                                                              "items": {i: q for i, q, _ in rows}})
