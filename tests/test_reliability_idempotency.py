"""Idempotency: every job run a second time with the same input posts nothing new, and says
so. One test, parametrized over every posting job there is: the bill run, the three CIS
imports, late charges, a payment batch, a returned payment, the notice run, a final bill and
the bank's report. Every table but the audit log (which may note the attempt) is compared
row for row before and after the second run."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from books import DAY, batch_file, sample_utility, snapshot
from utilbill.cli import app
from utilbill.commands import common

runner = CliRunner()


def _sheet(path, title, header, rows):
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _first(u, sql):
    con = sqlite3.connect(u.store_path)
    try:
        return con.execute(sql).fetchone()
    finally:
        con.close()


def _cli(u, *argv):
    res = runner.invoke(app, [*argv, "--home", str(u.root)])
    assert res.exit_code == 0, res.output
    return res.output


def bill_run(u, tmp):
    from utilbill.demo_steps.billing import make_readings_workbook

    path = tmp / "readings.xlsx"
    make_readings_workbook(u, DAY, path)
    return lambda: _cli(u, "bill-run", str(path), "--date", DAY.isoformat()), "already run"


def import_accounts(u, tmp):
    path = _sheet(tmp / "accounts.xlsx", "Accounts", ["Account", "Class", "Customer Name", "Service Address",
                                                      "Meter Size", "Service Start", "Initial Reading"],
                  [["30-0001-1", "residential", "New Customer", "1 Oak St", "5/8", DAY, 100]])
    return lambda: _cli(u, "import", "accounts", str(path)), "already imported"


def import_reads(u, tmp):
    acct = _first(u, "SELECT account_no FROM accounts ORDER BY account_no")[0]
    path = _sheet(tmp / "reads.xlsx", "Reads", ["Account", "Read Date", "Reading", "Read Type"],
                  [[acct, date(2026, 4, 1), 99999, "actual"]])
    return lambda: _cli(u, "import", "reads", str(path)), "already imported"


def import_postings(u, tmp):
    acct = _first(u, "SELECT account_no FROM accounts ORDER BY account_no")[0]
    path = _sheet(tmp / "postings.xlsx", "Postings", ["Account", "Date", "Kind", "Amount", "Memo"],
                  [[acct, DAY, "payment", 12.34, "history"], [acct, DAY, "fee", 5, "history"]])
    return lambda: _cli(u, "import", "postings", str(path)), "already imported"


def late_charges(u, tmp):
    from utilbill.late_charges import assess_late_charges

    def run():
        r = assess_late_charges(u, date(2026, 4, 20))
        return f"late charges assessed: {len(r.assessed)}."
    return run, "late charges assessed: 0."


def payment_batch(u, tmp):
    accts = [a for (a,) in sqlite3.connect(u.store_path).execute("SELECT account_no FROM accounts LIMIT 3")]
    path = batch_file(tmp / "mail.xlsx", [(a, "25.00", "check", f"70{i}") for i, a in enumerate(accts)])
    return lambda: _cli(u, "payments", "post", str(path), "--source", "mail"), "already posted"


def returned_payment(u, tmp):
    pid, acct = _first(u, "SELECT id, account_no FROM postings WHERE kind = 'payment' ORDER BY id DESC")
    return lambda: _cli(u, "returned-payment", acct, "--code", "R01", "--posting", str(pid),
                        "--date", DAY.isoformat()), "already recorded"


def notice_run(u, tmp):
    from utilbill.collections_jobs import issue_notices

    def run():
        r = issue_notices(u, DAY)
        return f"new notices: {r.new_count}."
    return run, "new notices: 0."


def final_bill(u, tmp):
    from utilbill.final_bill import final_bill as job

    acct = _first(u, "SELECT account_no FROM accounts WHERE status = 'active' ORDER BY account_no")[0]

    def run():
        r = job(u, acct, DAY, estimate=True)
        return "already final-billed" if r.already_posted else f"posted bill {r.bill_id}"
    return run, "already final-billed"


def bank_report(u, tmp):
    path = _sheet(tmp / "bank.xlsx", "Bank Report", ["Date", "Bank", "Items", "Total"], [[DAY, "First Bank", 3, 150.0]])
    return lambda: _cli(u, "cash", "bank-report", str(path)), "already recorded"


JOBS = [bill_run, import_accounts, import_reads, import_postings, late_charges, payment_batch, returned_payment,
        notice_run, final_bill, bank_report]


@pytest.mark.parametrize("job", JOBS, ids=[j.__name__ for j in JOBS])
def test_second_run_with_the_same_input_posts_nothing_and_says_so(tmp_path, job, monkeypatch):
    monkeypatch.setattr(common.console, "width", 1000)
    u = sample_utility(tmp_path / "utility")
    run, says = job(u, tmp_path)
    first = run()
    middle = snapshot(u.store_path)
    assert says not in first, first
    second = run()
    assert says in second, second
    after = snapshot(u.store_path)
    changed = [t for t in middle if t != "audit_log" and middle[t] != after[t]]
    assert changed == [], f"the second run changed {changed}"
