"""The daily cash workbook's layout, cell by cell: every figure a live formula a supervisor
can audit in Excel, each with the figure the engine computed for it.

Implements the workbook of domain §8. `plan_cash_workbook(cash_day)` lays the workbook out
as cells (labels, data values, entry cells, formulas) and gives every formula cell the
figure the engine computed for it (`cash_balancing`), so the tests can recalculate the file
with LibreOffice and compare each formula's result with the engine's, cent for cent, and
`cash_check` can compare a clerk's copy formula by formula. `cash_workbook` renders the plan
with openpyxl. The sheets (names in layouts.CASH_SHEETS):

- Summary: the day's balance checks, each reading BALANCED or OUT OF BALANCE by the amount;
- Payments: the day's items as the Excel table `Payments` (one column per fund);
- Batches: each batch's items (COUNTIFS/SUMIFS over the table) against its control figures;
- Cashier <drawer>: opening fund, receipts by tender, cash counted by denomination, checks
  listed against counted, over/short;
- Bank Pay Bills, Treasury Receipt, Deposit Slip, Petty Cash.

Entry cells (counts, the bank's report, petty cash) are unlocked and filled yellow, with a
legend on every sheet; all other cells are locked; sheets are protected without a password
so a clerk can type the counts and a supervisor can still unprotect to audit. Key figures
have workbook names (Treasury_Total, Deposit_Total, ...). Only Excel 2007 functions are used.

The plan's data (PlanCell, SheetPlan, WorkbookPlan), its number formats and the spelling of
sheet, workbook and table names are utilbill.cash_plan's; this module lays out the sheets.
"""

from __future__ import annotations

from dataclasses import fields
from functools import cached_property

from .cash_balancing import DENOMINATIONS, ELECTRONIC, TENDER_ORDER, CashDay
from .cash_plan import (  # noqa: F401  (PlanCell and the rest stay importable from here)
    COUNT, MONEY, TABLE, PlanCell, SheetPlan, WorkbookPlan, col, drawer_sheet_name, fund_header, name_part)
from .layouts import CASH_PAYMENTS_COLUMNS, CASH_SHEETS
from .money import ZERO

LEGEND = ("Yellow cells are counts you type (unlocked). Every other cell is data or a formula and is "
          "locked; Review > Unprotect Sheet (no password) to audit.")
BASE_COLUMNS = CASH_PAYMENTS_COLUMNS


class _PlannedDay(CashDay):
    """The day as one plan reads it: the figures summed over every line worked out once each
    (a plan asks for them many times: 50,000 lines each time). A copy, unchanged while planned."""

    by_fund = cached_property(CashDay.by_fund.fget)
    receipts_total = cached_property(CashDay.receipts_total.fget)
    bank_items = cached_property(CashDay.bank_items.fget)
    other_checks = cached_property(CashDay.other_checks.fget)
    electronic_total = cached_property(CashDay.electronic_total.fget)


def plan_cash_workbook(cd: CashDay, *, bank_rows: int | None = None, voucher_rows: int | None = None) -> WorkbookPlan:
    """Lay out the whole workbook for `cd` (the engine's figures become the expected values).

    `bank_rows`/`voucher_rows` fix the number of entry rows (default: a few more than needed),
    so a clerk's copy can be re-planned with the layout it was written with."""
    cd = _PlannedDay(**{f.name: getattr(cd, f.name) for f in fields(CashDay)})
    names: dict[str, str] = {}
    rows = {"bank": bank_rows or max(3, len(cd.inputs.bank_reports)),
            "voucher": voucher_rows or max(10, len(cd.inputs.vouchers) + 3)}
    summary = SheetPlan(CASH_SHEETS["summary"], widths={"A": 62, "B": 14, "C": 14, "D": 14, "E": 30})
    sheets = [summary, _payments(cd)]
    sheets.append(_batches(cd, names))
    drawer_refs = [(d, _drawer(cd, d, names, sheets)) for d in cd.drawers]
    bank = _bank(cd, names, rows["bank"])
    treasury = _treasury(cd, names)
    deposit = _deposit(cd, drawer_refs, names)
    petty = _petty(cd, names, rows["voucher"])
    sheets += [bank, treasury, deposit, petty]
    _summary(cd, summary, names, rows["voucher"])
    return WorkbookPlan(sheets, names, rows)


def _head(s: SheetPlan, title: str, cd: CashDay, legend_ref: str = "A2") -> None:  # noqa: ARG001
    s.put("A1", "title", title)
    s.put(legend_ref, "legend", LEGEND)


def _payments(cd: CashDay) -> SheetPlan:
    s = SheetPlan(CASH_SHEETS["payments"], landscape=True)
    _head(s, f"Payments received {cd.day.isoformat()}", cd)
    s.table_headers = list(BASE_COLUMNS) + [fund_header(f) for f in cd.funds] + ["Disposition"]
    s.table_formats = [COUNT, None, None, COUNT, None, "@", None, None, "@", "yyyy-mm-dd", MONEY] + \
        [MONEY] * len(cd.funds) + [None]
    s.table_rows = [[l.batch_id, l.source, l.drawer, l.row, l.line_type, l.account_no, l.payer, l.tender, l.check_no,
                     l.pay_date, l.amount] + _fund_cells(l, cd.funds) + [l.disposition]
                    for l in cd.lines]
    last = 3 + max(1, len(s.table_rows))
    from openpyxl.utils import get_column_letter
    s.print_area = f"A1:{get_column_letter(len(s.table_headers))}{last}"
    return s


def _fund_cells(line, funds: list[str]) -> list:
    """The line's amount in each fund column (`line.fund(f) or None`, the line's funds read once)."""
    amounts: dict[str, object] = {}
    for f, a in line.funds:
        amounts[f] = amounts.get(f, ZERO) + a
    return [amounts.get(f) or None for f in funds]


def _batches(cd: CashDay, names) -> SheetPlan:
    s = SheetPlan(CASH_SHEETS["batches"], landscape=True,
                  widths={"A": 8, "B": 10, "C": 12, "D": 30, "E": 10, "F": 14, "G": 10, "H": 14, "I": 12, "J": 14,
                          "K": 28})
    _head(s, f"Batches {cd.day.isoformat()}: items against control totals", cd)
    for i, h in enumerate(("Batch", "Source", "Drawer", "File", "Control count", "Control total", "Items",
                           "Items total", "Count difference", "Total difference", "Status")):
        s.put(f"{'ABCDEFGHIJK'[i]}4", "header", h)
    r = 5
    for b in cd.batches:
        s.put(f"A{r}", "value", b.batch.batch_id, fmt=COUNT)
        s.put(f"B{r}", "value", b.batch.source)
        s.put(f"C{r}", "value", b.batch.drawer)
        s.put(f"D{r}", "value", b.batch.file_name)
        s.put(f"E{r}", "value", b.batch.control_count, fmt=COUNT)
        s.put(f"F{r}", "value", b.batch.control_total, fmt=MONEY)
        w = f"batch {b.batch.batch_id}"
        s.formula(f"G{r}", f"=COUNTIFS({col('Batch')},$A{r})", b.item_count, fmt=COUNT, what=f"{w} items")
        s.formula(f"H{r}", f"=SUMIFS({col('Amount')},{col('Batch')},$A{r})", b.item_total, what=f"{w} items total")
        s.formula(f"I{r}", f"=G{r}-E{r}", b.count_difference, fmt=COUNT, what=f"{w} count difference")
        s.formula(f"J{r}", f"=ROUND(H{r}-F{r},2)", b.total_difference, what=f"{w} total difference")
        s.formula(f"K{r}", f'=IF(AND(I{r}=0,J{r}=0),"BALANCED","OUT OF BALANCE")',
                  "BALANCED" if b.balanced else "OUT OF BALANCE", fmt=None, what=f"{w} status")
        r += 1
    first, last = 5, max(r - 1, 5)
    s.put(f"A{r}", "label", "Total")
    for c, v, fmt in (("E", sum(b.batch.control_count for b in cd.batches), COUNT),
                      ("F", sum((b.batch.control_total for b in cd.batches), ZERO), MONEY),
                      ("G", sum(b.item_count for b in cd.batches), COUNT),
                      ("H", sum((b.item_total for b in cd.batches), ZERO), MONEY)):
        s.formula(f"{c}{r}", f"=SUM({c}{first}:{c}{last})", v, fmt=fmt, what=f"batches total {c}")
    names["Batches_Control_Total"] = s.abs_ref(f"F{r}")
    names["Batches_Items_Total"] = s.abs_ref(f"H{r}")
    s.print_area = f"A1:K{r}"
    return s


def _drawer(cd: CashDay, d, names, sheets) -> dict[str, str]:
    s = SheetPlan(drawer_sheet_name(d.drawer), widths={"A": 40, "B": 14, "C": 12, "D": 14, "E": 30})
    sheets.append(s)
    _head(s, "Cashier's Report", cd)
    s.put("A3", "label", "Date")
    s.put("B3", "value", cd.day, fmt="yyyy-mm-dd")
    s.put("A4", "label", "Drawer")
    s.put("B4", "value", d.drawer)
    w = f"Cashier {d.drawer}"
    crit = f"{col('Drawer')},$B$4"
    s.put("A6", "header", "Receipts by tender")
    s.put("B6", "header", "Amount")
    s.put("C6", "header", "Items")
    r = 7
    for t in TENDER_ORDER:
        s.put(f"A{r}", "label", t)
        s.formula(f"B{r}", f'=SUMIFS({col("Amount")},{crit},{col("Tender")},"{t}")', d.receipts[t], what=f"{w} {t} receipts")
        s.formula(f"C{r}", f'=COUNTIFS({crit},{col("Tender")},"{t}")', d.receipt_counts[t], fmt=COUNT,
                  what=f"{w} {t} items")
        r += 1
    s.put(f"A{r}", "label", "Total receipts")
    s.formula(f"B{r}", f"=SUM(B7:B{r - 1})", d.receipts_total, what=f"{w} total receipts")
    s.formula(f"C{r}", f"=SUM(C7:C{r - 1})", sum(d.receipt_counts.values()), fmt=COUNT, what=f"{w} items")
    s.put("A14", "label", "Opening fund")
    s.put("B14", "value", d.opening, fmt=MONEY)
    s.put("A15", "label", "Cash receipts")
    s.formula("B15", "=B7", d.receipts["cash"], what=f"{w} cash receipts")
    s.put("A16", "label", "Cash expected in the drawer")
    s.formula("B16", "=B14+B15", d.expected_cash, what=f"{w} cash expected")
    for c, h in zip("ABCD", ("Cash counted", "Value", "Count", "Amount")):
        s.put(f"{c}18", "header", h)
    r = 19
    for den, qty, amount in d.counted:
        s.put(f"A{r}", "label", den.label)
        s.put(f"B{r}", "value", den.value, fmt="0.00")
        s.put(f"C{r}", "entry", qty, fmt=COUNT, input=("drawer", d.drawer, den.code))
        s.formula(f"D{r}", f"=ROUND(B{r}*C{r},2)", amount, what=f"{w} {den.label}")
        r += 1
    cur_last = 19 + sum(1 for x in DENOMINATIONS if x.kind == "currency") - 1
    s.put("A32", "label", "Currency")
    s.formula("D32", f"=SUM(D19:D{cur_last})", d.currency, what=f"{w} currency counted")
    s.put("A33", "label", "Coin")
    s.formula("D33", f"=SUM(D{cur_last + 1}:D{r - 1})", d.coin, what=f"{w} coin counted")
    s.put("A34", "label", "Cash counted")
    s.formula("D34", "=D32+D33", d.counted_cash, what=f"{w} cash counted")
    s.put("A35", "label", "Cash over (+) / short (-): counted - expected")
    s.formula("D35", "=ROUND(D34-B16,2)", d.over_short, what=f"{w} over/short")
    s.status("E35", "D35", d.over_short, f"{w} cash status")
    for c, h in zip("ABC", ("Checks", "Count", "Amount")):
        s.put(f"{c}37", "header", h)
    s.put("A38", "label", "Checks listed (Payments table)")
    s.formula("B38", f'=COUNTIFS({crit},{col("Tender")},"check")', d.checks_listed_count, fmt=COUNT,
              what=f"{w} checks listed count")
    s.formula("C38", f'=SUMIFS({col("Amount")},{crit},{col("Tender")},"check")', d.checks_listed_total,
              what=f"{w} checks listed")
    s.put("A39", "label", "Checks counted in the drawer")
    s.put("B39", "entry", d.checks_counted_count, fmt=COUNT, input=("drawer", d.drawer, "checks_count"))
    s.put("C39", "entry", d.checks_counted_total, fmt=MONEY, input=("drawer", d.drawer, "checks_total"))
    s.put("A40", "label", "Difference: counted - listed")
    s.formula("B40", "=B39-B38", d.checks_count_difference, fmt=COUNT, what=f"{w} checks count difference")
    s.formula("C40", "=ROUND(C39-C38,2)", d.checks_difference, what=f"{w} checks difference")
    s.status("E40", "C40", d.checks_difference, f"{w} checks status")
    key = name_part(d.drawer)
    names[f"OverShort_{key}"] = s.abs_ref("D35")
    names[f"ChecksDifference_{key}"] = s.abs_ref("C40")
    s.print_area = "A1:E40"
    return {"currency": s.abs_ref("D32"), "coin": s.abs_ref("D33"), "opening": s.abs_ref("B14"),
            "checks_counted": s.abs_ref("C39"), "checks_listed": s.abs_ref("C38"), "counted": s.abs_ref("D34"),
            "expected": s.abs_ref("B16")}


def _bank(cd: CashDay, names, rows: int) -> SheetPlan:
    s = SheetPlan(CASH_SHEETS["bank"], widths={"A": 44, "B": 12, "C": 14, "D": 30})
    _head(s, f"Bank pay bills {cd.day.isoformat()} against the bank's report", cd)
    for c, h in zip("ABC", ("", "Items", "Total")):
        s.put(f"{c}4", "header", h)
    s.put("A5", "label", "Pay bills posted (Payments table, source bank)")
    s.formula("B5", f'=COUNTIFS({col("Source")},"bank")', len(cd.bank_items), fmt=COUNT, what="bank items posted")
    s.formula("C5", f'=SUMIFS({col("Amount")},{col("Source")},"bank")', cd.bank_items_total, what="bank items total")
    for c, h in zip("ABC", ("The bank's report: bank", "Items", "Total")):
        s.put(f"{c}7", "header", h)
    reports = cd.inputs.bank_reports
    for k in range(rows):
        r = 8 + k
        rep = reports[k] if k < len(reports) else None
        s.put(f"A{r}", "entry", rep.bank if rep else None, input=("bank", k, "bank"))
        s.put(f"B{r}", "entry", rep.items if rep else None, fmt=COUNT, input=("bank", k, "items"))
        s.put(f"C{r}", "entry", rep.total if rep else None, fmt=MONEY, input=("bank", k, "total"))
    last = 8 + rows - 1
    t = last + 1
    s.put(f"A{t}", "label", "The bank's report, total")
    s.formula(f"B{t}", f"=SUM(B8:B{last})", cd.bank_report_count, fmt=COUNT, what="bank report items")
    s.formula(f"C{t}", f"=SUM(C8:C{last})", cd.bank_report_total, what="bank report total")
    s.put(f"A{t + 1}", "label", "Difference: posted - bank's report")
    s.formula(f"B{t + 1}", f"=B5-B{t}", len(cd.bank_items) - cd.bank_report_count, fmt=COUNT,
              what="bank items difference")
    diff = cd.bank_items_total - cd.bank_report_total
    s.formula(f"C{t + 1}", f"=ROUND(C5-C{t},2)", diff, what="bank difference")
    s.status(f"D{t + 1}", f"C{t + 1}", diff, "bank status")
    names["Bank_Difference"] = s.abs_ref(f"C{t + 1}")
    names["Bank_Report_Total"] = s.abs_ref(f"C{t}")
    s.print_area = f"A1:D{t + 1}"
    return s


def _treasury(cd: CashDay, names) -> SheetPlan:
    s = SheetPlan(CASH_SHEETS["treasury"], widths={"A": 44, "B": 16, "C": 30})
    _head(s, f"Treasury receipt {cd.day.isoformat()} by fund", cd)
    s.put("A4", "header", "Fund")
    s.put("B4", "header", "Amount")
    r = 5
    by_fund = cd.by_fund
    for f in cd.funds:
        s.put(f"A{r}", "label", fund_header(f))
        s.formula(f"B{r}", f"=SUM({col(fund_header(f))})", by_fund[f], what=f"Treasury {f}")
        r += 1
    s.put(f"A{r}", "label", "Treasury receipt, total")
    s.formula(f"B{r}", f"=SUM(B5:B{r - 1})", cd.treasury_total, what="Treasury total")
    names["Treasury_Total"] = s.abs_ref(f"B{r}")
    s.put(f"A{r + 1}", "label", "The day's receipts (Payments table)")
    s.formula(f"B{r + 1}", f"=SUM({col('Amount')})", cd.receipts_total, what="receipts total")
    names["Receipts_Total"] = s.abs_ref(f"B{r + 1}")
    diff = cd.treasury_total - cd.receipts_total
    s.put(f"A{r + 2}", "label", "Difference")
    s.formula(f"B{r + 2}", f"=ROUND(B{r}-B{r + 1},2)", diff, what="Treasury difference")
    s.status(f"C{r + 2}", f"B{r + 2}", diff, "Treasury status")
    s.print_area = f"A1:C{r + 2}"
    return s


def _deposit(cd: CashDay, drawer_refs, names) -> SheetPlan:
    s = SheetPlan(CASH_SHEETS["deposit"], widths={"A": 52, "B": 16, "C": 30})
    _head(s, f"Deposit slip {cd.day.isoformat()}", cd)

    def total_of(key):
        return "+".join(refs[key] for _, refs in drawer_refs) or "0"

    s.put("A4", "label", "Currency (counted, less the opening funds kept in the drawers)")
    s.formula("B4", f"=({total_of('currency')})-({total_of('opening')})", cd.deposit_currency, what="deposit currency")
    s.put("A5", "label", "Coin (counted)")
    s.formula("B5", f"={total_of('coin')}", cd.deposit_coin, what="deposit coin")
    s.put("A6", "label", "Checks counted in the drawers")
    s.formula("B6", f"={total_of('checks_counted')}", cd.drawer_checks, what="drawer checks")
    s.put("A7", "label", "Checks received without a drawer (mail, listed)")
    s.formula("B7", f'=ROUND(SUMIFS({col("Amount")},{col("Tender")},"check")-({total_of("checks_listed")}),2)',
              cd.other_checks, what="checks without a drawer")
    s.put("A8", "label", "Checks")
    s.formula("B8", "=B6+B7", cd.deposit_checks, what="deposit checks")
    s.put("A9", "label", "Total deposit")
    s.formula("B9", "=B4+B5+B8", cd.deposit_total, what="deposit total")
    names["Deposit_Total"] = s.abs_ref("B9")
    r = 11
    for t in ELECTRONIC:
        s.put(f"A{r}", "label", f"Electronic receipts: {t}")
        s.formula(f"B{r}", f'=SUMIFS({col("Amount")},{col("Tender")},"{t}")', cd.tender_total(t), what=f"electronic {t}")
        r += 1
    s.put(f"A{r}", "label", "Electronic receipts, total")
    s.formula(f"B{r}", f"=SUM(B11:B{r - 1})", cd.electronic_total, what="electronic total")
    s.put(f"A{r + 1}", "label", "Deposit + electronic receipts")
    s.formula(f"B{r + 1}", f"=B9+B{r}", cd.accounted_total, what="deposit + electronic")
    s.put(f"A{r + 2}", "label", "Treasury receipt, total")
    s.formula(f"B{r + 2}", "=Treasury_Total", cd.treasury_total, what="Treasury total (deposit sheet)")
    diff = cd.accounted_total - cd.treasury_total
    s.put(f"A{r + 3}", "label", "Difference (the drawers' over/short and check differences)")
    s.formula(f"B{r + 3}", f"=ROUND(B{r + 1}-B{r + 2},2)", diff, what="deposit difference")
    s.status(f"C{r + 3}", f"B{r + 3}", diff, "deposit status")
    names["Deposit_And_Electronic"] = s.abs_ref(f"B{r + 1}")
    names["Deposit_Difference"] = s.abs_ref(f"B{r + 3}")
    s.print_area = f"A1:C{r + 3}"
    return s


def _petty(cd: CashDay, names, rows: int) -> SheetPlan:
    s = SheetPlan(CASH_SHEETS["petty"], widths={"A": 36, "B": 30, "C": 14, "D": 30})
    _head(s, f"Petty cash envelope {cd.day.isoformat()}", cd)
    s.put("A4", "label", "Petty cash fund")
    s.put("C4", "value", cd.petty_cash_fund, fmt=MONEY)
    s.put("A5", "label", "Cash on hand (counted)")
    s.put("C5", "entry", cd.inputs.petty_cash_on_hand, fmt=MONEY, input=("petty", "cash"))
    for c, h in zip("ABC", ("Voucher", "Payee", "Amount")):
        s.put(f"{c}7", "header", h)
    vouchers = cd.inputs.vouchers
    for k in range(rows):
        r, v = 8 + k, (vouchers[k] if k < len(vouchers) else None)
        s.put(f"A{r}", "entry", v.voucher_no if v else None, input=("voucher", k, "no"))
        s.put(f"B{r}", "entry", v.payee if v else None, input=("voucher", k, "payee"))
        s.put(f"C{r}", "entry", v.amount if v else None, fmt=MONEY, input=("voucher", k, "amount"))
    last = 8 + rows - 1
    t = last + 1
    s.put(f"A{t}", "label", "Vouchers, total")
    s.formula(f"C{t}", f"=SUM(C8:C{last})", cd.vouchers_total, what="petty vouchers total")
    s.put(f"A{t + 1}", "label", "Cash on hand + vouchers")
    s.formula(f"C{t + 1}", f"=C5+C{t}", cd.petty_cash_total, what="petty cash + vouchers")
    diff = cd.petty_cash_total - cd.petty_cash_fund
    s.put(f"A{t + 2}", "label", "Difference: cash + vouchers - fund")
    s.formula(f"C{t + 2}", f"=ROUND(C{t + 1}-C4,2)", diff, what="petty cash difference")
    s.status(f"D{t + 2}", f"C{t + 2}", diff, "petty cash status")
    names["PettyCash_Difference"] = s.abs_ref(f"C{t + 2}")
    s.print_area = f"A1:D{t + 2}"
    return s


_CHECK_REFS = {
    "batches": ("Batches_Items_Total", "Batches_Control_Total"),
    "bank": (f"'{CASH_SHEETS['bank']}'!$C$5", "Bank_Report_Total"),
    "treasury": ("Treasury_Total", "Receipts_Total"),
    "deposit": ("Deposit_And_Electronic", "Treasury_Total"),
}


def _summary(cd: CashDay, s: SheetPlan, names, voucher_rows: int) -> None:
    _head(s, f"Daily cash {cd.day.isoformat()}: {cd.utility_name}", cd)
    s.put("A3", "label", "Business day")
    s.put("B3", "value", cd.day, fmt="yyyy-mm-dd")
    names["Cash_Day"] = s.abs_ref("B3")
    for c, h in zip("ABCDE", ("Check", "Figure", "Against", "Difference", "Status")):
        s.put(f"{c}5", "header", h)
    r = 6
    petty = CASH_SHEETS["petty"]
    for chk in cd.checks():
        if chk.key in _CHECK_REFS:
            left, right = _CHECK_REFS[chk.key]
        elif chk.key == "petty":
            t = 8 + voucher_rows  # the Petty Cash sheet's vouchers total row
            left, right = f"'{petty}'!$C${t + 1}", f"'{petty}'!$C$4"
        else:
            kind, drawer = chk.key.split(":", 1)
            q = "'" + drawer_sheet_name(drawer).replace("'", "''") + "'"
            left, right = ((f"{q}!$D$34", f"{q}!$B$16") if kind == "cash" else (f"{q}!$C$39", f"{q}!$C$38"))
        s.put(f"A{r}", "label", chk.label)
        s.formula(f"B{r}", f"={left}", chk.figure, what=f"{chk.label}: figure")
        s.formula(f"C{r}", f"={right}", chk.against, what=f"{chk.label}: against")
        s.formula(f"D{r}", f"=ROUND(B{r}-C{r},2)", chk.difference, what=f"{chk.label}: difference")
        s.status(f"E{r}", f"D{r}", chk.difference, f"{chk.label}: status")
        r += 1
    n = r - 6
    out = sum(1 for c in cd.checks() if not c.balanced)
    s.put(f"A{r + 1}", "label", "The day")
    s.formula(f"E{r + 1}", f'=IF(COUNTIF(E6:E{r - 1},"BALANCED")={n},"BALANCED","OUT OF BALANCE")',
              "BALANCED" if out == 0 else "OUT OF BALANCE", fmt=None, what="the day's status")
    s.put(f"A{r + 2}", "label", "Checks out of balance")
    s.formula(f"E{r + 2}", f'=COUNTIF(E6:E{r - 1},"OUT OF BALANCE*")', out, fmt=COUNT, what="checks out of balance")
    names["Day_Status"] = s.abs_ref(f"E{r + 1}")
    s.print_area = f"A1:E{r + 2}"
