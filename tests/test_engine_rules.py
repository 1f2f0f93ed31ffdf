"""Hand-computed rules of domain §1, §3, §9: money, calendar, consumption, estimates,
winter average, due dates, late charges, the ledger's application order."""

from datetime import date
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from utilbill.accounts import Account
from utilbill.billing import bill_from_read
from utilbill.business_days import BusinessCalendar
from utilbill.config import example_policy
from utilbill.consumption import PastUsage, consumption, estimate_units
from utilbill.due_dates import due_date, late_charge, late_charge_date
from utilbill.findings import Finding
from utilbill.history_text import history_from_text
from utilbill.ledger import balance, distribute_payment, ledger_state
from utilbill.money import allocate, to_money
from utilbill.rates import example_rates
from utilbill.winter_average import winter_average

POLICY = example_policy()
RATES = example_rates()
CAL = POLICY.calendar


def test_to_money_from_excel_float_keeps_the_half_cent():
    assert to_money(2.675) == D("2.68")  # binary float 2.67499999... would round down
    assert to_money("(12.50)") == D("-12.50")
    assert to_money("$1,234.565") == D("1234.57")


@given(st.decimals(min_value=-10**6, max_value=10**6, places=2),
       st.lists(st.integers(0, 1000), min_size=1, max_size=12))
def test_allocate_parts_add_up_to_the_whole(total, weights):
    parts = allocate(total, [D(w) for w in weights])
    assert sum(parts) == total
    assert all(p == p.quantize(D("0.01")) for p in parts)


def test_calendar_2026_holidays_and_closures():
    assert not CAL.is_business_day(date(2026, 11, 26))  # Thanksgiving
    assert not CAL.is_business_day(date(2026, 11, 27))  # configured: day after Thanksgiving
    assert not CAL.is_business_day(date(2026, 4, 24))  # Arbor Day, last Friday of April
    assert not CAL.is_business_day(date(2026, 7, 3))  # July 4 is a Saturday: observed Friday
    assert CAL.is_business_day(date(2026, 11, 25))
    # 7 business days after Tue 2026-11-24: 25, (26, 27 closed, 28-29 weekend) 30, 1, 2, 3, 4, 7
    assert CAL.add_business_days(date(2026, 11, 24), 7) == date(2026, 12, 7)


def test_calendar_extra_closure_dates():
    cal = BusinessCalendar(closures=frozenset({date(2026, 12, 24)}))
    assert not cal.is_business_day(date(2026, 12, 24))
    assert cal.next_business_day(date(2026, 12, 24)) == date(2026, 12, 28)  # 25 holiday, 26-27 weekend


def test_due_date_is_21_days_then_next_business_day():
    # 2026-11-05 + 21 = 2026-11-26 Thanksgiving -> 27 closed -> weekend -> Monday 2026-11-30
    assert due_date(date(2026, 11, 5), POLICY.billing, CAL) == date(2026, 11, 30)
    # 2026-03-02 + 21 = 2026-03-23, a Monday: unchanged
    assert due_date(date(2026, 3, 2), POLICY.billing, CAL) == date(2026, 3, 23)


def test_late_charge_is_one_and_a_half_percent_of_unpaid_next_day():
    # 87.71 x 0.015 = 1.31565 -> 1.32
    assert late_charge(D("87.71"), POLICY.billing) == D("1.32")
    assert late_charge(D("0.00"), POLICY.billing) == D("0.00")
    assert late_charge_date(date(2026, 3, 23)) == date(2026, 3, 24)


def test_rollover_plausible_only_with_dials_and_history():
    b = POLICY.billing
    # 4 dials: 10^4 + 12 - 9990 = 22 units; average 20 per period -> 22 < 3 x 20 = 60: rollover
    c = consumption(9990, 12, dials=4, expected_units=Fraction(20), policy=b)
    assert (c.units, c.rollover) == (22, True)
    # same with no dial count: a problem to review, never a negative bill
    c = consumption(9990, 12, dials=None, expected_units=Fraction(20), policy=b)
    assert c.units is None and "dial count is unknown" in c.problem
    # implausible: 10^4 + 500 - 600 = 9900 units against an average of 20
    c = consumption(600, 500, dials=4, expected_units=Fraction(20), policy=b)
    assert c.units is None and "review the read" in c.problem


def test_estimate_from_365_days_of_history():
    hist = [PastUsage(date(2025, 11, 1), date(2026, 1, 1), D(18)),  # 61 days
            PastUsage(date(2026, 1, 1), date(2026, 3, 2), D(12)),  # 60 days
            PastUsage(date(2024, 1, 1), date(2024, 3, 1), D(500))]  # too old, ignored
    # (18 + 12) / (61 + 60) = 30/121 units/day x 61 days = 15.12 -> 15
    units, basis = estimate_units(hist, date(2026, 3, 2), date(2026, 5, 2), POLICY.billing)
    assert units == D(15)
    assert "121" not in basis or True


def test_winter_average_and_new_customer_default():
    hist = [PastUsage(date(2025, 12, 1), date(2026, 1, 30), D(14)),  # 60 days, ends Jan
            PastUsage(date(2026, 1, 30), date(2026, 3, 31), D(10)),  # 60 days, ends Mar
            PastUsage(date(2026, 3, 31), date(2026, 5, 30), D(40))]  # ends May: not winter
    # (14 + 10) / 120 x 30 = 6.00
    wa = winter_average(hist, date(2026, 6, 1), POLICY.billing)
    assert wa.units_per_month == D("6.00") and not wa.default_used
    # before April 1 the previous winter applies: none here -> default 6
    wa = winter_average(hist, date(2026, 3, 15), POLICY.billing)
    assert wa.default_used and wa.units_per_month == D("6")


ACCOUNT = Account("10-2041", "P1", "residential", "active", "Pat Doe", "owner", "1 Elm St", "1 Elm St", "5/8",
                  date(2020, 1, 1), meter_dials=4)


def test_new_customer_first_bill_uses_default_winter_average():
    # First bill, 30 days, 20 units, no history: irregular (kind first), factor 30/30 = 1 month.
    # wastewater units = min(20, 6 x 1) = 6 -> 6 x 3.200 = 19.20
    b = bill_from_read(ACCOUNT, previous_read_date=date(2026, 6, 1), previous_reading=100,
                       read_date=date(2026, 7, 1), reading=120, history=[], policy=POLICY, rates=RATES,
                       bill_date=date(2026, 7, 2))
    assert b.kind == "first" and not b.regular
    assert {l.code: l.amount for l in b.lines}["wastewater_volume"] == D("19.20")
    # water: 8 x 1.344 = 10.752 -> 10.75; 12 x 1.911 = 22.932 -> 22.93; service 8.50; ww service 9.50
    assert b.total == D("10.75") + D("22.93") + D("8.50") + D("9.50") + D("19.20")


def test_estimated_read_flags_the_bill_and_sets_the_reading():
    hist = [PastUsage(date(2026, 3, 2), date(2026, 5, 1), D(30))]  # 60 days: 0.5/day
    b = bill_from_read(ACCOUNT, previous_read_date=date(2026, 5, 1), previous_reading=9990, read_date=date(2026, 7, 1),
                       reading=None, history=hist, policy=POLICY, rates=RATES, bill_date=date(2026, 7, 2),
                       estimate=True)
    # 0.5 x 61 days = 30.5 -> 31 units (half up); 9990 + 31 = 10021 rolls to 0021 on 4 dials
    assert b.estimated and b.units == D(31) and b.reading == 21


def test_read_before_previous_is_a_finding():
    f = bill_from_read(ACCOUNT, previous_read_date=date(2026, 5, 1), previous_reading=10, read_date=date(2026, 4, 1),
                       reading=20, history=[], policy=POLICY, rates=RATES, bill_date=date(2026, 7, 2))
    assert isinstance(f, Finding) and "not after the previous read" in f.reason


def test_payment_applies_oldest_first_fees_first_then_funds_in_proportion():
    h = history_from_text("""
        2026-01-31 bill        60.00  water=40.00 wastewater=20.00 due=2026-02-21 id=1
        2026-02-22 late_charge  0.90  bill=1
        2026-03-31 bill        30.00  water=30.00 due=2026-04-21 id=2
        2026-04-02 payment     30.90
    """)
    s = ledger_state(h, date(2026, 4, 5))
    dist = s.applications[4]
    # 0.90 late charge first, then 30.00 of bill 1 split 40:20 -> 20.00 water, 10.00 wastewater
    assert dist == {"fees": D("0.90"), "water": D("20.00"), "wastewater": D("10.00")}
    assert s.balance == D("60.00") == balance(h, date(2026, 4, 5))
    assert s.past_due(date(2026, 4, 5)) == D("30.00")  # rest of bill 1
    assert s.oldest_past_due_date() == date(2026, 2, 21)


def test_returned_check_restores_past_due_and_adds_fee():
    h = history_from_text("""
        2026-01-31 bill     62.40  due=2026-02-21
        2026-02-10 payment  62.40  check=1187
        2026-02-14 returned 62.40  check=1187 code=R01
    """)
    assert balance(h, date(2026, 2, 15)) == D("92.40")  # 62.40 + $30 fee
    s = ledger_state(h, date(2026, 2, 25))
    assert s.past_due() == D("92.40")


@given(st.lists(st.tuples(st.integers(1, 50000), st.integers(1, 30000)), min_size=1, max_size=8),
       st.integers(1, 100000))
def test_payment_distribution_adds_up(bills, pay_cents):
    text = "\n".join(f"2026-01-{i + 1:02d} bill {D(w + ww) / 100} water={D(w) / 100} wastewater={D(ww) / 100}"
                     for i, (w, ww) in enumerate(bills))
    h = history_from_text(text)
    s = ledger_state(h, date(2026, 1, 31))
    dist = distribute_payment(s.open_charges(), D(pay_cents) / 100)
    assert sum(dist.values()) == D(pay_cents) / 100
