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
reverses id, parts JSON, fund). Credits of accounts without reversals come from the index
alone, without their kind (kind None): the rule reads only a credit's date, amount and id.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Connection

from . import schema

P = schema.postings
CHUNK = 900  # bound parameters per IN (...), under SQLite's limit
RECENT_DAYS = 100  # looked at first: most accounts were last settled within two bills
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
    since = (paid_from - timedelta(days=RECENT_DAYS)).isoformat()
    keep: list[int] = []
    for chunk in _chunks(numbers):
        marks = ",".join("?" * len(chunk))
        totals = {a: (t, n) for a, t, n in cursor.execute(
            f"SELECT account_no, SUM(amount_cents), COUNT(*) FROM postings WHERE account_no IN ({marks}) "
            "GROUP BY account_no", chunk)}
        recent = dict(_by_account(cursor.execute(
            f"SELECT account_no, effective_date, amount_cents, id FROM postings WHERE account_no IN ({marks}) "
            "AND effective_date > ? ORDER BY account_no, effective_date", [*chunk, since])))
        whole = []
        for account_no in chunk:
            if account_no not in totals:
                continue
            rows = recent.get(account_no, [])
            total, count = totals[account_no]
            if account_no in reversed_accounts:
                whole.append(account_no)
                continue
            if count == len(rows):  # the whole history is recent
                cut = settled_cut(rows, day)
            else:
                cut = _recent_cut(rows, total, day, since)
                if cut is None:
                    whole.append(account_no)
                    continue
            _fold(account_no, rows, cut, keep, out)
        for account_no, history in _by_account(_history(cursor, whole)):
            if account_no in reversed_accounts:  # every row whole: reversals are read from the table
                keep.extend(r[2] for r in history)
            else:
                _fold(account_no, history, settled_cut(history, day), keep, out)
    keep.sort()
    for chunk in _chunks(keep):
        for r in cursor.execute(f"SELECT account_no, {_COLUMNS} FROM postings "
                                f"WHERE id IN ({','.join('?' * len(chunk))})", chunk):
            out[r[0]].append(r[1:])
    return out


def _history(cursor, accounts: list[str]):
    if not accounts:
        return []
    return cursor.execute(f"SELECT account_no, effective_date, amount_cents, id FROM postings WHERE account_no IN "
                          f"({','.join('?' * len(accounts))}) ORDER BY account_no, effective_date", accounts)


def _fold(account_no: str, history: list[tuple], cut: tuple[str, int] | None, keep: list[int], out: dict) -> None:
    """The postings after the cut (all without one), the cut's balance as the opening credit.
    A credit is all there in the index (date, amount, id: the rule reads nothing else of it);
    a charge's id is kept to read its kind, due date, bill and fund parts from the table."""
    rows = out[account_no]
    if cut is not None:
        cut_day, balance = cut
        if balance:
            rows.append(opening_credit(cut_day, balance))
        history = [r for r in history if r[0] > cut_day]
    for day, cents, pid in history:
        if cents > 0:
            keep.append(pid)
        else:
            rows.append((pid, day, None, cents, None, None, None, None, None))


def _recent_cut(recent: list[tuple], total: int, day: str, since: str) -> tuple[str, int] | None:
    """`settled_cut` from the recent rows (dated after `since`) and the balance of everything:
    the balance at the end of a day is the total less what was posted after it. The end of
    `since` counts too (every recent row is after it)."""
    after = 0
    k = len(recent) - 1
    while k >= 0:
        d = recent[k][0]
        if d <= day and total - after <= 0:
            return d, total - after
        while k >= 0 and recent[k][0] == d:
            after += recent[k][1]
            k -= 1
    if total - after <= 0:
        return since, total - after
    return None


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
