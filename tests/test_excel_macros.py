"""Every ribbon task run the way xlwings Server runs it: on ``xw.Book(json=...)`` payloads
built from the built templates, with the returned actions applied back and the result
sheets compared with what the engine job computes on its own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import xlwings_harness as h  # first: licence key and server mode

from excel_fixtures import LATE, PAID, SHOP, filled, readings_workbook, sample_utility, templates
from utilbill.arrangements import schedule
from utilbill.final_bill import final_bill as final_bill_job
from utilbill.money import to_money
from utilbill.payoff import payoff as payoff_job
from utilbill.store import repo, schema

RUN = date(2026, 1, 5)


@pytest.fixture
def u(tmp_path, monkeypatch):
    u = sample_utility(tmp_path)
    monkeypatch.setenv("UTILBILL_HOME", str(u.root))
    return u


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    return templates(tmp_path_factory.mktemp("tpl"))


def run(task, payload):
    return h.apply_actions(payload, h.run_task(task, payload))


def table(payload, sheet):
    rows = h.values(payload, sheet)
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def kv(payload, sheet):
    return {r[0]: r[1] for r in h.values(payload, sheet) if r and r[0] != ""}


def errors(payload):
    return [r for r in table(payload, "Exceptions") if r["severity"] == "error"]


def money(v):
    return to_money(v) if v != "" else None


def test_bill_run_writes_the_bills_the_engine_posts_and_a_rerun_posts_nothing(u, paths, tmp_path):
    rows = [[PAID, RUN, 1080], [LATE, RUN, 5130], ["99-9", RUN, 3], [SHOP, RUN, None, "estimate"]]
    payload = h.book_payload_from_xlsx(readings_workbook(paths, rows, tmp_path, RUN))
    after = run("bill_run", payload)
    assert h.values(after, "Readings") == h.values(payload, "Readings")  # the clerk's input is untouched
    bills = {b["account"]: b for b in table(after, "Bills")}
    with u.store.read() as conn:
        stored = {a: repo.live_bills(conn, a)[-1] for a in (PAID, LATE, SHOP)}
        lines = {a: repo.bill_lines_for(conn, stored[a]["id"]) for a in stored}
    assert sorted(bills) == [PAID, LATE, SHOP]
    for a, b in bills.items():  # the sheet shows exactly what the engine posted
        assert money(b["total"]) == Decimal(stored[a]["total_cents"]) / 100
        assert b["bill_key"] == stored[a]["bill_key"]
        sheet_lines = [l for l in table(after, "Lines") if l["account"] == a]
        assert [money(l["amount"]) for l in sheet_lines] == [Decimal(l["amount_cents"]) / 100 for l in lines[a]]
    assert bills[SHOP]["estimated"] is True and bills[PAID]["units"] == 15  # 1080 - 1065
    assert [(e["row"], e["account"]) for e in errors(after)] == [(6, "99-9")]  # the sheet's own row
    summary = kv(after, "Bill Run")
    assert summary["Bills posted now"] == 3

    again = run("bill_run", after)  # same sheet again: recognised, nothing new posted
    assert kv(again, "Bill Run")["Bills posted now"] == 0
    assert kv(again, "Bill Run")["Bills already posted (not posted again)"] == 3

    reviewed = run("review_and_print", again)
    review = kv(reviewed, "Review")
    assert review["Bill run job"] == summary["Bill run job"]
    assert review["Bills pulled"] + review["Bills to print"] == 3
    assert len(table(reviewed, "Pull")) == review["Bills pulled"]


def test_bill_run_with_a_bad_date_posts_nothing_for_that_row(u, paths, tmp_path):
    payload = h.book_payload_from_xlsx(readings_workbook(paths, [[PAID, "31/31/2026", 1080]], tmp_path, RUN))
    after = run("bill_run", payload)
    assert table(after, "Bills") == []
    assert [(e["row"], e["column"]) for e in errors(after)] == [(4, "read_date")]


def test_final_bill_computes_only_unless_asked_to_post(u, paths, tmp_path):
    values = {"FB_Account": PAID, "FB_MoveOut": date(2026, 1, 20), "FB_FinalReading": 1090}
    with u.store.read() as conn:
        before = len(repo.postings_for(conn, PAID))
    payload = h.book_payload_from_xlsx(filled(paths, "final_bill", values, tmp_path))
    after = run("final_bill", payload)
    expected = final_bill_job(u, PAID, date(2026, 1, 20), reading=1090, post=False)
    rows = table(after, "Final Bill Result")
    assert rows[0]["description"] == "computed only; nothing posted"
    assert [(r["description"], money(r["amount"])) for r in rows[1:]] == [
        (d, a) for _, d, a, _ in expected.statement_rows()]
    with u.store.read() as conn:
        assert len(repo.postings_for(conn, PAID)) == before
    posted = run("final_bill", h.book_payload_from_xlsx(filled(paths, "final_bill", {**values, "FB_Post": "yes"},
                                                                  tmp_path, "post.xlsx")))
    assert table(posted, "Final Bill Result")[0]["description"].startswith("posted (bill ")


def test_payoff_breakdown_and_petition_split(u, paths, tmp_path):
    values = {"PO_Account": LATE, "PO_AsOf": date(2026, 1, 20), "PO_PetitionDate": date(2025, 12, 1)}
    after = run("payoff", h.book_payload_from_xlsx(filled(paths, "payoff", values, tmp_path)))
    expected = payoff_job(u, LATE, date(2026, 1, 20), petition_date=date(2025, 12, 1))
    assert [(r["description"], money(r["amount"])) for r in table(after, "Payoff Result")] == [
        (i.description, i.amount) for i in expected.breakdown]
    totals = h.values(after, "Petition split")[-1]
    assert (money(totals[4]), money(totals[5])) == (expected.split.pre_petition, expected.split.post_petition)


def test_a_blank_input_cell_is_an_exception_with_its_place(u, paths, tmp_path):
    after = run("payoff", h.book_payload_from_xlsx(filled(paths, "payoff", {"PO_Account": LATE}, tmp_path)))
    (e,) = errors(after)
    assert e["sheet"] == "Payoff" and e["row"] == 5 and e["column"].startswith("PO_AsOf (B5)")
    assert "Payoff Result" not in [s["name"] for s in after["sheets"]]


def test_account_lookup(u, paths, tmp_path):
    after = run("account_lookup", h.book_payload_from_xlsx(
        filled(paths, "inquiry", {"IQ_Account": LATE, "IQ_AsOf": date(2026, 1, 1)}, tmp_path)))
    summary = kv(after, "Account")
    assert summary["Account"] == LATE and summary["Customer"] == "Lee Late (owner)"
    history = table(after, "Account history")
    assert money(history[-1]["balance"]) == to_money(summary["Balance on 2026-01-01"].replace("$", ""))


def test_notices_then_the_turnoff_list_in_working_order(u, paths, tmp_path):
    from utilbill.collections_jobs import turnoff_list

    noticed = run("notices", h.payload_from_values({"Sheet1": [[""]]}, names={"NT_AsOf": "=Sheet1!$A$1"}))
    assert {r["account"] for r in table(noticed, "Notices")} >= {LATE}  # as of today: all past due
    with u.store.read() as conn:
        assert conn.execute(schema.notices.select()).first() is not None
    work_day = date(2026, 12, 31)  # well after every notice matured
    after = run("turnoff_list", h.book_payload_from_xlsx(filled(paths, "turnoff", {"TO_AsOf": work_day}, tmp_path)))
    listed = table(after, "Turn-off list")
    expected = turnoff_list(u, work_day)
    assert [r["account"] for r in listed] == [e.account_no for e in expected.included]
    assert [r["rank"] for r in listed] == list(range(1, len(listed) + 1))
    assert [money(r["past_due"]) for r in listed] == sorted((money(r["past_due"]) for r in listed), reverse=True)
    assert len(table(after, "Left out")) == len(expected.excluded)


def test_arrangement_checks_and_records(u, paths, tmp_path):
    from utilbill.collections_jobs import past_due_for

    due = past_due_for(u, LATE, date(2026, 1, 10))
    down = (due * Decimal("0.25")).quantize(Decimal("0.01"))
    values = {"AR_Account": LATE, "AR_Down": down, "AR_Installments": 3, "AR_FirstDue": date(2026, 1, 31),
              "AR_AsOf": date(2026, 1, 10)}
    after = run("arrangement", h.book_payload_from_xlsx(filled(paths, "arrangement", values, tmp_path)))
    grid = h.values(after, "Arrangement Result")
    header = grid.index(["No.", "Due", "Amount", "Remaining"])
    expected = schedule(due, down, 3, date(2026, 1, 31))
    assert [(r[0], money(r[2]), money(r[3])) for r in grid[header + 1:]] == [
        (i.number, i.amount, i.remaining) for i in expected]
    assert kv(after, "Arrangement Result")["Status"] == "checked only; nothing recorded"
    low = run("arrangement", h.book_payload_from_xlsx(filled(paths, "arrangement", {**values, "AR_Down": 1},
                                                             tmp_path, "low.xlsx")))
    assert "below" in errors(low)[0]["reason"]


def test_returned_payment_rows_post_once(u):
    with u.store.read() as conn:
        payment = [p for p in repo.postings_for(conn, PAID) if p.kind == "payment"][-1]
    rows = [["account", "return date", "code", "check no", "amount"],
            [PAID, date(2026, 1, 8), "R01", payment.ref, float(-payment.amount)],
            [PAID, date(2026, 1, 8), "R01", "nope", 1.00]]
    payload = h.payload_from_values({"Returns": rows})
    after = run("returned_payment", payload)
    (done,) = table(after, "Returns Result")
    assert done["status"] == "posted" and money(done["fee"]) == Decimal("30.00")
    assert [e["row"] for e in errors(after)] == [3]
    again = run("returned_payment", payload)
    assert table(again, "Returns Result")[0]["status"] == "already recorded; nothing posted"


def test_payment_batch_posts_when_it_balances_and_once(u):
    rows = [["Source", "mail"], ["Control count", 2], ["Control total", 150.25], ["Batch date", date(2026, 1, 9)],
            [], ["account", "amount", "check no"], [LATE, 100.25, "501"], [SHOP, 50, "502"]]
    payload = h.payload_from_values({"Batch": rows})
    after = run("post_payment_batch", payload)
    assert kv(after, "Batch Result")["Status"].startswith("posted as batch")
    assert h.values(after, "Batch") == h.values(payload, "Batch")
    with u.store.read() as conn:
        assert Decimal(repo.balance_cents(conn, LATE, date(2026, 1, 9))) / 100 < Decimal("734.41")
    assert kv(run("post_payment_batch", payload), "Batch Result")["Status"].startswith("already posted")
    short = [r[:] for r in rows]
    short[2] = ["Control total", 150.00]
    bad = run("post_payment_batch", h.payload_from_values({"Batch": short}))
    assert kv(bad, "Batch Result")["Status"].startswith("NOT posted")
    assert any("out of balance" in e["reason"] for e in errors(bad))


def test_daily_cash_and_check_cash(u, paths, tmp_path, libreoffice):
    from utilbill.recalc import convert

    day = date(2026, 1, 9)
    rows = [["Source", "mail"], ["Control count", 1], ["Control total", 40], ["Batch date", day], [],
            ["account", "amount", "check no"], [LATE, 40, "777"]]
    run("post_payment_batch", h.payload_from_values({"Batch": rows}))
    template = h.book_payload_from_xlsx(paths["daily_cash"])
    h.sheet_payload(template, "Summary")["values"][2][1] = "2026-01-09T00:00:00.000Z"  # Cash_Day (B3)
    made = run("daily_cash", template)
    checks = h.values(made, "Daily Cash Checks")
    assert checks[0] == ["check", "figure", "against", "difference", "status"]
    assert checks[-1][1].endswith("daily-cash-2026-01-09.xlsx")
    # the day's own workbook, as Excel would show it after calculating (LibreOffice here)
    from utilbill.cash_day import cash_day
    from utilbill.cash_workbook import write_cash_workbook

    book = write_cash_workbook(cash_day(u, day), tmp_path / "cash.xlsx")
    calculated = convert(book, "xlsx", tmp_path / "calc")
    payload = h.book_payload_from_xlsx(calculated)
    checked = run("check_cash", payload)
    result = kv(checked, "Cash Check")
    assert result["Figures checked"] > 20 and errors(checked) == []
    # a typed figure changed by hand shows up, with its place
    summary = h.sheet_payload(payload, "Summary")["values"]
    summary[5][1] = 12345.67  # B6: the first check's figure
    tampered = run("check_cash", payload)
    assert any(e["sheet"] == "Summary" and e["column"] == "B6" for e in errors(tampered))


def test_suspense_items_listed_then_decided_row_by_row(u, paths):
    from utilbill.suspense import open_items

    rows = [["Source", "mail"], ["Control count", 3], ["Control total", 60], ["Batch date", date(2026, 1, 9)],
            [], ["account", "amount", "check no"], ["99-0000-9", 25, "701"], ["98-0000-8", 15, "702"],
            [LATE, 20, "703"]]
    assert kv(run("post_payment_batch", h.payload_from_values({"Batch": rows})), "Batch Result")["Status"] \
        .startswith("posted as batch")
    template = h.book_payload_from_xlsx(paths["daily_cash"])
    h.sheet_payload(template, "Summary")["values"][2][1] = "2026-01-09T00:00:00.000Z"  # Cash_Day (B3)
    checks = h.values(run("daily_cash", template), "Daily Cash Checks")
    assert ["Suspense and held items open", 2, 40] == checks[-2][:3] and checks[-2][4] == "to decide"
    first = run("suspense_items", h.payload_from_values({"Notes": [["suspense"]]}))
    assert h.values(first, "Suspense Decisions")[0] == ["item", "decision", "account", "note"]
    listed = table(first, "Suspense Items")
    assert [(r["account written"], r["amount"]) for r in listed] == [("99-0000-9", 25), ("98-0000-8", 15)]
    ids = {r["account written"]: int(r["item"]) for r in listed}
    decisions = [["item", "decision", "account", "note"],
                 [ids["99-0000-9"], "apply", LATE, "old account number on the stub"],
                 [ids["98-0000-8"], "return", "", ""],  # a return needs its reason: refused, the row named
                 ["x", "apply", LATE, ""]]
    after = run("suspense_items", h.payload_from_values({"Suspense Decisions": decisions}))
    assert [r["account written"] for r in table(after, "Suspense Items")] == ["98-0000-8"]
    done = table(after, "Suspense Transfers")
    assert done[0]["decision"] == "applied" and done[0]["account"] == LATE and done[-1]["item"] == "Total"
    assert sum(v for k, v in done[-1].items() if k not in ("item", "decision", "account", "amount", "note")
               and v != "") == done[-1]["amount"] == 25
    errs = errors(after)
    assert [(e["row"], e["column"]) for e in errs] == [(3, "reason"), (4, "item")]
    assert len(open_items(u)) == 1
    again = run("suspense_items", h.payload_from_values({"Suspense Decisions": decisions[:2]}))
    warned = [r for r in table(again, "Exceptions") if r["severity"] == "warning"]
    assert warned and "already applied" in warned[0]["reason"] and errors(again) == []
