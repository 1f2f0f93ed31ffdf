"""Backing up the store on demand and restoring it from a backup.

Why it exists: a posting run backs the store up first (`Utility.backup`, keeping the newest
`store.backups_keep`); when the books go wrong (a bad import taken on purpose, a disk
problem, `utilbill check` failing after a crash) a clerk needs the way back, and it must be
safe (issue 8):

- the backup is checked before anything is touched: a readable, undamaged SQLite file with
  utilbill's tables, its schema no newer than this utilbill;
- nobody else may be using the store: restoring under a running bill run or another clerk's
  open session would lose their work. SQLite lets a connection leave WAL mode only when it is
  the only one with the file open, so that is the test (an idle clerk's session counts);
- the current store is kept first, as `backups/pre-restore-<time>.db` (never pruned);
- the backup is copied beside the store and renamed over it (atomic), owner-readable only,
  the restore is written to the restored store's audit log, and `utilbill check` runs on it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .integrity import IntegrityReport, check_store
from .store.db import Store, sqlite_url
from .store.migrations import MIGRATIONS
from .xlio import file_sha256


class RestoreRefused(RuntimeError):
    """The restore was not done; the message says why and what to do."""


@dataclass
class BackupInfo:
    path: Path
    size: int
    modified: datetime
    schema_version: int


@dataclass
class RestoreResult:
    restored_from: Path
    backup_hash: str
    kept_current_as: Path | None
    check: IntegrityReport


def list_backups(u) -> list[BackupInfo]:
    """The store's backups, newest first."""
    out = []
    for p in sorted(u.backup_dir.glob("*.db"), key=lambda p: p.stat().st_mtime, reverse=True):
        st = p.stat()
        try:
            version = _schema_version(p)
        except RestoreRefused:
            version = -1
        out.append(BackupInfo(p, st.st_size, datetime.fromtimestamp(st.st_mtime), version))
    return out


def backup_now(u, reason: str = "manual") -> Path:
    """An online backup of the store now (safe while clerks work), pruned like every backup."""
    path = u.backup(reason)
    if path is None:
        raise RestoreRefused("this utility's store is not a SQLite file; back it up with the database's own tools")
    return path


def _schema_version(path: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, timeout=1)  # no -wal/-shm beside it
        try:
            ok = con.execute("PRAGMA quick_check").fetchone()[0]
            if ok != "ok":
                raise RestoreRefused(f"{path.name} is damaged ({ok}); choose another backup")
            return int(con.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0)
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise RestoreRefused(f"{path.name} is not a utilbill store backup ({exc}); choose another backup") from exc


def store_in_use(path: Path) -> bool:
    """True when another connection (another process, or this one) has the SQLite store open."""
    if not path.exists():
        return False
    con = sqlite3.connect(str(path), timeout=0.2, isolation_level=None)
    try:
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal":
            con.execute("BEGIN EXCLUSIVE")
            con.execute("ROLLBACK")
            return False
        con.execute("PRAGMA journal_mode=DELETE")  # only possible with no other connection open
        con.execute("PRAGMA journal_mode=WAL")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        con.close()


def restore_store(u, backup: str | Path) -> RestoreResult:
    """Replace the store with `backup` after keeping a copy of the current one (see module doc)."""
    if u.policy.store.url:
        raise RestoreRefused("this utility's store is a database server; restore it with the server's own tools")
    backup = Path(backup)
    if not backup.is_absolute() and not backup.exists() and (u.backup_dir / backup).exists():
        backup = u.backup_dir / backup
    if not backup.exists():
        raise RestoreRefused(f"no backup at {backup}; 'utilbill backup --list' shows the backups")
    version = _schema_version(backup)
    if version == 0 or version > len(MIGRATIONS):
        raise RestoreRefused(f"{backup.name} is at schema version {version}; this utilbill reads 1 to {len(MIGRATIONS)}")
    digest = file_sha256(backup)
    target = u.store_path
    if "store" in u.__dict__:  # this process's own connections must not count as another clerk
        u.__dict__.pop("store").dispose()
    if store_in_use(target):
        raise RestoreRefused("the store is in use by another utilbill process (a bill run, a clerk's session or the "
                             "Excel add-in); close them and try again")
    kept = None
    if target.exists():
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        kept = Store(sqlite_url(target), path=target).backup(u.backup_dir / f"pre-restore-{stamp}.db")
    tmp = target.with_name(f".{target.name}.restore.tmp")
    shutil.copyfile(backup, tmp)
    os.chmod(tmp, 0o600)
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    for extra in ("-wal", "-shm"):
        Path(str(target) + extra).unlink(missing_ok=True)
    os.replace(tmp, target)
    store = u.store
    with store.write() as conn:
        store.audit(conn, "store:restore", entity="store", reason=f"restored from backup {backup.name}",
                    source_file=str(backup), source_hash=digest,
                    details={"kept_current_as": str(kept) if kept else None, "schema_version": version})
    return RestoreResult(backup, digest, kept, check_store(store))
