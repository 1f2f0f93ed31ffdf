"""Case 4: worksheet functions per call, called directly (as classic xlwings calls them, with
Excel's floats and datetimes) and through xlwings Server's `custom_functions_call` (as
Office.js calls them: every argument a 2-D list, dates as serial numbers), in one event
loop so the loop's start-up is not counted.

PRORATE and ARRANGEMENT_SCHEDULE compute from their arguments; PAYOFF_AS_OF reads an
account's postings from the generated utility's store (UTILBILL_HOME points at it) and
prices the payoff through the engine's payoff job, for a different account each call.
The first call of each function is made before the clock (the utility folder is opened
once per process, as in Excel).
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from datetime import datetime

from bench import data
from bench.timing import per_call

TITLE = "Worksheet functions per call"
SIZES = {"full": [10_000, 100_000], "quick": [10_000]}
DIRECT_TARGET_US = 50.0
PAYOFF_TARGET_MS = 50.0
CALLS = {"prorate": 1000, "arrangement_schedule": 300, "payoff_as_of": 15}


def prepare(size: int, ctx) -> None:
    data.ensure_store(size)


def _accounts(size: int, n: int) -> list[str]:
    import sqlite3

    con = sqlite3.connect(f"file:{data.store_dir(size) / 'utilbill.db'}?mode=ro", uri=True)
    numbers = [a for (a,) in con.execute("SELECT account_no FROM accounts ORDER BY account_no")]
    con.close()
    return random.Random(7).sample(numbers, min(n, len(numbers)))


def run_direct(size: int, ctx) -> dict:
    os.environ["UTILBILL_HOME"] = str(data.store_dir(size))
    from udfs.billing import payoff_as_of, prorate
    from udfs.collections import arrangement_schedule

    first_due = datetime(2026, 12, 15)
    as_of = datetime(data.DAY.year, data.DAY.month, data.DAY.day)
    accounts = iter(_accounts(size, CALLS["payoff_as_of"] * 6 + 1) * 2)
    t = time.perf_counter()
    out = {"prorate": per_call(lambda: prorate(62.4, 17.0, 30.0), CALLS["prorate"]),
           "arrangement_schedule": per_call(lambda: arrangement_schedule(300.0, 60.0, 6.0, first_due),
                                            CALLS["arrangement_schedule"]),
           "payoff_as_of": per_call(lambda: payoff_as_of(next(accounts), as_of), CALLS["payoff_as_of"])}
    sample = {"prorate": prorate(62.4, 17.0, 30.0), "arrangement_rows": len(arrangement_schedule(300.0, 60.0, 6.0, first_due)),
              "payoff": payoff_as_of(next(accounts), as_of)}
    return {"seconds": time.perf_counter() - t, "per_call_us": out, "info": {"sample_results": sample}}


def run_office(size: int, ctx) -> dict:
    os.environ["UTILBILL_HOME"] = str(data.store_dir(size))
    sys.path.insert(0, str(data.ROOT / "tests"))
    import xlwings_harness as h

    first_due = datetime(2026, 12, 15).date()
    accounts = iter(_accounts(size, CALLS["payoff_as_of"] * 6 + 1) * 2)

    async def timed(name, make_args, calls, rounds=5):
        await h.call_udf_async(name, make_args())  # warm
        us = []
        for _ in range(rounds):
            t = time.perf_counter()
            for _ in range(calls):
                await h.call_udf_async(name, make_args())
            us.append((time.perf_counter() - t) / calls * 1e6)
        us.sort()
        return {"median": round(us[len(us) // 2], 2), "min": round(us[0], 2), "max": round(us[-1], 2),
                "calls": calls * rounds}

    async def main():
        return {"prorate": await timed("PRORATE", lambda: [62.4, 17, 30], CALLS["prorate"]),
                "arrangement_schedule": await timed("ARRANGEMENT_SCHEDULE", lambda: [300, 60, 6, first_due],
                                                    CALLS["arrangement_schedule"]),
                "payoff_as_of": await timed("PAYOFF_AS_OF", lambda: [next(accounts), data.DAY],
                                            CALLS["payoff_as_of"])}

    t = time.perf_counter()
    out = asyncio.run(main())
    sample = h.plain(h.call_udf("PRORATE", [62.4, 17, 30]))
    return {"seconds": time.perf_counter() - t, "per_call_us": out, "info": {"sample_prorate": sample}}


VARIANTS = {"direct": run_direct, "custom_functions_call": run_office}


def ratios(stats: dict, size: int, others: dict) -> list[dict]:
    out = []
    d = stats.get("direct", {}).get("per_call_us", {})
    o = stats.get("custom_functions_call", {}).get("per_call_us", {})
    for name in ("prorate", "arrangement_schedule"):
        if name in d:
            v = d[name]["median"]
            out.append({"name": f"{name.upper()} direct, us per call", "value": v, "target": f"< {DIRECT_TARGET_US:.0f}",
                        "met": v < DIRECT_TARGET_US})
        if name in o:
            out.append({"name": f"{name.upper()} through custom_functions_call, us per call",
                        "value": o[name]["median"], "target": "", "met": None})
    for label, src in (("direct", d), ("through custom_functions_call", o)):
        if "payoff_as_of" in src:
            v = src["payoff_as_of"]["median"] / 1000
            out.append({"name": f"PAYOFF_AS_OF {label}, ms per call ({size:,} accounts, 24 months)",
                        "value": round(v, 2), "target": f"< {PAYOFF_TARGET_MS:.0f}", "met": v < PAYOFF_TARGET_MS})
    return out
