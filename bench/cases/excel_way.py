"""Case 2: the all-Excel way. The same bills as case 1 (every account's reading on the
benchmark day) as a formula workbook built the way a clerk would build it: a Rates sheet
(block bounds and prices, wastewater price and cap, months per bill and the regular
window per class), a Service sheet (monthly charge by class and meter size), the Readings,
and a Bills sheet whose every row computes units (with the dial rollover), days, the
months factor (the class's months when the days fall in the regular window, else days/30),
the tiered water blocks as ROUND(MIN/MAX) formulas, the service charges, the wastewater
units capped at the winter average, and the total, all through VLOOKUPs.

Timed: LibreOffice headless opening the workbook, recalculating every formula and saving it
(utilbill.recalc.convert: own profile, recalculation forced). Outside the clock, the
recalculated totals are read back and compared, cent for cent, with the engine's totals.
The ratio is LibreOffice's time over utilbill's end-to-end bill run (case 1, same size,
same benchmark run).
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import date, datetime
from decimal import Decimal

from bench import data

TITLE = "The all-Excel way: a formula workbook recalculated by LibreOffice"
SIZES = {"full": [10_000, 100_000], "quick": [10_000]}
TARGET = 3.0  # LibreOffice / utilbill, at least


def book_path(size: int):
    return data.store_dir(size) / "bench-excel-way.xlsx"


def prepare(size: int, ctx) -> None:
    from bench.cases import bill_run

    bill_run.prepare(size, ctx)
    if book_path(size).exists():
        return
    import xlsxwriter

    from utilbill.config import example_policy
    from utilbill.home import open_utility

    u = open_utility(data.store_dir(size))
    policy, rates = u.policy, u.rates
    rows = json.loads((data.store_dir(size) / "bench-excel-inputs.json").read_text())
    sched = rates.schedule_on(data.DAY)
    tmp = book_path(size).with_suffix(".partial.xlsx")
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_formulas": False})
    datefmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    money = wb.add_format({"num_format": "#,##0.00"})
    ws = wb.add_worksheet("Rates")
    ws.write_row(0, 0, ["class", "bound1", "bound2", "price1", "price2", "price3", "ww_service", "ww_price",
                        "capped", "months", "window_lo", "window_hi"])
    for r, cls in enumerate(policy.billing.classes, start=1):
        cr = sched.for_class(cls)
        blocks = list(cr.water_blocks) + [None] * (3 - len(cr.water_blocks))
        bounds = [float(b.up_to) if b and b.up_to is not None else 1e9 for b in blocks[:2]]
        prices = [float(b.price) if b else 0.0 for b in blocks]
        mpb = policy.billing.months_per_bill(cls)
        lo, hi = policy.billing.regular_window_days[mpb]
        ws.write_row(r, 0, [cls, *bounds, *prices, float(cr.wastewater_service_charge),
                            float(cr.wastewater_volume_price), 1 if cr.wastewater_cap == "winter_average" else 0,
                            mpb, lo, hi])
    sv = wb.add_worksheet("Service")
    sv.write_row(0, 0, ["key", "monthly"])
    r = 1
    for cls in policy.billing.classes:
        for size_name, charge in sched.for_class(cls).water_service_charge.items():
            sv.write_row(r, 0, [f"{cls}|{size_name}", float(charge)])
            r += 1
    rd = wb.add_worksheet("Readings")
    rd.write_row(0, 0, ["account", "class", "meter_size", "previous_date", "read_date", "previous_reading",
                        "reading", "dials", "winter_average"])
    for i, (acct, cls, size_name, prev_d, read_d, prev, reading, dials, winter, _total) in enumerate(rows, start=1):
        rd.write_string(i, 0, acct)
        rd.write_string(i, 1, cls)
        rd.write_string(i, 2, size_name)
        rd.write_datetime(i, 3, datetime.fromisoformat(prev_d), datefmt)
        rd.write_datetime(i, 4, datetime.fromisoformat(read_d), datefmt)
        rd.write_number(i, 5, prev)
        rd.write_number(i, 6, reading)
        rd.write_number(i, 7, dials)
        if winter:
            rd.write_number(i, 8, float(winter))
    bl = wb.add_worksheet("Bills")
    bl.write_row(0, 0, ["account", "units", "days", "factor", "bound1", "bound2", "water", "service",
                        "ww_service", "ww_units", "wastewater", "total"])
    rates_rng = "Rates!$A$2:$L$3"
    default = float(policy.billing.default_winter_average)
    for i in range(1, len(rows) + 1):
        n = i + 1
        cls = f"Readings!$B{n}"
        look = lambda col: f"VLOOKUP({cls},{rates_rng},{col},FALSE)"  # noqa: E731
        f = [
            f"=Readings!A{n}",
            f"=IF(Readings!G{n}>=Readings!F{n},Readings!G{n}-Readings!F{n},Readings!G{n}+10^Readings!H{n}-Readings!F{n})",
            f"=Readings!E{n}-Readings!D{n}",
            f"=IF(AND(C{n}>={look(11)},C{n}<={look(12)}),{look(10)},C{n}/30)",
            f"={look(2)}*D{n}",
            f"={look(3)}*D{n}",
            f"=ROUND(MIN(B{n},E{n})*{look(4)},2)+ROUND(MIN(MAX(B{n}-E{n},0),F{n}-E{n})*{look(5)},2)"
            f"+ROUND(MAX(B{n}-F{n},0)*{look(6)},2)",
            f"=ROUND(VLOOKUP({cls}&\"|\"&Readings!C{n},Service!$A:$B,2,FALSE)*D{n},2)",
            f"=ROUND({look(7)}*D{n},2)",
            f"=IF({look(9)}=1,MIN(B{n},IF(Readings!I{n}=\"\",{default},Readings!I{n})*D{n}),B{n})",
            f"=ROUND(J{n}*{look(8)},2)",
            f"=G{n}+H{n}+I{n}+K{n}",
        ]
        for c, formula in enumerate(f):
            bl.write_formula(i, c, formula, money if c in (6, 7, 8, 10, 11) else None)
    wb.close()
    tmp.rename(book_path(size))


def run_libreoffice(size: int, ctx) -> dict:
    import python_calamine

    from utilbill.recalc import convert

    work = data.scratch("excelway")
    t = time.perf_counter()
    out = convert(book_path(size), "xlsx", work, timeout=3600)
    seconds = time.perf_counter() - t
    # cent-for-cent check against the engine's totals (outside the clock)
    rows = json.loads((data.store_dir(size) / "bench-excel-inputs.json").read_text())
    got = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Bills").to_python()[1:]
    mismatches = 0
    for want, row in zip(rows, got):
        value = row[11]
        if not isinstance(value, (int, float)) or Decimal(repr(float(value))).quantize(Decimal("0.01")) != Decimal(want[9]):
            mismatches += 1
    mismatches += abs(len(rows) - len(got))
    shutil.rmtree(work, ignore_errors=True)
    return {"seconds": seconds, "info": {"bills": len(rows), "formulas": len(rows) * 12,
                                         "totals_differing_from_engine": mismatches}}


VARIANTS = {"libreoffice": run_libreoffice}


def ratios(stats: dict, size: int, others: dict) -> list[dict]:
    lo = stats["libreoffice"]
    out = []
    bill = others.get("bill_run", {}).get(size)
    if bill and "utilbill" in bill["variants"]:
        v = lo["wall"]["median"] / bill["variants"]["utilbill"]["wall"]["median"]
        out.append({"name": "LibreOffice recalculation / utilbill bill run (wall, medians)", "value": round(v, 2),
                    "target": f">= {TARGET}", "met": v >= TARGET})
    out.append({"name": "recalculated totals differing from the engine's, at the cent",
                "value": lo["info"].get("totals_differing_from_engine"), "target": "0",
                "met": lo["info"].get("totals_differing_from_engine") == 0})
    return out
