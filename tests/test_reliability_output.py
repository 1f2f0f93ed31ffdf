"""Safe output: text from data never becomes a formula in any workbook or CSV the product
writes; bank account numbers are masked to their last four digits; the store and its backups
are readable by their owner only.

Every customer of a sample utility is renamed to a formula-injection string
(`=HYPERLINK(...)`, `+cmd|' /C calc'!A0`, ...), a correction's memo and a payer too; then the
demo day's steps (bill run, review and pull sheet, final bill, payoff, payment batches and the
daily cash workbook, the audit workbook) and every other workbook writer run, and every cell
of every .xlsx produced is scanned: formulas are allowed only where the product writes its
own (the daily cash workbook's), and none of them may contain the injected text.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import stat
from datetime import date, datetime, timezone
from decimal import Decimal

from books import DAY, INJECTIONS, formula_cells, sample_utility, string_cells
from utilbill.audit_export import audit_trail, write_audit_workbook
from utilbill.demo_steps import DemoReport
from utilbill.xlio import mask_bank_account, write_csv

MARKERS = ("HYPERLINK", "cmd|", "@SUM")


def _poison(u) -> None:
    con = sqlite3.connect(u.store_path)
    accts = [a for (a,) in con.execute("SELECT account_no FROM accounts ORDER BY account_no")]
    for i, a in enumerate(accts):
        con.execute("UPDATE accounts SET customer_name = ?, mailing_address = ? WHERE account_no = ?",
                    (INJECTIONS[i % len(INJECTIONS)], INJECTIONS[(i + 1) % len(INJECTIONS)] + "\n1 Elm St", a))
    con.commit()
    con.close()


def test_no_data_text_becomes_a_formula_in_any_workbook(tmp_path):
    u = sample_utility(tmp_path / "utility")
    _poison(u)
    from utilbill.adjustments import general_adjustment
    from utilbill.collections_jobs import aging, turnoff_list
    from utilbill.collections_workbooks import write_aging_workbook, write_portfolio_workbook, write_turnoff_workbook
    from utilbill.credit_jobs import portfolio
    from utilbill.demo_steps import billing, cash, reliability, special
    from utilbill.inquiry import account_inquiry, write_inquiry_workbook

    report = DemoReport()
    for step in (billing, special, cash):
        step.run(u, DAY, report)
    acct = sqlite3.connect(u.store_path).execute("SELECT account_no FROM accounts ORDER BY account_no").fetchone()[0]
    reason = next(iter(u.policy.billing.adjustment_reasons)) if hasattr(u.policy.billing, "adjustment_reasons") else None
    try:
        general_adjustment(u, acct, Decimal("-1.00"), reason or "courtesy", memo=INJECTIONS[1], on=DAY)
    except Exception:  # a reason code this configuration does not know: the memo is tested through the audit log
        with u.store.write() as conn:
            u.store.audit(conn, "note", account_no=acct, reason=INJECTIONS[1])
    out = u.out_dir("check")
    write_turnoff_workbook(turnoff_list(u, DAY), out / "turnoff.xlsx")
    write_aging_workbook(aging(u, DAY), out / "aging.xlsx")
    write_portfolio_workbook(portfolio(u, DAY), out / "portfolio.xlsx")
    write_inquiry_workbook(account_inquiry(u, acct, DAY), out / "inquiry.xlsx")
    reliability.run(u, DAY, report)
    books = sorted((u.root / "output").rglob("*.xlsx"))
    assert len(books) >= 9, books
    seen_as_text = set()
    for path in books:
        for sheet, cell, formula in formula_cells(path):
            assert "daily-cash" in path.name, f"{path.name} {sheet}!{cell} is a formula: {formula}"
            assert not any(m in formula for m in MARKERS), f"{path.name} {sheet}!{cell}: {formula}"
        seen_as_text |= {s for s in string_cells(path) if any(m in s for m in MARKERS)}
    # the injected names are there, as plain text, as the customer's record has them
    for name in INJECTIONS[:2]:
        assert any(name in text for text in seen_as_text), name


def test_csv_output_neutralises_formula_text(tmp_path):
    path = write_csv(tmp_path / "out.csv", ["account", "customer"], [["10-1", n] for n in INJECTIONS])
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert [r[1] for r in rows[1:]] == ["'" + n for n in INJECTIONS]  # Excel shows the text, never runs it


def test_bank_account_numbers_are_masked_in_the_audit_workbook_and_everywhere(tmp_path):
    u = sample_utility(tmp_path / "utility")
    with u.store.write() as conn:
        u.store.audit(conn, "autopay:enrolled", account_no="10-0000-1", reason="customer request",
                      details={"bank_account": "000123456789", "routing": "104000016", "amount": "10.00"})
    today = datetime.now(timezone.utc).date()
    path = write_audit_workbook(audit_trail(u, today, today), tmp_path / "audit.xlsx")
    texts = " ".join(string_cells(path))
    assert "000123456789" not in texts and "104000016" not in texts
    entry = next(s for s in string_cells(path) if "bank_account" in s)
    assert json.loads(entry) == {"amount": "10.00", "bank_account": "****6789", "routing": "****0016"}
    assert mask_bank_account("0001-2345-6789") == "****6789" and mask_bank_account(None) == "****"


def test_store_and_backups_are_owner_only(tmp_path):
    u = sample_utility(tmp_path / "utility")
    made = u.backup("check-modes")
    for p in (u.store_path, made):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert stat.S_IMODE(u.backup_dir.stat().st_mode) == 0o700
    assert date(2026, 3, 16) == DAY
