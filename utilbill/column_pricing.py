"""The vector bill run's pricing kernel: whole columns of bills priced in integer arithmetic.

Why it exists: utilbill.bill_run_vector prices a cycle's 100,000 bills at once; this is the
arithmetic of it (domain §1-§3: blocks scaled by months or days/30, service charges by meter
size, the winter-average cap, each line rounded once half away from zero), apart from
choosing the rows and building the bills, so it can be measured alone (bench/). `rate_tables`
turns a run's rates into integer tables; `price_columns` gives every row's block quantities
and line amounts in cents, the amounts utilbill.pricing computes one bill at a time.

Exactness: in one run every quantity is a whole multiple of 1/Q, Q = basis_days x 10^k (k =
the most decimals of any block bound or winter average), so units, block bounds, block
shares and the wastewater cap are integer columns in units of 1/Q; a line's amount in cents
is the integer `(quantity x price x a + d) // 2d` (half away from zero), never a float.
Columns that could overflow int64 switch to Python integers (object arrays).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from math import gcd

import numpy as np

from .rates import ClassRates

INT64_SAFE = 2**62


def _places(d: Decimal) -> int:
    return max(0, -d.as_tuple().exponent)


def _scaled(d: Decimal, places: int) -> int:
    """d x 10^places as an int (exact: places covers d's decimals)."""
    return int(d.scaleb(places))


@dataclass(frozen=True)
class RateTables:
    """The rates of every (schedule, class) group of a run as integer tables.

    Bounds are in units x 10^k (-1 = no bound), prices and charges in dollars x 10^kp.
    """

    k: int
    kp: int
    basis_days: int
    bounds: np.ndarray  # [group, block]
    prices: np.ndarray  # [group, block]
    service: np.ndarray  # [group, meter size] (-1 = no charge for that size)
    ww_service: np.ndarray  # [group]
    ww_price: np.ndarray  # [group]

    @property
    def q(self) -> int:
        return self.basis_days * 10**self.k


def rate_tables(groups: Sequence[ClassRates], sizes: Sequence[str], basis_days: int,
                extra_places: int = 0) -> RateTables:
    blocks = max(len(cr.water_blocks) for cr in groups)
    k = max([extra_places] + [_places(b.up_to) for cr in groups for b in cr.water_blocks if b.up_to is not None])
    money = [b.price for cr in groups for b in cr.water_blocks]
    money += [c for cr in groups for c in cr.water_service_charge.values()]
    money += [x for cr in groups for x in (cr.wastewater_service_charge, cr.wastewater_volume_price)]
    kp = max(_places(m) for m in money)
    bounds = np.full((len(groups), blocks), -1, dtype=np.int64)
    prices = np.zeros((len(groups), blocks), dtype=np.int64)
    service = np.full((len(groups), max(1, len(sizes))), -1, dtype=np.int64)
    for g, cr in enumerate(groups):
        for b, block in enumerate(cr.water_blocks):
            bounds[g, b] = -1 if block.up_to is None else _scaled(block.up_to, k)
            prices[g, b] = _scaled(block.price, kp)
        for s, size in enumerate(sizes):
            if size in cr.water_service_charge:
                service[g, s] = _scaled(cr.water_service_charge[size], kp)
    return RateTables(k, kp, basis_days, bounds, prices, service,
                      np.array([_scaled(cr.wastewater_service_charge, kp) for cr in groups], dtype=np.int64),
                      np.array([_scaled(cr.wastewater_volume_price, kp) for cr in groups], dtype=np.int64))


def _cents(qty_num: np.ndarray, price: np.ndarray, den: int) -> np.ndarray:
    """(qty_num x price / den) dollars in cents, rounded half away from zero (non-negative)."""
    g = gcd(200, den)
    a, d = 200 // g, den // g
    top = int(qty_num.max(initial=0)) * int(price.max(initial=0)) * a + d
    if top >= INT64_SAFE:
        qty_num, price = qty_num.astype(object), price.astype(object)
    return (qty_num * price * a + d) // (2 * d)


@dataclass
class PricedColumns:
    """Per-row results of the pricing kernel; quantities in units of 1/Q, amounts in cents."""

    block_qty: list[np.ndarray]
    block_cents: list[np.ndarray]
    service_cents: np.ndarray
    ww_service_cents: np.ndarray
    ww_qty: np.ndarray
    ww_cents: np.ndarray


def price_columns(t: RateTables, group: np.ndarray, size: np.ndarray, fnum: np.ndarray,
                  units: np.ndarray, cap: np.ndarray, capped: np.ndarray) -> PricedColumns:
    """Price whole columns: `fnum` is the scale factor x basis_days (months x 30 or days),
    `units` whole units, `cap` the winter average x 10^k where `capped`."""
    q = t.q
    top = max(int(units.max(initial=0)) * q, int(t.bounds.max(initial=0)), int(np.abs(cap).max(initial=0)))
    if top * int(fnum.max(initial=0)) >= INT64_SAFE:
        units, fnum, cap = units.astype(object), fnum.astype(object), cap.astype(object)
    u = units * q
    den = q * 10**t.kp
    lower = np.zeros_like(u)
    bq, bc = [], []
    for b in range(t.bounds.shape[1]):
        bound = t.bounds[group, b]
        upper = np.where(bound < 0, u, bound * fnum)
        in_block = np.maximum(np.minimum(u, upper) - lower, 0)
        bq.append(in_block)
        bc.append(_cents(in_block, t.prices[group, b], den))
        lower = np.maximum(lower, upper)
    ww = np.where(capped, np.minimum(u, cap * fnum), u)
    return PricedColumns(
        bq, bc,
        _cents(fnum, t.service[group, size], t.basis_days * 10**t.kp),
        _cents(fnum, t.ww_service[group], t.basis_days * 10**t.kp),
        ww, _cents(ww, t.ww_price[group], den))
