"""The store: the system of record (accounts, reads, bills, postings, audit log, ...)."""

from .db import Store, create_sqlite_store, now_iso, open_store  # noqa: F401
