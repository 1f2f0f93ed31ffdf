"""Run verification on a run file altered on purpose, the customer inquiry, and every
special-billing command end to end through the CLI."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from test_special_helpers import add_account, bill_reads, bimonthly_reads, hold_deposit, make_utility, pay
from utilbill.cli import app
from utilbill.inquiry import account_inquiry, write_inquiry_workbook
from utilbill.verify_run import verify_run, write_verify_workbook

START = date(2025, 1, 2)
RUN = date(2026, 1, 3)
runner = CliRunner()


@pytest.fixture
def u(tmp_path):
    u = make_utility(tmp_path)
    for i, acct in enumerate(("10-1001", "10-1002", "10-1003")):
        add_account(u, acct, start=START, initial=1000)
        bill_reads(u, acct, bimonthly_reads(START, 1000, [10 + i, 12, 11, 13, 12]))
    return u


@pytest.fixture
def run_file(u, tmp_path):
    from utilbill.bill_run import bill_run

    wb = Workbook()
    ws = wb.active
    ws.title = "Readings"
    ws.append(["account", "read_date", "reading"])
    for acct, reading in (("10-1001", 1072), ("10-1002", 1075), ("10-1003", 1080)):
        ws.append([acct, RUN, reading])
    wb.save(tmp_path / "readings.xlsx")
    res = bill_run(u, tmp_path / "readings.xlsx", run_date=RUN, out_path=tmp_path / "Bills.xlsx")
    assert res.posted == 3
    return tmp_path / "Bills.xlsx", res.job_id


def test_verify_run_clean(u, run_file):
    res = verify_run(u, run_file[0])
    assert res.checked == 3 and res.differences == []


def test_verify_run_finds_changed_missing_and_extra(u, run_file, tmp_path):
    path, _ = run_file
    wb = load_workbook(path)
    bills, lines = wb["Bills"], wb["Lines"]
    head = [c.value for c in bills[1]]
    rows = {r[0].value: r for r in bills.iter_rows(min_row=2)}
    lhead = [c.value for c in lines[1]]
    for r in lines.iter_rows(min_row=2):
        if r[0].value == "10-1001" and r[lhead.index("seq")].value == 1:
            r[lhead.index("amount")].value = r[lhead.index("amount")].value + 1  # a changed line
    missing_row = rows["10-1002"][0].row
    extra = [c.value for c in rows["10-1003"]]
    extra[head.index("account")] = "99-9999"
    extra[head.index("bill_key")] = "99-9999|x"
    bills.delete_rows(missing_row)  # a missing bill
    bills.append(extra)  # an extra bill
    altered = tmp_path / "Bills-altered.xlsx"
    wb.save(altered)
    res = verify_run(u, altered, previous=path)
    what = {(d.account, d.what, d.field) for d in res.differences}
    assert ("10-1001", "changed", "line 1 amount") in what
    assert ("10-1002", "missing", "") in what
    assert ("99-9999", "extra", "") in what
    assert not any(d.account == "10-1003" for d in res.differences)
    prev = {(d.account, d.what) for d in res.against_previous}
    assert ("10-1002", "missing") in prev and ("99-9999", "extra") in prev
    out = write_verify_workbook(res, tmp_path / "verify.xlsx")
    assert load_workbook(out).sheetnames == ["Differences", "Against previous"]


def test_inquiry_explains_the_latest_bill(u, tmp_path):
    pay(u, "10-1001", date(2025, 12, 1), "100.00")
    inq = account_inquiry(u, "10-1001", date(2026, 1, 1))
    assert inq.latest_bill["period_end"] == date(2025, 11, 3)
    assert inq.balance == inq.history[-1]["balance"]
    assert any("Water, block 1" in line and "x $1.344" in line for line in inq.explanation)
    assert any("winter average" in line for line in inq.explanation)
    wb = load_workbook(write_inquiry_workbook(inq, tmp_path / "inq.xlsx"))
    assert wb.sheetnames == ["Account", "Account history", "Latest bill"]


def cli(u, *args):
    result = runner.invoke(app, [*args, "--home", str(u.root)])
    return result


def test_cli_commands_end_to_end(u, run_file, tmp_path):
    path, job = run_file
    r = cli(u, "account", "10-1001", "--out", str(tmp_path / "a.xlsx"))
    assert r.exit_code == 0, r.output
    assert "Latest bill explained" in r.output
    r = cli(u, "payoff", "10-1002", "--as-of", "2026-01-20", "--petition-date", "2025-12-01", "--chapter", "13",
            "--to", "Jane Roe, Attorney", "--out", str(tmp_path / "p"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "p" / "Payoff-10-1002-2026-01-20.pdf").exists() and "Pre-petition" in r.output
    r = cli(u, "review", str(job), "--out", str(tmp_path / "rv"))
    assert r.exit_code == 0, r.output
    assert (tmp_path / "rv" / f"Pull-run{job}.xlsx").exists() and (tmp_path / "rv" / f"PrintFile-run{job}.pdf").exists()
    r = cli(u, "print-bills", "--job", str(job), "--out", str(tmp_path / "print.pdf"))
    assert r.exit_code == 0 and "3 bill(s) printed" in r.output, r.output
    r = cli(u, "verify-run", str(path), "--out", str(tmp_path / "v.xlsx"))
    assert r.exit_code == 0, r.output
    r = cli(u, "adjust", "general", "10-1003", "--amount", "-4.00", "--reason", "COURTESY", "--on", "2026-01-05")
    assert r.exit_code == 0 and "Posted" in r.output, r.output
    r = cli(u, "adjust", "general", "10-1003", "--amount", "-4.00", "--reason", "COURTESY", "--on", "2026-01-05")
    assert "Already posted" in r.output
    r = cli(u, "adjust", "general", "10-1003", "--amount", "-4.00", "--reason", "NOPE")
    assert r.exit_code == 2
    r = cli(u, "adjust", "leak", "10-1003", "--on", "2026-01-10")
    assert r.exit_code in (0, 2), r.output  # this run's use may or may not be above average
    r = cli(u, "adjust", "cancel-rebill", "10-1003", "--reading", "1078", "--reason", "misread", "--on", "2026-01-10")
    assert r.exit_code == 0 and "new bill" in r.output, r.output
    hold_deposit(u, "10-1001", START, "50.00")
    r = cli(u, "final-bill", "10-1001", "--move-out", "2026-01-20", "--reading", "1075", "--new-customer", "Sam New",
            "--new-role", "tenant", "--out", str(tmp_path / "f"))
    assert r.exit_code == 0, r.output
    assert "now final" in r.output and (tmp_path / "f" / "FinalBill-10-1001-2026-01-20.pdf").exists()
    r = cli(u, "final-bill", "10-1001", "--move-out", "2026-01-20", "--reading", "1075", "--out", str(tmp_path / "f"))
    assert r.exit_code == 0 and "already final-billed" in r.output, r.output
    r = cli(u, "final-bill", "10-1002", "--move-out", "2026-01-20")
    assert r.exit_code == 2


def test_demo_step_runs_on_a_store(u, run_file):
    from utilbill.demo_steps import DemoReport
    from utilbill.demo_steps.special import run

    report = DemoReport(area="special")
    run(u, date(2026, 1, 20), report)
    text = "\n".join(t for _, t in report.lines)
    assert "Review of bill run" in text and "Final bill for" in text and "Payoff for the estate" in text
    assert all(p.exists() for _, p, _ in report.outputs)
