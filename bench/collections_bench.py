"""Benchmark: the notice run and the turn-off list over N accounts with 24 months of history.

Usage: .venv/bin/python bench/collections_bench.py [ACCOUNTS] [KEEP_DIR]   (default 100000)

With KEEP_DIR the built store is kept there and reused by later runs (each run works on a
copy, so it always starts without notices).

Builds a throw-away store with raw postings (a bill and a payment a month; about 6% of the
accounts stop paying three months before the run date), then times issue_notices and
turnoff_list. Prints seconds; asserts nothing (benchmarks live apart from tests).
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta
from sqlalchemy import insert

from utilbill.collections_jobs import issue_notices, turnoff_list
from utilbill.home import Utility, init_folder
from utilbill.store import schema
from utilbill.store.db import now_iso


def build(u, n: int, as_of: date) -> None:
    rng = random.Random(7)
    now = now_iso()
    start = as_of - relativedelta(months=24)
    with u.store.write() as conn:
        conn.execute(insert(schema.accounts), [dict(
            account_no=f"{i:07d}", premise_id=f"{i:07d}", account_class="residential" if i % 10 else "commercial",
            status="active", customer_name=f"Customer {i}", customer_role="owner", service_address=f"{i} Elm St",
            mailing_address=f"{i} Elm St", meter_size="5/8", service_start=start, flags="", cash_only=False,
            notice_delivery="mail", created_at=now) for i in range(n)])
        rows = []
        for i in range(n):
            late = rng.random() < 0.06
            for m in range(24):
                d = start + relativedelta(months=m)
                cents = rng.randint(4000, 12000)
                rows.append(dict(account_no=f"{i:07d}", effective_date=d, posted_at=now, kind="bill",
                                 amount_cents=cents, due_date=d + relativedelta(days=21), clerk="bench",
                                 parts=f'{{"water": {cents}}}'))
                if not (late and m >= 21):
                    rows.append(dict(account_no=f"{i:07d}", effective_date=d + relativedelta(days=15), posted_at=now,
                                     kind="payment", amount_cents=-cents, due_date=None, clerk="bench", parts=None))
            if len(rows) > 200_000:
                conn.execute(insert(schema.postings), rows)
                rows = []
        if rows:
            conn.execute(insert(schema.postings), rows)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    as_of = date(2026, 11, 2)
    keep = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        built = keep or Path(tmp) / "built"
        if not (built / "utility.yaml").exists():
            t = time.perf_counter()
            build(init_folder(built), n, as_of)
            print(f"built {n} accounts in {time.perf_counter() - t:.1f} s")
        work = Path(tmp) / "work"
        shutil.copytree(built, work)  # every timed run starts from the same store, without notices
        u = Utility(work)
        _ = u.policy, u.store  # open before timing
        t = time.perf_counter()
        run = issue_notices(u, as_of)
        t1 = time.perf_counter() - t
        t = time.perf_counter()
        tl = turnoff_list(u, as_of + relativedelta(days=14))
        t2 = time.perf_counter() - t
        print(f"notices: {run.new_count} issued in {t1:.2f} s; turn-off list: {len(tl.included)} on, "
              f"{len(tl.excluded)} left out in {t2:.2f} s; total {t1 + t2:.2f} s")


if __name__ == "__main__":
    main()
