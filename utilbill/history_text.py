"""Account histories written as short text blocks, the way a clerk reads a ledger card.

Used by tests and examples (design.md, example 7):

    2026-01-31 bill     62.40  due=2026-02-23 water=40.00 wastewater=22.40
    2026-02-10 payment  62.40  check=1187
    2026-02-14 returned 62.40  check=1187 code=R01

`returned` reverses the payment with that check number and adds the returned-payment fee
(`fee=` on the line, else 30.00); `cancel` reverses the bill with `bill=` id; amounts are
written positive and given their sign by kind.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from .ledger import FEE_FUND, Posting

CREDIT_WORDS = {"payment", "credit", "deposit_applied", "writeoff"}


def history_from_text(text: str, *, fee: Decimal = Decimal("30.00"), due_days: int = 21) -> list[Posting]:
    postings: list[Posting] = []
    by_check: dict[str, Posting] = {}
    bills: dict[int, Posting] = {}
    next_id = 1
    bill_no = 0
    for lineno, raw in enumerate(text.strip().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if len(words) < 3:
            raise ValueError(f"history line {lineno}: need 'date kind amount', got {raw!r}")
        day = date.fromisoformat(words[0])
        kind = words[1]
        amount = Decimal(words[2])
        opts = dict(w.split("=", 1) for w in words[3:])
        if kind == "bill":
            bill_no += 1
            bill_id = int(opts.get("id", bill_no))
            due = date.fromisoformat(opts["due"]) if "due" in opts else day + timedelta(days=due_days)
            parts = tuple((f, Decimal(opts[f])) for f in ("water", "wastewater") if f in opts)
            if parts and sum(a for _, a in parts) != amount:
                raise ValueError(f"history line {lineno}: parts do not add up to {amount}")
            p = Posting(next_id, day, "bill", amount, due_date=due, bill_id=bill_id,
                        parts=parts or (("water", amount),))
            bills[bill_id] = p
        elif kind in ("late_charge", "fee"):
            p = Posting(next_id, day, kind, amount, bill_id=int(opts["bill"]) if "bill" in opts else None,
                        fund=FEE_FUND, due_date=date.fromisoformat(opts["due"]) if "due" in opts else None)
        elif kind == "adjustment":
            p = Posting(next_id, day, "adjustment", amount, fund=opts.get("fund", "water"), ref=opts.get("reason", ""))
        elif kind in CREDIT_WORDS:
            p = Posting(next_id, day, "payment" if kind == "credit" else kind, -amount, ref=opts.get("check", ""))
            if "check" in opts:
                by_check[opts["check"]] = p
        elif kind == "returned":
            original = by_check[opts["check"]]
            p = Posting(next_id, day, "reversal", amount, reverses=original.id, ref=opts.get("code", ""))
            postings.append(p)
            next_id += 1
            p = Posting(next_id, day, "fee", Decimal(opts.get("fee", fee)), fund=FEE_FUND, ref="returned payment fee")
        elif kind == "cancel":
            original = bills[int(opts["bill"])]
            p = Posting(next_id, day, "reversal", -original.amount, reverses=original.id, bill_id=original.bill_id)
        else:
            raise ValueError(f"history line {lineno}: unknown kind {kind!r}")
        postings.append(p)
        next_id += 1
    return postings
