"""Suspense and held items (domain §8): applied to the right account, released, or returned,
once each, with the money's move out of suspense by fund; the batch's day stays as it was."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from test_cash_helpers import DAY, add_account, three_accounts, write_batch
from utilbill.cash_day import cash_day
from utilbill.findings import FindingsError
from utilbill.payments import post_payment_batch
from utilbill.store import schema as S
from utilbill.suspense import apply_item, open_items, return_item, transfers_on, write_transfers_workbook

D = Decimal
LATER = date(2026, 3, 9)  # a week after the batch day (DAY, Mar 2)


def _day_with_open_items(tmp_path):
    u = three_accounts(tmp_path)  # 10-1001: 62.40 bill + 0.94 late charge; 10-1002: 36.00; 10-1003 cash-only
    f = write_batch(tmp_path / "walkin.xlsx", [
        ("10-1003", "25.00", "check", "501"),    # row 7: cash-only account by check: held
        ("77-0000", "30.00", "cash", None),      # row 8: unknown account: suspense
        ("10-1002", "50.00", "check", "1187"),   # row 9: posted (36.00 bill + 14.00 unapplied)
        ("10-1002", "50.00", "check", "1187"),   # row 10: duplicate of row 9: held
        ("88-0000", "12.50", "cash", None),      # row 11: unknown account: suspense
    ], drawer="DRAWER-1")
    res = post_payment_batch(u, f, "walk-in")
    assert res.posted
    return u, {i.row: i for i in res.items}


def _item_id(u, row: int) -> int:
    with u.store.read() as conn:
        return conn.execute(select(S.payment_items.c.id).where(S.payment_items.c.row == row)).scalar()


def test_the_open_list_names_every_suspense_and_held_item(tmp_path):
    u, _ = _day_with_open_items(tmp_path)
    items = open_items(u)
    assert [(i.row, i.kind, i.account_no, i.amount) for i in items] == [
        (7, "held", "10-1003", D("25.00")), (8, "suspense", "77-0000", D("30.00")),
        (10, "held", "10-1002", D("50.00")), (11, "suspense", "88-0000", D("12.50"))]
    assert "cash-only" in items[0].reason and "duplicate of row 9" in items[2].reason
    assert len(open_items(u, received_by=DAY)) == 4 and open_items(u, received_by=date(2026, 3, 1)) == []


def test_a_suspense_item_applied_is_a_payment_dated_when_received_split_by_the_rule_hand_checked(tmp_path):
    u, _ = _day_with_open_items(tmp_path)
    before = cash_day(u, DAY)
    item = _item_id(u, 8)
    res = apply_item(u, item, account_no="10-1001", on=LATER, memo="customer wrote an old account number")
    # 30.00 pays the oldest charges of 10-1001 first: the bill (62.40, due Feb 23); within it
    # water and wastewater in proportion to its lines: 30 x 40/62.40 = 19.23, wastewater the rest
    assert (res.kind, res.account_no, res.amount) == ("applied", "10-1001", D("30.00"))
    assert res.parts == {"water": D("19.23"), "wastewater": D("10.77")}
    with u.store.read() as conn:
        p = conn.execute(select(S.postings).where(S.postings.c.id == res.posting_id)).one()._mapping
        status = conn.execute(select(S.payment_suspense.c.status, S.payment_suspense.c.resolved_posting_id)
                              .where(S.payment_suspense.c.item_id == item)).one()
    assert (p["account_no"], p["kind"], p["amount_cents"], p["effective_date"]) == ("10-1001", "payment", -3000, DAY)
    import hashlib
    from pathlib import Path

    assert p["source_file"].endswith("walkin.xlsx")  # which file the money came in with, and its hash
    assert p["source_hash"] == hashlib.sha256(Path(p["source_file"]).read_bytes()).hexdigest()
    assert tuple(status) == ("resolved", res.posting_id)
    # the batch's day is what it was: the money came in then, into suspense
    after = cash_day(u, DAY)
    assert after.by_fund == before.by_fund and after.by_fund["suspense"] == D("117.50")
    assert [i.row for i in open_items(u)] == [7, 10, 11]


def test_a_held_duplicate_is_released_to_its_own_account_and_a_second_decision_is_refused(tmp_path):
    u, _ = _day_with_open_items(tmp_path)
    item = _item_id(u, 10)
    res = apply_item(u, item, on=LATER)
    # 10-1002 owed nothing more after row 9 (14.00 credit): all 50.00 is unapplied credit
    assert (res.kind, res.account_no, res.parts) == ("released", "10-1002", {"unapplied": D("50.00")})
    with pytest.raises(FindingsError, match=r"already released to 10-1002 on 2026-03-09"):
        apply_item(u, item, on=LATER)
    with pytest.raises(FindingsError, match="already released"):
        return_item(u, item, reason="paid twice", on=LATER)


def test_refusals_post_nothing(tmp_path):
    u, _ = _day_with_open_items(tmp_path)
    with u.store.read() as conn:
        n = conn.execute(select(S.postings.c.id)).all()
    with pytest.raises(FindingsError, match="give the account it belongs to$"):
        apply_item(u, _item_id(u, 8), on=LATER)
    add_account(u, "88-0000")  # the account written on row 11 is opened after the payment came in
    with pytest.raises(FindingsError, match="account 88-0000 has been opened since: give it as the account"):
        apply_item(u, _item_id(u, 11), on=LATER)
    with pytest.raises(FindingsError, match="there is no account 99-9999"):
        apply_item(u, _item_id(u, 8), account_no="99-9999", on=LATER)
    with pytest.raises(FindingsError, match="cash-only: a check cannot be applied"):
        apply_item(u, _item_id(u, 7), on=LATER)
    with pytest.raises(FindingsError, match="not in suspense or held .it was posted."):
        apply_item(u, _item_id(u, 9), account_no="10-1001", on=LATER)
    with pytest.raises(FindingsError, match="say why"):
        return_item(u, _item_id(u, 7), reason=" ", on=LATER)
    with pytest.raises(FindingsError, match="came in on 2026-03-02: it cannot be decided on 2026-02-27"):
        apply_item(u, _item_id(u, 8), account_no="10-1001", on=date(2026, 2, 27))
    with u.store.read() as conn:
        assert conn.execute(select(S.postings.c.id)).all() == n
        assert conn.execute(select(S.payment_resolutions)).all() == []


def test_the_days_transfers_add_up_and_go_to_a_workbook(tmp_path):
    u, _ = _day_with_open_items(tmp_path)
    apply_item(u, _item_id(u, 8), account_no="10-1001", on=LATER)
    apply_item(u, _item_id(u, 10), on=LATER)
    ret = return_item(u, _item_id(u, 7), reason="cash-only account: check mailed back", on=LATER)
    assert (ret.kind, ret.account_no, ret.posting_id, ret.parts) == ("returned", None, None, {"refund": D("25.00")})
    apply_item(u, _item_id(u, 11), account_no="10-1002", on=date(2026, 3, 10))  # another day
    t = transfers_on(u, LATER)
    # out of suspense: 30.00 + 50.00 + 25.00 = 105.00 = water 19.23 + wastewater 10.77
    # + unapplied 50.00 + refund 25.00
    assert t.total() == D("105.00")
    assert t.funds == ["water", "wastewater", "unapplied", "refund"]
    assert [t.total(f) for f in t.funds] == [D("19.23"), D("10.77"), D("50.00"), D("25.00")]
    assert sum((t.total(f) for f in t.funds), D(0)) == t.total()
    out = write_transfers_workbook(t, tmp_path / "out" / "Suspense-2026-03-09.xlsx")
    wb = load_workbook(out)
    rows = list(wb["Transfers"].iter_rows(values_only=True))
    assert rows[0][:7] == ("item", "batch", "row", "received", "decision", "account", "amount")
    assert [r[4] for r in rows[1:-1]] == ["applied", "released", "returned"]
    assert rows[-1][0] == "Total" and rows[-1][6] == 105.0 and rows[-1][7:11] == (19.23, 10.77, 50.0, 25.0)
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True)}
    assert summary["Out of suspense"] == 105.0 and summary["Into refund"] == 25.0
    assert open_items(u) == []


def test_resolutions_are_append_only(tmp_path):
    u, _ = _day_with_open_items(tmp_path)
    apply_item(u, _item_id(u, 8), account_no="10-1001", on=LATER)
    with pytest.raises(Exception, match="append-only"):
        with u.store.write() as conn:
            conn.execute(S.payment_resolutions.update().values(amount_cents=1))


def test_check_passes_after_decisions_and_finds_a_decision_without_its_payment(tmp_path):
    import sqlite3

    from utilbill.integrity import check_store

    u, _ = _day_with_open_items(tmp_path)
    apply_item(u, _item_id(u, 8), account_no="10-1001", on=LATER)
    return_item(u, _item_id(u, 7), reason="cash-only: check mailed back", on=LATER)
    report = check_store(u.store)
    assert report.counts.get("suspense decisions", 0) == 0 and "suspense decisions" not in report.skipped
    db = sqlite3.connect(u.store_path)  # a decision written around the job, with no payment
    db.execute("INSERT INTO payment_resolutions (item_id, kind, resolved_date, account_no, posting_id, amount_cents, "
               "parts, clerk, created_at) VALUES (?, 'applied', '2026-03-09', '10-1002', NULL, 1250, "
               "'{\"water\": 1250}', 'x', 'now')", (_item_id(u, 11),))
    db.commit()
    db.close()
    report = check_store(u.store)
    assert report.counts.get("suspense decisions") == 1
    assert any("was applied but posting None is not a payment of 12.50 to 10-1002" in f.message
               for f in report.findings)


def test_a_store_before_version_5_gets_the_decisions_table_and_its_rules(tmp_path):
    import sqlite3

    from utilbill.integrity import check_store
    from utilbill.store.db import open_store

    u, _ = _day_with_open_items(tmp_path)
    u.store.dispose()
    db = sqlite3.connect(u.store_path)
    for t in ("payment_resolutions_no_update", "payment_resolutions_no_delete"):
        db.execute(f"DROP TRIGGER {t}")
    db.execute("DROP TABLE payment_resolutions")
    db.execute("DELETE FROM schema_version WHERE version >= 5")
    db.commit()
    db.close()
    s = open_store(u.store_path)
    assert s.version() >= 5
    report = check_store(s)
    assert report.counts.get("append-only", 0) == 0 and "suspense decisions" not in report.skipped
    s.dispose()
