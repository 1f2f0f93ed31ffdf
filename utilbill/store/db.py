"""Opening the store, migrating it, writing in one transaction, and backing it up.

SQLite is the embedded default (one file in the utility folder, WAL journal, a busy timeout
so two clerks can work at once, `BEGIN IMMEDIATE` for every write so a job either posts
everything or nothing, and `synchronous = FULL` so a commit is on disk before the job
reports it). The same code runs on PostgreSQL given a `postgresql://` URL.
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
from typing import Callable, Iterator

from sqlalchemy import create_engine, event, insert, inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from . import schema
from .migrations import MIGRATIONS, apply_migrations

BUSY_TIMEOUT_MS = 30_000
AUTOCHECKPOINT_PAGES = 1000  # SQLite's default: the log is folded into the file past ~4 MB


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
        self._checkpoints: list = []
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
            # FULL: the log is synced at every commit, so a posted job survives a power cut
            # (NORMAL would only sync at checkpoints, and could lose the last commits)
            cur.execute("PRAGMA synchronous = FULL")
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
    def write(self, *, bulk: bool = False) -> Iterator[Connection]:
        """One write transaction: everything in it is posted, or nothing is.

        `bulk=True` (a bill run, an import, a payment batch) on SQLite: the commit syncs the
        log as always, but does not also fold the hundreds of megabytes it wrote into the
        store file before the job can report; that checkpoint runs on a thread after the
        commit (`checkpoint_in_background`), while the job finishes its output. Readers see
        the commit either way."""
        attempts = 0
        while True:
            try:
                with self.engine.connect() as conn:
                    conn.info["write"] = True
                    deferred = bulk and self.is_sqlite
                    if deferred:
                        _pragma(conn, "wal_autocheckpoint = 0")
                    try:
                        with conn.begin():
                            yield conn
                    finally:
                        if deferred:
                            _pragma(conn, f"wal_autocheckpoint = {AUTOCHECKPOINT_PAGES}")
                    conn.info["write"] = False
                if deferred:
                    self.checkpoint_in_background()
                return
            except OperationalError as e:  # "database is locked" beyond the busy timeout
                attempts += 1
                if "locked" not in str(e).lower() or attempts >= 5:
                    raise
                time.sleep(0.2 * attempts)

    def checkpoint_in_background(self) -> None:
        """Fold the write-ahead log into the store file on a thread (a passive checkpoint: it
        never holds up readers or writers). The thread is not a daemon, so a command finishes
        it before the process exits; `wait_for_checkpoints` waits for it."""
        import threading

        if not (self.is_sqlite and self.path):
            return

        def run():
            con = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000)
            try:
                con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error:
                pass  # the next commits' own checkpoints fold in what this one could not
            finally:
                con.close()

        t = threading.Thread(target=run, name="utilbill-checkpoint")
        t.start()
        self._checkpoints = [c for c in self._checkpoints if c.is_alive()] + [t]

    def wait_for_checkpoints(self) -> None:
        for t in self._checkpoints:
            t.join()
        self._checkpoints = []

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
        """The schema version; 0 for an empty database (asked first: on PostgreSQL a failed
        query would abort the transaction)."""
        with self.read() as conn:
            if not inspect(conn).has_table("schema_version"):
                return 0
            return conn.execute(select(schema.schema_version.c.version).order_by(
                schema.schema_version.c.version.desc())).scalar() or 0

    def backup(self, dest: Path, *, on_snapshot: Callable[[], None] | None = None) -> Path:
        """A consistent copy of the store at `dest`, owner-readable only, written beside it and
        renamed into place once whole and synced.

        When the store is quiet enough that its write-ahead log can be folded in first, the
        file itself is copied by the kernel while a read transaction holds that state
        (`_copy_checkpointed`; about twice as fast, and little CPU); otherwise SQLite's backup
        API copies it page by page. Writers are never held up by either. `on_snapshot` is
        called once the state being copied is fixed (a job that backs up on a thread starts
        its own reading after that, so its read does not keep the checkpoint waiting)."""
        if not self.is_sqlite or self.path is None:
            raise RuntimeError("online backup is for the SQLite store; use pg_dump for PostgreSQL")
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(dest.suffix + ".tmp")
        src = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            if not _copy_checkpointed(src, self.path, tmp, on_snapshot or (lambda: None)):
                if on_snapshot is not None:
                    on_snapshot()
                _copy_pages(src, tmp)
        finally:
            src.close()
        os.chmod(tmp, 0o600)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, dest)
        return dest

    def dispose(self) -> None:
        self.wait_for_checkpoints()
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


def _pragma(conn: Connection, setting: str) -> None:
    """A connection setting, outside any transaction (straight to the driver's connection)."""
    conn.connection.driver_connection.execute(f"PRAGMA {setting}")


CHECKPOINT_WAIT_MS = 200  # how long a backup waits for readers before copying page by page


def _copy_checkpointed(src: sqlite3.Connection, path: Path, tmp: Path, on_snapshot: Callable[[], None]) -> bool:
    """Copy the store file while it alone holds the whole store; False when it cannot be sure.

    A TRUNCATE checkpoint folds every committed transaction into the file and empties the
    write-ahead log. A read transaction then begins: when the log is still empty at that
    point, this reader's snapshot is the file itself, and SQLite may not write anything into
    the file under a reader that reads the file alone (later commits wait in the log until
    the reader ends). So the file is copied whole under that read, and it is the snapshot.
    When a reader keeps the checkpoint from finishing, or a writer commits between the
    checkpoint and the read, the caller copies page by page instead."""
    src.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
    try:
        busy, _, _ = src.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.OperationalError:  # locked: a writer is committing
        busy = 1
    src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if busy:
        return False
    wal = Path(str(path) + "-wal")
    src.execute("BEGIN")
    try:
        src.execute("SELECT count(*) FROM sqlite_schema").fetchone()  # the read snapshot starts here
        if wal.exists() and wal.stat().st_size > 0:
            return False
        on_snapshot()
        _copy_file(path, tmp)
        return True
    finally:
        src.execute("ROLLBACK")


def _copy_file(path: Path, tmp: Path) -> None:
    import shutil

    shutil.copyfile(path, tmp)  # in the kernel (sendfile) on Linux


def _copy_pages(src: sqlite3.Connection, tmp: Path) -> None:
    """SQLite's online backup: a consistent snapshot copied page by page. The copy is written
    without a journal or a sync per page (it is a new file, synced once whole)."""
    if tmp.exists():
        tmp.unlink()
    dst = sqlite3.connect(str(tmp))
    try:
        dst.execute("PRAGMA journal_mode = OFF")
        dst.execute("PRAGMA synchronous = OFF")
        src.backup(dst)  # all pages in one step: one consistent snapshot
    finally:
        dst.close()


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
