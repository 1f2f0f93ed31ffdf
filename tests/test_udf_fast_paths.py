"""PRORATE and ARRANGEMENT_SCHEDULE take fast paths (integer arithmetic instead of Fractions,
month arithmetic by hand instead of dateutil, cheap conversion of the common cell types):
each is checked here against the implementation it replaced, kept below as the reference,
on random inputs, plus hand-computed figures where it is a rule (domain §1, §6)."""

from __future__ import annotations

import os
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

import xlwings_harness as h  # first: licence key and server mode

import udfs
from test_special_helpers import make_utility
from test_excel_udfs import fresh_context  # noqa: F401  (autouse: no utility folder above, rules forgotten)
from udfs import _context
from udfs._convert import arg_date, arg_int, arg_money, out_money
from utilbill.arrangements import months_after, schedule, schedule_cents
from utilbill.config import example_policy
from utilbill.money import ZERO, round_down_cent, round_line
from utilbill.pricing import CENT, frac, round_fraction, round_ratio
from utilbill.proration import prorate

POLICY = example_policy()
M = Decimal


# --- the implementations replaced, as they were ----------------------------------------------

def reference_round_fraction(value: Fraction) -> Decimal:
    sign = -1 if value < 0 else 1
    cents_x2 = abs(value) * 200
    whole = int(cents_x2)
    cents = (whole + 1) // 2
    return (Decimal(sign * cents) / 100).quantize(CENT)


def reference_prorate(amount, days: int, basis_days: int = 30) -> Decimal:
    if basis_days <= 0:
        raise ValueError("basis_days must be positive")
    if days < 0:
        raise ValueError("days must not be negative")
    return reference_round_fraction(frac(amount) * Fraction(days, basis_days))


def reference_schedule(past_due, down, n, first_due, policy=None) -> list[tuple]:
    past_due, down = round_line(Decimal(past_due)), round_line(Decimal(down))
    if n < 1:
        raise ValueError("an arrangement needs at least one installment")
    if policy is not None and n > policy.max_installments_with_assistance:
        raise ValueError(f"at most {policy.max_installments_with_assistance} installments")
    if down < ZERO or down > past_due:
        raise ValueError("the down payment must be between 0 and the past-due amount")
    financed = past_due - down
    each = round_down_cent(financed / n)
    out, paid = [], ZERO
    for k in range(n):
        amount = each if k < n - 1 else financed - paid
        paid += amount
        out.append((k + 1, first_due + relativedelta(months=k), amount, financed - paid))
    return out


def outcome(fn, *args):
    """A result, or the exception's type and text (the errors must be the same too)."""
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001
        return type(exc), str(exc)


def same_decimal(a, b) -> bool:
    """Equal, and written the same (2 places): Decimal('6.52') not Decimal('6.520')."""
    return a == b and str(a) == str(b)


cents = st.integers(min_value=-10**12, max_value=10**12)
days = st.integers(min_value=0, max_value=800)
bases = st.integers(min_value=1, max_value=400)
any_day = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
month_ends = st.builds(lambda y, m, d: date(y, m, 1) + timedelta(days=d), st.integers(1900, 2400),
                       st.integers(1, 12), st.integers(26, 30))  # the 27th of a month to the 1st of the next


# --- PRORATE: amount x days / basis, rounded once ---------------------------------------------

def test_round_ratio_hand_computed():
    # 62.40 x 17 / 30 = 1060.80 / 30 = 35.36; 0.15 x 1 / 30 = 0.005 -> 0.01 (half away from zero)
    assert round_ratio(106080, 3000) == M("35.36")
    assert round_ratio(15, 3000) == M("0.01") and round_ratio(-15, 3000) == M("-0.01")
    assert round_ratio(14, 3000) == M("0.00") and str(round_ratio(0, 7)) == "0.00"


@settings(max_examples=400, deadline=None)
@given(cents, days, bases)
def test_prorate_of_cents_is_the_fraction_arithmetic(amount_cents, d, basis):
    amount = M(amount_cents) / 100
    assert same_decimal(prorate(amount, d, basis), reference_prorate(amount, d, basis))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=6, min_value=-10**9, max_value=10**9),
                 st.integers(-10**9, 10**9), st.fractions(max_denominator=1000)),
       st.integers(-3, 500), st.integers(-3, 500))
def test_prorate_of_any_amount_and_its_errors_are_unchanged(amount, d, basis):
    got, expected = outcome(prorate, amount, d, basis), outcome(reference_prorate, amount, d, basis)
    assert got == expected and str(got) == str(expected)


@settings(max_examples=300, deadline=None)
@given(st.fractions())
def test_round_fraction_is_unchanged(value):
    got, expected = outcome(round_fraction, value), outcome(reference_round_fraction, value)
    assert got == expected and str(got) == str(expected)  # beyond 28 digits both raise InvalidOperation


# --- ARRANGEMENT_SCHEDULE: due dates a month apart, counted from the anchor ----------------------

def test_months_after_hand_computed():
    # Jan 31 + 1 month = Feb 28 (Feb 29 in 2028, a leap year; 2100 is not one); + 13 = Feb 2027
    assert months_after(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert months_after(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert months_after(date(2100, 1, 31), 1) == date(2100, 2, 28)
    assert months_after(date(2000, 1, 30), 1) == date(2000, 2, 29)
    assert months_after(date(2026, 1, 31), 13) == date(2027, 2, 28)
    assert months_after(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert months_after(datetime(2026, 10, 31, 9, 30), 1) == datetime(2026, 11, 30, 9, 30)
    with pytest.raises(ValueError, match="year 10000 is out of range"):
        months_after(date(9999, 12, 15), 1)


@settings(max_examples=500, deadline=None)
@given(st.one_of(any_day, month_ends), st.integers(-30, 30))
def test_months_after_is_relativedelta(anchor, k):
    assert outcome(months_after, anchor, k) == outcome(lambda: anchor + relativedelta(months=k))


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)), st.integers(0, 24))
def test_months_after_keeps_a_datetime(anchor, k):
    got, expected = outcome(months_after, anchor, k), outcome(lambda: anchor + relativedelta(months=k))
    assert got == expected and type(got) is type(expected)


def test_schedule_cents_hand_computed():
    # financed 300.00 - 60.00 = 240.00; 240 / 7 = 34.2857.. -> 34.28 x 6 = 205.68, last 240 - 205.68 = 34.32
    rows = schedule_cents(M("300.00"), M("60.00"), 7, date(2026, 8, 31), POLICY.arrangements)
    assert [r[2] for r in rows] == [3428] * 6 + [3432]
    assert [r[3] for r in rows] == [20572, 17144, 13716, 10288, 6860, 3432, 0]
    assert [r[1] for r in rows][:3] == [date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31)]


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 10**9), st.integers(0, 100), st.integers(1, 13), st.one_of(any_day, month_ends),
       st.booleans())
def test_schedule_is_the_decimal_and_relativedelta_schedule(past_due_cents, down_pct, n, first_due, with_policy):
    past_due = M(past_due_cents) / 100
    down = (past_due * down_pct / 100).quantize(CENT)
    policy = POLICY.arrangements if with_policy else None
    expected = outcome(reference_schedule, past_due, down, n, first_due, policy)
    got = outcome(schedule, past_due, down, n, first_due, policy)
    if isinstance(expected, list):
        assert [(i.number, i.due_date, i.amount, i.remaining) for i in got] == expected
        assert all(same_decimal(i.amount, e[2]) and same_decimal(i.remaining, e[3]) for i, e in zip(got, expected))
    else:
        assert got == expected


def test_a_past_due_rounding_to_minus_zero_finances_nothing():
    # -0.001 rounds to -0.00: nothing is financed, every row is 0.00. The Decimal reference wrote
    # its zeros as -0.00 (equal to 0.00; Excel shows both as 0); integer cents have no sign of zero.
    rows = schedule(M("-0.001"), M("0"), 2, date(2026, 1, 31))
    assert [(i.amount, i.remaining) for i in rows] == [(M("0.00"), M("0.00"))] * 2
    assert [(i.amount, i.remaining) for i in rows] == [r[2:] for r in reference_schedule(M("-0.001"), M("0"), 2,
                                                                                          date(2026, 1, 31))]


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**6, max_value=10**8),
                 st.integers(-100, 10**6)),
       st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**6, max_value=10**8),
                 st.integers(-100, 10**6)),
       st.integers(-2, 40), any_day)
def test_schedule_errors_are_unchanged(past_due, down, n, first_due):
    got = outcome(schedule, past_due, down, n, first_due)
    expected = outcome(reference_schedule, past_due, down, n, first_due)
    if isinstance(expected, list):
        got = [(i.number, i.due_date, i.amount, i.remaining) for i in got]
    assert got == expected


# --- the worksheet functions, with Excel's argument types ----------------------------------------

excel_money = st.one_of(st.integers(-10**8, 10**8).map(lambda c: c / 100), st.integers(-10**6, 10**6),
                        st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([None, "", "$1,062.40", "x", True]))
excel_whole = st.one_of(st.integers(-5, 500).map(float), st.integers(-5, 500), st.floats(),
                        st.sampled_from([None, 0, 0.0, -0.0, 2.0**53, 1e23, "12", "3.5", True, date(2026, 1, 1)]))


@settings(max_examples=300, deadline=None)
@given(st.one_of(excel_money, excel_whole))
def test_common_cells_convert_as_the_general_path_does(value):
    # a 1x1 range [[value]] always takes the general path; a bare float/int/date the fast one
    for convert in (lambda v: arg_money(v, "amount"), lambda v: arg_int(v, "days"),
                    lambda v: arg_int(v, "basis_days", required=False, zero_is_blank=True, default=30)):
        assert repr(outcome(convert, value)) == repr(outcome(convert, [[value]]))


@settings(max_examples=100, deadline=None)
@given(st.one_of(any_day, st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))))
def test_date_cells_convert_as_the_general_path_does(value):
    assert arg_date(value, "first_due") == arg_date([[value]], "first_due")


def reference_prorate_udf(amount, d, basis):
    try:
        basis = arg_int([[basis]], "basis_days", required=False, zero_is_blank=True,
                        default=POLICY.billing.irregular_basis_days)
        return out_money(reference_prorate(arg_money([[amount]], "amount"), arg_int([[d]], "days"), basis))
    except Exception as exc:  # noqa: BLE001
        return udfs._convert.error_text(exc)


@settings(max_examples=300, deadline=None)
@given(excel_money, excel_whole, st.one_of(st.none(), excel_whole))
def test_prorate_udf_is_the_reference(amount, d, basis):
    assert repr(udfs.prorate(amount, d, basis)) == repr(reference_prorate_udf(amount, d, basis))


def test_prorate_udf_hand_computed():
    # 62.40 x 17 / 30 = 35.36 (the benchmark's call); blank basis = the configured 30 days
    assert udfs.prorate(62.4, 17.0, 30.0) == 35.36 == udfs.prorate(62.4, 17, None)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**8), st.integers(0, 100), st.integers(-1, 14),
       st.one_of(any_day.map(lambda d: datetime(d.year, d.month, d.day)), month_ends))
def test_arrangement_schedule_udf_is_the_reference(past_due_cents, down_pct, n, first_due):
    down_cents = past_due_cents * down_pct // 100
    got = udfs.arrangement_schedule(past_due_cents / 100, down_cents / 100, float(n), first_due)
    day = first_due.date() if isinstance(first_due, datetime) else first_due
    expected = outcome(reference_schedule, M(past_due_cents) / 100, M(down_cents) / 100, n, day, POLICY.arrangements)
    if n < 1:
        assert got == "#VALUE! installments must be at least 1"
    elif isinstance(expected, list):
        assert got == [[k, due, out_money(a), out_money(r)] for k, due, a, r in expected]
    else:
        assert got == f"#VALUE! {expected[1]}"


def test_arrangement_schedule_udf_hand_computed():
    # 300.00 - 60.00 = 240.00 / 6 = 40.00 each, from 2026-12-15 (the benchmark's call)
    rows = udfs.arrangement_schedule(300.0, 60.0, 6.0, datetime(2026, 12, 15))
    assert [r[2] for r in rows] == [40.0] * 6 and [r[3] for r in rows] == [200.0, 160.0, 120.0, 80.0, 40.0, 0.0]
    assert [r[1] for r in rows] == [date(2026, 12, 15)] + [date(2027, m, 15) for m in range(1, 6)]


# --- the rules a cell prices with: cached, yet a rate change is seen at once -----------------------
# (test_excel_udfs' autouse fixture, imported above, starts each test with no utility folder
# above and the rules forgotten)

def test_rules_are_reused_until_a_file_changes(tmp_path, monkeypatch):
    u = make_utility(tmp_path / "city")
    monkeypatch.setenv("UTILBILL_HOME", str(u.root))
    _context.forget()
    first = _context.rules()
    assert _context.rules() is first and first.source == str(u.root.resolve())
    rates = u.root / "rates.yaml"
    rates.write_text(rates.read_text().replace("1.344", "1.400"))
    os.utime(rates, ns=(rates.stat().st_atime_ns, rates.stat().st_mtime_ns + 10**9))
    second = _context.rules()  # at once, no forget(): the files' times are looked at on every call
    assert second is not first and _context.rules() is second
    assert udfs.bill_lines(8, "5/8", None, None, None, None)[0][2] == 1.4
    config = u.root / "utility.yaml"
    config.write_text(config.read_text().replace("irregular_basis_days: 30", "irregular_basis_days: 31"))
    os.utime(config, ns=(config.stat().st_atime_ns, config.stat().st_mtime_ns + 10**9))
    assert "irregular_basis_days: 31" in config.read_text()
    # 100.00 x 10 / 31 = 32.258 -> 32.26 with the new configured basis (33.33 with 30 days)
    assert udfs.prorate(100, 10, None) == 32.26
    monkeypatch.delenv("UTILBILL_HOME")
    _context.forget()
    assert _context.rules().source == "example configuration" and _context.rules() is _context.rules()


def test_the_server_process_knows_pyodide_is_absent():
    # xlwings tries `from pyodide.ffi import JsNull` for every argument of every Office.js call;
    # in the server process the failed import is answered at once, and xlwings takes it as before
    from xlwings.utils import is_jsnull

    from utilbill import server

    server.ensure_server_mode()
    assert sys.modules["pyodide"] is None and sys.modules["pyodide.ffi"] is None
    with pytest.raises(ImportError):
        from pyodide.ffi import JsNull  # noqa: F401
    assert not is_jsnull(None)
    assert h.plain(h.call_udf("PRORATE", [[[62.4]], 17, h.OMITTED])) == 35.36
