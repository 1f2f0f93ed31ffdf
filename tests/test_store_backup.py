"""The store's backup copy: a consistent snapshot however the store is being used meanwhile.

Two ways of copying (utilbill.store.db.Store.backup): the file itself, after a checkpoint and
under a read transaction, when the store is quiet; SQLite's page-by-page backup otherwise.
These tests make a writer commit, and try to fold its commit into the file, while the copy is
being made, and check what the copy holds.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from utilbill.store import db as store_db


def _store(tmp_path: Path) -> tuple[store_db.Store, Path]:
    path = tmp_path / "utilbill.db"
    store = store_db.create_sqlite_store(path, clerk="test")
    con = _writer(path)
    con.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, pad TEXT)")
    con.executemany("INSERT INTO t (n, pad) VALUES (?, ?)", [(i, "x" * 300) for i in range(1, 2001)])
    con.close()
    return store, path


def _writer(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), isolation_level=None, timeout=5)
    con.execute("PRAGMA journal_mode = WAL")
    return con


def _rows(path: Path) -> tuple[int, int]:
    con = sqlite3.connect(str(path))
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return con.execute("SELECT count(*), COALESCE(sum(n), 0) FROM t").fetchone()
    finally:
        con.close()


def test_quiet_store_is_copied_as_a_file_with_every_commit(tmp_path, monkeypatch):
    store, path = _store(tmp_path)
    con = _writer(path)
    con.execute("PRAGMA wal_autocheckpoint = 0")  # leave the last commit in the log
    con.execute("INSERT INTO t (n, pad) VALUES (5000, 'last')")
    assert Path(str(path) + "-wal").stat().st_size > 0
    ways = []
    real_copy, real_pages = store_db._copy_file, store_db._copy_pages
    monkeypatch.setattr(store_db, "_copy_file", lambda *a: (ways.append("file"), real_copy(*a))[1])
    monkeypatch.setattr(store_db, "_copy_pages", lambda *a: (ways.append("pages"), real_pages(*a))[1])
    out = store.backup(tmp_path / "backups" / "b.db")
    assert ways == ["file"]
    assert _rows(out) == (2001, sum(range(1, 2001)) + 5000)  # the commit left in the log is in the copy
    con.close()
    store.dispose()


def test_commit_during_the_file_copy_is_not_folded_into_it(tmp_path, monkeypatch):
    """A writer commits and checkpoints just before the file is copied: the copy must be the
    snapshot from before that commit, whole (this fails if the copy is not made under the
    read transaction, since the checkpoint would then write the commit into the file)."""
    store, path = _store(tmp_path)
    real_copy = store_db._copy_file

    def copy_after_a_commit(src, tmp):
        con = _writer(path)
        con.execute("DELETE FROM t WHERE n <= 1000")
        con.execute("INSERT INTO t (n, pad) VALUES (9000, 'during')")
        con.execute("PRAGMA wal_checkpoint(PASSIVE)")
        con.close()
        real_copy(src, tmp)

    monkeypatch.setattr(store_db, "_copy_file", copy_after_a_commit)
    out = store.backup(tmp_path / "backups" / "b.db")
    assert _rows(out) == (2000, sum(range(1, 2001)))
    assert _rows(path) == (1001, sum(range(1001, 2001)) + 9000)  # the store has the commit
    store.dispose()


def test_reader_holding_the_log_means_a_page_copy_with_every_commit(tmp_path, monkeypatch):
    """A reader on an older snapshot keeps the checkpoint from emptying the log: the backup
    copies page by page instead, and the copy has every commit."""
    store, path = _store(tmp_path)
    monkeypatch.setattr(store_db, "CHECKPOINT_WAIT_MS", 10)
    reader = sqlite3.connect(str(path), isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchone()
    con = _writer(path)
    con.execute("INSERT INTO t (n, pad) VALUES (7000, 'after the reader')")
    ways = []
    real_pages = store_db._copy_pages
    monkeypatch.setattr(store_db, "_copy_file", lambda *a: pytest.fail("copied the file under a busy log"))
    monkeypatch.setattr(store_db, "_copy_pages", lambda *a: (ways.append("pages"), real_pages(*a))[1])
    out = store.backup(tmp_path / "backups" / "b.db")
    assert ways == ["pages"]
    assert _rows(out) == (2001, sum(range(1, 2001)) + 7000)
    reader.execute("ROLLBACK")
    reader.close()
    con.close()
    store.dispose()


def test_writer_between_checkpoint_and_read_means_a_page_copy(tmp_path, monkeypatch):
    """A commit that lands after the checkpoint but before the read begins leaves the log
    non-empty: the file alone is not the snapshot, so the pages are copied."""
    store, path = _store(tmp_path)
    real_execute_target = store_db._copy_checkpointed

    def checkpoint_then_commit(src, p, tmp, on_snapshot):
        class Src:
            def execute(self, sql, *a):
                cur = src.execute(sql, *a)
                if "wal_checkpoint" in sql:
                    con = _writer(path)
                    con.execute("PRAGMA wal_autocheckpoint = 0")
                    con.execute("INSERT INTO t (n, pad) VALUES (8000, 'between')")
                    con.close()
                return cur
        return real_execute_target(Src(), p, tmp, on_snapshot)

    ways = []
    real_pages = store_db._copy_pages
    monkeypatch.setattr(store_db, "_copy_checkpointed", checkpoint_then_commit)
    monkeypatch.setattr(store_db, "_copy_pages", lambda *a: (ways.append("pages"), real_pages(*a))[1])
    out = store.backup(tmp_path / "backups" / "b.db")
    assert ways == ["pages"]
    assert _rows(out) == (2001, sum(range(1, 2001)) + 8000)
    store.dispose()


def test_bulk_write_defers_the_checkpoint_and_normal_writes_do_not(tmp_path, monkeypatch):
    """A bulk job's commit is synced (synchronous FULL) without folding its log into the file
    first; the fold runs on a thread afterwards, and leaves the whole log folded in."""
    store, path = _store(tmp_path)
    started = []
    real = store.checkpoint_in_background
    monkeypatch.setattr(store, "checkpoint_in_background", lambda: (started.append(1), real())[1])
    with store.write() as conn:
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == store_db.AUTOCHECKPOINT_PAGES
        conn.exec_driver_sql("INSERT INTO t (n, pad) VALUES (3001, 'normal')")
    assert started == []
    with store.write(bulk=True) as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        conn.exec_driver_sql("INSERT INTO t (n, pad) SELECT n + 10000, pad FROM t")
    assert started == [1]
    store.wait_for_checkpoints()
    with store.read() as conn:  # the pooled connection is back to checkpointing as usual
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == store_db.AUTOCHECKPOINT_PAGES
    con = sqlite3.connect(str(path))
    busy, log, folded = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert busy == 0 and log == folded
    con.close()
    assert _rows(path)[0] == 4002
    store.dispose()


def test_failed_bulk_write_posts_nothing_and_restores_checkpointing(tmp_path):
    store, path = _store(tmp_path)
    with pytest.raises(RuntimeError, match="bad row"):
        with store.write(bulk=True) as conn:
            conn.exec_driver_sql("INSERT INTO t (n, pad) VALUES (4001, 'never')")
            raise RuntimeError("bad row")
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == store_db.AUTOCHECKPOINT_PAGES
    assert _rows(path) == (2000, sum(range(1, 2001)))
    store.dispose()


# --- a payment batch's backup is copied alongside the batch ------------------------------------

def _payment_setup(tmp_path):
    from books import DAY, batch_file, bulk_utility

    u = bulk_utility(tmp_path / "u", 20)
    batch = batch_file(tmp_path / "batch.xlsx", [(f"20-{i:05d}", "12.50", "check", str(700 + i)) for i in range(20)])
    return u, batch, DAY


def test_payment_batch_backup_is_the_store_before_the_batch(tmp_path):
    from books import count
    from utilbill.payments import post_payment_batch

    u, batch, day = _payment_setup(tmp_path)
    res = post_payment_batch(u, batch, "mail", batch_date=day)
    assert res.posted and res.backup is not None and res.backup.exists()
    assert count(u.store_path, "SELECT count(*) FROM postings WHERE kind = 'payment'") == (20,)
    assert count(res.backup, "SELECT count(*) FROM postings WHERE kind = 'payment'") == (0,)
    assert _integrity(res.backup)
    u.store.dispose()


def test_payment_batch_posted_though_its_backup_failed_says_so(tmp_path):
    from books import count
    from utilbill.payments import post_payment_batch

    u, batch, day = _payment_setup(tmp_path)

    def full_disk(dest, **_):
        raise OSError("no space left on device")

    u.store.backup = full_disk
    res = post_payment_batch(u, batch, "mail", batch_date=day)
    assert res.posted and res.backup is None
    assert any("backup made before it could not be written" in f.reason and "no space left" in f.reason
               for f in res.findings)
    assert count(u.store_path, "SELECT count(*) FROM postings WHERE kind = 'payment'") == (20,)
    u.store.dispose()


def _integrity(path: Path) -> bool:
    con = sqlite3.connect(str(path))
    try:
        return con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        con.close()
