"""The ledger's tables: accounts and their reads, jobs, bills and bill lines, postings,
deposits and the audit log, and the store's schema_version.

Why it exists: every other area of the store points at these (an account, a job, a bill, a
posting), so they come first, with the one `metadata` every table of the store belongs to.
Money is integer cents. Use them through utilbill.store.schema, which imports the areas in
order so the tables join `metadata` in that order.
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
# (an account's postings by date are found through ix_postings_balance (collections_tables.py),
# whose first columns are account_no, effective_date)
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
LEDGER_APPEND_ONLY = ("postings", "bills", "bill_lines", "audit_log", "deposits")
