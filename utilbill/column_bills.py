"""The vector bill run's bills: ComputedBill objects from priced columns, each distinct line,
set of lines, period and priced bill built once and shared.

Why it exists: the bills of a cycle run repeat the same lines again and again, and building
half a million line objects is what would cost the time. `_index`, `_distinct_rows`
and `_picker` find the distinct combinations of integer columns and spread per-combination
results back to the rows (utilbill.bill_run_vector groups its rows with them too); `_Lines`
words each distinct BillLine once, as utilbill.pricing words it; `_assemble` builds the
ComputedBill objects, equal to the reference's line for line (they are immutable, so shared).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING

import numpy as np

from .billing import ComputedBill
from .column_pricing import INT64_SAFE, PricedColumns, RateTables, _scaled
from .money import from_cents
from .pricing import BillLine, PricedBill, _fmt, qty
from .rates import ClassRates

if TYPE_CHECKING:
    from .bill_run_vector import _Eligible


class _Lines:
    """Builds each distinct BillLine once, worded as utilbill.pricing words it."""

    def __init__(self, groups: Sequence[ClassRates], t: RateTables, months: Sequence[int]):
        self.groups, self.t, self.months = groups, t, months
        self.cache: dict = {}
        self.fmt_cache: dict[int, str] = {}
        self.qty_cache: dict[int, Decimal] = {}
        self.units_cache: dict[int, Decimal] = {}
        self.money_cache: dict[int, Decimal] = {}

    def qty(self, n: int) -> Decimal:
        """n / Q shown to 9 places, as pricing.qty shows it."""
        d = self.qty_cache.get(n)
        if d is None:
            d = self.qty_cache[n] = qty(Fraction(n, self.t.q))
        return d

    def decimal(self, units: int) -> Decimal:
        d = self.units_cache.get(units)
        if d is None:
            d = self.units_cache[units] = Decimal(units)
        return d

    def money(self, cents: int) -> Decimal:
        d = self.money_cache.get(cents)
        if d is None:
            d = self.money_cache[cents] = from_cents(cents)
        return d

    def fmt(self, n: int) -> str:
        s = self.fmt_cache.get(n)
        if s is None:
            s = self.fmt_cache[n] = _fmt(Fraction(n, self.t.q))
        return s

    def words(self, g: int, regular: bool, fnum: int) -> str:
        return f"{self.months[g]} months" if regular else f"{fnum}/{self.t.basis_days} of a month"

    def block(self, g, b, regular, fnum, n, cents):
        key = ("b", g, b, regular, fnum, n)
        line = self.cache.get(key)
        if line is None:
            block = self.groups[g].water_blocks[b]
            bound = int(self.t.bounds[g, b])
            lower = 0 if b == 0 else int(self.t.bounds[g, b - 1]) * fnum
            bound_txt = (f"{self.fmt(lower)}-{self.fmt(bound * fnum)} units" if bound >= 0
                         else f"over {self.fmt(lower)} units")
            tail = (f"monthly bound {block.up_to} x {self.words(g, regular, fnum)})" if block.up_to is not None
                    else "no upper bound)")
            line = self.cache[key] = BillLine(
                f"water_block_{b + 1}", f"Water, block {b + 1}", "water", self.qty(n), block.price,
                self.money(cents), f"{self.fmt(n)} units x ${block.price} (block {b + 1}: {bound_txt}; " + tail)
        return line

    def service(self, g, size_name, regular, fnum, cents, ww: bool):
        key = ("w" if ww else "s", g, size_name, regular, fnum)
        line = self.cache.get(key)
        if line is None:
            cr = self.groups[g]
            charge = cr.wastewater_service_charge if ww else cr.service_charge(size_name)
            args = (("wastewater_service", "Wastewater service charge", "wastewater") if ww else
                    ("water_service", f'Water service charge, {size_name}" meter', "water"))
            line = self.cache[key] = BillLine(
                *args, self.qty(fnum * 10**self.t.k), charge, self.money(cents),
                f"${charge} per month x {self.words(g, regular, fnum)}")
        return line

    def wastewater(self, g, regular, fnum, u, n, winter: Decimal | None, cents):
        key = ("v", g, regular, fnum, u, n, None if winter is None else str(winter))
        line = self.cache.get(key)
        if line is None:
            cr = self.groups[g]
            if winter is not None:
                cap = _scaled(winter, self.t.k) * fnum
                basis = (f"lesser of {self.fmt(u)} water units and winter average {winter} x "
                         f"{self.words(g, regular, fnum)} = {self.fmt(cap)}")
            else:
                basis = f"all {self.fmt(u)} water units"
            line = self.cache[key] = BillLine(
                "wastewater_volume", "Wastewater volume", "wastewater", self.qty(n),
                cr.wastewater_volume_price, self.money(cents),
                f"{self.fmt(n)} units x ${cr.wastewater_volume_price} ({basis})")
        return line


def _index(values: list) -> tuple[np.ndarray, list]:
    """Codes for a list of hashable values, and the distinct values in code order."""
    distinct = list(dict.fromkeys(values))
    codes = {v: i for i, v in enumerate(distinct)}
    return np.fromiter(map(codes.__getitem__, values), np.int64, len(values)), distinct


def _distinct_rows(*cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct combination of the integer columns, each row's combination)."""
    n = len(cols[0])
    key = np.zeros(n, dtype=np.int64)
    if n == 0:
        return key, key
    for c in cols:
        c = c.astype(np.int64) - int(c.min())
        if int(c.max()) >= n:
            c = np.unique(c, return_inverse=True)[1].reshape(-1).astype(np.int64)
        radix = int(c.max()) + 1
        if (int(key.max()) + 1) * radix >= INT64_SAFE:
            key = np.unique(key, return_inverse=True)[1].reshape(-1).astype(np.int64)
        key = key * radix + c
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def _assemble(columns: dict, g, size, regular, fnum, units, wcode, wdec, winters, pc: PricedColumns,
              t: RateTables, el: _Eligible, period_code, periods: list, bill_date, due) -> list[ComputedBill]:
    """ComputedBill objects for the vector rows; each distinct line, set of lines, period and
    priced bill is built once and shared (they are immutable)."""
    q = t.q
    first, combo = _distinct_rows(g, size, regular, fnum, units, wcode)
    lines = _Lines(el.groups, t, el.months)
    at = lambda column: column[first].tolist()  # the columns at each combination's first row
    bq, bc = [at(c) for c in pc.block_qty], [at(c) for c in pc.block_cents]
    per_combo = []
    for r, (gi, si, reg, fn, u, wc, sc, wsc, ww, wwc) in enumerate(zip(
            at(g), at(size), at(regular), at(fnum), at(units), at(wcode), at(pc.service_cents),
            at(pc.ww_service_cents), at(pc.ww_qty), at(pc.ww_cents))):
        out = [lines.block(gi, b, reg, fn, bq[b][r], bc[b][r]) for b in range(len(bq)) if bq[b][r] > 0]
        out.append(lines.service(gi, el.sizes[si], reg, fn, sc, False))
        out.append(lines.service(gi, None, reg, fn, wsc, True))
        if ww > 0:
            out.append(lines.wastewater(gi, reg, fn, u * q, ww, wdec[wc], wwc))
        per_combo.append((tuple(out), lines.decimal(u), reg, lines.qty(fn * 10**t.k), lines.qty(ww)))
    # one PricedBill per distinct (lines, period)
    pfirst, pcode = _distinct_rows(combo, period_code)
    priced = []
    for r in pfirst.tolist():
        ls, u_dec, reg, months_q, ww_q = per_combo[int(combo[r])]
        priced.append(PricedBill(periods[int(period_code[r])], u_dec, reg, months_q, ww_q, ls))
    n = len(g)
    pick = _picker(pcode.tolist())
    return list(map(ComputedBill, columns["account_no"], columns["kind"], repeat(bill_date, n), repeat(due, n),
                    pick([p.period for p in priced]), columns["previous_reading"], columns["reading"],
                    pick([p.units for p in priced]), columns.get("estimated", repeat(False, n)),
                    columns.get("rollover", repeat(False, n)), pick([p.regular for p in priced]), winters,
                    pick(priced), columns.get("estimate_basis", repeat("", n))))


def _picker(indices: list[int]):
    """A function taking a list to the list of its items at `indices` (in C, via itemgetter)."""
    if len(indices) == 1:
        return lambda values: [values[indices[0]]]
    get = itemgetter(*indices)
    return lambda values: list(get(values))
