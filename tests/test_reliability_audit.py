"""Audit: after a business day (bill run, late charges, review, final bill, payoff, payment
batches, a returned payment, the notice run, an arrangement made on a supervisor's
override), every posting of every kind posted that day says who (the configured clerk id),
when, why, and, when it came from a file, which file with its SHA-256; every override is in
the audit log with its reason; `utilbill audit --from --to` exports it all as a workbook."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from books import DAY, sample_utility
from utilbill.cli import app
from utilbill.demo_steps import DemoReport
from utilbill.home import Utility

runner = CliRunner()
FROM_FILES = ("bill", "payment")  # kinds that a day's input files post (readings, payment batches)


def test_every_posting_of_the_day_says_who_when_why_and_from_which_file(tmp_path, monkeypatch):
    monkeypatch.setenv("UTILBILL_CLERK", "jdoe")
    u = sample_utility(tmp_path / "utility")
    con = sqlite3.connect(u.store_path)
    start_id = con.execute("SELECT max(id) FROM postings").fetchone()[0]
    con.close()
    from utilbill.arrangement_jobs import make_arrangement
    from utilbill.collections_jobs import issue_notices
    from utilbill.demo_steps import billing, cash, special
    from utilbill.ledger import ledger_state
    from utilbill.returned_payment_job import returned_payment
    from utilbill.store.repo import postings_by_account

    report = DemoReport()
    for step in (billing, special, cash):
        step.run(u, DAY, report)
    con = sqlite3.connect(u.store_path)
    pid, acct = con.execute("SELECT id, account_no FROM postings WHERE kind = 'payment' AND id > ? ORDER BY id",
                            (start_id,)).fetchone()
    con.close()
    returned_payment(u, acct, return_date=DAY, code="R01", payment_posting_id=pid)
    issue_notices(u, DAY)
    with u.store.read() as conn:
        books = postings_by_account(conn)
    owing, past_due = next((a, ledger_state(ps, DAY).past_due()) for a, ps in sorted(books.items())
                           if ledger_state(ps, DAY).past_due() > 100)
    con = sqlite3.connect(u.store_path)  # an arrangement broken last autumn: not eligible without an override
    con.execute("INSERT INTO arrangements (account_no, made_date, past_due_cents, down_cents, installments, first_due,"
                " assistance, override, status, status_date, clerk, created_at) VALUES (?, '2025-10-01', 10000, 2000,"
                " 1, '2025-11-01', 0, 0, 'broken', '2025-11-06', 'x', 'then')", (owing,))
    con.execute("INSERT INTO arrangement_installments (arrangement_id, number, due_date, amount_cents) VALUES "
                "(last_insert_rowid(), 1, '2025-11-01', 8000)")
    con.commit()
    con.close()
    down = (past_due / 2).quantize(Decimal("0.01"))
    arr = make_arrangement(u, owing, down, 6, as_of=DAY, override_reason="supervisor M. Ruiz: hardship")
    assert arr.arrangement_id is not None

    con = sqlite3.connect(u.store_path)
    con.row_factory = sqlite3.Row
    rows = con.execute("SELECT * FROM postings WHERE id > ?", (start_id,)).fetchall()
    kinds = {r["kind"] for r in rows}
    assert {"bill", "payment", "reversal", "fee"} <= kinds, kinds
    for r in rows:
        where = f"posting {r['id']} ({r['kind']})"
        assert r["clerk"] == "jdoe", where
        datetime.fromisoformat(r["posted_at"])  # when, to the microsecond, UTC
        assert (r["memo"] or r["reason_code"] or "").strip(), f"{where} does not say why"
        if r["source_file"]:
            assert r["source_hash"], f"{where} names its file without its hash"
            if Path(r["source_file"]).exists():
                assert hashlib.sha256(Path(r["source_file"]).read_bytes()).hexdigest() == r["source_hash"], where
        if r["kind"] in FROM_FILES and r["job_id"] is not None and r["bill_id"] is None or r["kind"] == "payment":
            assert r["source_file"] and r["source_hash"], f"{where} does not say which file it came from"
    # the reversal of the returned payment points to it and is audited
    rev = next(r for r in rows if r["kind"] == "reversal")
    assert rev["reverses_id"] == pid
    entries = con.execute("SELECT * FROM audit_log WHERE override = 1").fetchall()
    assert [(e["clerk"], e["entity"], e["entity_id"], e["reason"]) for e in entries] == [
        ("jdoe", "arrangement", arr.arrangement_id, "supervisor M. Ruiz: hardship")]
    con.close()

    today = datetime.now(timezone.utc).date().isoformat()
    out = tmp_path / "audit.xlsx"
    res = runner.invoke(app, ["audit", "--from", today, "--to", today, "--out", str(out), "--home", str(u.root)])
    assert res.exit_code == 0, res.output
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["Summary", "Postings", "Audit log", "Overrides"]
    posted = list(wb["Postings"].iter_rows(min_row=2, values_only=True))
    con = sqlite3.connect(u.store_path)
    recorded_today = con.execute("SELECT count(*) FROM postings WHERE posted_at >= ?", (today,)).fetchone()[0]
    con.close()
    assert len(posted) == recorded_today >= len(rows)  # the sample history was generated today too
    overrides = list(wb["Overrides"].iter_rows(min_row=2, values_only=True))
    assert [o[2] for o in overrides] == ["jdoe"] and overrides[0][7] == "supervisor M. Ruiz: hardship"


def test_audit_command_refuses_a_backwards_range_and_bad_dates(tmp_path):
    u = sample_utility(tmp_path / "utility")
    for argv in (["--from", "2026-03-16", "--to", "2026-03-01"], ["--from", "March 1", "--to", "2026-03-01"]):
        res = runner.invoke(app, ["audit", *argv, "--home", str(u.root)])
        assert res.exit_code == 2 and "Traceback" not in res.output
    assert isinstance(Utility(u.root).root, Path)
