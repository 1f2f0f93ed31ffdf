"""The bill run's vectorized exact path: whole columns of bills priced in integer arithmetic.

A cycle run prices 100,000 bills; the reference loop (utilbill.billing, one account at a time
through exact fractions) is the truth but too slow for that (design.md §9). This module
computes the same bills (domain §1-§3: blocks scaled by months or days/30, service charges
by meter size, the winter-average cap, each line rounded once half away from zero) on numpy
columns, and returns ComputedBill objects equal to the reference's, line for line.

Exactness: in one run every quantity is a whole multiple of 1/Q, Q = basis_days x 10^k (k =
the most decimals of any block bound or winter average), so units, block bounds, block
shares and the wastewater cap are integer columns in units of 1/Q; a line's amount in cents
is the integer `(quantity x price x a + d) // 2d` (half away from zero), never a float.
Columns that could overflow int64 switch to Python integers (object arrays).

Estimated reads and readings below the previous one first go through the consumption rules
of utilbill.consumption row by row (they are few), then are priced on the columns with the
rest. Rows go back to the reference whole, one by one, when it would make a Finding of them
(no history to estimate from, an implausible rollover, a read not after the previous one),
when the period spans a rate change (split by days), and when the rate book or policy does
not cover the row (the reference raises the same error). Identical lines, priced bills and
periods are built once and shared: they are immutable, and building half a million line
objects is what would cost the time.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import chain, compress, repeat
from math import gcd
from operator import attrgetter, itemgetter

import numpy as np

from .billing import ComputedBill, winter_for
from .config import Policy
from .consumption import PastUsage, average_daily_units, consumption, estimate_units
from .due_dates import due_date
from .findings import Finding
from .money import from_cents
from .periods import ServicePeriod, is_regular, scale_factor
from .pricing import BillLine, PricedBill, _fmt, qty
from .rates import ClassRates, RateBook, normalize_meter_size
from .winter_average import WinterAverage, season_year_for, winter_average

INT64_SAFE = 2**62
_END = attrgetter("end")


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


def bulk_winter_averages(requests: Sequence, rows: np.ndarray, starts: list[date], policy: Policy) -> list[WinterAverage]:
    """utilbill.winter_average for many requests at once: the history is flattened into columns,
    the winter bills of each row's season picked with numpy, and each distinct (units, days,
    season) computed once by winter_average itself."""
    if len(rows) == 0:
        return []
    bp = policy.billing
    rc = bp.winter_average_recompute
    hists = [requests[i].history for i in rows.tolist()]
    counts = np.fromiter(map(len, hists), np.int64, len(hists))
    flat: list[PastUsage] = list(chain.from_iterable(hists))
    s_code, s_dates = _index([starts[i] for i in rows.tolist()])
    season = np.array([season_year_for(d, bp) for d in s_dates], dtype=np.int64)[s_code]
    owner = np.repeat(np.arange(len(hists)), counts)
    # every day of the winter months of the seasons in play -> its year; other days -> 0
    winter_days: dict[date, int] = {}
    for year in set(season.tolist()):
        for month in bp.winter_months:
            day = date(year, month, 1)
            while day.month == month:
                winter_days[day] = year
                day += timedelta(days=1)
    end_year = np.fromiter(map(winter_days.get, map(_END, flat), repeat(0)), np.int64, len(flat))
    # the winter bills of each row's season, then their lengths (only those are looked at)
    pick = np.flatnonzero(end_year == season[owner])
    picked = [flat[e] for e in pick.tolist()]
    days = np.fromiter((h.end.toordinal() - h.start.toordinal() for h in picked), np.int64, len(picked))
    keep = days > 0
    pick, days, picked = pick[keep], days[keep], list(compress(picked, keep.tolist()))
    who = owner[pick]
    day_sums = np.bincount(who, weights=days, minlength=len(hists)).astype(np.int64)
    # units summed as winter_average sums them (Decimal); a row with one winter bill needs no sum
    units_of: list = [None] * len(hists)
    many = (np.bincount(who, minlength=len(hists)) > 1).tolist()
    for r, h in zip(who.tolist(), picked):
        u = h.units if type(h.units) is Decimal else Decimal(h.units)
        units_of[r] = u if units_of[r] is None or not many[r] else units_of[r] + u
    ucode, _ = _index(list(map(str, units_of)))
    first, which = _distinct_rows(ucode, day_sums, season)
    distinct = []
    for r in first.tolist():
        units, n_days, year = units_of[r], int(day_sums[r]), int(season[r])
        on = date(year, rc.month, rc.day)
        end = date(year, min(bp.winter_months), 1)
        if n_days == 0:
            distinct.append(winter_average((), on, bp))
        elif n_days < end.toordinal():  # one bill of the same units and days gives the same average
            distinct.append(winter_average((PastUsage(end - timedelta(days=n_days), end, units),), on, bp))
        else:  # more winter days than the calendar holds before it: let the rule read the history
            distinct.append(winter_average(hists[r], starts[int(rows[r])], bp))
    return _picker(which.tolist())(distinct)


@dataclass
class _Eligible:
    """Which rows the vector path can price, and their rate group and meter size."""

    ok: np.ndarray
    group: np.ndarray
    size: np.ndarray
    groups: list[ClassRates]
    months: list[int]
    sizes: list[str]


def _eligible(accounts, kinds, start, end, policy: Policy, rates: RateBook) -> _Eligible:
    """Rows within one rate schedule whose class, billing frequency and meter size the
    configuration covers (the reference raises on the others, so they go to it)."""
    n = len(accounts)
    eff = np.array([s.effective.toordinal() for s in rates.schedules], dtype=np.int64)
    sched = np.searchsorted(eff, start, "right") - 1
    ok = (end > start) & (sched >= 0) & (np.searchsorted(eff, end, "left") - 1 == sched)
    ok &= np.fromiter((isinstance(k, str) and k != "" for k in kinds), bool, n)
    ccode, classes = _index([a.account_class for a in accounts])
    zcode, raw_sizes = _index([a.meter_size for a in accounts])
    sizes: list[str] = []
    size_of = np.full(len(raw_sizes), -1, dtype=np.int64)
    for i, raw in enumerate(raw_sizes):
        try:
            name = normalize_meter_size(raw)
        except ValueError:
            continue
        if name not in sizes:
            sizes.append(name)
        size_of[i] = sizes.index(name)
    size = size_of[zcode]
    ok &= size >= 0
    gcode, gvals = _index(np.where(ok, sched * len(classes) + ccode, -1).tolist())
    groups, months = [], []
    group_of = np.full(len(gvals), -1, dtype=np.int64)
    for i, gk in enumerate(gvals):
        s, c = divmod(gk, len(classes))
        try:
            cr = rates.schedules[s].for_class(classes[c])
            mpb = policy.billing.months_per_bill(classes[c])
            policy.billing.regular_window_days[mpb]
        except (KeyError, IndexError):
            continue
        if gk >= 0:
            group_of[i] = len(groups)
            groups.append(cr)
            months.append(mpb)
    group = group_of[gcode]
    charged = np.array([[z in cr.water_service_charge for z in sizes] for cr in groups] or [[False]], dtype=bool)
    ok &= (group >= 0) & charged[np.maximum(group, 0), np.maximum(size, 0)]
    return _Eligible(ok, group, size, groups, months, sizes)


def _consume(q, policy: Policy):
    """bill_from_read's consumption step for an estimate or a reading below the previous one:
    (units, reading, rollover, estimated, estimate basis), or None when the reference makes a
    Finding of it."""
    bp = policy.billing
    start, end = q.previous_read_date, q.read_date
    if q.reading is None:
        units, basis = estimate_units(q.history, start, end, bp)
        if units is None:
            return None
        u = int(units)
        reading = q.previous_reading + u
        if q.account.meter_dials:
            reading %= 10**q.account.meter_dials
        return u, reading, False, True, basis
    avg = average_daily_units(q.history, start, bp.estimate_lookback_days)
    c = consumption(q.previous_reading, q.reading, dials=q.account.meter_dials,
                    expected_units=avg * (end - start).days if avg is not None else None, policy=bp)
    return None if c.units is None else (c.units, q.reading, c.rollover, False, "")


def compute_vector(requests: Sequence, policy: Policy, rates: RateBook, bill_date: date,
                   *, source: str = "", sheet: str = "") -> tuple[list[ComputedBill], list[Finding]]:
    """The same bills and Findings as utilbill.bill_run.compute_reference, on columns.

    The cyclic garbage collector is paused meanwhile: the run allocates some 10^5 objects that
    hold no reference cycles, and collections triggered by them would walk the whole heap
    (the requests' histories) again and again (about a fifth of the time for 100,000 bills)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _compute_vector(requests, policy, rates, bill_date, source=source, sheet=sheet)
    finally:
        if was_enabled:
            gc.enable()


def _compute_vector(requests, policy: Policy, rates: RateBook, bill_date: date, *, source: str, sheet: str):
    from .bill_run import compute_reference

    n = len(requests)
    if n == 0:
        return [], []
    bp = policy.billing
    B = bp.irregular_basis_days
    accounts = [q.account for q in requests]
    prevs = [q.previous_reading for q in requests]
    reads = [q.reading for q in requests]
    p_dates = [q.previous_read_date for q in requests]
    kinds = [q.kind for q in requests]
    dcode, dvals = _index(p_dates + [q.read_date for q in requests])
    dord = np.array([d.toordinal() for d in dvals], dtype=np.int64)
    start, end = dord[dcode[:n]], dord[dcode[n:]]
    el = _eligible(accounts, kinds, start, end, policy, rates)
    # plain reads (reading >= previous) price straight away; estimates and lower readings go
    # through the consumption rules first, row by row (they are few)
    plain = np.fromiter((type(p) is int and type(r) is int and 0 <= r - p < INT64_SAFE
                         for p, r in zip(prevs, reads)), bool, n)
    ok = el.ok & plain
    units = np.zeros(n, dtype=np.int64)
    units[ok] = [reads[i] - prevs[i] for i in np.flatnonzero(ok).tolist()]
    special: dict[int, tuple] = {}
    for i in np.flatnonzero(el.ok & ~plain).tolist():
        if type(prevs[i]) is int and (reads[i] is None or type(reads[i]) is int):
            c = _consume(requests[i], policy)
            if c is not None and 0 <= c[0] < INT64_SAFE:
                special[i] = c
                units[i] = c[0]
                ok[i] = True
    vec = np.flatnonzero(ok)
    bills: list = [None] * n
    if len(vec):
        g, days = el.group[vec], (end - start)[vec]
        mpb = np.array(el.months, dtype=np.int64)[g]
        # regular or not, and the scale factor x basis days, per distinct (kind, days, months)
        kcode, kvals = _index(kinds)
        first, rk = _distinct_rows(kcode[vec], days, mpb)
        reg_v, fnum_v = [], []
        for r in first.tolist():
            regular = is_regular(kvals[kcode[vec[r]]], int(days[r]), int(mpb[r]), bp.regular_window_days)
            reg_v.append(regular)
            fnum_v.append(int(scale_factor(regular, int(days[r]), int(mpb[r]), B) * B))
        regular, fnum = np.array(reg_v, dtype=bool)[rk], np.array(fnum_v, dtype=np.int64)[rk]
        # winter averages: overrides through winter_for, the rest in bulk
        capped = np.array([cr.wastewater_cap == "winter_average" for cr in el.groups], dtype=bool)[g]
        override = np.fromiter((accounts[i].winter_average_override is not None for i in vec.tolist()), bool, len(vec))
        winters: list = [None] * len(vec)
        bulk = np.flatnonzero(capped & ~override)
        for j, w in zip(bulk.tolist(), bulk_winter_averages(requests, vec[bulk], p_dates, policy)):
            winters[j] = w
        for j in np.flatnonzero(capped & override).tolist():
            i = int(vec[j])
            winters[j] = winter_for(accounts[i], requests[i].history, p_dates[i], policy, rates)
        wcode, wvals = _index([None if w is None else str(w.units_per_month) for w in winters])
        wdec = [None if s is None else Decimal(s) for s in wvals]
        t = rate_tables(el.groups, el.sizes, B, max([0] + [_places(w) for w in wdec if w is not None]))
        cap = np.array([0 if w is None else _scaled(w, t.k) for w in wdec], dtype=np.int64)[wcode]
        pc = price_columns(t, g, el.size[vec], fnum, units[vec], cap, capped)
        pfirst, period_code = _distinct_rows(dcode[:n][vec], dcode[n:][vec])
        periods = [ServicePeriod(p_dates[i], requests[i].read_date) for i in vec[pfirst].tolist()]
        take = (lambda values: values) if len(vec) == n else _picker(vec.tolist())
        columns = {"account_no": take([a.account_no for a in accounts]), "kind": take(kinds),
                   "previous_reading": take(prevs), "reading": take(reads)}
        if special:
            flags = [special.get(i) for i in vec.tolist()]
            columns["reading"] = [r if f is None else f[1] for r, f in zip(columns["reading"], flags)]
            for key, at, default in (("rollover", 2, False), ("estimated", 3, False), ("estimate_basis", 4, "")):
                columns[key] = [default if f is None else f[at] for f in flags]
        bills_vec = _assemble(columns, g, el.size[vec], regular, fnum, units[vec], wcode, wdec, winters, pc, t,
                              el, period_code, periods, bill_date, due_date(bill_date, bp, policy.calendar))
        if len(vec) == n:
            return bills_vec, []
        for i, b in zip(vec.tolist(), bills_vec):
            bills[i] = b
    findings: list[Finding] = []
    for i in np.flatnonzero(~ok).tolist():
        b, f = compute_reference([requests[i]], policy, rates, bill_date, source=source, sheet=sheet)
        bills[i] = b[0] if b else None
        findings.extend(f)
    return [b for b in bills if b is not None], findings


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
