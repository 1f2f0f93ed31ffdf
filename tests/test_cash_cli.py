"""The cash commands end to end through typer's CliRunner on a temporary utility folder."""

from __future__ import annotations

import openpyxl
import pytest
from typer.testing import CliRunner

from test_cash_helpers import DAY, add_account, add_bill, make_utility, write_batch
from utilbill.cli import app

runner = CliRunner()


@pytest.fixture
def home(tmp_path):
    u = make_utility(tmp_path)
    add_account(u, "10-1001")
    add_bill(u, "10-1001", "40.00", "22.40")
    return u.root


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_payments_post_then_again(home, tmp_path):
    f = write_batch(tmp_path / "walkin.xlsx", [("10-1001", "62.40", "cash", None), ("55-5555", "5.00", "cash", None)],
                    drawer="DRAWER-1")
    r = run("payments", "post", f, "--source", "walk-in", "--home", home)
    assert r.exit_code == 0, r.output
    assert "1 posted, 1 suspense" in r.output and "unknown account" in r.output
    r = run("payments", "post", f, "--source", "walk-in", "--home", home)
    assert r.exit_code == 0 and "already posted" in r.output


def test_payments_post_out_of_balance_exits_2(home, tmp_path):
    f = write_batch(tmp_path / "mail.csv", [("10-1001", "62.40", "check", "5")], control_total="64.20")
    r = run("payments", "post", f, "--source", "mail", "--home", home)
    assert r.exit_code == 2
    assert "out of balance" in r.output and "nothing was posted" in r.output


def test_payments_post_with_control_options(home, tmp_path):
    path = tmp_path / "telepay.csv"
    path.write_text("account,amount\n10-1001,62.40\n")
    r = run("payments", "post", path, "--source", "telepay", "--control-count", 1, "--control-total", "62.40",
            "--date", DAY.isoformat(), "--home", home)
    assert r.exit_code == 0, r.output
    assert "water $40.00" in r.output and "wastewater $22.40" in r.output


def test_cash_count_day_and_check(home, tmp_path, libreoffice):
    f = write_batch(tmp_path / "walkin.xlsx", [("10-1001", "62.40", "cash", None)], drawer="DRAWER-1")
    assert run("payments", "post", f, "--source", "walk-in", "--home", home).exit_code == 0
    # 212.40 = 150.00 opening + 62.40: 2 x 100 + 1 x 10 + 2 x 1 + 1 x 0.25 + 1 x 0.10 + 1 x 0.05
    r = run("cash", "count", DAY.isoformat(), "DRAWER-1", "bill_100=2", "bill_10=1", "bill_1=2", "coin_25=1",
            "coin_10=1", "coin_5=1", "--home", home)
    assert r.exit_code == 0, r.output
    assert run("cash", "petty", DAY.isoformat(), "--on-hand", "100.00", "--home", home).exit_code == 0
    out = tmp_path / "daily.xlsx"
    r = run("cash", "day", DAY.isoformat(), "--out", out, "--home", home)
    assert r.exit_code == 0, r.output
    assert "OUT OF BALANCE" not in r.output and out.exists()
    r = run("cash", "check", out, "--home", home)
    assert r.exit_code == 0, r.output
    assert "Status: BALANCED" in r.output
    wb = openpyxl.load_workbook(out)
    wb["Deposit Slip"]["B9"] = 62.40
    wb.save(tmp_path / "edited.xlsx")
    r = run("cash", "check", tmp_path / "edited.xlsx", "--home", home)
    assert r.exit_code == 1 and "WORKBOOK DIFFERS" in r.output


def test_cash_count_rejects_an_unknown_denomination(home):
    r = runner.invoke(app, ["cash", "count", DAY.isoformat(), "DRAWER-1", "bill_3=1", "--home", str(home)])
    assert r.exit_code != 0 and "unknown denomination" in r.output


def test_bank_report_recorded_once(home, tmp_path):
    path = tmp_path / "bank.csv"
    path.write_text("date,bank,items,total\n2026-03-02,First Sample Bank,2,12.25\n")
    r = run("cash", "bank-report", path, "--home", home)
    assert r.exit_code == 0 and "2 items, $12.25" in r.output
    r = run("cash", "bank-report", path, "--home", home)
    assert "already recorded" in r.output


def test_suspense_items_listed_applied_returned_and_journaled(home, tmp_path):
    from test_cash_helpers import add_account

    from utilbill.home import Utility

    add_account(Utility(home), "10-1002")
    f = write_batch(tmp_path / "walkin.xlsx", [("55-5555", "5.00", "cash", None), ("66-6666", "7.50", "cash", None)],
                    drawer="DRAWER-1")
    assert run("payments", "post", f, "--source", "walk-in", "--home", home).exit_code == 0
    r = run("payments", "open-items", "--home", home)
    assert r.exit_code == 0 and "55-5555" in r.output and "66-6666" in r.output and "(2, $12.50)" in r.output
    from utilbill.suspense import open_items

    first = [i.item_id for i in open_items(Utility(home)) if i.account_no == "55-5555"][0]
    assert f"│ {first} " in r.output
    r = run("cash", "day", "2026-03-02", "--home", home)
    assert r.exit_code == 0 and "Suspense and held items still open: 2, $12.50, the oldest received 2026-03-02" \
        in r.output.replace("\n", " ")
    r = run("payments", "apply", first, "--home", home, "--date", "2026-03-09")
    assert r.exit_code == 2 and "give the account it belongs to" in r.output
    r = run("payments", "apply", first, "--account", "10-1001", "--date", "2026-03-09", "--home", home)
    assert r.exit_code == 0, r.output
    assert "applied to 10-1001: $5.00 posted as a payment of 2026-03-02" in r.output and "water $3.21, wastewater $1.79" in r.output
    r = run("payments", "return", first + 1, "--reason", "no such customer", "--date", "2026-03-09", "--home", home)
    assert r.exit_code == 0 and "returned: $7.50" in r.output
    r = run("payments", "transfers", "--date", "2026-03-09", "--home", home)
    assert r.exit_code == 0 and "Total" in r.output and "$12.50" in r.output
    assert (home / "output" / "cash" / "Suspense-2026-03-09.xlsx").exists()
    r = run("payments", "open-items", "--home", home)
    assert "No suspense or held items are open." in r.output
