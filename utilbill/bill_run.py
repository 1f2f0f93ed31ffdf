"""The cycle bill run: readings in, bills posted, a Bills workbook out (domain §3).

`bill_run(u, readings_path)` reads the readings sheet, validates every row against the
store (unknown or closed accounts, duplicates, reads not after the previous read, negative
consumption without a plausible rollover), computes every bill, posts the good ones in one
transaction, and writes the Bills workbook (Bills, Lines, Exceptions, Summary sheets).

Rows that cannot be billed are held out with their reason and shown on the Exceptions sheet;
the rest are billed (the way a CIS bill run works), unless `strict` asks to post nothing
when any row has a problem. A problem with the file itself (missing columns, unreadable
file) posts nothing. The run is idempotent: a bill is keyed by account, period and kind, a
read by account, date and type, and the same file twice is recognised by its hash.

Two computations give the same bills: the reference loop (`engine="reference"`, one
account at a time through utilbill.billing) and the vectorized exact path
(`engine="vector"`, utilbill.bill_run_vector) used for big runs.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Callable, Sequence

from sqlalchemy import select

from .accounts import Account
from .billing import ComputedBill, bill_from_read
from .config import Policy
from .consumption import PastUsage
from .findings import Finding, FindingsError, errors, in_file_terms
from .home import Utility
from .layouts import READINGS
from .rates import RateBook
from .store import schema
from .atomic import atomic_write_path
from .bill_posting import (  # noqa: F401  (the generator and tests use the row builders from here)
    bill_line_rows, bill_posting_row, bill_row, existing_bill_keys, post_bills, read_row)
from .bill_run_lookup import (  # noqa: F401  (the whole-table loaders: demo steps, benchmarks)
    ReadFacts, _sqlite, first_billed, load_accounts, load_histories, load_reads)
from .forked import Forked, ForkedTaskError
from .gcpause import collector_paused

HISTORY_DAYS = 500  # enough for a 365-day estimate and last winter's average


@dataclass(frozen=True, slots=True)
class BillRequest:
    """One readings row, checked against the store, ready to be priced."""

    row: int
    account: Account
    previous_read_date: date
    previous_reading: int
    read_date: date
    reading: int | None  # None = estimate
    history: tuple[PastUsage, ...]
    kind: str  # regular | first | final


@dataclass
class BillRunResult:
    run_date: date
    source: str
    bills: list[ComputedBill] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # account -> readings row (0 = estimated, no row)
    job_id: int | None = None
    posted: int = 0
    already_posted: int = 0
    already_run_job: int | None = None
    backup: Path | None = None
    output: Path | None = None
    bill_ids: dict[str, int] = field(default_factory=dict)  # bill_key -> bill id

    @property
    def exceptions(self) -> list[Finding]:
        return self.findings

    @property
    def total(self) -> Decimal:
        return sum((b.total for b in self.bills), Decimal("0.00"))


# --- loading what the rows need, in bulk: utilbill.bill_run_lookup ------------------------

# --- checking rows -------------------------------------------------------------------------

def prepare(rows: list[dict], *, source: str, sheet: str, conn, run_date: date,
            estimate_missing: bool, cycle: str | None = None,
            winter_months: Sequence[int] | None = None) -> tuple[list[BillRequest], list[Finding]]:
    """Check every row against the store; return billable requests and the held-out rows.

    With `winter_months` (the policy's), a request's history holds what its bill reads: the
    winter-month bills for the winter average, and every bill of the look-back only where
    the bill estimates usage or checks a reading below the previous one. Without it every
    request gets its whole recent history."""
    findings: list[Finding] = []
    first_date: dict[str, date | None] = {}  # account -> the read date of its first row
    for r in rows:
        if r.get("account") and r["account"] not in first_date:
            first_date[r["account"]] = r.get("read_date")
    numbers = sorted(first_date)
    on_sheet = set(numbers)
    if estimate_missing and cycle:
        A = schema.accounts
        for (a,) in conn.execute(select(A.c.account_no).where(A.c.cycle == cycle, A.c.status == "active")):
            if a not in first_date:
                numbers.append(a)
                first_date[a] = run_date
    wanted = {a: d for a, d in first_date.items() if d is not None}
    min_date = min((r["read_date"] for r in rows if r.get("read_date")), default=run_date)
    since = min_date - timedelta(days=HISTORY_DAYS)
    if _sqlite(conn):
        from . import bill_run_lookup as look

        accounts, facts, earliest_bill = look.sheet_facts(conn, {a: first_date[a] for a in numbers})
        if winter_months is None:
            full = set(numbers)
        else:
            full = {a for a in numbers if a not in on_sheet}  # estimated, without a row
            for r in rows:
                a, reading = r.get("account"), r.get("reading")
                prior = facts[a].prior if a in facts else None
                if ((r.get("read_type") or "actual") == "estimate" or reading is None
                        or (prior is not None and reading < prior[1])):
                    full.add(a)
        until = date(max(wanted.values(), default=run_date).year, 12, 31)
        histories = look.histories(conn, sorted(full & set(accounts)), sorted(set(accounts) - full), since=since,
                                   until=until, winter_months=winter_months or ())
    else:
        accounts = load_accounts(conn, numbers)
        all_reads = load_reads(conn, numbers)
        facts = {a: _facts(all_reads.get(a, []), d) for a, d in wanted.items()}
        histories = load_histories(conn, numbers, since)
        earliest_bill = first_billed(conn, numbers)

    def kind_for(acct: str, prev_date: date) -> str:
        first = earliest_bill.get(acct)
        return "regular" if first is not None and first <= prev_date else "first"

    def bad(row, column, value, reason, account=None):
        findings.append(Finding(reason, file=source, sheet=sheet, row=row, column=column, value=value,
                                account=account))

    no_reads = ReadFacts()
    seen: dict[str, int] = {}
    requests: list[BillRequest] = []
    for r in rows:
        rown, acct = r["_row"], r["account"]
        account = accounts.get(acct)
        if account is None:
            bad(rown, "account", acct, f"unknown account {acct}: not in the store (import it or check the number)", acct)
            continue
        if acct in seen:
            bad(rown, "account", acct, f"account {acct} appears again (first on row {seen[acct]}); "
                                       f"only one reading per account per run", acct)
            continue
        seen[acct] = rown
        if account.status != "active":
            bad(rown, "account", acct, f"account {acct} is {account.status}; it is not billed by the cycle run", acct)
            continue
        read_type = r.get("read_type") or "actual"
        reading = r.get("reading")
        if reading is None and read_type != "estimate" and not estimate_missing:
            bad(rown, "reading", "", "reading is blank; enter it, or mark the row 'estimate' to estimate it", acct)
            continue
        f = facts.get(acct, no_reads)
        if f.latest_later is not None:
            bad(rown, "read_date", r["read_date"],
                f"read date {r['read_date']} is before the account's last read {f.latest_later}", acct)
            continue
        if f.prior is None:
            bad(rown, "read_date", r["read_date"], f"no earlier read for account {acct} (set its initial reading)", acct)
            continue
        if f.same_day and reading is not None and all(x != reading for x in f.same_day):
            bad(rown, "reading", reading, f"a different reading ({f.same_day[0]}) is already recorded for "
                                          f"{r['read_date']}; correct it with 'utilbill adjust cancel-rebill'", acct)
            continue
        prev_date, prev_reading, _ = f.prior
        hist = tuple(histories.get(acct, ()))
        kind = kind_for(acct, prev_date)
        requests.append(BillRequest(rown, account, prev_date, prev_reading, r["read_date"],
                                    None if read_type == "estimate" else reading, hist, kind))
    if estimate_missing and cycle:
        A_missing = [a for a in numbers if a not in seen and a in accounts and accounts[a].status == "active"]
        for acct in A_missing:
            prior = facts.get(acct, no_reads).prior
            if prior is None:
                continue
            requests.append(BillRequest(0, accounts[acct], prior[0], prior[1], run_date, None,
                                        tuple(histories.get(acct, ())), kind_for(acct, prior[0])))
    return requests, findings


def _facts(reads: list[tuple[date, int, str]], day: date) -> ReadFacts:
    """ReadFacts from an account's reads in (date, entry) order."""
    prior = [x for x in reads if x[0] < day]
    later = [x for x in reads if x[0] > day]
    return ReadFacts(prior=prior[-1] if prior else None, same_day=[x[1] for x in reads if x[0] == day],
                     latest_later=later[-1][0] if later else None)


def compute_reference(requests: Sequence[BillRequest], policy: Policy, rates: RateBook, bill_date: date,
                      *, source: str = "", sheet: str = "") -> tuple[list[ComputedBill], list[Finding]]:
    """The plain loop: one account at a time through utilbill.billing."""
    bills, findings = [], []
    for q in requests:
        b = bill_from_read(q.account, previous_read_date=q.previous_read_date, previous_reading=q.previous_reading,
                           read_date=q.read_date, reading=q.reading, history=q.history, policy=policy,
                           rates=rates, bill_date=bill_date, kind=q.kind, estimate=q.reading is None)
        if isinstance(b, Finding):
            findings.append(Finding(b.reason, file=source, sheet=sheet, row=q.row or None, column=b.column,
                                    value=b.value, account=q.account.account_no))
        else:
            bills.append(b)
    return bills, findings


def compute(requests, policy, rates, bill_date, *, engine: str = "auto", source="", sheet=""):
    if engine == "auto":
        engine = "vector" if len(requests) >= 2000 else "reference"
    if engine == "vector":
        from .bill_run_vector import compute_vector

        return compute_vector(requests, policy, rates, bill_date, source=source, sheet=sheet)
    return compute_reference(requests, policy, rates, bill_date, source=source, sheet=sheet)


# --- the job -------------------------------------------------------------------------------

@collector_paused()
def bill_run(u: Utility, readings_path: str | Path, *, run_date: date | None = None,
             estimate_missing: bool = False, cycle: str | None = None, strict: bool = False,
             engine: str = "auto", out_path: str | Path | None = None, post: bool = True,
             progress: Callable[[str], None] | None = None) -> BillRunResult:
    """Read, check, compute, post and write one bill run. See the module docstring."""
    from .xlio import read_table

    readings_path = Path(readings_path)
    (progress or (lambda _msg: None))("reading the readings sheet")
    return bill_run_rows(u, read_table(readings_path, READINGS), source=str(readings_path), run_date=run_date,
                         estimate_missing=estimate_missing, cycle=cycle, strict=strict, engine=engine,
                         out_path=out_path, post=post, progress=progress, protect=[readings_path])


@collector_paused()  # see utilbill.gcpause: a third of the checking was the collector
def bill_run_rows(u: Utility, table, *, source: str, run_date: date | None = None,
                  estimate_missing: bool = False, cycle: str | None = None, strict: bool = False,
                  engine: str = "auto", out_path: str | Path | None = None, post: bool = True,
                  progress: Callable[[str], None] | None = None, protect: Sequence = ()) -> BillRunResult:
    """`bill_run` over readings already read: `table` is an `xlio.ReadResult` (typed rows with
    their row numbers, the reader's findings, headers and the content hash that keys the
    job). The ribbon macro reads the caller's Readings sheet into one without a file;
    `source` names where the rows came from (a path, or "Book.xlsx!Readings")."""
    rr = table
    run_date = run_date or date.today()
    say = progress or (lambda _msg: None)
    name = Path(source).name
    result = BillRunResult(run_date=run_date, source=source)
    file_errors = [f for f in rr.findings if f.severity == "error" and f.row in (None, rr.header_row)]
    if file_errors:
        raise FindingsError(rr.findings, summary=f"{name} cannot be used for a bill run; nothing was posted")
    bad_rows = {f.row for f in errors(rr.findings)}
    result.findings.extend(rr.findings)
    rows = [r for r in rr.rows if r["_row"] not in bad_rows]
    store = u.store
    job_key = f"bill-run:{rr.file_hash}:{run_date.isoformat()}"
    # the backup is copied while the rows are checked and priced; posting waits for it
    backup = u.backup_in_background("bill-run", bulk=True) if post else None
    try:
        if backup is not None:
            backup.wait_for_snapshot()  # a read begun first could keep the backup's checkpoint waiting
        with store.read() as conn:
            say("checking rows against the store")
            from .store.repo import find_job

            previous = find_job(conn, job_key)
            requests, problems = prepare(rows, source=name, sheet=READINGS.sheet, conn=conn, run_date=run_date,
                                         estimate_missing=estimate_missing, cycle=cycle,
                                         winter_months=u.policy.billing.winter_months)
        result.findings.extend(problems)
        say(f"computing {len(requests)} bills")
        bills, problems = compute(requests, u.policy, u.rates, run_date, engine=engine, source=name,
                                  sheet=READINGS.sheet)
        result.rows = {q.account.account_no: q.row for q in requests}
        del requests  # their histories are not needed any more
        result.findings.extend(problems)
        result.findings = in_file_terms(result.findings, rr.headers, rr.sheet)
        result.bills = bills
        if strict and errors(result.findings):
            raise FindingsError(result.findings, summary=f"{name}: strict run refused; nothing was posted")
    finally:
        if backup is not None:
            say("backing up the store")
            result.backup = backup.wait()
    if previous is not None:
        result.already_run_job = previous["id"]
    out = None
    if out_path is not None or post:
        out = Path(out_path) if out_path else u.out_dir("bills") / f"Bills-{run_date.isoformat()}.xlsx"
    from .bills_workbook import write_bills_file, write_bills_workbook

    if not (post and bills):
        if out is not None:
            say("writing the Bills workbook")
            result.output = write_bills_workbook(result, out, protect=protect)
        return result
    with ExitStack() as stack:
        # the workbook goes to a temporary file beside its target, written by a forked
        # process while this one posts; it is renamed into place only once the bills are
        # committed and the writer has finished (utilbill.forked)
        tmp = stack.enter_context(atomic_write_path(out, protect=protect)) if out is not None else None
        writer: list[Forked] = []

        def start_writer(new: int, already: int) -> None:
            result.posted, result.already_posted = new, already
            if tmp is not None:
                writer.append(Forked(lambda: write_bills_file(result, tmp)))

        say(f"posting {len(bills)} bills")
        from .store.repo import start_job

        try:
            with store.write(bulk=True) as conn:
                job_id = None
                if previous is None:
                    job_id = start_job(conn, store, kind="bill-run", job_key=job_key, run_date=run_date,
                                       source_file=source, source_hash=rr.file_hash,
                                       summary={"bills": len(bills), "exceptions": len(result.findings)})
                ids, skipped = post_bills(conn, store, bills,
                                          job_id=job_id if job_id else (previous or {}).get("id"),
                                          source_file=source, source_hash=rr.file_hash, before_insert=start_writer)
                if ids:
                    store.audit(conn, "bill-run", entity="job", entity_id=job_id, source_file=source,
                                source_hash=rr.file_hash,
                                details={"posted": len(ids), "already_posted": skipped, "run_date": run_date,
                                         "exceptions": len(result.findings)})
        except BaseException:
            for w in writer:
                w.cancel()
            raise
        result.job_id = job_id or (previous or {}).get("id")
        result.bill_ids = ids
        result.posted, result.already_posted = len(ids), skipped
        if tmp is not None:
            say("writing the Bills workbook")
            try:
                for w in writer:
                    w.wait()
            except ForkedTaskError as e:
                raise RuntimeError(f"the {len(ids)} bills are posted, but the Bills workbook {out.name} could not be "
                                   f"written ({e}); run the same readings again to write it (nothing is posted "
                                   f"twice)") from None
            result.output = out
    return result
