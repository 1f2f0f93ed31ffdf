"""The batch posting's fast fund distribution (domain §8) against the ledger's own replay:
integer cents on posting rows (fund_distribution.distribute_on_rows) and the settled past
folded into one opening credit (store.payment_ledgers) must give every payment exactly the
distribution `distribute_new_payments` gives on the account's full history: same funds, same
order, same Decimal text, same errors."""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import date, timedelta
from decimal import Decimal

import pytest

from test_cash_helpers import make_utility
from utilbill.fund_distribution import (NewPayment, distribute_new_payments, distribute_on_rows,
                                        posting_from_ledger_row)
from utilbill.store import payment_ledgers, repo
from utilbill.store.db import now_iso

D = Decimal
START = date(2025, 1, 1)


def _outcome(fn, *args):
    try:
        return [(k, [(f, str(a)) for f, a in d.items()]) for k, d in sorted(fn(*args).items())]
    except Exception as exc:  # the same error both ways counts as agreement
        return type(exc).__name__


def random_ledger(rng: random.Random, first_id: int = 1) -> list[tuple]:
    """Posting rows as the store holds them: bills with two or three fund parts (tiny ones
    too), late charges on a bill, fees, charge and credit adjustments, payments (some
    overpaying), reversals of payments and bills, zero amounts, charges dated in the future."""
    rows: list[tuple] = []
    pid, bill_id = first_id, 1000 * first_id
    day = START + timedelta(days=rng.randrange(30))
    bills: list[tuple] = []
    for _ in range(rng.randrange(0, 30)):
        day += timedelta(days=rng.choice([0, 0, 1, 3, 10, 20, 31]))
        kind = rng.choices(["bill", "late", "fee", "adj+", "adj-", "pay", "rev", "zero"],
                           [6, 2, 1, 1, 1, 6, 1, 1])[0]
        pid += rng.choice([1, 1, 2, 7])
        if kind == "bill":
            bill_id += 1
            funds = rng.choice([("water", "wastewater"), ("wastewater", "water"), ("water", "wastewater", "fees"),
                                ("water", "wastewater", "fees", "electric")])
            parts = {f: rng.choice([1, 1, 2, rng.randrange(1, 20000)]) for f in funds}
            total = sum(parts.values())
            row = (pid, day.isoformat(), "bill", total, (day + timedelta(days=21)).isoformat(), bill_id, None,
                   json.dumps(parts), None)
            bills.append(row)
        elif kind == "late" and bills:
            b = rng.choice(bills)
            row = (pid, day.isoformat(), "late_charge", rng.randrange(1, 500), day.isoformat(), b[5], None, None,
                   rng.choice(["fees", None]))
        elif kind == "fee":
            row = (pid, day.isoformat(), "fee", 3000, None, None, None, None, "fees")
        elif kind == "adj+":
            row = (pid, day.isoformat(), "adjustment", rng.randrange(1, 3000), None, None, None, None,
                   rng.choice(["water", "wastewater", None]))
        elif kind == "adj-":
            row = (pid, day.isoformat(), "adjustment", -rng.randrange(1, 3000), None, None, None, None, None)
        elif kind == "rev" and rows:
            target = rng.choice(rows)
            amount = -target[3] if rng.random() < 0.9 else rng.randrange(-500, 500)
            row = (pid, day.isoformat(), "reversal", amount, None, target[5], target[0], None, None)
        elif kind == "zero":
            row = (pid, day.isoformat(), "adjustment", 0, None, None, None, None, None)
        else:
            row = (pid, day.isoformat(), "payment", -rng.randrange(100, 30000), None, None, None, None, None)
        rows.append(row)
    if rows and rng.random() < 0.3:  # a charge dated after the new payments
        pid += 1
        rows.append((pid, "2027-06-01", "bill", 5000, "2027-06-22", bill_id + 1, None,
                     json.dumps({"water": 3000, "wastewater": 2000}), None))
    return rows


def _payments(rng, account="A", day=None):
    last = date(2026, 12, 31)
    return [NewPayment(key=(account, k), account_no=account, pay_date=day or last - timedelta(days=rng.randrange(3)),
                       amount=D(rng.randrange(1, 40000)) / 100) for k in range(rng.randrange(1, 4))]


def test_integer_replay_equals_the_ledger_on_random_histories():
    rng = random.Random(20261127)
    for _ in range(1500):
        rows = random_ledger(rng)
        new = _payments(rng)
        full = [posting_from_ledger_row(r) for r in rows]
        assert _outcome(distribute_on_rows, {"A": rows}, new) == _outcome(distribute_new_payments, {"A": full}, new)


def test_histories_the_integer_replay_leaves_to_the_ledger():
    bill = (1, "2026-01-31", "bill", 6240, "2026-02-23", 7, None, json.dumps({"water": 4000, "wastewater": 2000}), None)
    odd = [NewPayment(1, "A", D("12.5"), date(2026, 3, 2)), NewPayment(2, "A", D("10.000"), date(2026, 3, 2))]
    for rows, new in (([bill], [NewPayment(1, "A", D("30.00"), date(2026, 3, 2))]),  # parts 60.00 of a 62.40 bill
                      ([bill[:7] + (None, None)], odd)):  # amounts not written to the cent
        full = [posting_from_ledger_row(r) for r in rows]
        assert _outcome(distribute_on_rows, {"A": rows}, new) == _outcome(distribute_new_payments, {"A": full}, new)
    with pytest.raises(ValueError):
        distribute_on_rows({}, [NewPayment(1, "A", D("-1.00"), date(2026, 3, 2))])


def _store_with(tmp_path, ledgers: dict[str, list[tuple]]):
    u = make_utility(tmp_path)
    now = now_iso()
    rows = sorted((r[0], a, r[1], now, r[2], r[3], r[4], r[5], r[6], r[7], r[8], "test")
                  for a, ledger in ledgers.items() for r in ledger)
    con = sqlite3.connect(u.store_path)  # foreign keys off: the ledger needs no bill or account records
    with con:
        con.executemany("INSERT INTO postings (id, account_no, effective_date, posted_at, kind, amount_cents, due_date, "
                        "bill_id, reverses_id, parts, fund, clerk) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.close()
    return u


def test_settled_past_folds_into_one_opening_credit(tmp_path):
    water_ww = lambda w, ww: json.dumps({"water": w, "wastewater": ww})  # noqa: E731
    u = _store_with(tmp_path, {"A": [
        (1, "2026-01-31", "bill", 6240, "2026-02-23", 1, None, water_ww(4000, 2240), None),
        (2, "2026-02-10", "payment", -6240, None, None, None, None, None),   # balance 0.00
        (3, "2026-03-31", "bill", 5000, "2026-04-21", 2, None, water_ww(3000, 2000), None),
        (4, "2026-04-05", "payment", -6000, None, None, None, None, None),   # balance -10.00: settled, 10.00 credit
        (5, "2026-05-31", "bill", 4000, "2026-06-21", 3, None, water_ww(2500, 1500), None),
    ]})
    with u.store.read() as conn:
        rows = payment_ledgers.ledger_rows(conn, ["A", "B"], paid_from=date(2026, 6, 10))
    assert rows["B"] == []
    assert rows["A"] == [(0, "2026-04-05", "adjustment", -1000, None, None, None, None, None),
                         (5, "2026-05-31", "bill", 4000, "2026-06-21", 3, None, water_ww(2500, 1500), None)]
    # the 10.00 credit pays the May bill in proportion: water 10 x 25/40 = 6.25, wastewater 3.75,
    # leaving 18.75 and 11.25; a 20.00 payment then pays 20 x 18.75/30 = 12.50 and 7.50
    dist = distribute_on_rows(rows, [NewPayment("p", "A", D("20.00"), date(2026, 6, 10))])
    assert dist == {"p": {"water": D("12.50"), "wastewater": D("7.50")}}
    with u.store.read() as conn:  # paid before the credit arose: nothing may be folded past that day
        early = payment_ledgers.ledger_rows(conn, ["A"], paid_from=date(2026, 4, 1))
    assert sorted(early["A"]) == [  # a credit is read from the balance index alone: no kind
        (3, "2026-03-31", "bill", 5000, "2026-04-21", 2, None, water_ww(3000, 2000), None),
        (4, "2026-04-05", None, -6000, None, None, None, None, None),
        (5, "2026-05-31", "bill", 4000, "2026-06-21", 3, None, water_ww(2500, 1500), None)]


@pytest.mark.parametrize("seed", range(4))
def test_folded_ledgers_distribute_like_the_full_history(tmp_path, seed):
    rng = random.Random(seed)
    ledgers, next_id = {}, 1
    for n in range(60):
        rows = random_ledger(rng, next_id)
        next_id = (rows[-1][0] if rows else next_id) + 10
        ledgers[f"20-{n:04d}"] = rows
    u = _store_with(tmp_path, ledgers)
    for paid_from in (date(2025, 6, 1), date(2026, 12, 29), date(2027, 1, 5)):
        new = [p for a in ledgers for p in _payments(rng, a, paid_from)]
        with u.store.read() as conn:
            full = repo.postings_by_account(conn, list(ledgers))
            fast = payment_ledgers.ledger_rows(conn, list(ledgers), paid_from=paid_from)
            generic = payment_ledgers._generic(conn, sorted(ledgers), paid_from.isoformat(),
                                               {a: [] for a in ledgers})
        expected = _outcome(distribute_new_payments, full, new)
        assert _outcome(distribute_on_rows, fast, new) == expected
        assert _outcome(distribute_on_rows, generic, new) == expected
        if paid_from.year > 2025:
            assert sum(map(len, fast.values())) < sum(map(len, full.values()))  # something was folded
