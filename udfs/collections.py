"""Worksheet functions of collections: an arrangement's schedule, the earliest turn-off date
after a notice, and an account's past due, last payment and credit score.

Thin adapters (design.md): convert the Excel arguments (udfs._convert), call the engine
function the command line uses (utilbill.arrangements.schedule_cents, utilbill.notices,
utilbill.collections_jobs, utilbill.credit_jobs), convert the result back.
"""

from __future__ import annotations

from datetime import date

import xlwings as xw

from utilbill.arrangements import schedule_cents
from utilbill.collections_jobs import last_payment_date_for, past_due_for
from utilbill.credit_jobs import credit_profile_for
from utilbill.notices import earliest_turnoff as earliest_turnoff_rule
from utilbill.store import repo

from . import _context
from ._convert import ExcelArgError, arg_date, arg_int, arg_money, arg_text, excel_errors, out_cents, out_money

__all__ = ["arrangement_schedule", "earliest_turnoff", "past_due", "last_payment_date", "credit_score"]


@xw.func
@xw.arg("past_due", doc="Past-due amount to arrange")
@xw.arg("down_payment", doc="Down payment (at least the configured share, 20%)")
@xw.arg("installments", doc="Number of monthly installments")
@xw.arg("first_due", doc="Due date of the first installment")
def arrangement_schedule(past_due, down_payment, installments, first_due):
    """The installments (number, due date, amount, remaining after it); spills."""
    return excel_errors(_arrangement_schedule)(past_due, down_payment, installments, first_due)


def _arrangement_schedule(past_due, down_payment, installments, first_due):
    policy = _context.rules().policy.arrangements
    amount, down = arg_money(past_due, "past_due"), arg_money(down_payment, "down_payment")
    count = arg_int(installments, "installments")
    if count < 1:
        raise ExcelArgError("installments must be at least 1")
    try:
        rows = schedule_cents(amount, down, count, arg_date(first_due, "first_due"), policy)
    except ValueError as exc:
        raise ExcelArgError(str(exc)) from None
    return [[number, due, out_cents(each), out_cents(remaining)] for number, due, each, remaining in rows]


@xw.func
@xw.arg("notice_date", doc="Date of the turn-off notice")
def earliest_turnoff(notice_date):
    """The first day service may be turned off: the 7th business day after the notice."""
    def body(n):
        p = _context.rules().policy
        return earliest_turnoff_rule(arg_date(n, "notice_date"), p.calendar, p.collections.turnoff_business_days)
    return excel_errors(body)(notice_date)


def _known(u, number: str) -> str:
    with u.store.read() as conn:
        if repo.get_account(conn, number) is None:
            raise ExcelArgError(f"unknown account {number}", code="#N/A")
    return number


@xw.func
@xw.arg("account", doc="Account number")
@xw.arg("as_of", doc="Date (default today)")
def past_due(account, as_of=None):
    """The unpaid part of the account's bills whose due date has passed."""
    def body(a, d):
        u = _context.utility()
        number = _known(u, arg_text(a, "account"))
        return out_money(past_due_for(u, number, arg_date(d, "as_of", required=False) or date.today()))
    return excel_errors(body)(account, as_of)


@xw.func
@xw.arg("account", doc="Account number")
def last_payment_date(account):
    """Date of the account's last payment that still stands (blank when none)."""
    def body(a):
        u = _context.utility()
        return last_payment_date_for(u, _known(u, arg_text(a, "account")))
    return excel_errors(body)(account)


@xw.func
@xw.arg("account", doc="Account number")
def credit_score(account):
    """The account's risk points over the last 12 months (higher is riskier; bands in docs)."""
    def body(a):
        u = _context.utility()
        return credit_profile_for(u, arg_text(a, "account"), date.today()).score
    return excel_errors(body)(account)
