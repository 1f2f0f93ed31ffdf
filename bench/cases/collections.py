"""Case 5: collections at scale, the notice run and the turn-off list over every account of
a generated utility with 24 months of history.

The sample has no notice history, so the prepared store (cached) has had one catch-up
notice run ten business days before the benchmark day, as the collections demo step does;
each repetition starts from a copy of it and times `issue_notices(u, day)` (removing paid
notices, noticing every account that qualifies, in one transaction) plus
`turnoff_list(u, day)` (whose notices have run out, with a reason on every account).
"""

from __future__ import annotations

import json
import shutil
import time

from bench import data

TITLE = "Collections: notice run and turn-off list"
SIZES = {"full": [10_000, 100_000], "quick": [10_000]}
TARGET = 5.0


def prepared_dir(size: int):
    return data.store_dir(size).with_name(data.store_dir(size).name + "-collections")


def prepare(size: int, ctx) -> None:
    src = data.ensure_store(size)
    d = prepared_dir(size)
    if (d / "prepared.json").exists():
        data.migrate_cached(d)
        return
    from utilbill.collections_jobs import issue_notices

    tmp = d.with_name(d.name + ".partial")
    u = data.working_copy(src, tmp)
    back = u.policy.calendar.add_business_days(data.DAY, -10)
    run = issue_notices(u, back)
    u.store.dispose()
    (tmp / "prepared.json").write_text(json.dumps({"catch_up_run": back.isoformat(), "notices": run.new_count}))
    shutil.rmtree(d, ignore_errors=True)
    tmp.rename(d)


def run_collections(size: int, ctx) -> dict:
    from bench.timing import PhaseClock
    from utilbill.collections_jobs import issue_notices, turnoff_list

    work = data.scratch("collections")
    u = data.working_copy(prepared_dir(size), work)
    u.policy, u.store  # opened before the clock, as the CLI opens the folder before the job
    clock = PhaseClock()
    t = time.perf_counter()
    clock.mark("notices")
    run = issue_notices(u, data.DAY)
    clock.mark("turnoff")
    tl = turnoff_list(u, data.DAY)
    seconds = time.perf_counter() - t
    phases = clock.stop()  # before the copy is removed (seconds of file deletion are no phase)
    info = {"notices_issued": run.new_count, "skipped": len(run.skipped), "turnoff_included": len(tl.included),
            "turnoff_excluded": len(tl.excluded)}
    u.store.dispose()
    shutil.rmtree(work, ignore_errors=True)
    return {"seconds": seconds, "phases": phases, "info": info}


VARIANTS = {"utilbill": run_collections}


def ratios(stats: dict, size: int, others: dict) -> list[dict]:
    v = stats["utilbill"]["wall"]["median"]
    return [{"name": f"notices + turn-off list, s ({size:,} accounts)", "value": round(v, 2),
             "target": f"< {TARGET:.0f}", "met": v < TARGET}]
