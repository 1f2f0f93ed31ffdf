"""Payment batches (domain §8): control count and total, suspense, held duplicates, cash-only
accounts, electric and permit receipts, fund distribution, one transaction, idempotency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from test_cash_helpers import DAY, three_accounts, write_batch
from utilbill.fund_distribution import NewPayment, distribute_new_payments
from utilbill.ledger import Posting
from utilbill.payments import post_payment_batch
from utilbill.store import schema as S

D = Decimal


def _count(u, table):
    with u.store.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def _setup(tmp_path):
    return three_accounts(tmp_path)  # 10-1001: 62.40 bill + 0.94 late charge; 10-1002: 36.00; 10-1003 cash-only


def test_balanced_batch_posts_with_dispositions_and_funds(tmp_path):
    u = _setup(tmp_path)
    f = write_batch(tmp_path / "walkin.xlsx", [
        ("10-1001", "30.00", "cash", None),      # row 7: 30 x 40/62.40 = 19.23 water, 10.77 wastewater
        ("10-1002", "50.00", "check", "1187"),   # row 8: 36.00 bill (17 water, 19 wastewater) + 14.00 unapplied
        ("10-1003", "25.00", "check", "501"),    # row 9: cash-only account by check: held
        ("77-0000", "12.50", "cash", None),      # row 10: unknown account: suspense
        ("10-1002", "50.00", "check", "1187"),   # row 11: duplicate of row 8: held
    ], drawer="DRAWER-1")
    res = post_payment_batch(u, f, "walk-in")
    assert res.posted and res.balanced and not res.errors
    by_row = {i.row: i for i in res.items}
    assert by_row[7].funds == {"water": D("19.23"), "wastewater": D("10.77")}
    assert by_row[8].funds == {"water": D("17.00"), "wastewater": D("19.00"), "unapplied": D("14.00")}
    assert (by_row[9].disposition, by_row[9].hold_reason) == ("held", "cash_only")
    assert by_row[10].disposition == "suspense"
    assert (by_row[11].disposition, by_row[11].duplicate_of_row) == ("held", 8)
    # money received = 30 + 50 + 25 + 12.50 + 50 = 167.50; suspense carries 25 + 12.50 + 50 = 87.50
    assert res.fund_totals() == {"water": D("36.23"), "wastewater": D("29.77"), "unapplied": D("14.00"),
                                 "suspense": D("87.50")}
    assert _count(u, S.payment_holds) == 2 and _count(u, S.payment_suspense) == 1
    with u.store.read() as conn:
        pays = conn.execute(select(S.postings.c.account_no, S.postings.c.amount_cents)
                            .where(S.postings.c.kind == "payment").order_by(S.postings.c.id)).all()
        alloc = conn.execute(select(func.sum(S.payment_allocations.c.amount_cents))).scalar()
    assert pays == [("10-1001", -3000), ("10-1002", -5000)]
    assert alloc == 16750


def test_same_file_twice_posts_nothing_and_says_so(tmp_path):
    u = _setup(tmp_path)
    f = write_batch(tmp_path / "mail.csv", [("10-1001", "62.40", "check", "9")])
    assert post_payment_batch(u, f, "mail").posted
    again = post_payment_batch(u, f, "mail")
    assert again.already_posted and not again.posted
    assert "already posted" in str(again.findings[-1])
    assert _count(u, S.payment_batches) == 1 and _count(u, S.payment_items) == 1


def test_duplicate_of_an_item_already_in_the_store_is_held(tmp_path):
    u = _setup(tmp_path)
    post_payment_batch(u, write_batch(tmp_path / "a.csv", [("10-1001", "10.00", "check", "44")]), "mail")
    res = post_payment_batch(u, write_batch(tmp_path / "b.csv", [("10-1001", "10.00", "check", "44"),
                                                                  ("10-1001", "10.00", "check", "45")]), "mail")
    assert [i.disposition for i in res.items] == ["held", "posted"]
    assert res.items[0].duplicate_of_item_id is not None


def test_out_of_balance_by_count_posts_nothing(tmp_path):
    u = _setup(tmp_path)
    f = write_batch(tmp_path / "m.csv", [("10-1001", "10.00", "check", "1"), ("10-1002", "5.00", "check", "2")],
                    control_count=3)
    res = post_payment_batch(u, f, "mail")
    assert not res.posted and res.count_difference == -1
    assert "out of balance" in str(res.findings[0]) and "-1 items" in str(res.findings[0])
    assert _count(u, S.postings) == 3 and _count(u, S.payment_batches) == 0  # only the setup's postings


def test_out_of_balance_by_amount_names_the_row_that_explains_it(tmp_path):
    u = _setup(tmp_path)
    # tape says 27.50; the items add to 10.00 + 5.00 + 12.50 + 12.50 = 40.00: one 12.50 keyed twice?
    f = write_batch(tmp_path / "m.xlsx", [("10-1001", "10.00", "check", "1"), ("10-1002", "5.00", "check", "2"),
                                          ("10-1002", "12.50", "check", "3"), ("10-1001", "12.50", "check", "4")],
                    control_total="27.50")
    res = post_payment_batch(u, f, "mail")
    assert not res.posted and res.total_difference == D("12.50")
    hinted = {f.row for f in res.findings if f.severity == "warning"}
    assert hinted == {8, 9}  # the two 12.50 items (the table starts on row 6)
    assert _count(u, S.payment_batches) == 0


def test_bad_items_reject_the_whole_batch(tmp_path):
    u = _setup(tmp_path)
    f = write_batch(tmp_path / "w.csv", [("10-1001", "0", "cash", None), ("10-1002", "5.00", "check", None),
                                         ("10-1002", "5.00", "cash", None)])  # no drawer for cash
    res = post_payment_batch(u, f, "mail")
    reasons = " | ".join(str(x) for x in res.errors)
    assert not res.posted
    assert "not more than zero" in reasons and "check needs its check number" in reasons and "cash needs a drawer" in reasons
    assert {x.row for x in res.errors} == {6, 7, 8}
    assert _count(u, S.payment_items) == 0


def test_controls_as_options_and_electric_and_permits(tmp_path):
    u = _setup(tmp_path)
    path = tmp_path / "permits.csv"
    path.write_text("account,amount,tender,check_no,type,permit_no,payer\n"
                    ",150.00,check,5120,permit,TAP-2026-014,Acme Builders\n"
                    "E-55102,84.16,check,5121,electric,,\n")
    res = post_payment_batch(u, path, "permits", control_count=2, control_total=D("234.16"), batch_date=DAY)
    assert res.posted
    assert res.fund_totals() == {"permits": D("150.00"), "electric": D("84.16")}
    assert _count(u, S.permit_receipts) == 1
    with u.store.read() as conn:
        assert conn.execute(select(func.count()).select_from(S.postings).where(S.postings.c.kind == "payment")).scalar() == 0


def test_missing_controls_are_an_error(tmp_path):
    u = _setup(tmp_path)
    path = tmp_path / "m.csv"
    path.write_text("account,amount,check_no\n10-1001,5.00,7\n")
    res = post_payment_batch(u, path, "mail")
    assert not res.posted and any("no control count" in str(f) for f in res.errors)


# --- property: distributions add up to the payment --------------------------------------

amounts = st.integers(min_value=1, max_value=50_000).map(lambda c: Decimal(c) / 100)


@settings(max_examples=200, deadline=None)
@given(bills=st.lists(st.tuples(amounts, amounts), max_size=4),
       payments=st.lists(amounts, min_size=1, max_size=5))
def test_distribution_adds_up_to_each_payment(bills, payments):
    postings = [Posting(id=k + 1, date=date(2026, 1, 1 + k), kind="bill", amount=w + ww, due_date=date(2026, 2, 1 + k),
                        parts=(("water", w), ("wastewater", ww))) for k, (w, ww) in enumerate(bills)]
    new = [NewPayment(key=k, account_no="A", amount=a, pay_date=DAY) for k, a in enumerate(payments)]
    dist = distribute_new_payments({"A": postings}, new)
    for p in new:
        assert sum(dist[p.key].values()) == p.amount
        assert all(v > 0 for v in dist[p.key].values())
    owed = sum((w + ww for w, ww in bills), Decimal(0))
    applied = sum((v for d in dist.values() for f, v in d.items() if f != "unapplied"), Decimal(0))
    assert applied == min(owed, sum(payments))  # pays what is owed, no more


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(st.tuples(st.sampled_from(["10-1001", "10-1002", "10-1003", "55-0000"]), amounts,
                                st.sampled_from(["cash", "check", "card"])), min_size=1, max_size=12))
def test_posted_batch_allocations_add_up(tmp_path_factory, items):
    tmp = tmp_path_factory.mktemp("prop")
    u = _setup(tmp)
    rows = [(a, str(amt), t, f"{k + 100}" if t == "check" else None) for k, (a, amt, t) in enumerate(items)]
    res = post_payment_batch(u, write_batch(tmp / "b.xlsx", rows, drawer="DRAWER-1"), "walk-in")
    assert res.posted
    for i in res.items:
        assert sum(i.funds.values()) == i.amount
    with u.store.read() as conn:
        stored = conn.execute(select(func.sum(S.payment_allocations.c.amount_cents))).scalar()
    assert stored == int(sum((a for _, a, _ in items), Decimal(0)) * 100)


def test_an_empty_batch_is_refused_with_a_reason(tmp_path):
    u = _setup(tmp_path)
    f = write_batch(tmp_path / "empty.csv", [], control_count=0, control_total="0.00")
    res = post_payment_batch(u, f, "mail")
    assert not res.posted and any("no payments" in str(x) for x in res.errors)
    assert _count(u, S.postings) == 3 and _count(u, S.payment_batches) == 0
