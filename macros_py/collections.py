"""Ribbon tasks of the Collections group: notices, turn-off list, arrangement, returned
payments. Each reads the caller's workbook, runs the engine job the command line runs
(utilbill.collections_jobs, arrangement_jobs, returned_payment_job), writes named result
sheets and the paperwork PDFs the command writes (macros_py._book)."""

from __future__ import annotations

from datetime import date

from utilbill.arrangement_jobs import make_arrangement
from utilbill.collections_docs import write_notices, write_returned_payment_letter
from utilbill.collections_jobs import IssuedNotice, case_for, issue_notices, turnoff_list as turnoff_job
from utilbill.findings import Finding, FindingsError
from utilbill.layouts import RETURNS_SHEET, TURNOFF_LEFT_OUT_SHEET, TURNOFF_LIST_SHEET
from utilbill.layouts_core import Column

from ._book import named, read_table, require, task, utility_for, write_exceptions, write_sheet

YES_NO = ("no", "yes")


def _optional_day(book, names: tuple[str, ...], problems) -> date:
    """The first of `names` the workbook defines, as a date; blank or none: today."""
    defined = {n.name for n in book.names}
    for name in names:
        if name in defined:
            return named(book, name, Column(name, "date", required=False), problems) or date.today()
    return date.today()


@task()
def notices(book) -> None:
    """Issue the day's turn-off notices (NT_AsOf or TO_AsOf, blank = today) and list them."""
    problems: list = []
    as_of = _optional_day(book, ("NT_AsOf", "TO_AsOf"), problems)
    require(problems, "notices")
    u = utility_for(book)
    run = issue_notices(u, as_of)
    rows = [[i.notice.account_no, i.case.account.customer_name, i.case.account.service_address, i.notice.issued,
             i.notice.earliest_turnoff, i.notice.amount, "issued now" if i.new else "issued earlier today"]
            for i in run.issued]
    write_sheet(book, "Notices", rows, header=["account", "customer", "service_address", "notice_date",
                                                "earliest_turnoff", "amount", "status"])
    write_sheet(book, "Notices removed", [[n.account_no, n.issued, n.amount, why] for n, why in run.removed],
                header=["account", "notice_date", "amount", "why removed"])
    if run.issued:
        write_notices(run.issued, u.policy, u.out_dir("collections", as_of.isoformat()) / "notices.pdf")
    write_exceptions(book, [])


def _turnoff_row(e, names) -> list:
    values = {"rank": e.rank, "account": e.account_no, "customer": e.customer_name,
              "service_address": e.service_address, "class": e.account_class, "past_due": e.past_due,
              "noticed_amount": e.noticed_amount, "notice_date": e.notice_date, "earliest_turnoff": e.earliest_turnoff,
              "last_payment": e.last_payment, "broken_arrangement": e.broken_arrangement, "rental": e.is_rental,
              "landlord": e.landlord or "", "meter": e.meter_id or "", "notice_removed": e.removed, "reason": e.reason}
    return [values[n] for n in names]


@task("Turn-off")
def turnoff_list(book) -> None:
    """The accounts a crew may work on TO_AsOf, in working order, and every one left out."""
    problems: list = []
    as_of = named(book, "TO_AsOf", Column("work date", "date", required=False), problems) or date.today()
    capacity = named(book, "TO_Capacity", Column("crew capacity", "int", required=False, min=1), problems)
    require(problems, "turn-off list")
    tl = turnoff_job(utility_for(book), as_of, capacity=capacity)
    inputs = ("Turn-off",)
    write_sheet(book, TURNOFF_LIST_SHEET.sheet, [_turnoff_row(e, TURNOFF_LIST_SHEET.names) for e in tl.included],
                inputs=inputs, header=TURNOFF_LIST_SHEET.names)
    write_sheet(book, TURNOFF_LEFT_OUT_SHEET.sheet,
                [_turnoff_row(e, TURNOFF_LEFT_OUT_SHEET.names) for e in tl.excluded],
                inputs=inputs, header=TURNOFF_LEFT_OUT_SHEET.names)
    write_exceptions(book, [], inputs=inputs)


@task("Arrangement")
def arrangement(book) -> None:
    """Check AR_Account's eligibility for the arrangement on the sheet; record it when AR_Post is yes."""
    problems: list = []
    account = named(book, "AR_Account", Column("account", "account"), problems)
    down = named(book, "AR_Down", Column("down payment", "money", min=0), problems)
    count = named(book, "AR_Installments", Column("installments", "int", min=1), problems)
    first_due = named(book, "AR_FirstDue", Column("first due", "date", required=False), problems)
    as_of = named(book, "AR_AsOf", Column("arrangement date", "date", required=False), problems) or date.today()
    post = named(book, "AR_Post", Column("record", "choice", required=False, choices=YES_NO, default="no"), problems)
    override = named(book, "AR_Override", Column("override reason", "text", required=False), problems)
    require(problems, "arrangement")
    r = make_arrangement(utility_for(book), account, down, count, as_of=as_of, first_due=first_due,
                         override_reason=override or None, dry_run=post != "yes")
    status = (f"recorded as arrangement {r.arrangement_id}" if r.made else
              "not eligible: nothing recorded" if not r.eligibility.eligible else "checked only; nothing recorded")
    rows = [["Account", r.account.account_no, None, None], ["Past due", r.past_due, None, None],
            ["Down payment", r.down, None, None], ["Eligibility", str(r.eligibility), None, None],
            ["Status", status, None, None], [None, None, None, None], ["No.", "Due", "Amount", "Remaining"]]
    rows += [[i.number, i.due_date, i.amount, i.remaining] for i in r.installments]
    write_sheet(book, "Arrangement Result", rows, inputs=("Arrangement",))
    findings = [] if r.eligibility.eligible else [
        Finding(reason, file=book.name, sheet="Arrangement", account=account) for reason in r.eligibility.reasons]
    write_exceptions(book, findings, inputs=("Arrangement",))


@task(RETURNS_SHEET.sheet)
def returned_payment(book) -> None:
    """Post every row of the Returns sheet: reversal, fee, letter, cash-only, notice (once each)."""
    from utilbill.returned_payment_job import returned_payment as returned_job

    table = read_table(book, RETURNS_SHEET)
    if not table.ok:
        raise FindingsError(table.findings, summary="the Returns sheet has problems; nothing was posted")
    u = utility_for(book)
    u.backup_before("returned-payment", bulk=False)
    rows, findings = [], list(table.findings)
    for rec in table.rows:
        try:
            r = returned_job(u, rec["account"], return_date=rec["return_date"], code=rec["code"],
                             payment_posting_id=rec.get("posting"), check_no=rec.get("check_no"),
                             amount=rec.get("amount"))
        except FindingsError as exc:  # this row only; the others are posted
            findings += [Finding(f.reason, file=book.name, sheet=RETURNS_SHEET.sheet, row=rec["_row"],
                                 column=f.column, value=f.value, account=rec["account"]) for f in exc.findings]
            continue
        out = u.out_dir("collections", r.return_date.isoformat())
        if not r.already:
            write_returned_payment_letter(r, u.policy, out / f"returned-payment-{r.account.account_no}.pdf")
            if r.notice is not None:
                case = case_for(u, r.account.account_no, r.return_date)
                write_notices([IssuedNotice(r.notice, case, True)], u.policy,
                              out / f"notice-{r.account.account_no}.pdf")
        rows.append([rec["_row"], r.account.account_no, -r.payment.amount, r.fee, r.action.explanation,
                     r.past_due_after, "yes" if r.cash_only_set else "no",
                     r.notice.earliest_turnoff if r.notice is not None else None,
                     "already recorded; nothing posted" if r.already else "posted"])
    write_sheet(book, "Returns Result", rows, inputs=(RETURNS_SHEET.sheet,),
                header=["row", "account", "payment", "fee", "action", "past_due_after", "cash_only",
                        "notice_turnoff_from", "status"])
    write_exceptions(book, findings, inputs=(RETURNS_SHEET.sheet,))
