"""The bill run's parallel parts: the backup copied while rows are checked, the Bills
workbook written by a forked process while the bills are posted. Same store, same workbook
as the one-thing-at-a-time run; a failure on either side loses nothing and leaves no file
half written."""

from __future__ import annotations

import os
import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.books import DAY, readings_file, sample_utility
from utilbill import forked
from utilbill.bill_run import bill_run
from utilbill.store import schema


def _sheet_rows(u):
    A, R = schema.accounts, schema.reads
    with u.store.read() as conn:
        accts = [a for (a,) in conn.execute(select(A.c.account_no).where(A.c.status == "active")
                                            .order_by(A.c.account_no))]
        last = dict(conn.execute(select(R.c.account_no, R.c.reading).order_by(R.c.read_date, R.c.id)).all())
    return [(a, DAY, last[a] + 7 + i % 30, "actual") for i, a in enumerate(accts)]


def _cells(path):
    wb = load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}


def _count(u, table):
    with u.store.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_forked_writer_gives_the_same_workbook_and_store(tmp_path, monkeypatch):
    made = []
    real = forked.Forked.__init__

    def spy(self, fn):
        real(self, fn)
        made.append(self.parallel)

    monkeypatch.setattr(forked.Forked, "__init__", spy)
    runs = {}
    for name, no_fork in (("parallel", "0"), ("serial", "1")):
        monkeypatch.setenv("UTILBILL_NO_FORK", no_fork)
        u = sample_utility(tmp_path / name, accounts=80, months=6)
        f = readings_file(tmp_path / f"{name}.xlsx", _sheet_rows(u))
        res = bill_run(u, f, run_date=DAY)
        assert res.posted > 50 and res.output.exists()
        runs[name] = (res, _cells(res.output), _count(u, schema.bill_lines), _count(u, schema.postings))
        assert not [p for p in res.output.parent.iterdir() if p.name.endswith(".tmp")]
    assert made == [True, False]  # the first run forked its writer, the second wrote in turn
    (a, cells_a, lines_a, post_a), (b, cells_b, lines_b, post_b) = runs["parallel"], runs["serial"]
    assert (a.posted, a.total, lines_a, post_a) == (b.posted, b.total, lines_b, post_b)
    assert cells_a.keys() == cells_b.keys()
    for sheet in cells_a:
        rows_a, rows_b = cells_a[sheet], cells_b[sheet]
        if sheet == "Summary":  # the readings file's name differs between the two runs
            rows_a = [r for r in rows_a if r[0] != "Readings file"]
            rows_b = [r for r in rows_b if r[0] != "Readings file"]
        assert rows_a == rows_b, sheet
    summary = dict((r[0], r[1]) for r in cells_a["Summary"] if r and r[0])
    assert summary["Bills posted now"] == a.posted


def test_a_writer_failure_keeps_the_posted_bills_and_a_rerun_writes_the_workbook(tmp_path, monkeypatch):
    u = sample_utility(tmp_path / "u", accounts=40, months=6)
    f = readings_file(tmp_path / "r.xlsx", _sheet_rows(u))
    before = _count(u, schema.bills)

    def broken(result, path, **kw):
        path.write_bytes(b"PK half a file")
        raise OSError("no space left on device")

    import utilbill.bills_workbook as bw

    monkeypatch.setattr(bw, "write_bills_file", broken)
    with pytest.raises(RuntimeError, match="bills are posted, but the Bills workbook .* no space left"):
        bill_run(u, f, run_date=DAY)
    posted = _count(u, schema.bills) - before
    assert posted > 30
    out = u.out_dir("bills")
    assert not list(out.iterdir())  # no workbook, no temporary file
    monkeypatch.undo()
    again = bill_run(u, f, run_date=DAY)
    assert again.posted == 0 and again.already_posted == posted and again.output.exists()
    assert _count(u, schema.bills) - before == posted


def test_a_posting_failure_stops_the_writer_and_posts_nothing(tmp_path, monkeypatch):
    u = sample_utility(tmp_path / "u", accounts=40, months=6)
    f = readings_file(tmp_path / "r.xlsx", _sheet_rows(u))
    before = {t.name: _count(u, t) for t in (schema.bills, schema.bill_lines, schema.postings, schema.reads)}
    import utilbill.bill_posting as bp

    def fail_on_postings(*a, **kw):  # after the reads, bills and lines went in
        time.sleep(0.2)  # the writer is under way
        raise RuntimeError("disk I/O error")

    import utilbill.bills_workbook as bw

    real_write = bw.write_bills_file

    def slow_writer(result, path):  # still writing when the posting fails: killed mid-file
        path.write_bytes(b"PK half a file")
        time.sleep(30)
        real_write(result, path)

    monkeypatch.setattr(bp, "posting_values", fail_on_postings)
    monkeypatch.setattr(bw, "write_bills_file", slow_writer)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="disk I/O error"):
        bill_run(u, f, run_date=DAY)
    assert time.monotonic() - started < 20  # the writer was stopped, not waited for
    assert {t.name: _count(u, t) for t in (schema.bills, schema.bill_lines, schema.postings, schema.reads)} == before
    assert not list(u.out_dir("bills").iterdir())


def test_forked_reports_the_childs_error_and_cancel_stops_it(tmp_path, monkeypatch):
    monkeypatch.setenv("UTILBILL_NO_FORK", "0")
    if not forked.fork_available():
        pytest.skip("no fork on this platform")
    target = tmp_path / "x"

    def boom():
        raise ValueError("cell A1: bad")

    f = forked.Forked(boom)
    with pytest.raises(forked.ForkedTaskError, match="ValueError: cell A1: bad"):
        f.wait()
    slow = forked.Forked(lambda: (time.sleep(30), target.write_text("late")))
    assert slow.parallel
    started = time.monotonic()
    slow.cancel()
    assert time.monotonic() - started < 5 and not target.exists()
    ok = forked.Forked(lambda: target.write_text("done"))
    ok.wait()
    assert target.read_text() == "done"
    monkeypatch.setenv("UTILBILL_NO_FORK", "1")
    inline = forked.Forked(lambda: target.write_text("inline"))
    assert not inline.parallel and target.read_text() == "done"  # runs when waited for
    inline.wait()
    assert target.read_text() == "inline"


def test_backups_before_jobs_follow_the_store_policy(tmp_path):
    u = sample_utility(tmp_path / "u", accounts=10, months=3)
    listing = lambda: sorted(u.backup_dir.glob("utilbill-*.db"))  # noqa: E731
    assert u.backup_before("payments-mail", bulk=False) is not None  # none yet: one is made
    assert u.backup_before("payments-mail", bulk=False) is None  # one within the hour: skipped
    assert len(listing()) == 1
    assert u.backup_before("bill-run", bulk=True) is not None  # a bulk job always backs up
    old = time.time() - 61 * 60
    for p in listing():
        os.utime(p, (old, old))
    assert u.backup_before("final-bill", bulk=False) is not None  # the newest is over an hour old
    assert len(listing()) == 3
    cfg = u.root / "utility.yaml"
    cfg.write_text(cfg.read_text().replace("backup_interval_minutes: 60", "backup_interval_minutes: 0")
                   .replace("backup_before_bulk: true", "backup_before_bulk: false"))
    from utilbill.home import Utility

    u2 = Utility(u.root)
    assert u2.backup_before("adjust", bulk=False) is not None  # 0: before every job
    for p in listing():
        os.utime(p, (old, old))
    made = u2.backup_in_background("bill-run", bulk=True).wait()  # bulk off: by the interval (0)
    assert made is not None and made.exists()
    assert len(listing()) == 5
    # a background backup's failure reaches the job when it waits
    def full_disk(dest, **_):
        raise OSError("no space left on device")

    u2.store.backup = full_disk
    failing = u2.backup_in_background("bill-run", bulk=False)
    failing.wait_for_snapshot(timeout=30)  # a failed backup does not leave the job waiting to read
    assert failing._snapshot.is_set()
    with pytest.raises(OSError, match="no space left"):
        failing.wait()


def test_the_sqlite_tuple_path_posts_the_rows_the_dict_builders_make(tmp_path, monkeypatch):
    """post_bills on SQLite builds tuples; the dict builders (the generator's, and every other
    database's) must describe the very same rows."""
    import utilbill.bill_posting as bp
    import utilbill.bill_run as br

    tables = (schema.reads, schema.bills, schema.bill_lines, schema.postings)
    stamps = {"created_at", "posted_at"}
    snaps = []
    for name, fast in (("tuples", True), ("dicts", False)):
        u = sample_utility(tmp_path / name, accounts=50, months=6)
        with u.store.read() as conn:
            requests, _ = br.prepare([dict(_row=i + 2, account=a, read_date=d, reading=r, read_type=t)
                                      for i, (a, d, r, t) in enumerate(_sheet_rows(u))],
                                     source="r", sheet="Readings", conn=conn, run_date=DAY, estimate_missing=False)
        bills, _ = br.compute(requests, u.policy, u.rates, DAY)
        if not fast:
            monkeypatch.setattr(bp, "_sqlite", lambda conn: False)
        with u.store.write() as conn:
            ids, skipped = br.post_bills(conn, u.store, bills, job_id=None, source_file="r.xlsx", source_hash="h")
        monkeypatch.undo()
        assert len(ids) == len(bills) > 30 and skipped == 0
        with u.store.read() as conn:
            snaps.append({t.name: [{k: v for k, v in r._mapping.items() if k not in stamps}
                                   for r in conn.execute(t.select().order_by(t.c.id))] for t in tables})
    assert snaps[0] == snaps[1]


def test_the_collector_is_paused_for_the_run_and_resumed_as_it_was(tmp_path, monkeypatch):
    import gc

    import utilbill.bill_run as br
    from utilbill.gcpause import collector_paused

    seen = []
    real = br.prepare

    def spy(*a, **kw):
        seen.append(gc.isenabled())
        return real(*a, **kw)

    monkeypatch.setattr(br, "prepare", spy)
    u = sample_utility(tmp_path / "u", accounts=20, months=3)
    f = readings_file(tmp_path / "r.xlsx", _sheet_rows(u))
    assert gc.isenabled()
    assert bill_run(u, f, run_date=DAY).posted > 5
    assert seen == [False] and gc.isenabled()
    # resumed after a failure too, and left off where the caller had it off
    with pytest.raises(ZeroDivisionError):
        with collector_paused():
            1 / 0
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
