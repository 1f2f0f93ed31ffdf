"""The store's tables (SQLAlchemy Core), the system of record.

Money is integer cents. Postings, bills and bill lines are append-only: a correction is a
new posting that reverses or adjusts (triggers refuse UPDATE and DELETE on SQLite; the
PostgreSQL migration installs the same rule). Each area keeps its tables in its own section.
"""

from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, Column, Date, ForeignKey, Index, Integer,
                        MetaData, String, Table, Text, UniqueConstraint)

metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", String(32), nullable=False),
    Column("description", Text, nullable=False),
)

# --- accounts and meters -----------------------------------------------------------------

accounts = Table(
    "accounts", metadata,
    Column("account_no", String(32), primary_key=True),
    Column("premise_id", String(32), nullable=False, index=True),  # the property served
    Column("account_class", String(16), nullable=False),  # residential | commercial
    Column("status", String(16), nullable=False, default="active"),  # active | final | closed
    Column("customer_name", Text, nullable=False),
    Column("customer_role", String(16), nullable=False, default="owner"),  # owner | tenant
    Column("service_address", Text, nullable=False),
    Column("mailing_address", Text, nullable=False),
    Column("email", Text),
    Column("phone", Text),
    Column("notice_delivery", String(16), nullable=False, default="mail"),  # mail | email | in_person
    Column("owner_name", Text),  # the property owner when the customer is a tenant
    Column("landlord_name", Text),
    Column("landlord_address", Text),
    Column("third_party_name", Text),  # designee who gets a copy of every notice
    Column("third_party_address", Text),
    Column("meter_id", String(32)),
    Column("meter_size", String(8), nullable=False),
    Column("meter_dials", Integer),  # None when unknown
    Column("flags", Text, nullable=False, default=""),  # comma list: bankruptcy, estate, ...
    Column("cash_only", Boolean, nullable=False, default=False),
    Column("service_start", Date, nullable=False),
    Column("service_end", Date),
    Column("cycle", String(8)),  # read route / cycle
    Column("winter_average_override", String(16)),  # Decimal text; None = computed
    Column("created_at", String(32), nullable=False),
)

reads = Table(
    "reads", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_no", String(32), ForeignKey("accounts.account_no"), nullable=False),
    Column("read_date", Date, nullable=False),
    Column("reading", BigInteger, nullable=False),
    Column("read_type", String(16), nullable=False),  # actual | estimated | final | initial
    Column("source", Text),
    Column("job_id", Integer),
    Column("created_at", String(32), nullable=False),
    UniqueConstraint("account_no", "read_date", "read_type", name="uq_read"),
)
# (an account's reads by date are found through uq_read: account_no, read_date, read_type)

# --- jobs, bills and postings ------------------------------------------------------------

jobs = Table(
    "jobs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # bill-run, import-accounts, payments, ...
    Column("job_key", String(128), nullable=False, unique=True),  # idempotency key
    Column("run_date", Date),
    Column("started_at", String(32), nullable=False),
    Column("clerk", String(64), nullable=False),
    Column("source_file", Text),
    Column("source_hash", String(64)),
    Column("summary", Text),  # JSON
)

bills = Table(
    "bills", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bill_key", String(160), nullable=False, unique=True),  # idempotency
    Column("account_no", String(32), ForeignKey("accounts.account_no"), nullable=False),
    Column("job_id", Integer, ForeignKey("jobs.id")),
    Column("kind", String(16), nullable=False),  # regular | first | final | special | rebill
    Column("bill_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("period_start", Date, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("previous_reading", BigInteger),
    Column("reading", BigInteger),
    Column("units", String(24), nullable=False),  # Decimal text (whole units on cycle bills)
    Column("estimated", Boolean, nullable=False, default=False),
    Column("rollover", Boolean, nullable=False, default=False),
    Column("regular", Boolean, nullable=False),
    Column("months", String(24), nullable=False),  # scale factor shown on the bill
    Column("winter_average", String(16)),
    Column("wastewater_units", String(24)),
    Column("total_cents", BigInteger, nullable=False),
    Column("replaces_bill_id", Integer),
    Column("created_at", String(32), nullable=False),
)
Index("ix_bills_account", bills.c.account_no, bills.c.period_end)

bill_lines = Table(
    "bill_lines", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("bill_id", Integer, ForeignKey("bills.id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("code", String(32), nullable=False),
    Column("description", Text, nullable=False),
    Column("fund", String(16), nullable=False),
    Column("quantity", String(24), nullable=False),
    Column("rate", String(24), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("basis", Text, nullable=False),
)

postings = Table(
    "postings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_no", String(32), ForeignKey("accounts.account_no"), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("posted_at", String(32), nullable=False),
    Column("kind", String(24), nullable=False),  # bill, payment, adjustment, late_charge, fee, reversal, deposit_applied, refund
    Column("amount_cents", BigInteger, nullable=False),  # + charge, - credit
    Column("due_date", Date),
    Column("bill_id", Integer, ForeignKey("bills.id")),
    Column("reverses_id", Integer, ForeignKey("postings.id")),
    Column("fund", String(16)),
    Column("parts", Text),  # JSON {fund: cents} for multi-fund charges
    Column("ref", Text),  # check number, return code
    Column("reason_code", String(32)),
    Column("memo", Text),
    Column("batch_id", Integer),
    Column("job_id", Integer, ForeignKey("jobs.id")),
    Column("clerk", String(64), nullable=False),
    Column("source_file", Text),
    Column("source_hash", String(64)),
    Column("idem_key", String(160), unique=True),
)
# (an account's postings by date are found through ix_postings_balance below, whose first
# columns are account_no, effective_date)
# Reversals are few; this partial index finds them (and so the cancelled bills) without
# reading every posting. Added by migration 2.
POSTINGS_REVERSES_INDEX = Index("ix_postings_reverses", postings.c.reverses_id,
                                sqlite_where=postings.c.reverses_id.isnot(None),
                                postgresql_where=postings.c.reverses_id.isnot(None))

deposits = Table(
    "deposits", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_no", String(32), ForeignKey("accounts.account_no"), nullable=False, index=True),
    Column("received_date", Date, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),  # + held, - applied or refunded
    Column("kind", String(16), nullable=False),  # held | applied | refunded
    Column("posting_id", Integer),
    Column("clerk", String(64), nullable=False),
    Column("memo", Text),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("clerk", String(64), nullable=False),
    Column("action", String(48), nullable=False),
    Column("account_no", String(32)),
    Column("entity", String(32)),
    Column("entity_id", Integer),
    Column("reason", Text),
    Column("override", Boolean, nullable=False, default=False),
    Column("source_file", Text),
    Column("source_hash", String(64)),
    Column("details", Text),  # JSON
)
Index("ix_audit_at", audit_log.c.at)

# Tables whose rows are never updated or deleted.
APPEND_ONLY = ("postings", "bills", "bill_lines", "audit_log", "deposits")

# --- collections (notices, turn-off list, arrangements, extensions, holds, returns) -------

# A notice row is status data, not money: its status changes (active -> removed) are also
# appended to notice_events, so the history of every notice can be read back.
notices = Table(
    "notices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_key", String(160), nullable=False, unique=True),  # account:oldest due:past-due cents
    Column("account_no", String(32), ForeignKey("accounts.account_no"), nullable=False, index=True),
    Column("issued_date", Date, nullable=False),
    Column("earliest_turnoff", Date, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),  # past due stated on the notice
    Column("oldest_due", Date),
    Column("reason", Text, nullable=False),
    Column("delivery", String(16), nullable=False),  # mail | email | in_person
    Column("status", String(16), nullable=False, default="active"),  # active | removed
    Column("status_date", Date),
    Column("job_id", Integer, ForeignKey("jobs.id")),
    Column("clerk", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
)

notice_events = Table(
    "notice_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_id", Integer, ForeignKey("notices.id"), nullable=False, index=True),
    Column("event", String(24), nullable=False),  # issued | removed | worked
    Column("event_date", Date, nullable=False),
    Column("reason", Text),
    Column("clerk", String(64), nullable=False),
    Column("at", String(32), nullable=False),
)

# Protections and landlord answers, each in force on the half-open days [start_date, end_date)
# (end_date None = until ended). kind: landlord_hold | landlord_proceed | conference |
# medical | assistance | assistance_referral | bankruptcy.
holds = Table(
    "holds", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_no", String(32), ForeignKey("accounts.account_no"), nullable=False, index=True),
    Column("kind", String(24), nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    Column("notice_id", Integer, ForeignKey("notices.id")),  # medical: once per noticed past due
    Column("reference", Text),  # physician, case number, petition number, landlord name
    Column("memo", Text),
    Column("clerk", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
)

arrangements = Table(
    "arrangements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_no", String(32), ForeignKey("accounts.account_no"), nullable=False, index=True),
    Column("made_date", Date, nullable=False),
    Column("past_due_cents", BigInteger, nullable=False),
    Column("down_cents", BigInteger, nullable=False),
    Column("installments", Integer, nullable=False),
    Column("first_due", Date, nullable=False),
    Column("assistance", Boolean, nullable=False, default=False),
    Column("override", Boolean, nullable=False, default=False),  # supervisor override of eligibility
    Column("override_reason", Text),
    Column("status", String(16), nullable=False, default="current"),  # current | kept | broken
    Column("status_date", Date),
    Column("clerk", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
)

arrangement_installments = Table(
    "arrangement_installments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("arrangement_id", Integer, ForeignKey("arrangements.id"), nullable=False, index=True),
    Column("number", Integer, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    UniqueConstraint("arrangement_id", "number", name="uq_installment"),
)

extensions = Table(
    "extensions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_no", String(32), ForeignKey("accounts.account_no"), nullable=False, index=True),
    Column("granted_date", Date, nullable=False),
    Column("new_due", Date, nullable=False),
    Column("business_days", Integer, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("reason", Text),
    Column("clerk", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
)

returned_payments = Table(
    "returned_payments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_no", String(32), ForeignKey("accounts.account_no"), nullable=False, index=True),
    Column("payment_posting_id", Integer, ForeignKey("postings.id"), nullable=False, unique=True),
    Column("reversal_posting_id", Integer, ForeignKey("postings.id"), nullable=False),
    Column("fee_posting_id", Integer, ForeignKey("postings.id")),
    Column("return_date", Date, nullable=False),
    Column("code", String(8), nullable=False),  # NSF (check) or a NACHA R-code
    Column("check_no", Text),
    Column("amount_cents", BigInteger, nullable=False),
    Column("action", String(24), nullable=False),  # represent | new_payment_method | stop_debits | none
    Column("notice_id", Integer, ForeignKey("notices.id")),
    Column("cash_only_set", Boolean, nullable=False, default=False),
    Column("clerk", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
)

APPEND_ONLY = APPEND_ONLY + ("notice_events", "arrangement_installments", "extensions", "returned_payments")

# The notice run picks its candidates by balance over all postings in one GROUP BY, and it
# and the turn-off list replay each candidate's recent ledger (store/collections_screen.py):
# this index holds every column they read, so the database answers both from the index
# alone instead of one table row per posting (5x less at 100,000 accounts). Version 4 added
# the ledger columns after the first three.
POSTINGS_BALANCE_INDEX = Index("ix_postings_balance", postings.c.account_no, postings.c.effective_date,
                               postings.c.amount_cents, postings.c.due_date, postings.c.kind, postings.c.bill_id,
                               postings.c.reverses_id)

# --- payments and daily cash ------------------------------------------------------------

# One row per posted payment batch (a batch that did not balance is never stored; the clerk
# sees its differences instead). file_hash makes re-posting the same file a no-op.
payment_batches = Table(
    "payment_batches", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, ForeignKey("jobs.id")),
    Column("batch_date", Date, nullable=False),  # the business day whose cash it belongs to
    Column("source", String(16), nullable=False),  # walk-in | mail | telepay | bank | online | permits
    Column("drawer", String(32)),  # cash drawer (walk-in counter); None for mail, telepay, ...
    Column("control_count", Integer, nullable=False),
    Column("control_total_cents", BigInteger, nullable=False),
    Column("item_count", Integer, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("source_file", Text),
    Column("file_hash", String(64), nullable=False, unique=True),
    Column("status", String(16), nullable=False, default="posted"),
    Column("posted_at", String(32), nullable=False),
    Column("clerk", String(64), nullable=False),
)
Index("ix_payment_batches_date", payment_batches.c.batch_date)

# Every item of a posted batch, whatever became of it (posted to an account, suspense,
# held, electric, permit): the day's Payments table is read from here.
payment_items = Table(
    "payment_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("batch_id", Integer, ForeignKey("payment_batches.id"), nullable=False, index=True),
    Column("row", Integer, nullable=False),  # the row in the batch file, as Excel shows it
    Column("line_type", String(16), nullable=False),  # payment | electric | permit
    Column("account_no", String(32)),  # as written on the item (may be unknown: suspense)
    Column("payer", Text),
    Column("amount_cents", BigInteger, nullable=False),
    Column("tender", String(16), nullable=False),  # cash | check | card | ach
    Column("check_no", String(32)),
    Column("pay_date", Date, nullable=False),
    Column("disposition", String(16), nullable=False),  # posted | suspense | held | electric | permit
    Column("posting_id", Integer, ForeignKey("postings.id")),
    Column("reason", Text),
)
Index("ix_payment_items_dup", payment_items.c.pay_date, payment_items.c.account_no)

# Items whose account is not in the store; resolved later by posting to the right account.
payment_suspense = Table(
    "payment_suspense", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("payment_items.id"), nullable=False, unique=True),
    Column("account_no", String(32)),
    Column("amount_cents", BigInteger, nullable=False),
    Column("status", String(16), nullable=False, default="open"),  # open | resolved
    Column("resolved_posting_id", Integer),
    Column("resolved_at", String(32)),
)

# Items held for review: a duplicate (same account, amount, check number, date) or a check/ACH
# from a cash-only account.
payment_holds = Table(
    "payment_holds", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("payment_items.id"), nullable=False, unique=True),
    Column("account_no", String(32)),
    Column("reason", String(16), nullable=False),  # duplicate | cash_only
    Column("detail", Text),
    Column("duplicate_of_item_id", Integer),
    Column("status", String(16), nullable=False, default="held"),  # held | released | returned
    Column("resolved_at", String(32)),
)

# Tap and permit fees: receipts to the permits fund, not account payments.
permit_receipts = Table(
    "permit_receipts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("payment_items.id"), nullable=False, unique=True),
    Column("permit_no", String(32), nullable=False),
    Column("payer", Text),
    Column("receipt_date", Date, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
)

# What each payment item paid, by fund (water, wastewater, fees, unapplied, electric,
# permits, suspense); the parts of one item add up to its amount.
payment_allocations = Table(
    "payment_allocations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("payment_items.id"), nullable=False, index=True),
    Column("posting_id", Integer, ForeignKey("postings.id")),
    Column("fund", String(16), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
)

# Cash counted in a drawer by denomination (and the checks in it); a recount appends, the
# newest count of an item wins.
drawer_counts = Table(
    "drawer_counts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("count_date", Date, nullable=False),
    Column("drawer", String(32), nullable=False),  # a drawer id, or PETTY-CASH for the envelope
    Column("item", String(16), nullable=False),  # bill_100 ... coin_1, checks, cash_on_hand
    Column("quantity", Integer, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("counted_at", String(32), nullable=False),
    Column("clerk", String(64), nullable=False),
)
Index("ix_drawer_counts_day", drawer_counts.c.count_date, drawer_counts.c.drawer)

petty_cash_vouchers = Table(
    "petty_cash_vouchers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("voucher_date", Date, nullable=False, index=True),
    Column("voucher_no", String(32), nullable=False),
    Column("payee", Text, nullable=False),
    Column("purpose", Text),
    Column("amount_cents", BigInteger, nullable=False),
    Column("clerk", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("reimbursed_on", Date),  # set when the fund is replenished; the voucher leaves the envelope
)

# The bank's own report of the pay bills it took for us: balanced against the posted items.
bank_reports = Table(
    "bank_reports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_date", Date, nullable=False, index=True),
    Column("bank", String(64), nullable=False),
    Column("item_count", Integer, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("source_file", Text),
    Column("file_hash", String(64)),
    Column("recorded_at", String(32), nullable=False),
    Column("clerk", String(64), nullable=False),
    UniqueConstraint("report_date", "bank", "file_hash", name="uq_bank_report"),
)

# What became of a suspense or held item: applied to an account (a payment posted, dated
# when the money came in), released (a held item posted to its own account), or returned to
# the payer. One row per item; `parts` is the money's move out of suspense by fund (JSON
# {fund: cents}, adding up to the amount; a return moves it to `refund`). The status columns
# of payment_suspense / payment_holds follow it for the listings. Added by migration 5.
payment_resolutions = Table(
    "payment_resolutions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("payment_items.id"), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # applied | released | returned
    Column("resolved_date", Date, nullable=False),
    Column("account_no", String(32), ForeignKey("accounts.account_no")),  # None when returned
    Column("posting_id", Integer, ForeignKey("postings.id")),  # the payment posted; None when returned
    Column("amount_cents", BigInteger, nullable=False),
    Column("parts", Text, nullable=False),
    Column("memo", Text),
    Column("clerk", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
)
Index("ix_payment_resolutions_date", payment_resolutions.c.resolved_date)

APPEND_ONLY = APPEND_ONLY + ("payment_batches", "payment_items", "payment_allocations", "permit_receipts",
                             "drawer_counts", "bank_reports", "payment_resolutions")


# --- special billing (final bills, leak adjustments, review before mailing) -------------

move_outs = Table(
    "move_outs", metadata,  # one row per final bill: who left, who came, the deposit's fate
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_no", String(32), ForeignKey("accounts.account_no"), nullable=False, unique=True),
    Column("move_out", Date, nullable=False),
    Column("final_bill_id", Integer, ForeignKey("bills.id")),
    Column("reading", BigInteger),
    Column("estimated", Boolean, nullable=False, default=False),
    Column("new_account_no", String(32)),
    Column("previous_balance_cents", BigInteger, nullable=False),  # incl. late charges assessed with it
    Column("deposit_held_cents", BigInteger, nullable=False, default=0),
    Column("deposit_applied_cents", BigInteger, nullable=False, default=0),
    Column("credit_refund_cents", BigInteger, nullable=False, default=0),
    Column("amount_due_cents", BigInteger, nullable=False),
    Column("printed", Boolean, nullable=False),
    Column("clerk", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
)

leak_adjustments = Table(
    "leak_adjustments", metadata,  # at most one per account per leak_adjustment.once_per_months
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_no", String(32), ForeignKey("accounts.account_no"), nullable=False, index=True),
    Column("bill_id", Integer, ForeignKey("bills.id"), nullable=False, unique=True),
    Column("adjusted_on", Date, nullable=False),
    Column("average_units", String(24), nullable=False),  # the 12-month average for the period
    Column("units_credited", String(24), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),  # the credit, positive
    Column("posting_id", Integer, ForeignKey("postings.id"), nullable=False),
    Column("clerk", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
)

bill_pulls = Table(
    "bill_pulls", metadata,  # the review of a bill run: each bill printed or pulled, and why
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, ForeignKey("jobs.id"), nullable=False, index=True),
    Column("bill_id", Integer, ForeignKey("bills.id"), nullable=False),
    Column("account_no", String(32), nullable=False),
    Column("decision", String(8), nullable=False),  # print | pull
    Column("reasons", Text, nullable=False, default=""),  # "; "-separated
    Column("reviewed_at", String(32), nullable=False),
    Column("clerk", String(64), nullable=False),
    UniqueConstraint("job_id", "bill_id", name="uq_bill_pull"),
)

APPEND_ONLY = APPEND_ONLY + ("move_outs", "leak_adjustments", "bill_pulls")
