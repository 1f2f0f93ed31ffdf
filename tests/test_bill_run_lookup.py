"""The bill run's bulk look-ups (utilbill/bill_run_lookup.py) check rows and price bills
exactly as the whole-table loaders do: same requests, same findings, same bills to the cent,
on a generated utility with every kind of troublesome row."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import select

from tests.books import DAY, sample_utility
from utilbill import bill_run as br
from utilbill.bill_run_lookup import existing_bill_keys, winter_ranges
from utilbill.store import schema


def _rows(u):
    """A readings sheet for every active account, plus the rows a clerk gets wrong."""
    A, R = schema.accounts, schema.reads
    with u.store.read() as conn:
        accts = conn.execute(select(A.c.account_no, A.c.meter_dials).where(A.c.status == "active")
                             .order_by(A.c.account_no)).all()
        last = dict(conn.execute(select(R.c.account_no, R.c.reading).order_by(R.c.read_date, R.c.id)).all())
    rows, n = [], 2
    for i, (a, dials) in enumerate(accts):
        reading, kind = last[a] + 11 + i % 40, "actual"
        if i % 17 == 3:  # an estimate
            reading, kind = None, "estimate"
        elif i % 23 == 5 and dials:  # below the previous reading: a rollover to check against usage
            reading = max(last[a] - 5, 0)
        elif i % 29 == 7:  # below the previous reading on a meter without dials: a finding
            reading = max(last[a] - 3, 0)
        rows.append({"_row": n, "account": a, "read_date": DAY, "reading": reading, "read_type": kind})
        n += 1
    rows.append({"_row": n, "account": accts[0][0], "read_date": DAY, "reading": 5, "read_type": "actual"})  # again
    rows.append({"_row": n + 1, "account": "99-9999-9", "read_date": DAY, "reading": 5, "read_type": "actual"})
    rows.append({"_row": n + 2, "account": "98-0000-0", "read_date": DAY, "reading": None, "read_type": "actual"})
    return rows


def _both(u, rows, monkeypatch, **kw):
    kw.setdefault("estimate_missing", False)
    with u.store.read() as conn:
        fast = br.prepare(rows, source="r.xlsx", sheet="Readings", conn=conn, run_date=DAY,
                          winter_months=u.policy.billing.winter_months, **kw)
    monkeypatch.setattr(br, "_sqlite", lambda conn: False)
    with u.store.read() as conn:
        slow = br.prepare(rows, source="r.xlsx", sheet="Readings", conn=conn, run_date=DAY, **kw)
    monkeypatch.undo()
    return fast, slow


def _same_bills(u, fast, slow):
    fb, ff = br.compute_reference(fast, u.policy, u.rates, DAY)
    sb, sf = br.compute_reference(slow, u.policy, u.rates, DAY)
    assert [f.reason for f in ff] == [f.reason for f in sf]
    assert len(fb) == len(sb) > 0
    for a, b in zip(fb, sb):
        assert (a.bill_key, a.total, a.units, a.estimated, a.rollover, a.winter) == \
               (b.bill_key, b.total, b.units, b.estimated, b.rollover, b.winter)
        assert [(l.code, l.amount, l.basis) for l in a.lines] == [(l.code, l.amount, l.basis) for l in b.lines]
    return fb, ff


def test_lookups_check_and_price_exactly_as_the_whole_table_loaders(tmp_path, monkeypatch):
    u = sample_utility(tmp_path / "u", accounts=150, months=16)
    # a cancelled bill in the history: its reversal must keep it out of the winter average
    B, P = schema.bills, schema.postings
    with u.store.write() as conn:
        bid, acct, posting, bill_end = conn.execute(
            select(B.c.id, B.c.account_no, P.c.id, B.c.period_end).join(P, P.c.bill_id == B.c.id)
            .where(B.c.period_end.between(date(2025, 1, 1), date(2025, 3, 31)), P.c.kind == "bill")
            .order_by(B.c.id)).first()
        conn.execute(P.insert().values(account_no=acct, effective_date=DAY - timedelta(days=30), posted_at="x",
                                       kind="reversal", amount_cents=-1, reverses_id=posting, clerk="test",
                                       idem_key="test-reversal"))
    rows = _rows(u)
    (fast, fast_findings), (slow, slow_findings) = _both(u, rows, monkeypatch)
    assert [(f.row, f.column, f.reason) for f in fast_findings] == [(f.row, f.column, f.reason) for f in slow_findings]
    assert len(fast_findings) >= 3  # the repeated, unknown and blank rows
    assert [replace(q, history=()) for q in fast] == [replace(q, history=()) for q in slow]
    # the look-ups load less history: only what the winter average (and, for estimates and
    # readings below the previous one, the look-back) reads
    assert sum(len(q.history) for q in fast) < sum(len(q.history) for q in slow)
    bills, findings = _same_bills(u, fast, slow)
    assert any(b.estimated for b in bills) and any(b.rollover for b in bills) or findings
    assert any(b.winter is not None and not b.winter.default_used for b in bills)
    # each fast history is the whole one's winter-month bills, or all of it
    winter = set(u.policy.billing.winter_months)
    for f, s in zip(fast, slow):
        assert f.history in (s.history, tuple(h for h in s.history if h.end.month in winter))
    cancelled = [q for q in slow if q.account.account_no == acct]
    assert cancelled and all(h.end != bill_end for h in cancelled[0].history)


def test_estimate_missing_cycle_accounts_match(tmp_path, monkeypatch):
    u = sample_utility(tmp_path / "u", accounts=150, months=16)
    with u.store.read() as conn:
        cycle = conn.execute(select(schema.accounts.c.cycle).where(schema.accounts.c.cycle.isnot(None))).scalar()
    rows = [r for r in _rows(u)[:20] if r["reading"] is not None]
    (fast, ff), (slow, sf) = _both(u, rows, monkeypatch, estimate_missing=True, cycle=cycle)
    assert [f.reason for f in ff] == [f.reason for f in sf]
    assert [replace(q, history=()) for q in fast] == [replace(q, history=()) for q in slow]
    assert any(q.row == 0 for q in fast) or cycle is None
    _same_bills(u, fast, slow)


def test_re_run_rows_find_the_reads_and_bills_already_posted(tmp_path, monkeypatch):
    u = sample_utility(tmp_path / "u", accounts=60, months=8)
    rows = [r for r in _rows(u) if r["reading"] is not None and r["read_type"] == "actual"][:25]
    from utilbill.bill_run import bill_run_rows
    from utilbill.xlio import ReadResult

    table = ReadResult(path=tmp_path / "r.xlsx", rows=rows, sheet="Readings", header_row=1, file_hash="h1")
    first = bill_run_rows(u, table, source="r.xlsx", run_date=DAY)
    assert first.posted > 0
    # the same day's reads now exist: the same readings pass, a different one is refused
    changed = [dict(r, reading=r["reading"] + 1) if i == 0 else r for i, r in enumerate(rows)]
    (fast, ff), (slow, sf) = _both(u, changed, monkeypatch)
    assert [(f.row, f.reason) for f in ff] == [(f.row, f.reason) for f in sf]
    assert any("already recorded" in f.reason for f in ff)
    # an older sheet: reads after its date exist
    older = [dict(r, read_date=DAY - timedelta(days=3)) for r in rows[:3]]
    (_, ff), (_, sf) = _both(u, older, monkeypatch)
    assert [(f.row, f.reason) for f in ff] == [(f.row, f.reason) for f in sf]
    assert all("before the account's last read" in f.reason for f in ff)
    with u.store.read() as conn:
        keys = list(first.bill_ids)
        assert existing_bill_keys(conn, keys + ["nope|2026-01-01|2026-02-01"]) == set(keys)


def test_winter_ranges_merge_adjacent_months_and_clip():
    # Jan-Mar of each year between, clipped to the dates given
    assert winter_ranges(date(2025, 2, 10), date(2026, 12, 31), (1, 2, 3)) == [
        (date(2025, 2, 10), date(2025, 3, 31)), (date(2026, 1, 1), date(2026, 3, 31))]
    # a winter across the new year stays two ranges per year (Dec is the same year's)
    assert winter_ranges(date(2025, 1, 1), date(2025, 12, 31), (12, 1, 2)) == [
        (date(2025, 1, 1), date(2025, 2, 28)), (date(2025, 12, 1), date(2025, 12, 31))]


def test_a_version_1_store_gets_the_reversals_index_and_loses_the_duplicate_ones(tmp_path):
    import sqlite3

    from utilbill.home import init_folder
    from utilbill.store.db import open_store
    from utilbill.store.migrations import MIGRATIONS

    u = init_folder(tmp_path / "u")
    u.store.dispose()
    db = sqlite3.connect(u.store_path)
    db.execute("DROP INDEX ix_postings_reverses")
    db.execute("CREATE INDEX ix_postings_account ON postings (account_no, effective_date)")  # as version 1 made them
    db.execute("CREATE INDEX ix_reads_account_date ON reads (account_no, read_date)")
    db.execute("DELETE FROM schema_version WHERE version > 1")
    db.commit()
    db.close()
    store = open_store(u.store_path)
    assert store.version() == len(MIGRATIONS) >= 2
    db = sqlite3.connect(u.store_path)
    plan = " ".join(r[-1] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM postings WHERE reverses_id IS NOT NULL"))
    assert "ix_postings_reverses" in plan
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert not names & {"ix_postings_account", "ix_reads_account_date"}
    # an account's postings and reads by date still come from an index
    plan = " ".join(r[-1] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM postings WHERE account_no = 'x' ORDER BY effective_date"))
    assert "ix_postings_balance" in plan and "TEMP B-TREE" not in plan
    plan = " ".join(r[-1] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM reads WHERE account_no = 'x' AND read_date < '2026-01-01' ORDER BY read_date"))
    assert "USING INDEX" in plan and "TEMP B-TREE" not in plan


def test_accounts_read_in_bulk_equal_the_store_row_reader(tmp_path):
    from utilbill.bill_run_lookup import accounts_by_number
    from utilbill.store.repo import all_accounts

    u = sample_utility(tmp_path / "u", accounts=60, months=3)
    with u.store.write() as conn:  # the optional fields filled in on one account
        first = conn.execute(select(schema.accounts.c.account_no).order_by(schema.accounts.c.account_no)).scalar()
        conn.execute(schema.accounts.update().where(schema.accounts.c.account_no == first).values(
            flags="medical,landlord_hold", service_end=date(2026, 3, 1), winter_average_override="7.25",
            cash_only=True, landlord_name="L. Lord", email="x@example.org"))
    with u.store.read() as conn:
        every = all_accounts(conn)
        bulk = accounts_by_number(conn, [a.account_no for a in every] + ["no-such"])
    assert {a.account_no: a for a in every} == bulk
    assert any(a.flags and a.winter_average_override and a.service_end for a in bulk.values())
