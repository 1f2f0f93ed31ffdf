"""Measure the vectorized exact bill run (utilbill.bill_run_vector); prints, never asserts.

1. compute_vector vs compute_reference on a typical cycle (regular bills, one schedule, no
   rollover; residential bimonthly with winter histories, commercial monthly).
2. The pricing kernel (price_columns) on 1,000,000 rows vs a bare numpy int64-cents kernel
   hard-coded for the same rates and the same arithmetic.

Run: .venv/bin/python bench/bill_arithmetic.py [accounts] [kernel_rows]
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from utilbill.accounts import Account
from utilbill.bill_run import BillRequest, compute_reference
from utilbill.bill_run_vector import compute_vector, price_columns, rate_tables
from utilbill.config import example_policy
from utilbill.consumption import PastUsage
from utilbill.rates import example_rates

POLICY, RATES = example_policy(), example_rates()
BILL_DATE = date(2026, 5, 5)


def cycle(n: int, seed: int = 1) -> list[BillRequest]:
    rng = random.Random(seed)
    read_date = date(2026, 5, 4)
    out = []
    for i in range(n):
        cls = "residential" if rng.random() < 0.9 else "commercial"
        days, entries = (61, 8) if cls == "residential" else (30, 16)
        start = read_date - timedelta(days=days)
        a = Account(f"{i:07d}", f"P{i}", cls, "active", "N", "owner", "s", "m",
                    rng.choice(["5/8", "5/8", "5/8", "3/4", "1", "2"]), date(2015, 1, 1), meter_dials=6)
        hist, end = [], start
        for _ in range(entries):
            hist.append(PastUsage(end - timedelta(days=days), end, Decimal(rng.randint(0, 40))))
            end -= timedelta(days=days)
        prev = rng.randint(0, 900_000)
        out.append(BillRequest(i + 2, a, start, prev, read_date, prev + rng.randint(0, 80), tuple(reversed(hist)),
                               "regular"))
    return out


def timed(fn, *a, repeat=3):
    """(best wall seconds, best CPU seconds, result) over `repeat` runs; CPU time is the figure
    to read on a shared, loaded machine."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        r = fn(*a)
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return wall, cpu, r


def bare_kernel(cls, fnum, units, cap, capped, size_charge):
    """Hard-coded example rates, Q = 3000 (30 days x 100), prices in mills: int64 only."""
    u = units * 3000
    res = cls == 0
    b1 = np.minimum(u, np.where(res, 800 * fnum, u))
    b2 = np.where(res, np.clip(u - 800 * fnum, 0, 1500 * fnum), 0)
    b3 = np.where(res, np.maximum(u - 2300 * fnum, 0), 0)
    p1 = np.where(res, 1344, 1530)
    c1 = (b1 * p1 + 15000) // 30000
    c2 = (b2 * 1911 + 15000) // 30000
    c3 = (b3 * 2961 + 15000) // 30000
    sc = (fnum * size_charge + 15) // 30
    ws = (fnum * np.where(res, 950, 1900) + 15) // 30
    ww = np.where(capped, np.minimum(u, cap * fnum), u)
    wc = (ww * 3200 + 15000) // 30000
    return c1, c2, c3, sc, ws, wc


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    reqs = cycle(n)
    t_vec, cpu, (bills, _) = timed(compute_vector, reqs, POLICY, RATES, BILL_DATE, repeat=5)
    sample = reqs[:2000]
    _, t_ref, (ref, _) = timed(compute_reference, sample, POLICY, RATES, BILL_DATE, repeat=1)
    assert bills[:2000] == ref
    print(f"compute_vector, {n:,} requests: {cpu:.3f} s CPU, {t_vec:.3f} s wall (best of 5; {cpu / n * 1e6:.1f} us/bill)")
    print(f"compute_reference: {t_ref / len(sample) * 1e6:.0f} us/bill CPU -> {t_ref / len(sample) * n:.1f} s for {n:,}"
          f" (vector {t_ref / len(sample) * n / cpu:.0f}x faster)")
    # kernel
    rng = np.random.default_rng(3)
    res = [RATES.schedules[0].for_class(c) for c in ("residential", "commercial")]
    t = rate_tables(res, ["5/8", "3/4", "1", "2"], 30, extra_places=2)
    cls = (rng.random(rows) < 0.1).astype(np.int64)
    size = rng.integers(0, 4, rows)
    fnum = np.where(cls == 0, 60, 30).astype(np.int64)
    units = rng.integers(0, 80, rows)
    capped = cls == 0
    cap = np.where(capped, rng.integers(0, 3000, rows), 0)  # winter average x 100
    _, t_k, pc = timed(price_columns, t, cls, size, fnum, units, cap, capped, repeat=5)
    charge = np.array([850, 850, 1275, 3300])[size]  # monthly service charge in cents
    _, t_b, bare = timed(bare_kernel, cls, fnum, units, cap, capped, charge, repeat=5)
    assert np.array_equal(bare[0], pc.block_cents[0]) and np.array_equal(bare[1], pc.block_cents[1])
    assert np.array_equal(bare[2], pc.block_cents[2]) and np.array_equal(bare[5], pc.ww_cents)
    assert np.array_equal(bare[3], pc.service_cents) and np.array_equal(bare[4], pc.ww_service_cents)
    print(f"kernel on {rows:,} rows (CPU, best of 5): price_columns {t_k * 1e3:.1f} ms, bare int64 kernel {t_b * 1e3:.1f} ms"
          f" (ratio {t_k / t_b:.2f})")


if __name__ == "__main__":
    main()
