"""The Bills workbook's Rust writer hands its sheets over by column: the file must be the one a
dict of `_cell` values per row gave (every part of the .xlsx byte for byte), and its figures
those of the bills."""

import random
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from utilbill import bills_workbook as bw
from utilbill.bill_run import BillRunResult
from utilbill.billing import ComputedBill
from utilbill.findings import Finding
from utilbill.periods import ServicePeriod
from utilbill.pricing import BillLine, PricedBill
from utilbill.winter_average import WinterAverage

pytest.importorskip("rustpy_xlsxwriter")

DAY = date(2026, 11, 25)


def _write_by_rows(result, path):
    """The writer as it was: the summary from each bill's own fund totals, then a dict of
    `_cell` values per row of every sheet."""
    from rustpy_xlsxwriter import FastExcel, Format

    def funds(fund):
        return sum((b.priced.fund_totals().get(fund, D(0)) for b in result.bills), D("0.00"))

    formats = {"money": Format().set_num_format("#,##0.00"), "date": Format().set_num_format("yyyy-mm-dd"),
               "decimal": Format().set_num_format("0.#########")}
    header = Format().set_bold().set_background_color("#DCE6F1").set_border("thin")
    book = FastExcel(str(path), output_format="xlsx")
    figures = dict(bw._summary_rows(result))
    figures.update({"Total billed": result.total, "Water": funds("water"), "Wastewater": funds("wastewater")})
    summary = [{"Bill run summary": k, "figure": float(v) if isinstance(v, D) else v} for k, v in figures.items()]
    book.sheet("Summary", summary, column_widths=[44, 22], header_format=header,
               column_formats=[None, formats["money"]])
    for name, layout, rows in bw._sheets(result):
        names, kinds = layout.names, [c.kind for c in layout.columns]
        records = [{n: bw._cell(v, k) for n, v, k in zip(names, row, kinds)} for row in rows]
        if not records:
            records = [{n: None for n in names}]
        widths = [bw.WIDTHS[name].get(n, max(10, len(n) + 2)) for n in names]
        book.sheet(name, records, column_widths=widths, header_format=header, autofilter=True,
                   column_formats=[formats.get(k) for k in kinds])
        book.freeze(row=1, col=0, sheet=name)
    book.save()


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}  # core.xml: the time written


def _random_result(seed: int, n_bills: int) -> BillRunResult:
    """Bills like the vectorized engine's (lines and priced bills shared among bills), with
    the awkward values a run can hold: no reading, no winter average, final bills, negative
    and zero amounts, text with markup or a leading '=', empty text."""
    rng = random.Random(seed)
    texts = ["Water, block 1", 'Water service charge, 3/4" meter', "=SUM(A1:A9)", "<b>&amp;</b>", "Café ½", "",
             "+1-2", "@x"]

    def money():
        return rng.choice([D("0.00"), D("-0.00"), D("-12.34"), D("1234567.89")]) if rng.random() < 0.2 else \
            D(rng.randint(0, 99999)).scaleb(-2)

    pool = [BillLine(code=rng.choice(["water_block_1", "water_service", "wastewater_volume", ""]),
                     description=rng.choice(texts), fund=rng.choice(["water", "wastewater", "other"]),
                     quantity=D(rng.randint(0, 10 ** 12)).scaleb(-9), rate=D(rng.randint(0, 99999)).scaleb(-3),
                     amount=money(), basis=rng.choice(texts + ["16 units x $1.344 (block 1: 0-16 units)"]))
            for _ in range(40)]
    priced_pool = []
    bills = []
    for i in range(n_bills):
        start = DAY - timedelta(days=rng.randint(10, 90))
        period = ServicePeriod(start, DAY)
        if priced_pool and rng.random() < 0.5:
            priced = rng.choice(priced_pool)
        else:
            lines = tuple(rng.choice(pool) for _ in range(rng.randint(0, 6)))
            priced = PricedBill(period=period, units=D(rng.randint(0, 500)), regular=rng.random() < 0.8,
                                months=D("2.000000000"), wastewater_units=D(rng.randint(0, 5000)).scaleb(-1),
                                lines=lines)
            priced_pool.append(priced)
        winter = WinterAverage(D(rng.randint(0, 900)).scaleb(-2), False, "basis", 2026) if rng.random() < 0.7 else None
        previous = rng.choice([None, 0, rng.randint(1, 10 ** 6)])
        bills.append(ComputedBill(
            account_no=f"{10 + i % 3}-{i:04d}-{i % 7}", kind=rng.choice(["regular", "first", "final", "special"]),
            bill_date=DAY, due_date=DAY + timedelta(days=21), period=period, previous_reading=previous,
            reading=None if previous is None else previous + rng.randint(0, 99), units=priced.units,
            estimated=rng.random() < 0.1, rollover=rng.random() < 0.05, regular=priced.regular, winter=winter,
            priced=priced))
    result = BillRunResult(run_date=DAY, source="/x/readings.xlsx", bills=bills, posted=n_bills - 2,
                           already_posted=2)
    result.findings = [Finding("no such account", file="readings.xlsx", sheet="Readings", row=7, column="Account",
                               value="99-9999-9", account="99-9999-9"),
                       Finding('=HYPERLINK("http://x","y")', value=D("12.50"), severity="warning"),
                       Finding("reading went down", row=12, value=123, column="=A1")]
    return result


@pytest.mark.parametrize("seed,n_bills", [(1, 300), (2, 1), (3, 0)])
def test_rust_writer_by_column_writes_the_file_a_dict_per_row_wrote(tmp_path, seed, n_bills):
    result = _random_result(seed, n_bills)
    if seed == 3:
        result.findings = []  # every data sheet empty: a blank row under its headers
    bw._write_rust(result, tmp_path / "columns.xlsx")
    _write_by_rows(result, tmp_path / "rows.xlsx")
    new, old = _parts(tmp_path / "columns.xlsx"), _parts(tmp_path / "rows.xlsx")
    assert new.keys() == old.keys()
    assert [n for n in new if new[n] != old[n]] == []


def test_cells_are_cell_values():
    """`_cells` gives `_cell`'s value for every value, except a Decimal (the writer stores
    float(v)) and a date (the writer stores that day, like `_cell`'s midnight datetime)."""
    day = date(2026, 3, 4)

    class Text(str):
        pass

    mixed = [None, "", "x", Text("=1+1"), 0, 7, True, False, D("-0.00"), D("12.345"), 1.5, -0.0, day,
             datetime(2026, 3, 4, 15, 30), "2.5"]
    for kind in ("money", "decimal", "int", "date", "bool", "text", "account"):
        values = []
        for v in mixed:
            try:
                bw._cell(v, kind)
            except (TypeError, ValueError, AttributeError):
                continue  # a value this kind cannot take fails in both
            values.append(v)
        got = bw._cells(values, kind)
        want = [bw._cell(v, kind) for v in values]
        seen = [float(g) if isinstance(g, D) else bw._dt(g) if type(g) is date else g for g in got]
        assert [(type(x), repr(x)) for x in seen] == [(type(x), repr(x)) for x in want], kind


def test_bills_and_summary_figures_are_the_bills_fund_totals(tmp_path):
    """Two bills share one priced bill (water 10.00 + 5.25, wastewater 3.10), a third has one
    water line of 1.01: water 15.25 + 15.25 + 1.01 = 31.51, wastewater 3.10 + 3.10 = 6.20,
    total 18.35 + 18.35 + 1.01 = 37.71."""
    period = ServicePeriod(date(2026, 9, 26), DAY)

    def line(fund, amount):
        return BillLine(code="c", description="d", fund=fund, quantity=D("1"), rate=D(amount), amount=D(amount),
                        basis="b")

    shared = PricedBill(period=period, units=D("10"), regular=True, months=D("2"), wastewater_units=D("10"),
                        lines=(line("water", "10.00"), line("water", "5.25"), line("wastewater", "3.10")))
    alone = PricedBill(period=period, units=D("1"), regular=True, months=D("2"), wastewater_units=D("0"),
                       lines=(line("water", "1.01"),))
    bills = [ComputedBill(account_no=no, kind="regular", bill_date=DAY, due_date=DAY, period=period,
                          previous_reading=0, reading=10, units=p.units, estimated=False, rollover=False,
                          regular=True, winter=None, priced=p)
             for no, p in (("10-0001-1", shared), ("10-0002-2", shared), ("10-0003-3", alone))]
    result = BillRunResult(run_date=DAY, source="r.xlsx", bills=bills, posted=3)
    bw._write_rust(result, tmp_path / "b.xlsx")
    wb = load_workbook(tmp_path / "b.xlsx")
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert (summary["Total billed"], summary["Water"], summary["Wastewater"]) == (37.71, 31.51, 6.2)
    assert summary["Bills computed"] == 3
    assert [r[15:18] for r in wb["Bills"].iter_rows(min_row=2, values_only=True)] == [
        (15.25, 3.1, 18.35), (15.25, 3.1, 18.35), (1.01, 0, 1.01)]
    assert [(r[0], r[2], r[8]) for r in wb["Lines"].iter_rows(min_row=2, values_only=True)] == [
        ("10-0001-1", 1, 10), ("10-0001-1", 2, 5.25), ("10-0001-1", 3, 3.1),
        ("10-0002-2", 1, 10), ("10-0002-2", 2, 5.25), ("10-0002-2", 3, 3.1), ("10-0003-3", 1, 1.01)]
