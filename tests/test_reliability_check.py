"""`utilbill check`: every invariant it asserts is broken once, by hand (as a database tool
or a bug would), and found with its table, row id and account; the CLI exits non-zero."""

from __future__ import annotations

import json
import sqlite3
import time
from datetime import date

import pytest
from typer.testing import CliRunner

from books import DAY, sample_utility
from utilbill.cli import app
from utilbill.home import init_folder
from utilbill.integrity import check_store

runner = CliRunner()


@pytest.fixture
def u(tmp_path):
    return sample_utility(tmp_path / "utility")


def _raw(u):
    """A plain connection with foreign keys off: what a hand edit with a database tool does."""
    con = sqlite3.connect(u.store_path, isolation_level=None)
    con.execute("PRAGMA foreign_keys = OFF")
    return con


def _some(con, sql):
    return con.execute(sql).fetchone()


def _post(con, account, kind, cents, *, reverses=None, bill_id=None, parts=None, day="2026-03-10", clerk="tester"):
    return con.execute(
        "INSERT INTO postings (account_no, effective_date, posted_at, kind, amount_cents, reverses_id, bill_id, parts,"
        " clerk, memo) VALUES (?, ?, '2026-03-10T10:00:00', ?, ?, ?, ?, ?, ?, 'test')",
        (account, day, kind, cents, reverses, bill_id, json.dumps(parts) if parts else None, clerk)).lastrowid


def _found(u, check):
    report = check_store(u.store, deep=True)
    return report, [f for f in report.findings if f.check == check]


def test_sample_utility_is_consistent_and_cli_exits_zero(u):
    report = check_store(u.store, deep=True)
    assert report.ok, [str(f) for f in report.findings]
    assert report.checked["accounts"] == 120 and report.checked["postings"] > 1000
    assert report.deep_accounts == 120 and report.skipped == []
    res = runner.invoke(app, ["check", "--home", str(u.root)])
    assert res.exit_code == 0, res.output
    assert "store consistent" in res.output


def test_reversals_each_broken_rule_is_found(u):
    con = _raw(u)
    pay_id, acct = _some(con, "SELECT id, account_no FROM postings WHERE kind = 'payment' ORDER BY id LIMIT 1")
    other = _some(con, f"SELECT account_no FROM accounts WHERE account_no <> '{acct}' LIMIT 1")[0]
    amount = _some(con, f"SELECT amount_cents FROM postings WHERE id = {pay_id}")[0]
    missing = _post(con, acct, "reversal", 500, reverses=999_999)
    wrong_account = _post(con, other, "reversal", -amount, reverses=pay_id)
    wrong_amount = _post(con, acct, "reversal", -amount + 1, reverses=pay_id)
    of_reversal = _post(con, acct, "reversal", amount, reverses=wrong_amount)
    con.close()
    report, found = _found(u, "reversals")
    msgs = {(f.row_id, f.message) for f in found}
    assert (missing, "reverses posting 999999, which does not exist") in msgs
    assert any(r == wrong_account and "of another account" in m for r, m in msgs)
    # -amount + 1: the reversal must be exactly the opposite of the payment
    assert any(r == wrong_amount and "must be" in m for r, m in msgs)
    assert any(r == of_reversal and "itself a reversal" in m for r, m in msgs)
    assert any(r == pay_id and "reversed 2 times" in m for r, m in msgs)  # wrong_account and wrong_amount
    # the account whose sum of postings no longer equals its ledger is named too
    balances = [f for f in report.findings if f.check == "balances"]
    assert acct in {f.account for f in balances}
    assert all(f.table == "postings" for f in found)


def test_bills_that_do_not_foot_are_found(u):
    con = _raw(u)
    bill_id, acct, total = _some(con, "SELECT b.id, b.account_no, b.total_cents FROM bills b "
                                      "WHERE EXISTS (SELECT 1 FROM bill_lines l WHERE l.bill_id = b.id) LIMIT 1")
    con.execute("INSERT INTO bill_lines (bill_id, seq, code, description, fund, quantity, rate, amount_cents, basis)"
                " VALUES (?, 99, 'x', 'typed by hand', 'water', '1', '0.01', 1, '')", (bill_id,))
    cols = "bill_key, account_no, kind, bill_date, due_date, period_start, period_end, units, regular, months, " \
           "total_cents, created_at, estimated, rollover"
    lonely = con.execute(f"INSERT INTO bills ({cols}) VALUES ('k-lonely', ?, 'special', '2026-03-01', '2026-03-22', "
                         f"'2026-02-01', '2026-03-01', '3', 0, '1', 1234, 'now', 0, 0)", (acct,)).lastrowid
    short = con.execute(f"INSERT INTO bills ({cols}) VALUES ('k-short', ?, 'special', '2026-03-01', '2026-03-22', "
                        f"'2026-02-01', '2026-03-01', '3', 0, '1', 1000, 'now', 0, 0)", (acct,)).lastrowid
    _post(con, acct, "bill", 999, bill_id=short, parts={"water": 500, "wastewater": 499})
    bad_parts = _post(con, acct, "fee", 3000, parts={"fees": 2900})
    con.close()
    _, found = _found(u, "bills foot")
    msgs = {(f.table, f.row_id): f.message for f in found}
    # the added 0.01 line: lines = total + 0.01
    assert msgs[("bills", bill_id)] == f"lines add up to {(total + 1) / 100:,.2f}, not the bill total {total / 100:,.2f}"
    assert msgs[("bills", lonely)] == "bill has no bill posting"
    assert msgs[("bills", short)] == "bill posting is for 9.99, the bill's total is 10.00"
    assert msgs[("postings", bad_parts)] == "fund parts add up to 29.00, not the amount 30.00"


def test_batches_that_do_not_balance_and_items_that_do_not_add_up_are_found(u):
    con = _raw(u)
    acct = _some(con, "SELECT account_no FROM accounts LIMIT 1")[0]
    bid = con.execute("INSERT INTO payment_batches (batch_date, source, control_count, control_total_cents, item_count,"
                      " total_cents, file_hash, status, posted_at, clerk) VALUES ('2026-03-16', 'mail', 2, 10000, 2,"
                      " 10000, 'h1', 'posted', 'now', 't')").lastrowid
    pid = _post(con, acct, "payment", -4000)
    item = con.execute("INSERT INTO payment_items (batch_id, row, line_type, account_no, amount_cents, tender, pay_date,"
                       " disposition, posting_id) VALUES (?, 7, 'payment', ?, 5000, 'check', '2026-03-16', 'posted', ?)",
                       (bid, acct, pid)).lastrowid
    con.execute("INSERT INTO payment_allocations (item_id, posting_id, fund, amount_cents) VALUES (?, ?, 'water', 4000)",
                (item, pid))
    con.close()
    _, found = _found(u, "batches")
    msgs = {(f.table, f.row_id): [] for f in found}
    for f in found:
        msgs[(f.table, f.row_id)].append(f.message)
    # one item of 50.00 against a batch that says 2 items for 100.00
    assert "items are 1 for 50.00 but the batch records 2 for 100.00" in msgs[("payment_batches", bid)]
    assert "items are 1 for 50.00 against the control 2 for 100.00: a posted batch must balance" in \
        msgs[("payment_batches", bid)]
    assert "fund allocations add up to 40.00, not the item 50.00" in msgs[("payment_items", item)]
    assert f"item of 50.00 is posted as 40.00 to account {acct} (posting {pid})" in msgs[("payment_items", item)]


def test_arrangement_installments_must_add_up_to_what_they_finance(u):
    con = _raw(u)
    acct = _some(con, "SELECT account_no FROM accounts LIMIT 1")[0]
    aid = con.execute("INSERT INTO arrangements (account_no, made_date, past_due_cents, down_cents, installments, "
                      "first_due, clerk, created_at, assistance, override, status) VALUES (?, '2026-03-01', 30000, 6000, 3, "
                      "'2026-04-01', 't', 'now', 0, 0, 'current')",
                      (acct,)).lastrowid
    for n, cents in ((1, 8000), (2, 8000)):  # 240.00 financed, 160.00 scheduled, and 2 of 3 installments
        con.execute("INSERT INTO arrangement_installments (arrangement_id, number, due_date, amount_cents) "
                    "VALUES (?, ?, '2026-04-01', ?)", (aid, n, cents))
    con.close()
    _, found = _found(u, "arrangements")
    assert [f.message for f in found] == [
        "installments add up to 160.00, not the past due 300.00 less the down payment 60.00 = 240.00",
        "has 2 installments; the arrangement says 3"]
    assert {(f.table, f.row_id, f.account) for f in found} == {("arrangements", aid, acct)}


def test_active_notice_paid_before_the_last_notice_run_is_found_paid_after_is_not(u):
    from utilbill.ledger import ledger_state
    from utilbill.store.repo import postings_by_account

    with u.store.read() as conn:
        books = postings_by_account(conn)
    acct = next(a for a, ps in sorted(books.items()) if ledger_state(ps, date(2026, 3, 2)).past_due() >= 50)
    con = _raw(u)

    def notice(key, issued):
        nid = con.execute("INSERT INTO notices (notice_key, account_no, issued_date, earliest_turnoff, amount_cents, "
                          "reason, delivery, status, clerk, created_at) VALUES (?, ?, ?, '2026-04-01', 5000, "
                          "'nonpayment', 'mail', 'active', 't', 'now')", (key, acct, issued)).lastrowid
        con.execute("INSERT INTO notice_events (notice_id, event, event_date, clerk, at) VALUES (?, 'issued', ?, 't', "
                    "'now')", (nid, issued))
        return nid

    nid = notice("n1", "2026-03-02")
    _post(con, acct, "payment", -5000, day="2026-03-05")  # pays the noticed 50.00 on Mar 5 (after the notice)
    con.close()
    _, found = _found(u, "notices")
    assert found == []  # paid after the last notice run (Mar 2): the next run removes it
    con = _raw(u)
    con.execute("INSERT INTO notice_events (notice_id, event, event_date, clerk, at) VALUES (?, 'worked', "
                "'2026-03-09', 't', 'now')", (nid,))  # a notice run on Mar 9 left it active
    con.close()
    _, found = _found(u, "notices")
    assert [(f.table, f.row_id, f.account) for f in found] == [("notices", nid, acct)]
    assert "still active although paid" in found[0].message


def test_missing_append_only_trigger_and_anonymous_posting_are_found_and_cli_exits_one(u):
    con = _raw(u)
    con.execute("DROP TRIGGER postings_no_delete")
    acct = _some(con, "SELECT account_no FROM accounts LIMIT 1")[0]
    anon = _post(con, acct, "adjustment", 100, clerk="")
    con.close()
    report = check_store(u.store)
    assert ("append-only", "postings", None) in {(f.check, f.table, f.row_id) for f in report.findings}
    assert ("audit", "postings", anon) in {(f.check, f.table, f.row_id) for f in report.findings}
    res = runner.invoke(app, ["check", "--home", str(u.root)])
    assert res.exit_code == 1
    assert "postings_no_delete" not in res.output  # the clerk reads words, not trigger names
    assert "refusing DELETE on postings is missing" in res.output
    assert acct in res.output and str(anon) in res.output


def test_overdrawn_deposit_is_found(u):
    con = _raw(u)
    acct = _some(con, "SELECT account_no FROM accounts LIMIT 1")[0]
    con.execute("INSERT INTO deposits (account_no, received_date, amount_cents, kind, clerk) VALUES "
                "(?, '2026-01-02', 10000, 'held', 't'), (?, '2026-03-02', -15000, 'applied', 't')", (acct, acct))
    con.close()
    _, found = _found(u, "deposits")
    assert [(f.account, f.message) for f in found] == [(acct, "more applied or refunded than held (net -50.00)")]


def test_check_covers_100000_accounts(tmp_path):
    """100,000 accounts, each with a two-line bill, its posting and a payment: the bulk
    queries take seconds; the ledger is recomputed for a sample (1,000 accounts)."""
    u = init_folder(tmp_path / "big")
    u.store.dispose()
    n = 100_000
    con = sqlite3.connect(u.store_path, isolation_level=None)
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("BEGIN")
    con.executemany("INSERT INTO accounts (account_no, premise_id, account_class, status, customer_name, customer_role,"
                    " service_address, mailing_address, meter_size, flags, cash_only, service_start, notice_delivery,"
                    " created_at) VALUES (?, ?, 'residential', 'active', 'C', 'owner', 'A', 'A', '5/8', '', 0, "
                    "'2025-01-01', 'mail', 'now')", ((f"A{i:06d}", f"P{i}") for i in range(n)))
    con.executemany("INSERT INTO bills (id, bill_key, account_no, kind, bill_date, due_date, period_start, period_end,"
                    " units, regular, months, total_cents, created_at, estimated, rollover) VALUES (?, ?, ?, 'regular', "
                    "'2026-01-15', '2026-02-05', '2025-11-15', '2026-01-15', '10', 1, '2', 6000, 'now', 0, 0)",
                    ((i + 1, f"k{i}", f"A{i:06d}") for i in range(n)))
    con.executemany("INSERT INTO bill_lines (bill_id, seq, code, description, fund, quantity, rate, amount_cents, basis)"
                    " VALUES (?, ?, ?, 'x', ?, '1', '1', ?, '')",
                    (row for i in range(n) for row in ((i + 1, 1, "w", "water", 3500), (i + 1, 2, "ww", "wastewater", 2500))))
    con.executemany("INSERT INTO postings (account_no, effective_date, posted_at, kind, amount_cents, due_date, bill_id,"
                    " parts, clerk, memo) VALUES (?, ?, 'now', ?, ?, ?, ?, ?, 't', 'm')",
                    (row for i in range(n) for row in (
                        (f"A{i:06d}", "2026-01-15", "bill", 6000, "2026-02-05", i + 1, '{"water": 3500, "wastewater": 2500}'),
                        (f"A{i:06d}", "2026-02-01", "payment", -6000 + (i % 7) * 100, None, None, None))))
    con.execute("COMMIT")
    con.close()
    t = time.perf_counter()
    report = check_store(u.store)
    took = time.perf_counter() - t
    assert report.ok, report.findings[:5]
    assert report.checked == {"accounts": n, "postings": 2 * n, "bills": n, "batches": 0}
    assert report.deep_accounts == 1000
    print(f"check took {took:.1f} s")  # speed is measured in bench/, never asserted


def test_check_on_an_empty_store_passes(tmp_path):
    u = init_folder(tmp_path / "empty")
    report = check_store(u.store)
    assert report.ok and report.checked["accounts"] == 0 and report.deep_accounts == 0
    assert DAY.year == 2026 and date(2026, 3, 16) == DAY
