"""The demo day, billing: the day's cycle readings through the bill run, then late charges.

Builds the readings sheet a meter-reading route would hand in for the accounts whose cycle
falls on the day, with the problems a real route brings (a mistyped account number, a
duplicate row, text in the reading column, a read to estimate, a very high and a zero read),
runs the bill run on it, and assesses the late charges due that day.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from openpyxl import Workbook
from sqlalchemy import select

from ..bill_run import bill_run, load_histories, load_reads
from ..consumption import average_daily_units
from ..home import Utility
from ..late_charges import assess_late_charges
from ..layouts import READINGS
from ..store import schema
from ..xlio import save_workbook, write_table
from . import DemoReport


def todays_route(u: Utility, day: date) -> list[tuple[str, date, int, int | None]]:
    """(account, previous read date, previous reading, dials) of the accounts read on `day`."""
    A = schema.accounts
    with u.store.read() as conn:
        accts = conn.execute(select(A.c.account_no, A.c.account_class, A.c.meter_dials).where(
            A.c.status == "active", A.c.cycle == f"{day.day:02d}")).all()
        reads = load_reads(conn, [a for a, _, _ in accts])
    route = []
    for a, cls, dials in accts:
        prior = [r for r in reads.get(a, []) if r[0] < day]
        if not prior:
            continue
        last_date, last_reading, _ = prior[-1]
        gap = (day - last_date).days
        if (cls == "commercial" and 25 <= gap <= 35) or (cls == "residential" and 55 <= gap <= 66):
            route.append((a, last_date, last_reading, dials))
    return route


def make_readings_workbook(u: Utility, day: date, path, seed: int = 7) -> dict:
    rng = random.Random(seed + day.toordinal())
    route = todays_route(u, day)
    with u.store.read() as conn:
        hist = load_histories(conn, [r[0] for r in route], day - timedelta(days=400))
    rows, notes = [], {}
    for a, last_date, last_reading, dials in route:
        avg = average_daily_units(hist.get(a, []), last_date, 365) or Decimal("0.2")
        units = int(float(avg) * (day - last_date).days * rng.uniform(0.75, 1.25))
        reading = last_reading + units
        if dials:
            reading %= 10 ** dials
        rows.append({"account": a, "read_date": day, "reading": reading, "read_type": "actual",
                     "meter_id": "", "note": ""})
    if len(rows) >= 6:
        rows[0]["reading"] = rows[0]["reading"] + 400  # a very high read (leak?)
        rows[0]["note"] = "customer reports running toilet"
        notes["high"] = rows[0]["account"]
        prev = [r for r in route if r[0] == rows[1]["account"]][0]
        rows[1]["reading"] = prev[2]  # zero use
        notes["zero"] = rows[1]["account"]
        rows[2]["reading"], rows[2]["read_type"] = None, "estimate"  # meter not reached
        rows[2]["note"] = "dog in yard, could not read"
        notes["estimate"] = rows[2]["account"]
        rows.append(dict(rows[3]))  # the route keyed one row twice
        rows.append({"account": "99-9999-9", "read_date": day, "reading": 1234, "read_type": "actual",
                     "meter_id": "", "note": "account number as written on the route sheet"})
        rows[4]["reading"] = "N/A"  # typed text in the reading column
    wb = Workbook()
    ws = wb.active
    ws.title = READINGS.sheet
    write_table(ws, READINGS, rows)
    save_workbook(wb, path)
    return {"rows": len(rows), **notes}


def run(u: Utility, day: date, report: DemoReport) -> None:
    path = u.root / "input" / f"readings-{day.isoformat()}.xlsx"
    info = make_readings_workbook(u, day, path)
    report.output(path, f"the day's meter readings, {info['rows']} rows as the route handed them in")
    res = bill_run(u, path, run_date=day)
    held = [f for f in res.findings if f.severity == "error"]
    report.line(f"Bill run: {len(res.bills)} bills for {res.total:,.2f} posted ({res.posted} new); "
                f"{len(held)} row(s) held out on the Exceptions sheet")
    report.output(res.output, "Bills workbook: bills, line items, exceptions")
    late = assess_late_charges(u, day)
    report.line(f"Late charges: {len(late.assessed)} assessed for {late.total:,.2f}")
