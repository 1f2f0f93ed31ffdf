"""The sample utility and the demo day."""

from datetime import date, timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from utilbill.cli import app
from utilbill.demo import demo_day
from utilbill.demo_data import generate
from utilbill.home import init_folder
from utilbill.late_charges import assess_late_charges
from utilbill.ledger import ledger_state
from utilbill.store import schema
from utilbill.store.repo import postings_by_account


def test_generated_history_agrees_with_the_engine(tmp_path):
    u = init_folder(tmp_path / "u")
    day = date(2026, 11, 25)
    counts = generate(u, accounts=150, day=day, seed=11)
    assert counts["accounts"] == 150 and counts["bills"] > 1500 and counts["payments"] > 1000
    # The late-charge job, run over the whole history up to the day before, finds nothing the
    # generator missed or charged wrongly (late charges due on the demo day itself are its work).
    run = assess_late_charges(u, day - timedelta(days=1), window_days=800, post=False)
    assert run.assessed == []
    with u.store.read() as conn:
        bills = conn.execute(select(func.count()).select_from(schema.bills)).scalar()
        by_acct = postings_by_account(conn)
    assert bills == counts["bills"]
    # every balance is the sum of its postings, and the ledger's state agrees with it
    for acct, ps in by_acct.items():
        s = ledger_state(ps, day)
        assert s.balance == sum(p.amount for p in ps)


def test_demo_day_is_a_business_day():
    from utilbill.config import example_policy

    cal = example_policy().calendar
    assert demo_day(cal, date(2026, 11, 27)) == date(2026, 11, 25)  # Thanksgiving Thu, closed Fri
    assert demo_day(cal, date(2026, 11, 30)) == date(2026, 11, 30)


def test_demo_command_runs_the_whole_day(tmp_path):
    target = tmp_path / "demo"
    r = CliRunner().invoke(app, ["demo", "--dir", str(target), "--accounts", "120", "--day", "2026-11-25"])
    assert r.exit_code == 0, r.output
    assert "Bill run:" in r.output and "Files to open" in r.output
    assert (target / "output" / "bills" / "Bills-2026-11-25.xlsx").exists()
    # a second run refuses to overwrite without --force
    r2 = CliRunner().invoke(app, ["demo", "--dir", str(target), "--accounts", "120"])
    assert r2.exit_code == 2 and "--force" in r2.output
