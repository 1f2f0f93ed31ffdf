"""Final bills and payoffs (domain §5): hand-computed figures, the bankruptcy split, and
payoff(D) == the final bill at D on generated histories."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st
from openpyxl import Workbook

from test_special_helpers import add_account, bill_reads, hold_deposit, make_utility, pay
from utilbill.accounts import Account
from utilbill.bankruptcy import BilledService, petition_split
from utilbill.billing import bill_from_read
from utilbill.config import example_policy
from utilbill.final_bill import compute_final_bill, final_bill
from utilbill.findings import FindingsError
from utilbill.history_text import history_from_text
from utilbill.ledger import Posting, ledger_state
from utilbill.payoff import AccountBooks, compute_payoff, payoff
from utilbill.periods import ServicePeriod
from utilbill.rates import example_rates
from utilbill.store import repo

D = Decimal
START = date(2025, 3, 1)
FIRST_READ = date(2025, 5, 1)  # a 61-day first bill of 30 units
MOVE_OUT = date(2025, 5, 24)  # 23 days after the last read


@pytest.fixture
def u(tmp_path):
    u = make_utility(tmp_path)
    add_account(u, "10-1001", start=START, initial=1000)
    bill_reads(u, "10-1001", [(FIRST_READ, 1030)])
    return u


def first_bill_total(u):
    with u.store.read() as conn:
        return D(repo.live_bills(conn, "10-1001")[0]["total_cents"]) / 100


def test_final_bill_with_reading_and_deposit_under_print_threshold(u):
    pay(u, "10-1001", date(2025, 5, 10), first_bill_total(u))  # first bill paid in full
    hold_deposit(u, "10-1001", START, "100.00")
    res = final_bill(u, "10-1001", MOVE_OUT, reading=1044,
                     new_customer={"customer_name": "Lee Tenant", "customer_role": "tenant"})
    # 14 units over 23 days (domain §2's example), irregular: scale 23/30
    #   block 1 bound 8 x 23/30 = 6.1333..; 6.1333.. x 1.344 = 8.2432 -> 8.24
    #   7.8666.. x 1.911 = 15.0332 -> 15.03
    #   water service 8.50 x 23/30 = 6.5166 -> 6.52; wastewater service 9.50 x 23/30 = 7.2833 -> 7.28
    #   no winter 2025 history: default 6 units/month; cap 6 x 23/30 = 4.6 units x 3.200 = 14.72
    #   total 8.24 + 15.03 + 6.52 + 7.28 + 14.72 = 51.79
    assert [l.amount for l in res.bill.lines] == [D("8.24"), D("15.03"), D("6.52"), D("7.28"), D("14.72")]
    assert res.bill.total == D("51.79") and res.bill.period == ServicePeriod(FIRST_READ, MOVE_OUT)
    assert res.previous_balance == 0
    assert res.deposit_applied == D("51.79") and res.refund == D("48.21")  # 100.00 - 51.79
    assert res.amount_due == 0 and not res.printed
    with u.store.read() as conn:
        old = repo.get_account(conn, "10-1001")
        new = repo.get_account(conn, res.new_account_no)
        assert old.status == "final" and old.service_end == MOVE_OUT
        assert new.premise_id == old.premise_id and new.service_start == MOVE_OUT and new.status == "active"
        assert repo.last_read(conn, res.new_account_no)["reading"] == 1044
        assert repo.balance_cents(conn, "10-1001") == 0
    again = final_bill(u, "10-1001", MOVE_OUT, reading=1044)
    assert again.already_posted and not again.posted and again.bill_id == res.bill_id
    assert again.amount_due == 0 and again.refund == D("48.21")


def test_final_bill_estimated_with_unpaid_balance_is_printed(u):
    prev = first_bill_total(u)
    res = final_bill(u, "10-1001", MOVE_OUT, estimate=True, post=False)
    # 30 units / 61 days x 23 days = 11.311 -> 11 units (estimated, flag E)
    #   6.1333.. x 1.344 = 8.24; (11 - 6.1333..) = 4.8666.. x 1.911 = 9.3002 -> 9.30
    #   6.52 + 7.28 + cap 4.6 x 3.2 = 14.72; total 8.24 + 9.30 + 6.52 + 7.28 + 14.72 = 46.06
    assert res.bill.estimated and res.bill.units == 11 and res.bill.reading == 1041
    assert res.bill.total == D("46.06")
    # the first bill (due 2025-05-22) is unpaid: its late charge, assessed 05-23, is on the final bill
    #   1.5% x 123.74 = 1.8561 -> 1.86
    assert prev == D("123.74") and [l.amount for l in res.late_charges] == [D("1.86")]
    assert res.previous_balance == prev and res.amount_due == prev + D("1.86") + D("46.06") and res.printed
    assert not res.posted


def test_final_bill_just_under_one_dollar_is_not_printed(u):
    pay(u, "10-1001", date(2025, 5, 10), first_bill_total(u) + D("51.29"))  # leaves 51.79 - 51.29 = 0.50
    res = final_bill(u, "10-1001", MOVE_OUT, reading=1044)
    assert res.amount_due == D("0.50") and not res.printed
    res2 = compute_final_bill  # the pure function is what the FINAL_BILL cell function calls
    assert callable(res2)


def test_final_bill_refuses_without_reading_and_posts_nothing(u):
    with pytest.raises(FindingsError) as e:
        final_bill(u, "10-1001", MOVE_OUT)
    assert "reading" in str(e.value)
    with pytest.raises(FindingsError):
        final_bill(u, "10-1001", FIRST_READ, reading=1030)  # not after the last read
    with u.store.read() as conn:
        assert repo.get_account(conn, "10-1001").status == "active"


def test_cycle_run_after_a_mid_cycle_final_bill(u, tmp_path):
    from utilbill.bill_run import bill_run

    add_account(u, "10-2002", start=START, initial=500)
    bill_reads(u, "10-2002", [(FIRST_READ, 520)])
    res = final_bill(u, "10-1001", MOVE_OUT, reading=1044, new_customer={"customer_name": "New Owner"})
    wb = Workbook()
    ws = wb.active
    ws.title = "Readings"
    ws.append(["account", "read_date", "reading"])
    cycle = date(2025, 7, 1)
    for acct, reading in (("10-1001", 1060), (res.new_account_no, 1060), ("10-2002", 540)):
        ws.append([acct, cycle, reading])
    path = tmp_path / "readings.xlsx"
    wb.save(path)
    run = bill_run(u, path, run_date=cycle)
    billed = {b.account_no: b for b in run.bills}
    assert "10-1001" not in billed  # the final account is not billed again
    assert any(f.account == "10-1001" for f in run.findings)
    first = billed[res.new_account_no]
    assert first.kind == "first" and first.period == ServicePeriod(MOVE_OUT, cycle) and first.units == 16
    assert billed["10-2002"].period.start == FIRST_READ and billed["10-2002"].units == 20


def test_payoff_equals_final_bill_at_the_date(u):
    hold_deposit(u, "10-1001", START, "20.00")
    d = date(2025, 6, 20)  # after the first bill's due date: a late charge would be assessed
    p = payoff(u, "10-1001", d)
    f = final_bill(u, "10-1001", d, estimate=True, post=False)
    assert len(p.late_charges) == 1 and p.late_charges[0].amount == f.late_charges[0].amount
    assert p.total == f.balance_after_deposit
    assert p.breakdown[-1].amount == p.total
    assert sum(i.amount for i in p.breakdown[:-1]) == p.total


def test_bankruptcy_split_bill_spanning_the_petition_date():
    postings = history_from_text("""
        2025-12-01 bill     30.00  due=2025-12-22 water=30.00
        2025-12-20 payment  10.00  check=1
        2026-01-31 bill     62.40  due=2026-02-23 water=40.00 wastewater=22.40
        2026-02-10 payment  40.00  check=2
    """)
    bills = {1: BilledService(ServicePeriod(date(2025, 10, 1), date(2025, 12, 1)), (D("30.00"),)),
             2: BilledService(ServicePeriod(date(2025, 12, 1), date(2026, 1, 31)), (D("40.00"), D("22.40")))}
    split = petition_split(postings, bills, date(2026, 2, 15), date(2026, 1, 1), chapter=11,
                           policy=example_policy().bankruptcy)
    # bill 2: 61 days, 31 before the petition and 30 from it, line by line:
    #   40.00 x 31/61 = 20.33 pre, 19.67 post; 22.40 x 31/61 = 11.38 pre, 11.02 post -> 31.71 / 30.69
    assert (split.lines[1].pre, split.lines[1].post) == (D("31.71"), D("30.69"))
    # 12-20 payment (before P) pays bill 1: 20.00 left. 02-10 payment 40.00 (after P) pays post-petition first:
    #   30.69 post, then 9.31 of the oldest pre-petition charge: bill 1 20.00 -> 10.69
    assert split.pre_petition == D("10.69") + D("31.71") and split.post_petition == 0
    assert split.total == D("42.40") == ledger_state(postings, date(2026, 2, 15)).balance
    assert split.assurance_deadline == date(2026, 1, 31)  # 30 days under Chapter 11


def test_payoff_with_petition_in_store(u):
    p = payoff(u, "10-1001", date(2025, 6, 20), petition_date=date(2025, 4, 1), chapter=7)
    assert p.split.pre_petition + p.split.post_petition - p.split.credit == p.owed_before_deposit
    assert p.split.assurance_deadline == date(2025, 4, 21)
    with pytest.raises(FindingsError):
        payoff(u, "10-1001", date(2025, 6, 20), petition_date=date(2025, 7, 1))


# --- property: payoff(D) == final bill at D on generated histories ---------------------

POLICY, RATES = example_policy(), example_rates()
ACCOUNT = Account("9-1", "9-1", "residential", "active", "Pat", "owner", "1 A St", "1 A St", "5/8", date(2024, 1, 1))


def _books(units, payments, deposit, d_offset, petition_offset):
    postings, bills, lines, history = [], [], {}, []
    start, reading, pid = date(2024, 1, 1), 100, 0
    for i, n in enumerate(units, start=1):
        end = start + timedelta(days=61)
        b = bill_from_read(ACCOUNT, previous_read_date=start, previous_reading=reading, read_date=end,
                           reading=reading + n, history=list(history), policy=POLICY, rates=RATES, bill_date=end)
        pid += 1
        postings.append(Posting(pid, end, "bill", b.total, due_date=b.due_date, bill_id=i,
                                parts=tuple(sorted(b.priced.fund_totals().items()))))
        bills.append(dict(id=i, period_start=start, period_end=end, bill_date=end, reading=reading + n))
        lines[i] = [dict(amount_cents=int(l.amount * 100)) for l in b.lines]
        history.append(__import__("utilbill.consumption", fromlist=["PastUsage"]).PastUsage(start, end, D(n)))
        start, reading = end, reading + n
    for day, amount in payments:
        pid += 1
        postings.append(Posting(pid, date(2024, 1, 1) + timedelta(days=day), "payment", -D(amount) / 100))
    as_of = start + timedelta(days=d_offset)
    return AccountBooks(ACCOUNT, as_of, postings, bills, lines, history, start, reading, D(deposit) / 100), \
        as_of - timedelta(days=petition_offset)


@settings(max_examples=60, deadline=None)
@given(units=st.lists(st.integers(0, 60), min_size=1, max_size=8),
       payments=st.lists(st.tuples(st.integers(0, 500), st.integers(1, 30000)), max_size=6),
       deposit=st.integers(0, 20000), d_offset=st.integers(1, 60), petition_offset=st.integers(0, 400))
def test_property_payoff_equals_final_bill(units, payments, deposit, d_offset, petition_offset):
    books, petition = _books(units, payments, deposit, d_offset, petition_offset)
    p = compute_payoff(books, POLICY, RATES, petition_date=petition, chapter=13)
    f = compute_final_bill(books, books.as_of, estimate=True, policy=POLICY, rates=RATES)
    assert p.total == f.balance_after_deposit
    assert f.amount_due - f.credit_refund == f.owed - f.deposit_applied or f.owed < 0
    assert f.deposit_applied + f.deposit_refund == f.deposit_held
    # the petition split covers exactly what is owed before the deposit
    assert p.split.pre_petition + p.split.post_petition - p.split.credit == p.owed_before_deposit
    assert p.split.pre_petition >= 0 and p.split.post_petition >= 0
