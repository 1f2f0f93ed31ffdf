"""A small hand-written portfolio: each protection, each ordering rule and the capacity cut
decide one account's fate on the turn-off list (domain §6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from utilbill.accounts import Account
from utilbill.config import example_policy
from utilbill.history_text import history_from_text
from utilbill.ledger import ledger_state
from utilbill.notices import earliest_turnoff, select_for_notice
from utilbill.protections import ArrangementStanding, Case, Extension, Hold, Notice
from utilbill.turnoff import build_turnoff_list

POLICY = example_policy()
D = date.fromisoformat
M = Decimal
AS_OF = D("2026-06-15")  # Monday
NOTICE = D("2026-06-01")  # Monday; 7th business day after = Jun 10 (2,3,4,5,8,9,10)


def acct(no: str, *, tenant: bool = False, flags=()) -> Account:
    return Account(account_no=no, premise_id=no, account_class="residential", status="active",
                   customer_name=f"Customer {no}", customer_role="tenant" if tenant else "owner",
                   service_address=f"{no} Elm St", mailing_address=f"{no} Elm St", meter_size="5/8",
                   service_start=D("2020-01-01"), landlord_name="Owner LLC" if tenant else None,
                   flags=frozenset(flags))


def case(no: str, history: str, *, noticed: str | None = None, notice_date: date = NOTICE, tenant=False,
         flags=(), holds=(), arrangements=(), extensions=()) -> Case:
    postings = history_from_text(history)
    state = ledger_state(postings, AS_OF)
    amount = M(noticed) if noticed else ledger_state(postings, notice_date).past_due(notice_date)
    n = Notice(no, notice_date, earliest_turnoff(notice_date, POLICY.calendar, 7), amount, id=int(no[1:]))
    return Case(acct(no, tenant=tenant, flags=flags), state, postings, [n], list(holds), list(arrangements),
                list(extensions))


BILL = "2026-03-02 bill {amt} due=2026-03-23\n"


def portfolio() -> list[Case]:
    return [
        # paid: 100.00 noticed, 100.00 paid on Jun 5 (after the notice date) -> notice removed
        case("A01", BILL.format(amt="100.00") + "2026-06-05 payment 100.00"),
        # not matured: notice of Jun 10 -> earliest turn-off Jun 22 (11,12,15,16,17,18,
        # Juneteenth Fri Jun 19 skipped, 22)
        case("A02", BILL.format(amt="120.00"), notice_date=D("2026-06-10")),
        # below $50.00: 100.00 noticed, 60.00 paid -> 40.00 past due, notice stands but not worked
        case("A03", BILL.format(amt="100.00") + "2026-06-03 payment 60.00"),
        # arrangement in good standing
        case("A04", BILL.format(amt="400.00"),
             arrangements=[ArrangementStanding(1, D("2026-06-08"), "current")]),
        # medical postponement: [Jun 4, Jun 10 + 30 days = Jul 10)
        case("A05", BILL.format(amt="400.00"), holds=[Hold("medical", D("2026-06-04"), D("2026-07-10"))]),
        # conference pending (open)
        case("A06", BILL.format(amt="400.00"), holds=[Hold("conference", D("2026-06-09"))]),
        # assistance application pending [Jun 12, Jul 12)
        case("A07", BILL.format(amt="400.00"), holds=[Hold("assistance", D("2026-06-12"), D("2026-07-12"))]),
        # bankruptcy filed May 1: all the debt is pre-petition
        case("A08", BILL.format(amt="400.00"), holds=[Hold("bankruptcy", D("2026-05-01"))]),
        # landlord of this rental asked to hold
        case("A09", BILL.format(amt="400.00"), tenant=True, holds=[Hold("landlord_hold", D("2026-06-05"))]),
        # credit extension granted Jun 12 to Jun 26
        case("A10", BILL.format(amt="400.00"), extensions=[Extension(D("2026-06-12"), D("2026-06-26"), M("400.00"))]),
        # broken arrangement: only 80.00 past due, yet worked first
        case("A11", BILL.format(amt="80.00"),
             arrangements=[ArrangementStanding(2, D("2026-04-01"), "broken", D("2026-05-06"))]),
        # highest dollars: 300.00; rental whose landlord said proceed (the hold ended Jun 8)
        case("A12", BILL.format(amt="300.00"), tenant=True,
             holds=[Hold("landlord_hold", D("2026-06-02"), D("2026-06-08")), Hold("landlord_proceed", D("2026-06-08"))]),
        # 200.00 each; the older last payment goes first
        case("A13", "2026-01-05 bill 50.00 due=2026-01-26\n2026-02-01 payment 50.00\n" + BILL.format(amt="200.00")),
        case("A14", "2026-03-20 bill 50.00 due=2026-04-10\n2026-04-01 payment 50.00\n" + BILL.format(amt="200.00")),
        # 150.00: would rank 5, beyond a crew capacity of 4
        case("A15", BILL.format(amt="150.00")),
        # bankruptcy filed May 1 but 90.00 of post-petition bills unpaid: not protected... yet beyond capacity
        case("A16", BILL.format(amt="400.00") + "2026-05-04 bill 90.00 due=2026-05-26",
             holds=[Hold("bankruptcy", D("2026-05-01"))]),
    ]


def test_every_account_decided_by_one_rule():
    tl = build_turnoff_list(portfolio(), AS_OF, POLICY, capacity=4)
    reasons = {e.account_no: e.reason for e in tl.entries}
    assert len(reasons) == 16  # every account with a notice gets an answer

    # ordering: broken arrangement first (80.00), then dollars (300 before 200s... and 490 of A16
    # ranks before them), then oldest last payment between the two 200.00 accounts.
    # A16 past due = 400.00 + 90.00 = 490.00
    assert [(e.rank, e.account_no) for e in tl.included] == [(1, "A11"), (2, "A16"), (3, "A12"), (4, "A13")]
    assert reasons["A11"].startswith("rank 1: broken arrangement; past due $80.00")
    assert "landlord said proceed" in reasons["A12"]
    assert "last payment 2026-02-01" in reasons["A13"]

    expected = {
        "A01": "paid: paid $100.00 since the notice (noticed $100.00); notice removed",
        "A02": "notice not matured (earliest turn-off 2026-06-22)",
        "A03": "past due $40.00 below $50.00",
        "A04": "protected: arrangement current",
        "A05": "protected: medical postponement until 2026-07-10",
        "A06": "protected: conference pending",
        "A07": "protected: assistance application pending until 2026-07-12",
        "A08": "protected: bankruptcy (pre-petition debt, petition 2026-05-01)",
        "A09": "protected: landlord hold",
        "A10": "protected: credit extension to 2026-06-26 ($400.00)",
    }
    for no, why in expected.items():
        assert reasons[no] == why, no
    assert reasons["A14"].startswith("beyond crew capacity (4); would rank 5: past due $200.00; last payment 2026-04-01")
    assert reasons["A15"].startswith("beyond crew capacity (4); would rank 6: past due $150.00")
    assert [e.account_no for e in tl.removed] == ["A01"]


def test_capacity_only_cuts_the_tail():
    full = build_turnoff_list(portfolio(), AS_OF, POLICY, capacity=40)
    assert [e.account_no for e in full.included] == ["A11", "A16", "A12", "A13", "A14", "A15"]
    none = build_turnoff_list(portfolio(), AS_OF, POLICY, capacity=0)
    assert not none.included and len(none.excluded) == 16


def test_notice_selection_same_protections():
    # Without their notices, who would get one on Jun 15? Past due >= 50 and 30+ days old
    # (due Mar 23: 84 days), not protected.
    cases = portfolio()
    for c in cases:
        c.notices = []
    issue, skip = select_for_notice(cases, AS_OF, POLICY)
    # A01 paid; A03 40.00 below; A04-A10 protected; A02 (120.00) now qualifies too.
    assert [d.account_no for d in issue] == ["A02", "A11", "A12", "A13", "A14", "A15", "A16"]
    why = {d.account_no: d.reason for d in skip}
    assert why["A01"] == "past due $0.00 below $50.00"
    assert why["A06"] == "protected: conference pending"
    # Jun 16, 17, 18, (Juneteenth 19), 22, 23, 24, 25
    assert all(d.earliest_turnoff == D("2026-06-25") for d in issue)


# --- bankruptcy: a bill whose service spans the petition (domain §5) -----------------------

PETITION = D("2026-03-01")
# 59 days of service, Jan 10 - Mar 10: 50 days before the petition, 9 from it
SPANNING = "2026-03-10 bill 88.50 due=2026-03-31 water=59.00 wastewater=29.50\n"


def _bankrupt(history: str, on: date) -> Case:
    from utilbill.bankruptcy import BilledService
    from utilbill.periods import ServicePeriod

    c = case("B01", history, holds=[Hold("bankruptcy", PETITION)])
    c.billed[1] = BilledService(ServicePeriod(D("2026-01-10"), D("2026-03-10")), (M("59.00"), M("29.50")))
    return c


def test_only_the_days_from_the_petition_of_a_spanning_bill_are_post_petition_hand_checked():
    from utilbill.protections import post_petition_past_due, protections

    # water 59.00 x 9/59 = 9.00, wastewater 29.50 x 9/59 = 4.50: 13.50 of the 88.50 is
    # post-petition (the bill's date alone would have made all 88.50 post-petition)
    c = _bankrupt(SPANNING, D("2026-04-15"))
    assert post_petition_past_due(c, PETITION, D("2026-04-15")) == M("13.50")
    assert "bankruptcy (pre-petition debt, petition 2026-03-01)" in protections(c, D("2026-04-15"), M("50.00"))
    # a post-petition bill of 70.00 due May 31: 13.50 + 70.00 = 83.50 past due on Jun 15
    later = SPANNING + "2026-05-10 bill 70.00 due=2026-05-31 water=70.00\n"
    c = _bankrupt(later, AS_OF)
    assert post_petition_past_due(c, PETITION, AS_OF) == M("83.50")
    assert not any(r.startswith("bankruptcy") for r in protections(c, AS_OF, M("50.00")))
    # a 40.00 payment on Jun 1 pays post-petition charges first, oldest first: the 13.50,
    # then 26.50 of the May bill; 43.50 is left, under 50.00: protected again
    c = _bankrupt(later + "2026-06-01 payment 40.00\n", AS_OF)
    assert post_petition_past_due(c, PETITION, AS_OF) == M("43.50")
    assert "bankruptcy (pre-petition debt, petition 2026-03-01)" in protections(c, AS_OF, M("50.00"))
    # not yet due charges do not count: on Mar 20 the spanning bill is not past due
    c = _bankrupt(SPANNING, D("2026-03-20"))
    assert post_petition_past_due(c, PETITION, D("2026-03-20")) == M("0.00")


def test_both_loaders_attach_the_service_of_bills_a_petition_splits(tmp_path):
    from sqlalchemy import select

    from tests.books import sample_utility
    from utilbill.collections_jobs import record_bankruptcy
    from utilbill.store import schema
    from utilbill.store.collections_repo import load_cases
    from utilbill.store.collections_screen import screen

    u = sample_utility(tmp_path / "u", accounts=12, months=6)
    with u.store.read() as conn:
        B = schema.bills
        bill = conn.execute(select(B).order_by(B.c.period_end.desc(), B.c.account_no)).first()._mapping
        total = bill["total_cents"]
        lines = [c for (c,) in conn.execute(select(schema.bill_lines.c.amount_cents)
                                            .where(schema.bill_lines.c.bill_id == bill["id"]))]
    petition = bill["period_start"] + (bill["period_end"] - bill["period_start"]) / 2
    record_bankruptcy(u, bill["account_no"], petition, case_number="26-BK-0001")
    as_of = bill["due_date"] + (bill["due_date"] - bill["bill_date"])
    common = dict(grace_days=POLICY.arrangements.grace_days,
                  broken_lookback_months=POLICY.arrangements.broken_lookback_months)
    with u.store.read() as conn:
        whole = load_cases(conn, as_of, accounts=[bill["account_no"]], **common)[bill["account_no"]]
        screened = screen(conn, as_of, min_balance=M("-1000000"), with_arrangements=False,
                          whole=lambda no, f: True, **common)  # every account, each as a whole case
    got = whole.billed[bill["id"]]
    assert (got.period.start, got.period.end) == (bill["period_start"], bill["period_end"])
    assert sorted(int(a * 100) for a in got.line_amounts) == sorted(lines) and sum(lines) == total
    assert set(whole.billed) == {p.bill_id for p in whole.postings if p.kind == "bill" and p.date >= petition}
    assert screened.cases[bill["account_no"]].billed == whole.billed
    assert not any(c.billed for no, c in screened.cases.items() if no != bill["account_no"])
    u.store.dispose()
