"""Collections rules with hand-computed figures (domain §6, §7, §9)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utilbill.aging import aging_report, bucket_labels
from utilbill.arrangements import PastArrangement, check_eligibility, monitor, schedule
from utilbill.config import example_policy
from utilbill.credit_analysis import credit_profile
from utilbill.extensions import decide_extension
from utilbill.history_text import history_from_text
from utilbill.ledger import ledger_state
from utilbill.notices import earliest_turnoff, medical_deadline
from utilbill.returned_payments import becomes_cash_only, return_action

POLICY = example_policy()
CAL = POLICY.calendar  # federal + Nebraska + the day after Thanksgiving
D = date.fromisoformat
M = Decimal


# --- earliest turn-off date: the 7th business day after the notice date ---------------------

@pytest.mark.parametrize("notice, expected, why", [
    # Mon 2026-03-02: Tue 3, Wed 4, Thu 5, Fri 6, Mon 9, Tue 10, Wed 11 -> 7th = Wed 11
    ("2026-03-02", "2026-03-11", "plain week: one weekend skipped"),
    # Fri 2026-03-06: Mon 9 .. Fri 13 (5), Mon 16 (6), Tue 17 (7)
    ("2026-03-06", "2026-03-17", "notice on a Friday"),
    # Sat 2026-03-07 (a notice handed over on a Saturday): Mon 9 .. Fri 13, Mon 16, Tue 17
    ("2026-03-07", "2026-03-17", "notice dated on a weekend"),
    # Thanksgiving week 2026: Thu Nov 26 holiday, Fri Nov 27 configured closure.
    # Fri Nov 20: Mon 23 (1), Tue 24 (2), Wed 25 (3), [26, 27, 28, 29 skipped], Mon 30 (4),
    # Tue Dec 1 (5), Wed Dec 2 (6), Thu Dec 3 (7)
    ("2026-11-20", "2026-12-03", "Thanksgiving and the day after skipped"),
    # Mon Nov 23: Tue 24 (1), Wed 25 (2), Mon 30 (3), Tue 1 (4), Wed 2 (5), Thu 3 (6), Fri 4 (7)
    ("2026-11-23", "2026-12-04", "notice in Thanksgiving week"),
    # Wed Nov 25: Mon 30 (1), Tue 1 .. Fri 4 (2-5), Mon 7 (6), Tue 8 (7)
    ("2026-11-25", "2026-12-08", "notice the day before Thanksgiving"),
    # Thu Dec 24 2026: Fri 25 Christmas; Mon 28 (1), Tue 29 (2), Wed 30 (3), Thu 31 (4),
    # Fri Jan 1 New Year; Mon 4 (5), Tue 5 (6), Wed 6 (7)
    ("2026-12-24", "2027-01-06", "Christmas and New Year"),
    # Wed 2026-07-01: Thu 2 (1), Fri 3 = Independence Day observed (Jul 4 is a Saturday),
    # Mon 6 (2), Tue 7 (3), Wed 8 (4), Thu 9 (5), Fri 10 (6), Mon 13 (7)
    ("2026-07-01", "2026-07-13", "Independence Day observed on Friday"),
    # Mon 2026-04-20: Tue 21 (1), Wed 22 (2), Thu 23 (3), Fri 24 = Arbor Day (last Friday of April),
    # Mon 27 (4), Tue 28 (5), Wed 29 (6), Thu 30 (7)
    ("2026-04-20", "2026-04-30", "Nebraska Arbor Day"),
])
def test_earliest_turnoff_hand_checked(notice, expected, why):
    assert earliest_turnoff(D(notice), CAL, 7) == D(expected), why


def test_day_after_thanksgiving_is_a_closure_in_the_example_calendar():
    assert CAL.holiday_name(D("2026-11-26")) == "Thanksgiving Day"
    assert CAL.holiday_name(D("2026-11-27")) == "Day after Thanksgiving"


def test_medical_certificate_deadline_is_5_business_days():
    # Fri Nov 20 2026: Mon 23, Tue 24, Wed 25, (26, 27 closed) Mon 30, Tue Dec 1
    assert medical_deadline(D("2026-11-20"), CAL, 5) == D("2026-12-01")


# --- aging ----------------------------------------------------------------------------------

def test_aging_buckets_by_charge_age():
    h = history_from_text("""
        2026-01-05 bill 40.00 due=2026-01-26
        2026-03-05 bill 50.00 due=2026-03-26
        2026-05-05 bill 60.00 due=2026-05-26
        2026-05-20 payment 10.00
    """)
    st_ = ledger_state(h, D("2026-06-01"))
    rep = aging_report([("1", "residential", st_)], D("2026-06-01"), (0, 30, 60, 90))
    a = rep.accounts[0]
    # payment 10.00 pays the oldest bill first: 40 -> 30 unpaid.
    # ages on Jun 1: Jan 26 -> 126 days (over 90); Mar 26 -> 67 days (61-90); May 26 -> 6 days (1-30)
    assert a.buckets == {"current": M("0"), "1-30": M("60.00"), "31-60": M("0"), "61-90": M("50.00"),
                         "over 90": M("30.00")}
    assert a.past_due == M("140.00") and a.age_days == 126
    assert bucket_labels((0, 30, 60, 90)) == ["current", "1-30", "31-60", "61-90", "over 90"]
    assert rep.by_class()["residential"]["over 90"] == M("30.00")


# --- arrangement schedules -----------------------------------------------------------------

def test_schedule_rounds_down_and_last_takes_the_remainder():
    # financed 250.00 - 50.00 = 200.00; 200 / 3 = 66.666.. -> 66.66, 66.66, 200 - 133.32 = 66.68
    s = schedule(M("250.00"), M("50.00"), 3, D("2026-01-31"))
    assert [i.amount for i in s] == [M("66.66"), M("66.66"), M("66.68")]
    assert [i.remaining for i in s] == [M("133.34"), M("66.68"), M("0.00")]


def test_month_end_anchor_does_not_drift():
    s = schedule(M("700.00"), M("140.00"), 6, D("2026-01-31"))
    # counted from the anchor: Jan 31, Feb 28, Mar 31, Apr 30, May 31, Jun 30 (never Mar 28)
    assert [i.due_date for i in s] == [D("2026-01-31"), D("2026-02-28"), D("2026-03-31"), D("2026-04-30"),
                                       D("2026-05-31"), D("2026-06-30")]
    leap = schedule(M("100.00"), M("20.00"), 3, D("2028-01-31"))
    assert [i.due_date for i in leap] == [D("2028-01-31"), D("2028-02-29"), D("2028-03-31")]


@settings(max_examples=200, deadline=None)
@given(past_due=st.integers(min_value=1, max_value=10_000_00), down_pct=st.integers(min_value=20, max_value=100),
       n=st.integers(min_value=1, max_value=12))
def test_installments_sum_to_the_financed_amount(past_due, down_pct, n):
    pd = M(past_due) / 100
    down = (pd * down_pct / 100).quantize(M("0.01"))
    s = schedule(pd, down, n, D("2026-01-31"))
    assert sum(i.amount for i in s) == pd - down
    assert all(i.amount >= 0 for i in s)
    assert len({i.amount for i in s[:-1]}) <= 1 and s[-1].amount >= s[0].amount
    assert s[-1].remaining == 0


def test_eligibility_limits_and_supervisor_override():
    pol = POLICY.arrangements
    # 20% of 300.00 = 60.00
    e = check_eligibility(M("300.00"), M("59.99"), 6, D("2026-06-01"), [], pol)
    assert not e.eligible and "below 20% of the past due ($60.00)" in e.reasons[0]
    assert check_eligibility(M("300.00"), M("60.00"), 6, D("2026-06-01"), [], pol).eligible
    assert not check_eligibility(M("300.00"), M("60.00"), 7, D("2026-06-01"), [], pol).eligible
    assert check_eligibility(M("300.00"), M("60.00"), 12, D("2026-06-01"), [], pol, assistance=True).eligible
    broke = [PastArrangement(D("2025-09-01"), "broken", D("2025-10-06"))]
    refused = check_eligibility(M("300.00"), M("60.00"), 6, D("2026-06-01"), broke, pol)
    assert not refused.eligible and "broken on 2025-10-06" in refused.reasons[0]
    over = check_eligibility(M("300.00"), M("60.00"), 6, D("2026-06-01"), broke, pol, override_reason="medical bills")
    assert over.eligible and over.override and over.reasons  # recorded as an override, reasons kept
    # broken more than 12 months ago: eligible without override
    old = [PastArrangement(D("2025-01-01"), "broken", D("2025-05-31"))]
    assert check_eligibility(M("300.00"), M("60.00"), 6, D("2026-06-01"), old, pol).eligible


def test_missed_installment_breaks_after_grace_days_not_before():
    # made 2026-01-10: past due 300, down 60 paid that day; 2 installments of 120 due Feb 10, Mar 10
    inst = schedule(M("300.00"), M("60.00"), 2, D("2026-02-10"))
    h = history_from_text("""
        2026-01-10 payment 60.00
    """)
    # installment 1 due Feb 10, grace 5 days: unpaid at the end of Feb 15 -> broken on Feb 16
    assert monitor(D("2026-01-10"), M("60.00"), inst, h, D("2026-02-15"), 5).status == "current"
    st_ = monitor(D("2026-01-10"), M("60.00"), inst, h, D("2026-02-16"), 5)
    assert (st_.status, st_.status_date, st_.missed) == ("broken", D("2026-02-16"), "installment 1")
    # paid on the last grace day: kept current, then kept when all is paid
    h2 = history_from_text("""
        2026-01-10 payment 60.00
        2026-02-15 payment 120.00
        2026-03-12 payment 120.00
    """)
    assert monitor(D("2026-01-10"), M("60.00"), inst, h2, D("2026-02-20"), 5).status == "current"
    assert monitor(D("2026-01-10"), M("60.00"), inst, h2, D("2026-03-12"), 5).status == "kept"


def test_a_new_bill_must_also_be_paid():
    inst = schedule(M("300.00"), M("60.00"), 2, D("2026-02-10"))
    h = history_from_text("""
        2026-01-10 payment 60.00
        2026-01-20 bill 45.00 due=2026-02-10
        2026-02-10 payment 120.00
    """)
    # by Feb 15 required 60 + 120 + 45 = 225, paid 180 -> broken Feb 16 on the bill
    st_ = monitor(D("2026-01-10"), M("60.00"), inst, h, D("2026-02-16"), 5)
    assert (st_.status, st_.status_date, st_.required_now, st_.paid) == ("broken", D("2026-02-16"), M("225.00"),
                                                                         M("180.00"))
    # without the new bill the same payments keep it current
    assert monitor(D("2026-01-10"), M("60.00"), inst, [h[0], h[2]], D("2026-02-16"), 5).status == "current"


# --- extensions -----------------------------------------------------------------------------

def test_extension_limits():
    pol = POLICY.extensions
    # Fri 2026-11-20 + 10 business days: 23, 24, 25, 30, Dec 1, 2, 3, 4, 7, 8 -> Tue Dec 8
    d = decide_extension(M("80.00"), 10, D("2026-11-20"), [], pol, CAL)
    assert d.granted and d.new_due == D("2026-12-08")
    assert not decide_extension(M("80.00"), 11, D("2026-11-20"), [], pol, CAL).granted
    two = [D("2026-02-01"), D("2026-06-01")]
    assert not decide_extension(M("80.00"), 5, D("2026-11-20"), two, pol, CAL).granted
    # the February one has left the 12-month window by 2027-02-02
    assert decide_extension(M("80.00"), 5, D("2027-02-02"), two, pol, CAL).granted


# --- returned payments ----------------------------------------------------------------------

def test_ach_codes():
    pol = POLICY.returned_payments
    assert return_action("R01", 0, pol).action == "represent"
    assert return_action("r09", 1, pol).action == "represent"
    assert return_action("R01", 2, pol).action == "new_payment_method"  # presented again twice already
    assert {return_action(c, 0, pol).action for c in ("R02", "R03", "R04")} == {"new_payment_method"}
    assert {return_action(c, 0, pol).action for c in ("R07", "R08", "R10")} == {"stop_debits"}
    assert return_action("NSF", 0, pol).action == "none"
    with pytest.raises(ValueError):
        return_action("R99", 0, pol)


def test_cash_only_after_two_returns_in_12_months():
    pol = POLICY.returned_payments
    assert not becomes_cash_only([D("2026-03-01")], D("2026-03-01"), pol)
    assert becomes_cash_only([D("2025-04-01"), D("2026-03-01")], D("2026-03-01"), pol)
    assert not becomes_cash_only([D("2025-03-01"), D("2026-03-01")], D("2026-03-01"), pol)  # 12 months apart


def test_returned_history_restores_past_due_and_adds_fee():
    h = history_from_text("""
        2026-01-31 bill     62.40  due=2026-02-23
        2026-02-10 payment  62.40  check=1187
        2026-02-14 returned 62.40  check=1187 code=R01
    """)
    before = ledger_state(h[:1], D("2026-03-01"))
    after = ledger_state(h, D("2026-03-01"))
    # same bill unpaid as if the payment never happened, plus the $30 fee: 62.40 + 30.00 = 92.40
    assert after.past_due() == before.past_due() + M("30.00") == M("92.40")


# --- credit analysis ------------------------------------------------------------------------

def test_credit_profile_hand_checked():
    h = history_from_text("""
        2025-01-05 bill 50.00 due=2025-01-26
        2025-01-20 payment 50.00
        2025-03-05 bill 60.00 due=2025-03-26
        2025-04-05 payment 60.00
        2025-05-05 bill 70.00 due=2025-05-26
        2025-05-20 payment 70.00 check=9
        2025-05-28 returned 70.00 check=9 code=R01
        2025-06-10 payment 100.00
    """)
    p = credit_profile("1", h, D("2025-07-01"), D("2024-12-01"), [], POLICY.collections)
    # bill 1 on time; bill 2 paid Apr 5 = 10 days late; bill 3 paid May 20 but returned May 28,
    # paid in full again Jun 10 = 15 days late (fee 30 + bill 70 = 100 paid Jun 10).
    assert (p.bills_due, p.on_time, p.late) == (3, 1, 2)
    assert p.average_days_late == M("12.5")  # (10 + 15) / 2
    assert p.returned_payments == 1
    # highest past due: from May 28 (bill 3 again unpaid, past due since May 27) 70.00;
    # the fee due May 28 becomes past due May 29: 100.00
    assert p.highest_past_due == M("100.00")
    assert p.months_of_service == 7
    # score: 2 late x 1 + 1 return x 3 + new account (7 months) 1 = 6 -> high
    assert p.score == 6 and p.band == "high"


def test_pure_rules_do_not_import_excel_or_database_libraries():
    code = ("import sys, utilbill.notices, utilbill.turnoff, utilbill.arrangements, utilbill.aging, "
            "utilbill.extensions, utilbill.assistance, utilbill.returned_payments, utilbill.credit_analysis, "
            "utilbill.protections; "
            "bad = [m for m in ('openpyxl', 'xlwings', 'sqlalchemy') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the bulk loader's folding of settled history changes nothing the rules read ----------

@st.composite
def histories(draw):
    from datetime import timedelta

    from utilbill.ledger import Posting
    posts, pid, day = [], 1, D("2025-01-01")
    for _ in range(draw(st.integers(min_value=0, max_value=30))):
        day += timedelta(days=draw(st.integers(min_value=0, max_value=20)))
        kind = draw(st.sampled_from(["bill", "bill", "payment", "payment", "fee", "return"]))
        cents = draw(st.integers(min_value=1, max_value=20000))
        amount = M(cents) / 100
        if kind == "bill":
            posts.append(Posting(pid, day, "bill", amount, due_date=day + timedelta(days=21), bill_id=pid,
                                 parts=(("water", amount),)))
        elif kind == "fee":
            posts.append(Posting(pid, day, "fee", amount, fund="fees"))
        elif kind == "payment":
            posts.append(Posting(pid, day, "payment", -amount))
        else:
            pays = [p for p in posts if p.kind == "payment" and p.id not in {q.reverses for q in posts}]
            if not pays:
                continue
            target = draw(st.sampled_from(pays))
            when = day if draw(st.integers(0, 4)) else target.date - timedelta(days=draw(st.integers(1, 30)))
            posts.append(Posting(pid, when, "reversal", -target.amount, reverses=target.id))
        pid += 1
    return posts


@settings(max_examples=300, deadline=None)
@given(h=histories(), keep=st.integers(min_value=0, max_value=700), after=st.integers(min_value=0, max_value=60))
def test_folding_settled_history_keeps_the_collections_figures(h, keep, after):
    from datetime import timedelta

    from utilbill.store.collections_repo import trim_settled
    keep_from = D("2025-01-01") + timedelta(days=keep)
    as_of = max([p.date for p in h] + [keep_from]) + timedelta(days=after)
    trimmed, last = trim_settled(h, keep_from)
    full, fast = ledger_state(h, as_of), ledger_state(trimmed, as_of)
    assert fast.past_due(as_of) == full.past_due(as_of)
    assert fast.oldest_past_due_date(as_of) == full.oldest_past_due_date(as_of)
    assert fast.balance == full.balance and fast.credit == full.credit
    assert last == (full.last_payment.date if full.last_payment else None)
    # nothing on or after keep_from is folded away
    assert [p for p in h if p.date >= keep_from] == [p for p in trimmed if p.date >= keep_from and p.id]
