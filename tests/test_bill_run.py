"""The bill run end to end: readings workbook in, bills posted, Bills workbook out (issue 2)."""

from datetime import date
from decimal import Decimal as D

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from utilbill.bill_run import bill_run
from utilbill.cli import app
from utilbill.home import init_folder
from utilbill.store import schema
from utilbill.store.repo import add_read, balance_cents, insert_account


def _utility(tmp_path, accounts=(("10-0001-1", "residential", "5/8", 4), ("10-0002-2", "residential", "3/4", None),
                                  ("10-0003-3", "commercial", "2", 5), ("10-0004-4", "residential", "5/8", None))):
    u = init_folder(tmp_path / "utility")
    with u.store.write() as conn:
        for no, cls, size, dials in accounts:
            insert_account(conn, dict(account_no=no, account_class=cls, status="active", customer_name=f"Customer {no}",
                                      customer_role="owner", service_address=f"{no} Elm St", meter_size=size,
                                      meter_dials=dials, service_start=date(2026, 1, 5)))
            add_read(conn, account_no=no, read_date=date(2026, 9, 1), reading=9990 if no.endswith("1") else 500,
                     read_type="initial")
    return u


def _readings(path, rows):
    wb = Workbook()
    ws = wb.active
    ws.title = "Readings"
    ws.append(["Account", "Read Date", "Reading", "Read Type"])
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def _count(u, table):
    with u.store.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_first_bills_posted_and_rerun_posts_nothing(tmp_path):
    u = _utility(tmp_path)
    f = _readings(tmp_path / "r.xlsx", [("10-0002-2", date(2026, 11, 1), 549, "actual")])
    res = bill_run(u, f, run_date=date(2026, 11, 2))
    assert res.posted == 1 and not res.findings
    b = res.bills[0]
    # First bill: irregular (kind first), 61 days -> factor 61/30; 49 units
    # block 1 bound 8 x 61/30 = 16.2666..; 16.2666.. x 1.344 = 21.8624 -> 21.86
    # block 2 bound 23 x 61/30 = 46.7666..; (46.7666.. - 16.2666..) = 30.5 x 1.911 = 58.2855 -> 58.29
    # block 3: 49 - 46.7666.. = 2.2333.. x 2.961 = 6.6129 -> 6.61
    lines = {l.code: l.amount for l in b.lines}
    assert b.kind == "first" and not b.regular
    assert lines["water_block_1"] == D("21.86")
    assert lines["water_block_2"] == D("58.29")
    assert lines["water_block_3"] == D("6.61")
    with u.store.read() as conn:
        assert D(balance_cents(conn, "10-0002-2")) / 100 == b.total
    before = {t.name: _count(u, t) for t in (schema.bills, schema.bill_lines, schema.postings, schema.reads)}
    again = bill_run(u, f, run_date=date(2026, 11, 2))
    assert again.posted == 0 and again.already_posted == 1 and again.already_run_job == res.job_id
    assert {t.name: _count(u, t) for t in (schema.bills, schema.bill_lines, schema.postings, schema.reads)} == before


def test_bad_rows_reported_rest_billed(tmp_path):
    u = _utility(tmp_path)
    f = _readings(tmp_path / "bad.xlsx", [
        ("10-0001-1", date(2026, 11, 1), 12, "actual"),  # rollover on 4 dials but no history: review
        ("99-9999-9", date(2026, 11, 1), 100, "actual"),  # unknown account
        ("10-0002-2", date(2026, 11, 1), 560, "actual"),  # good
        ("10-0002-2", date(2026, 11, 1), 561, "actual"),  # duplicate
        ("10-0003-3", date(2026, 11, 1), "twelve", "actual"),  # text in the reading column
        ("10-0004-4", date(2026, 8, 1), 520, "actual"),  # before the previous read
    ])
    res = bill_run(u, f, run_date=date(2026, 11, 2))
    by_row = {x.row: x for x in res.findings}
    assert set(by_row) == {2, 3, 5, 6, 7}
    # columns are named by their header in the clerk's file
    assert "rollover" in by_row[2].reason and by_row[2].column == "Reading"
    assert "unknown account" in by_row[3].reason and by_row[3].column == "Account"
    assert "appears again" in by_row[5].reason
    assert by_row[6].column == "Reading" and by_row[6].sheet == "Readings" and by_row[6].file == "bad.xlsx"
    assert "before" in by_row[7].reason and by_row[7].column == "Read Date"
    assert [b.account_no for b in res.bills] == ["10-0002-2"] and res.posted == 1
    with u.store.read() as conn:
        posted = {a for (a,) in conn.execute(select(schema.postings.c.account_no))}
    assert posted == {"10-0002-2"}
    wb = load_workbook(res.output, read_only=True)
    exc = list(wb["Exceptions"].iter_rows(values_only=True))
    assert len(exc) == 1 + 5 and exc[0][0] == "severity"
    bills = list(wb["Bills"].iter_rows(values_only=True))
    assert bills[1][0] == "10-0002-2" and D(str(bills[1][17])) == res.bills[0].total


def test_strict_run_posts_nothing_when_any_row_is_bad(tmp_path):
    from utilbill.findings import FindingsError

    u = _utility(tmp_path)
    f = _readings(tmp_path / "s.xlsx", [("10-0002-2", date(2026, 11, 1), 560, "actual"),
                                        ("99-9999-9", date(2026, 11, 1), 100, "actual")])
    with pytest.raises(FindingsError):
        bill_run(u, f, run_date=date(2026, 11, 2), strict=True)
    assert _count(u, schema.postings) == 0


def test_estimate_missing_reading(tmp_path):
    u = _utility(tmp_path)
    first = _readings(tmp_path / "a.xlsx", [("10-0002-2", date(2026, 11, 1), 560, "actual")])
    bill_run(u, first, run_date=date(2026, 11, 2))
    second = _readings(tmp_path / "b.xlsx", [("10-0002-2", date(2027, 1, 1), None, "estimate")])
    res = bill_run(u, second, run_date=date(2027, 1, 2))
    b = res.bills[0]
    # history: 60 units over 61 days; 61 days more -> 60 units estimated; reading 560 + 60 = 620
    assert b.estimated and b.units == D(60) and b.reading == 620 and b.kind == "regular" and b.regular


def test_file_level_problem_posts_nothing(tmp_path):
    u = _utility(tmp_path)
    wb = Workbook()
    wb.active.append(["Account", "Reading"])  # no read date column
    wb.active.append(["10-0002-2", 560])
    wb.save(tmp_path / "nocol.xlsx")
    r = CliRunner().invoke(app, ["bill-run", str(tmp_path / "nocol.xlsx"), "--home", str(u.root)])
    assert r.exit_code == 2
    assert _count(u, schema.postings) == 0


def test_cli_bill_run_prints_summary(tmp_path):
    u = _utility(tmp_path)
    f = _readings(tmp_path / "c.xlsx", [("10-0002-2", date(2026, 11, 1), 560, "actual")])
    r = CliRunner().invoke(app, ["bill-run", str(f), "--date", "2026-11-02", "--home", str(u.root)])
    assert r.exit_code == 0, r.output
    assert "posted now" in r.output and "Bills workbook" in r.output


from hypothesis import HealthCheck, given, settings, strategies as st


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["10-0001-1", "10-0002-2", "10-0003-3", "10-0004-4", "99-0000-0"]),
                          st.integers(0, 20000), st.integers(40, 70)), min_size=1, max_size=6))
def test_rerunning_any_readings_file_posts_nothing_new(tmp_path_factory, rows):
    """Whatever the rows (good, bad, duplicated), a second run posts nothing new."""
    tmp = tmp_path_factory.mktemp("rerun")
    u = _utility(tmp)
    f = _readings(tmp / "r.xlsx", [(a, date.fromordinal(date(2026, 9, 1).toordinal() + d), r, "actual")
                                   for a, r, d in rows])
    bill_run(u, f, run_date=date(2026, 11, 2))
    tables = (schema.bills, schema.bill_lines, schema.postings, schema.reads)
    before = [_count(u, t) for t in tables]
    again = bill_run(u, f, run_date=date(2026, 11, 2))
    assert again.posted == 0
    assert [_count(u, t) for t in tables] == before
    with u.store.read() as conn:
        for acct in ("10-0001-1", "10-0002-2", "10-0003-3", "10-0004-4"):
            bills = conn.execute(select(func.coalesce(func.sum(schema.bills.c.total_cents), 0)).where(
                schema.bills.c.account_no == acct)).scalar()
            assert balance_cents(conn, acct) == bills  # a balance is the sum of its postings


def test_both_bills_workbook_writers_write_the_same_cells(tmp_path):
    """The Rust writer and the xlsxwriter fallback give the same values, and data text that
    looks like a formula stays text in both."""
    from openpyxl import load_workbook

    from utilbill import bills_workbook as bw
    from utilbill.findings import Finding

    u = _utility(tmp_path)
    f = _readings(tmp_path / "r.xlsx", [("10-0002-2", date(2026, 11, 1), 560, "actual"),
                                        ("10-0003-3", date(2026, 11, 1), 700, "actual")])
    res = bill_run(u, f, run_date=date(2026, 11, 2), post=False)
    res.findings.append(Finding("a test finding", file="r.xlsx", row=9, column="Account",
                                value='=HYPERLINK("http://x","y")'))
    bw._write_rust(res, tmp_path / "rust.xlsx")
    bw._write_xlsxwriter(res, tmp_path / "xw.xlsx")

    def cells(path):
        wb = load_workbook(path)
        out = {}
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if c.value is not None:
                        assert c.data_type != "f", f"{ws.title}!{c.coordinate} is a formula"
                        v = c.value
                        out[(ws.title, c.coordinate)] = float(v) if isinstance(v, (int, float)) else v
        return out

    a, b = cells(tmp_path / "rust.xlsx"), cells(tmp_path / "xw.xlsx")
    assert a == b
    assert ('=HYPERLINK("http://x","y")' in a.values())


def test_late_charges_command_assesses_once(tmp_path):
    """A bill of 143.68 unpaid after its due date: 1.5% = 2.1552 -> 2.16, posted once."""
    u = _utility(tmp_path)
    f = _readings(tmp_path / "r.xlsx", [("10-0002-2", date(2026, 11, 1), 549, "actual")])
    res = bill_run(u, f, run_date=date(2026, 11, 2))
    due = res.bills[0].due_date
    total = res.bills[0].total
    expected = (total * D("0.015")).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    day = date.fromordinal(due.toordinal() + 1)
    r = CliRunner().invoke(app, ["late-charges", "--as-of", day.isoformat(), "--home", str(u.root)])
    assert r.exit_code == 0, r.output
    assert f"{expected:,.2f}" in r.output
    with u.store.read() as conn:
        assert balance_cents(conn, "10-0002-2") == int((total + expected) * 100)
    r2 = CliRunner().invoke(app, ["late-charges", "--as-of", day.isoformat(), "--home", str(u.root)])
    assert "0 late charge(s)" in r2.output
    with u.store.read() as conn:
        assert balance_cents(conn, "10-0002-2") == int((total + expected) * 100)
