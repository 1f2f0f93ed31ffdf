"""Payment batches: check every item, and post the batch in one transaction when it balances.

Implements domain §8. A batch (walk-in counter, mail, telepay, bank pay bills, online,
permits) arrives as an .xlsx or .csv file whose header area carries the batch ticket:
control count, control total, batch date, drawer (or the clerk gives them as options).
Every item is checked: an amount that is not positive, a check without its number, cash
without a drawer are errors and reject the batch whole. An unknown account goes to the
suspense list; a duplicate (same account, amount, check number, date, in the batch or
already in the store) and a check/ACH from a cash-only account are held for review; both are
still part of the batch's money (they are in the drawer or the bank) and are deposited.
Electric-utility payments are collected on its behalf into the electric fund; permit fees
are receipts to the permits fund, not account payments.

The batch posts only when its items match the control count and total; otherwise nothing is
posted and the result says by how much and which rows could explain it. One file posts once:
the job key is the file's SHA-256, so posting it again posts nothing and says so. The store
is backed up before posting; everything is written in one transaction with bulk inserts.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from . import batch_posting
from .findings import Finding, in_file_terms
from .fund_distribution import ELECTRIC, PERMITS, SUSPENSE, single_fund
from .gcpause import collector_paused
from .layouts import BATCH_HEADER_LABELS, PAYMENT_SOURCES, payment_batch_layout
from .layouts_core import Column, is_blank, normalize_header
from .money import ZERO, fmt_money
from .xlio import read_table


@dataclass
class BatchItem:
    """One item of a batch and what becomes of it."""

    row: int
    line_type: str  # payment | electric | permit
    account_no: str | None
    payer: str | None
    amount: Decimal
    tender: str
    check_no: str | None
    pay_date: date
    permit_no: str | None = None
    disposition: str = "posted"  # posted | suspense | held | electric | permit
    reason: str | None = None
    hold_reason: str | None = None  # duplicate | cash_only
    duplicate_of_row: int | None = None
    duplicate_of_item_id: int | None = None
    funds: dict[str, Decimal] = field(default_factory=dict)

    @property
    def dup_key(self) -> tuple:
        return (self.account_no or "", int(self.amount * 100), (self.check_no or "").strip(), self.pay_date)


@dataclass
class BatchResult:
    """What a batch posting did (or why it did not)."""

    file: Path
    source: str
    file_hash: str = ""
    batch_date: date | None = None
    drawer: str | None = None
    control_count: int | None = None
    control_total: Decimal | None = None
    items: list[BatchItem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    posted: bool = False
    already_posted: bool = False
    batch_id: int | None = None
    backup: Path | None = None

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def item_total(self) -> Decimal:
        return sum((i.amount for i in self.items), ZERO)

    @property
    def count_difference(self) -> int:
        return self.item_count - (self.control_count or 0)

    @property
    def total_difference(self) -> Decimal:
        return self.item_total - (self.control_total if self.control_total is not None else ZERO)

    @property
    def balanced(self) -> bool:
        return self.control_count is not None and self.control_total is not None and \
            self.count_difference == 0 and self.total_difference == 0

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def with_disposition(self, disposition: str) -> list[BatchItem]:
        return [i for i in self.items if i.disposition == disposition]

    def fund_totals(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for i in self.items:
            for f, a in i.funds.items():
                totals[f] = totals.get(f, ZERO) + a
        return totals


def read_batch(path, source: str, *, control_count: int | None = None, control_total: Decimal | None = None,
               batch_date: date | None = None, drawer: str | None = None, drawers: tuple[str, ...] = ()) -> BatchResult:
    """Read and check a batch file (no store access): items, controls, findings."""
    path = Path(path)
    result = BatchResult(file=path, source=source)
    if source not in PAYMENT_SOURCES:
        result.findings.append(Finding(f"unknown source {source!r}; use one of {', '.join(PAYMENT_SOURCES)}",
                                       file=path.name))
        return result
    layout = payment_batch_layout(source)
    table = read_table(path, layout)
    result.file_hash = table.file_hash
    result.findings.extend(table.findings)
    header = _header_area(path, table.sheet, table.header_row) if table.header_row else {}
    result.control_count = _control(result, header, "control_count", control_count, int)
    result.control_total = _control(result, header, "control_total", control_total, Decimal)
    result.batch_date = batch_date or _header_value(result, header, "batch_date", Column("batch date", "date")) \
        or date.today()
    result.drawer = drawer or _header_value(result, header, "drawer", Column("drawer", "text"))
    where = dict(file=path.name, sheet=table.sheet)
    if result.drawer and drawers and result.drawer not in drawers:
        result.findings.append(Finding(f"drawer {result.drawer!r} is not a configured drawer (cash.drawers: "
                                       f"{', '.join(drawers)})", column="drawer", **where))
    if source == "walk-in" and not result.drawer:
        result.findings.append(Finding("a walk-in batch needs its cash drawer: write 'Drawer' and the drawer id "
                                       "above the table, or give --drawer", column="drawer", **where))
    for rec in table.rows:
        item = _item(rec, result, where)
        if item is not None:
            result.items.append(item)
    result.findings = in_file_terms(result.findings, table.headers, table.sheet)
    return result


def _item(rec: dict, result: BatchResult, where: dict) -> BatchItem | None:
    row = rec["_row"]
    amount = rec.get("amount")
    if amount is None:
        return None  # already reported by the reader
    item = BatchItem(row=row, line_type=rec.get("type") or "payment", account_no=rec.get("account"),
                     payer=rec.get("payer"), amount=amount, tender=rec.get("tender") or "",
                     check_no=(rec.get("check_no") or None), pay_date=rec.get("date") or result.batch_date,
                     permit_no=rec.get("permit_no"))

    def bad(reason, column):
        result.findings.append(Finding(reason, row=row, column=column, value=rec.get(column),
                                       account=item.account_no, **where))

    if amount <= 0:
        bad(f"amount {amount} is not more than zero; a refund or correction is not a batch item", "amount")
    if item.tender == "check" and not item.check_no:
        bad("a check needs its check number", "check_no")
    if item.tender == "cash" and not result.drawer:
        bad("cash needs a drawer: write 'Drawer' above the table or give --drawer", "tender")
    if item.line_type == "permit":
        if not item.permit_no:
            bad("a permit receipt needs its permit number", "permit_no")
    elif not item.account_no:
        bad("an account payment needs its account number", "account")
    return item


def _header_area(path: Path, sheet: str | None, header_row: int) -> dict[str, object]:
    """Label/value pairs of the rows above the item table ("Control total | 1,234.56")."""
    rows: list[list] = []
    if path.suffix.lower() == ".csv":
        from .xlio import _csv_encoding  # the reader's own encoding detection

        with open(path, encoding=_csv_encoding(path), newline="") as fh:
            for n, values in enumerate(csv.reader(fh), start=1):
                if n >= header_row:
                    break
                rows.append(values)
    else:
        import python_calamine

        data = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet)
        pad = [""] * (data.start[1] if data.start else 0)
        for n, values in enumerate(data.iter_rows(), start=1):
            if n >= header_row:
                break
            rows.append(pad + list(values))
    found: dict[str, object] = {}
    labels = {normalize_header(lbl): key for key, lbls in BATCH_HEADER_LABELS.items() for lbl in lbls}
    for values in rows:
        cells = [v for v in values if not is_blank(v)]
        for i, v in enumerate(cells[:-1]):
            key = labels.get(normalize_header(str(v).rstrip(":"))) if isinstance(v, str) else None
            if key and key not in found:
                found[key] = cells[i + 1]
    return found


def _control(result: BatchResult, header: dict, key: str, given, kind):
    col = Column(key.replace("_", " "), "int" if kind is int else "money")
    on_sheet = _header_value(result, header, key, col)
    if given is not None:
        given = kind(given)
        if on_sheet is not None and on_sheet != given:
            result.findings.append(Finding(f"{col.name} on the sheet ({on_sheet}) differs from the option "
                                           f"({given}); using the option", file=result.file.name, severity="warning"))
        return given
    if on_sheet is None:
        result.findings.append(Finding(f"no {col.name}: write '{col.name.capitalize()}' and its figure above the "
                                       f"table (as on the batch ticket) or give --{key.replace('_', '-')}",
                                       file=result.file.name, column=col.name))
    return on_sheet


def _header_value(result: BatchResult, header: dict, key: str, col: Column):
    if key not in header:
        return None
    value, problem = col.parse(header[key])
    if problem:
        result.findings.append(Finding(f"{col.name} above the table {problem}", file=result.file.name,
                                       column=col.name, value=header[key]))
        return None
    return value


def balance_findings(result: BatchResult) -> list[Finding]:
    """Why an unbalanced batch does not balance, with the rows that could explain it."""
    if result.control_count is None or result.control_total is None or result.balanced:
        return []
    name = result.file.name
    out = [Finding(f"batch out of balance: {result.item_count} items totalling {fmt_money(result.item_total)} "
                   f"against control count {result.control_count} and control total "
                   f"{fmt_money(result.control_total)} (difference: {result.count_difference:+d} items, "
                   f"{fmt_money(result.total_difference)}); nothing was posted", file=name)]
    diff = abs(result.total_difference)
    if diff:
        for i in result.items:
            if i.amount == diff:
                out.append(Finding(f"this item's amount equals the difference {fmt_money(diff)}: keyed twice, "
                                   f"or missing from the tape?", file=name, row=i.row, column="amount",
                                   value=i.amount, severity="warning", account=i.account_no))
            elif diff in (i.amount * 9, i.amount * Decimal("0.9")):
                out.append(Finding(f"{fmt_money(i.amount)} may be slid one place (difference {fmt_money(diff)})",
                                   file=name, row=i.row, column="amount", value=i.amount, severity="warning",
                                   account=i.account_no))
        if (diff * 100) % 9 == 0 and not any(f.severity == "warning" for f in out):
            out.append(Finding(f"the difference {fmt_money(diff)} divides by 9: look for two transposed digits",
                               file=name, severity="warning"))
    return out


def classify(result: BatchResult, accounts: dict[str, bool], stored_keys: dict[tuple, int]) -> None:
    """Set each item's disposition: posted, suspense, held, electric or permit.

    `accounts` maps known account numbers to their cash-only flag; `stored_keys` maps the
    duplicate key of items already in the store to their item id.
    """
    seen: dict[tuple, int] = {}
    for item in result.items:
        if item.line_type == "permit":
            item.disposition, item.funds = "permit", single_fund(PERMITS, item.amount)
            continue
        if item.line_type == "electric":
            item.disposition, item.funds = "electric", single_fund(ELECTRIC, item.amount)
            continue
        key = item.dup_key
        if key in stored_keys or key in seen:
            item.disposition, item.hold_reason = "held", "duplicate"
            if key in stored_keys:
                item.duplicate_of_item_id = stored_keys[key]
                item.reason = "duplicate of an item already in the store (same account, amount, check number, date)"
            else:
                item.duplicate_of_row = seen[key]
                item.reason = f"duplicate of row {seen[key]} (same account, amount, check number, date)"
        elif item.account_no not in accounts:
            item.disposition, item.reason = "suspense", "unknown account"
        elif accounts[item.account_no] and item.tender in ("check", "ach"):
            item.disposition, item.hold_reason = "held", "cash_only"
            item.reason = f"the account is cash-only; a {item.tender} is not accepted"
        seen.setdefault(key, item.row)
        if item.disposition in ("held", "suspense"):
            item.funds = single_fund(SUSPENSE, item.amount)


@collector_paused()  # a bulk job: see utilbill.gcpause
def post_payment_batch(u, path, source: str, *, control_count: int | None = None,
                       control_total: Decimal | None = None, batch_date: date | None = None,
                       drawer: str | None = None) -> BatchResult:
    """The clerk's job: check a batch file and post it when it balances (see the module doc)."""
    result = read_batch(path, source, control_count=control_count, control_total=control_total,
                        batch_date=batch_date, drawer=drawer, drawers=tuple(u.policy.cash.drawers))
    return batch_posting.post_checked_batch(u, result)
