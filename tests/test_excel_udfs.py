"""Every worksheet function called directly (as classic xlwings calls it: blanks as None,
whole numbers as floats) and through xlwings.server.custom_functions_call (as Office.js
calls it: serial dates, blanks as 0, 2-D arguments), giving the engine's results."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlwings_harness as h  # first: licence key and server mode

import udfs
from excel_fixtures import LATE, PAID, SHOP, sample_utility
from udfs import _context
from udfs._convert import arg_date, arg_money, is_blank
from utilbill.arrangements import schedule
from utilbill.collections_jobs import last_payment_date_for, past_due_for
from utilbill.config import example_policy
from utilbill.credit_jobs import credit_profile_for
from utilbill.final_bill import final_bill as final_bill_job
from utilbill.payoff import payoff as payoff_job

CAL = example_policy().calendar


@pytest.fixture(autouse=True)
def fresh_context(monkeypatch, tmp_path):
    monkeypatch.delenv("UTILBILL_HOME", raising=False)
    monkeypatch.chdir(tmp_path)  # no utility folder above: the example configuration
    _context.forget()
    yield
    _context.forget()


@pytest.fixture
def u(tmp_path, monkeypatch):
    u = sample_utility(tmp_path)
    monkeypatch.setenv("UTILBILL_HOME", str(u.root))
    _context.forget()
    return u


def both(name, classic_args, office_args=None):
    """(direct call, Office.js call) of a function; the Office.js result in Python terms."""
    direct = getattr(udfs, name.lower())(*classic_args)
    office = h.plain(h.call_udf(name, office_args if office_args is not None else list(classic_args)))
    return direct, office


def dates(rows):
    return [[v.date() if isinstance(v, datetime) else v for v in r] for r in rows]


# --- the converter -------------------------------------------------------------------------

def test_dates_arrive_every_way_excel_sends_them():
    # serial 46053 = 2026-01-31; serial 61 = 1900-03-01 (Excel counts a 1900-02-29 that never was)
    for value in (46053, 46053.0, [[46053.0]], datetime(2026, 1, 31, 13, 5), "2026-01-31", "1/31/2026", "46053"):
        assert arg_date(value, "d") == date(2026, 1, 31)
    assert arg_date(61, "d") == date(1900, 3, 1)
    with pytest.raises(ValueError, match="1900-02-29"):
        arg_date(60, "d")
    assert arg_date(0, "d", required=False) is None and arg_date(None, "d", required=False) is None
    assert is_blank(0) and is_blank("  ") and not is_blank(0, zero_is_blank=False)
    assert arg_money(2.675, "a") == Decimal("2.68")  # repr keeps 2.675, then half away from zero
    assert arg_money("$1,062.40", "a") == Decimal("1062.40") and arg_money("(5.00)", "a") == Decimal("-5.00")


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(1900, 3, 1), max_value=date(2199, 12, 31)))
def test_serials_round_trip(day):
    assert arg_date(h.excel_serial(day), "d") == day
    assert arg_date(float(h.excel_serial(day)), "d") == day


# --- functions with arguments only (example configuration) ------------------------------------

def test_prorate():
    # 62.40 x 12 / 30 = 24.96; 100 x 10 / 31 = 32.258... -> 32.26
    assert both("PRORATE", [62.4, 12.0, None], [62.4, 12, h.OMITTED]) == (24.96, 24.96)
    assert both("PRORATE", [100, 10, 31]) == (32.26, 32.26)
    assert both("PRORATE", ["$62.40", 12, None], ["$62.40", 12, None]) == (24.96, 24.96)  # blank basis: 30
    assert udfs.prorate(62.4, -1, None).startswith("#VALUE! days must not be negative")


def test_bill_lines_and_total_match_lincolns_worked_example():
    # 49 units bimonthly: 16 x 1.344 = 21.50, 30 x 1.911 = 57.33, 3 x 2.961 = 8.88 (water 87.71);
    # service 2 x 8.50 = 17.00, wastewater 2 x 9.50 = 19.00 and min(49, 6 x 2) = 12 x 3.20 = 38.40
    direct, office = both("BILL_LINES", [49.0, "5/8", None, None, None, None],
                          [49, '5/8"', h.OMITTED, h.OMITTED, h.OMITTED, h.OMITTED])
    assert direct == office
    assert [r[3] for r in direct] == [21.5, 57.33, 8.88, 17.0, 19.0, 38.4, 162.11]
    assert direct[-1][0] == "Total" and direct[0][1:3] == [16, 1.344]
    # winter average 12: wastewater min(49, 12 x 2 = 24) = 24 x 3.20 = 76.80;
    # 87.71 + 17.00 + 19.00 + 76.80 = 200.51
    assert both("BILL_TOTAL", [49.0, "5/8", "residential", None, None, 12.0]) == (200.51, 200.51)


def test_bill_total_of_an_irregular_period():
    # 23-day final bill of 14 units (domain §2): block 1 bound 8 x 23/30 = 6.1333 -> 6.1333 x 1.344 = 8.24;
    # 7.8667 x 1.911 = 15.03; service 8.50 x 23/30 = 6.52; ww service 9.50 x 23/30 = 7.28;
    # ww volume min(14, 6 x 23/30 = 4.6) = 4.6 x 3.20 = 14.72  -> 51.79
    start, end = date(2025, 5, 1), date(2025, 5, 24)
    assert both("BILL_TOTAL", [14, "5/8", "residential", start, end, None],
                [14, "5/8", "residential", start, end, None]) == (51.79, 51.79)
    lines = udfs.bill_lines(14, "5/8", None, datetime(2025, 5, 1), datetime(2025, 5, 24), None)
    assert [r[3] for r in lines[:2]] == [8.24, 15.03]


def test_bill_functions_say_what_is_wrong():
    assert udfs.bill_total(14, "7/8").startswith("#VALUE! meter size '7/8' unknown")
    assert udfs.bill_total(14, "5/8", "industrial").startswith("#VALUE! class 'industrial' unknown")
    assert udfs.bill_total(14, "5/8", None, 46000, None).startswith("#VALUE! give both period_start")
    assert udfs.bill_total(-3, "5/8").startswith("#VALUE! units -3 is negative")
    assert h.call_udf("BILL_TOTAL", ["lots", "5/8"]) == [["#VALUE! units 'lots' is not a number"]]


def test_due_date_turnoff_and_business_days():
    # bill 2026-11-05 + 21 = Thu 11-26, Thanksgiving -> Fri 11-27 (configured closure) -> Mon 11-30
    assert both("DUE_DATE", [datetime(2026, 11, 5)], [date(2026, 11, 5)]) == (date(2026, 11, 30),) * 2
    # notice Fri 2026-11-20: Mon 23, Tue 24, Wed 25, (Thu 26, Fri 27 closed), Mon 30, Tue 1, Wed 2, Thu Dec 3
    assert both("EARLIEST_TURNOFF", [date(2026, 11, 20)]) == (date(2026, 12, 3),) * 2
    assert both("ADD_BUSINESS_DAYS", [date(2026, 11, 20), 7.0]) == (CAL.add_business_days(date(2026, 11, 20), 7),) * 2
    assert both("ADD_BUSINESS_DAYS", [date(2026, 1, 5), -1]) == (date(2026, 1, 2),) * 2
    assert udfs.due_date(None).startswith("#VALUE! bill_date is blank")


def test_arrangement_schedule_spills_the_engines_schedule():
    # 250.00 - 50.00 = 200.00 / 3 = 66.666 -> 66.66, 66.66, last 66.68; Jan 31 -> Feb 28 -> Mar 31
    direct, office = both("ARRANGEMENT_SCHEDULE", [250.0, 50.0, 3.0, datetime(2026, 1, 31)],
                          [250, 50, 3, date(2026, 1, 31)])
    expected = [[i.number, i.due_date, float(i.amount), float(i.remaining)]
                for i in schedule(Decimal(250), Decimal(50), 3, date(2026, 1, 31))]
    assert dates(direct) == office == expected
    assert expected[2][1:] == [date(2026, 3, 31), 66.68, 0.0]
    assert udfs.arrangement_schedule(250, 300, 3, 46053).startswith("#VALUE! the down payment")


def test_metadata_lists_every_catalog_function():
    import xlwings.server as xs

    meta = {f["name"]: f for f in xs.custom_functions_meta(h.server.udf_module())["functions"]}
    assert set(meta) == set(udfs.UDF_NAMES)
    assert [p["name"] for p in meta["BILL_LINES"]["parameters"]] == [
        "units", "meter_size", "account_class", "period_start", "period_end", "winter_average"]
    assert [p.get("optional", False) for p in meta["PAYOFF_AS_OF"]["parameters"]] == [False, False, True]
    assert all(f["description"] for f in meta.values())


# --- functions reading the store ---------------------------------------------------------------

def test_store_functions_match_the_engine_jobs(u):
    as_of = date(2026, 1, 20)
    expected_payoff = payoff_job(u, LATE, as_of).total
    assert both("PAYOFF_AS_OF", [LATE, as_of, None], [LATE, as_of, h.OMITTED]) == (float(expected_payoff),) * 2
    detail, office = both("PAYOFF_DETAIL", [LATE, as_of, datetime(2025, 12, 1)], [LATE, as_of, date(2025, 12, 1)])
    assert detail == office and detail[-3][2] == float(expected_payoff)  # total row, then the split
    final = final_bill_job(u, PAID, date(2026, 1, 20), reading=1075, post=False)
    assert both("FINAL_BILL", [PAID, date(2026, 1, 20), 1075.0]) == (float(final.balance_after_deposit),) * 2
    estimated = final_bill_job(u, PAID, date(2026, 1, 20), estimate=True, post=False)
    assert both("FINAL_BILL", [PAID, date(2026, 1, 20), None]) == (float(estimated.balance_after_deposit),) * 2
    due = past_due_for(u, LATE, as_of)
    assert both("PAST_DUE", [LATE, as_of]) == (float(due),) * 2
    assert both("ACCOUNT_BALANCE", [PAID, as_of]) == (0.0, 0.0)  # every bill paid
    assert both("LAST_PAYMENT_DATE", [PAID]) == (last_payment_date_for(u, PAID),) * 2
    assert both("CREDIT_SCORE", [LATE]) == (credit_profile_for(u, LATE, date.today()).score,) * 2
    assert both("WINTER_AVERAGE", [PAID])[0] == both("WINTER_AVERAGE", [PAID])[1] > 0
    assert udfs.winter_average(SHOP).startswith("#N/A commercial accounts have no winter-average cap")


def test_store_functions_say_what_is_missing(u, monkeypatch):
    assert udfs.account_balance("99-9").startswith("#N/A unknown account 99-9")
    assert udfs.past_due(0).startswith("#VALUE! account is blank")  # Office.js blank
    assert udfs.payoff_as_of("99-9", 46053).startswith("#N/A unknown account 99-9")
    monkeypatch.delenv("UTILBILL_HOME")
    _context.forget()
    assert udfs.account_balance(PAID).startswith("#N/A no utility folder: set UTILBILL_HOME")
    assert udfs.prorate(62.4, 12, None) == 24.96  # argument-only functions still work


def test_the_utility_is_opened_once_and_again_after_a_rate_change(u):
    first = _context.utility()
    assert _context.utility() is first
    rates = u.root / "rates.yaml"
    rates.write_text(rates.read_text().replace("1.344", "1.400"))
    import os

    os.utime(rates, ns=(rates.stat().st_atime_ns, rates.stat().st_mtime_ns + 10**9))
    assert _context.utility() is not first
    assert udfs.bill_lines(8, "5/8", None, None, None, None)[0][2] == 1.4
