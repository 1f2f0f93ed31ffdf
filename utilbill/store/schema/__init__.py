"""The store's tables (SQLAlchemy Core), the system of record.

Money is integer cents. Postings, bills and bill lines are append-only: a correction is a
new posting that reverses or adjusts (triggers refuse UPDATE and DELETE on SQLite; the
PostgreSQL migration installs the same rule). Each area keeps its tables in its own module:

- ledger_tables: accounts and reads, jobs, bills and bill lines, postings, deposits, the
  audit log, and the one `metadata` every table belongs to;
- collections_tables: notices, holds, arrangements, extensions, returned payments;
- cash_tables: payment batches and items, suspense and held items, drawer counts, petty
  cash, the bank's reports;
- special billing (final bills, leak adjustments, review before mailing): here, below.

Callers use this package (`schema.bills`, `schema.metadata`, `schema.APPEND_ONLY`). It
imports the areas in the order above, whichever module is imported first, so the tables
join `metadata` in that order, and APPEND_ONLY (the tables the migrations give append-only
triggers and `utilbill check` verifies) lists them area by area in that order.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, ForeignKey, Integer, String, Table, Text, UniqueConstraint

# the order of these imports is the order the tables join `metadata`: keep it
# isort: off
from .ledger_tables import (  # noqa: F401  (re-exported: callers read schema.<table>)
    LEDGER_APPEND_ONLY, POSTINGS_REVERSES_INDEX, accounts, audit_log, bill_lines, bills, deposits, jobs, metadata,
    postings, reads, schema_version)
from .collections_tables import (  # noqa: F401  (re-exported: callers read schema.<table>)
    COLLECTIONS_APPEND_ONLY, POSTINGS_BALANCE_INDEX, arrangement_installments, arrangements, extensions, holds,
    notice_events, notices, returned_payments)
from .cash_tables import (  # noqa: F401  (re-exported: callers read schema.<table>)
    CASH_APPEND_ONLY, bank_reports, drawer_counts, payment_allocations, payment_batches, payment_holds,
    payment_items, payment_resolutions, payment_suspense, permit_receipts, petty_cash_vouchers)
# isort: on

# Tables whose rows are never updated or deleted.
APPEND_ONLY = LEDGER_APPEND_ONLY + COLLECTIONS_APPEND_ONLY + CASH_APPEND_ONLY


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
