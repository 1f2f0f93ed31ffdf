"""Returned payments (NSF checks, ACH returns): what happens and what the customer is told
(domain §7).

Why it exists: a returned check or ACH debit is reversed by a new posting linked to the
original (never an edit), a $30.00 fee is added (returned_payments.fee), the customer gets a
letter, and two returns in 12 months make the account cash-only. The NACHA return code says
what may happen next: R01 (insufficient funds) and R09 (uncollected funds) may be presented
again, at most twice (returned_payments.max_represent); R02 (account closed), R03 (no
account) and R04 (invalid account number) need a new payment method; R07 (authorization
revoked), R08 (stop payment) and R10 (unauthorized) stop automatic debits. A returned paper
check carries the code NSF. Pure: the job in returned_payment_job posts the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from .config import ReturnedPaymentPolicy

REPRESENT = ("R01", "R09")
NEW_METHOD = ("R02", "R03", "R04")
STOP_DEBITS = ("R07", "R08", "R10")
CHECK_CODES = ("NSF",)
KNOWN_CODES = REPRESENT + NEW_METHOD + STOP_DEBITS + CHECK_CODES

DESCRIPTIONS = {
    "R01": "insufficient funds", "R09": "uncollected funds", "R02": "account closed",
    "R03": "no account / unable to locate account", "R04": "invalid account number",
    "R07": "authorization revoked by customer", "R08": "payment stopped", "R10": "customer advises unauthorized",
    "NSF": "check returned for non-sufficient funds",
}


@dataclass(frozen=True, slots=True)
class ReturnAction:
    action: str  # represent | new_payment_method | stop_debits | none
    explanation: str


def normalize_code(code: str) -> str:
    c = (code or "").strip().upper()
    if c not in KNOWN_CODES:
        raise ValueError(f"unknown return code {code!r}; known: {', '.join(KNOWN_CODES)}")
    return c


def return_action(code: str, prior_presentments: int, policy: ReturnedPaymentPolicy) -> ReturnAction:
    """What the office does next. `prior_presentments` = how many times this same item has
    already been returned (and so presented again) before this return."""
    c = normalize_code(code)
    if c in REPRESENT:
        if prior_presentments < policy.max_represent:
            return ReturnAction("represent", f"{DESCRIPTIONS[c]}: the debit may be presented again "
                                f"(presentment {prior_presentments + 1} of {policy.max_represent})")
        return ReturnAction("new_payment_method", f"{DESCRIPTIONS[c]}: already presented again "
                            f"{policy.max_represent} times; a new payment method is needed")
    if c in NEW_METHOD:
        return ReturnAction("new_payment_method", f"{DESCRIPTIONS[c]}: a new payment method is needed")
    if c in STOP_DEBITS:
        return ReturnAction("stop_debits", f"{DESCRIPTIONS[c]}: automatic debits are stopped")
    return ReturnAction("none", DESCRIPTIONS[c])


def becomes_cash_only(return_dates: list[date], on: date, policy: ReturnedPaymentPolicy) -> bool:
    """Two (cash_only_after_returns) returns within the 12 months ending `on`, this one included."""
    since = on - relativedelta(months=policy.cash_only_lookback_months)
    return sum(1 for d in return_dates if since < d <= on) >= policy.cash_only_after_returns
