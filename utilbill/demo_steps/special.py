"""The demo day, special billing: review of the day's bill run and its print file, one final
bill with a new tenant moving in, and one payoff letter for an estate.

Picks its own examples from the store (the newest bill run; the first active residential
account with a billing history whose last read is a few days back; an account flagged
'estate', else the one with the largest balance), so it runs on any sample utility.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import desc, func, select

from ..bill_print import print_bills
from ..final_bill import final_bill, write_final_statement_pdf, write_final_statement_workbook
from ..findings import FindingsError
from ..home import Utility
from ..payoff import payoff, write_payoff_letter, write_payoff_workbook
from ..review import review_bills, write_pull_sheet
from ..store import schema
from . import DemoReport


def _latest_run(conn) -> int | None:
    J = schema.jobs
    r = conn.execute(select(J.c.id).where(J.c.kind == "bill-run").order_by(desc(J.c.id)).limit(1)).first()
    return r[0] if r else None


def _move_out_candidate(conn, day: date) -> str | None:
    A, B = schema.accounts, schema.bills
    last = (select(B.c.account_no, func.max(B.c.period_end).label("end"), func.count(B.c.id).label("n"))
            .group_by(B.c.account_no).subquery())
    q = (select(A.c.account_no).join(last, last.c.account_no == A.c.account_no)
         .where(A.c.status == "active", A.c.account_class == "residential", A.c.flags == "",
                last.c.n >= 3, last.c.end < day - timedelta(days=5))
         .order_by(A.c.account_no).limit(1))
    r = conn.execute(q).first()
    return r[0] if r else None


def _estate_candidate(conn, day: date, skip: str | None) -> str | None:
    A, P = schema.accounts, schema.postings
    r = conn.execute(select(A.c.account_no).where(A.c.flags.like("%estate%"), A.c.status == "active")
                     .order_by(A.c.account_no).limit(1)).first()
    if r:
        return r[0]
    r = conn.execute(select(P.c.account_no).where(P.c.effective_date <= day, P.c.account_no != (skip or ""))
                     .group_by(P.c.account_no).order_by(desc(func.sum(P.c.amount_cents))).limit(1)).first()
    return r[0] if r else None


def run(u: Utility, day: date, report: DemoReport) -> None:
    with u.store.read() as conn:
        job = _latest_run(conn)
        mover = _move_out_candidate(conn, day)
        estate = _estate_candidate(conn, day, mover)
    out = u.out_dir("special")
    if job is not None:
        review = review_bills(u, job)
        pull = write_pull_sheet(review, out / f"Pull-run{job}.xlsx")
        printed = print_bills(u, job, path=out / f"PrintFile-run{job}.pdf")
        reasons = sum(len(rb.reasons) for rb in review.pulled)
        report.line(f"Review of bill run {job}: {len(review.print_list)} to print, {len(review.pulled)} pulled "
                    f"({reasons} reasons)")
        report.output(pull, "Pull sheet: every pulled bill with all its reasons")
        report.output(printed.path, f"print file: {printed.printed} bills, one page each with remittance stub")
    else:
        report.line("No bill run in the store to review")
    if mover is not None:
        try:
            res = final_bill(u, mover, day, estimate=True,
                             new_customer={"customer_name": "Jordan Newcomb", "customer_role": "tenant"})
        except FindingsError as e:
            report.line(f"Final bill for {mover} not made: {e.findings[0].reason}")
        else:
            stem = f"FinalBill-{mover}-{day.isoformat()}"
            report.line(f"Final bill for {mover} (move-out {day}): amount due {res.amount_due}, refund {res.refund}; "
                        f"new tenant account {res.new_account_no}"
                        + ("" if res.printed else " (under the print threshold: not mailed)"))
            report.output(write_final_statement_pdf(res, u.policy.utility, out / f"{stem}.pdf"),
                          "final bill statement (how every line was computed)")
            report.output(write_final_statement_workbook(res, out / f"{stem}.xlsx"), "final bill statement sheet")
    if estate is not None:
        p = payoff(u, estate, day)
        stem = f"Payoff-{estate}-{day.isoformat()}"
        letter = write_payoff_letter(p, u.policy.utility, out / f"{stem}.pdf",
                                     addressee=[f"Estate of {p.account.customer_name}", "c/o Personal Representative",
                                                p.account.mailing_address])
        report.line(f"Payoff for the estate on {estate} as of {day}: {p.total}")
        report.output(letter, "payoff letter for the estate")
        report.output(write_payoff_workbook(p, out / f"{stem}.xlsx"), "payoff breakdown workbook")
