"""Opening the store, migrating it, writing in one transaction, and backing it up.

SQLite is the embedded default (one file in the utility folder, WAL journal, a busy timeout
so two clerks can work at once, `BEGIN IMMEDIATE` for every write so a job either posts
everything or nothing). The same code runs on PostgreSQL given a `postgresql://` URL.
The store file and its backups are readable by their owner only.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from . import schema
from .migrations import MIGRATIONS, apply_migrations

BUSY_TIMEOUT_MS = 30_000


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return f"uid{os.getuid()}"



class Store:
    """The system of record. Cheap to create; one per process."""

    def __init__(self, url: str, *, clerk: str | None = None, path: Path | None = None):
        self.url = url
        self.path = path
        self.clerk = clerk or os_user()
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            self._setup_sqlite()

    # -- sqlite specifics --------------------------------------------------------------
    def _setup_sqlite(self) -> None:
        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        @event.listens_for(self.engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("write") else "BEGIN")

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    # -- transactions ------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: everything in it is posted, or nothing is."""
        attempts = 0
        while True:
            try:
                with self.engine.connect() as conn:
                    conn.info["write"] = True
                    with conn.begin():
                        yield conn
                    conn.info["write"] = False
                return
            except OperationalError as e:  # "database is locked" beyond the busy timeout
                attempts += 1
                if "locked" not in str(e).lower() or attempts >= 5:
                    raise
                time.sleep(0.2 * attempts)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            with conn.begin():
                yield conn

    # -- lifecycle ---------------------------------------------------------------------
    def migrate(self) -> int:
        """Bring the schema to the newest version; returns the version."""
        with self.write() as conn:
            return apply_migrations(conn)

    def version(self) -> int:
        with self.read() as conn:
            try:
                return conn.execute(select(schema.schema_version.c.version).order_by(
                    schema.schema_version.c.version.desc())).scalar() or 0
            except OperationalError:
                return 0

    def backup(self, dest: Path) -> Path:
        """An online backup (SQLite's backup API) to `dest`, owner-readable only."""
        if not self.is_sqlite or self.path is None:
            raise RuntimeError("online backup is for the SQLite store; use pg_dump for PostgreSQL")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(dest.suffix + ".tmp")
        src = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            # the copy is written without a journal or a sync per page (it is a new file,
            # renamed into place once whole and synced). (Reading the store through a memory
            # map would be faster still, but would count the whole store in the job's memory.)
            dst = sqlite3.connect(str(tmp))
            try:
                dst.execute("PRAGMA journal_mode = OFF")
                dst.execute("PRAGMA synchronous = OFF")
                src.backup(dst)  # all pages in one step: one consistent snapshot
            finally:
                dst.close()
        finally:
            src.close()
        os.chmod(tmp, 0o600)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
        return dest

    def dispose(self) -> None:
        self.engine.dispose()

    # -- audit -------------------------------------------------------------------------
    def audit(self, conn: Connection, action: str, *, account_no=None, entity=None, entity_id=None,
              reason=None, override=False, source_file=None, source_hash=None, details=None) -> None:
        conn.execute(insert(schema.audit_log).values(
            at=now_iso(), clerk=self.clerk, action=action, account_no=account_no, entity=entity,
            entity_id=entity_id, reason=reason, override=override,
            source_file=str(source_file) if source_file else None, source_hash=source_hash,
            details=json.dumps(details, default=str) if details is not None else None,
        ))


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{Path(path).resolve()}"


def create_sqlite_store(path: Path, *, clerk: str | None = None) -> Store:
    """Create (or open) a SQLite store file, owner-readable only, and migrate it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(str(path), os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    os.chmod(path, 0o600)
    store = Store(sqlite_url(path), clerk=clerk, path=path)
    store.migrate()
    for extra in ("-wal", "-shm"):
        p = Path(str(path) + extra)
        if p.exists():
            os.chmod(p, 0o600)
    return store


def open_store(url_or_path: str | Path, *, clerk: str | None = None) -> Store:
    """Open a store by SQLite path or SQLAlchemy URL; refuses a store newer than this code."""
    s = str(url_or_path)
    if "://" in s:
        store = Store(s, clerk=clerk)
    else:
        path = Path(s)
        if not path.exists():
            raise FileNotFoundError(f"no store at {path}; create one with 'utilbill init'")
        store = Store(sqlite_url(path), clerk=clerk, path=path)
    v = store.version()
    newest = len(MIGRATIONS)
    if v > newest:
        raise RuntimeError(f"the store is at schema version {v}, newer than this utilbill ({newest}); upgrade utilbill")
    if v < newest:
        store.migrate()
    return store
