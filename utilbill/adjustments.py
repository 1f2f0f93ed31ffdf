"""Corrections to an account, each a new posting with its audit entry, never an edit (design.md).

- **Cancel and rebill**: a bill billed on a wrong reading is reversed by a reversal posting of
  its bill posting, and a new 'rebill' bill for the same period is priced on the corrected
  reading (the reference computation of utilbill.billing) and posted. The account's balance
  moves by exactly (corrected bill - original bill). Only the account's latest live bill can
  be rebilled, because its reading is the next period's previous reading: rebill later
  bills first. The corrected reading is recorded (read type 'corrected'), so the next cycle
  bill run starts from it.
- **Leak adjustment** (`leak_adjustment` policy): the account is credited for
  `share_of_excess` (half) of the units above its 12-month average for the bill's period
  (average daily units over the 365 days before the period x its days). The credit is the
  bill's priced total less the same bill priced on the reduced units (same blocks, same
  winter average), so blocks and the wastewater cap are respected, split by fund. At most
  one per account in `once_per_months` months (recorded in `leak_adjustments`).
- **General adjustment**: a charge (+) or credit (-) to one fund with a reason code from
  `billing.adjustment_reasons`.

Each job is idempotent: running it again with the same input posts nothing and says so.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

from dateutil.relativedelta import relativedelta

from .billing import bill_from_read
from .consumption import PastUsage, average_daily_units
from .findings import Finding, FindingsError
from .money import ZERO, from_cents, to_cents
from .periods import ServicePeriod
from .pricing import price_bill, qty

FUNDS = ("water", "wastewater", "fees")


@dataclass
class AdjustmentResult:
    account_no: str
    kind: str  # cancel-rebill | leak | general
    amount: Decimal  # net change to the balance (+ charge, - credit)
    details: list[tuple[str, Decimal, str]] = field(default_factory=list)  # (what, amount, basis)
    posting_ids: list[int] = field(default_factory=list)
    original_bill_id: int | None = None
    new_bill_id: int | None = None
    posted: bool = False
    already_posted: bool = False


def _refuse(reason: str, account_no: str, column: str | None = None, value=None):
    raise FindingsError([Finding(reason, account=account_no, column=column, value=value)],
                        summary="adjustment refused; nothing was posted")


def _bill_and_posting(conn, account_no: str, bill_id: int | None) -> tuple[dict, dict | None, list[dict]]:
    from sqlalchemy import select

    from .store import repo, schema

    if repo.get_account(conn, account_no) is None:
        _refuse(f"unknown account {account_no}", account_no, "account", account_no)
    live = repo.live_bills(conn, account_no)
    if bill_id is None:
        if not live:
            _refuse(f"account {account_no} has no bill to adjust", account_no, "bill")
        bill = live[-1]
    else:
        rows = [b for b in live if b["id"] == bill_id]
        if not rows:
            _refuse(f"bill {bill_id} is not a live bill of account {account_no} (cancelled, or another account's)",
                    account_no, "bill", bill_id)
        bill = rows[0]
    P = schema.postings
    posting = conn.execute(select(P).where(P.c.bill_id == bill["id"], P.c.kind == "bill")).first()
    return bill, (dict(posting._mapping) if posting else None), live


def cancel_rebill(u, account_no: str, corrected_reading: int, *, bill_id: int | None = None, reason: str,
                  on: date | None = None, post: bool = True) -> AdjustmentResult:
    """Reverse a bill and rebill its period on the corrected reading."""
    from .store import repo

    on = on or date.today()
    if not reason.strip():
        _refuse("a cancel-and-rebill needs a reason", account_no, "reason")
    store = u.store
    with store.read() as conn:
        if bill_id is not None:
            from sqlalchemy import select

            from .store import schema

            B = schema.bills
            done = conn.execute(select(B.c.id).where(B.c.replaces_bill_id == bill_id, B.c.kind == "rebill")).first()
            if done is not None:  # a re-run: the bill was already cancelled and rebilled
                return AdjustmentResult(account_no, "cancel-rebill", ZERO, original_bill_id=bill_id,
                                        new_bill_id=done[0], already_posted=True)
        bill, posting, live = _bill_and_posting(conn, account_no, bill_id)
        acct = repo.get_account(conn, account_no)
        key = f"{account_no}|{bill['period_start'].isoformat()}|{bill['period_end'].isoformat()}|rebill|{bill['id']}"
        if repo.posting_exists(conn, f"bill:{key}"):
            return AdjustmentResult(account_no, "cancel-rebill", ZERO, original_bill_id=bill["id"], already_posted=True)
    if posting is None:
        raise AssertionError(f"bill {bill['id']} has no bill posting")
    if bill["id"] != live[-1]["id"]:
        _refuse(f"bill {bill['id']} is not the latest bill of {account_no}: its reading starts the next bill, "
                f"so rebill the later bills first", account_no, "bill", bill["id"])
    history = [PastUsage(b["period_start"], b["period_end"], Decimal(b["units"]), bool(b["estimated"]))
               for b in live if b["period_end"] <= bill["period_start"]]
    kind = "rebill" if bill["regular"] else bill["kind"]
    new = bill_from_read(acct, previous_read_date=bill["period_start"], previous_reading=bill["previous_reading"],
                         read_date=bill["period_end"], reading=int(corrected_reading), history=history,
                         policy=u.policy, rates=u.rates, bill_date=on, kind=kind)
    if isinstance(new, Finding):
        _refuse(new.reason, account_no, "reading", corrected_reading)
    new = dataclasses.replace(new, kind="rebill")
    old_total = from_cents(bill["total_cents"])
    result = AdjustmentResult(account_no, "cancel-rebill", new.total - old_total, original_bill_id=bill["id"], details=[
        (f"Cancel bill {bill['id']} ({bill['period_start']} to {bill['period_end']}, reading {bill['reading']})",
         -old_total, reason),
        *[(l.description, l.amount, l.basis) for l in new.lines],
        (f"Rebill on corrected reading {corrected_reading}: {new.units} units", new.total, "sum of the lines above"),
    ])
    if not post:
        return result
    u.backup_before("cancel-rebill", bulk=False)
    with store.write() as conn:
        rid = repo.post(conn, store, account_no=account_no, kind="reversal", amount=-old_total, effective_date=on,
                        bill_id=bill["id"], reverses_id=posting["id"], reason_code="CANCEL_REBILL", memo=reason,
                        idem_key=f"cancel:{posting['id']}")
        repo.add_read(conn, account_no=account_no, read_date=bill["period_end"], reading=int(corrected_reading),
                      read_type="corrected", source=f"cancel-rebill of bill {bill['id']}: {reason}")
        result.new_bill_id = repo.save_bill(conn, store, new, replaces_bill_id=bill["id"], bill_key=key)
        store.audit(conn, "cancel-rebill", account_no=account_no, entity="bill", entity_id=result.new_bill_id,
                    reason=reason, details={"cancelled_bill": bill["id"], "old_total": old_total,
                                            "new_total": new.total, "corrected_reading": corrected_reading})
        result.posting_ids = [rid]
    result.posted = True
    return result


@dataclass(frozen=True)
class LeakCredit:
    average_units: Decimal  # the 12-month average for the bill's period
    units_credited: Decimal
    by_fund: dict[str, Decimal]  # credit per fund, positive
    basis: str


def leak_credit(bill: dict, lines: list[dict], history: list[PastUsage], policy, rates, meter_size: str,
                account_class: str) -> LeakCredit | Finding:
    """The credit for a leak on `bill` (a store bill row and its line rows), or why there is none (pure)."""
    period = ServicePeriod(bill["period_start"], bill["period_end"])
    avg = average_daily_units([h for h in history if h.end <= period.start], period.start,
                              policy.billing.estimate_lookback_days)
    if avg is None:
        return Finding("no usage history in the 12 months before the bill: no average to compare with",
                       account=bill["account_no"], column="bill", value=bill["id"])
    units = Fraction(Decimal(bill["units"]))
    average = avg * period.days
    excess = units - average
    if excess <= 0:
        return Finding(f"the bill's {bill['units']} units are not above the 12-month average of "
                       f"{qty(average).normalize()} units for {period.days} days", account=bill["account_no"],
                       column="bill", value=bill["id"])
    credited = excess * Fraction(policy.leak_adjustment.share_of_excess)
    mpb = policy.billing.months_per_bill(account_class)
    repriced = price_bill(rates=rates, account_class=account_class, meter_size=meter_size, period=period,
                          units=units - credited, regular=bool(bill["regular"]), months_per_bill=mpb,
                          winter_average=Decimal(bill["winter_average"]) if bill["winter_average"] else None,
                          basis_days=policy.billing.irregular_basis_days)
    billed: dict[str, Decimal] = {}
    for l in lines:
        billed[l["fund"]] = billed.get(l["fund"], ZERO) + from_cents(l["amount_cents"])
    again = repriced.fund_totals()
    credit = {f: billed[f] - again.get(f, ZERO) for f in sorted(billed) if billed[f] - again.get(f, ZERO)}
    basis = (f"{bill['units']} units - 12-month average {qty(average).normalize()} units "
             f"({float(avg):.4f}/day x {period.days} days) = {qty(excess).normalize()} above; "
             f"{policy.leak_adjustment.share_of_excess} of it = {qty(credited).normalize()} units credited; "
             f"bill repriced on {qty(units - credited).normalize()} units = {repriced.total}")
    return LeakCredit(qty(average).normalize(), qty(credited).normalize(), credit, basis)


def leak_adjustment(u, account_no: str, *, bill_id: int | None = None, on: date | None = None,
                    post: bool = True) -> AdjustmentResult:
    """Credit half the units above the 12-month average on a bill, at most once in 12 months."""
    from sqlalchemy import insert, select

    from .store import repo, schema
    from .store.db import now_iso

    on = on or date.today()
    store, policy = u.store, u.policy
    L = schema.leak_adjustments
    with store.read() as conn:
        bill, _, live = _bill_and_posting(conn, account_no, bill_id)
        if conn.execute(select(L.c.id).where(L.c.bill_id == bill["id"])).first():
            return AdjustmentResult(account_no, "leak", ZERO, original_bill_id=bill["id"], already_posted=True)
        since = on - relativedelta(months=policy.leak_adjustment.once_per_months)
        earlier = conn.execute(select(L).where(L.c.account_no == account_no, L.c.adjusted_on > since)).first()
        acct = repo.get_account(conn, account_no)
        lines = repo.bill_lines_for(conn, bill["id"])
    if earlier is not None:
        _refuse(f"a leak adjustment was made on {earlier._mapping['adjusted_on']}; at most one in "
                f"{policy.leak_adjustment.once_per_months} months (leak_adjustment.once_per_months)",
                account_no, "bill", bill["id"])
    history = [PastUsage(b["period_start"], b["period_end"], Decimal(b["units"]), bool(b["estimated"])) for b in live]
    got = leak_credit(bill, lines, history, policy, u.rates, acct.meter_size, acct.account_class)
    if isinstance(got, Finding):
        raise FindingsError([got], summary="leak adjustment refused; nothing was posted")
    by_fund, basis = got.by_fund, got.basis
    total = sum(by_fund.values(), ZERO)
    result = AdjustmentResult(account_no, "leak", -total, original_bill_id=bill["id"],
                              details=[(f"Leak credit, {f}", -a, basis) for f, a in by_fund.items()])
    if not post or total == 0:
        return result
    u.backup_before("leak-adjustment", bulk=False)
    with store.write() as conn:
        pid = repo.post(conn, store, account_no=account_no, kind="adjustment", amount=-total, effective_date=on,
                        bill_id=bill["id"], parts=[(f, -a) for f, a in by_fund.items()], reason_code="LEAK",
                        memo=basis, idem_key=f"leak:{bill['id']}")
        conn.execute(insert(L).values(account_no=account_no, bill_id=bill["id"], adjusted_on=on,
                                      average_units=str(got.average_units), units_credited=str(got.units_credited),
                                      amount_cents=to_cents(total), posting_id=pid,
                                      clerk=store.clerk, created_at=now_iso()))
        result.posting_ids = [pid]
    result.posted = True
    return result


def general_adjustment(u, account_no: str, amount: Decimal, reason_code: str, *, memo: str = "",
                       fund: str = "water", on: date | None = None, post: bool = True) -> AdjustmentResult:
    """A charge (+) or credit (-) to one fund, with a configured reason code."""
    from .store import repo

    on = on or date.today()
    amount = Decimal(amount)
    reasons = u.policy.billing.adjustment_reasons
    problems = []
    if reason_code not in reasons:
        problems.append(Finding(f"unknown reason code {reason_code!r}; use one of {', '.join(reasons)} "
                                "(billing.adjustment_reasons)", account=account_no, column="reason", value=reason_code))
    if amount == 0 or amount != amount.quantize(Decimal("0.01")):
        problems.append(Finding("the amount must be a non-zero amount in cents", account=account_no,
                                column="amount", value=amount))
    if fund not in FUNDS:
        problems.append(Finding(f"fund must be one of {FUNDS}", account=account_no, column="fund", value=fund))
    with u.store.read() as conn:
        if repo.get_account(conn, account_no) is None:
            problems.append(Finding(f"unknown account {account_no}", account=account_no, column="account"))
        key = f"adjust:{account_no}:{on.isoformat()}:{amount}:{reason_code}:{memo}"
        done = repo.posting_exists(conn, key)
    if problems:
        raise FindingsError(problems, summary="adjustment refused; nothing was posted")
    result = AdjustmentResult(account_no, "general", amount,
                              details=[(f"{reasons[reason_code]} ({reason_code})", amount, memo)])
    if done:
        result.already_posted = True
        result.posting_ids = [done]
        return result
    if not post:
        return result
    with u.store.write() as conn:
        result.posting_ids = [repo.post(conn, u.store, account_no=account_no, kind="adjustment", amount=amount,
                                        effective_date=on, fund=fund, reason_code=reason_code, memo=memo or None,
                                        idem_key=key)]
    result.posted = True
    return result
