"""The notice run's and the turn-off list's loader at city scale (domain §6).

Why it exists: at 100,000 accounts with 24 months of history the notice run looks at about
36,000 accounts with a balance (most owe only a bill that is not due yet) and the turn-off
list at every account with an active notice. Loading each one's whole history and replaying
it with Decimal fund splits (collections_repo.load_cases) took 39 s. This loader gives the
rules the same answers while reading only what can change them:

1. **Balances** (one GROUP BY answered by the covering index ix_postings_balance): each
   candidate's balance and the date of its last credit.
2. **Settled history folded**: when the running balance at the end of a day t is <= 0,
   every charge up to t is paid and what is left is a credit pool of -balance, so the
   postings up to t can be replaced by that pool (collections_repo.trim_settled, which
   states the conditions: t before the earliest day the rules read, no reversal after t of
   a posting on or before t). The last credit day usually is such a day; when it is not
   (the account is behind), the index gives the day from the account's (date, amount)
   entries. Only the postings after t are read from the table.
3. **Figures in cents**: past due and its oldest due date by ledger_cents (the ledger's
   application rule without fund splits) for every candidate.
4. **Whole cases only where the rules need them**: accounts with an active notice and those
   the caller asks for (for the notice run: past due and old enough for a notice) get a
   Case with Posting records, ledger_state, notices, holds, extensions and arrangements
   exactly as load_cases builds it; the others are answered from their figures.

tests/test_collections_screen.py checks the results against load_cases on random stores.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Callable

from sqlalchemy import Date, String, case, column, func, select, table, values
from sqlalchemy.engine import Connection

from ..ledger_cents import CentsState, open_charges
from ..money import to_cents
from ..protections import Case
from . import schema
from .collections_repo import (CHUNK, _POSTING_COLS, _day, attach_arrangements, candidate_accounts,
                               fetch_raw, load_accounts, posting_from_raw, side_records)

P = schema.postings
FIRST = date(1, 1, 1)


@dataclass(frozen=True, slots=True)
class Figures:
    """An account's past due on the day, as LedgerState.past_due / age_days / oldest_past_due_date give it."""

    past_due: Decimal
    age_days: int
    oldest_due: date | None


@dataclass
class Screened:
    cases: dict[str, Case]  # the accounts the rules see whole, in account order
    figures: dict[str, Figures]  # every candidate (cases included)


def balances(conn: Connection, as_of: date, *, min_balance: Decimal | None = None,
             accounts: list[str] | None = None) -> dict[str, tuple[int, object]]:
    """account -> (balance cents, date of the last credit or None) over the postings dated on
    or before `as_of`: every account with at least `min_balance`, or the accounts named."""
    last_credit = func.max(case((P.c.amount_cents < 0, P.c.effective_date)))
    q = (select(P.c.account_no, func.sum(P.c.amount_cents), last_credit).where(P.c.effective_date <= as_of)
         .group_by(P.c.account_no))
    if accounts is None:
        if min_balance is not None:
            q = q.having(func.sum(P.c.amount_cents) >= to_cents(min_balance))
        return {a: (b, c) for a, b, c in fetch_raw(conn, q)}
    out = {}
    for i in range(0, len(accounts), CHUNK):
        out.update((a, (b, c)) for a, b, c in fetch_raw(conn, q.where(P.c.account_no.in_(accounts[i:i + CHUNK]))))
    return out


def rows_between(conn: Connection, bounds: list[tuple[str, date, date]], as_of: date, cols=_POSTING_COLS
                 ) -> dict[str, list[tuple]]:
    """Each account's postings dated in [lo, hi) and on or before `as_of`, as plain tuples
    (cols; the first is the account), from (account, lo, hi) bounds, 2,000 accounts a query
    joined to a VALUES list (one index range per account)."""
    b = table("b", column("a", String), column("lo", Date), column("hi", Date))
    q = (select(*cols).select_from(b.join(P, (P.c.account_no == b.c.a) & (P.c.effective_date >= b.c.lo)
                                          & (P.c.effective_date < b.c.hi)))
         .where(P.c.effective_date <= as_of))
    out: dict[str, list[tuple]] = defaultdict(list)
    for i in range(0, len(bounds), CHUNK):
        chunk = bounds[i:i + CHUNK]
        if conn.dialect.name == "sqlite":  # rendered here: SQLAlchemy's literal VALUES costs 1 ms a row
            head = "WITH b(a, lo, hi) AS (VALUES " + ",".join(
                f"('{a.replace(chr(39), chr(39) * 2)}','{lo.isoformat()}','{hi.isoformat()}')"
                for a, lo, hi in chunk) + ") "
            rows = fetch_raw(conn, q, prefix=head)
        else:
            v = values(column("a", String), column("lo", Date), column("hi", Date), name="b",
                       literal_binds=True).data(chunk).cte("b")
            rows = fetch_raw(conn, q.add_cte(v))
        for r in rows:
            out[r[0]].append(r)
    return out


def _closed(rows: list[tuple]) -> bool:
    """No reversal among these rows reaches a posting outside them."""
    ids = {r[1] for r in rows}
    return all(r[7] is None or r[7] in ids for r in rows)


def _last_payment(rows: list[tuple]):
    """The date of the last payment among the rows that no reversal among them cancels."""
    cancelled = {r[7] for r in rows if r[7] is not None}
    pays = [r[2] for r in rows if r[3] == "payment" and r[4] < 0 and r[1] not in cancelled]
    return max(pays) if pays else None


class _Folder:
    """Finds each account's fold day and reads the postings after it (step 2)."""

    def __init__(self, conn: Connection, as_of: date, bal: dict, keep: dict):
        self.conn, self.as_of, self.bal = conn, as_of, bal
        self.text = conn.dialect.name == "sqlite"  # dates come back as ISO text
        self.keep = {no: self.key(d) for no, d in keep.items()}
        self.end = as_of + timedelta(days=1)

    def key(self, d: date):
        return d.isoformat() if self.text else d

    def fold(self, ids: list[str]) -> tuple[dict[str, list[tuple]], dict[str, tuple]]:
        """(rows read per account: everything after the fold day and the last credit day;
        account -> (fold day or None, opening credit cents))."""
        rows = rows_between(self.conn, [(no, _day(self.bal[no][1]) if self.bal[no][1] else FIRST, self.end)
                                        for no in ids if no in self.bal], self.as_of)
        folds: dict[str, tuple] = {}
        behind = []
        for no in ids:
            b, c = self.bal.get(no, (0, None))
            if c is None:  # no credit: the rows are the whole history
                folds[no] = (None, 0)
                continue
            after = [r for r in rows[no] if r[2] > c]
            settled = b - sum(r[4] for r in after)
            if c < self.keep[no] and settled <= 0 and _closed(after):
                folds[no] = (c, -settled)
            else:
                behind.append(no)
        if behind:
            self._fold_behind(behind, rows, folds)
        return rows, folds

    def _fold_behind(self, ids: list[str], rows: dict, folds: dict) -> None:
        """Accounts whose last credit day is no fold day: the latest earlier day whose running
        balance is <= 0, from the index entries before the last credit; then their rows
        from that day to the last credit (or all of them when there is no such day)."""
        entries = rows_between(self.conn, [(no, FIRST, _day(self.bal[no][1])) for no in ids], self.as_of,
                               cols=(P.c.account_no, P.c.effective_date, P.c.amount_cents))
        earlier: list[tuple] = []
        for no in ids:
            b, c = self.bal[no]
            limit = min(c, self.keep[no])
            day_sums: dict = defaultdict(int)
            for _, d, cents in entries.get(no, ()):
                day_sums[d] += cents
            later = sum(r[4] for r in rows[no])  # everything from the last credit day on
            t = None
            for d in sorted(day_sums, reverse=True):
                if d < limit and b - later <= 0:
                    t = d
                    break
                later += day_sums[d]
            folds[no] = (t, -(b - later) if t is not None else 0)
            earlier.append((no, _day(t) + timedelta(days=1) if t is not None else FIRST, _day(c)))
        more = rows_between(self.conn, earlier, self.as_of)
        reopened = []
        for no in ids:
            rows[no] = more.get(no, []) + rows[no]
            t = folds[no][0]
            if t is not None and not _closed([r for r in rows[no] if r[2] > t]):
                folds[no] = (None, 0)  # a reversal reaches into the settled past: no fold
                reopened.append((no, FIRST, self.end))
        if reopened:
            rows.update(rows_between(self.conn, reopened, self.as_of))


def screen(conn: Connection, as_of: date, *, grace_days: int, broken_lookback_months: int,
           min_balance: Decimal | None, with_arrangements: bool,
           whole: Callable[[str, Figures], bool]) -> Screened:
    """The candidates of load_cases (balance >= min_balance, an active notice, a current
    arrangement when asked) with their figures; whole Cases for the accounts with an
    active notice and those `whole(account, figures)` asks for."""
    bal = balances(conn, as_of, min_balance=min_balance) if min_balance is not None else {}
    others = {r[0] for r in conn.execute(candidate_accounts(min_balance=None, as_of=as_of,
                                                            with_arrangements=with_arrangements))} - bal.keys()
    bal.update(balances(conn, as_of, accounts=sorted(others)))
    ids = sorted(bal.keys() | others)
    side = side_records(conn, ids, as_of, explicit=False, broken_lookback_months=broken_lookback_months)
    folder = _Folder(conn, as_of, bal, {no: side.keep_from(no, as_of) for no in ids})
    rows, folds = folder.fold(ids)
    day = folder.key(as_of)
    states: dict[str, CentsState] = {}
    figures: dict[str, Figures] = {}
    for no in ids:
        states[no] = state = _state(rows.get(no, ()), folds[no], day, as_of)
        oldest = state.oldest_past_due_date()
        figures[no] = Figures(state.past_due(), (as_of - oldest).days if oldest else 0, oldest)
    wanted = [no for no in ids if side.notices.get(no) or whole(no, figures[no])]
    accts = load_accounts(conn, wanted)
    last = {no: _last_payment(rows.get(no, [])) for no in accts}
    unknown = [(no, FIRST, folder.end) for no in accts if last[no] is None and folds[no][0] is not None]
    if unknown:  # no standing payment from the fold on: look at the whole history
        for no, rs in rows_between(conn, unknown, as_of).items():
            last[no] = _last_payment(rs)
    cases: dict[str, Case] = {}
    for no in sorted(accts):
        # the rules read postings from keep_from on (notices, holds, arrangements)
        start = folder.keep[no]
        p = [posting_from_raw(r) for r in sorted(rows.get(no, ()), key=lambda r: r[1]) if r[2] >= start]
        cases[no] = Case(account=accts[no], state=states[no], postings=p, notices=side.notices.get(no, []),
                         holds=side.holds.get(no, []), extensions=side.extensions.get(no, []),
                         last_payment=_day(last[no]) if last[no] is not None else None)
    attach_arrangements(cases, side, as_of, grace_days)
    return Screened(cases, figures)


def _state(rows, fold: tuple, day, as_of: date) -> CentsState:
    """The ledger after the fold day (its settled past as an opening credit), in cents."""
    t, opening = fold
    kept = [r[1:8] for r in rows if t is None or r[2] > t]
    charges = open_charges(kept, day, opening_credit=opening)
    return CentsState(as_of, [(_day(c[2]), c[4]) for c in charges if c[4] > 0],
                      {r[6] for r in kept if r[6] is not None})
