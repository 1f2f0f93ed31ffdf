"""Case 6: a heavy cash day. Payment batches (ten of them, mail and walk-in drawers) posted
with the clerk's job `post_payment_batch` (each checked and posted in one transaction),
then the day's figures (`cash_day`) and the daily cash workbook (`write_cash_workbook`):
the three together are the timed part. LibreOffice's recalculation of that workbook
(utilbill.recalc.convert, forced recalc, own profile) is timed after it and reported
alongside, outside the target.

The batches pay accounts of the generated utility that owe (several payments to one
account when there are more payments than owing accounts; every check number unique), with
the control count and total on top as a batch slip has them. 50,000 payments (quick: 10,000).
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import time
from decimal import Decimal

from bench import data

TITLE = "Heavy cash day: payment batches, daily figures, cash workbook"
SIZES = {"full": [10_000, 100_000], "quick": [10_000]}
TARGET = 10.0
BATCHES = 10


def payments_for(size: int) -> int:
    return 10_000 if size <= 10_000 and _quick() else 50_000


def _quick() -> bool:
    import os

    return os.environ.get("UTILBILL_BENCH_MODE") == "quick"


def batch_dir(size: int):
    return data.store_dir(size) / f"bench-cash-{payments_for(size)}"


def prepare(size: int, ctx) -> None:
    store = data.ensure_store(size)
    d = batch_dir(size)
    if (d / "batches.json").exists():
        return
    import sqlite3

    con = sqlite3.connect(f"file:{store / 'utilbill.db'}?mode=ro", uri=True)
    owing = [(a, b) for a, b in con.execute(
        "SELECT p.account_no, SUM(p.amount_cents) FROM postings p JOIN accounts a ON a.account_no = p.account_no "
        "WHERE a.cash_only = 0 GROUP BY p.account_no HAVING SUM(p.amount_cents) > 0 ORDER BY p.account_no")]
    con.close()
    rng = random.Random(size)
    n = payments_for(size)
    per = n // BATCHES
    d.mkdir(parents=True, exist_ok=True)
    files = []
    for b in range(BATCHES):
        drawer = f"DRAWER-{b % 2 + 1}" if b < 4 else None
        rows = []
        for k in range(per):
            acct, bal = owing[(b * per + k) % len(owing)]
            cents = max(100, min(bal, rng.randint(1500, 20000)))
            tender = rng.choice(["check", "check", "cash", "card"]) if drawer else "check"
            rows.append((acct, f"{Decimal(cents) / 100:.2f}", tender, f"{b}{k:06d}" if tender == "check" else ""))
        path = d / f"batch{b:02d}.csv"
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerows([["Control count", len(rows)],
                         ["Control total", str(sum((Decimal(r[1]) for r in rows), Decimal(0)))], [],
                         ["account", "amount", "tender", "check_no"]])
            w.writerows(rows)
        files.append({"file": path.name, "source": "walk-in" if drawer else "mail", "drawer": drawer})
    (d / "batches.json").write_text(json.dumps(files))


def run_cash(size: int, ctx) -> dict:
    from bench.timing import PhaseClock
    from utilbill.cash_day import cash_day
    from utilbill.cash_workbook import write_cash_workbook
    from utilbill.payments import post_payment_batch
    from utilbill.recalc import RecalcError, convert, libreoffice_available

    batches = json.loads((batch_dir(size) / "batches.json").read_text())
    work = data.scratch("cash")
    u = data.working_copy(data.store_dir(size), work)
    u.policy, u.store
    clock = PhaseClock()
    t = time.perf_counter()
    clock.mark("posting")
    posted = 0
    for b in batches:
        res = post_payment_batch(u, batch_dir(size) / b["file"], b["source"], batch_date=data.DAY,
                                 drawer=b["drawer"])
        if not res.posted:
            raise RuntimeError(f"batch {b['file']} was not posted: {[f.reason for f in res.findings[:3]]}")
        posted += len(res.items)
    clock.mark("figures")
    cd = cash_day(u, data.DAY)
    clock.mark("workbook")
    out = write_cash_workbook(cd, work / "output" / "cash.xlsx")
    seconds = time.perf_counter() - t
    phases = clock.stop()
    info = {"payments": posted, "batches": len(batches), "lines": len(cd.lines),
            "receipts_total": str(cd.receipts_total), "workbook_bytes": out.stat().st_size}
    if libreoffice_available():
        t = time.perf_counter()
        try:
            convert(out, "xlsx", work / "lo", timeout=1800)
            info["libreoffice_recalc_seconds"] = round(time.perf_counter() - t, 3)
        except RecalcError as exc:
            info["libreoffice_recalc_error"] = str(exc)[:300]
    u.store.dispose()
    shutil.rmtree(work, ignore_errors=True)
    return {"seconds": seconds, "phases": phases, "info": info}


VARIANTS = {"utilbill": run_cash}


def ratios(stats: dict, size: int, others: dict) -> list[dict]:
    s = stats["utilbill"]
    v = s["wall"]["median"]
    out = [{"name": f"post {s['info'].get('payments', 0):,} payments + figures + cash workbook, s",
            "value": round(v, 2), "target": f"< {TARGET:.0f}", "met": v < TARGET}]
    if "libreoffice_recalc_seconds" in s["info"]:
        out.append({"name": "LibreOffice recalculation of that workbook, s (last run)",
                    "value": s["info"]["libreoffice_recalc_seconds"], "target": "", "met": None})
    return out
