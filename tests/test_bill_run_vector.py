"""The vectorized exact bill run (utilbill.bill_run_vector) against the reference loop.

The reference (utilbill.bill_run.compute_reference, one account at a time through exact
fractions) is the truth: the vector path must return equal ComputedBill objects (lines,
quantities to 9 places, basis text, amounts, totals, due dates, winter averages) and the same
Findings, for every kind of account: regular and irregular periods, winter histories present
or absent, a rate change inside the period, rollovers, estimates, bad reads.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal as D
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from utilbill import bill_run
from utilbill.accounts import Account
from utilbill.bill_run import BillRequest, compute, compute_reference
from utilbill.bill_run_vector import compute_vector, price_columns, rate_tables
from utilbill.config import example_policy
from utilbill.consumption import PastUsage
from utilbill.pricing import round_fraction
from utilbill.rates import example_rates, rates_from_dict

POLICY = example_policy()
RATES = example_rates()
BILL_DATE = date(2026, 5, 5)
SIZES = ["5/8", '3/4"', "1", 1.5, "1 1/2", "2", "3", "4", "6", "8", "0.625"]


def two_schedule_rates():
    """The example rates plus a 2026-02-15 schedule with new prices and a half-unit bound,
    so periods across it are split and periods after it are priced on it."""
    raw = {"schedules": [
        {"effective": "2016-01-01", "name": "old", "classes": {
            "residential": {"water_blocks": [{"up_to": 8, "price": "1.344"}, {"up_to": 23, "price": "1.911"},
                                             {"up_to": None, "price": "2.961"}],
                            "water_service_charge": {s: "8.50" for s in ("5/8", "3/4")} | {
                                "1": "12.75", "1-1/2": "21.50", "2": "33.00", "3": "95.00", "4": "125.00",
                                "6": "245.00", "8": "390.00"},
                            "wastewater_service_charge": "9.50", "wastewater_volume_price": "3.200",
                            "wastewater_cap": "winter_average"},
            "commercial": {"water_blocks": [{"up_to": None, "price": "1.530"}],
                           "water_service_charge": {"5/8": "8.50", "3/4": "8.50", "1": "12.75", "1-1/2": "21.50",
                                                    "2": "33.00", "3": "95.00", "4": "125.00", "6": "245.00",
                                                    "8": "390.00"},
                           "wastewater_service_charge": "19.00", "wastewater_volume_price": "3.200",
                           "wastewater_cap": "none"}}},
        {"effective": "2026-02-15", "name": "2026 increase", "classes": {
            "residential": {"water_blocks": [{"up_to": "7.5", "price": "1.4115"}, {"up_to": 23, "price": "2.007"},
                                             {"up_to": 40, "price": "3.109"}, {"up_to": None, "price": "3.5"}],
                            "water_service_charge": {"5/8": "8.93", "3/4": "8.93", "1": "13.39", "1-1/2": "22.58",
                                                     "2": "34.65", "3": "99.75", "4": "131.25", "6": "257.25",
                                                     "8": "409.50"},
                            "wastewater_service_charge": "9.98", "wastewater_volume_price": "3.360",
                            "wastewater_cap": "winter_average"},
            "commercial": {"water_blocks": [{"up_to": 100, "price": "1.607"}, {"up_to": None, "price": "1.5"}],
                           "water_service_charge": {"5/8": "8.93", "3/4": "8.93", "1": "13.39", "1-1/2": "22.58",
                                                    "2": "34.65", "3": "99.75", "4": "131.25", "6": "257.25",
                                                    "8": "409.50"},
                           "wastewater_service_charge": "19.95", "wastewater_volume_price": "3.360",
                           "wastewater_cap": "none"}}},
    ]}
    return rates_from_dict(raw)


def account(no, cls="residential", size="5/8", dials=6, override=None):
    return Account(no, "P" + no, cls, "active", "Customer " + no, "owner", "1 Main St", "1 Main St", size,
                   date(2015, 1, 1), meter_dials=dials, winter_average_override=override)


def history(rng: random.Random, before: date, cls: str) -> tuple[PastUsage, ...]:
    """Earlier billed periods ending at `before`, sometimes none, sometimes with a gap or a
    fractional (rebilled) unit count."""
    if rng.random() < 0.15:
        return ()
    step = 61 if cls == "residential" else 30
    out, end = [], before
    for _ in range(rng.randint(1, 9)):
        days = step + rng.randint(-4, 4)
        units = D(rng.randint(0, 60)) if rng.random() < 0.95 else D(f"{rng.randint(0, 60)}.{rng.randint(0, 99):02d}")
        out.append(PastUsage(end - timedelta(days=days), end, units, rng.random() < 0.1))
        end = end - timedelta(days=days + (rng.randint(1, 20) if rng.random() < 0.1 else 0))
    return tuple(reversed(out))


def random_request(rng: random.Random, i: int) -> BillRequest:
    cls = "residential" if rng.random() < 0.8 else "commercial"
    dials = rng.choice([None, 4, 5, 6, 6, 6])
    override = D(rng.choice(["5", "7.25", "0", "12.5"])) if rng.random() < 0.03 else None
    acct = account(f"A{i:06d}", cls, rng.choice(SIZES), dials, override)
    regular_days = (55, 66) if cls == "residential" else (26, 35)
    days = rng.randint(*regular_days) if rng.random() < 0.7 else rng.randint(1, 70)
    read_date = date(2025, 1, 1) + timedelta(days=rng.randint(0, 540))
    start = read_date - timedelta(days=days)
    if rng.random() < 0.002:
        read_date = start  # not after the previous read: a Finding
    kind = "regular" if rng.random() < 0.85 else "first"
    top = 10**(dials or 7)
    units = rng.randint(0, 500)
    prev = rng.randrange(0, top)
    reading = prev + units
    roll = rng.random()
    if dials and roll < 0.03:
        prev = top - rng.randint(1, 30)  # rolled over the dials
        reading = (prev + units) % top
    elif roll < 0.05:
        reading = max(0, prev - rng.randint(1, 900))  # below the previous reading
    elif roll < 0.08:
        reading = None  # estimate
    if reading is not None and dials:
        reading %= top
    return BillRequest(i + 2, acct, start, prev, read_date, reading, history(rng, start, cls), kind)


def assert_same(requests, rates=RATES, policy=POLICY):
    ref_bills, ref_findings = compute_reference(requests, policy, rates, BILL_DATE, source="r.xlsx", sheet="Readings")
    vec_bills, vec_findings = compute_vector(requests, policy, rates, BILL_DATE, source="r.xlsx", sheet="Readings")
    assert len(vec_bills) == len(ref_bills)
    for v, r in zip(vec_bills, ref_bills):
        assert v == r, (r.account_no, r.lines, v.lines)
        assert repr(v) == repr(r)  # also the same Decimal exponents: 2.000000000, not 2
        assert v.total == r.total and v.due_date == r.due_date
    assert vec_findings == ref_findings
    return vec_bills, vec_findings


def test_ten_thousand_random_accounts_cent_for_cent(monkeypatch):
    rng = random.Random(20260505)
    requests = [random_request(rng, i) for i in range(10_000)]
    rates = two_schedule_rates()
    handed_back = []  # rows the vector path hands to the reference, one by one
    real = bill_run.compute_reference
    monkeypatch.setattr(bill_run, "compute_reference",
                        lambda rows, *a, **k: (handed_back.extend(rows), real(rows, *a, **k))[1])
    bills, findings = assert_same(requests, rates=rates)
    # only periods across the rate change and reads the reference turns into Findings go back
    # to it; everything else (estimates, rollovers, irregular periods) is priced on columns
    change = rates.schedules[1].effective
    assert len(handed_back) < len(requests) // 5
    for q in handed_back:
        across = q.previous_read_date < change < q.read_date
        assert across or real([q], POLICY, rates, BILL_DATE)[1], q
    # the generator reaches every branch the comparison is meant to cover
    assert any(b.rollover for b in bills) and any(b.estimated for b in bills)
    assert any(not b.regular for b in bills) and any(l.part == 2 for b in bills for l in b.lines)
    assert any(b.winter and b.winter.default_used for b in bills)
    assert any(b.winter and not b.winter.default_used for b in bills)
    assert any("below the previous reading" in f.reason for f in findings)
    assert sum(b.total for b in bills) > D(1000000)


@st.composite
def requests_strategy(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(1, 40))
    rng = random.Random(seed)
    return [random_request(rng, i) for i in range(n)]


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(requests_strategy(), st.booleans())
def test_vector_equals_reference_property(requests, two_schedules):
    assert_same(requests, rates=two_schedule_rates() if two_schedules else RATES)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(units=st.integers(0, 5000), days=st.integers(1, 70), cls=st.sampled_from(["residential", "commercial"]),
       kind=st.sampled_from(["regular", "first"]), size=st.sampled_from(SIZES),
       override=st.one_of(st.none(), st.decimals("0", "40", places=2)))
def test_one_bill_property(units, days, cls, kind, size, override):
    start = date(2026, 3, 1)
    q = BillRequest(2, account("B1", cls, size, None, override), start, 1000, start + timedelta(days=days),
                    1000 + units, (PastUsage(date(2025, 12, 1), date(2026, 2, 1), D(units % 37)),), kind)
    assert_same([q])


def lincoln_request(units, days, kind):
    start = date(2026, 1, 5)
    return BillRequest(2, account("L1"), start, 5000, start + timedelta(days=days), 5000 + units, (), kind)


def test_lincoln_published_example_through_the_vector_path():
    # 49 units, regular bimonthly residential: bounds 8 x 2 = 16 and 23 x 2 = 46
    # 16 x 1.344 = 21.504 -> 21.50; 30 x 1.911 = 57.33; 3 x 2.961 = 8.883 -> 8.88; sum 87.71
    (bill,), findings = assert_same([lincoln_request(49, 60, "regular")])
    assert not findings and bill.regular
    amounts = {l.code: l.amount for l in bill.lines}
    assert [amounts[f"water_block_{b}"] for b in (1, 2, 3)] == [D("21.50"), D("57.33"), D("8.88")]
    assert sum(amounts[f"water_block_{b}"] for b in (1, 2, 3)) == D("87.71")


def test_lincoln_23_day_irregular_example_through_the_vector_path():
    # 23-day first bill of 14 units: bound 1 = 8 x 23/30 = 6.1333...; 6.1333... x 1.344 = 8.2432 -> 8.24
    # bound 2 = 23 x 23/30 = 17.6333... > 14: (14 - 6.1333...) = 7.8666... x 1.911 = 15.0332 -> 15.03
    (bill,), _ = assert_same([lincoln_request(14, 23, "first")])
    amounts = {l.code: l.amount for l in bill.lines}
    assert not bill.regular
    assert (amounts["water_block_1"], amounts["water_block_2"]) == (D("8.24"), D("15.03"))
    assert "water_block_3" not in amounts
    assert [l.quantity for l in bill.lines][:2] == [D("6.133333333"), D("7.866666667")]


def test_half_cent_boundary_where_float_rounds_wrong():
    # commercial, 15-day first bill of 1 unit, a 2026 schedule with price 1.005/unit and a
    # service charge of 2.01/month: water = 1 x 1.005 = 1.005 exactly -> 1.01 (half away from
    # zero); in floats 1.005 is 1.00499999999999989..., and round(1.005, 2) gives 1.0.
    # service = 2.01 x 15/30 = 1.005 -> 1.01; float 2.01 * 15 / 30 = 1.0049999999999999 -> 1.0.
    assert round(1.005, 2) == 1.0 and round(2.01 * 15 / 30, 2) == 1.0
    rates = rates_from_dict({"schedules": [{"effective": "2020-01-01", "classes": {"commercial": {
        "water_blocks": [{"up_to": None, "price": "1.005"}], "water_service_charge": {"5/8": "2.01"},
        "wastewater_service_charge": "0.03", "wastewater_volume_price": "0.005", "wastewater_cap": "none"}}}]})
    start = date(2026, 4, 1)
    q = BillRequest(2, account("H1", "commercial"), start, 10, start + timedelta(days=15), 11, (), "first")
    (bill,), _ = assert_same([q], rates=rates)
    amounts = {l.code: l.amount for l in bill.lines}
    # wastewater service 0.03 x 15/30 = 0.015 -> 0.02; volume 1 x 0.005 = 0.005 -> 0.01
    assert amounts == {"water_block_1": D("1.01"), "water_service": D("1.01"),
                       "wastewater_service": D("0.02"), "wastewater_volume": D("0.01")}
    assert bill.total == D("2.05")


def test_kernel_rounds_half_away_from_zero_like_round_fraction():
    # 1..3000 units over 1..70 days: every block amount equals round_fraction of the exact product
    rates = two_schedule_rates()
    cr = rates.schedules[1].for_class("residential")
    t = rate_tables([cr], ["5/8"], 30)
    rng = np.random.default_rng(7)
    n = 3000
    units = rng.integers(0, 3000, n)
    fnum = rng.integers(1, 71, n)
    zero = np.zeros(n, dtype=np.int64)
    pc = price_columns(t, zero, zero, fnum, units, zero, np.zeros(n, dtype=bool))
    for r in range(0, n, 7):
        for b, block in enumerate(cr.water_blocks):
            exact = Fraction(int(pc.block_qty[b][r]), t.q) * Fraction(block.price)
            assert D(int(pc.block_cents[b][r])) / 100 == round_fraction(exact)


def test_kernel_switches_to_python_integers_before_int64_overflows():
    cr = RATES.schedules[0].for_class("residential")
    t = rate_tables([cr], ["5/8"], 30)
    units = np.array([10**14, 49], dtype=np.int64)  # 10^14 units x 3000 x 2961 x ... overflows int64
    one = np.zeros(2, dtype=np.int64)
    pc = price_columns(t, one, one, np.array([60, 60]), units, one, np.zeros(2, dtype=bool))
    assert int(pc.block_cents[2][0]) == (10**14 - 46) * 2961 // 10 + ((10**14 - 46) * 2961 % 10 >= 5)
    assert int(pc.block_cents[2][1]) == 888  # 3 x 2.961 = 8.883


def test_compute_picks_the_vector_engine_and_empty_input():
    assert compute_vector([], POLICY, RATES, BILL_DATE) == ([], [])
    rng = random.Random(5)
    requests = [random_request(rng, i) for i in range(50)]
    assert compute(requests, POLICY, RATES, BILL_DATE, engine="vector") == compute_reference(
        requests, POLICY, RATES, BILL_DATE)


def test_rows_the_rates_do_not_cover_raise_as_in_the_reference():
    rates = rates_from_dict({"schedules": [{"effective": "2020-01-01", "classes": {"commercial": {
        "water_blocks": [{"up_to": None, "price": "1.5"}], "water_service_charge": {"5/8": "8.50"},
        "wastewater_service_charge": "19", "wastewater_volume_price": "3.2", "wastewater_cap": "none"}}}]})
    start = date(2026, 4, 1)
    good = BillRequest(2, account("G1", "commercial"), start, 10, start + timedelta(days=30), 20, (), "regular")
    bad = BillRequest(3, account("G2", "commercial", "2"), start, 10, start + timedelta(days=30), 20, (), "regular")
    assert_same([good], rates=rates)
    for engine in (compute_reference, compute_vector):
        with pytest.raises(KeyError, match="meter size '2'"):
            engine([good, bad], POLICY, rates, BILL_DATE)


def test_winter_history_longer_than_the_calendar_still_matches():
    # 21 overlapping 'winter' bills of 36,525 days each: 767,025 winter days, more than the days
    # before 2026-01-01, so the bulk path cannot stand them in for one bill; it asks the rule.
    end = date(2026, 1, 15)
    hist = tuple(PastUsage(end - timedelta(days=36_525), end, D(1000 + i)) for i in range(21))
    start = date(2026, 4, 10)
    q = BillRequest(2, account("W1"), start, 0, start + timedelta(days=60), 40, hist, "regular")
    (bill,), _ = assert_same([q])
    # (1000 + ... + 1020) = 21,210 units / 767,025 days x 30 = 0.8295... -> 0.83
    assert bill.winter.units_per_month == D("0.83")
