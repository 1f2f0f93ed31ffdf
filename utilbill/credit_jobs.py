"""Credit analysis jobs: one account's credit profile, and the portfolio view (domain §6, §7).

Why it exists: the CLI (`utilbill credit profile|portfolio`), the CREDIT_SCORE UDF and the
portfolio workbook share these. The portfolio loads every account's postings in one query
and profiles each (utilbill.credit_analysis), with the aging by class beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .aging import AgingReport, aging_report
from .credit_analysis import CreditProfile, credit_profile, score_rule
from .findings import Finding, FindingsError
from .home import Utility
from .ledger import ledger_state
from .store import collections_repo as crepo
from .store import repo

BANDS = ("low", "medium", "high")


def credit_profile_for(u: Utility, account_no: str, as_of: date) -> CreditProfile:
    """CREDIT_SCORE(account) and `utilbill credit profile` call this."""
    with u.store.read() as conn:
        acct = repo.get_account(conn, account_no)
        if acct is None:
            raise FindingsError([Finding(f"no account {account_no}", account=account_no)], "unknown account")
        posts = repo.postings_for(conn, account_no)
        broken = crepo.broken_dates_by_account(conn, [account_no]).get(account_no, [])
    return credit_profile(account_no, posts, as_of, acct.service_start, broken, u.policy.collections)


@dataclass
class Portfolio:
    as_of: date
    aging: AgingReport
    profiles: list[CreditProfile] = field(default_factory=list)
    classes: dict[str, str] = field(default_factory=dict)  # account -> class
    score_rule: str = ""

    def band_counts(self) -> dict[str, dict[str, int]]:
        """class -> band -> accounts."""
        out: dict[str, dict[str, int]] = {}
        for p in self.profiles:
            row = out.setdefault(self.classes.get(p.account_no, ""), {b: 0 for b in BANDS})
            row[p.band] += 1
        return dict(sorted(out.items()))


def portfolio(u: Utility, as_of: date, *, accounts: list[str] | None = None) -> Portfolio:
    with u.store.read() as conn:
        accts = [a for a in repo.all_accounts(conn) if accounts is None or a.account_no in accounts]
        posts = repo.postings_by_account(conn, [a.account_no for a in accts] if accounts is not None else None)
        broken = crepo.broken_dates_by_account(conn)
    items, profiles = [], []
    for a in accts:
        p = [x for x in posts.get(a.account_no, []) if x.date <= as_of]
        items.append((a.account_no, a.account_class, ledger_state(p, as_of)))
        profiles.append(credit_profile(a.account_no, p, as_of, a.service_start, broken.get(a.account_no, []),
                                       u.policy.collections))
    return Portfolio(as_of, aging_report(items, as_of, u.policy.collections.aging_buckets), profiles,
                     {a.account_no: a.account_class for a in accts}, score_rule(u.policy.collections))
