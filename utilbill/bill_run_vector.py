"""The bill run's vectorized exact path: whole columns of bills priced in integer arithmetic.

A cycle run prices 100,000 bills; the reference loop (utilbill.billing, one account at a time
through exact fractions) is the truth but too slow for that (design.md §9). This module
computes the same bills (domain §1-§3: blocks scaled by months or days/30, service charges
by meter size, the winter-average cap, each line rounded once half away from zero) on numpy
columns, and returns ComputedBill objects equal to the reference's, line for line.

Estimated reads and readings below the previous one first go through the consumption rules
of utilbill.consumption row by row (they are few), then are priced on the columns with the
rest. Rows go back to the reference whole, one by one, when it would make a Finding of them
(no history to estimate from, an implausible rollover, a read not after the previous one),
when the period spans a rate change (split by days), and when the rate book or policy does
not cover the row (the reference raises the same error). Identical lines, priced bills and
periods are built once and shared: they are immutable, and building half a million line
objects is what would cost the time.

This module chooses the rows and runs the path; the integer arithmetic (and why it is
exact) is utilbill.column_pricing's, the bill lines and their sharing utilbill.column_bills'.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import chain, compress, repeat
from operator import attrgetter

import numpy as np

from .billing import ComputedBill, winter_for
from .column_bills import (  # noqa: F401  (_Lines stays importable from here)
    _assemble, _distinct_rows, _index, _Lines, _picker)
from .column_pricing import (  # noqa: F401  (tests and bench/ import the kernel from here)
    INT64_SAFE, PricedColumns, RateTables, _cents, _places, _scaled, price_columns, rate_tables)
from .config import Policy
from .consumption import PastUsage, average_daily_units, consumption, estimate_units
from .due_dates import due_date
from .findings import Finding
from .periods import ServicePeriod, is_regular, scale_factor
from .rates import ClassRates, RateBook, normalize_meter_size
from .winter_average import WinterAverage, season_year_for, winter_average

_END = attrgetter("end")


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
