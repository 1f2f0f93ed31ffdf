"""Review before mailing: every bill of a run goes to the print file or is pulled, with ALL its
reasons (domain §4).

A bill is pulled when (thresholds in the `review` policy):
- high use: units above `high_use_percent` (200%) of the account's average for the same length
  of period (average daily units over the `billing.estimate_lookback_days` before the period,
  times its days); low use: below `low_use_percent` (50%) of it; zero use on an active account
  (reported instead of low use);
- an estimated read `consecutive_estimates` (2) or more periods in a row (this bill included);
- a rollover;
- a total over `max_total[class]` ($500 residential, $5,000 commercial);
- a credit balance on the account after the bill;
- an account flag needing special handling (`special_handling_flags`).
An account without usage history has no average, so it is not tested for high or low use.

`review_bills(u, job_id)` records each decision in `bill_pulls` (once per bill and run) and
returns the print list and the pull list; `write_pull_sheet` writes the workbook the clerk
works through, and `bill_print.print_bills` writes the print file of the print list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Sequence

from .accounts import Account
from .config import Policy
from .consumption import PastUsage, average_daily_units
from .findings import Finding, FindingsError
from .money import from_cents
from .pricing import qty


@dataclass(frozen=True)
class ReviewedBill:
    bill_id: int
    account_no: str
    customer_name: str
    bill_key: str
    bill_date: date
    period: str
    units: Decimal
    average_units: Decimal | None  # the account's average for the same length of period
    estimated: bool
    total: Decimal
    balance_after: Decimal
    reasons: tuple[str, ...]

    @property
    def pulled(self) -> bool:
        return bool(self.reasons)


@dataclass
class ReviewResult:
    job_id: int
    print_list: list[ReviewedBill] = field(default_factory=list)
    pulled: list[ReviewedBill] = field(default_factory=list)
    recorded: int = 0  # decisions recorded now (0 on a re-run)

    @property
    def reviewed(self) -> int:
        return len(self.print_list) + len(self.pulled)


def pull_reasons(bill: dict, account: Account, earlier: Sequence[dict], balance_after: Decimal,
                 policy: Policy) -> tuple[list[str], Fraction | None]:
    """Every reason to pull `bill` (a store bill row) from the mailing, and the average used.

    `earlier` are the account's live bills before this one, oldest first.
    """
    rp = policy.review
    reasons: list[str] = []
    units = Fraction(Decimal(bill["units"]))
    days = (bill["period_end"] - bill["period_start"]).days
    history = [PastUsage(b["period_start"], b["period_end"], Decimal(b["units"]), bool(b["estimated"]))
               for b in earlier]
    daily = average_daily_units(history, bill["period_start"], policy.billing.estimate_lookback_days)
    average = daily * days if daily is not None else None
    if units == 0 and account.status == "active":
        reasons.append("zero use on an active account")
    elif average is not None and average > 0:
        share = units / average * 100
        shown = f"{bill['units']} units is {float(share):.0f}% of the average {qty(average).normalize()} for {days} days"
        if share > Fraction(rp.high_use_percent):
            reasons.append(f"high use: {shown} (over {rp.high_use_percent}%)")
        elif share < Fraction(rp.low_use_percent):
            reasons.append(f"low use: {shown} (under {rp.low_use_percent}%)")
    if bill["estimated"]:
        streak = 1
        for b in reversed(earlier):
            if not b["estimated"]:
                break
            streak += 1
        if streak >= rp.consecutive_estimates:
            reasons.append(f"estimated read {streak} periods in a row")
    if bill["rollover"]:
        reasons.append("meter rollover: check the reading")
    limit = rp.max_total.get(account.account_class)
    total = from_cents(bill["total_cents"])
    if limit is not None and total > limit:
        reasons.append(f"total {total} over the {account.account_class} limit {limit}")
    if balance_after < 0:
        reasons.append(f"credit balance {-balance_after} after this bill")
    for flag in sorted(account.flags & set(rp.special_handling_flags)):
        reasons.append(f"special handling: {flag.replace('_', ' ')}")
    return reasons, average


def review_bills(u, job_id: int, *, record: bool = True) -> ReviewResult:
    """Review every live bill of bill run `job_id`; record each decision once."""
    from sqlalchemy import insert, select

    from .ledger import balance
    from .store import repo, schema
    from .store.db import now_iso

    B, BP = schema.bills, schema.bill_pulls
    result = ReviewResult(job_id)
    with u.store.read() as conn:
        if conn.execute(select(schema.jobs.c.id).where(schema.jobs.c.id == job_id)).first() is None:
            raise FindingsError([Finding(f"no bill run with job id {job_id}", column="job", value=job_id)],
                                summary="nothing to review")
        run = [dict(r._mapping) for r in conn.execute(select(B).where(B.c.job_id == job_id).order_by(B.c.account_no, B.c.id))]
        numbers = sorted({b["account_no"] for b in run})
        postings = repo.postings_by_account(conn, numbers)
        done = {r[0] for r in conn.execute(select(BP.c.bill_id).where(BP.c.job_id == job_id))}
        live_by_account = {a: repo.live_bills(conn, a) for a in numbers}
        accounts = {a: repo.get_account(conn, a) for a in numbers}
    for bill in run:
        live = live_by_account[bill["account_no"]]
        if bill["id"] not in {b["id"] for b in live}:
            continue  # cancelled since the run: its rebill is reviewed on its own
        earlier = [b for b in live if b["period_end"] <= bill["period_start"] and b["id"] != bill["id"]]
        acct = accounts[bill["account_no"]]
        after = balance(postings.get(bill["account_no"], []), bill["bill_date"])
        reasons, average = pull_reasons(bill, acct, earlier, after, u.policy)
        rb = ReviewedBill(bill["id"], acct.account_no, acct.customer_name, bill["bill_key"], bill["bill_date"],
                          f"{bill['period_start'].isoformat()} to {bill['period_end'].isoformat()}",
                          Decimal(bill["units"]), qty(average).normalize() if average is not None else None,
                          bool(bill["estimated"]), from_cents(bill["total_cents"]), after, tuple(reasons))
        (result.pulled if rb.pulled else result.print_list).append(rb)
    if record:
        rows = [dict(job_id=job_id, bill_id=rb.bill_id, account_no=rb.account_no,
                     decision="pull" if rb.pulled else "print", reasons="; ".join(rb.reasons),
                     reviewed_at=now_iso(), clerk=u.store.clerk)
                for rb in result.pulled + result.print_list if rb.bill_id not in done]
        if rows:
            with u.store.write() as conn:
                conn.execute(insert(BP), rows)
                u.store.audit(conn, "review-bills", entity="job", entity_id=job_id,
                              details={"printed": len(result.print_list), "pulled": len(result.pulled)})
        result.recorded = len(rows)
    return result


def pull_rows(result: ReviewResult) -> list[dict]:
    """The Pull sheet's rows (layouts.PULL_SHEET): one per pulled bill, every reason listed."""
    return [dict(account=rb.account_no, customer=rb.customer_name, bill_id=rb.bill_id, bill_date=rb.bill_date,
                 period=rb.period, units=rb.units, average_units=rb.average_units,
                 estimated="E" if rb.estimated else "", total=rb.total, balance_after=rb.balance_after,
                 reason_count=len(rb.reasons), reasons="; ".join(rb.reasons), action="", clerk_note="")
            for rb in result.pulled]


def print_rows(result: ReviewResult) -> list[dict]:
    return [dict(account=rb.account_no, customer=rb.customer_name, bill_id=rb.bill_id, bill_date=rb.bill_date,
                 period=rb.period, units=rb.units, total=rb.total) for rb in result.print_list]


def write_pull_sheet(result: ReviewResult, path: str | Path) -> Path:
    """The workbook the clerk works through: Pull (every pulled bill with its reasons) and Print."""
    from openpyxl import Workbook

    from .layouts import PRINT_LIST, PULL_SHEET
    from .xlio import save_workbook, write_table

    wb = Workbook()
    ws = wb.active
    ws.title = PULL_SHEET.sheet
    write_table(ws, PULL_SHEET, pull_rows(result), table_name="PullList")
    write_table(wb.create_sheet(PRINT_LIST.sheet), PRINT_LIST, print_rows(result), table_name="PrintList")
    return save_workbook(wb, path)
