"""Collections jobs over a real store: notices, removal, the turn-off list, arrangements,
returned payments (domain §6, §7), and the commands through typer's CliRunner."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from typer.testing import CliRunner

from utilbill.arrangement_jobs import (
    grant_extension,
    make_arrangement,
    monitor_arrangements,
)
from utilbill.cli import app
from utilbill.collections_jobs import (
    issue_notices,
    record_landlord,
    record_medical,
    turnoff_list,
)
from utilbill.findings import FindingsError
from utilbill.home import init_folder
from utilbill.ledger import ledger_state
from utilbill.returned_payment_job import returned_payment
from utilbill.store import repo, schema

D = date.fromisoformat
M = Decimal


def add_account(conn, no: str, **kw):
    values = dict(account_no=no, account_class="residential", customer_name=f"Customer {no}",
                  service_address=f"{no} Oak St", meter_size="5/8", service_start=D("2024-01-01"))
    values.update(kw)
    repo.insert_account(conn, values)


def bill(conn, u, no, day, amount, due):
    return repo.post(conn, u.store, account_no=no, kind="bill", amount=M(amount), effective_date=D(day),
                     due_date=D(due), parts=[("water", M(amount))])


def pay(conn, u, no, day, amount, check=None):
    return repo.post(conn, u.store, account_no=no, kind="payment", amount=-M(amount), effective_date=D(day),
                     ref=check)


@pytest.fixture()
def u(tmp_path):
    u = init_folder(tmp_path / "utility")
    with u.store.write() as conn:
        add_account(conn, "100")  # past due 150.00
        bill(conn, u, "100", "2026-01-02", "150.00", "2026-01-23")
        add_account(conn, "200", customer_role="tenant", landlord_name="Landlord Co",
                    landlord_address="1 Main St", third_party_name="Aunt May", third_party_address="2 Main St")
        bill(conn, u, "200", "2026-01-02", "90.00", "2026-01-23")
        add_account(conn, "300")  # small: 30.00 past due, no notice
        bill(conn, u, "300", "2026-01-02", "30.00", "2026-01-23")
        add_account(conn, "400")  # paid up
        bill(conn, u, "400", "2026-01-02", "80.00", "2026-01-23")
        pay(conn, u, "400", "2026-01-20", "80.00")
    return u


def count(u, table) -> int:
    with u.store.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_notices_are_recorded_idempotent_and_mature_on_the_calendar(u):
    run = issue_notices(u, D("2026-03-02"))  # Monday; past due since Jan 23 (38 days)
    assert [(i.notice.account_no, i.notice.amount, i.notice.earliest_turnoff) for i in run.issued] == [
        ("100", M("150.00"), D("2026-03-11")), ("200", M("90.00"), D("2026-03-11"))]
    # 300 (balance 30.00) and 400 (paid) are never loaded: the balance is below $50.00 in SQL
    assert {s.account_no for s in run.skipped} == set()
    one = issue_notices(u, D("2026-03-02"), accounts=["300"])
    assert [s.reason for s in one.skipped] == ["past due $30.00 below $50.00"] and not one.issued
    again = issue_notices(u, D("2026-03-02"))
    assert again.new_count == 0 and len(again.issued) == 2
    assert count(u, schema.notices) == 2 and count(u, schema.notice_events) == 2
    # a day later: they have active notices
    later = issue_notices(u, D("2026-03-03"))
    assert later.new_count == 0

    early = turnoff_list(u, D("2026-03-10"))
    assert not early.included and all("not matured" in e.reason for e in early.excluded)
    record_landlord(u, "200", "hold", D("2026-03-05"))
    tl = turnoff_list(u, D("2026-03-11"), capacity=5)
    assert [e.account_no for e in tl.included] == ["100"]
    assert tl.excluded[0].reason == "protected: landlord hold"
    record_landlord(u, "200", "proceed", D("2026-03-12"))
    tl = turnoff_list(u, D("2026-03-12"), capacity=1)
    assert [e.account_no for e in tl.included] == ["100"]  # 150 > 90
    assert tl.excluded[0].reason.startswith("beyond crew capacity (1); would rank 2: past due $90.00")


def test_payment_removes_the_notice_and_the_account_leaves_the_list(u):
    issue_notices(u, D("2026-03-02"))
    with u.store.write() as conn:
        pay(conn, u, "100", "2026-03-09", "150.00")
    tl = turnoff_list(u, D("2026-03-11"))
    assert [e.account_no for e in tl.included] == ["200"]
    assert [e.account_no for e in tl.removed] == ["100"]
    with u.store.read() as conn:
        n = conn.execute(select(schema.notices).where(schema.notices.c.account_no == "100")).one()._mapping
        events = [r.event for r in conn.execute(select(schema.notice_events).where(
            schema.notice_events.c.notice_id == n["id"]))]
    assert (n["status"], n["status_date"]) == ("removed", D("2026-03-11"))
    assert events == ["issued", "removed"]


def test_remove_paid_notices_job(u):
    from utilbill.collections_jobs import remove_paid_notices
    issue_notices(u, D("2026-03-02"))
    with u.store.write() as conn:
        pay(conn, u, "200", "2026-03-04", "90.00")
    assert remove_paid_notices(u, D("2026-03-03")) == []  # the payment is dated Mar 4
    removed = remove_paid_notices(u, D("2026-03-04"))
    assert [(n.account_no, why) for n, why in removed] == [
        ("200", "paid $90.00 since the notice (noticed $90.00)")]
    assert remove_paid_notices(u, D("2026-03-04")) == []  # already removed


def test_medical_certificate_rules(u):
    issue_notices(u, D("2026-03-02"))
    with pytest.raises(FindingsError, match="refused"):
        record_medical(u, "100", D("2026-03-10"))  # deadline = 5 business days = Mon Mar 9
    record_medical(u, "100", D("2026-03-09"), physician="Dr. Who")
    with pytest.raises(FindingsError):
        record_medical(u, "100", D("2026-03-09"))  # once per past-due amount
    tl = turnoff_list(u, D("2026-03-12"))
    # postponed to the earliest turn-off (Mar 11) + 30 days = Apr 10
    assert {e.account_no: e.reason for e in tl.excluded}["100"] == "protected: medical postponement until 2026-04-10"
    assert [e.account_no for e in turnoff_list(u, D("2026-04-10")).included] == ["100", "200"]


def test_broken_arrangement_returns_with_priority(u):
    issue_notices(u, D("2026-03-02"))
    r = make_arrangement(u, "200", M("18.00"), 2, as_of=D("2026-03-03"), first_due=D("2026-03-31"))
    assert r.made and [i.amount for i in r.installments] == [M("36.00"), M("36.00")]  # (90 - 18) / 2
    with u.store.write() as conn:
        pay(conn, u, "200", "2026-03-03", "18.00")
    assert turnoff_list(u, D("2026-03-12")).included[0].account_no == "100"
    # installment 1 due Mar 31 unpaid at the end of Apr 5 -> broken Apr 6
    assert monitor_arrangements(u, D("2026-04-05"))[0].status == "current"
    line = monitor_arrangements(u, D("2026-04-06"))[0]
    assert (line.status, line.status_date) == ("broken", D("2026-04-06"))
    tl = turnoff_list(u, D("2026-04-07"))
    assert [e.account_no for e in tl.included] == ["200", "100"]  # broken first, though 72 < 150
    # not eligible again within 12 months, unless a supervisor overrides (recorded as such)
    again = make_arrangement(u, "200", M("20.00"), 2, as_of=D("2026-04-08"))
    assert not again.eligibility.eligible
    over = make_arrangement(u, "200", M("20.00"), 2, as_of=D("2026-04-08"), override_reason="supervisor: job loss")
    assert over.made and over.eligibility.override
    with u.store.read() as conn:
        row = conn.execute(select(schema.audit_log).where(schema.audit_log.c.action == "arrangement:made",
                                                          schema.audit_log.c.override.is_(True))).one()
    assert row.reason == "supervisor: job loss"


def test_extension_limits_in_store(u):
    assert grant_extension(u, "100", 10, as_of=D("2026-03-02")).decision.new_due == D("2026-03-16")
    assert grant_extension(u, "100", 3, as_of=D("2026-04-01")).decision.granted
    assert not grant_extension(u, "100", 3, as_of=D("2026-05-01")).decision.granted
    run = issue_notices(u, D("2026-03-03"))
    assert "credit extension to 2026-03-16" in {s.account_no: s.reason for s in run.skipped}["100"]


def test_returned_payment_restores_past_due_adds_fee_sets_cash_only_and_notice_removed(u):
    with u.store.write() as conn:
        add_account(conn, "500")
        bill(conn, u, "500", "2026-01-31", "62.40", "2026-02-23")
        pid = pay(conn, u, "500", "2026-02-10", "62.40", check="1187")
        before = ledger_state([p for p in repo.postings_for(conn, "500") if p.id != pid], D("2026-03-02"))
    r = returned_payment(u, "500", return_date=D("2026-03-02"), code="R01", check_no="1187", amount=M("62.40"))
    assert r.payment.id == pid and r.fee == M("30.00") and r.action.action == "represent"
    with u.store.read() as conn:
        posts = repo.postings_for(conn, "500")
    rev = [p for p in posts if p.kind == "reversal"]
    assert len(rev) == 1 and rev[0].reverses == pid and rev[0].amount == M("62.40")
    after = ledger_state(posts, D("2026-03-02"))
    # exactly the state without the payment, plus the fee: 62.40 past due, balance 92.40
    assert after.past_due() == before.past_due() == M("62.40") and after.balance == M("92.40")
    assert r.notice is not None and r.notice.earliest_turnoff == D("2026-03-11") and not r.cash_only_set
    n_posts = count(u, schema.postings)
    again = returned_payment(u, "500", return_date=D("2026-03-02"), code="R01", payment_posting_id=pid)
    assert again.already and count(u, schema.postings) == n_posts  # nothing posted twice

    with u.store.write() as conn:
        pay(conn, u, "500", "2026-03-05", "92.40", check="1190")
    tl = turnoff_list(u, D("2026-03-11"))
    assert "500" in [e.account_no for e in tl.removed]

    # a second return within 12 months makes the account cash-only
    with u.store.write() as conn:
        bill(conn, u, "500", "2026-03-31", "70.00", "2026-04-21")
        pay(conn, u, "500", "2026-04-15", "70.00", check="1201")
    r2 = returned_payment(u, "500", return_date=D("2026-04-20"), code="NSF", check_no="1201", amount=M("70.00"))
    assert r2.cash_only_set and r2.returns_in_window == 2
    assert r2.notice is None  # the bill is not due until Apr 21: nothing past due yet
    with u.store.read() as conn:
        assert repo.get_account(conn, "500").cash_only
        assert conn.execute(select(schema.audit_log).where(schema.audit_log.c.action == "account:cash_only")).one()


def test_commands_end_to_end(u, tmp_path):
    runner = CliRunner()
    home = ["--home", str(u.root)]

    def ok(*args):
        res = runner.invoke(app, [*args, *home])
        assert res.exit_code == 0, res.output
        return " ".join(res.output.split())  # rich wraps long lines

    assert "2 notices issued" in ok("notices", "issue", "--as-of", "2026-03-02")
    assert "0 notices issued" in ok("notices", "issue", "--as-of", "2026-03-02")
    out_dir = u.root / "output" / "collections" / "2026-03-02"
    assert (out_dir / "notices.pdf").stat().st_size > 1000
    assert (out_dir / "landlord-letters.pdf").exists() and (out_dir / "notice-third-party-copies.pdf").exists()
    ok("landlord", "200", "hold", "--on", "2026-03-04")
    ok("conference", "100", "--requested", "2026-03-05")
    out = ok("turnoff-list", "--as-of", "2026-03-11", "--capacity", "3")
    assert "0 on the list" in out
    ok("conference", "100", "--held", "2026-03-12")
    assert "1 on the list" in ok("turnoff-list", "--as-of", "2026-03-12")
    tdir = u.root / "output" / "collections" / "2026-03-12"
    wb = load_workbook(tdir / "turnoff-list.xlsx")
    assert wb["Turn-off list"]["B2"].value == "100" and "TurnoffList" in wb["Turn-off list"].tables
    assert wb["Left out"]["K2"].value == "protected: landlord hold"
    assert (tdir / "work-orders.pdf").exists() and (tdir / "door-hangers.pdf").exists()
    out = ok("arrangement", "100", "--down", "30", "--installments", "3", "--as-of", "2026-03-12",
             "--first-due", "2026-03-31")
    assert "40.00" in out and "agreement" in out  # (150 - 30) / 3
    res = runner.invoke(app, ["arrangement", "200", "--down", "10", "--installments", "3", "--as-of", "2026-03-12", *home])
    assert res.exit_code == 1 and "below 20%" in res.output
    ok("arrangement-monitor", "--as-of", "2026-04-10")
    ok("extension", "200", "--days", "5", "--as-of", "2026-03-12")
    assert "referred" in ok("assistance", "refer", "300", "--as-of", "2026-03-12")
    ok("assistance", "pending", "300", "--applied", "2026-03-12")
    with u.store.write() as conn:
        pid = pay(conn, u, "300", "2026-03-13", "30.00", check="77")
    out = ok("returned-payment", "300", "--code", "R02", "--date", "2026-03-20", "--posting", str(pid))
    assert "new payment method" in out
    assert "already recorded" in ok("returned-payment", "300", "--code", "R02", "--date", "2026-03-20",
                                    "--posting", str(pid))
    assert "score" in ok("credit", "profile", "100", "--as-of", "2026-04-10")
    ok("credit", "portfolio", "--as-of", "2026-04-10", "--out", str(tmp_path / "pf.xlsx"))
    pf = load_workbook(tmp_path / "pf.xlsx")
    assert pf["Risk bands"]._charts and "CreditProfiles" in pf["Profiles"].tables
    ok("aging", "--as-of", "2026-04-10", "--out", str(tmp_path / "aging.xlsx"))
    assert load_workbook(tmp_path / "aging.xlsx")["Aging by class"]["A2"].value == "residential"


def test_a_returned_payment_brings_a_removed_notice_back_as_a_new_notice(u):
    from utilbill.collections_jobs import remove_paid_notices
    first = {i.notice.account_no: i.notice for i in issue_notices(u, D("2026-03-02")).issued}["100"]
    with u.store.write() as conn:
        pid = pay(conn, u, "100", "2026-03-04", "150.00", check="55")
    assert [n.id for n, _ in remove_paid_notices(u, D("2026-03-04"))] == [first.id]
    r = returned_payment(u, "100", return_date=D("2026-03-06"), code="NSF", payment_posting_id=pid)
    # the same 150.00 past due as before the payment, so a new notice dated the return date:
    # Fri Mar 6 + 7 business days = Mar 9, 10, 11, 12, 13, 16, 17
    assert r.notice is not None and r.notice.id != first.id and r.notice.status == "active"
    assert (r.notice.issued, r.notice.amount, r.notice.earliest_turnoff) == (D("2026-03-06"), M("150.00"),
                                                                            D("2026-03-17"))
