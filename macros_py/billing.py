"""Ribbon tasks of the Billing group: bill run, review and print, final bill, payoff, account
lookup. Each reads the caller's workbook (the templates of utilbill.templates), runs the
engine job the command line runs, and writes named result sheets (macros_py._book)."""

from __future__ import annotations

from datetime import date

from utilbill.bill_run import bill_run_rows
from utilbill.bills_workbook import _bill_row as bill_row
from utilbill.bills_workbook import _line_rows as line_rows
from utilbill.final_bill import final_bill as final_bill_job
from utilbill.inquiry import account_inquiry
from utilbill.layouts import (BILL_LINES_OUT, BILLS_OUT, INQUIRY_HISTORY, PAYOFF_SPLIT_SHEET, PRINT_LIST, PULL_SHEET,
                              READINGS, STATEMENT_SHEET)
from utilbill.layouts_core import Column
from utilbill.payoff import payoff as payoff_job

from ._book import grid, named, read_table, require, task, utility_for, write_exceptions, write_sheet

RUN_SHEET = "Bill Run"  # the bill run's summary, which Review and Print reads the job from
JOB_LABEL = "Bill run job"
YES_NO = ("no", "yes")


def _day(book, name, problems, required=False):
    return named(book, name, Column(name, "date", required=required), problems)


@task(READINGS.sheet, "Run")
def bill_run(book) -> None:
    """Bill every row of the Readings sheet (bill date: the RunDate cell, blank = today)."""
    problems: list = []
    run_date = _day(book, "RunDate", problems) if "RunDate" in [n.name for n in book.names] else None
    require(problems, "bill run")
    table = read_table(book, READINGS)
    u = utility_for(book)
    result = bill_run_rows(u, table, source=f"{book.name}!{READINGS.sheet}", run_date=run_date or date.today())
    inputs = (READINGS.sheet, "Run")
    write_sheet(book, BILLS_OUT.sheet, [bill_row(b) for b in result.bills], inputs=inputs, header=BILLS_OUT.names)
    write_sheet(book, BILL_LINES_OUT.sheet, [r for b in result.bills for r in line_rows(b)], inputs=inputs,
                header=BILL_LINES_OUT.names)
    write_sheet(book, RUN_SHEET, [
        ["Bill date", result.run_date], [JOB_LABEL, result.job_id], ["Bills computed", len(result.bills)],
        ["Bills posted now", result.posted], ["Bills already posted (not posted again)", result.already_posted],
        ["Rows held out (Exceptions sheet)", len([f for f in result.findings if f.severity == "error"])],
        ["Total billed", result.total], ["Bills workbook", str(result.output or "")]], inputs=inputs)
    write_exceptions(book, result.findings, inputs=inputs)


@task()
def review_and_print(book) -> None:
    """Review the bills of the workbook's bill run (its 'Bill Run' sheet, else the newest run):
    the Pull sheet lists every pulled bill with its reasons, Print the rest; the print file
    (PDF) goes to the utility's output/bills folder."""
    from utilbill.bill_print import print_bills
    from utilbill.review import print_rows, pull_rows, review_bills

    u = utility_for(book)
    job = _job_from_book(book) or _latest_run(u)
    if job is None:
        write_exceptions(book, [_finding(book, "no bill run to review: run Bill Run first")])
        return
    review = review_bills(u, job)
    printed = print_bills(u, job, path=u.out_dir("bills") / f"PrintFile-run{job}.pdf")
    write_sheet(book, PULL_SHEET.sheet, [[r[c] for c in PULL_SHEET.names] for r in pull_rows(review)],
                header=PULL_SHEET.names)
    write_sheet(book, PRINT_LIST.sheet, [[r[c] for c in PRINT_LIST.names] for r in print_rows(review)],
                header=PRINT_LIST.names)
    write_sheet(book, "Review", [[JOB_LABEL, job], ["Bills pulled", len(review.pulled)],
                                 ["Bills to print", len(review.print_list)], ["Print file", str(printed.path)]])
    write_exceptions(book, [])


def _job_from_book(book) -> int | None:
    if RUN_SHEET not in [s.name for s in book.sheets]:
        return None
    for row in grid(book.sheets[RUN_SHEET]):
        if row and row[0] == JOB_LABEL and isinstance(row[1], (int, float)):
            return int(row[1])
    return None


def _latest_run(u) -> int | None:
    from sqlalchemy import desc, select

    from utilbill.store import schema

    J = schema.jobs
    with u.store.read() as conn:
        r = conn.execute(select(J.c.id).where(J.c.kind == "bill-run").order_by(desc(J.c.id)).limit(1)).first()
    return r[0] if r else None


def _finding(book, reason):
    from utilbill.findings import Finding

    return Finding(reason, file=book.name)


@task("Final Bill")
def final_bill(book) -> None:
    """The final bill for FB_Account moving out on FB_MoveOut; posted only when FB_Post is yes."""
    problems: list = []
    account = named(book, "FB_Account", Column("account", "account"), problems)
    move_out = _day(book, "FB_MoveOut", problems, required=True)
    reading = named(book, "FB_FinalReading", Column("final reading", "int", required=False, min=0), problems)
    post = named(book, "FB_Post", Column("post", "choice", required=False, choices=YES_NO, default="no"), problems)
    require(problems, "final bill")
    res = final_bill_job(utility_for(book), account, move_out, reading=reading, estimate=reading is None,
                         post=post == "yes")
    status = ("already posted earlier (bill %s)" % res.bill_id if res.already_posted else
              "posted (bill %s)" % res.bill_id if res.posted else "computed only; nothing posted")
    rows = [["status", status, None, ""]] + [list(r) for r in res.statement_rows()]
    write_sheet(book, "Final Bill Result", rows, inputs=("Final Bill",), header=STATEMENT_SHEET.names)
    write_exceptions(book, res.findings, inputs=("Final Bill",))


@task("Payoff")
def payoff(book) -> None:
    """The payoff of PO_Account as of PO_AsOf, with the petition split when PO_PetitionDate is set."""
    problems: list = []
    account = named(book, "PO_Account", Column("account", "account"), problems)
    as_of = _day(book, "PO_AsOf", problems, required=True)
    petition = _day(book, "PO_PetitionDate", problems)
    chapter = named(book, "PO_Chapter", Column("chapter", "int", required=False), problems)
    require(problems, "payoff")
    res = payoff_job(utility_for(book), account, as_of, petition_date=petition, chapter=chapter)
    write_sheet(book, "Payoff Result", [[i.section, i.description, i.amount, i.basis] for i in res.breakdown],
                inputs=("Payoff",), header=STATEMENT_SHEET.names)
    if res.split is not None:
        sp = res.split
        rows = [[l.label, l.on, l.pre, l.post, l.pre_unpaid, l.post_unpaid, l.basis] for l in sp.lines]
        rows.append(["Unpaid totals", sp.petition_date, None, None, sp.pre_petition, sp.post_petition,
                     f"credit left over {sp.credit}; adequate-assurance deposit due by "
                     f"{sp.assurance_deadline or 'n/a'}"])
        write_sheet(book, PAYOFF_SPLIT_SHEET.sheet, rows, inputs=("Payoff",), header=PAYOFF_SPLIT_SHEET.names)
    write_exceptions(book, res.findings, inputs=("Payoff",))


@task("Inquiry")
def account_lookup(book) -> None:
    """IQ_Account's summary, last 12 months and latest bill explained (as `utilbill account`)."""
    problems: list = []
    account = named(book, "IQ_Account", Column("account", "account"), problems)
    as_of = _day(book, "IQ_AsOf", problems)
    require(problems, "account lookup")
    inq = account_inquiry(utility_for(book), account, as_of)
    inputs = ("Inquiry",)
    write_sheet(book, "Account", [list(kv) for kv in inq.summary()], inputs=inputs)
    write_sheet(book, INQUIRY_HISTORY.sheet, [[r[c] for c in INQUIRY_HISTORY.names] for r in inq.history],
                inputs=inputs, header=INQUIRY_HISTORY.names)
    rows = [["bill", l["description"], l["amount"], l["basis"]] for l in inq.latest_lines]
    rows += [["explanation", s, None, ""] for s in inq.explanation]
    write_sheet(book, "Latest bill", rows, inputs=inputs, header=STATEMENT_SHEET.names)
    write_exceptions(book, [], inputs=inputs)
