"""Suspense and held payment items: the open list, and what the clerk decides for each.

A payment batch sends an item for an unknown account to suspense, and holds a duplicate
(same account, amount, check number and date) or a check from a cash-only account for
review (domain §8). The money was received and deposited into the suspense fund on the
batch's day, and that day's cash figures stay as they were. Later the clerk:

- **applies** a suspense item to the account it was meant for, or **releases** a held item
  to its own account: a payment is posted, dated when the money came in (so no late charge
  or notice counts it late), and split by fund by the ledger's rule, as a batch payment is;
- **returns** an item to the payer: nothing is posted to an account; the money leaves
  suspense for a refund.

Each decision is one append-only `payment_resolutions` row (kind, day, account, posting,
and `parts`: the money's move out of suspense by fund, adding up to the amount), the item's
status in `payment_suspense` / `payment_holds`, and an audit entry, in one transaction. An
item is decided once: a second decision is refused and names the first. `transfers_on`
lists a day's decisions with their fund totals: the journal that moves the money out of
suspense (suspense out = the funds in + refunds).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import insert, select, update

from .findings import Finding, FindingsError
from .fund_distribution import NewPayment, distribute_on_rows
from .money import ZERO, from_cents, to_cents
from .store import repo, schema
from .store.db import now_iso
from .store.payment_ledgers import ledger_rows

PI, PB, PS, PH, PR = (schema.payment_items, schema.payment_batches, schema.payment_suspense, schema.payment_holds,
                      schema.payment_resolutions)
REFUND = "refund"


@dataclass(frozen=True)
class OpenItem:
    item_id: int
    kind: str  # suspense | held
    batch_id: int
    batch_date: date
    source: str
    row: int
    account_no: str | None  # as written on the item
    payer: str | None
    amount: Decimal
    tender: str
    check_no: str | None
    pay_date: date
    reason: str
    source_file: str | None = None  # the batch file the money came in with, and its SHA-256
    file_hash: str | None = None

    def age_days(self, on: date) -> int:
        return (on - self.pay_date).days


@dataclass
class Resolution:
    item_id: int
    kind: str  # applied | released | returned
    resolved_date: date
    account_no: str | None
    amount: Decimal
    parts: dict[str, Decimal] = field(default_factory=dict)
    posting_id: int | None = None
    memo: str = ""
    clerk: str = ""
    batch_id: int | None = None
    row: int | None = None
    pay_date: date | None = None


def _open_query(item_id: int | None = None):
    q_s = (select(PI, PB.c.batch_date, PB.c.source, PB.c.source_file, PB.c.file_hash, PS.c.id.label("side_id"))
           .select_from(PS.join(PI, PS.c.item_id == PI.c.id).join(PB, PI.c.batch_id == PB.c.id))
           .where(PS.c.status == "open"))
    q_h = (select(PI, PB.c.batch_date, PB.c.source, PB.c.source_file, PB.c.file_hash, PH.c.id.label("side_id"))
           .select_from(PH.join(PI, PH.c.item_id == PI.c.id).join(PB, PI.c.batch_id == PB.c.id))
           .where(PH.c.status == "held"))
    if item_id is not None:
        q_s, q_h = q_s.where(PI.c.id == item_id), q_h.where(PI.c.id == item_id)
    return q_s, q_h


def _item(r, kind: str) -> OpenItem:
    m = r._mapping
    return OpenItem(m["id"], kind, m["batch_id"], m["batch_date"], m["source"], m["row"], m["account_no"], m["payer"],
                    from_cents(m["amount_cents"]), m["tender"], m["check_no"], m["pay_date"], m["reason"] or "",
                    m["source_file"], m["file_hash"])


def open_items(u, *, received_by: date | None = None) -> list[OpenItem]:
    """Every suspense item not yet applied or returned and every held item not yet released
    or returned (those received by `received_by`, when given), oldest first."""
    q_s, q_h = _open_query()
    with u.store.read() as conn:
        items = [_item(r, "suspense") for r in conn.execute(q_s)] + [_item(r, "held") for r in conn.execute(q_h)]
    if received_by is not None:
        items = [i for i in items if i.pay_date <= received_by]
    return sorted(items, key=lambda i: (i.pay_date, i.batch_id, i.row))


def _refuse(msg: str, item_id: int, *, column: str = "item", account: str | None = None) -> None:
    raise FindingsError([Finding(msg, column=column, value=item_id, account=account)], summary="nothing was posted")


class AlreadyDecided(FindingsError):
    """The item was decided before: nothing more was done (a re-run, not a fault)."""


def _decided(conn, item_id: int) -> None:
    done = conn.execute(select(PR).where(PR.c.item_id == item_id)).first()
    if done is not None:
        m = done._mapping
        where = f" to {m['account_no']}" if m["account_no"] else ""
        raise AlreadyDecided([Finding(f"item {item_id} was already {m['kind']}{where} on "
                                      f"{m['resolved_date'].isoformat()} by {m['clerk']}", column="item",
                                      value=item_id)], summary="nothing was posted")


def _open_item(conn, item_id: int, on: date) -> OpenItem:
    """The open item, or a refusal that says why it cannot be decided on `on`."""
    item = _still_open(conn, item_id)
    if on < item.pay_date:
        _refuse(f"item {item_id} came in on {item.pay_date.isoformat()}: it cannot be decided on "
                f"{on.isoformat()}, before it was received", item_id, column="date")
    return item


def _still_open(conn, item_id: int) -> OpenItem:
    _decided(conn, item_id)
    q_s, q_h = _open_query(item_id)
    r = conn.execute(q_s).first()
    if r is not None:
        return _item(r, "suspense")
    r = conn.execute(q_h).first()
    if r is not None:
        return _item(r, "held")
    kind = conn.execute(select(PI.c.disposition).where(PI.c.id == item_id)).scalar()
    if kind is None:
        _refuse(f"there is no payment item {item_id}", item_id)
    _refuse(f"item {item_id} is not in suspense or held (it was {kind})", item_id)


def apply_item(u, item_id: int, *, account_no: str | None = None, on: date | None = None,
               memo: str = "") -> Resolution:
    """Post a suspense item to `account_no`, or release a held item to its own account (or
    to `account_no` when the clerk found it belongs elsewhere). The payment is dated when the
    money came in; its split by fund is the ledger's rule on the account's ledger then."""
    on = on or date.today()
    store = u.store
    with store.read() as conn:
        item = _open_item(conn, item_id, on)
    target = account_no or (item.account_no if item.kind == "held" else None)
    if not target:
        with store.read() as conn:
            opened = item.account_no and repo.get_account(conn, item.account_no) is not None
        hint = (f"; account {item.account_no} has been opened since: give it as the account if the payment is "
                "theirs" if opened else "")
        _refuse(f"item {item_id} is in suspense (account {item.account_no or 'not given'} was unknown): give the "
                f"account it belongs to{hint}", item_id, column="account")
    u.backup_before("payment-resolution", bulk=False)
    with store.write() as conn:
        item = _open_item(conn, item_id, on)  # under the write lock: nobody decided it meanwhile
        acct = repo.get_account(conn, target)
        if acct is None:
            _refuse(f"there is no account {target}", item_id, account=target)
        if acct.cash_only and item.tender in ("check", "ach"):
            _refuse(f"account {target} is cash-only: a {item.tender} cannot be applied to it; return the item instead",
                    item_id, account=target)
        ledgers = ledger_rows(conn, [target], paid_from=item.pay_date)
        parts = distribute_on_rows(ledgers, [NewPayment(key=item_id, account_no=target, amount=item.amount,
                                                        pay_date=item.pay_date, ref=item.check_no or "")])[item_id]
        kind = "applied" if item.kind == "suspense" else "released"
        res = Resolution(item_id, kind, on, target, item.amount, dict(parts), memo=memo, clerk=store.clerk,
                         batch_id=item.batch_id, row=item.row, pay_date=item.pay_date)
        res.posting_id = repo.post(
            conn, store, account_no=target, kind="payment", amount=-item.amount, effective_date=item.pay_date,
            ref=item.check_no, memo=f"{kind} from {item.kind}: {item.source} batch {item.batch_id} row {item.row}"
                                    + (f"; {memo}" if memo else ""),
            batch_id=item.batch_id, source_file=item.source_file, source_hash=item.file_hash,
            idem_key=f"resolve:{item_id}")  # from the batch file the money came in with
        _record(conn, store, item, res)
    return res


def return_item(u, item_id: int, *, reason: str, on: date | None = None) -> Resolution:
    """Return a suspense or held item to the payer: nothing is posted to an account; the
    money leaves suspense as a refund."""
    on = on or date.today()
    if not reason.strip():
        raise FindingsError([Finding("say why the item is returned", column="reason", value=item_id)],
                            summary="nothing was recorded")
    store = u.store
    u.backup_before("payment-resolution", bulk=False)
    with store.write() as conn:
        item = _open_item(conn, item_id, on)
        res = Resolution(item_id, "returned", on, None, item.amount, {REFUND: item.amount}, memo=reason,
                         clerk=store.clerk, batch_id=item.batch_id, row=item.row, pay_date=item.pay_date)
        _record(conn, store, item, res)
    return res


def _record(conn, store, item: OpenItem, res: Resolution) -> None:
    if sum(res.parts.values(), ZERO) != res.amount:
        raise AssertionError(f"the parts {res.parts} of item {item.item_id} do not add up to {res.amount}")
    now = now_iso()
    conn.execute(insert(PR).values(
        item_id=item.item_id, kind=res.kind, resolved_date=res.resolved_date, account_no=res.account_no,
        posting_id=res.posting_id, amount_cents=to_cents(res.amount),
        parts=json.dumps({f: to_cents(a) for f, a in sorted(res.parts.items())}), memo=res.memo or None,
        clerk=store.clerk, created_at=now))
    if item.kind == "suspense":
        conn.execute(update(PS).where(PS.c.item_id == item.item_id).values(
            status="resolved" if res.posting_id else "returned", resolved_posting_id=res.posting_id, resolved_at=now))
    else:
        conn.execute(update(PH).where(PH.c.item_id == item.item_id).values(
            status="released" if res.posting_id else "returned", resolved_at=now))
    store.audit(conn, f"payment-item:{res.kind}", account_no=res.account_no, entity="payment_item",
                entity_id=item.item_id, reason=res.memo or None,
                details={"amount": str(res.amount), "from": item.kind, "posting": res.posting_id,
                         "parts": {f: str(a) for f, a in res.parts.items()}, "received": item.pay_date})


def fund_order(funds) -> list[str]:
    """Funds as the cash sheets list them (water, wastewater, fees, unapplied, others), refunds last."""
    seen = set(funds)
    order = [f for f in ("water", "wastewater", "fees", "unapplied") if f in seen]
    return order + sorted(seen - set(order) - {REFUND}) + ([REFUND] if REFUND in seen else [])


@dataclass
class Transfers:
    """One day's decisions: the journal moving money out of suspense."""

    day: date
    resolutions: list[Resolution]

    @property
    def funds(self) -> list[str]:
        return fund_order({f for r in self.resolutions for f in r.parts})

    def total(self, fund: str | None = None) -> Decimal:
        if fund is None:
            return sum((r.amount for r in self.resolutions), ZERO)
        return sum((r.parts.get(fund, ZERO) for r in self.resolutions), ZERO)


def transfers_on(u, day: date) -> Transfers:
    """The decisions recorded for `day`, in the order they were made."""
    q = (select(PR, PI.c.batch_id, PI.c.row, PI.c.pay_date).select_from(PR.join(PI, PR.c.item_id == PI.c.id))
         .where(PR.c.resolved_date == day).order_by(PR.c.id))
    with u.store.read() as conn:
        rows = [r._mapping for r in conn.execute(q)]
    return Transfers(day, [Resolution(m["item_id"], m["kind"], m["resolved_date"], m["account_no"],
                                      from_cents(m["amount_cents"]),
                                      {f: from_cents(c) for f, c in json.loads(m["parts"]).items()},
                                      m["posting_id"], m["memo"] or "", m["clerk"], m["batch_id"], m["row"],
                                      m["pay_date"]) for m in rows])


def write_transfers_workbook(t: Transfers, path) -> "Path":
    """The day's journal as a workbook: one row per item, a column per fund, and the totals
    (values the engine computed; no formulas)."""
    from pathlib import Path

    from openpyxl import Workbook

    from .atomic import atomic_write_path

    path = Path(path)
    funds = t.funds
    wb = Workbook()
    ws = wb.active
    ws.title = "Transfers"
    ws.append(["item", "batch", "row", "received", "decision", "account", "amount", *funds, "memo", "clerk"])
    for r in t.resolutions:
        ws.append([r.item_id, r.batch_id, r.row, r.pay_date, r.kind, r.account_no or "", float(r.amount),
                   *[float(r.parts.get(f, ZERO)) for f in funds], r.memo, r.clerk])
    ws.append(["Total", None, None, None, None, None, float(t.total()), *[float(t.total(f)) for f in funds]])
    for row in ws.iter_rows(min_row=2, min_col=7, max_col=7 + len(funds)):
        for c in row:
            c.number_format = "#,##0.00"
    for row in ws.iter_rows(min_row=2, min_col=4, max_col=4):
        for c in row:
            c.number_format = "yyyy-mm-dd"
    s = wb.create_sheet("Summary")
    s.append(["Suspense transfers for", t.day])
    s["B1"].number_format = "yyyy-mm-dd"
    s.append(["Out of suspense", float(t.total())])
    for f in funds:
        s.append([f"Into {f}", float(t.total(f))])
    for row in s.iter_rows(min_row=2, min_col=2, max_col=2):
        for c in row:
            c.number_format = "#,##0.00"
    with atomic_write_path(path) as tmp:
        wb.save(tmp)
    return path
