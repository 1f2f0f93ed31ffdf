"""Assessing late charges (domain §3): 1.5% of the amount of a bill still unpaid at the end
of its due date, assessed once per bill, on the next day.

`assess_late_charges(u, as_of)` looks at bills whose due date has passed (within a window,
so a daily run stays cheap), computes each one's unpaid amount at the end of its due date
from the ledger (payments dated on or before the due date count), and posts one
`late_charge` per bill dated the day after the due date, attached to the bill so a payment
pays it before the bill's lines. Idempotent: the posting's key is `late:<bill id>`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from .due_dates import late_charge, late_charge_date
from .home import Utility
from .ledger import ledger_state
from .money import ZERO, to_cents
from .store import schema
from .store.db import now_iso
from .store.repo import cancelled_bill_ids, postings_by_account, posting_values


@dataclass
class LateChargeRun:
    as_of: date
    assessed: list[tuple[str, int, Decimal]] = field(default_factory=list)  # account, bill id, amount
    checked: int = 0

    @property
    def total(self) -> Decimal:
        return sum((a for _, _, a in self.assessed), ZERO)


def assess_late_charges(u: Utility, as_of: date, *, window_days: int = 60, post: bool = True) -> LateChargeRun:
    B, P = schema.bills, schema.postings
    run = LateChargeRun(as_of)
    store = u.store
    with store.read() as conn:
        due = conn.execute(select(B.c.id, B.c.account_no, B.c.due_date).where(
            B.c.due_date < as_of, B.c.due_date >= as_of - timedelta(days=window_days))).all()
        done = {k for (k,) in conn.execute(select(P.c.idem_key).where(P.c.kind == "late_charge",
                                                                      P.c.idem_key.like("late:%")))}
        cancelled = cancelled_bill_ids(conn)
        todo = [(bid, a, d) for bid, a, d in due if f"late:{bid}" not in done and bid not in cancelled
                and late_charge_date(d) <= as_of]
        postings = postings_by_account(conn, sorted({a for _, a, _ in todo})) if todo else {}
    rows = []
    now = now_iso()
    for bid, account, due_on in todo:
        run.checked += 1
        state = ledger_state(postings.get(account, []), due_on)
        unpaid = sum((c.unpaid for c in state.charges if c.posting.kind == "bill" and c.posting.bill_id == bid), ZERO)
        fee = late_charge(unpaid, u.policy.billing)
        if fee <= 0:
            continue
        when = late_charge_date(due_on)
        run.assessed.append((account, bid, fee))
        rows.append(posting_values(
            account_no=account, effective_date=when, posted_at=now, kind="late_charge", amount_cents=to_cents(fee),
            due_date=when, bill_id=bid, fund="fees", clerk=store.clerk,
            memo=f"late charge: {u.policy.billing.late_charge_rate * 100}% of {unpaid} unpaid after {due_on}",
            idem_key=f"late:{bid}"))
    if post and rows:
        u.backup_before("late-charges", bulk=True)
        with store.write(bulk=True) as conn:
            have = {k for (k,) in conn.execute(select(P.c.idem_key).where(P.c.idem_key.in_([r["idem_key"] for r in rows])))}
            rows = [r for r in rows if r["idem_key"] not in have]
            if rows:
                conn.execute(P.insert(), rows)
                store.audit(conn, "late-charges", reason=f"late charges assessed as of {as_of}",
                            details={"count": len(rows), "total": str(run.total)})
    return run
