"""Worksheet functions of billing: proration, a bill's lines and total, due dates, business
days, and what an account owes (final bill, payoff, balance, winter average).

Each function converts its Excel arguments (udfs._convert), calls the engine function the
command line uses, and converts the result back; no billing rule lives here (design.md,
"udfs/ are thin"). Functions with arguments only use the utility folder's configuration
when one is found, else the shipped example configuration (udfs._context).
"""

from __future__ import annotations

from datetime import date

import xlwings as xw
from dateutil.relativedelta import relativedelta

from utilbill import due_dates, proration
from utilbill.billing import winter_for
from utilbill.final_bill import final_bill as final_bill_job
from utilbill.ledger import ledger_state
from utilbill.payoff import payoff
from utilbill.periods import ServicePeriod, is_regular
from utilbill.pricing import PricedBill, price_bill
from utilbill.store import repo

from . import _context
from ._convert import (ExcelArgError, arg_date, arg_decimal, arg_int, arg_money, arg_text, excel_errors,
                       out_money, out_number)

__all__ = ["prorate", "bill_lines", "bill_total", "due_date", "add_business_days", "final_bill",
           "payoff_as_of", "payoff_detail", "account_balance", "winter_average"]


@xw.func
@xw.arg("amount", doc="The monthly (or whole) amount, e.g. 62.40")
@xw.arg("days", doc="Days of service to charge")
@xw.arg("basis_days", doc="Days the amount is for (default: the configured irregular basis, 30)")
def prorate(amount, days, basis_days=None):
    """Share of an amount for part of a period: amount x days / basis_days, rounded to the cent."""
    return excel_errors(_prorate)(amount, days, basis_days)


def _prorate(amount, days, basis_days):
    basis = arg_int(basis_days, "basis_days", required=False, zero_is_blank=True,
                    default=_context.rules().policy.billing.irregular_basis_days)
    return out_money(proration.prorate(arg_money(amount, "amount"), arg_int(days, "days"), basis))


# --- a bill from units ------------------------------------------------------------------

def _price(units, meter_size, account_class, period_start, period_end, winter_average) -> PricedBill:
    r = _context.rules()
    units_d = arg_decimal(units, "units")
    if units_d < 0:
        raise ExcelArgError(f"units {units_d} is negative")
    size = arg_text(meter_size, "meter_size")
    cls = (arg_text(account_class, "class", required=False) or "residential").lower()
    if cls not in r.policy.billing.classes:
        raise ExcelArgError(f"class '{cls}' unknown; classes: {', '.join(r.policy.billing.classes)}")
    mpb = r.policy.billing.months_per_bill(cls)
    start = arg_date(period_start, "period_start", required=False)
    end = arg_date(period_end, "period_end", required=False)
    if (start is None) != (end is None):
        raise ExcelArgError("give both period_start and period_end, or neither (a regular bill)")
    if start is None:  # a regular bill of the class's frequency, on today's rates
        end = date.today()
        start, regular = end - relativedelta(months=mpb), True
    else:
        if end <= start:
            raise ExcelArgError(f"period_end {end} is not after period_start {start}")
        regular = is_regular("regular", (end - start).days, mpb, r.policy.billing.regular_window_days)
    cap = None
    if r.rates.schedule_on(start).for_class(cls).wastewater_cap == "winter_average":
        cap = arg_decimal(winter_average, "winter_average", required=False, zero_is_blank=True)
        cap = r.policy.billing.default_winter_average if cap is None else cap
    try:
        return price_bill(rates=r.rates, account_class=cls, meter_size=size, period=ServicePeriod(start, end),
                          units=units_d, regular=regular, months_per_bill=mpb, winter_average=cap,
                          basis_days=r.policy.billing.irregular_basis_days)
    except ValueError as exc:
        if "meter size" in str(exc):
            raise ExcelArgError(f"meter size '{size}' unknown; sizes: 5/8, 3/4, 1, 1-1/2, 2, 3, 4, 6, 8") from None
        raise


@xw.func
@xw.arg("units", doc="Units used (100 cubic feet each)")
@xw.arg("meter_size", doc='Meter size: 5/8, 3/4, 1, 1-1/2, 2, 3, 4, 6 or 8')
@xw.arg("account_class", doc="residential (default) or commercial")
@xw.arg("period_start", doc="First day of service (optional; blank = a regular bill)")
@xw.arg("period_end", doc="Read date that ends the period (not a service day)")
@xw.arg("winter_average", doc="Units per month capping wastewater (blank = the configured default)")
def bill_lines(units, meter_size, account_class=None, period_start=None, period_end=None, winter_average=None):
    """The bill's charge lines (description, quantity, rate, amount) and a total row; spills."""
    return excel_errors(_bill_lines)(units, meter_size, account_class, period_start, period_end, winter_average)


def _bill_lines(*args):
    priced = _price(*args)
    rows = [[l.description, out_number(l.quantity), out_number(l.rate), out_money(l.amount)] for l in priced.lines]
    rows.append(["Total", "", "", out_money(priced.total)])
    return rows


@xw.func
@xw.arg("units", doc="Units used (100 cubic feet each)")
@xw.arg("meter_size", doc='Meter size: 5/8, 3/4, 1, 1-1/2, 2, 3, 4, 6 or 8')
@xw.arg("account_class", doc="residential (default) or commercial")
@xw.arg("period_start", doc="First day of service (optional; blank = a regular bill)")
@xw.arg("period_end", doc="Read date that ends the period (not a service day)")
@xw.arg("winter_average", doc="Units per month capping wastewater (blank = the configured default)")
def bill_total(units, meter_size, account_class=None, period_start=None, period_end=None, winter_average=None):
    """The bill's total: the sum of its lines, each rounded to the cent."""
    return excel_errors(lambda *a: out_money(_price(*a).total))(
        units, meter_size, account_class, period_start, period_end, winter_average)


# --- dates ------------------------------------------------------------------------------

@xw.func
@xw.arg("bill_date", doc="The bill date")
def due_date(bill_date):
    """Due date of a bill: bill date + 21 days, moved to the next business day."""
    def body(d):
        p = _context.rules().policy
        return due_dates.due_date(arg_date(d, "bill_date"), p.billing, p.calendar)
    return excel_errors(body)(bill_date)


@xw.func
@xw.arg("start", doc="The date to count from (not counted)")
@xw.arg("n", doc="Business days to add (negative: go back)")
def add_business_days(start, n):
    """The n-th business day after a date, skipping weekends and the utility's holidays."""
    def body(d, k):
        return _context.rules().policy.calendar.add_business_days(arg_date(d, "date"), arg_int(k, "n"))
    return excel_errors(body)(start, n)


# --- reading the store by account ---------------------------------------------------------

def _account_no(value) -> str:
    return arg_text(value, "account")


@xw.func
@xw.arg("account", doc="Account number")
@xw.arg("move_out", doc="Move-out date (service ends that day)")
@xw.arg("final_reading", doc="Final meter reading (blank: estimated)")
def final_bill(account, move_out, final_reading=None):
    """What the final bill for a move-out would ask for (negative: a refund). Posts nothing."""
    def body(a, m, r):
        reading = arg_int(r, "final_reading", required=False, zero_is_blank=True)
        result = final_bill_job(_context.utility(), _account_no(a), arg_date(m, "move_out"), reading=reading,
                                estimate=reading is None, post=False)
        return out_money(result.balance_after_deposit)
    return excel_errors(body)(account, move_out, final_reading)


def _payoff(account, as_of, petition_date):
    return payoff(_context.utility(), _account_no(account), arg_date(as_of, "as_of"),
                  petition_date=arg_date(petition_date, "petition_date", required=False))


@xw.func
@xw.arg("account", doc="Account number")
@xw.arg("as_of", doc="Payoff date")
@xw.arg("petition_date", doc="Bankruptcy petition date (optional)")
def payoff_as_of(account, as_of, petition_date=None):
    """What the account must pay to settle through a date (negative: a refund)."""
    return excel_errors(lambda *a: out_money(_payoff(*a).total))(account, as_of, petition_date)


@xw.func
@xw.arg("account", doc="Account number")
@xw.arg("as_of", doc="Payoff date")
@xw.arg("petition_date", doc="Bankruptcy petition date (optional)")
def payoff_detail(account, as_of, petition_date=None):
    """The payoff's breakdown (section, description, amount, basis); spills."""
    def body(*a):
        result = _payoff(*a)
        rows = [[i.section, i.description, out_money(i.amount), i.basis] for i in result.breakdown]
        if result.split is not None:
            s = result.split
            rows.append(["petition split", f"Pre-petition unpaid (petition {s.petition_date.isoformat()})",
                         out_money(s.pre_petition), "service before the petition date"])
            rows.append(["petition split", "Post-petition unpaid", out_money(s.post_petition),
                         "service from the petition date on"])
        return rows
    return excel_errors(body)(account, as_of, petition_date)


def _state(account, as_of):
    u = _context.utility()
    number, day = _account_no(account), arg_date(as_of, "as_of", required=False) or date.today()
    with u.store.read() as conn:
        if repo.get_account(conn, number) is None:
            raise ExcelArgError(f"unknown account {number}", code="#N/A")
        return ledger_state(repo.postings_for(conn, number), day), day


@xw.func
@xw.arg("account", doc="Account number")
@xw.arg("as_of", doc="Date (default today)")
def account_balance(account, as_of=None):
    """The account's balance: charges less payments and credits dated on or before the date."""
    return excel_errors(lambda *a: out_money(_state(*a)[0].balance))(account, as_of)


@xw.func
@xw.arg("account", doc="Account number")
def winter_average(account):
    """Units per month capping the account's wastewater, as in force today."""
    def body(a):
        u, number = _context.utility(), _account_no(a)
        with u.store.read() as conn:
            acct = repo.get_account(conn, number)
            if acct is None:
                raise ExcelArgError(f"unknown account {number}", code="#N/A")
            history = repo.usage_history(conn, number)
        winter = winter_for(acct, history, date.today(), u.policy, u.rates)
        if winter is None:
            raise ExcelArgError(f"{acct.account_class} accounts have no winter-average cap", code="#N/A")
        return out_number(winter.units_per_month)
    return excel_errors(body)(account)
