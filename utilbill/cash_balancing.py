"""The day's cash figures, computed by the engine: what the daily cash workbook's formulas
must come to, cent for cent.

Implements domain §8 (Cashier's Report, Treasury receipt and deposit, bank pay bills,
petty cash envelope). Inputs are the day's payment items (with their fund distribution) and
batches, and what people counted or were told: each drawer's cash by denomination and its
checks, the bank's report, the petty cash on hand and vouchers. Choices beyond domain.md
(documented in docs/cash.md):
- the opening fund (cash.opening_fund) stays in the drawer and is kept back in currency:
  the deposit's currency is the counted currency less the opening funds, its coin all the
  counted coin;
- the deposit's checks are the checks counted in the drawers plus the checks received
  without a drawer (mail, permits by mail) as listed;
- card, ACH and bank pay bills are electronic receipts: not on the deposit slip, but part of
  what must equal the Treasury receipt;
- suspense and held items are money received and deposited; the Treasury receipt carries
  them on their own line (suspense) until they are applied or returned;
- a drawer is reported when it has receipts or counts that day.

Pure: records in, Decimal figures out; no files, no store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Iterable, Sequence

from .money import ZERO, round_line

from .layouts import CASH_FUND_ORDER as FUND_ORDER
from .layouts import TENDERS as TENDER_ORDER

ELECTRONIC = ("card", "ach", "bank")


@dataclass(frozen=True, slots=True)
class Denomination:
    code: str  # as stored in drawer_counts.item
    label: str
    value: Decimal
    kind: str  # currency | coin


DENOMINATIONS = tuple(Denomination(c, l, Decimal(v), k) for c, l, v, k in (
    ("bill_100", "$100 bills", "100", "currency"), ("bill_50", "$50 bills", "50", "currency"),
    ("bill_20", "$20 bills", "20", "currency"), ("bill_10", "$10 bills", "10", "currency"),
    ("bill_5", "$5 bills", "5", "currency"), ("bill_2", "$2 bills", "2", "currency"),
    ("bill_1", "$1 bills", "1", "currency"), ("coin_100", "Dollar coins", "1.00", "coin"),
    ("coin_50", "Half dollars", "0.50", "coin"), ("coin_25", "Quarters", "0.25", "coin"),
    ("coin_10", "Dimes", "0.10", "coin"), ("coin_5", "Nickels", "0.05", "coin"),
    ("coin_1", "Pennies", "0.01", "coin"),
))
DENOMINATION_CODES = tuple(d.code for d in DENOMINATIONS)


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """One item of the day's batches, as the Payments table shows it."""

    batch_id: int
    source: str
    drawer: str | None
    row: int
    line_type: str
    account_no: str | None
    payer: str | None
    tender: str
    check_no: str | None
    pay_date: date
    amount: Decimal
    funds: tuple[tuple[str, Decimal], ...]
    disposition: str

    def fund(self, name: str) -> Decimal:
        return sum((a for f, a in self.funds if f == name), ZERO)


@dataclass(frozen=True, slots=True)
class BatchLine:
    batch_id: int
    source: str
    drawer: str | None
    file_name: str
    control_count: int
    control_total: Decimal


@dataclass
class DrawerCount:
    """What was counted in one drawer: quantity per denomination code, and the checks."""

    quantities: dict[str, int] = field(default_factory=dict)
    checks_count: int = 0
    checks_total: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class BankReportLine:
    bank: str
    items: int
    total: Decimal


@dataclass(frozen=True, slots=True)
class Voucher:
    voucher_no: str
    payee: str
    amount: Decimal


@dataclass
class CashInputs:
    """Everything people counted or were told, per day."""

    drawers: dict[str, DrawerCount] = field(default_factory=dict)
    bank_reports: list[BankReportLine] = field(default_factory=list)
    petty_cash_on_hand: Decimal = ZERO
    vouchers: list[Voucher] = field(default_factory=list)


@dataclass
class BatchFigures:
    batch: BatchLine
    item_count: int
    item_total: Decimal

    @property
    def count_difference(self) -> int:
        return self.item_count - self.batch.control_count

    @property
    def total_difference(self) -> Decimal:
        return self.item_total - self.batch.control_total

    @property
    def balanced(self) -> bool:
        return self.count_difference == 0 and self.total_difference == 0


@dataclass
class DrawerFigures:
    drawer: str
    opening: Decimal
    receipts: dict[str, Decimal]  # by tender, TENDER_ORDER
    receipt_counts: dict[str, int]
    counted: list[tuple[Denomination, int, Decimal]]
    checks_listed_count: int
    checks_listed_total: Decimal
    checks_counted_count: int
    checks_counted_total: Decimal

    @property
    def receipts_total(self) -> Decimal:
        return sum(self.receipts.values(), ZERO)

    @property
    def expected_cash(self) -> Decimal:
        return self.opening + self.receipts["cash"]

    def _counted(self, kind: str) -> Decimal:
        return sum((a for d, _, a in self.counted if d.kind == kind), ZERO)

    @property
    def currency(self) -> Decimal:
        return self._counted("currency")

    @property
    def coin(self) -> Decimal:
        return self._counted("coin")

    @property
    def counted_cash(self) -> Decimal:
        return self.currency + self.coin

    @property
    def over_short(self) -> Decimal:
        return self.counted_cash - self.expected_cash

    @property
    def checks_count_difference(self) -> int:
        return self.checks_counted_count - self.checks_listed_count

    @property
    def checks_difference(self) -> Decimal:
        return self.checks_counted_total - self.checks_listed_total


@dataclass(frozen=True, slots=True)
class BalanceCheck:
    """One visible check of the Summary sheet: `figure` against `against`."""

    key: str
    label: str
    figure: Decimal
    against: Decimal

    @property
    def difference(self) -> Decimal:
        return self.figure - self.against

    @property
    def balanced(self) -> bool:
        return self.difference == 0

    @property
    def status(self) -> str:
        return status_text(self.difference)


def status_text(difference: Decimal) -> str:
    """What the workbook's status cells read (the same text its formulas build)."""
    return "BALANCED" if difference == 0 else f"OUT OF BALANCE by {abs(difference):,.2f}"


@dataclass
class CashDay:
    """Every figure of the daily cash workbook, as the engine computes it."""

    day: date
    utility_name: str
    lines: list[PaymentLine]
    batches: list[BatchFigures]
    drawers: list[DrawerFigures]
    funds: list[str]  # the Payments table's fund columns, in order
    inputs: CashInputs
    opening_fund: Decimal
    petty_cash_fund: Decimal

    def lines_where(self, **match) -> list[PaymentLine]:
        return [l for l in self.lines if all(getattr(l, k) == v for k, v in match.items())]

    # bank pay bills against the bank's report
    @property
    def bank_items(self) -> list[PaymentLine]:
        return [l for l in self.lines if l.source == "bank"]

    @property
    def bank_items_total(self) -> Decimal:
        return sum((l.amount for l in self.bank_items), ZERO)

    @property
    def bank_report_count(self) -> int:
        return sum(r.items for r in self.inputs.bank_reports)

    @property
    def bank_report_total(self) -> Decimal:
        return sum((r.total for r in self.inputs.bank_reports), ZERO)

    # Treasury receipt
    @property
    def by_fund(self) -> dict[str, Decimal]:
        totals = {f: ZERO for f in self.funds}  # one pass: the same exact sums as l.fund(f) line by line
        for l in self.lines:
            for f, a in l.funds:
                if f in totals:
                    totals[f] += a
        return totals

    @property
    def treasury_total(self) -> Decimal:
        return sum(self.by_fund.values(), ZERO)

    @property
    def receipts_total(self) -> Decimal:
        return sum((l.amount for l in self.lines), ZERO)

    def tender_total(self, tender: str) -> Decimal:
        return sum((l.amount for l in self.lines if l.tender == tender), ZERO)

    # deposit slip
    @property
    def deposit_currency(self) -> Decimal:
        return sum((d.currency - d.opening for d in self.drawers), ZERO)

    @property
    def deposit_coin(self) -> Decimal:
        return sum((d.coin for d in self.drawers), ZERO)

    @property
    def drawer_checks(self) -> Decimal:
        return sum((d.checks_counted_total for d in self.drawers), ZERO)

    @property
    def other_checks(self) -> Decimal:
        return self.tender_total("check") - sum((d.checks_listed_total for d in self.drawers), ZERO)

    @property
    def deposit_checks(self) -> Decimal:
        return self.drawer_checks + self.other_checks

    @property
    def deposit_total(self) -> Decimal:
        return self.deposit_currency + self.deposit_coin + self.deposit_checks

    @property
    def electronic_total(self) -> Decimal:
        return sum((self.tender_total(t) for t in ELECTRONIC), ZERO)

    @property
    def accounted_total(self) -> Decimal:
        return self.deposit_total + self.electronic_total

    # petty cash envelope
    @property
    def vouchers_total(self) -> Decimal:
        return sum((v.amount for v in self.inputs.vouchers), ZERO)

    @property
    def petty_cash_total(self) -> Decimal:
        return self.inputs.petty_cash_on_hand + self.vouchers_total

    def checks(self) -> list[BalanceCheck]:
        """The Summary sheet's balance checks, in order."""
        out = [BalanceCheck("batches", "Batches: items against control totals",
                            sum((b.item_total for b in self.batches), ZERO),
                            sum((b.batch.control_total for b in self.batches), ZERO))]
        for d in self.drawers:
            out.append(BalanceCheck(f"cash:{d.drawer}", f"Cashier {d.drawer}: cash counted against "
                                    "opening fund + cash receipts", d.counted_cash, d.expected_cash))
            out.append(BalanceCheck(f"checks:{d.drawer}", f"Cashier {d.drawer}: checks counted against checks listed",
                                    d.checks_counted_total, d.checks_listed_total))
        out += [
            BalanceCheck("bank", "Bank pay bills posted against the bank's report", self.bank_items_total,
                         self.bank_report_total),
            BalanceCheck("treasury", "Treasury receipt by fund against the day's receipts", self.treasury_total,
                         self.receipts_total),
            BalanceCheck("deposit", "Deposit + electronic receipts against the Treasury receipt",
                         self.accounted_total, self.treasury_total),
            BalanceCheck("petty", "Petty cash: cash on hand + vouchers against the fund", self.petty_cash_total,
                         self.petty_cash_fund),
        ]
        return out

    @property
    def balanced(self) -> bool:
        return all(c.balanced for c in self.checks())


def compute_cash_day(day: date, lines: Sequence[PaymentLine], batches: Iterable[BatchLine], inputs: CashInputs, *,
                     opening_fund: Decimal, petty_cash_fund: Decimal, utility_name: str = "",
                     drawer_order: Sequence[str] = ()) -> CashDay:
    """Every figure of the day from its items, batches and counts."""
    lines = sorted(lines, key=lambda l: (l.batch_id, l.row))
    per_batch: dict[int, list[PaymentLine]] = {}
    for l in lines:
        per_batch.setdefault(l.batch_id, []).append(l)
    batch_figs = [BatchFigures(b, len(per_batch.get(b.batch_id, [])),
                               sum((l.amount for l in per_batch.get(b.batch_id, [])), ZERO))
                  for b in sorted(batches, key=lambda b: b.batch_id)]
    used = {l.drawer for l in lines if l.drawer} | set(inputs.drawers)
    ordered = [d for d in drawer_order if d in used] + sorted(used - set(drawer_order))
    drawers = [_drawer(d, lines, inputs.drawers.get(d, DrawerCount()), opening_fund) for d in ordered]
    seen = {f for l in lines for f, _ in l.funds}
    funds = list(FUND_ORDER) + sorted(seen - set(FUND_ORDER))
    return CashDay(day=day, utility_name=utility_name, lines=lines, batches=batch_figs, drawers=drawers,
                   funds=funds, inputs=inputs, opening_fund=opening_fund, petty_cash_fund=petty_cash_fund)


def _drawer(drawer: str, lines: Sequence[PaymentLine], count: DrawerCount, opening: Decimal) -> DrawerFigures:
    mine = [l for l in lines if l.drawer == drawer]
    receipts = {t: sum((l.amount for l in mine if l.tender == t), ZERO) for t in TENDER_ORDER}
    counts = {t: sum(1 for l in mine if l.tender == t) for t in TENDER_ORDER}
    counted = [(d, int(count.quantities.get(d.code, 0)), round_line(d.value * int(count.quantities.get(d.code, 0))))
               for d in DENOMINATIONS]
    return DrawerFigures(drawer=drawer, opening=opening, receipts=receipts, receipt_counts=counts, counted=counted,
                         checks_listed_count=counts["check"], checks_listed_total=receipts["check"],
                         checks_counted_count=count.checks_count, checks_counted_total=count.checks_total)
