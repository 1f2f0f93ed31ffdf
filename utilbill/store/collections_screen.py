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

from sqlalchemy import Date, String, case, cast, column, func, select, table, values
from sqlalchemy.engine import Connection

from ..ledger_cents import CentsState, fold, open_charges
from ..money import from_cents, to_cents
from ..protections import Case
from . import schema
from .collections_repo import (CHUNK, _POSTING_COLS, _day, attach_arrangements, attach_billed, candidate_accounts,
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
             accounts: list[str] | None = None) -> dict[str, tuple[int, object, bool]]:
    """account -> (balance cents, date of the last credit or None, nothing past due) over the
    postings dated on or before `as_of`: every account with at least `min_balance` (one
    GROUP BY over the index), or the accounts named (then the last item is always False).

    Nothing is past due, for sure, when the balance at the end of the last credit day was
    <= 0 (everything up to it paid) and every posting since is a charge due on or after
    `as_of` (not a reversal): most accounts with a balance owe only a bill not yet due."""
    q = (select(P.c.account_no, func.sum(P.c.amount_cents).label("balance"),
                func.max(case((P.c.amount_cents < 0, P.c.effective_date))).label("last_credit"))
         .where(P.c.effective_date <= as_of).group_by(P.c.account_no))
    if accounts is not None:
        out = {}
        for i in range(0, len(accounts), CHUNK):
            out.update((a, (b, c, False)) for a, b, c in
                       fetch_raw(conn, q.where(P.c.account_no.in_(accounts[i:i + CHUNK]))))
        return out
    if min_balance is not None:
        q = q.having(func.sum(P.c.amount_cents) >= to_cents(min_balance))
    bal = q.cte("bal")
    since = P.alias("since")
    q = (select(bal.c.account_no, bal.c.balance, bal.c.last_credit, func.sum(since.c.amount_cents),
                func.min(func.coalesce(since.c.due_date, since.c.effective_date)), func.count(since.c.reverses_id))
         .select_from(bal.outerjoin(since, (since.c.account_no == bal.c.account_no)
                                    & (since.c.effective_date > bal.c.last_credit) & (since.c.effective_date <= as_of)))
         .group_by(bal.c.account_no, bal.c.balance, bal.c.last_credit))  # (PostgreSQL wants every plain column)
    day = as_of.isoformat() if conn.dialect.name == "sqlite" else as_of
    return {a: (b, c, c is not None and b - (after or 0) <= 0 and (due is None or due >= day) and not reversals)
            for a, b, c, after, due, reversals in fetch_raw(conn, q)}


_LEDGER_COLS = _POSTING_COLS[:8]  # account, id, date, kind, cents, due, bill, reverses: all in ix_postings_balance


def per_account(conn: Connection, bounds: list[tuple[str, date, date]], as_of: date, cols, *where,
                grouped: bool = False) -> list[tuple]:
    """cols over each account's postings dated in [lo, hi) and on or before `as_of`, from
    (account, lo, hi) bounds, 2,000 accounts a query joined to a VALUES list (one index
    range per account); `grouped`: one row per account (aggregate cols)."""
    sqlite = conn.dialect.name == "sqlite"
    b = table("b", column("a", String), column("lo", Date), column("hi", Date))
    # SQLite compares the ISO text; elsewhere the VALUES list's text becomes dates
    lo, hi = (b.c.lo, b.c.hi) if sqlite else (cast(b.c.lo, Date), cast(b.c.hi, Date))
    q = (select(*cols).select_from(b.join(P, (P.c.account_no == b.c.a) & (P.c.effective_date >= lo)
                                          & (P.c.effective_date < hi)))
         .where(P.c.effective_date <= as_of, *where))
    if grouped:
        q = q.group_by(P.c.account_no)
    out: list[tuple] = []
    for i in range(0, len(bounds), CHUNK):
        chunk = bounds[i:i + CHUNK]
        if sqlite:  # rendered here: SQLAlchemy's literal VALUES costs 1 ms a row
            head = "WITH b(a, lo, hi) AS (VALUES " + ",".join(
                f"('{a.replace(chr(39), chr(39) * 2)}','{lo.isoformat()}','{hi.isoformat()}')"
                for a, lo, hi in chunk) + ") "
            out += fetch_raw(conn, q, prefix=head)
        else:
            v = values(column("a", String), column("lo", Date), column("hi", Date), name="b",
                       literal_binds=True).data(chunk).cte("b")
            out += fetch_raw(conn, q.add_cte(v))
    return out


def rows_between(conn: Connection, bounds: list[tuple[str, date, date]], as_of: date, cols=_LEDGER_COLS
                 ) -> dict[str, list[tuple]]:
    """Each account's postings dated in [lo, hi) and on or before `as_of`, as plain tuples
    (cols; the first is the account)."""
    out: dict[str, list[tuple]] = defaultdict(list)
    for r in per_account(conn, bounds, as_of, cols):
        out[r[0]].append(r)
    return out


def _last_payment(rows: list[tuple]):
    """The date of the last payment among the rows that no reversal among them cancels."""
    cancelled = {r[7] for r in rows if r[7] is not None}
    pays = [r[2] for r in rows if r[3] == "payment" and r[4] < 0 and r[1] not in cancelled]
    return max(pays) if pays else None


BEHIND_WINDOW = timedelta(days=150)  # an account behind is folded at a bill this long before the day


def reversed_backwards(conn: Connection, as_of: date) -> set[str]:
    """Accounts with a reversal dated before the posting it reverses (a cancel-rebill may be
    dated so): folding assumes no reversal does that, so their history is read whole. The
    partial index of reversals answers this without reading every posting."""
    r, t = P.alias("r"), P.alias("t")
    q = (select(r.c.account_no).select_from(r.join(t, t.c.id == r.c.reverses_id))
         .where(r.c.reverses_id.is_not(None), r.c.effective_date <= as_of, r.c.effective_date < t.c.effective_date))
    return {a for (a,) in fetch_raw(conn, q)}


def read_ledgers(conn: Connection, as_of: date, bal: dict, keep: dict[str, date]
                 ) -> tuple[dict[str, list[tuple]], dict[str, tuple]]:
    """Each account's posting rows (_LEDGER_COLS) from its fold on, and the fold:
    account -> (the last day folded away or None, opening credit cents, opening debt cents)
    (see ledger_cents.fold). First fold: the last credit day c, when it comes before `keep`
    and leaves nothing owed (most accounts: only the rows since their last payment are
    read). An account still owing at c is folded at a bill about BEHIND_WINDOW before the
    day, from the sums of what came before (the index answers them); when that is not sure
    either, its whole history is read."""
    text = conn.dialect.name == "sqlite"  # dates come back as ISO text
    end = as_of + timedelta(days=1)
    rows = rows_between(conn, [(no, _day(bal[no][1]) if bal[no][1] else FIRST, end) for no in keep if no in bal],
                        as_of)
    folds: dict[str, tuple] = {}
    behind = []
    for no, limit in keep.items():
        b, c, _ = bal.get(no, (0, None, False))
        folds[no] = (None, 0, 0)
        if c is None:  # no credit: the rows are the whole history
            continue
        after = [r for r in rows[no] if r[2] > c]
        owed = b - sum(r[4] for r in after)
        f = fold(owed, [r[1:8] for r in after]) if owed <= 0 and c < (limit.isoformat() if text else limit) else None
        if f:
            folds[no] = (c, *f)
        else:
            behind.append(no)
    if behind:
        _fold_behind(conn, as_of, bal, keep, behind, rows, folds)
    return rows, folds


def _fold_behind(conn: Connection, as_of: date, bal: dict, keep: dict[str, date], behind: list[str],
                 rows: dict, folds: dict) -> None:
    """The second and third folds of read_ledgers, for the accounts still owing at their last credit."""
    s_of = {a: s for a, s in per_account(
        conn, [(no, FIRST, min(keep[no], as_of - BEHIND_WINDOW, _day(bal[no][1]))) for no in behind], as_of,
        (P.c.account_no, func.max(P.c.effective_date)), P.c.kind == "bill", P.c.amount_cents > 0, grouped=True)}
    charge_due = case((P.c.amount_cents > 0, func.coalesce(P.c.due_date, P.c.effective_date)))
    before = {r[0]: r[1:] for r in per_account(
        conn, [(no, FIRST, _day(s)) for no, s in s_of.items()], as_of,
        (P.c.account_no, func.sum(P.c.amount_cents), func.max(charge_due), func.max(P.c.bill_id)), grouped=True)}
    more = rows_between(conn, [(no, _day(s), _day(bal[no][1])) for no, s in s_of.items() if s < bal[no][1]], as_of)
    whole = []
    for no in behind:
        s = s_of.get(no)
        if s is None:
            whole.append(no)
            continue
        after = more.get(no, []) + [r for r in rows[no] if r[2] >= s]
        owed, max_due, max_bill = before.get(no, (0, None, None))
        f = fold(owed, [r[1:8] for r in after], before_max_due=max_due, before_max_bill=max_bill)
        if f:
            rows[no] = after
            day = _day(s) - timedelta(days=1)
            folds[no] = (day.isoformat() if isinstance(s, str) else day, *f)
        else:
            whole.append(no)
    earlier = rows_between(conn, [(no, FIRST, _day(bal[no][1])) for no in whole], as_of)
    for no in whole:
        rows[no] = earlier.get(no, []) + rows[no]


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
    for no in reversed_backwards(conn, as_of) & bal.keys():
        bal[no] = (bal[no][0], None, False)  # no fold: read and replayed whole
    side = side_records(conn, ids, as_of, explicit=False, broken_lookback_months=broken_lookback_months)
    keep = dict.fromkeys(ids, as_of)
    for no in (side.notices.keys() | side.holds.keys() | side.made.keys()) & keep.keys():
        keep[no] = side.keep_from(no, as_of)
    figures: dict[str, Figures] = {}
    paid_up = Figures(from_cents(0), 0, None)
    read = []
    for no in ids:
        if no in bal and bal[no][2] and not side.notices.get(no) and not whole(no, paid_up):
            figures[no] = paid_up
        else:
            read.append(no)
    rows, folds = read_ledgers(conn, as_of, bal, {no: keep[no] for no in read})
    text = conn.dialect.name == "sqlite"  # dates come back as ISO text
    day = as_of.isoformat() if text else as_of
    states: dict[str, CentsState] = {}
    for no in read:
        states[no] = state = _state(rows.get(no, ()), folds[no], day, as_of)
        oldest = state.oldest_past_due_date()
        figures[no] = Figures(state.past_due(), (as_of - oldest).days if oldest else 0, oldest)
    wanted = [no for no in read if side.notices.get(no) or whole(no, figures[no])]
    accts = load_accounts(conn, wanted)
    last = {no: _last_payment(rows.get(no, [])) for no in accts}
    unknown = [(no, FIRST, as_of + timedelta(days=1)) for no in accts if last[no] is None and folds[no][0] is not None]
    if unknown:  # no standing payment from the fold on: look at the whole history
        for no, rs in rows_between(conn, unknown, as_of).items():
            last[no] = _last_payment(rs)
    # the rules read postings from keep_from on (notices, holds, arrangements)
    wanted_rows = {}
    for no in accts:
        start = keep[no].isoformat() if text else keep[no]
        wanted_rows[no] = sorted((r for r in rows.get(no, ()) if r[2] >= start), key=lambda r: r[1])
    details = _details(conn, [r[1] for rs in wanted_rows.values() for r in rs])
    cases: dict[str, Case] = {}
    for no in sorted(accts):
        p = [posting_from_raw(r + details[r[1]]) for r in wanted_rows[no]]
        cases[no] = Case(account=accts[no], state=states[no], postings=p, notices=side.notices.get(no, []),
                         holds=side.holds.get(no, []), extensions=side.extensions.get(no, []),
                         last_payment=_day(last[no]) if last[no] is not None else None)
    attach_arrangements(cases, side, as_of, grace_days)
    attach_billed(conn, cases, as_of)
    return Screened(cases, figures)


def _details(conn: Connection, ids: list[int]) -> dict[int, tuple]:
    """posting id -> (parts JSON, fund, ref): what a Posting record holds beyond the ledger columns."""
    out = {}
    ids = sorted(ids)
    for i in range(0, len(ids), CHUNK):
        q = select(P.c.id, P.c.parts, P.c.fund, P.c.ref).where(P.c.id.in_(ids[i:i + CHUNK]))
        out.update((r[0], r[1:]) for r in fetch_raw(conn, q))
    return out


def _state(rows, folded: tuple, day, as_of: date) -> CentsState:
    """The ledger after the fold (its past as an opening credit or debt), in cents."""
    t, credit, debt = folded
    kept = [r[1:8] for r in rows if t is None or r[2] > t]
    charges = open_charges(kept, day, credit, debt)
    return CentsState(as_of, [(c[2], c[4]) for c in charges if c[4] > 0], {r[6] for r in kept if r[6] is not None},
                      text=isinstance(day, str))
