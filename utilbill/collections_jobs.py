"""Collections jobs over the store: aging, the notice run, notice removal, the turn-off list,
and the holds a clerk records (landlord, conference, medical, assistance, bankruptcy).

Why it exists: one engine job per clerk task (design.md, "one job, three doors"): the CLI,
the ribbon macro and the UDFs call these. Each job loads the cases in bulk
(store.collections_repo.load_cases), applies the pure rules (notices, turnoff,
protections) and records the outcome in one write transaction with audit entries.
Paperwork is written by separate functions (collections_docs, collections_workbooks) that
take a job's result and a path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import bindparam, insert, select, update

from .aging import AgingReport, aging_report
from .findings import Finding, FindingsError
from .gcpause import collector_paused
from .home import Utility
from .ledger import ledger_state
from .money import to_cents
from .notices import (
    NoticeDecision,
    decide_by_past_due,
    earliest_turnoff,
    medical_deadline,
    notice_key,
    past_due_rules_out,
    removal_reason,
    select_for_notice,
)
from .protections import Case, Notice
from .store import collections_repo as crepo
from .store import repo, schema
from .store.collections_screen import screen
from .store.db import now_iso
from .turnoff import TurnoffList, build_turnoff_list

N, NE, H = schema.notices, schema.notice_events, schema.holds


# --- aging ---------------------------------------------------------------------------------

def aging(u: Utility, as_of: date) -> AgingReport:
    """Past due per account and per charge, in age buckets, by class, as of a date."""
    with u.store.read() as conn:
        accounts = repo.all_accounts(conn)
        posts = repo.postings_by_account(conn)
    items = [(a.account_no, a.account_class, ledger_state(posts.get(a.account_no, []), as_of)) for a in accounts]
    return aging_report(items, as_of, u.policy.collections.aging_buckets)


# --- notices -------------------------------------------------------------------------------

@dataclass(frozen=True)
class IssuedNotice:
    notice: Notice
    case: Case
    new: bool  # False when a re-run found it already issued


@dataclass
class NoticeRun:
    as_of: date
    issued: list[IssuedNotice] = field(default_factory=list)
    skipped: list[NoticeDecision] = field(default_factory=list)
    removed: list[tuple[Notice, str]] = field(default_factory=list)

    @property
    def new_count(self) -> int:
        return sum(1 for i in self.issued if i.new)


def _remove(conn, store, removals: list[tuple[Notice, str]], on: date) -> None:
    """Record the removal of these notices (status and date, an event and an audit entry
    each), with three statements whatever their number."""
    if not removals:
        return
    now = now_iso()
    conn.execute(update(N).where(N.c.id == bindparam("nid"), N.c.status == "active")
                 .values(status="removed", status_date=on), [{"nid": n.id} for n, _ in removals])
    conn.execute(insert(NE), [dict(notice_id=n.id, event="removed", event_date=on, reason=why, clerk=store.clerk,
                                   at=now) for n, why in removals])
    conn.execute(insert(schema.audit_log), [dict(
        at=now, clerk=store.clerk, action="notice:removed", account_no=n.account_no, entity="notice",
        entity_id=n.id, reason=why, override=False, source_file=None, source_hash=None,
        details=json.dumps({"date": on.isoformat(), "noticed": str(n.amount)})) for n, why in removals])


def apply_removals(conn, store, cases: dict[str, Case], on: date) -> list[tuple[Notice, str]]:
    """Remove every active notice whose past due has been paid (domain §6, §7)."""
    removed = []
    for case in cases.values():
        for n in list(case.notices):
            why = removal_reason(case, n, on)
            if why:
                removed.append((n, why))
                case.notices[case.notices.index(n)] = Notice(n.account_no, n.issued, n.earliest_turnoff, n.amount,
                                                             "removed", n.id, on, n.oldest_due)
    _remove(conn, store, removed, on)
    return removed


def insert_notice(conn, store, case: Case, d: NoticeDecision, as_of: date, *, reason: str,
                  job_id: int | None = None) -> tuple[Notice, bool]:
    """Record one notice (idempotent per account and past-due amount)."""
    key = notice_key(case.account_no, as_of, d.oldest_due, d.past_due)
    row = conn.execute(select(N).where(N.c.notice_key == key)).first()
    if row is not None:
        return crepo.notice_from_row(row._mapping), False
    res = conn.execute(insert(N).values(
        notice_key=key, account_no=case.account_no, issued_date=as_of, earliest_turnoff=d.earliest_turnoff,
        amount_cents=to_cents(d.past_due), oldest_due=d.oldest_due, reason=reason,
        delivery=case.account.notice_delivery or "mail", status="active", job_id=job_id, clerk=store.clerk,
        created_at=now_iso()))
    nid = res.inserted_primary_key[0]
    conn.execute(insert(NE).values(notice_id=nid, event="issued", event_date=as_of, reason=reason,
                                   clerk=store.clerk, at=now_iso()))
    store.audit(conn, "notice:issued", account_no=case.account_no, entity="notice", entity_id=nid, reason=reason,
                details={"amount": str(d.past_due), "earliest_turnoff": d.earliest_turnoff.isoformat()})
    n = Notice(case.account_no, as_of, d.earliest_turnoff, d.past_due, "active", nid, None, d.oldest_due)
    case.notices.append(n)
    return n, True


def insert_notices_bulk(conn, store, items: list[tuple[Case, NoticeDecision]], as_of: date, *, reason: str
                        ) -> list[tuple[Notice, bool]]:
    """Record many notices with a few statements (the notice run over a whole utility):
    the same rows, events and audit entries as insert_notice, idempotent by notice key."""
    keys = [notice_key(c.account_no, as_of, d.oldest_due, d.past_due) for c, d in items]
    existing: dict[str, Notice] = {}
    for i in range(0, len(keys), crepo.CHUNK):
        for r in conn.execute(select(N).where(N.c.notice_key.in_(keys[i:i + crepo.CHUNK]))):
            existing[r._mapping["notice_key"]] = crepo.notice_from_row(r._mapping)
    now = now_iso()
    fresh = [(k, c, d) for k, (c, d) in zip(keys, items) if k not in existing]
    if fresh:
        conn.execute(insert(N), [dict(
            notice_key=k, account_no=c.account_no, issued_date=as_of, earliest_turnoff=d.earliest_turnoff,
            amount_cents=to_cents(d.past_due), oldest_due=d.oldest_due, reason=reason,
            delivery=c.account.notice_delivery or "mail", status="active", job_id=None, clerk=store.clerk,
            created_at=now) for k, c, d in fresh])
    ids: dict[str, int] = {}
    fresh_keys = [k for k, _, _ in fresh]
    for i in range(0, len(fresh_keys), crepo.CHUNK):
        for k, nid in conn.execute(select(N.c.notice_key, N.c.id).where(N.c.notice_key.in_(fresh_keys[i:i + crepo.CHUNK]))):
            ids[k] = nid
    if fresh:
        conn.execute(insert(NE), [dict(notice_id=ids[k], event="issued", event_date=as_of, reason=reason,
                                       clerk=store.clerk, at=now) for k, _, _ in fresh])
        conn.execute(insert(schema.audit_log), [dict(
            at=now, clerk=store.clerk, action="notice:issued", account_no=c.account_no, entity="notice",
            entity_id=ids[k], reason=reason, override=False, source_file=None, source_hash=None,
            details=json.dumps({"amount": str(d.past_due), "earliest_turnoff": d.earliest_turnoff.isoformat()}))
            for k, c, d in fresh])
    out = []
    for k, (c, d) in zip(keys, items):
        if k in existing:
            out.append((existing[k], False))
        else:
            n = Notice(c.account_no, as_of, d.earliest_turnoff, d.past_due, "active", ids[k], None, d.oldest_due)
            c.notices.append(n)
            out.append((n, True))
    return out


@collector_paused()  # a bulk job: see utilbill.gcpause
def issue_notices(u: Utility, as_of: date, *, accounts: list[str] | None = None) -> NoticeRun:
    """The notice run for `as_of`: remove paid notices, then notice every account that
    qualifies (domain §6). Re-running the same day issues nothing new."""
    pol = u.policy
    col = pol.collections
    run = NoticeRun(as_of)
    with u.store.write() as conn:
        screened: list[NoticeDecision] = []
        if accounts is not None:
            cases = crepo.load_cases(conn, as_of, grace_days=pol.arrangements.grace_days,
                                     broken_lookback_months=pol.arrangements.broken_lookback_months, accounts=accounts)
        else:
            # every account with a balance: those whose past due alone rules a notice out are
            # answered from their figures, the rest (and every active notice) as whole cases
            today = {n.account_no for n in crepo.notices_issued_on(conn, as_of)}
            found = screen(conn, as_of, grace_days=pol.arrangements.grace_days,
                           broken_lookback_months=pol.arrangements.broken_lookback_months,
                           min_balance=min(col.notice_min_past_due, col.turnoff_min_past_due), with_arrangements=True,
                           whole=lambda no, f: no in today or not past_due_rules_out(f.past_due, f.age_days, col))
            cases = found.cases
            screened = [decide_by_past_due(no, f.past_due, f.age_days, f.oldest_due, col)
                        for no, f in found.figures.items() if no not in cases]
        run.removed = apply_removals(conn, u.store, cases, as_of)
        to_issue, run.skipped = select_for_notice(list(cases.values()), as_of, pol)
        if screened:
            run.skipped = sorted(run.skipped + screened, key=lambda d: d.account_no)
        for n in crepo.notices_issued_on(conn, as_of):
            if n.account_no in cases and (accounts is None or n.account_no in accounts):
                run.issued.append(IssuedNotice(n, cases[n.account_no], False))
        already = {i.notice.account_no for i in run.issued}
        run.skipped = [s for s in run.skipped if s.account_no not in already]
        made = insert_notices_bulk(conn, u.store, [(cases[d.account_no], d) for d in to_issue], as_of,
                                   reason="nonpayment")
        run.issued += [IssuedNotice(n, cases[n.account_no], new) for n, new in made]
    run.issued.sort(key=lambda i: i.notice.account_no)
    return run


def remove_paid_notices(u: Utility, as_of: date, *, accounts: list[str] | None = None) -> list[tuple[Notice, str]]:
    """Remove the notices whose past due has been paid by `as_of` (for the payment jobs to
    call after posting; the notice run and the turn-off list also do it)."""
    with u.store.write() as conn:
        cases = crepo.load_cases(conn, as_of, grace_days=u.policy.arrangements.grace_days,
                                 broken_lookback_months=u.policy.arrangements.broken_lookback_months, accounts=accounts,
                                 with_arrangements=False)
        return apply_removals(conn, u.store, cases, as_of)


# --- the turn-off list ---------------------------------------------------------------------

@collector_paused()  # a bulk job: see utilbill.gcpause
def turnoff_list(u: Utility, as_of: date, *, capacity: int | None = None) -> TurnoffList:
    """The properties a crew may work on `as_of`, with a reason on every account; notices
    paid since they were issued are removed (status and date) on the way."""
    pol = u.policy
    with u.store.write() as conn:
        cases = screen(conn, as_of, grace_days=pol.arrangements.grace_days,
                       broken_lookback_months=pol.arrangements.broken_lookback_months, min_balance=None,
                       with_arrangements=False, whole=lambda no, f: True).cases
        original = {no: [n for n in c.notices if n.active] for no, c in cases.items()}
        result = build_turnoff_list(list(cases.values()), as_of, pol, capacity)
        removals = []
        for e in result.removed:
            case = cases[e.account_no]
            for n in original[e.account_no]:
                why = removal_reason(case, n, as_of)
                if why:
                    removals.append((n, why))
        _remove(conn, u.store, removals, as_of)
    return result


# --- holds ---------------------------------------------------------------------------------

def _account_or_fail(conn, account_no: str):
    acct = repo.get_account(conn, account_no)
    if acct is None:
        raise FindingsError([Finding(f"no account {account_no}", account=account_no)], "unknown account")
    return acct


def add_hold(u: Utility, account_no: str, kind: str, start: date, end: date | None = None, *,
             reference: str = "", memo: str = "", notice_id: int | None = None, conn=None) -> int:
    """Record a protection or a landlord answer; returns the hold id."""
    def _do(c):
        _account_or_fail(c, account_no)
        res = c.execute(insert(H).values(account_no=account_no, kind=kind, start_date=start, end_date=end,
                                         notice_id=notice_id, reference=reference or None, memo=memo or None,
                                         clerk=u.store.clerk, created_at=now_iso()))
        hid = res.inserted_primary_key[0]
        u.store.audit(c, f"hold:{kind}", account_no=account_no, entity="hold", entity_id=hid, reason=memo or None,
                      details={"start": start.isoformat(), "end": end.isoformat() if end else None,
                               "reference": reference})
        return hid
    if conn is not None:
        return _do(conn)
    with u.store.write() as c:
        return _do(c)


def end_holds(u: Utility, conn, account_no: str, kinds: tuple[str, ...], on: date, reason: str) -> int:
    """End the open holds of these kinds on `on` (the hold no longer applies from that day)."""
    rows = conn.execute(select(H.c.id).where(H.c.account_no == account_no, H.c.kind.in_(kinds),
                                             (H.c.end_date.is_(None)) | (H.c.end_date > on))).all()
    for (hid,) in rows:
        conn.execute(update(H).where(H.c.id == hid).values(end_date=on))
        u.store.audit(conn, "hold:ended", account_no=account_no, entity="hold", entity_id=hid, reason=reason,
                      details={"end": on.isoformat()})
    return len(rows)


def record_landlord(u: Utility, account_no: str, answer: str, on: date, *, until: date | None = None,
                    landlord: str = "") -> int:
    """A landlord's request for a rental: 'hold' (no turn-off until `until` or further notice)
    or 'proceed' (ends any landlord hold)."""
    if answer not in ("hold", "proceed"):
        raise FindingsError([Finding(f"landlord answer must be hold or proceed, not {answer!r}", account=account_no)],
                            "bad landlord answer")
    with u.store.write() as conn:
        acct = _account_or_fail(conn, account_no)
        if not acct.is_rental:
            raise FindingsError([Finding("account is not a rental (no tenant role or landlord on file)",
                                         account=account_no)], "not a rental")
        end_holds(u, conn, account_no, ("landlord_hold",), on, f"landlord said {answer}")
        kind = "landlord_hold" if answer == "hold" else "landlord_proceed"
        return add_hold(u, account_no, kind, on, until if answer == "hold" else None,
                        reference=landlord or acct.landlord_name or "", conn=conn)


def record_conference(u: Utility, account_no: str, requested: date, *, held: date | None = None) -> int:
    """A conference request holds turn-off until it is held (`held` ends it)."""
    with u.store.write() as conn:
        _account_or_fail(conn, account_no)
        if held is not None:
            n = end_holds(u, conn, account_no, ("conference",), held, "conference held")
            if n:
                return n
        return add_hold(u, account_no, "conference", requested, held, conn=conn)


def record_medical(u: Utility, account_no: str, filed: date, *, physician: str = "") -> int:
    """A physician's certificate: postpones turn-off for collections.medical_postponement_days
    after the notice's earliest turn-off date, if filed within 5 business days of the notice,
    once per noticed past-due amount."""
    pol = u.policy
    with u.store.write() as conn:
        _account_or_fail(conn, account_no)
        active = crepo.active_notices(conn, account_no)
        if not active:
            raise FindingsError([Finding("no active turn-off notice to postpone", account=account_no)],
                                "medical certificate refused")
        notice = active[-1]
        deadline = medical_deadline(notice.issued, pol.calendar, pol.collections.medical_certificate_business_days)
        problems = []
        if filed > deadline:
            problems.append(Finding(f"filed {filed.isoformat()}, after the deadline {deadline.isoformat()} "
                                    f"({pol.collections.medical_certificate_business_days} business days after the "
                                    f"notice of {notice.issued.isoformat()})", account=account_no))
        if any(h.notice_id == notice.id for h in crepo.holds_for(conn, account_no, ("medical",))):
            problems.append(Finding("a medical postponement was already granted for this past-due amount",
                                    account=account_no))
        if problems:
            raise FindingsError(problems, "medical certificate refused")
        end = notice.earliest_turnoff + timedelta(days=pol.collections.medical_postponement_days)
        return add_hold(u, account_no, "medical", filed, end, reference=physician, notice_id=notice.id, conn=conn)


def record_bankruptcy(u: Utility, account_no: str, petition: date, *, case_number: str = "") -> int:
    """A bankruptcy petition: pre-petition debt never puts the account on the turn-off list."""
    return add_hold(u, account_no, "bankruptcy", petition, None, reference=case_number)


def earliest_turnoff_for(u: Utility, notice_date: date) -> date:
    """EARLIEST_TURNOFF(notice_date) for the UDF."""
    return earliest_turnoff(notice_date, u.policy.calendar, u.policy.collections.turnoff_business_days)


def past_due_for(u: Utility, account_no: str, as_of: date) -> Decimal:
    """PAST_DUE(account, as_of) for the UDF."""
    with u.store.read() as conn:
        return ledger_state(repo.postings_for(conn, account_no), as_of).past_due(as_of)


def last_payment_date_for(u: Utility, account_no: str, as_of: date | None = None) -> date | None:
    """LAST_PAYMENT_DATE(account) for the UDF: the last payment that still stands."""
    with u.store.read() as conn:
        posts = repo.postings_for(conn, account_no)
    st = ledger_state(posts, as_of or date.max)
    return st.last_payment.date if st.last_payment else None


def case_for(u: Utility, account_no: str, as_of: date) -> Case:
    """One account's collections case (for paperwork printed after a job)."""
    with u.store.read() as conn:
        cases = crepo.load_cases(conn, as_of, grace_days=u.policy.arrangements.grace_days,
                                 broken_lookback_months=u.policy.arrangements.broken_lookback_months, accounts=[account_no])
    if account_no not in cases:
        raise FindingsError([Finding(f"no account {account_no}", account=account_no)], "unknown account")
    return cases[account_no]
