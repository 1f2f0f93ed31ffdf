"""Every sheet layout of utilbill's workbooks, in one place (design.md: one module defines
every sheet layout, and both the readers and the writers use it).

Append concrete layouts below, e.g.
    READINGS = SheetLayout("Readings", [Column("account", "account"), Column("reading", "int", min=0)])
Read with `utilbill.xlio.read_table(path, READINGS)`; write with `utilbill.xlio.write_table`.
"""

from utilbill.layouts_core import Column, SheetLayout  # noqa: F401


# --- billing: readings, CIS extracts, the Bills workbook -------------------------------

READ_TYPES = ("actual", "estimate", "final")
CLASS_CHOICES = ("residential", "commercial")
METER_SIZE_CHOICES = ("5/8", "3/4", "1", "1-1/2", "2", "3", "4", "6", "8")

READINGS = SheetLayout("Readings", [
    Column("account", "account", aliases=("account number", "acct", "account no", "account_no"),
           help="Account number as printed on the bill"),
    Column("read_date", "date", aliases=("read date", "date", "reading date"),
           help="Date the meter was read"),
    Column("reading", "int", required=False, min=0, aliases=("meter reading", "read", "current reading"),
           help="Whole units on the meter dials; blank with read type 'estimate' to estimate"),
    Column("read_type", "choice", required=False, choices=READ_TYPES, default="actual",
           aliases=("read type", "type"), help="actual (default), estimate, or final"),
    Column("meter_id", "text", required=False, aliases=("meter", "meter id", "meter number")),
    Column("note", "text", required=False, aliases=("notes", "comment")),
], title="Meter readings for the bill run")

ACCOUNTS_IMPORT = SheetLayout("Accounts", [
    Column("account", "account", aliases=("account number", "account_no", "acct")),
    Column("premise", "text", required=False, aliases=("premise id", "premise_id", "property")),
    Column("class", "choice", choices=CLASS_CHOICES, aliases=("account class", "customer class", "rate class")),
    Column("customer_name", "text", aliases=("customer", "name")),
    Column("customer_role", "choice", required=False, choices=("owner", "tenant"), default="owner",
           aliases=("role",)),
    Column("service_address", "text", aliases=("service address", "address")),
    Column("mailing_address", "text", required=False, aliases=("mailing address",)),
    Column("meter_size", "text", aliases=("meter size", "size"), help='5/8, 3/4, 1, 1-1/2, 2, 3, 4, 6 or 8 (inches; 2" and 1.5 are understood)'),
    Column("meter_dials", "int", required=False, min=3, max=9, aliases=("dials", "meter dials")),
    Column("meter_id", "text", required=False, aliases=("meter", "meter id")),
    Column("service_start", "date", aliases=("service start", "start date", "start")),
    Column("initial_reading", "int", required=False, min=0, aliases=("initial reading", "start reading")),
    Column("cycle", "text", required=False, aliases=("route", "read cycle")),
    Column("email", "text", required=False),
    Column("phone", "text", required=False),
    Column("notice_delivery", "choice", required=False, choices=("mail", "email", "in_person"), default="mail"),
    Column("owner_name", "text", required=False, aliases=("owner",)),
    Column("landlord_name", "text", required=False, aliases=("landlord",)),
    Column("landlord_address", "text", required=False),
    Column("third_party_name", "text", required=False, aliases=("third party", "designee")),
    Column("third_party_address", "text", required=False, aliases=("designee address",)),
    Column("flags", "text", required=False, aliases=("special handling",)),
], title="Accounts (CIS extract)")

READS_IMPORT = SheetLayout("Reads", [
    Column("account", "account", aliases=("account number", "account_no", "acct")),
    Column("read_date", "date", aliases=("read date", "date")),
    Column("reading", "int", min=0),
    Column("read_type", "choice", required=False, choices=("actual", "estimated", "final", "initial"),
           default="actual", aliases=("read type", "type")),
], title="Meter read history (CIS extract)")

POSTING_KINDS = ("bill", "payment", "adjustment", "late_charge", "fee", "deposit")
POSTINGS_IMPORT = SheetLayout("Postings", [
    Column("account", "account", aliases=("account number", "account_no", "acct")),
    Column("date", "date", aliases=("effective date", "posting date")),
    Column("kind", "choice", choices=POSTING_KINDS, aliases=("type", "transaction type")),
    Column("amount", "money", min=-1_000_000, max=1_000_000,
           help="Positive for charges and payments alike; the kind gives the sign"),
    Column("due_date", "date", required=False, aliases=("due", "due date")),
    Column("water", "money", required=False, help="Water part of a bill"),
    Column("wastewater", "money", required=False, aliases=("sewer",), help="Wastewater part of a bill"),
    Column("reference", "text", required=False, aliases=("ref", "check number", "check no")),
    Column("memo", "text", required=False, aliases=("description", "note")),
], title="Ledger history (CIS extract)")

BILLS_OUT = SheetLayout("Bills", [
    Column("account", "account"),
    Column("kind", "text"),
    Column("bill_date", "date"),
    Column("due_date", "date"),
    Column("period_start", "date"),
    Column("period_end", "date"),
    Column("days", "int"),
    Column("previous_reading", "int", required=False),
    Column("reading", "int", required=False),
    Column("units", "decimal"),
    Column("estimated", "bool"),
    Column("rollover", "bool"),
    Column("regular", "bool"),
    Column("winter_average", "decimal", required=False),
    Column("wastewater_units", "decimal"),
    Column("water", "money"),
    Column("wastewater", "money"),
    Column("total", "money"),
    Column("bill_key", "text"),
])

BILL_LINES_OUT = SheetLayout("Lines", [
    Column("account", "account"),
    Column("bill_key", "text"),
    Column("seq", "int"),
    Column("code", "text"),
    Column("description", "text"),
    Column("fund", "text"),
    Column("quantity", "decimal"),
    Column("rate", "decimal"),
    Column("amount", "money"),
    Column("basis", "text"),
])

EXCEPTIONS_OUT = SheetLayout("Exceptions", [
    Column("severity", "text"),
    Column("file", "text", required=False),
    Column("sheet", "text", required=False),
    Column("row", "int", required=False),
    Column("column", "text", required=False),
    Column("account", "account", required=False),
    Column("value", "text", required=False),
    Column("reason", "text"),
])


# --- payments and daily cash: batch files, the bank's report, the daily cash workbook ----

PAYMENT_SOURCES = ("walk-in", "mail", "telepay", "bank", "online", "permits")
TENDERS = ("cash", "check", "card", "ach", "bank")
LINE_TYPES = ("payment", "electric", "permit")
# The tender a batch's rows have when the column is blank, by source (walk-in and permits
# take several tenders, so there the column must be filled in).
DEFAULT_TENDER = {"mail": "check", "telepay": "ach", "bank": "bank", "online": "card"}

# Labels of the batch's header area (the rows above the item table): a clerk writes the
# adding-machine tape's count and total there, like the batch ticket on a paper bundle.
BATCH_HEADER_LABELS = {
    "control_count": ("control count", "count", "item count"),
    "control_total": ("control total", "total", "batch total"),
    "batch_date": ("batch date", "date", "deposit date"),
    "drawer": ("drawer", "cash drawer", "cashier drawer"),
}


def payment_batch_layout(source: str) -> SheetLayout:
    """The item table of a payment batch from `source` (one layout per source)."""
    if source not in PAYMENT_SOURCES:
        raise ValueError(f"unknown payment source {source!r}; use one of {', '.join(PAYMENT_SOURCES)}")
    permits = source == "permits"
    tender_default = DEFAULT_TENDER.get(source)
    return SheetLayout("Batch", [
        Column("account", "account", required=False,
               aliases=("account number", "account no", "account_no", "acct", "electric account"),
               help="Account number from the bill stub (the electric account for an electric payment)"),
        Column("amount", "money", aliases=("payment", "amount paid", "paid"),
               help="Amount received; must be more than zero"),
        Column("tender", "choice", required=tender_default is None, choices=TENDERS, default=tender_default,
               aliases=("paid by", "method", "payment method"), help="cash, check, card, ach or bank"),
        Column("check_no", "text", required=False,
               aliases=("check", "check number", "check no", "check #", "reference", "ref"),
               help="Required when the tender is check"),
        Column("date", "date", required=False, aliases=("payment date", "received", "date received"),
               help="Date received (default: the batch date)"),
        Column("type", "choice", required=False, choices=LINE_TYPES, default="permit" if permits else "payment",
               aliases=("line type", "kind"), help="payment (default), electric (collected for the electric utility), permit"),
        Column("permit_no", "text", required=False, aliases=("permit", "permit number", "permit no")),
        Column("payer", "text", required=False, aliases=("name", "customer", "paid by name", "remitter")),
    ], title=f"Payment batch ({source})")


PAYMENT_BATCH_LAYOUTS = {s: payment_batch_layout(s) for s in PAYMENT_SOURCES}

BANK_REPORT = SheetLayout("Bank Report", [
    Column("date", "date", aliases=("report date", "settlement date", "business date")),
    Column("bank", "text", aliases=("bank name", "branch", "institution")),
    Column("items", "int", min=0, aliases=("item count", "count", "number of items")),
    Column("total", "money", aliases=("amount", "total amount", "credit amount")),
], title="Bank pay bills report")

# The daily cash workbook: sheet names and the columns of its Payments table.
CASH_SHEETS = {
    "summary": "Summary", "payments": "Payments", "batches": "Batches", "bank": "Bank Pay Bills",
    "treasury": "Treasury Receipt", "deposit": "Deposit Slip", "petty": "Petty Cash",
}
CASH_DRAWER_SHEET_PREFIX = "Cashier "  # + drawer id, one Cashier's Report per drawer
CASH_PAYMENTS_TABLE = "Payments"
# The Payments table: these columns, then one money column per fund, then Disposition.
CASH_PAYMENTS_COLUMNS = ("Batch", "Source", "Drawer", "Row", "Type", "Account", "Payer", "Tender", "Check No",
                         "Date", "Amount")
CASH_FUND_ORDER = ("water", "wastewater", "fees", "unapplied", "electric", "permits", "suspense")
ENTRY_FILL = "FFF2CC"  # entry cells: typed by the clerk, unlocked


# --- special billing: pull list, print list, final bill, payoff, verify-run, inquiry ----

PULL_SHEET = SheetLayout("Pull", [
    Column("account", "account"),
    Column("customer", "text"),
    Column("bill_id", "int"),
    Column("bill_date", "date"),
    Column("period", "text"),
    Column("units", "decimal"),
    Column("average_units", "decimal", required=False, help="Average for the same length of period"),
    Column("estimated", "text", required=False, help="E = estimated read"),
    Column("total", "money"),
    Column("balance_after", "money"),
    Column("reason_count", "int"),
    Column("reasons", "text", width=80),
    Column("action", "choice", required=False, choices=("release", "hold", "rebill", "adjust"),
           help="What the clerk did with the bill"),
    Column("clerk_note", "text", required=False, width=30),
], title="Bills pulled from the mailing: work each one, then release or correct it")

PRINT_LIST = SheetLayout("Print", [
    Column("account", "account"),
    Column("customer", "text"),
    Column("bill_id", "int"),
    Column("bill_date", "date"),
    Column("period", "text"),
    Column("units", "decimal"),
    Column("total", "money"),
], title="Bills in the print file")

STATEMENT_SHEET = SheetLayout("Statement", [
    Column("section", "text"),
    Column("description", "text", width=48),
    Column("amount", "money", required=False),
    Column("basis", "text", width=90),
])

PAYOFF_SPLIT_SHEET = SheetLayout("Petition split", [
    Column("charge", "text", width=40),
    Column("dated", "date"),
    Column("pre_petition", "money"),
    Column("post_petition", "money"),
    Column("pre_unpaid", "money"),
    Column("post_unpaid", "money"),
    Column("basis", "text", width=60),
])

VERIFY_DIFFERENCES = SheetLayout("Differences", [
    Column("account", "account"),
    Column("bill_key", "text", required=False, width=40),
    Column("what", "choice", choices=("changed", "missing", "extra", "cannot verify")),
    Column("field", "text", required=False),
    Column("in_run", "text", required=False),
    Column("expected", "text", required=False),
    Column("note", "text", required=False, width=60),
])

INQUIRY_HISTORY = SheetLayout("Account history", [
    Column("date", "date"),
    Column("kind", "text"),
    Column("description", "text", width=48),
    Column("amount", "money"),
    Column("balance", "money"),
])

# --- collections: turn-off list, aging, credit portfolio -----------------------------------

TURNOFF_LIST_SHEET = SheetLayout("Turn-off list", [
    Column("rank", "int"),
    Column("account", "account"),
    Column("customer", "text", width=28),
    Column("service_address", "text", width=34),
    Column("class", "text"),
    Column("past_due", "money"),
    Column("noticed_amount", "money"),
    Column("notice_date", "date"),
    Column("earliest_turnoff", "date"),
    Column("last_payment", "date", required=False),
    Column("broken_arrangement", "bool"),
    Column("rental", "bool"),
    Column("landlord", "text", required=False),
    Column("meter", "text", required=False),
    Column("reason", "text", width=70),
])

TURNOFF_LEFT_OUT_SHEET = SheetLayout("Left out", [
    Column("account", "account"),
    Column("customer", "text", width=28),
    Column("service_address", "text", width=34),
    Column("class", "text"),
    Column("past_due", "money"),
    Column("noticed_amount", "money"),
    Column("notice_date", "date"),
    Column("earliest_turnoff", "date"),
    Column("last_payment", "date", required=False),
    Column("notice_removed", "bool"),
    Column("reason", "text", width=80),
])

AGING_ACCOUNTS_SHEET = SheetLayout("Aging", [
    Column("account", "account"),
    Column("class", "text"),
    Column("current", "money"),
    Column("1-30", "money"),
    Column("31-60", "money"),
    Column("61-90", "money"),
    Column("over 90", "money"),
    Column("total", "money"),
    Column("past_due", "money"),
    Column("age_days", "int"),
    Column("credit", "money"),
])

AGING_CHARGES_SHEET = SheetLayout("Aging by bill", [
    Column("account", "account"),
    Column("posting", "int"),
    Column("bill", "int", required=False),
    Column("kind", "text"),
    Column("dated", "date"),
    Column("due", "date"),
    Column("unpaid", "money"),
    Column("age_days", "int"),
    Column("bucket", "text"),
])

CREDIT_PROFILES_SHEET = SheetLayout("Profiles", [
    Column("account", "account"),
    Column("class", "text"),
    Column("bills_due", "int"),
    Column("on_time", "int"),
    Column("late", "int"),
    Column("average_days_late", "decimal", number_format="0.0"),
    Column("returned_payments", "int"),
    Column("broken_arrangements", "int"),
    Column("highest_past_due", "money"),
    Column("months_of_service", "int"),
    Column("past_due_now", "money"),
    Column("score", "int"),
    Column("band", "choice", choices=("low", "medium", "high")),
])

# --- the Excel side: inputs the ribbon tasks read from the clerk's workbook ----------------

RETURNS_SHEET = SheetLayout("Returns", [
    Column("account", "account", aliases=("account number", "acct", "account no")),
    Column("return_date", "date", aliases=("return date", "returned", "date")),
    Column("code", "text", aliases=("return code", "reason code", "r-code"), help="NSF for a check, else the NACHA R-code"),
    Column("posting", "int", required=False, aliases=("posting id", "payment posting")),
    Column("check_no", "text", required=False, aliases=("check", "check number", "check no")),
    Column("amount", "money", required=False, aliases=("payment amount",)),
], title="Returned checks and bank debits")
