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

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import func, literal, select, union
from sqlalchemy.engine import Connection

from ..arrangements import Installment, monitor
from ..ledger import ledger_state
from ..money import from_cents, to_cents
from ..protections import ArrangementStanding, Case, Extension, Hold, Notice
from . import schema
from .repo import account_from_row, posting_from_row

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
                       with_arrangements: bool = True, accounts: list[str] | None = None):
    """A SQL selectable of account numbers worth loading."""
    if accounts is not None:
        return select(A.c.account_no).where(A.c.account_no.in_(list(accounts)))
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


def load_cases(conn: Connection, as_of: date, *, grace_days: int, min_balance: Decimal | None = None,
               accounts: list[str] | None = None, with_notices: bool = True,
               with_arrangements: bool = True) -> dict[str, Case]:
    """The collections case of every candidate account on `as_of`, one query per table."""
    cand = candidate_accounts(min_balance=min_balance, as_of=as_of, with_notices=with_notices,
                              with_arrangements=with_arrangements, accounts=accounts)
    ids = select(cand.subquery().c[0])
    accts = {r._mapping["account_no"]: account_from_row(r)
             for r in conn.execute(select(A).where(A.c.account_no.in_(ids)))}
    posts: dict[str, list] = defaultdict(list)
    for r in conn.execute(select(P).where(P.c.account_no.in_(ids), P.c.effective_date <= as_of)
                          .order_by(P.c.account_no, P.c.id)):
        posts[r._mapping["account_no"]].append(posting_from_row(r))
    notices: dict[str, list[Notice]] = defaultdict(list)
    for r in conn.execute(select(N).where(N.c.account_no.in_(ids), N.c.issued_date <= as_of)):
        n = notice_from_row(r._mapping)
        if n.status == "removed" and n.status_date and n.status_date > as_of:
            n = Notice(n.account_no, n.issued, n.earliest_turnoff, n.amount, "active", n.id, None, n.oldest_due)
        notices[n.account_no].append(n)
    holds: dict[str, list[Hold]] = defaultdict(list)
    for r in conn.execute(select(H).where(H.c.account_no.in_(ids), H.c.start_date <= as_of)):
        holds[r._mapping["account_no"]].append(hold_from_row(r._mapping))
    ext: dict[str, list[Extension]] = defaultdict(list)
    for r in conn.execute(select(X).where(X.c.account_no.in_(ids), X.c.granted_date <= as_of)):
        m = r._mapping
        ext[m["account_no"]].append(Extension(m["granted_date"], m["new_due"], from_cents(m["amount_cents"])))
    arr_rows = [dict(r._mapping) for r in conn.execute(
        select(AR).where(AR.c.account_no.in_(ids), AR.c.made_date <= as_of))]
    inst: dict[int, list] = defaultdict(list)
    if arr_rows:
        for r in conn.execute(select(AI).where(AI.c.arrangement_id.in_(
                select(AR.c.id).where(AR.c.account_no.in_(ids))))):
            inst[r._mapping["arrangement_id"]].append(r._mapping)
    cases: dict[str, Case] = {}
    for no, acct in accts.items():
        p = posts.get(no, [])
        cases[no] = Case(account=acct, state=ledger_state(p, as_of), postings=p, notices=notices.get(no, []),
                         holds=holds.get(no, []), extensions=ext.get(no, []))
    for m in arr_rows:
        case = cases.get(m["account_no"])
        if case is None:
            continue
        status, status_date = m["status"], m["status_date"]
        if status != "current" and status_date and status_date > as_of:
            status, status_date = "current", None
        if status == "current":
            st = monitor(m["made_date"], from_cents(m["down_cents"]), installments_of(inst[m["id"]]),
                         case.postings, as_of, grace_days, case.state.cancelled)
            status, status_date = st.status, st.status_date
        case.arrangements.append(ArrangementStanding(m["id"], m["made_date"], status, status_date))
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

