"""The demo day, collections: arrangement monitoring, the notice run with its paperwork, the
turn-off list for the day (workbook, work orders, door hangers), one returned check, one
payment arrangement, and the aging workbook (domain §6, §7).

Works on any store with accounts and postings: it picks its own examples (the latest check
payment for the returned check, the first noticed account for the arrangement).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_UP, Decimal

from sqlalchemy import select

from ..arrangement_jobs import make_arrangement, monitor_arrangements
from ..collections_docs import (
    write_arrangement_agreement,
    write_door_hangers,
    write_landlord_letters,
    write_notices,
    write_returned_payment_letter,
    write_third_party_copies,
    write_work_orders,
)
from ..collections_jobs import (
    IssuedNotice,
    aging,
    case_for,
    issue_notices,
    turnoff_list,
)
from ..collections_workbooks import write_aging_workbook, write_turnoff_workbook
from ..findings import FindingsError
from ..home import Utility
from ..money import fmt_money
from ..returned_payment_job import returned_payment
from ..store import schema
from . import DemoReport


def _returned_check_candidate(u: Utility, day: date) -> tuple[str, int] | None:
    """The latest check payment of the last 30 days that has not been returned."""
    P, RP = schema.postings, schema.returned_payments
    with u.store.read() as conn:
        returned = select(RP.c.payment_posting_id)
        reversed_ = select(P.c.reverses_id).where(P.c.reverses_id.is_not(None))
        row = conn.execute(select(P.c.account_no, P.c.id).where(
            P.c.kind == "payment", P.c.ref.is_not(None), P.c.ref != "", P.c.effective_date <= day,
            P.c.effective_date > day - timedelta(days=30), P.c.id.not_in(returned), P.c.id.not_in(reversed_))
            .order_by(P.c.effective_date.desc(), P.c.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def run(u: Utility, day: date, report: DemoReport) -> None:
    out = u.out_dir("collections", day.isoformat())
    pol = u.policy

    lines = monitor_arrangements(u, day)
    broken = [l for l in lines if l.changed and l.status == "broken"]
    report.line(f"arrangements monitored: {len(lines)} ({len(broken)} broken today, back to collections first)")

    with u.store.read() as conn:
        first_day = conn.execute(select(schema.notices.c.id).limit(1)).first() is None
    if first_day:
        # A fresh sample store has no notice history: run the notice run of the business day
        # whose notices mature today, so today's turn-off list has properties to work.
        back = pol.calendar.add_business_days(day, -pol.collections.turnoff_business_days)
        earlier = issue_notices(u, back)
        report.line(f"catch-up notice run of {back.isoformat()} (the sample has no notice history): "
                    f"{earlier.new_count} notices, maturing today")
    run_ = issue_notices(u, day)
    report.line(f"turn-off notices: {run_.new_count} issued, {len(run_.removed)} removed as paid")
    if run_.issued:
        report.output(write_notices(run_.issued, pol, out / "notices.pdf"), "turn-off notices")
        for writer, name, what in ((write_third_party_copies, "notice-third-party-copies.pdf", "third-party copies"),
                                   (write_landlord_letters, "landlord-letters.pdf", "landlord letters")):
            path = writer(run_.issued, pol, out / name)
            if path:
                report.output(path, what)

    tl = turnoff_list(u, day)
    report.line(f"turn-off list: {len(tl.included)} properties to work (capacity {tl.capacity}), "
                f"{len(tl.excluded)} left out with a reason")
    report.output(write_turnoff_workbook(tl, out / "turnoff-list.xlsx"), "turn-off list (sort and filter)")
    report.output(write_work_orders(tl, pol, out / "work-orders.pdf"), "field work orders")
    report.output(write_door_hangers(tl, pol, out / "door-hangers.pdf"), "door hangers")

    pick = _returned_check_candidate(u, day)
    if pick is None:
        report.line("returned check: no check payment in the last 30 days to return")
    else:
        account, pid = pick
        r = returned_payment(u, account, return_date=day, code="NSF", payment_posting_id=pid)
        report.line(f"returned check on {account}: {fmt_money(-r.payment.amount)} reversed, fee {fmt_money(r.fee)}"
                    + ("; account now cash-only" if r.cash_only_set else "")
                    + (f"; notice issued (earliest turn-off {r.notice.earliest_turnoff})" if r.notice else ""))
        report.output(write_returned_payment_letter(r, pol, out / f"returned-payment-{account}.pdf"),
                      "returned-payment letter")
        if r.notice is not None:
            issued = [IssuedNotice(r.notice, case_for(u, account, day), True)]
            report.output(write_notices(issued, pol, out / f"notice-{account}.pdf"), "notice after the return")

    for issued in run_.issued:
        past_due = issued.notice.amount
        down = (past_due * pol.arrangements.min_down_percent / 100).quantize(Decimal("0.01"), ROUND_UP)
        try:
            r = make_arrangement(u, issued.notice.account_no, down, 3, as_of=day)
        except FindingsError:
            continue
        if r.made:
            report.line(f"arrangement for {r.account.account_no}: {fmt_money(r.past_due)} past due, down "
                        f"{fmt_money(r.down)}, 3 installments of about {fmt_money(r.installments[0].amount)}")
            report.output(write_arrangement_agreement(r, pol, out / f"arrangement-{r.account.account_no}.pdf"),
                          "arrangement agreement")
            break

    report.output(write_aging_workbook(aging(u, day), out / "aging.xlsx"), "aging by class, account and bill")
