"""The collections tables as engine records, loaded in bulk (domain §6, §7).

Why it exists: the notice run and the turn-off list go over every account of the utility
(100,000 accounts with 24 months of history must take well under 5 seconds), so nothing
here queries per account. `load_cases` picks the candidate accounts in SQL (balance at
least the threshold, or an active notice, or an arrangement in force: past due can never
exceed the balance, because a credit pays every open charge before it waits as a credit),
then loads their accounts, postings, notices, holds, arrangements and extensions with one
query per table.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import Date, func, literal, select, union
from sqlalchemy.engine import Connection

from ..accounts import Account
from ..arrangements import Installment, monitor
from ..ledger import Posting, ledger_state
from ..money import from_cents, to_cents
from ..protections import ArrangementStanding, Case, Extension, Hold, Notice
from . import schema
from .repo import account_from_row

A, P = schema.accounts, schema.postings
N, H, AR, AI, X = (schema.notices, schema.holds, schema.arrangements, schema.arrangement_installments,
                   schema.extensions)


def notice_from_row(m) -> Notice:
    return Notice(account_no=m["account_no"], issued=m["issued_date"], earliest_turnoff=m["earliest_turnoff"],
                  amount=from_cents(m["amount_cents"]), status=m["status"], id=m["id"],
                  status_date=m["status_date"], oldest_due=m["oldest_due"])


def hold_from_row(m) -> Hold:
    return Hold(kind=m["kind"], start=m["start_date"], end=m["end_date"], id=m["id"], notice_id=m["notice_id"],
                reference=m["reference"] or "")


def installments_of(rows) -> list[Installment]:
    rows = sorted(rows, key=lambda m: m["number"])
    total = sum(m["amount_cents"] for m in rows)
    out, paid = [], 0
    for m in rows:
        paid += m["amount_cents"]
        out.append(Installment(m["number"], m["due_date"], from_cents(m["amount_cents"]), from_cents(total - paid)))
    return out


def candidate_accounts(*, min_balance: Decimal | None, as_of: date, with_notices: bool = True,
                       with_arrangements: bool = True):
    """A SQL selectable of account numbers worth loading."""
    parts = []
    if min_balance is not None:
        parts.append(select(P.c.account_no).where(P.c.effective_date <= as_of).group_by(P.c.account_no)
                     .having(func.sum(P.c.amount_cents) >= to_cents(min_balance)))
    if with_notices:
        parts.append(select(N.c.account_no).where(N.c.status == "active"))
    if with_arrangements:
        parts.append(select(AR.c.account_no).where(AR.c.status == "current"))
    if not parts:
        return select(A.c.account_no).where(literal(False))
    return union(*parts) if len(parts) > 1 else parts[0]


CHUNK = 2000  # account numbers per IN (...) list: under SQLite's (32,766) and PostgreSQL's limits

_POSTING_COLS = (P.c.account_no, P.c.id, P.c.effective_date, P.c.kind, P.c.amount_cents, P.c.due_date, P.c.bill_id,
                 P.c.reverses_id, P.c.parts, P.c.fund, P.c.ref)


def _cents(c: int) -> Decimal:
    return Decimal(c).scaleb(-2)  # exact, two places: 5235 -> 52.35


def _day(v) -> date:
    return v if isinstance(v, date) else date.fromisoformat(v)


def fetch_raw(conn: Connection, q, *, prefix: str = "") -> list[tuple]:
    """A query's rows as plain tuples through the driver's cursor (dates stay as the driver
    hands them over: ISO text on SQLite): row objects and per-value processing cost more
    than the query itself at this size. `prefix`: SQL text put before it (a WITH clause)."""
    sql = prefix + str(q.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cur = conn.connection.cursor()  # the pooled DBAPI connection of this transaction
    try:
        cur.execute(sql)
        return cur.fetchall()
    finally:
        cur.close()


def raw_postings(conn: Connection, accounts: list[str], as_of: date) -> dict[str, list[tuple]]:
    """Postings of many accounts as plain tuples (account, id, date, kind, cents, due, bill,
    reverses, parts JSON, fund, ref), in chunks of account numbers."""
    out: dict[str, list[tuple]] = defaultdict(list)
    for i in range(0, len(accounts), CHUNK):
        q = (select(*_POSTING_COLS).where(P.c.account_no.in_(accounts[i:i + CHUNK]), P.c.effective_date <= as_of)
             .order_by(P.c.account_no, P.c.id))
        for row in fetch_raw(conn, q):
            out[row[0]].append(row)
    return out


def postings_from_raw(rows: list[tuple], keep_from: date) -> tuple[list[Posting], date | None]:
    """Posting records of one account, its settled past folded away (see trim_settled).
    SQLite hands dates over as ISO text, which sorts like the dates: the fold is found on
    the text and only the postings kept are turned into records."""
    if not rows:
        return [], None
    text = isinstance(rows[0][2], str)
    cut, cut_cents, last = _settled_cut([(r[1], r[2], r[3], r[4], r[7]) for r in rows],
                                        keep_from.isoformat() if text else keep_from)
    out = []
    if cut is not None and cut_cents:
        out.append(Posting(0, _day(cut), "adjustment", _cents(cut_cents), ref="settled history"))
    out += [posting_from_raw(r) for r in rows if cut is None or r[2] > cut]
    return out, _day(last) if last is not None else None


def posting_from_raw(r: tuple) -> Posting:
    """One raw_postings tuple as a Posting record."""
    parts = r[8]
    return Posting(r[1], _day(r[2]), r[3], _cents(r[4]), _day(r[5]) if r[5] else None, r[6], r[7],
                   tuple((f, _cents(c)) for f, c in json.loads(parts).items()) if parts else (), r[9], r[10] or "")


def _rows(conn: Connection, table, account_col, ids: list[str], explicit: bool, *where):
    """Rows of a small table for these accounts: by IN lists when the caller named the
    accounts, else one filtered query over the table (cheaper than many IN lists)."""
    if explicit:
        for i in range(0, len(ids), CHUNK):
            yield from conn.execute(select(table).where(account_col.in_(ids[i:i + CHUNK]), *where))
        return
    wanted = set(ids)
    for r in conn.execute(select(table).where(*where)):
        if r._mapping[account_col.name] in wanted:
            yield r


@dataclass
class SideRecords:
    """The collections records of some accounts on a day (everything but their postings)."""

    notices: dict[str, list[Notice]]
    holds: dict[str, list[Hold]]
    extensions: dict[str, list[Extension]]
    arrangements: list[dict]  # rows: current ones, and those ended within the lookback or after as_of
    installments: dict[int, list]
    made: dict[str, list[date]]  # arrangement dates by account

    def keep_from(self, account_no: str, as_of: date) -> date:
        """The earliest day the rules read this account's postings from (notices, holds,
        arrangements): settled history before it may be folded away."""
        return min([as_of] + [n.issued for n in self.notices.get(account_no, [])]
                   + [h.start for h in self.holds.get(account_no, [])]
                   + self.made.get(account_no, []))


def side_records(conn: Connection, ids: list[str], as_of: date, *, explicit: bool,
                 broken_lookback_months: int) -> SideRecords:
    """Notices, holds, extensions and arrangements of these accounts, one query per table."""
    notices: dict[str, list[Notice]] = defaultdict(list)
    # removed notices are never read by the rules, unless removed after as_of (a past day)
    for r in _rows(conn, N, N.c.account_no, ids, explicit, N.c.issued_date <= as_of,
                   (N.c.status == "active") | (N.c.status_date > as_of)):
        n = notice_from_row(r._mapping)
        if n.status == "removed" and n.status_date and n.status_date > as_of:
            n = Notice(n.account_no, n.issued, n.earliest_turnoff, n.amount, "active", n.id, None, n.oldest_due)
        notices[n.account_no].append(n)
    holds: dict[str, list[Hold]] = defaultdict(list)
    # holds in force, and every landlord answer (the latest one counts)
    for r in _rows(conn, H, H.c.account_no, ids, explicit, H.c.start_date <= as_of,
                   H.c.end_date.is_(None) | (H.c.end_date > as_of) | H.c.kind.in_(("landlord_hold", "landlord_proceed"))):
        holds[r._mapping["account_no"]].append(hold_from_row(r._mapping))
    ext: dict[str, list[Extension]] = defaultdict(list)
    for r in _rows(conn, X, X.c.account_no, ids, explicit, X.c.granted_date <= as_of, X.c.new_due > as_of):
        m = r._mapping
        ext[m["account_no"]].append(Extension(m["granted_date"], m["new_due"], from_cents(m["amount_cents"])))
    recent = as_of - relativedelta(months=broken_lookback_months)
    arr_rows = [dict(r._mapping) for r in _rows(conn, AR, AR.c.account_no, ids, explicit, AR.c.made_date <= as_of,
                                                 (AR.c.status == "current") | (AR.c.status_date >= recent))]
    inst: dict[int, list] = defaultdict(list)
    arr_ids = [m["id"] for m in arr_rows]
    for i in range(0, len(arr_ids), CHUNK):
        for r in conn.execute(select(AI).where(AI.c.arrangement_id.in_(arr_ids[i:i + CHUNK]))):
            inst[r._mapping["arrangement_id"]].append(r._mapping)
    made: dict[str, list[date]] = defaultdict(list)
    for m in arr_rows:
        made[m["account_no"]].append(m["made_date"])
    return SideRecords(notices, holds, ext, arr_rows, inst, made)


def attach_arrangements(cases: dict[str, Case], side: SideRecords, as_of: date, grace_days: int) -> None:
    """Each case's arrangements with their standing on `as_of` (monitored from its postings)."""
    for m in side.arrangements:
        case = cases.get(m["account_no"])
        if case is None:
            continue
        status, status_date = m["status"], m["status_date"]
        if status != "current" and status_date and status_date > as_of:
            status, status_date = "current", None
        if status == "current":
            st = monitor(m["made_date"], from_cents(m["down_cents"]), installments_of(side.installments[m["id"]]),
                         case.postings, as_of, grace_days, case.state.cancelled)
            status, status_date = st.status, st.status_date
        case.arrangements.append(ArrangementStanding(m["id"], m["made_date"], status, status_date))


def attach_billed(conn: Connection, cases: dict[str, Case], as_of: date) -> None:
    """For each case with a bankruptcy petition in force on `as_of`: the service period and
    line amounts of its bills dated on or after the petition, so that a bill whose service
    spans the petition is split by days (protections.post_petition_past_due). Few accounts
    have one; the others are not touched."""
    from ..bankruptcy import BilledService
    from ..periods import ServicePeriod
    from ..protections import bankruptcy_petition

    wanted: dict[int, Case] = {}
    for case in cases.values():
        petition = bankruptcy_petition(case, as_of)
        if petition is not None:
            wanted.update((p.bill_id, case) for p in case.postings
                          if p.kind == "bill" and p.bill_id is not None and p.date >= petition)
    if not wanted:
        return
    B, BL = schema.bills, schema.bill_lines
    ids = sorted(wanted)
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i:i + CHUNK]
        lines: dict[int, list[Decimal]] = defaultdict(list)
        for bid, cents in conn.execute(select(BL.c.bill_id, BL.c.amount_cents).where(BL.c.bill_id.in_(chunk))
                                       .order_by(BL.c.bill_id, BL.c.seq)):
            lines[bid].append(from_cents(cents))
        for bid, start, end in conn.execute(select(B.c.id, B.c.period_start, B.c.period_end).where(B.c.id.in_(chunk))):
            wanted[bid].billed[bid] = BilledService(ServicePeriod(start, end), tuple(lines.get(bid, ())))


class _Mapped:
    """A driver row dressed as a SQLAlchemy row for repo.account_from_row."""

    __slots__ = ("_mapping",)

    def __init__(self, mapping: dict):
        self._mapping = mapping


_ACCOUNT_DATES = [c.name for c in A.columns if isinstance(c.type, Date)]


def load_accounts(conn: Connection, ids: list[str]) -> dict[str, Account]:
    """The accounts of these numbers (read through the driver's cursor: SQLAlchemy's
    per-value processing of 28 columns cost more than the query)."""
    names = [c.name for c in A.columns]
    accts = {}
    for i in range(0, len(ids), CHUNK):
        for r in fetch_raw(conn, select(A).where(A.c.account_no.in_(ids[i:i + CHUNK]))):
            m = dict(zip(names, r))
            for k in _ACCOUNT_DATES:
                if m[k] is not None:
                    m[k] = _day(m[k])
            accts[m["account_no"]] = account_from_row(_Mapped(m))
    return accts


def load_cases(conn: Connection, as_of: date, *, grace_days: int, min_balance: Decimal | None = None,
               accounts: list[str] | None = None, with_notices: bool = True,
               with_arrangements: bool = True, broken_lookback_months: int = 12) -> dict[str, Case]:
    """The collections case of every candidate account on `as_of`: one query picks the
    candidates, then one query per table (in chunks of account numbers)."""
    if accounts is not None:
        ids = sorted(set(accounts))
    else:
        ids = sorted({r[0] for r in conn.execute(candidate_accounts(
            min_balance=min_balance, as_of=as_of, with_notices=with_notices, with_arrangements=with_arrangements))})
    accts = load_accounts(conn, ids)
    ids = sorted(accts)
    raw = raw_postings(conn, ids, as_of)
    side = side_records(conn, ids, as_of, explicit=accounts is not None, broken_lookback_months=broken_lookback_months)
    cases: dict[str, Case] = {}
    for no, acct in accts.items():
        p, last_payment = postings_from_raw(raw.get(no, []), side.keep_from(no, as_of))
        cases[no] = Case(account=acct, state=ledger_state(p, as_of), postings=p, notices=side.notices.get(no, []),
                         holds=side.holds.get(no, []), extensions=side.extensions.get(no, []),
                         last_payment=last_payment)
    attach_arrangements(cases, side, as_of, grace_days)
    attach_billed(conn, cases, as_of)
    return cases


def active_notices(conn: Connection, account_no: str) -> list[Notice]:
    return [notice_from_row(r._mapping) for r in conn.execute(
        select(N).where(N.c.account_no == account_no, N.c.status == "active").order_by(N.c.id))]


def notices_issued_on(conn: Connection, as_of: date) -> list[Notice]:
    return [notice_from_row(r._mapping) for r in conn.execute(
        select(N).where(N.c.issued_date == as_of).order_by(N.c.account_no))]


def arrangement_rows(conn: Connection, account_no: str | None = None, status: str | None = None) -> list[dict]:
    q = select(AR).order_by(AR.c.id)
    if account_no:
        q = q.where(AR.c.account_no == account_no)
    if status:
        q = q.where(AR.c.status == status)
    return [dict(r._mapping) for r in conn.execute(q)]


def installment_rows(conn: Connection, arrangement_id: int) -> list:
    return [r._mapping for r in conn.execute(select(AI).where(AI.c.arrangement_id == arrangement_id))]


def broken_dates_by_account(conn: Connection, accounts=None) -> dict[str, list[date]]:
    q = select(AR.c.account_no, AR.c.status_date).where(AR.c.status == "broken")
    if accounts is not None:
        q = q.where(AR.c.account_no.in_(list(accounts)))
    out: dict[str, list[date]] = defaultdict(list)
    for no, d in conn.execute(q):
        out[no].append(d)
    return out


def holds_for(conn: Connection, account_no: str, kinds: tuple[str, ...] | None = None) -> list[Hold]:
    q = select(H).where(H.c.account_no == account_no).order_by(H.c.id)
    if kinds:
        q = q.where(H.c.kind.in_(kinds))
    return [hold_from_row(r._mapping) for r in conn.execute(q)]


def extension_dates(conn: Connection, account_no: str) -> list[date]:
    return [r[0] for r in conn.execute(select(X.c.granted_date).where(X.c.account_no == account_no))]


def trim_settled(postings: list[Posting], keep_from: date) -> tuple[list[Posting], date | None]:
    """The same ledger with its settled past folded into one opening credit (speed only).

    When the running balance of everything dated on or before a day t is <= 0, every charge
    up to t is paid and what is left is a credit pool of -balance: the ledger after t is the
    same if the postings up to t are replaced by one credit of that amount dated t (kind
    'adjustment', id 0). t must be before `keep_from` (the earliest date the collections
    rules read postings from: notices, arrangements, petitions) and no reversal after t may
    point at a posting on or before t. Returns (postings, date of the last payment that
    still stands), since the folded history may hold the last payment.
    """
    slim = [(p.id, p.date, p.kind, int(p.amount * 100), p.reverses) for p in postings]
    cut, cut_cents, last = _settled_cut(slim, keep_from)
    if cut is None:
        return postings, last
    kept = [p for p in postings if p.date > cut]
    if cut_cents:
        kept.insert(0, Posting(0, cut, "adjustment", _cents(cut_cents), ref="settled history"))
    return kept, last


def _settled_cut(rows: list[tuple], keep_from: date) -> tuple[date | None, int, date | None]:
    """rows: (id, date, kind, cents, reverses). The latest day t < keep_from with the running
    balance <= 0 and no later reversal reaching back to t or before; its balance; and the
    date of the last payment that stands."""
    cancelled = {r[4] for r in rows if r[4] is not None}
    pays = [r[1] for r in rows if r[2] == "payment" and r[3] < 0 and r[0] not in cancelled]
    last = max(pays) if pays else None
    if len(rows) < 8:
        return None, 0, last
    when = {r[0]: r[1] for r in rows}
    # a reversal and what it reverses stay on the same side of the cut, whichever is dated first
    blocked = [(min(when[r[4]], r[1]), max(when[r[4]], r[1])) for r in rows if r[4] is not None and r[4] in when]
    sums: dict[date, int] = defaultdict(int)
    for r in rows:
        sums[r[1]] += r[3]
    total, cut, cut_total = 0, None, 0
    for d in sorted(sums):
        if d >= keep_from:
            break
        total += sums[d]
        if total <= 0 and not any(lo <= d < hi for lo, hi in blocked):
            cut, cut_total = d, total
    return cut, cut_total, last
