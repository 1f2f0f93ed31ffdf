"""The notice run's screened loader gives the rules what the full loader gives them.

utilbill.ledger_cents replays the ledger in integer cents, checked against ledger_state on
random ledgers (and one by hand); store.collections_screen.screen folds settled history and
answers most accounts from their figures, checked against store.collections_repo.load_cases
(every posting of every candidate, replayed with Decimal fund splits) on random stores:
same candidates, same figures, the same notice decision and reason for every account, the
same removals and the same turn-off list.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import date, timedelta
from unittest.mock import patch
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utilbill.config import example_policy
from utilbill.home import init_folder, open_utility
from utilbill.ledger import Posting, ledger_state
from utilbill.ledger_cents import fold, open_charges, past_due
from utilbill.notices import decide_by_past_due, decide_notice, removal_reason
from utilbill.store import collections_repo as crepo
from utilbill.store.collections_repo import load_cases
from utilbill.store.collections_screen import screen
from utilbill.turnoff import build_turnoff_list

D = date.fromisoformat
M = Decimal
POLICY = example_policy()
COL = POLICY.collections


def row(p: Posting) -> tuple:
    return (p.id, p.date, p.kind, int(p.amount * 100), p.due_date, p.bill_id, p.reverses)


# --- the replay in cents -------------------------------------------------------------------

def test_a_late_charge_is_paid_with_its_open_bill_ahead_of_the_bill_hand_checked():
    posts = [Posting(1, D("2026-01-01"), "bill", M("100.00"), D("2026-01-21"), bill_id=1,
                     parts=(("water", M("60.00")), ("wastewater", M("40.00")))),
             Posting(2, D("2026-01-22"), "late_charge", M("1.50"), D("2026-01-22"), bill_id=1, fund="fees"),
             Posting(3, D("2026-02-01"), "bill", M("80.00"), D("2026-02-22"), bill_id=3),
             Posting(4, D("2026-02-05"), "payment", M("-50.00"))]
    rows = [row(p) for p in posts]
    # the payment pays the 1.50 late charge first (it sorts with bill 1, ahead of its lines),
    # then 48.50 of bill 1: unpaid 51.50 of bill 1 and all 80.00 of bill 3
    assert [(c[0], c[4]) for c in open_charges(rows, D("2026-03-01"))] == [(1, 5150), (2, 0), (3, 8000)]
    assert past_due(rows, D("2026-03-01")) == (13150, D("2026-01-21"))
    assert past_due(rows, D("2026-03-01"), on=D("2026-02-10")) == (5150, D("2026-01-21"))
    # a credit pool of 100.00 (a folded past) pays bill 1 as it posts; the late charge then
    # sorts by its own due date (its bill is paid), so the payment pays it and 48.50 of bill 3
    assert past_due(rows, D("2026-03-01"), opening=(10000, 0)) == (3150, D("2026-02-22"))


@st.composite
def ledgers(draw):
    """Bills (some due before they post), late charges and fees attached to a bill or not,
    payments and other credits, reversals of payments and of bills, postings dated earlier
    than postings with smaller ids."""
    posts: list[Posting] = []
    day = D("2025-01-01")
    for pid in range(1, draw(st.integers(min_value=0, max_value=40)) + 1):
        day += timedelta(days=draw(st.integers(min_value=0, max_value=25)))
        when = day - timedelta(days=draw(st.sampled_from([0, 0, 0, 3, 40])))
        cents = draw(st.integers(min_value=0, max_value=30000))
        amount = M(cents) / 100
        kind = draw(st.sampled_from(["bill", "bill", "payment", "payment", "late", "fee", "credit", "return"]))
        bills = [p for p in posts if p.kind == "bill" and p.reverses is None]
        if kind == "bill":
            water = M(draw(st.integers(min_value=0, max_value=cents))) / 100
            posts.append(Posting(pid, when, "bill", amount, when + timedelta(days=draw(st.integers(-5, 40))),
                                 bill_id=pid, parts=(("water", water), ("wastewater", amount - water))))
        elif kind in ("late", "fee"):
            target = draw(st.sampled_from(bills)) if bills and draw(st.booleans()) else None
            due = when + timedelta(days=draw(st.sampled_from([0, 0, 30])))
            posts.append(Posting(pid, when, "late_charge" if kind == "late" else "fee", amount, due,
                                 bill_id=target.bill_id if target else None, fund="fees"))
        elif kind == "payment":
            posts.append(Posting(pid, when, "payment", -amount))
        elif kind == "credit":
            posts.append(Posting(pid, when, draw(st.sampled_from(["adjustment", "writeoff"])), -amount))
        else:
            done = {p.reverses for p in posts}
            targets = [p for p in posts if p.kind in ("payment", "bill") and p.reverses is None and p.id not in done]
            if not targets:
                continue
            t = draw(st.sampled_from(targets))
            posts.append(Posting(pid, max(when, t.date), "reversal", -t.amount, bill_id=t.bill_id, reverses=t.id))
    return posts


@settings(max_examples=400, deadline=None)
@given(posts=ledgers(), after=st.integers(min_value=-30, max_value=60), back=st.integers(min_value=0, max_value=40))
def test_the_replay_in_cents_gives_ledger_state_figures(posts, after, back):
    as_of = max([p.date for p in posts] + [D("2025-01-01")]) + timedelta(days=after)
    full = ledger_state(posts, as_of)
    rows = [row(p) for p in posts]
    unpaid = {c.posting.id: int(c.unpaid * 100) for c in full.charges}
    assert {c[0]: c[4] for c in open_charges(rows, as_of)} == unpaid
    for on in (as_of, as_of - timedelta(days=back)):
        got = past_due(rows, as_of, on=on)
        assert got == (int(full.past_due(on) * 100), full.oldest_past_due_date(on))
    # the same with dates as ISO text, as SQLite hands them over
    text = [(r[0], r[1].isoformat(), r[2], r[3], r[4].isoformat() if r[4] else None, r[5], r[6]) for r in rows]
    got = past_due(text, as_of.isoformat())
    oldest = full.oldest_past_due_date(as_of)
    assert got == (int(full.past_due(as_of) * 100), oldest.isoformat() if oldest else None)


@st.composite
def behind_ledgers(draw):
    """A bill every month or two, a late charge on it the day after its due date, payments
    that come late and pay about what was owed a bill ago (some returned)."""
    posts: list[Posting] = []
    day, pid, owed = D("2025-01-01"), 0, M(0)
    for _ in range(draw(st.integers(min_value=1, max_value=14))):
        pid += 1
        amount = M(draw(st.integers(min_value=1000, max_value=20000))) / 100
        due = day + timedelta(days=21)
        posts.append(Posting(pid, day, "bill", amount, due, bill_id=pid))
        if draw(st.booleans()):
            posts.append(Posting(pid + 1, due + timedelta(days=1), "late_charge", M("1.50"), due + timedelta(days=1),
                                 bill_id=pid, fund="fees"))
            pid += 1
        if draw(st.integers(0, 4)):
            pid += 1
            pay = owed + M(draw(st.integers(min_value=-500, max_value=500))) / 100
            posts.append(Posting(pid, due + timedelta(days=draw(st.integers(0, 50))), "payment", -max(pay, M("1"))))
            if not draw(st.integers(0, 9)):
                posts.append(Posting(pid + 1, posts[-1].date + timedelta(days=3), "reversal", max(pay, M("1")),
                                     reverses=pid))
                pid += 1
        owed = amount
        day += timedelta(days=draw(st.sampled_from([30, 61])))
    return posts


@settings(max_examples=600, deadline=None)
@given(posts=st.one_of(ledgers(), behind_ledgers()), split=st.integers(min_value=0, max_value=500),
       after=st.integers(min_value=0, max_value=60))
def test_a_folded_past_replays_to_the_same_charges(posts, split, after):
    as_of = max([p.date for p in posts] + [D("2025-01-01")]) + timedelta(days=after)
    s = D("2025-01-01") + timedelta(days=split)
    rows = [row(p) for p in posts]
    before = [r for r in rows if r[1] < s]
    charges = [r for r in before if r[3] > 0]
    f = fold(sum(r[3] for r in before), [r for r in rows if r[1] >= s],
             before_max_due=max((r[4] or r[1] for r in charges), default=None),
             before_max_bill=max((r[5] for r in before if r[5] is not None), default=None))
    if f is None:
        return
    full = {c.posting.id: int(c.unpaid * 100) for c in ledger_state(posts, as_of).charges}
    got = {c[0]: c[4] for c in open_charges([r for r in rows if r[1] >= s], as_of, *f)}
    assert got == {i: u for i, u in full.items() if i in got}
    assert not any(u for i, u in full.items() if i not in got)  # everything before s is paid


def test_a_customer_a_bill_behind_folds_as_a_debt_the_later_payments_clear_hand_checked():
    rows = [(1, D("2026-01-01"), "bill", 10000, D("2026-01-22"), 1, None),
            (2, D("2026-01-23"), "late_charge", 150, D("2026-01-23"), 1, None),
            (3, D("2026-03-01"), "bill", 9000, D("2026-03-22"), 3, None),
            (4, D("2026-03-10"), "payment", -10150, None, None, None),  # pays January's bill and its late charge
            (5, D("2026-05-01"), "bill", 8000, D("2026-05-22"), 5, None),
            (6, D("2026-05-05"), "payment", -9000, None, None, None)]  # pays March's
    s = D("2026-03-01")  # before it: 101.50 owed, due by Jan 23 at the latest
    f = fold(10150, rows[2:], before_max_due=D("2026-01-23"), before_max_bill=1)
    assert f == (0, 10150)
    assert past_due(rows[2:], D("2026-06-01"), opening=f) == (8000, D("2026-05-22"))
    assert past_due(rows, D("2026-06-01")) == (8000, D("2026-05-22"))
    # no later payment to clear the debt, or a charge that sorts before it: no fold
    assert fold(10150, rows[2:3], before_max_due=D("2026-01-23"), before_max_bill=1) is None
    assert fold(10150, rows[2:], before_max_due=D("2026-03-22"), before_max_bill=1) is None
    assert fold(10150, [(7, s, "fee", 500, None, 1, None)] + rows[2:], before_max_due=D("2026-01-23"),
                before_max_bill=1) is None


# --- the screened loader against the full one, on random stores ----------------------------

AS_OF = D("2026-06-15")
NOW = "2026-01-01T00:00:00+00:00"


def _history(rng: random.Random, no: str, ids, out: list[dict]) -> None:
    """One account's postings: a pattern (pays on time, always a bill behind, stopped
    paying, overpays, never paid) with noise (late charges, returned payments, cancelled
    bills, credits, a bill not yet due)."""
    style = rng.choice(["prompt", "prompt", "behind", "stopped", "overpays", "never", "mixed"])
    day = AS_OF - timedelta(days=rng.randint(60, 500))
    bills, pays, lag = [], [], 0
    while day <= AS_OF + timedelta(days=3):
        cents = rng.randint(1000, 16000)
        bid = next(ids)
        due = day + timedelta(days=21)
        out.append(dict(id=bid, account_no=no, effective_date=day, kind="bill", amount_cents=cents, due_date=due,
                        bill_id=bid, parts=f'{{"water": {cents // 3}, "wastewater": {cents - cents // 3}}}'))
        bills.append((bid, day, cents))
        paid_on = {"prompt": day + timedelta(days=rng.randint(3, 20)),
                   "behind": due + timedelta(days=rng.randint(20, 70)),
                   "stopped": day + timedelta(days=15) if day < AS_OF - timedelta(days=rng.randint(40, 150)) else None,
                   "overpays": day + timedelta(days=5), "never": None,
                   "mixed": day + timedelta(days=rng.choice([5, 30, 60, 90]))}[style]
        if paid_on is None or paid_on > AS_OF + timedelta(days=3) or rng.random() < 0.1:
            lag += cents
        else:
            amount = cents + lag + (rng.choice([0, 0, 500, 7000]) if style in ("overpays", "mixed") else 0)
            lag = 0 if rng.random() < 0.8 else rng.randint(0, cents)
            amount -= lag
            pid = next(ids)
            out.append(dict(id=pid, account_no=no, effective_date=paid_on, kind="payment", amount_cents=-amount))
            pays.append((pid, paid_on, amount))
        if rng.random() < 0.4:  # a late charge the day after the due date, on the bill
            out.append(dict(id=next(ids), account_no=no, effective_date=due + timedelta(days=1), kind="late_charge",
                            amount_cents=rng.randint(50, 400), due_date=due + timedelta(days=1), bill_id=bid,
                            fund="fees"))
        day += timedelta(days=rng.choice([30, 61]))
    if pays and rng.random() < 0.25:  # a returned payment, and the fee
        pid, paid_on, amount = rng.choice(pays)
        back = paid_on + timedelta(days=rng.randint(0, 20))
        out.append(dict(id=next(ids), account_no=no, effective_date=back, kind="reversal", amount_cents=amount,
                        reverses_id=pid))
        out.append(dict(id=next(ids), account_no=no, effective_date=back, kind="fee", amount_cents=3000,
                        due_date=back, fund="fees"))
    if bills and rng.random() < 0.1:  # a cancelled bill, now and then dated before the bill
        bid, day, cents = rng.choice(bills)
        out.append(dict(id=next(ids), account_no=no, effective_date=day + timedelta(days=rng.randint(-20, 40)),
                        kind="reversal", amount_cents=-cents, bill_id=bid, reverses_id=bid))
    if rng.random() < 0.1:  # a credit adjustment
        out.append(dict(id=next(ids), account_no=no, effective_date=AS_OF - timedelta(days=rng.randint(0, 200)),
                        kind="adjustment", amount_cents=-rng.randint(100, 20000)))


def _collections(rng: random.Random, no: str, ids, out: dict) -> None:
    """Notices (active, removed), holds, an arrangement, an extension for some accounts."""
    if rng.random() < 0.35:
        issued = AS_OF - timedelta(days=rng.randint(0, 60))
        removed = rng.random() < 0.3
        out["notices"].append(dict(id=next(ids), notice_key=f"{no}:{issued}", account_no=no, issued_date=issued,
                                   earliest_turnoff=issued + timedelta(days=9), amount_cents=rng.randint(5000, 40000),
                                   oldest_due=issued - timedelta(days=40), reason="nonpayment", delivery="mail",
                                   status="removed" if removed else "active",
                                   status_date=issued + timedelta(days=rng.randint(0, 90)) if removed else None))
    if rng.random() < 0.15:
        kind = rng.choice(["conference", "medical", "assistance", "bankruptcy", "landlord_hold", "landlord_proceed"])
        start = AS_OF - timedelta(days=rng.randint(0, 120))
        out["holds"].append(dict(account_no=no, kind=kind, start_date=start,
                                 end_date=start + timedelta(days=rng.randint(1, 200)) if rng.random() < 0.5 else None))
    if rng.random() < 0.08:
        made = AS_OF - timedelta(days=rng.randint(0, 200))
        aid = next(ids)
        out["arrangements"].append(dict(id=aid, account_no=no, made_date=made, past_due_cents=30000, down_cents=6000,
                                        installments=2, first_due=made + timedelta(days=30), status="current"))
        for k in (1, 2):
            out["installments"].append(dict(arrangement_id=aid, number=k, due_date=made + timedelta(days=30 * k),
                                            amount_cents=12000))
    if rng.random() < 0.05:
        granted = AS_OF - timedelta(days=rng.randint(0, 10))
        out["extensions"].append(dict(account_no=no, granted_date=granted, new_due=granted + timedelta(days=12),
                                      business_days=8, amount_cents=9000))


def _insert(db: sqlite3.Connection, table: str, rows: list[dict], **fixed) -> None:
    for r in rows:
        r = {**fixed, **r}
        r = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in r.items()}
        db.execute(f"INSERT INTO {table} ({', '.join(r)}) VALUES ({', '.join('?' * len(r))})", list(r.values()))


@pytest.fixture(scope="module", params=[1, 2, 3])
def store(request, tmp_path_factory):
    """A utility of 150 accounts with random histories (rows straight into SQLite)."""
    rng = random.Random(request.param)
    u = init_folder(tmp_path_factory.mktemp(f"screen{request.param}") / "u")
    path = u.store_path
    u.store.dispose()
    counter = iter(range(1, 10**7))
    postings: list[dict] = []
    side = {"notices": [], "holds": [], "arrangements": [], "installments": [], "extensions": []}
    accounts = []
    for i in range(150):
        no = f"{i:04d}"
        tenant = rng.random() < 0.2
        accounts.append(dict(account_no=no, premise_id=no, account_class="residential", customer_name=f"C {no}",
                             customer_role="tenant" if tenant else "owner", service_address=f"{no} Elm",
                             mailing_address=f"{no} Elm", meter_size="5/8", service_start=D("2024-01-01"),
                             landlord_name="L" if tenant else None,
                             flags="bankruptcy" if rng.random() < 0.03 else ""))
        _history(rng, no, counter, postings)
        _collections(rng, no, counter, side)
    rng.shuffle(postings)  # ids are not in date order
    db = sqlite3.connect(path)
    _insert(db, "accounts", accounts, status="active", notice_delivery="mail", cash_only=False, created_at=NOW)
    _insert(db, "postings", postings, posted_at=NOW, clerk="test")
    _insert(db, "notices", side["notices"], clerk="test", created_at=NOW)
    _insert(db, "holds", side["holds"], clerk="test", created_at=NOW)
    _insert(db, "arrangements", side["arrangements"], clerk="test", created_at=NOW, assistance=False, override=False)
    _insert(db, "arrangement_installments", side["installments"])
    _insert(db, "extensions", side["extensions"], clerk="test", created_at=NOW)
    db.commit()
    db.close()
    return open_utility(path.parent)


def _notice_run_whole(no, f) -> bool:  # as issue_notices asks
    return decide_by_past_due(no, f.past_due, f.age_days, f.oldest_due, COL) is None


def _loaders(conn, as_of, whole, **kw):
    """load_cases replaying every posting (its own folding off, so that it is the ledger's
    truth even for a reversal dated before what it reverses), and the screen."""
    common = dict(grace_days=POLICY.arrangements.grace_days,
                  broken_lookback_months=POLICY.arrangements.broken_lookback_months)
    cut = crepo._settled_cut
    with patch.object(crepo, "_settled_cut", lambda rows, keep_from: cut(rows, "0" if isinstance(keep_from, str)
                                                                          else date.min)):
        ref = load_cases(conn, as_of, **common, **kw)
    new = screen(conn, as_of, **common, min_balance=kw.get("min_balance"),
                 with_arrangements=kw.get("with_arrangements", True), whole=whole)
    return ref, new


@pytest.mark.parametrize("as_of", [AS_OF, AS_OF - timedelta(days=45), AS_OF + timedelta(days=2)])
def test_the_notice_run_decides_every_account_as_the_full_loader_does(store, as_of):
    with store.store.read() as conn:
        ref, new = _loaders(conn, as_of, _notice_run_whole,
                            min_balance=min(COL.notice_min_past_due, COL.turnoff_min_past_due))
    assert sorted(new.figures) == sorted(ref)  # the same candidates
    selected = 0
    for no, case in ref.items():
        st_ = case.state
        f = new.figures[no]
        assert (f.past_due, f.age_days, f.oldest_due) == (st_.past_due(as_of), st_.age_days(as_of),
                                                           st_.oldest_past_due_date(as_of)), no
        expected = decide_notice(case, as_of, POLICY)
        selected += expected.issue
        if no in new.cases:
            assert decide_notice(new.cases[no], as_of, POLICY) == expected, no
            assert new.cases[no].account == case.account, no
            assert new.cases[no].last_payment_date() == case.last_payment_date(), no
            assert new.cases[no].arrangements == case.arrangements, no
            for n in case.notices:
                assert removal_reason(new.cases[no], n, as_of) == removal_reason(case, n, as_of), no
        else:  # answered from its figures: never an account the full rule would notice
            assert not expected.issue and not case.active_notice(), no
            assert decide_by_past_due(no, f.past_due, f.age_days, f.oldest_due, COL) == expected, no
    assert selected and len(new.cases) < len(ref)  # the stores exercise both sides


@pytest.mark.parametrize("as_of", [AS_OF, AS_OF - timedelta(days=30)])
def test_the_turnoff_list_is_the_full_loaders(store, as_of):
    with store.store.read() as conn:
        ref, new = _loaders(conn, as_of, lambda no, f: True, min_balance=None, with_arrangements=False)
    assert sorted(new.cases) == sorted(ref)
    want = build_turnoff_list(list(ref.values()), as_of, POLICY, capacity=5)
    got = build_turnoff_list(list(new.cases.values()), as_of, POLICY, capacity=5)
    assert got == want and want.entries


def test_a_store_before_version_4_gets_the_ledger_columns_in_the_balance_index(tmp_path):
    from utilbill.store.collections_screen import _LEDGER_COLS
    from utilbill.store.db import open_store

    u = init_folder(tmp_path / "u")
    u.store.dispose()
    db = sqlite3.connect(u.store_path)
    db.execute("DROP INDEX ix_postings_balance")
    db.execute("CREATE INDEX ix_postings_balance ON postings (account_no, effective_date, amount_cents)")  # as v1 made it
    db.execute("DELETE FROM schema_version WHERE version > 3")
    db.commit()
    db.close()
    assert open_store(u.store_path).version() >= 4
    db = sqlite3.connect(u.store_path)
    cols = [r[2] for r in db.execute("PRAGMA index_info(ix_postings_balance)")]
    assert cols == ["account_no", "effective_date", "amount_cents", "due_date", "kind", "bill_id", "reverses_id"]
    # what the screen reads of an account's postings comes from the index alone
    names = ", ".join(c.name for c in _LEDGER_COLS)
    plan = " ".join(r[-1] for r in db.execute(
        f"EXPLAIN QUERY PLAN SELECT {names} FROM postings WHERE account_no = 'x' AND effective_date >= '2026-01-01'"))
    assert "COVERING INDEX ix_postings_balance" in plan
