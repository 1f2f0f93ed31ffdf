"""Pricing rules of domain §1-§2 with hand-computed figures, through the public engine API."""

from datetime import date
from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from utilbill.periods import ServicePeriod
from utilbill.pricing import price_bill, round_fraction
from utilbill.rates import example_rates, rates_from_dict

RATES = example_rates()


def lines(bill):
    return {l.code: l.amount for l in bill.lines}


def residential(period, units, regular, winter=None, meter="5/8", rates=RATES):
    return price_bill(rates=rates, account_class="residential", meter_size=meter, period=period, units=units,
                      regular=regular, months_per_bill=2, winter_average=winter)


def test_lincoln_published_example_49_units_bimonthly():
    # Lincoln: 49 units bimonthly = 16 x 1.344 = 21.504 -> 21.50; 30 x 1.911 = 57.33;
    # 3 x 2.961 = 8.883 -> 8.88; water volume = 87.71 (rounding the sum would give 87.72).
    bill = residential(ServicePeriod(date(2026, 1, 5), date(2026, 3, 6)), 49, regular=True)
    water = lines(bill)
    assert water["water_block_1"] == D("21.50")
    assert water["water_block_2"] == D("57.33")
    assert water["water_block_3"] == D("8.88")
    assert water["water_block_1"] + water["water_block_2"] + water["water_block_3"] == D("87.71")


def test_irregular_23_day_final_bill_of_14_units():
    # bound 1 = 8 x 23/30 = 6.1333...; 6.1333... x 1.344 = 8.2432 -> 8.24
    # bound 2 = 23 x 23/30 = 17.6333...; (14 - 6.1333...) = 7.8666... x 1.911 = 15.0332 -> 15.03
    bill = residential(ServicePeriod(date(2026, 1, 1), date(2026, 1, 24)), 14, regular=False)
    l = lines(bill)
    assert l["water_block_1"] == D("8.24")
    assert l["water_block_2"] == D("15.03")
    assert "water_block_3" not in l
    # service charges: 8.50 x 23/30 = 6.5166... -> 6.52; 9.50 x 23/30 = 7.2833... -> 7.28
    assert l["water_service"] == D("6.52")
    assert l["wastewater_service"] == D("7.28")
    q = {x.code: x.quantity for x in bill.lines}
    assert q["water_block_1"] == D("6.133333333")


def test_winter_average_caps_wastewater_units():
    # regular bimonthly, 30 units, winter average 7.50/month -> cap 15 units
    # wastewater volume = 15 x 3.200 = 48.00 (not 30 x 3.2 = 96.00)
    bill = residential(ServicePeriod(date(2026, 5, 1), date(2026, 7, 1)), 30, regular=True, winter=D("7.50"))
    assert lines(bill)["wastewater_volume"] == D("48.00")
    assert bill.wastewater_units == D("15")


def test_winter_cap_does_not_raise_low_use():
    # 4 units used, cap 12: billed 4 x 3.200 = 12.80
    bill = residential(ServicePeriod(date(2026, 5, 1), date(2026, 7, 1)), 4, regular=True, winter=D("6"))
    assert lines(bill)["wastewater_volume"] == D("12.80")


def test_commercial_all_units_flat_and_uncapped():
    # monthly commercial, 2" meter: 120 x 1.530 = 183.60; service 33.00; ww service 19.00;
    # ww volume 120 x 3.200 = 384.00; total 619.60
    bill = price_bill(rates=RATES, account_class="commercial", meter_size='2"',
                      period=ServicePeriod(date(2026, 5, 1), date(2026, 5, 31)), units=120, regular=True,
                      months_per_bill=1, winter_average=None)
    l = lines(bill)
    assert l == {"water_block_1": D("183.60"), "water_service": D("33.00"), "wastewater_service": D("19.00"),
                 "wastewater_volume": D("384.00")}
    assert bill.total == D("619.60")


def test_rate_change_split_by_days():
    # 60-day regular bimonthly bill, new schedule from day 21 (split 20/40).
    # Part 1 (old rates): factor 2 x 20/60 = 2/3 month, units 30 x 20/60 = 10.
    #   bound 1 = 8 x 2/3 = 5.333..; 5.333.. x 1.344 = 7.168 -> 7.17; 4.666.. x 1.911 = 8.918 -> 8.92
    #   service 8.50 x 2/3 = 5.666.. -> 5.67
    # Part 2 (water service 10.00): factor 4/3, units 20; bound 1 = 10.666..;
    #   10.666.. x 1.344 = 14.336 -> 14.34; 9.333.. x 1.911 = 17.836 -> 17.84; service 10 x 4/3 = 13.33
    raw = {"schedules": [
        {"effective": "2016-01-01", "classes": {"residential": _res(service="8.50")}},
        {"effective": "2026-03-21", "name": "2026", "classes": {"residential": _res(service="10.00")}},
    ]}
    rates = rates_from_dict(raw)
    bill = residential(ServicePeriod(date(2026, 3, 1), date(2026, 4, 30)), 30, regular=True, rates=rates)
    got = [(l.part, l.code, l.amount) for l in bill.lines if l.code.startswith("water")]
    assert got == [(1, "water_block_1", D("7.17")), (1, "water_block_2", D("8.92")), (1, "water_service", D("5.67")),
                   (2, "water_block_1", D("14.34")), (2, "water_block_2", D("17.84")),
                   (2, "water_service", D("13.33"))]


def _res(service="8.50"):
    return {"water_blocks": [{"up_to": 8, "price": "1.344"}, {"up_to": 23, "price": "1.911"},
                             {"up_to": None, "price": "2.961"}],
            "water_service_charge": {"5/8": service}, "wastewater_service_charge": "9.50",
            "wastewater_volume_price": "3.200", "wastewater_cap": "winter_average"}


@settings(max_examples=200, deadline=None)
@given(units=st.integers(0, 400), days=st.integers(1, 70), cut=st.integers(1, 69))
def test_equal_rates_split_matches_unsplit_within_a_cent_per_line(units, days, cut):
    """A split at a change with equal rates equals the unsplit bill within one cent per line."""
    if cut >= days:
        cut = days - 1 if days > 1 else None
    period = ServicePeriod(date(2026, 1, 1), date(2026, 1, 1).fromordinal(date(2026, 1, 1).toordinal() + days))
    one = rates_from_dict({"schedules": [{"effective": "2016-01-01", "classes": {"residential": _res()}}]})
    if cut is None:
        return
    two = rates_from_dict({"schedules": [
        {"effective": "2016-01-01", "classes": {"residential": _res()}},
        {"effective": date.fromordinal(period.start.toordinal() + cut).isoformat(), "classes": {"residential": _res()}},
    ]})
    a = residential(period, units, regular=False, rates=one)
    b = residential(period, units, regular=False, rates=two)
    n_lines_b = len(b.lines)
    assert abs(a.total - b.total) <= D("0.01") * n_lines_b


@settings(max_examples=300, deadline=None)
@given(units=st.integers(0, 2000), days=st.integers(1, 90), regular=st.booleans(),
       winter=st.one_of(st.none(), st.decimals(min_value=0, max_value=60, places=2)))
def test_lines_sum_to_total_and_each_line_is_whole_cents(units, days, regular, winter):
    period = ServicePeriod(date(2026, 1, 1), date.fromordinal(date(2026, 1, 1).toordinal() + days))
    bill = residential(period, units, regular=regular, winter=winter)
    assert bill.total == sum(l.amount for l in bill.lines)
    for l in bill.lines:
        assert l.amount == l.amount.quantize(D("0.01"))
    # block quantities add up to the units
    blocks = [Fraction(l.quantity) for l in bill.lines if l.code.startswith("water_block")]
    assert abs(sum(blocks) - units) < Fraction(1, 10**8)


def test_round_fraction_is_half_away_from_zero_exactly():
    assert round_fraction(Fraction(1, 200)) == D("0.01")  # 0.005 exactly
    assert round_fraction(Fraction(-1, 200)) == D("-0.01")
    assert round_fraction(Fraction(1, 200) - Fraction(1, 10**12)) == D("0.00")
    # 2.675 is a half cent: float rounding gives 2.67, the rule gives 2.68
    assert round_fraction(Fraction(2675, 1000)) == D("2.68")


def test_unknown_meter_size_is_refused():
    with pytest.raises(ValueError, match="unknown meter size"):
        residential(ServicePeriod(date(2026, 1, 1), date(2026, 3, 1)), 5, regular=True, meter="7/8")
