"""Versioned schema migrations. Version N is MIGRATIONS[N-1]; each runs once, in order.

Version 1 creates the tables of `schema` and the append-only rules. A later change adds a
function here (never edits an applied one) so a utility's store upgrades in place.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert, inspect, select
from sqlalchemy.engine import Connection

from . import schema


def _v1_create(conn: Connection) -> None:
    schema.metadata.create_all(conn)
    _append_only_rules(conn, schema.APPEND_ONLY)


def _append_only_rules(conn: Connection, tables) -> None:
    dialect = conn.dialect.name
    for table in tables:
        if dialect == "sqlite":
            for op in ("UPDATE", "DELETE"):
                conn.exec_driver_sql(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: post a correction instead'); END"
                )
        elif dialect == "postgresql":
            conn.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION utilbill_append_only() RETURNS trigger AS $$ BEGIN "
                # '%%': the driver's placeholder syntax; PostgreSQL receives one '%'
                "RAISE EXCEPTION '%% are append-only: post a correction instead', TG_TABLE_NAME; END $$ LANGUAGE plpgsql"
            )
            conn.exec_driver_sql(
                f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION utilbill_append_only()"
            )


def _v2_reversals_index(conn: Connection) -> None:
    # a store created at version 1 by this code already has it (create_all builds the
    # current schema): create it only where missing
    schema.POSTINGS_REVERSES_INDEX.create(conn, checkfirst=True)


def _v3_drop_duplicate_indexes(conn: Connection) -> None:
    # each was the leading columns of another index (uq_read, ix_postings_balance): every
    # insert paid for keeping it, no query needed it
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_reads_account_date")
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_postings_account")


def _v4_ledger_columns_in_balance_index(conn: Connection) -> None:
    # the collections screen reads due date, kind, bill and reversal beside the balance
    # columns; rebuilt even where create_all already made it so (an empty store: instant)
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_postings_balance")
    schema.POSTINGS_BALANCE_INDEX.create(conn)


def _v5_payment_resolutions(conn: Connection) -> None:
    # what became of suspense and held items (a store made at version 1 by this code has it)
    schema.payment_resolutions.create(conn, checkfirst=True)
    for index in schema.payment_resolutions.indexes:
        index.create(conn, checkfirst=True)
    _append_only_rules(conn, ("payment_resolutions",))


MIGRATIONS = [
    ("create the tables and the append-only rules", _v1_create),
    ("a partial index of reversal postings (cancelled bills without a full scan)", _v2_reversals_index),
    ("drop two indexes that repeated the leading columns of others", _v3_drop_duplicate_indexes),
    ("the balance index also holds the ledger columns the collections jobs read", _v4_ledger_columns_in_balance_index),
    ("what became of suspense and held items: applied, released or returned", _v5_payment_resolutions),
]


def apply_migrations(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        schema.schema_version.create(conn)
    current = conn.execute(select(schema.schema_version.c.version).order_by(
        schema.schema_version.c.version.desc())).scalar() or 0
    for version, (description, fn) in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        fn(conn)
        conn.execute(insert(schema.schema_version).values(
            version=version, applied_at=datetime.now(timezone.utc).isoformat(), description=description))
        current = version
    return current
