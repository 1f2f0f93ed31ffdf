"""The payments and daily cash tables: posted payment batches and their items, suspense
and held items and what became of them, permit receipts, each item's parts by fund, drawer
counts, petty cash vouchers and the bank's own reports.

Why it exists: the payment batches (utilbill.batch_posting, suspense) write these and the
daily cash workbook (utilbill.cash_day) reads them; they are the cash side of the store,
apart from the ledger postings a payment makes. Use them through utilbill.store.schema,
which imports the areas in order so the tables join `metadata` in that order.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from .ledger_tables import metadata

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

CASH_APPEND_ONLY = ("payment_batches", "payment_items", "payment_allocations", "permit_receipts",
                    "drawer_counts", "bank_reports", "payment_resolutions")
