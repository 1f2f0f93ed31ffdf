"""Posting a returned check or ACH debit (domain §7), as one idempotent job.

Why it exists: a returned payment touches money (a reversal linked to the original payment,
the $30.00 fee), the account (cash-only after two returns in 12 months), the payment method
(the NACHA code's consequence) and collections (a turn-off notice when the account is now
past due). All of it happens in one write transaction with audit entries, and the same
return recorded twice posts nothing (the returned_payments row is unique per payment and
the postings carry idempotency keys). The letter is printed by collections_docs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import insert, select, update

from .accounts import Account
from .collections_jobs import insert_notice
from .findings import Finding, FindingsError
from .home import Utility
from .ledger import FEE_FUND, Posting
from .money import ZERO, round_line, to_cents
from .notices import NoticeDecision, earliest_turnoff
from .protections import Notice, protections
from .returned_payments import (
    REPRESENT,
    ReturnAction,
    becomes_cash_only,
    normalize_code,
    return_action,
)
from .store import collections_repo as crepo
from .store import repo, schema
from .store.db import now_iso

RP, P = schema.returned_payments, schema.postings


@dataclass(frozen=True)
class ReturnedPaymentResult:
    account: Account
    payment: Posting
    return_date: date
    code: str
    action: ReturnAction
    fee: Decimal
    reversal_id: int
    fee_id: int | None
    past_due_before: Decimal
    past_due_after: Decimal
    balance_after: Decimal
    cash_only_set: bool
    returns_in_window: int
    notice: Notice | None
    already: bool = False  # True: this return was already recorded; nothing was posted


def _find_payment(conn, account_no: str, payment_posting_id, check_no, amount) -> list[Posting]:
    q = select(P).where(P.c.account_no == account_no, P.c.kind == "payment")
    if payment_posting_id is not None:
        rows = conn.execute(q.where(P.c.id == int(payment_posting_id))).all()
    elif check_no is not None and amount is not None:
        rows = conn.execute(q.where(P.c.ref == str(check_no), P.c.amount_cents == -to_cents(round_line(Decimal(amount))))
                            .order_by(P.c.id)).all()
    else:
        raise FindingsError([Finding("give the payment's posting id, or its check number and amount",
                                     account=account_no)], "which payment was returned?")
    if not rows:
        what = f"posting {payment_posting_id}" if payment_posting_id is not None else f"check {check_no} for {amount}"
        raise FindingsError([Finding(f"no payment {what} on this account", account=account_no)], "payment not found")
    return [repo.posting_from_row(r) for r in rows]


def returned_payment(u: Utility, account_no: str, *, return_date: date, code: str,
                     payment_posting_id: int | None = None, check_no: str | None = None,
                     amount: Decimal | None = None) -> ReturnedPaymentResult:
    """Record a returned payment: reversal linked to the original, the fee, the code's action,
    cash-only after two returns in 12 months, and a notice if the account is now past due."""
    pol = u.policy
    rpol = pol.returned_payments
    code = normalize_code(code)
    with u.store.write() as conn:
        acct = repo.get_account(conn, account_no)
        if acct is None:
            raise FindingsError([Finding(f"no account {account_no}", account=account_no)], "unknown account")
        matches = _find_payment(conn, account_no, payment_posting_id, check_no, amount)
        done = {r._mapping["payment_posting_id"]: r._mapping for r in conn.execute(
            select(RP).where(RP.c.payment_posting_id.in_([m.id for m in matches])))}
        for m in matches:
            row = done.get(m.id)
            if row is not None and row["return_date"] == return_date and row["code"] == code:
                return _already(conn, pol, acct, m, row)
        open_ = [m for m in matches if m.id not in done]
        if not open_:
            raise FindingsError([Finding(f"payment posting {matches[-1].id} was already returned on "
                                         f"{done[matches[-1].id]['return_date']}", account=account_no)],
                                "already returned")
        pay = open_[-1]
        if return_date < pay.date:
            raise FindingsError([Finding(f"return date {return_date} is before the payment date {pay.date}",
                                         account=account_no)], "bad return date")
        before = crepo.load_cases(conn, return_date, grace_days=pol.arrangements.grace_days,
                                  broken_lookback_months=pol.arrangements.broken_lookback_months,
                                  accounts=[account_no])
        past_due_before = before[account_no].state.past_due(return_date)
        reversal_id = repo.post(conn, u.store, account_no=account_no, kind="reversal", amount=-pay.amount,
                                effective_date=return_date, reverses_id=pay.id, ref=pay.ref or None,
                                reason_code=code, memo=f"returned payment {code}", idem_key=f"return:{pay.id}")
        fee_id = None
        if rpol.fee > 0:
            fee_id = repo.post(conn, u.store, account_no=account_no, kind="fee", amount=rpol.fee,
                               effective_date=return_date, due_date=return_date, fund=FEE_FUND,
                               reason_code="RETURNED_PAYMENT", memo=f"returned payment fee ({code})",
                               idem_key=f"return-fee:{pay.id}")
        prior = conn.execute(select(RP.c.id).where(RP.c.account_no == account_no, RP.c.check_no == (pay.ref or None),
                                                   RP.c.code.in_(REPRESENT))).all() if pay.ref else []
        action = return_action(code, len(prior), rpol)
        since = return_date - relativedelta(months=rpol.cash_only_lookback_months)
        dates = [r[0] for r in conn.execute(select(RP.c.return_date).where(RP.c.account_no == account_no))]
        dates.append(return_date)
        in_window = sum(1 for d in dates if since < d <= return_date)
        cash_only_set = False
        if becomes_cash_only(dates, return_date, rpol) and not acct.cash_only:
            conn.execute(update(schema.accounts).where(schema.accounts.c.account_no == account_no)
                         .values(cash_only=True))
            u.store.audit(conn, "account:cash_only", account_no=account_no, entity="account",
                          reason=f"{in_window} returned payments within {rpol.cash_only_lookback_months} months",
                          details={"return_date": return_date.isoformat(), "payment_posting_id": pay.id})
            cash_only_set = True
        after = crepo.load_cases(conn, return_date, grace_days=pol.arrangements.grace_days,
                                 broken_lookback_months=pol.arrangements.broken_lookback_months,
                                 accounts=[account_no])[account_no]
        st = after.state
        notice = None
        past_due_after = st.past_due(return_date)
        if past_due_after > ZERO and after.active_notice() is None and not protections(
                after, return_date, pol.collections.turnoff_min_past_due):
            d = NoticeDecision(account_no, True, "returned payment", past_due_after, st.age_days(return_date),
                               st.oldest_past_due_date(return_date),
                               earliest_turnoff(return_date, pol.calendar, pol.collections.turnoff_business_days))
            notice, _ = insert_notice(conn, u.store, after, d, return_date, reason=f"nonpayment (returned payment {code})")
        conn.execute(insert(RP).values(
            account_no=account_no, payment_posting_id=pay.id, reversal_posting_id=reversal_id, fee_posting_id=fee_id,
            return_date=return_date, code=code, check_no=pay.ref or None, amount_cents=-to_cents(pay.amount),
            action=action.action, notice_id=notice.id if notice else None, cash_only_set=cash_only_set,
            clerk=u.store.clerk, created_at=now_iso()))
        u.store.audit(conn, "returned_payment", account_no=account_no, entity="posting", entity_id=pay.id,
                      reason=action.explanation, details={"code": code, "action": action.action})
        return ReturnedPaymentResult(acct, pay, return_date, code, action, rpol.fee if fee_id else ZERO, reversal_id,
                                     fee_id, past_due_before, past_due_after, st.balance,
                                     cash_only_set or acct.cash_only, in_window, notice)


def _already(conn, pol, acct: Account, pay: Posting, row) -> ReturnedPaymentResult:
    case = crepo.load_cases(conn, row["return_date"], grace_days=pol.arrangements.grace_days,
                            broken_lookback_months=pol.arrangements.broken_lookback_months,
                            accounts=[acct.account_no])[acct.account_no]
    notice = next((n for n in case.notices if n.id == row["notice_id"]), None)
    rpol = pol.returned_payments
    since = row["return_date"] - relativedelta(months=rpol.cash_only_lookback_months)
    n = conn.execute(select(RP.c.return_date).where(RP.c.account_no == acct.account_no)).all()
    return ReturnedPaymentResult(
        acct, pay, row["return_date"], row["code"], ReturnAction(row["action"], "already recorded"),
        rpol.fee if row["fee_posting_id"] else ZERO, row["reversal_posting_id"], row["fee_posting_id"],
        case.state.past_due(row["return_date"]), case.state.past_due(row["return_date"]), case.state.balance,
        bool(row["cash_only_set"]) or acct.cash_only, sum(1 for (d,) in n if since < d <= row["return_date"]),
        notice, already=True)
