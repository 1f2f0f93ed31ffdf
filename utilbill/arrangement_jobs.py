"""What a clerk grants a customer who cannot pay: payment arrangements (and their daily
monitoring), credit extensions, and the assistance referral and pending-application hold
(domain §6).

Why it exists: one engine job per clerk task; the CLI, the ribbon and the calculators call
these. Each checks eligibility with the pure rules (arrangements, extensions, assistance),
records the outcome and its audit entry in one transaction, and returns a result record
the paperwork functions (collections_docs) print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlalchemy import insert, update

from .accounts import Account
from .arrangements import (
    Eligibility,
    Installment,
    PastArrangement,
    check_eligibility,
    monitor,
    schedule,
)
from .assistance import ProgramTerms, pending_hold_end, program_terms
from .collections_jobs import add_hold
from .extensions import ExtensionDecision, decide_extension
from .findings import Finding, FindingsError
from .home import Utility
from .ledger import ledger_state
from .money import from_cents, round_line, to_cents
from .store import collections_repo as crepo
from .store import repo, schema
from .store.db import now_iso

AR, AI, X = schema.arrangements, schema.arrangement_installments, schema.extensions


def _account(conn, account_no: str) -> Account:
    acct = repo.get_account(conn, account_no)
    if acct is None:
        raise FindingsError([Finding(f"no account {account_no}", account=account_no)], "unknown account")
    return acct


# --- arrangements --------------------------------------------------------------------------

@dataclass
class ArrangementResult:
    account: Account
    as_of: date
    past_due: Decimal
    down: Decimal
    eligibility: Eligibility
    installments: list[Installment] = field(default_factory=list)
    arrangement_id: int | None = None
    assistance: bool = False

    @property
    def made(self) -> bool:
        return self.arrangement_id is not None


def make_arrangement(u: Utility, account_no: str, down: Decimal, installments: int, *, as_of: date,
                     first_due: date | None = None, assistance: bool = False,
                     override_reason: str | None = None, dry_run: bool = False) -> ArrangementResult:
    """Check eligibility and, when eligible (or overridden by a supervisor), record the
    arrangement and its schedule. Refusals come back with their reasons, nothing recorded."""
    pol = u.policy.arrangements
    down = round_line(Decimal(down))
    first_due = first_due or as_of + relativedelta(months=1)
    with u.store.write() as conn:
        acct = _account(conn, account_no)
        state = ledger_state(repo.postings_for(conn, account_no), as_of)
        past_due = state.past_due(as_of)
        referred = assistance or any(h.kind == "assistance_referral" for h in crepo.holds_for(conn, account_no))
        history = [PastArrangement(r["made_date"], r["status"], r["status_date"])
                   for r in crepo.arrangement_rows(conn, account_no)]
        elig = check_eligibility(past_due, down, installments, as_of, history, pol, assistance=referred,
                                 override_reason=override_reason)
        result = ArrangementResult(acct, as_of, past_due, down, elig, assistance=referred)
        if not elig.eligible:
            return result
        result.installments = schedule(past_due, down, installments, first_due, pol)
        if dry_run:
            return result
        res = conn.execute(insert(AR).values(
            account_no=account_no, made_date=as_of, past_due_cents=to_cents(past_due), down_cents=to_cents(down),
            installments=installments, first_due=first_due, assistance=referred, override=elig.override,
            override_reason=elig.override_reason or None, status="current", clerk=u.store.clerk,
            created_at=now_iso()))
        aid = res.inserted_primary_key[0]
        conn.execute(insert(AI), [dict(arrangement_id=aid, number=i.number, due_date=i.due_date,
                                       amount_cents=to_cents(i.amount)) for i in result.installments])
        u.store.audit(conn, "arrangement:made", account_no=account_no, entity="arrangement", entity_id=aid,
                      reason=elig.override_reason or None, override=elig.override,
                      details={"past_due": str(past_due), "down": str(down), "installments": installments,
                               "first_due": first_due.isoformat(),
                               "refused_without_override": list(elig.reasons) if elig.override else []})
        result.arrangement_id = aid
    return result


@dataclass(frozen=True)
class MonitorLine:
    arrangement_id: int
    account_no: str
    status: str
    status_date: date | None
    paid: Decimal
    required_now: Decimal
    missed: str
    changed: bool


def monitor_arrangements(u: Utility, as_of: date) -> list[MonitorLine]:
    """Mark every current arrangement kept, current or broken as of `as_of`. A broken one goes
    back to collections: the turn-off list works broken arrangements first."""
    grace = u.policy.arrangements.grace_days
    out: list[MonitorLine] = []
    with u.store.write() as conn:
        rows = crepo.arrangement_rows(conn, status="current")
        posts = repo.postings_by_account(conn, sorted({r["account_no"] for r in rows}))
        for r in rows:
            if r["made_date"] > as_of:
                continue
            p = posts.get(r["account_no"], [])
            st = monitor(r["made_date"], from_cents(r["down_cents"]),
                         crepo.installments_of(crepo.installment_rows(conn, r["id"])), p, as_of, grace,
                         ledger_state(p, as_of).cancelled)
            changed = st.status != "current"
            if changed:
                conn.execute(update(AR).where(AR.c.id == r["id"]).values(status=st.status, status_date=st.status_date))
                u.store.audit(conn, f"arrangement:{st.status}", account_no=r["account_no"], entity="arrangement",
                              entity_id=r["id"], reason=st.missed or None,
                              details={"status_date": st.status_date.isoformat() if st.status_date else None,
                                       "paid": str(st.paid), "required": str(st.required_now)})
            out.append(MonitorLine(r["id"], r["account_no"], st.status, st.status_date, st.paid, st.required_now,
                                   st.missed, changed))
    return out


# --- credit extensions ---------------------------------------------------------------------

@dataclass(frozen=True)
class ExtensionResult:
    account_no: str
    as_of: date
    past_due: Decimal
    decision: ExtensionDecision
    extension_id: int | None = None


def grant_extension(u: Utility, account_no: str, business_days: int, *, as_of: date,
                    reason: str = "") -> ExtensionResult:
    """Move the past-due amount's due date `business_days` business days out, within limits."""
    with u.store.write() as conn:
        _account(conn, account_no)
        past_due = ledger_state(repo.postings_for(conn, account_no), as_of).past_due(as_of)
        dec = decide_extension(past_due, business_days, as_of, crepo.extension_dates(conn, account_no),
                               u.policy.extensions, u.policy.calendar)
        if not dec.granted:
            return ExtensionResult(account_no, as_of, past_due, dec)
        res = conn.execute(insert(X).values(account_no=account_no, granted_date=as_of, new_due=dec.new_due,
                                            business_days=business_days, amount_cents=to_cents(past_due),
                                            reason=reason or None, clerk=u.store.clerk, created_at=now_iso()))
        xid = res.inserted_primary_key[0]
        u.store.audit(conn, "extension:granted", account_no=account_no, entity="extension", entity_id=xid,
                      reason=reason or None, details={"new_due": dec.new_due.isoformat(), "amount": str(past_due)})
        return ExtensionResult(account_no, as_of, past_due, dec, xid)


# --- assistance ----------------------------------------------------------------------------

@dataclass(frozen=True)
class AssistanceResult:
    account: Account
    as_of: date
    past_due: Decimal
    terms: ProgramTerms
    hold_id: int
    hold_end: date | None = None


def refer_assistance(u: Utility, account_no: str, *, as_of: date) -> AssistanceResult:
    """Refer the household to the assistance program (recorded; allows 12 installments)."""
    with u.store.write() as conn:
        acct = _account(conn, account_no)
        past_due = ledger_state(repo.postings_for(conn, account_no), as_of).past_due(as_of)
        hid = add_hold(u, account_no, "assistance_referral", as_of, None, memo="referred", conn=conn)
    terms = program_terms(u.policy.assistance, u.policy.arrangements.max_installments_with_assistance)
    return AssistanceResult(acct, as_of, past_due, terms, hid)


def assistance_pending(u: Utility, account_no: str, *, applied: date, end: date | None = None,
                       case_number: str = "") -> AssistanceResult:
    """A pending application holds turn-off on [applied, end) (default end: applied + 30 days)."""
    hold_end = pending_hold_end(applied, u.policy.assistance, end)
    with u.store.write() as conn:
        acct = _account(conn, account_no)
        past_due = ledger_state(repo.postings_for(conn, account_no), applied).past_due(applied)
        hid = add_hold(u, account_no, "assistance", applied, hold_end, reference=case_number, conn=conn)
    terms = program_terms(u.policy.assistance, u.policy.arrangements.max_installments_with_assistance)
    return AssistanceResult(acct, applied, past_due, terms, hid, hold_end)
