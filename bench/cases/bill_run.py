"""Case 1: the bill run end to end against the I/O floor.

utilbill: `bill_run(u, readings.xlsx)` on a copy of a generated store: read and validate the
readings workbook, check every row against the store, compute every bill (vectorized exact
path), back the store up, post bills, lines, reads and postings in one transaction, write the
Bills workbook (Bills, Lines, Exceptions, Summary). Phases come from the job's own progress
messages.

floor: read the same readings file with the fastest reader available (python-calamine) and
write a workbook of the same shape (the same sheets, rows and columns, values of the same
types) with the fastest writer available (rustpy-xlsxwriter when installed, else xlsxwriter
in constant-memory mode); no validation, no computation, no store. Rows are built before
the clock starts.

The readings workbook has a reading for every active account of the generated utility on
the benchmark day, each from its own last read (so periods vary: most bills are regular,
some prorated), with the usage its history suggests.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench import data

TITLE = "Bill run end to end vs the I/O floor"
SIZES = {"full": [10_000, 100_000], "quick": [10_000]}
TARGET = 1.3  # utilbill / floor, at most


def readings_path(size: int) -> Path:
    return data.store_dir(size) / "bench-readings.xlsx"


def shape_path(size: int) -> Path:
    return data.store_dir(size) / "bench-billrun-shape.json"


def prepare(size: int, ctx) -> None:
    """The readings workbook for every account, and the shape of the run's Bills workbook
    (computed once without posting), cached beside the store."""
    store = data.ensure_store(size)
    if shape_path(size).exists() and readings_path(size).exists():
        return
    from sqlalchemy import select

    from utilbill.bill_run import compute, load_histories, load_reads, prepare as check_rows
    from utilbill.consumption import average_daily_units
    from utilbill.home import open_utility
    from utilbill.layouts import READINGS
    from utilbill.store import schema
    from utilbill.xlio import read_table, write_rows_fast

    u = open_utility(store)
    A = schema.accounts
    rng = random.Random(size)
    with u.store.read() as conn:
        accts = conn.execute(select(A.c.account_no, A.c.meter_dials).where(A.c.status == "active")
                             .order_by(A.c.account_no)).all()
        numbers = [a for a, _ in accts]
        reads = load_reads(conn, numbers)
        hist = load_histories(conn, numbers, data.DAY - timedelta(days=400))
    rows = []
    for a, dials in accts:
        prior = [r for r in reads.get(a, []) if r[0] < data.DAY]
        if not prior:
            continue
        last_date, last_reading, _ = prior[-1]
        avg = average_daily_units(hist.get(a, []), last_date, 365) or Decimal("0.2")
        reading = last_reading + int(float(avg) * (data.DAY - last_date).days * rng.uniform(0.75, 1.25))
        if dials:
            reading %= 10 ** dials
        rows.append((a, datetime(data.DAY.year, data.DAY.month, data.DAY.day), reading, "actual", "", ""))
    write_rows_fast(readings_path(size), {READINGS.sheet: (READINGS.names, rows)}, {"read_date": "date"})
    table = read_table(readings_path(size), READINGS)
    with u.store.read() as conn:
        requests, problems = check_rows(table.rows, source="readings", sheet=READINGS.sheet, conn=conn,
                                        run_date=data.DAY, estimate_missing=False)
    bills, more = compute(requests, u.policy, u.rates, data.DAY, engine="vector")
    shape = {"readings": len(rows), "bills": len(bills), "lines": sum(len(b.lines) for b in bills),
             "exceptions": len(problems) + len(more) + len(table.findings)}
    # what the all-Excel case needs: each bill's inputs and the engine's total
    winters = [str(b.winter.units_per_month) if b.winter else "" for b in bills]
    by_no = {q.account.account_no: q for q in requests}
    excel_rows = []
    for b, w in zip(bills, winters):
        q = by_no[b.account_no]
        excel_rows.append([b.account_no, q.account.account_class, q.account.meter_size, q.previous_read_date.isoformat(),
                           q.read_date.isoformat(), q.previous_reading, q.reading, q.account.meter_dials or 0,
                           w, str(b.total)])
    (data.store_dir(size) / "bench-excel-inputs.json").write_text(json.dumps(excel_rows))
    shape_path(size).write_text(json.dumps(shape))


def run_utilbill(size: int, ctx) -> dict:
    from bench.timing import PhaseClock
    from utilbill.bill_run import bill_run

    work = data.scratch("billrun")
    u = data.working_copy(data.store_dir(size), work)
    src = work / "input" / "readings.xlsx"
    src.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(readings_path(size), src)
    clock = PhaseClock()
    t = time.perf_counter()
    res = bill_run(u, src, run_date=data.DAY, engine="vector", progress=clock.mark)
    seconds = time.perf_counter() - t
    phases = clock.stop()
    # the job has reported (bills posted and synced, workbook written); the fold of its log
    # into the store file runs on after it, and is timed here on its own
    t = time.perf_counter()
    u.store.wait_for_checkpoints()
    after = time.perf_counter() - t
    info = {"bills": len(res.bills), "posted": res.posted, "findings": len(res.findings),
            "bills_workbook_bytes": res.output.stat().st_size, "store_bytes": u.store_path.stat().st_size,
            "checkpoint_after_job_s": round(after, 3)}
    u.store.dispose()
    shutil.rmtree(work, ignore_errors=True)
    return {"seconds": seconds, "phases": phases, "info": info}


def _floor_rows(size: int):
    """Rows shaped like the Bills workbook's (values of the same types), made from nothing."""
    shape = json.loads(shape_path(size).read_text())
    d = datetime(data.DAY.year, data.DAY.month, data.DAY.day)
    from utilbill.layouts import BILL_LINES_OUT, BILLS_OUT, EXCEPTIONS_OUT

    def bill(i):
        v = [f"10-{i:04d}-1", "regular", d, d, d, d, 61, 1000 + i, 1020 + i, 20.0, "N", "N", "Y", 6.5, 13.0,
             59.64, 61.21, 120.85, f"10-{i:04d}-1|2026-09-25|2026-11-25"]
        return dict(zip(BILLS_OUT.names, v))

    def line(i):
        v = [f"10-{i // 5:04d}-1", f"10-{i // 5:04d}-1|2026-09-25|2026-11-25", i % 5 + 1, "water_block_1",
             "Water, block 1", "water", 16.0, 1.344, 21.5,
             "16 units x $1.344 (block 1: 0-16 units; monthly bound 8 x 2 months)"]
        return dict(zip(BILL_LINES_OUT.names, v))

    summary = [{"item": f"row {i}", "value": float(i)} for i in range(10)]
    exceptions = [dict(zip(EXCEPTIONS_OUT.names, ["error", "readings.xlsx", "Readings", i, "reading", "", "",
                                                  "reason"])) for i in range(max(1, shape["exceptions"]))]
    return ([("Summary", summary), ("Bills", [bill(i) for i in range(shape["bills"])]),
             ("Lines", [line(i) for i in range(shape["lines"])]), ("Exceptions", exceptions)], shape)


def run_floor(size: int, ctx) -> dict:
    import python_calamine

    sheets, shape = _floor_rows(size)
    out = data.scratch("floor")
    out.mkdir(parents=True)
    target = out / "Bills.xlsx"
    try:
        from rustpy_xlsxwriter import FastExcel

        writer = "rustpy-xlsxwriter"
    except ImportError:
        FastExcel, writer = None, "xlsxwriter constant_memory"
    t = time.perf_counter()
    book = python_calamine.CalamineWorkbook.from_path(str(readings_path(size)))
    rows = book.get_sheet_by_name("Readings").to_python()
    t_read = time.perf_counter() - t
    if FastExcel is not None:
        fx = FastExcel(str(target))
        for name, records in sheets:
            fx = fx.sheet(name, records)
        fx.save()
    else:
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(target), {"constant_memory": True, "strings_to_formulas": False})
        for name, records in sheets:
            ws = wb.add_worksheet(name)
            ws.write_row(0, 0, list(records[0]))
            for r, rec in enumerate(records, start=1):
                ws.write_row(r, 0, list(rec.values()))
        wb.close()
    seconds = time.perf_counter() - t
    info = {"reader": "python-calamine", "writer": writer, "readings_rows": len(rows) - 1, **shape,
            "bytes": target.stat().st_size}
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": seconds, "phases": {"read": round(t_read, 4), "write": round(seconds - t_read, 4)},
            "info": info}


VARIANTS = {"utilbill": run_utilbill, "floor": run_floor}


def ratios(stats: dict, size: int, others: dict) -> list[dict]:
    u, f = stats.get("utilbill"), stats.get("floor")
    if not (u and f):
        return []
    value = u["wall"]["median"] / f["wall"]["median"]
    return [{"name": "bill run / I/O floor (wall, medians)", "value": round(value, 2), "target": f"<= {TARGET}",
             "met": value <= TARGET},
            {"name": "bill run / I/O floor (CPU, medians)",
             "value": round(u["cpu"]["median"] / f["cpu"]["median"], 2), "target": "", "met": None}]
