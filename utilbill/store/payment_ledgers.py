"""The part of each paying account's ledger that a new payment can touch, read in bulk.

A payment batch distributes every payment by the ledger's rule (domain §8), which replays
the account's history. Most of that history is settled: when the running balance of
everything dated up to some day t is zero or less, every charge up to t is paid in full and
what is left is a credit of -balance (ledger.py: a credit only waits while nothing is open).
The ledger after t is then the same if the postings up to t are replaced by one opening
credit of that amount dated t, so a payment dated after t is distributed exactly as on the
full history. t is the last such day on or before the batch's first payment date; an
account with a reversal keeps its whole history (a reversal cancels its posting wherever
it is, so the running balances of the live postings are not those of the stored ones).

On SQLite the running balances come from the covering balance index (account, date,
amount, id), and only the postings after t are read from the table: at 100,000 accounts a
batch of 5,000 payments reads about a quarter of the rows a full load would. Other
databases read the affected accounts' postings whole and fold them the same way.

Rows are `fund_distribution`'s posting rows: (id, date ISO, kind, cents, due ISO, bill id,
reverses id, parts JSON, fund).
"""

from __future__ import annotations

from datetime import date
from typing import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Connection

from . import schema

P = schema.postings
CHUNK = 900  # bound parameters per IN (...), under SQLite's limit
_COLUMNS = "id, effective_date, kind, amount_cents, due_date, bill_id, reverses_id, parts, fund"


def ledger_rows(conn: Connection, accounts: Iterable[str], *, paid_from: date) -> dict[str, list[tuple]]:
    """Each account's posting rows, its settled past (up to `paid_from`) folded into one
    opening credit; every account asked for has an entry."""
    numbers = sorted(set(accounts))
    out: dict[str, list[tuple]] = {a: [] for a in numbers}
    if not numbers:
        return out
    day = paid_from.isoformat()
    if conn.dialect.name != "sqlite":
        return _generic(conn, numbers, day, out)
    cursor = conn.connection.driver_connection
    # the partial index of reversals answers this (DISTINCT would make SQLite scan every posting)
    reversed_accounts = {r[0] for r in cursor.execute(
        "SELECT account_no FROM postings WHERE reverses_id IS NOT NULL ORDER BY reverses_id")}
    keep: list[int] = []
    for chunk in _chunks(numbers):
        rows = cursor.execute(
            "SELECT account_no, effective_date, amount_cents, id FROM postings "
            f"WHERE account_no IN ({','.join('?' * len(chunk))}) ORDER BY account_no, effective_date", chunk)
        for account_no, history in _by_account(rows):
            if account_no in reversed_accounts:
                keep.extend(r[2] for r in history)
                continue
            cut = settled_cut(history, day)
            if cut is None:
                keep.extend(r[2] for r in history)
                continue
            cut_day, balance = cut
            keep.extend(r[2] for r in history if r[0] > cut_day)
            if balance:
                out[account_no].append(opening_credit(cut_day, balance))
    keep.sort()
    for chunk in _chunks(keep):
        for r in cursor.execute(f"SELECT account_no, {_COLUMNS} FROM postings "
                                f"WHERE id IN ({','.join('?' * len(chunk))})", chunk):
            out[r[0]].append(r[1:])
    return out


def settled_cut(history: Sequence[tuple], day: str) -> tuple[str, int] | None:
    """The last date on or before `day` (ISO) at whose end the running balance is <= 0, and
    that balance. `history`: (date ISO, cents, ...) rows in date order."""
    cut = None
    total = 0
    n = len(history)
    for k, r in enumerate(history):
        total += r[1]
        if total <= 0 and r[0] <= day and (k + 1 == n or history[k + 1][0] != r[0]):
            cut = (r[0], total)
    return cut


def opening_credit(day: str, cents: int) -> tuple:
    """The settled past as one credit row (id 0: before every stored posting of its day)."""
    return (0, day, "adjustment", cents, None, None, None, None, None)


def _by_account(rows) -> Iterable[tuple[str, list[tuple]]]:
    """(account, [(date, cents, id)]) from rows ordered by account."""
    current, history = None, []
    for account_no, day, cents, pid in rows:
        if account_no != current:
            if history:
                yield current, history
            current, history = account_no, []
        history.append((day, cents, pid))
    if history:
        yield current, history


def _chunks(values: Sequence):
    for k in range(0, len(values), CHUNK):
        yield values[k:k + CHUNK]


def _generic(conn: Connection, numbers: list[str], day: str, out: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    full: dict[str, list[tuple]] = {}
    cols = [P.c.account_no, P.c.id, P.c.effective_date, P.c.kind, P.c.amount_cents, P.c.due_date, P.c.bill_id,
            P.c.reverses_id, P.c.parts, P.c.fund]
    for chunk in _chunks(numbers):
        for r in conn.execute(select(*cols).where(P.c.account_no.in_(chunk)).order_by(P.c.account_no, P.c.id)):
            due = r.due_date.isoformat() if r.due_date else None
            full.setdefault(r.account_no, []).append((r.id, r.effective_date.isoformat(), r.kind, int(r.amount_cents),
                                                      due, r.bill_id, r.reverses_id, r.parts, r.fund))
    for account_no, rows in full.items():
        cut = None
        if all(r[6] is None for r in rows):
            cut = settled_cut(sorted((r[1], r[3]) for r in rows), day)
        if cut is None:
            out[account_no] = rows
            continue
        kept = [r for r in rows if r[1] > cut[0]]
        out[account_no] = ([opening_credit(*cut)] if cut[1] else []) + kept
    return out
