from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, strategies as st

from utilbill.proration import prorate, split_by_days


def test_prorate_hand_computed():
    # 8.50 x 23 / 30 = 6.51666.. -> 6.52 ; 9.50 x 23/30 = 7.28333.. -> 7.28
    assert prorate(D("8.50"), 23) == D("6.52")
    assert prorate(D("9.50"), 23) == D("7.28")
    # a half cent rounds away from zero: 0.15 x 1/30 = 0.005 -> 0.01
    assert prorate(D("0.15"), 1) == D("0.01")
    # 100.00 x 15 / 31 = 48.387.. -> 48.39 with a 31-day basis
    assert prorate(D("100.00"), 15, 31) == D("48.39")
    with pytest.raises(ValueError):
        prorate(D("1"), 5, 0)


def test_split_at_move_out_adds_up():
    # 61.00 over 61 days split at day 20: 20/61 x 61.00 = 20.00, rest 41.00
    parts = split_by_days(D("61.00"), date(2026, 1, 1), date(2026, 3, 3), [date(2026, 1, 21)])
    assert [p for _, _, p in parts] == [D("20.00"), D("41.00")]


@given(st.decimals(min_value=0, max_value=10000, places=2), st.integers(2, 120), st.lists(st.integers(1, 119), max_size=4))
def test_split_parts_always_add_up(amount, days, cut_days):
    start = date(2026, 1, 1)
    end = date.fromordinal(start.toordinal() + days)
    cuts = [date.fromordinal(start.toordinal() + c) for c in cut_days]
    parts = split_by_days(amount, start, end, cuts)
    assert sum(p for _, _, p in parts) == amount
    assert parts[0][0] == start and parts[-1][1] == end
