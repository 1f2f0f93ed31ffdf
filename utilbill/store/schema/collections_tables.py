"""The collections tables: notices and their events, holds (protections and landlord
answers), payment arrangements and their installments, extensions, returned payments; and
the postings index the notice run and the turn-off list read.

Why it exists: the collections jobs (utilbill.collections_jobs, arrangement_jobs,
returned_payment_job) keep their state here, apart from the ledger they read with it
(store/collections_repo.py, collections_screen.py). Use them through utilbill.store.schema,
which imports the areas in order so the tables join `metadata` in that order.
"""

from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text,
                        UniqueConstraint)

from .ledger_tables import metadata, postings

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

COLLECTIONS_APPEND_ONLY = ("notice_events", "arrangement_installments", "extensions", "returned_payments")

# The notice run picks its candidates by balance over all postings in one GROUP BY, and it
# and the turn-off list replay each candidate's recent ledger (store/collections_screen.py):
# this index holds every column they read, so the database answers both from the index
# alone instead of one table row per posting (5x less at 100,000 accounts). Version 4 added
# the ledger columns after the first three.
POSTINGS_BALANCE_INDEX = Index("ix_postings_balance", postings.c.account_no, postings.c.effective_date,
                               postings.c.amount_cents, postings.c.due_date, postings.c.kind, postings.c.bill_id,
                               postings.c.reverses_id)
