"""Fuzzing (hypothesis, derandomized so CI is deterministic): the rules keep their invariants
for any input, and the readers turn any file into rows or findings, never a traceback.

Rules: pricing (proration of irregular periods, blocks), the arrangement schedule, fund
distribution of payments (the ledger), allocation, the payoff's deposit. Readers: random
cell types (text, numbers, dates, booleans, blanks, formula-looking text, huge and tiny
numbers, control characters) in random layouts (shuffled, missing and extra columns,
header lower down) written to real .xlsx and .csv files and read with every layout the
product reads.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from utilbill.arrangements import schedule
from utilbill.config import ArrangementPolicy
from utilbill.findings import Finding
from utilbill.layouts import ACCOUNTS_IMPORT, BANK_REPORT, POSTINGS_IMPORT, READINGS, READS_IMPORT, payment_batch_layout
from utilbill.ledger import Posting, distribute_payment, ledger_state
from utilbill.money import CENT, allocate
from utilbill.payoff import deposit_to_apply
from utilbill.periods import ServicePeriod
from utilbill.pricing import price_bill
from utilbill.rates import load_rates
from utilbill.config import EXAMPLE_DIR
from utilbill.payments import read_batch
from utilbill.xlio import read_table

RULES = settings(max_examples=150, deadline=None, derandomize=True)
FILES = settings(max_examples=40, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
RATES = load_rates(EXAMPLE_DIR / "rates.yaml")
cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c) / 100)


# --- rules -----------------------------------------------------------------------------------

@RULES
@given(cls=st.sampled_from(["residential", "commercial"]), size=st.sampled_from(["5/8", "1", "2", "6"]),
       days=st.integers(1, 120), units=st.integers(0, 3000), regular=st.booleans(),
       winter=st.one_of(st.none(), st.decimals(0, 40, places=2)))
def test_pricing_lines_are_cents_and_foot_and_more_water_never_costs_less(cls, size, days, units, regular, winter):
    start = date(2026, 1, 5)
    period = ServicePeriod(start, start + timedelta(days=days))
    mpb = 2 if cls == "residential" else 1

    def price(n):
        return price_bill(rates=RATES, account_class=cls, meter_size=size, period=period, units=n, regular=regular,
                          months_per_bill=mpb, winter_average=winter)

    bill = price(units)
    assert all(line.amount == line.amount.quantize(CENT) and line.amount >= 0 for line in bill.lines)
    assert sum(bill.fund_totals().values()) == bill.total == sum(line.amount for line in bill.lines)
    assert price(units + 1).total >= bill.total


@RULES
@given(past_due=cents, down_share=st.integers(20, 100), n=st.integers(1, 12),
       first=st.dates(date(2026, 1, 1), date(2027, 12, 31)))
def test_arrangement_installments_add_up_and_count_months_from_the_first_due_date(past_due, down_share, n, first):
    down = (past_due * down_share / 100).quantize(CENT)
    plan = schedule(past_due, down, n, first, ArrangementPolicy(max_installments=12))
    assert sum(i.amount for i in plan) == past_due - down
    assert [i.due_date for i in plan] == [first + relativedelta(months=k) for k in range(n)]
    assert all(i.amount == plan[0].amount for i in plan[:-1]) and plan[-1].amount >= plan[0].amount
    assert plan[-1].remaining == 0


@st.composite
def ledgers(draw):
    """Bills with two funds, late charges, payments, and reversals of some payments."""
    postings, pid = [], 0
    day = date(2026, 1, 1)
    for _ in range(draw(st.integers(1, 12))):
        pid += 1
        day += timedelta(days=draw(st.integers(0, 40)))
        kind = draw(st.sampled_from(["bill", "bill", "payment", "payment", "late_charge"]))
        if kind == "bill":
            w, ww = draw(cents), draw(cents)
            postings.append(Posting(pid, day, "bill", w + ww, due_date=day + timedelta(days=21), bill_id=pid,
                                    parts=(("water", w), ("wastewater", ww))))
        elif kind == "payment":
            postings.append(Posting(pid, day, "payment", -draw(cents)))
        else:
            postings.append(Posting(pid, day, "late_charge", draw(cents), fund="fees"))
    payments = [p for p in postings if p.kind == "payment"]
    for p in draw(st.lists(st.sampled_from(payments), unique_by=lambda p: p.id, max_size=2)) if payments else []:
        pid += 1
        postings.append(Posting(pid, p.date + timedelta(days=draw(st.integers(0, 10))), "reversal", -p.amount,
                                reverses=p.id))
    return postings


@RULES
@given(postings=ledgers(), extra=cents)
def test_ledger_balance_is_the_sum_of_postings_and_every_payment_is_fully_distributed(postings, extra):
    end = max(p.date for p in postings) + timedelta(days=60)
    state = ledger_state(postings, end)
    assert state.balance == sum(p.amount for p in postings)
    live = {p.id for p in postings} - state.cancelled
    for p in postings:
        if p.kind == "payment" and p.id in live:
            assert sum(state.applications[p.id].values()) == -p.amount
    dist = distribute_payment(state.open_charges(), extra)
    assert sum(dist.values()) == extra
    reversed_ids = {p.reverses for p in postings if p.reverses}
    without = [p for p in postings if p.id not in reversed_ids and p.reverses is None]
    assert ledger_state(without, end).past_due() == state.past_due()  # a reversal undoes its payment exactly


@RULES
@given(total=st.integers(-10_000_000, 10_000_000).map(lambda c: Decimal(c) / 100),
       weights=st.lists(st.integers(0, 10_000).map(Decimal), min_size=1, max_size=8).filter(lambda w: sum(w) > 0))
def test_allocate_parts_are_cents_and_add_up(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total and all(p == p.quantize(CENT) for p in parts)


@RULES
@given(held=st.integers(0, 100_000).map(lambda c: Decimal(c) / 100),
       owed=st.integers(-50_000, 100_000).map(lambda c: Decimal(c) / 100))
def test_payoff_applies_no_more_deposit_than_held_or_owed(held, owed):
    applied = deposit_to_apply(held, owed)
    assert 0 <= applied <= held and applied <= max(owed, Decimal(0))


# --- readers ---------------------------------------------------------------------------------

LAYOUTS = [READINGS, ACCOUNTS_IMPORT, READS_IMPORT, POSTINGS_IMPORT, BANK_REPORT, payment_batch_layout("walk-in")]
cell = st.one_of(
    st.none(), st.text(max_size=12), st.integers(-10**16, 10**16), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.dates(date(1900, 1, 1), date(2100, 1, 1)),
    st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1)),
    st.sampled_from(["=1+1", "#N/A", "=HYPERLINK(\"x\")", "1,234.56", "$12", "12,50", "2026-02-30", "1/31/2026",
                     "N/A", " ", "\t", "9" * 40, "-0", "1e309", "TRUE"]),
)


@st.composite
def tables(draw):
    layout = draw(st.sampled_from(LAYOUTS))
    names = [c.name for c in layout.columns] + list(draw(st.lists(st.sampled_from(["notes", "x", "", "amount"]),
                                                                 max_size=2)))
    header = draw(st.permutations(names))
    header = header[: draw(st.integers(1, len(header)))]
    rows = draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header) + 1), max_size=6))
    return layout, draw(st.integers(0, 3)), header, rows


def _xlsx(path: Path, sheet: str, skip: int, header, rows) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for _ in range(skip):
        ws.append(["Title text"])
    for r in [header, *rows]:
        clean = []
        for v in r:
            if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
                v = str(v)  # a workbook cannot hold NaN or infinity; a text export can
            if isinstance(v, str):
                from utilbill.xlio import clean_text

                v = clean_text(v)
            clean.append(v)
        ws.append(clean)
    wb.save(path)
    return path


def _csv(path: Path, skip: int, header, rows, encoding: str, delimiter: str) -> Path:
    with open(path, "w", encoding=encoding, errors="replace", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        for _ in range(skip):
            w.writerow(["Title text"])
        for r in [header, *rows]:
            w.writerow(["" if v is None else v for v in r])
    return path


def _valid(result) -> None:
    for f in result.findings:
        assert isinstance(f, Finding) and f.reason and f.severity in ("error", "warning")
        if f.row is not None:
            assert f.file and f.row >= 1
    for row in result.rows:
        assert row["_row"] >= 1


@FILES
@given(table=tables(), as_csv=st.booleans(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_any_table_reads_to_rows_or_findings_never_a_traceback(tmp_path_factory, table, as_csv, encoding, delimiter):
    layout, skip, header, rows = table
    folder = tmp_path_factory.mktemp("fuzz")
    path = _csv(folder / "t.csv", skip, header, rows, encoding, delimiter) if as_csv else \
        _xlsx(folder / "t.xlsx", layout.sheet, skip, header, rows)
    _valid(read_table(path, layout))
    if layout.sheet == "Batch":
        batch = read_batch(path, "walk-in", drawers=("DRAWER-1",))
        assert all(isinstance(f, Finding) for f in batch.findings)


@FILES
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([".xlsx", ".csv", ".xls", ".txt"]),
       prefix=st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xef\xbb\xbf", b"%PDF"]))
def test_any_bytes_under_any_name_give_a_finding_not_a_traceback(tmp_path_factory, data, suffix, prefix):
    path = tmp_path_factory.mktemp("bytes") / f"f{suffix}"
    path.write_bytes(prefix + data)
    for layout in (READINGS, BANK_REPORT):
        _valid(read_table(path, layout))
