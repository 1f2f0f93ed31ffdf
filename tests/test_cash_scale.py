"""Scale: many payments posted in ten batches, and the day's figures computed (bulk inserts,
one bulk ledger read per batch, no per-row queries): every payment posted once, the day's
receipts equal to the Treasury total. How fast is measured in bench/ (50,000 payments), never
asserted here."""

from __future__ import annotations

import csv
import json
import time
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from test_cash_helpers import DAY, make_utility
from utilbill.cash_day import cash_day
from utilbill.payments import post_payment_batch
from utilbill.store import schema as S
from utilbill.store.db import now_iso

ACCOUNTS, PAYMENTS, BATCHES = 5_000, 10_000, 10


def _bulk_accounts(u):
    now = now_iso()
    with u.store.write() as conn:
        conn.execute(insert(S.accounts), [dict(
            account_no=f"20-{n:05d}", premise_id=f"P{n}", account_class="residential", status="active",
            customer_name="Pat Doe", customer_role="owner", service_address="1 Elm St", mailing_address="1 Elm St",
            meter_size="5/8", flags="", cash_only=False, service_start=date(2025, 1, 2), created_at=now)
            for n in range(ACCOUNTS)])
        conn.execute(insert(S.postings), [dict(
            account_no=f"20-{n:05d}", effective_date=date(2026, 1, 31), posted_at=now, kind="bill",
            amount_cents=6240, due_date=date(2026, 2, 23), parts=json.dumps({"water": 4000, "wastewater": 2240}),
            clerk="test") for n in range(ACCOUNTS)])


@pytest.mark.slow
def test_ten_thousand_payments_post_once_and_balance(tmp_path):
    u = make_utility(tmp_path)
    _bulk_accounts(u)
    files = []
    per = PAYMENTS // BATCHES
    for b in range(BATCHES):
        path = tmp_path / f"batch{b}.csv"
        rows = [(f"20-{(b * per + k) % ACCOUNTS:05d}", "12.48", "check", f"{b}-{k}") for k in range(per)]
        with open(path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerows([["Control count", per], ["Control total", str(Decimal("12.48") * per)], [],
                         ["account", "amount", "tender", "check_no"]])
            w.writerows(rows)
        files.append(path)
    t0 = time.perf_counter()
    for path in files:
        res = post_payment_batch(u, path, "mail", batch_date=DAY)
        assert res.posted, res.findings[:3]
    posting = time.perf_counter() - t0
    t1 = time.perf_counter()
    cd = cash_day(u, DAY)
    figures = time.perf_counter() - t1
    assert len(cd.lines) == PAYMENTS and cd.receipts_total == Decimal("12.48") * PAYMENTS == cd.treasury_total
    with u.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(S.postings).where(S.postings.c.kind == "payment")).scalar() == PAYMENTS
    print(f"posting {PAYMENTS} payments: {posting:.1f} s; the day's figures: {figures:.1f} s")
