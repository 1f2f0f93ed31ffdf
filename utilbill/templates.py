"""The clerk's workbook templates, built by code: readings entry, final bill, payoff and
arrangement calculators, turn-off list, account inquiry, and the daily cash workbook.

Why it exists: workbooks are the clerk's desk (design.md); a template made by hand drifts
from the engine, one made here cannot. Every template has the same anatomy:
- input cells filled yellow (`layouts.ENTRY_FILL`, with a legend), unlocked and validated
  (lists of meter sizes, classes and read types from `layouts`; date, whole-number and
  amount checks), each under a defined name that the ribbon tasks (macros_py) read;
- formula cells locked, the sheets protected without a password (Review > Unprotect Sheet);
- worksheet-function cells (=FINAL_BILL(...), the udfs package) named as the desktop
  add-in shows them; a function that spills is stored as an array formula over a fixed
  range (the one form every Excel version and LibreOffice read; see docs/excel.md);
- the defined name UTILBILL_TASK, so the add-in's All Tasks button runs the right task;
- print areas one page wide, and a "How to use" sheet.
Text from configuration or data is written through `xlio.write_cell` (never a formula).
Functions used are all Excel 2007 ones (no _xlfn prefixes needed; formula_lint checks).
The daily cash workbook is the cash engineer's (`cash_workbook.render`), laid out for an
empty day with the configured drawers.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula

from .config import Policy
from .layouts import (CLASS_CHOICES, ENTRY_FILL, METER_SIZE_CHOICES, READ_TYPES, READINGS, TURNOFF_LEFT_OUT_SHEET,
                      TURNOFF_LIST_SHEET)
from .xlio import save_workbook, write_cell, write_table

FILES = {
    "readings": "Readings Entry.xlsx", "final_bill": "Final Bill Calculator.xlsx",
    "payoff": "Payoff Calculator.xlsx", "arrangement": "Arrangement Calculator.xlsx",
    "turnoff": "Turn-off List.xlsx", "inquiry": "Account Inquiry.xlsx", "daily_cash": "Daily Cash.xlsx",
}
TASKS = {"readings": "bill_run", "final_bill": "final_bill", "payoff": "payoff", "arrangement": "arrangement",
         "turnoff": "turnoff_list", "inquiry": "account_lookup", "daily_cash": "check_cash"}
READING_ROWS = 500  # entry rows of the readings sheet
SCHEDULE_ROWS = 12  # schedule rows of the arrangement calculator (the most installments allowed)
TEMPLATE_CASH_DAY = date(2026, 1, 2)  # the empty day the daily cash template is laid out for
LEGEND = "Yellow cells are yours to fill in; all other cells are locked (Review > Unprotect Sheet, no password)."
_ENTRY = PatternFill("solid", fgColor=ENTRY_FILL)
_HEAD = PatternFill("solid", fgColor="DDEBF7")
_BOX = Border(*(Side(style="thin", color="999999"),) * 4)


class _Sheet:
    """A calculator sheet: labels in A, cells in B, notes in C; names on the B cells."""

    def __init__(self, wb: Workbook, title: str, heading: str, first: bool = False):
        self.wb = wb
        self.ws = wb.active if first else wb.create_sheet()
        self.ws.title = title
        write_cell(self.ws, 1, 1, heading).font = Font(bold=True, size=14)
        legend = write_cell(self.ws, 2, 1, LEGEND)
        legend.fill, legend.border = _ENTRY, _BOX
        for col, width in (("A", 34), ("B", 16), ("C", 16), ("D", 14), ("E", 40)):
            self.ws.column_dimensions[col].width = width
        self.ws.protection.sheet = True
        self.ws.page_setup.fitToWidth, self.ws.page_setup.fitToHeight = 1, 0
        self.ws.sheet_properties.pageSetUpPr.fitToPage = True

    def name(self, name: str, ref: str) -> None:
        self.wb.defined_names[name] = DefinedName(name, attr_text=f"'{self.ws.title}'!${ref[0]}${ref[1:]}")

    def label(self, row: int, text: str, note: str = "", col: int = 1) -> None:
        write_cell(self.ws, row, col, text)
        if note:
            write_cell(self.ws, row, 5, note).font = Font(italic=True, color="666666")

    def entry(self, row: int, name: str, label: str, kind: str, *, note: str = "", choices=(), low=None,
              high=None, value=None) -> str:
        ref = f"B{row}"
        self.label(row, label, note)
        cell = self.ws[ref]
        cell.value = value
        cell.fill, cell.border, cell.protection = _ENTRY, _BOX, Protection(locked=False)
        cell.number_format = {"date": "yyyy-mm-dd", "money": "#,##0.00", "whole": "0", "text": "@"}.get(kind, "General")
        validate(self.ws, ref, kind, choices=choices, low=low, high=high)
        self.name(name, ref)
        return name

    def formula(self, row: int, name: str | None, label: str, text: str, *, fmt: str = "General",
                note: str = "") -> None:
        self.label(row, label, note)
        cell = self.ws[f"B{row}"]
        cell.value, cell.number_format = text, fmt
        if name:
            self.name(name, f"B{row}")

    def constant(self, row: int, name: str, label: str, value, note: str) -> None:
        self.label(row, label, note)
        write_cell(self.ws, row, 2, value)
        self.name(name, f"B{row}")

    def header(self, row: int, texts, col: int = 1) -> None:
        for i, text in enumerate(texts):
            cell = write_cell(self.ws, row, col + i, text)
            cell.font, cell.fill = Font(bold=True), _HEAD

    def spill(self, ref: str, text: str, fmts=()) -> None:
        """A spilling worksheet function, stored as an array formula over `ref`."""
        first = ref.split(":")[0]
        self.ws[first] = ArrayFormula(ref, text)
        for row in self.ws[ref]:
            for cell, fmt in zip(row, fmts):
                cell.number_format = fmt

    def finish(self, last_row: int, task: str) -> None:
        self.ws.print_area = f"A1:E{last_row}"
        self.wb.defined_names["UTILBILL_TASK"] = DefinedName("UTILBILL_TASK", attr_text=f'"{task}"')


def validate(ws, ref: str, kind: str, *, choices=(), low=None, high=None) -> None:
    """A data validation on `ref`: a list, a date, a whole number or a decimal (blank allowed)."""
    if choices:
        dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
    elif kind == "date":
        dv = DataValidation(type="date", operator="between", formula1="DATE(2000,1,1)", formula2="DATE(2199,12,31)",
                            allow_blank=True)
    elif kind == "whole":
        dv = DataValidation(type="whole", operator="between", formula1=str(low if low is not None else 0),
                            formula2=str(high if high is not None else 999999999), allow_blank=True)
    elif kind == "money":
        dv = DataValidation(type="decimal", operator="between", formula1=str(low if low is not None else 0),
                            formula2="99999999", allow_blank=True)
    else:
        return
    dv.error = {"date": "Enter a date such as 2026-01-31.", "whole": "Enter a whole number.",
                "money": "Enter an amount such as 62.40."}.get(kind, "Choose one of the listed values.")
    dv.errorTitle, dv.showErrorMessage = "utilbill", True
    ws.add_data_validation(dv)
    dv.add(ref)


def how_to(wb: Workbook, steps: list[str]) -> None:
    """The "How to use" sheet: numbered steps and where the utility folder comes from."""
    ws = wb.create_sheet("How to use")
    write_cell(ws, 1, 1, "How to use this workbook").font = Font(bold=True, size=14)
    lines = steps + [
        "Worksheet functions (=FINAL_BILL(...) and the like) need the Utility Billing add-in; without it they show "
        "#NAME?. They read the utility folder named by UTILBILL_HOME (the add-in's config sheet or Windows).",
        "On the web add-in the functions are named UTILBILL.FINAL_BILL and so on.",
        LEGEND,
    ]
    for i, text in enumerate(lines, start=3):
        write_cell(ws, i, 1, f"{i - 2}. {text}")
    ws.column_dimensions["A"].width = 120
    ws.protection.sheet = True


# --- the templates ---------------------------------------------------------------------

DATE, MONEY = "yyyy-mm-dd", "#,##0.00"


def readings_template(policy: Policy) -> Workbook:
    """Meter readings for the bill run: the Readings table and the Run sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = READINGS.sheet
    last = 3 + READING_ROWS
    write_table(ws, READINGS, [], table_name="ReadingsTable")
    ws.tables["ReadingsTable"].ref = f"A3:F{last}"
    for row in ws.iter_rows(min_row=4, max_row=last, max_col=len(READINGS.columns)):
        for cell in row:
            cell.fill, cell.protection = _ENTRY, Protection(locked=False)
    for letter, fmt in (("A", "@"), ("B", DATE), ("C", "0"), ("E", "@"), ("F", "@")):
        for (cell,) in ws[f"{letter}4:{letter}{last}"]:
            cell.number_format = fmt
    validate(ws, f"B4:B{last}", "date")
    validate(ws, f"C4:C{last}", "whole")
    validate(ws, f"D4:D{last}", "choice", choices=READ_TYPES)
    wb.defined_names["ReadingsEntry"] = DefinedName("ReadingsEntry", attr_text=f"'{ws.title}'!$A$4:$F${last}")
    ws.protection.sheet, ws.protection.autoFilter, ws.protection.sort = True, False, False
    ws.print_area, ws.page_setup.orientation = f"A1:F{last}", "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    rng = f"Readings!$A$4:$A${last}"
    s = _Sheet(wb, "Run", "Bill run")
    s.entry(4, "RunDate", "Bill date of the run", "date", note="Blank: today")
    s.formula(6, "ReadingsEntered", "Rows entered", f"=COUNTA({rng})")
    s.formula(7, "ReadingsBlank", "Rows without a reading", f'=COUNTIFS({rng},"<>",Readings!$C$4:$C${last},"")',
              note="Mark them 'estimate' in read type, or enter the reading")
    s.formula(8, "EstimatesAsked", "Rows marked estimate", f'=COUNTIF(Readings!$D$4:$D${last},"estimate")')
    s.formula(9, "RunBillDate", "Bill date used", '=IF(ISNUMBER(RunDate),RunDate,TODAY())', fmt=DATE)
    s.formula(10, None, "Due date of these bills", "=DUE_DATE(RunBillDate)", fmt=DATE,
              note="Worksheet function: bill date + 21 days, next business day")
    s.finish(10, TASKS["readings"])
    how_to(wb, ["Type or paste one row per meter on the Readings sheet: account, read date, reading.",
                "Blank reading: write 'estimate' in read type to bill an estimate; 'final' for a move-out read.",
                "Set the bill date on the Run sheet (blank = today).",
                "Utility Billing tab > Bill Run: the Bills, Lines and Exceptions sheets are written; "
                "the readings are never changed. Running it again posts nothing new."])
    return wb


def final_bill_template(policy: Policy) -> Workbook:
    wb = Workbook()
    s = _Sheet(wb, "Final Bill", "Final bill calculator", first=True)
    s.entry(4, "FB_Account", "Account", "text")
    s.entry(5, "FB_MoveOut", "Move-out date", "date", note="Service ends that day; the new customer starts it")
    s.entry(6, "FB_FinalReading", "Final reading", "whole", note="Blank: estimated from average use")
    s.entry(7, "FB_Post", "Post the final bill?", "choice", choices=("no", "yes"), value="no",
            note="Final Bill button: 'no' computes only")
    write_cell(s.ws, 9, 1, "Without the account's books (for a quote)").font = Font(bold=True)
    s.entry(10, "FB_LastReadDate", "Last read date", "date")
    s.entry(11, "FB_PreviousReading", "Reading on the last read date", "whole")
    s.entry(12, "FB_MeterSize", "Meter size", "choice", choices=METER_SIZE_CHOICES, value="5/8")
    s.entry(13, "FB_Class", "Class", "choice", choices=CLASS_CHOICES, value="residential")
    s.entry(14, "FB_WinterAverage", "Winter average (units a month)", "money",
            note=f"Blank: the default {policy.billing.default_winter_average}")
    s.formula(16, "FB_Days", "Service days", '=IF(AND(ISNUMBER(FB_MoveOut),ISNUMBER(FB_LastReadDate)),'
              'FB_MoveOut-FB_LastReadDate,"")', fmt="0")
    s.formula(17, "FB_Units", "Units used", '=IF(AND(ISNUMBER(FB_FinalReading),ISNUMBER(FB_PreviousReading)),'
              'FB_FinalReading-FB_PreviousReading,"")', fmt="0")
    s.formula(19, "FB_Result", "Final bill from the account's books", "=FINAL_BILL(FB_Account,FB_MoveOut,FB_FinalReading)",
              fmt=MONEY, note="Worksheet function: amount due (negative: refund); posts nothing")
    s.formula(20, "FB_Service", "Service charges for the period (quote)",
              "=BILL_TOTAL(FB_Units,FB_MeterSize,FB_Class,FB_LastReadDate,FB_MoveOut,FB_WinterAverage)", fmt=MONEY)
    s.header(22, ("Charge line", "Quantity", "Rate", "Amount"))
    s.spill("A23:D32", "=BILL_LINES(FB_Units,FB_MeterSize,FB_Class,FB_LastReadDate,FB_MoveOut,FB_WinterAverage)",
            ("General", "0.000", "0.000", MONEY))
    s.finish(32, TASKS["final_bill"])
    how_to(wb, ["Enter the account, the move-out date and the final reading: the final bill shows in B19.",
                "For a quote without the books, fill rows 10-14 too: the lines show from row 23.",
                "Utility Billing tab > Final Bill writes the statement on the 'Final Bill Result' sheet; "
                "with 'Post' = yes it posts the final bill (once)."])
    return wb


def payoff_template(policy: Policy) -> Workbook:
    wb = Workbook()
    s = _Sheet(wb, "Payoff", "Payoff calculator", first=True)
    s.entry(4, "PO_Account", "Account", "text")
    s.entry(5, "PO_AsOf", "Payoff as of", "date")
    s.entry(6, "PO_PetitionDate", "Bankruptcy petition date", "date", note="Optional")
    chapters = tuple(str(c) for c in sorted(policy.bankruptcy.assurance_days))
    s.entry(7, "PO_Chapter", "Bankruptcy chapter", "choice", choices=chapters, note="Optional")
    s.formula(9, "PO_DaysSincePetition", "Days from petition to payoff",
              '=IF(AND(ISNUMBER(PO_PetitionDate),ISNUMBER(PO_AsOf)),PO_AsOf-PO_PetitionDate,"")', fmt="0")
    s.formula(11, "PO_Total", "Payoff amount", "=PAYOFF_AS_OF(PO_Account,PO_AsOf,PO_PetitionDate)", fmt=MONEY,
              note="Worksheet function; negative: the utility owes a refund")
    s.header(13, ("Section", "Description", "Amount", "Basis"))
    s.spill("A14:D43", "=PAYOFF_DETAIL(PO_Account,PO_AsOf,PO_PetitionDate)", ("General", "General", MONEY))
    s.finish(43, TASKS["payoff"])
    how_to(wb, ["Enter the account and the payoff date (and a petition date for a bankruptcy).",
                "Utility Billing tab > Payoff writes the breakdown on 'Payoff Result' (and 'Petition split')."])
    return wb


def arrangement_template(policy: Policy) -> Workbook:
    pol = policy.arrangements
    wb = Workbook()
    s = _Sheet(wb, "Arrangement", "Payment arrangement calculator", first=True)
    s.entry(4, "AR_Account", "Account", "text", note="Needed by the Arrangement button")
    s.entry(5, "AR_PastDue", "Past-due amount", "money")
    s.entry(6, "AR_Down", "Down payment", "money")
    s.entry(7, "AR_Installments", "Monthly installments", "whole", low=1, high=pol.max_installments_with_assistance)
    s.entry(8, "AR_FirstDue", "First installment due", "date")
    s.entry(9, "AR_AsOf", "Arrangement date", "date", note="Blank: today")
    s.entry(10, "AR_Post", "Record the arrangement?", "choice", choices=("no", "yes"), value="no")
    s.entry(11, "AR_Override", "Supervisor override reason", "text", note="Only for a recent broken arrangement")
    s.constant(13, "AR_MinDownPercent", "Minimum down payment, % of past due", pol.min_down_percent,
               "arrangements.min_down_percent")
    s.constant(14, "AR_MaxInstallments", "Most installments", pol.max_installments, "arrangements.max_installments")
    s.constant(15, "AR_MaxWithAssistance", "Most installments with an assistance referral",
               pol.max_installments_with_assistance, "arrangements.max_installments_with_assistance")
    s.formula(17, "AR_MinDown", "Minimum down payment", "=ROUND(AR_PastDue*AR_MinDownPercent/100,2)", fmt=MONEY)
    s.formula(18, "AR_DownOK", "Down payment enough?", '=IF(AR_PastDue="","",IF(AR_Down>=AR_MinDown,"yes","no"))')
    s.formula(19, "AR_Financed", "Financed (past due - down)", "=AR_PastDue-AR_Down", fmt=MONEY)
    s.formula(20, "AR_Installment", "Each installment (rounded down)", '=IF(N(AR_Installments)<1,"",ROUNDDOWN(AR_Financed/AR_Installments,2))',
              fmt=MONEY)
    s.formula(21, "AR_LastInstallment", "Last installment (the remainder)",
              '=IF(N(AR_Installments)<1,"",ROUND(AR_Financed-AR_Installment*(AR_Installments-1),2))', fmt=MONEY)
    top = 24
    s.header(top - 1, ("No.", "Due", "Amount", "Remaining"))
    s.header(top - 1, ("No.", "Due", "Amount", "Remaining"), col=6)
    s.label(top - 2, "Schedule by formula")
    s.label(top - 2, "Schedule from the add-in (ARRANGEMENT_SCHEDULE)", col=6)
    for k in range(1, SCHEDULE_ROWS + 1):
        r = top + k - 1
        ws = s.ws
        ws[f"A{r}"] = f'=IF({k}<=AR_Installments,{k},"")'
        ws[f"B{r}"] = f'=IF(A{r}="","",EDATE(AR_FirstDue,{k - 1}))'
        ws[f"C{r}"] = f'=IF(A{r}="","",IF(A{r}=AR_Installments,AR_LastInstallment,AR_Installment))'
        ws[f"D{r}"] = f'=IF(A{r}="","",ROUND(AR_Financed-SUM($C${top}:C{r}),2))'
        ws[f"B{r}"].number_format, ws[f"C{r}"].number_format, ws[f"D{r}"].number_format = DATE, MONEY, MONEY
    last = top + SCHEDULE_ROWS - 1
    s.spill(f"F{top}:I{last}", "=ARRANGEMENT_SCHEDULE(AR_PastDue,AR_Down,AR_Installments,AR_FirstDue)",
            ("0", DATE, MONEY, MONEY))
    s.ws.column_dimensions["G"].width = 12
    s.ws.print_area = f"A1:I{last}"
    s.wb.defined_names["UTILBILL_TASK"] = DefinedName("UTILBILL_TASK", attr_text=f'"{TASKS["arrangement"]}"')
    how_to(wb, ["Enter the past due, the down payment, the number of installments and the first due date.",
                "Installments are rounded down to the cent; the last one takes the remainder; due dates "
                "count whole months from the first (Jan 31, Feb 28, Mar 31).",
                "Utility Billing tab > Arrangement checks eligibility on the account and, with 'Record' = yes, "
                "records it; the result is on 'Arrangement Result'."])
    return wb


def turnoff_template(policy: Policy) -> Workbook:
    wb = Workbook()
    s = _Sheet(wb, "Turn-off", "Turn-off list", first=True)
    s.entry(4, "TO_AsOf", "Work date", "date", note="Blank: today")
    s.entry(5, "TO_Capacity", "Crew capacity", "whole", low=1,
            note=f"Blank: the configured {policy.collections.daily_crew_capacity}")
    s.entry(7, "TO_NoticeDate", "A notice dated", "date")
    s.formula(8, None, "may be worked from", "=EARLIEST_TURNOFF(TO_NoticeDate)", fmt=DATE,
              note="Worksheet function: 7th business day after the notice")
    listed, left = TURNOFF_LIST_SHEET.sheet, TURNOFF_LEFT_OUT_SHEET.sheet
    s.formula(10, "TO_OnList", "Accounts on the list", f"=COUNTA('{listed}'!$B$2:$B$5001)", fmt="0")
    s.formula(11, "TO_PastDueOnList", "Past due on the list", f"=SUM('{listed}'!$F$2:$F$5001)", fmt=MONEY)
    s.formula(12, "TO_LeftOut", "Accounts left out (with the reason)", f"=COUNTA('{left}'!$A$2:$A$5001)", fmt="0")
    s.finish(12, TASKS["turnoff"])
    for layout in (TURNOFF_LIST_SHEET, TURNOFF_LEFT_OUT_SHEET):
        ws = wb.create_sheet(layout.sheet)
        for c, column in enumerate(layout.columns, start=1):
            cell = write_cell(ws, 1, c, column.name)
            cell.font, cell.fill = Font(bold=True), _HEAD
        ws.freeze_panes = "A2"
        ws.page_setup.orientation = "landscape"
    how_to(wb, ["Enter the work date (and a crew capacity to override the configured one).",
                "Utility Billing tab > Turn-off List fills the 'Turn-off list' sheet in working order (broken "
                "arrangements, then most past due, then oldest payment) and 'Left out' with each reason.",
                "Notices paid since they were issued are removed on the way (status and date recorded)."])
    return wb


def inquiry_template(policy: Policy) -> Workbook:
    wb = Workbook()
    s = _Sheet(wb, "Inquiry", "Account inquiry", first=True)
    s.entry(4, "IQ_Account", "Account", "text")
    s.entry(5, "IQ_AsOf", "As of", "date", note="Blank: today")
    s.formula(6, "IQ_Date", "Date used", "=IF(ISNUMBER(IQ_AsOf),IQ_AsOf,TODAY())", fmt=DATE)
    for row, (label, text, fmt) in enumerate([
            ("Balance", "=ACCOUNT_BALANCE(IQ_Account,IQ_Date)", MONEY),
            ("Past due", "=PAST_DUE(IQ_Account,IQ_Date)", MONEY),
            ("Last payment", "=LAST_PAYMENT_DATE(IQ_Account)", DATE),
            ("Winter average (units a month)", "=WINTER_AVERAGE(IQ_Account)", "0.00"),
            ("Credit risk points", "=CREDIT_SCORE(IQ_Account)", "0"),
            ("Payoff on that date", "=PAYOFF_AS_OF(IQ_Account,IQ_Date)", MONEY)], start=8):
        s.formula(row, None, label, text, fmt=fmt, note="Worksheet function" if row == 8 else "")
    s.finish(13, TASKS["inquiry"])
    how_to(wb, ["Enter the account: the figures show at once (Utility Billing add-in).",
                "Utility Billing tab > Account Lookup writes the 'Account', 'Account history' and 'Latest bill' "
                "sheets: who, where, flags, deposit, the last 12 months, and the latest bill explained."])
    return wb


def daily_cash_template(policy: Policy) -> Workbook:
    """The cash engineer's daily cash workbook for an empty day with the configured drawers."""
    from .cash_balancing import CashInputs, DrawerCount, compute_cash_day
    from .cash_workbook import plan_cash_workbook, render

    cash = policy.cash
    cd = compute_cash_day(TEMPLATE_CASH_DAY, [], [], CashInputs(drawers={d: DrawerCount() for d in cash.drawers}),
                          opening_fund=cash.opening_fund, petty_cash_fund=cash.petty_cash_fund,
                          utility_name=policy.utility.name, drawer_order=tuple(cash.drawers))
    wb = render(plan_cash_workbook(cd))
    wb.defined_names["UTILBILL_TASK"] = DefinedName("UTILBILL_TASK", attr_text=f'"{TASKS["daily_cash"]}"')
    how_to(wb, ["This is the layout of the day's cash workbook; make the real one with Utility Billing > Daily "
                "Cash (or 'utilbill cash day DATE'), which fills the day's payments.",
                "Type each drawer's count by denomination, the checks, the bank's report and petty cash in the "
                "yellow cells; the Summary sheet shows every balance check.",
                "Utility Billing > Check Cash recomputes every figure and lists each difference."])
    return wb


BUILDERS = {"readings": readings_template, "final_bill": final_bill_template, "payoff": payoff_template,
            "arrangement": arrangement_template, "turnoff": turnoff_template, "inquiry": inquiry_template,
            "daily_cash": daily_cash_template}


def build_templates(out_dir, policy: Policy | None = None) -> dict[str, Path]:
    """Write every template into `out_dir` (atomically); returns {kind: path}."""
    from .config import example_policy

    policy = policy or example_policy()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {kind: save_workbook(build(policy), out / FILES[kind]) for kind, build in BUILDERS.items()}


def fill_inputs(path, values: dict, out_path) -> Path:
    """A copy of a built template with named input cells filled ({defined name: value})."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    for name, value in values.items():
        sheet, ref = next(iter(wb.defined_names[name].destinations))
        write_cell(wb[sheet], wb[sheet][ref.replace("$", "")].row, wb[sheet][ref.replace("$", "")].column, value)
    return save_workbook(wb, out_path, protect=[path])
