"""`utilbill check`: the store's balance assertions, in the spirit of a ledger's.

Why it exists: the store is the system of record (design.md); a crash, a hand edit with a
database tool, a bug in one job or a restore of the wrong backup must not go unnoticed.
Each check below is one query over a whole table (bulk, so 100,000 accounts take seconds)
and every broken row comes back as an `IntegrityFinding` naming the check, the table, the
row id and the account. The rules checked are the invariants the domain and the design
state:

- balances (domain §8, design.md "append-only"): an account's balance is the sum of its
  postings and must equal the ledger's state (utilbill.ledger): every reversal points to an
  existing posting of the same account, for the opposite amount, is never reversed itself
  and never reverses twice. The ledger is also recomputed account by account (`deep`).
- bills foot (domain §1): a bill's lines add up to its total, its bill posting is for the
  total, and every multi-fund posting's parts add up to its amount.
- batches balance (domain §8): a posted batch's items match its control count and total and
  its stored count and total; each item's fund allocations add up to the item; a posted
  item's payment posting is for the item's amount on the item's account.
- returned payments (domain §7) reverse the payment they name.
- notices (domain §6, §7): no active turn-off notice whose noticed past due was paid by the
  day before the last notice run (each notice run removes paid notices; payments since then,
  including that day's, are removed by the next run, so they are not a finding).
- arrangements (domain §6): the installments add up to the past due less the down payment,
  and there are as many as the arrangement says.
- deposits: never more applied or refunded than was held.
- append-only (design.md): the triggers refusing UPDATE and DELETE on the append-only tables
  are in place, and every posting says who posted it and when.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import inspect, text

from .ledger import Posting, ledger_state
from .store import schema

DEEP_MAX_POSTINGS = 60_000  # above this the ledger is recomputed for a sample of accounts (--deep: all)
DEEP_SAMPLE_ACCOUNTS = 1_000
FAR_FUTURE = date(9999, 12, 31)
LIMIT_PER_CHECK = 1_000  # findings kept per check (the count is always exact)


@dataclass(frozen=True, slots=True)
class IntegrityFinding:
    """One broken invariant: which check, which table and row, which account, and what."""

    check: str
    table: str
    row_id: int | None
    account: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.table} id {self.row_id}" if self.row_id is not None else self.table
        acct = f", account {self.account}" if self.account else ""
        return f"[{self.check}] {where}{acct}: {self.message}"


@dataclass
class IntegrityReport:
    """What `check_store` looked at and what it found."""

    findings: list[IntegrityFinding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # check -> number of findings (exact)
    checked: dict[str, int] = field(default_factory=dict)  # what was looked at: accounts, postings, ...
    skipped: list[str] = field(default_factory=list)  # checks whose tables this store does not have
    deep_accounts: int = 0  # accounts whose ledger was recomputed
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, check: str, table: str, row_id, account, message: str) -> None:
        self.counts[check] = self.counts.get(check, 0) + 1
        if self.counts[check] <= LIMIT_PER_CHECK:
            self.findings.append(IntegrityFinding(check, table, row_id, account, message))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        if self.ok:
            return (f"store consistent: {self.checked.get('accounts', 0):,} accounts, "
                    f"{self.checked.get('postings', 0):,} postings, {self.checked.get('bills', 0):,} bills, "
                    f"{self.checked.get('batches', 0):,} batches checked")
        parts = ", ".join(f"{n} {c}" for c, n in sorted(self.counts.items()))
        return f"{self.total} problem(s) found: {parts}"


def _c(cents) -> str:
    return f"{Decimal(int(cents)) / 100:,.2f}"


def check_store(store, *, deep: bool | None = None, as_of: date | None = None) -> IntegrityReport:
    """Run every check over `store` (a utilbill.store.Store). `deep`: recompute every
    account's ledger (None = every account up to DEEP_MAX_POSTINGS postings, else a sample)."""
    t0 = time.perf_counter()
    report = IntegrityReport()
    with store.read() as conn:
        tables = set(inspect(conn).get_table_names())
        q = lambda sql, **kw: conn.execute(text(sql), kw).all()  # noqa: E731
        for name in ("accounts", "postings", "bills", "payment_batches"):
            if name in tables:
                key = "batches" if name == "payment_batches" else name
                report.checked[key] = int(q(f"SELECT count(*) FROM {name}")[0][0])
        _reversals(q, report)
        _posting_audit(q, report)
        _parts(conn, q, report, store.is_sqlite)
        _bills(q, report)
        for name, fn, needs in (("batches", _batches, "payment_batches"),
                                ("suspense decisions", _resolutions, "payment_resolutions"),
                                ("returned payments", _returns, "returned_payments"),
                                ("arrangements", _arrangements, "arrangement_installments"),
                                ("deposits", _deposits, "deposits")):
            if needs in tables:
                fn(q, report)
            else:
                report.skipped.append(name)
        _append_only(conn, q, report, tables)
        if "notices" in tables:
            _notices(conn, q, report, store)
        else:
            report.skipped.append("notices")
        _ledgers(q, report, deep, as_of or FAR_FUTURE)
    report.seconds = time.perf_counter() - t0
    return report


# --- postings ------------------------------------------------------------------------------

def _reversals(q, r: IntegrityReport) -> None:
    for pid, acct, target in q("SELECT p.id, p.account_no, p.reverses_id FROM postings p "
                               "LEFT JOIN postings o ON o.id = p.reverses_id "
                               "WHERE p.reverses_id IS NOT NULL AND o.id IS NULL"):
        r.add("reversals", "postings", pid, acct, f"reverses posting {target}, which does not exist")
    for pid, acct, oid, oacct, amt, oamt, orev in q(
            "SELECT p.id, p.account_no, o.id, o.account_no, p.amount_cents, o.amount_cents, o.reverses_id "
            "FROM postings p JOIN postings o ON o.id = p.reverses_id "
            "WHERE p.account_no <> o.account_no OR p.amount_cents <> -o.amount_cents OR o.reverses_id IS NOT NULL"):
        if acct != oacct:
            r.add("reversals", "postings", pid, acct, f"reverses posting {oid} of another account ({oacct})")
        if amt != -oamt:
            r.add("reversals", "postings", pid, acct,
                  f"reverses posting {oid} of {_c(oamt)} but is for {_c(amt)} (must be {_c(-oamt)})")
        if orev is not None:
            r.add("reversals", "postings", pid, acct, f"reverses posting {oid}, which is itself a reversal")
    for target, acct, n, first, last in q("SELECT reverses_id, min(account_no), count(*), min(id), max(id) FROM postings "
                                          "WHERE reverses_id IS NOT NULL GROUP BY reverses_id HAVING count(*) > 1"):
        r.add("reversals", "postings", target, acct,
              f"reversed {n} times (postings {first} ... {last}); a posting is reversed once")


def _posting_audit(q, r: IntegrityReport) -> None:
    for pid, acct in q("SELECT id, account_no FROM postings WHERE clerk IS NULL OR clerk = '' "
                       "OR posted_at IS NULL OR posted_at = ''"):
        r.add("audit", "postings", pid, acct, "posting does not say who posted it or when")


def _parts(conn, q, r: IntegrityReport, is_sqlite: bool) -> None:
    if is_sqlite:
        rows = q("SELECT p.id, p.account_no, p.amount_cents, p.parts FROM postings p WHERE p.parts IS NOT NULL "
                 "AND (json_valid(p.parts) = 0 OR (SELECT coalesce(sum(j.value), 0) FROM json_each(p.parts) j) "
                 "<> p.amount_cents)")
    else:
        rows = q("SELECT id, account_no, amount_cents, parts FROM postings WHERE parts IS NOT NULL")
    for pid, acct, amt, parts in rows:
        try:
            total = sum(int(v) for v in json.loads(parts).values())
        except (ValueError, TypeError, AttributeError):
            r.add("bills foot", "postings", pid, acct, f"fund parts are unreadable: {parts!r}")
            continue
        if total != amt:
            r.add("bills foot", "postings", pid, acct, f"fund parts add up to {_c(total)}, not the amount {_c(amt)}")


def _bills(q, r: IntegrityReport) -> None:
    for bid, acct, total, lines in q("SELECT b.id, b.account_no, b.total_cents, sum(l.amount_cents) FROM bills b "
                                     "JOIN bill_lines l ON l.bill_id = b.id GROUP BY b.id, b.account_no, b.total_cents "
                                     "HAVING sum(l.amount_cents) <> b.total_cents"):
        r.add("bills foot", "bills", bid, acct, f"lines add up to {_c(lines)}, not the bill total {_c(total)}")
    for bid, acct, total, n, amt, pacct in q(
            "SELECT b.id, b.account_no, b.total_cents, count(p.id), min(p.amount_cents), min(p.account_no) "
            "FROM bills b LEFT JOIN postings p ON p.bill_id = b.id AND p.kind = 'bill' "
            "GROUP BY b.id, b.account_no, b.total_cents "
            "HAVING count(p.id) <> 1 OR min(p.amount_cents) <> b.total_cents OR max(p.amount_cents) <> b.total_cents "
            "OR min(p.account_no) <> b.account_no"):
        if n == 0:
            r.add("bills foot", "bills", bid, acct, "bill has no bill posting")
        elif n > 1:
            r.add("bills foot", "bills", bid, acct, f"bill has {n} bill postings; a bill is posted once")
        elif amt != total:
            r.add("bills foot", "bills", bid, acct, f"bill posting is for {_c(amt)}, the bill's total is {_c(total)}")
        else:
            r.add("bills foot", "bills", bid, acct, f"bill is posted to account {pacct}")


# --- cash, returns, collections -----------------------------------------------------------

def _batches(q, r: IntegrityReport) -> None:
    for bid, cc, ct, ic, it, n, s in q(
            "SELECT b.id, b.control_count, b.control_total_cents, b.item_count, b.total_cents, count(i.id), "
            "coalesce(sum(i.amount_cents), 0) FROM payment_batches b LEFT JOIN payment_items i ON i.batch_id = b.id "
            "WHERE b.status = 'posted' GROUP BY b.id, b.control_count, b.control_total_cents, b.item_count, "
            "b.total_cents"):
        if (n, s) != (ic, it):
            r.add("batches", "payment_batches", bid, None,
                  f"items are {n} for {_c(s)} but the batch records {ic} for {_c(it)}")
        if (n, s) != (cc, ct):
            r.add("batches", "payment_batches", bid, None,
                  f"items are {n} for {_c(s)} against the control {cc} for {_c(ct)}: a posted batch must balance")
    for iid, acct, amt, alloc in q(
            "SELECT i.id, i.account_no, i.amount_cents, sum(a.amount_cents) FROM payment_items i "
            "JOIN payment_allocations a ON a.item_id = i.id GROUP BY i.id, i.account_no, i.amount_cents "
            "HAVING sum(a.amount_cents) <> i.amount_cents"):
        r.add("batches", "payment_items", iid, acct, f"fund allocations add up to {_c(alloc)}, not the item {_c(amt)}")
    for iid, acct, amt, pid, pacct, pamt in q(
            "SELECT i.id, i.account_no, i.amount_cents, p.id, p.account_no, p.amount_cents FROM payment_items i "
            "LEFT JOIN postings p ON p.id = i.posting_id WHERE i.disposition = 'posted' AND "
            "(p.id IS NULL OR p.amount_cents <> -i.amount_cents OR p.account_no <> i.account_no)"):
        if pid is None:
            r.add("batches", "payment_items", iid, acct, "posted item has no payment posting")
        else:
            r.add("batches", "payment_items", iid, acct,
                  f"item of {_c(amt)} is posted as {_c(-pamt)} to account {pacct} (posting {pid})")


def _resolutions(q, r: IntegrityReport) -> None:
    """Each decision on a suspense or held item: its parts add up to the item, a payment of
    the item's amount was posted when it was applied or released, and none when returned."""
    for rid, item, kind, acct, pid, cents, parts, item_cents, disp, p_cents, p_acct in q(
            "SELECT r.id, r.item_id, r.kind, r.account_no, r.posting_id, r.amount_cents, r.parts, i.amount_cents, "
            "i.disposition, p.amount_cents, p.account_no FROM payment_resolutions r "
            "JOIN payment_items i ON i.id = r.item_id LEFT JOIN postings p ON p.id = r.posting_id"):
        if disp not in ("suspense", "held"):
            r.add("suspense decisions", "payment_resolutions", rid, acct, f"item {item} was {disp}, not suspense or held")
        if cents != item_cents or sum(json.loads(parts).values()) != cents:
            r.add("suspense decisions", "payment_resolutions", rid, acct,
                  f"item {item}: decided {_c(cents)} in parts {parts}, the item is {_c(item_cents)}")
        if kind == "returned" and pid is not None:
            r.add("suspense decisions", "payment_resolutions", rid, acct, f"item {item} was returned but posted")
        if kind != "returned" and (p_cents != -cents or p_acct != acct):
            r.add("suspense decisions", "payment_resolutions", rid, acct,
                  f"item {item} was {kind} but posting {pid} is not a payment of {_c(cents)} to {acct}")


def _returns(q, r: IntegrityReport) -> None:
    for rid, acct, pay, rev, target in q(
            "SELECT x.id, x.account_no, x.payment_posting_id, x.reversal_posting_id, p.reverses_id "
            "FROM returned_payments x LEFT JOIN postings p ON p.id = x.reversal_posting_id "
            "WHERE p.id IS NULL OR p.reverses_id IS NULL OR p.reverses_id <> x.payment_posting_id"):
        r.add("reversals", "returned_payments", rid, acct,
              f"the return's posting {rev} does not reverse the returned payment {pay} (it reverses {target})")


def _arrangements(q, r: IntegrityReport) -> None:
    for aid, acct, past_due, down, n_said, n, s in q(
            "SELECT a.id, a.account_no, a.past_due_cents, a.down_cents, a.installments, count(i.id), "
            "coalesce(sum(i.amount_cents), 0) FROM arrangements a "
            "LEFT JOIN arrangement_installments i ON i.arrangement_id = a.id "
            "GROUP BY a.id, a.account_no, a.past_due_cents, a.down_cents, a.installments"):
        if s != past_due - down:
            r.add("arrangements", "arrangements", aid, acct,
                  f"installments add up to {_c(s)}, not the past due {_c(past_due)} less the down payment "
                  f"{_c(down)} = {_c(past_due - down)}")
        if n != n_said:
            r.add("arrangements", "arrangements", aid, acct, f"has {n} installments; the arrangement says {n_said}")


def _deposits(q, r: IntegrityReport) -> None:
    for acct, held in q("SELECT account_no, sum(amount_cents) FROM deposits GROUP BY account_no "
                        "HAVING sum(amount_cents) < 0"):
        r.add("deposits", "deposits", None, acct, f"more applied or refunded than held (net {_c(held)})")


def _notices(conn, q, r: IntegrityReport, store) -> None:
    last_run = q("SELECT max(event_date) FROM notice_events")[0][0]
    active = [a for (a,) in q("SELECT DISTINCT account_no FROM notices WHERE status = 'active'")]
    if not active or last_run is None:
        return
    from .notices import removal_reason
    from .store.collections_repo import load_cases

    last_run = last_run if isinstance(last_run, date) else date.fromisoformat(str(last_run)[:10])
    # Payments dated on the run's own day may have been posted after it (the day's batches
    # come in after the morning's notice run): only what was paid by the day before counts.
    paid_by = last_run - timedelta(days=1)
    cases = load_cases(conn, paid_by, grace_days=0, accounts=active)
    for case in cases.values():
        for n in case.notices:
            if n.status != "active" or n.issued > paid_by:
                continue
            why = removal_reason(case, n, paid_by)
            if why:
                r.add("notices", "notices", n.id, case.account_no,
                      f"turn-off notice still active although {why} by {paid_by}, before the notice run of {last_run}")


def _append_only(conn, q, r: IntegrityReport, tables: set[str]) -> None:
    wanted = [t for t in schema.APPEND_ONLY if t in tables]
    if conn.dialect.name == "sqlite":
        have = {n for (n,) in q("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        for t in wanted:
            for op in ("update", "delete"):
                if f"{t}_no_{op}" not in have:
                    r.add("append-only", t, None, None, f"the trigger refusing {op.upper()} on {t} is missing")
    elif conn.dialect.name == "postgresql":
        have = {n for (n,) in q("SELECT trigger_name FROM information_schema.triggers")}
        for t in wanted:
            if f"{t}_append_only" not in have:
                r.add("append-only", t, None, None, f"the trigger refusing UPDATE and DELETE on {t} is missing")


# --- the ledger, account by account ------------------------------------------------------

def _ledgers(q, r: IntegrityReport, deep: bool | None, as_of: date) -> None:
    """Recompute each account's ledger from its postings and compare its balance with the sum."""
    total = r.checked.get("postings", 0)
    if deep is False:
        return
    accounts = [a for (a,) in q("SELECT DISTINCT account_no FROM postings ORDER BY account_no")]
    sql = ("SELECT id, account_no, effective_date, kind, amount_cents, due_date, bill_id, reverses_id, parts, fund "
           "FROM postings")
    if not deep and total > DEEP_MAX_POSTINGS:
        accounts = accounts[::max(1, len(accounts) // DEEP_SAMPLE_ACCOUNTS)]
        rows = [row for i in range(0, len(accounts), 500) for row in q(
            sql + " WHERE account_no IN (" + ", ".join(f":a{k}" for k in range(len(accounts[i:i + 500]))) + ")",
            **{f"a{k}": a for k, a in enumerate(accounts[i:i + 500])})]
    else:
        rows = q(sql)
    by_account: dict[str, list[Posting]] = defaultdict(list)
    sums: dict[str, int] = defaultdict(int)
    for pid, acct, eff, kind, cents, due, bill_id, rev, parts, fund in sorted(rows, key=lambda r: r[0]):
        sums[acct] += cents
        split = tuple((f, Decimal(c) / 100) for f, c in json.loads(parts).items()) if parts else ()
        by_account[acct].append(Posting(pid, _d(eff), kind, Decimal(cents) / 100, _d(due) if due else None,
                                        bill_id, rev, split, fund))
    for acct in accounts:
        try:
            state = ledger_state(by_account[acct], as_of)
        except Exception as exc:  # a ledger that cannot be computed is a finding, not a crash
            r.add("balances", "postings", None, acct, f"the ledger cannot be computed: {exc}")
            continue
        if int(state.balance * 100) != sums[acct]:
            r.add("balances", "postings", None, acct,
                  f"postings add up to {_c(sums[acct])} but the ledger's balance is {state.balance:,.2f}")
    r.deep_accounts = len(accounts)


def _d(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
