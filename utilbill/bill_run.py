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

from collections import defaultdict
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
from .bill_run_lookup import ReadFacts
from .forked import Forked, ForkedTaskError
from .store.repo import account_from_row, insert_many

HISTORY_DAYS = 500  # enough for a 365-day estimate and last winter's average
POST_CHUNK = 20_000  # bills whose rows are built and inserted together (memory, not speed)


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


# --- loading what the rows need, in bulk -------------------------------------------------

def _chunks(seq: Sequence, n: int = 900):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def load_accounts(conn, numbers: Sequence[str]) -> dict[str, Account]:
    A = schema.accounts
    out: dict[str, Account] = {}
    if len(numbers) > 5000:
        rows = conn.execute(select(A))
        wanted = set(numbers)
        for r in rows:
            if r._mapping["account_no"] in wanted:
                out[r._mapping["account_no"]] = account_from_row(r)
        return out
    for chunk in _chunks(list(numbers)):
        for r in conn.execute(select(A).where(A.c.account_no.in_(chunk))):
            out[r._mapping["account_no"]] = account_from_row(r)
    return out


def load_reads(conn, numbers: Sequence[str]) -> dict[str, list[tuple[date, int, str]]]:
    R = schema.reads
    q = select(R.c.account_no, R.c.read_date, R.c.reading, R.c.read_type).order_by(R.c.account_no, R.c.read_date, R.c.id)
    out: dict[str, list] = defaultdict(list)
    if len(numbers) > 5000:
        wanted = set(numbers)
        if _sqlite(conn):  # the whole table straight from the driver: dates are ISO text
            fromiso = date.fromisoformat
            for a, d, rd, t in _raw(
                    conn, "SELECT account_no, read_date, reading, read_type FROM reads ORDER BY account_no, read_date, id"):
                if a in wanted:
                    out[a].append((fromiso(d), rd, t))
            return out
        for a, d, rd, t in conn.execute(q):
            if a in wanted:
                out[a].append((d, rd, t))
        return out
    for chunk in _chunks(list(numbers)):
        for a, d, rd, t in conn.execute(q.where(R.c.account_no.in_(chunk))):
            out[a].append((d, rd, t))
    return out


def load_histories(conn, numbers: Sequence[str], since: date) -> dict[str, list[PastUsage]]:
    """Each account's live (not cancelled) billed periods ending on or after `since`."""
    B, P = schema.bills, schema.postings
    orig = P.alias("orig")
    cancelled = {r[0] for r in conn.execute(
        select(orig.c.bill_id).select_from(P.join(orig, P.c.reverses_id == orig.c.id)).where(orig.c.kind == "bill"))}
    q = (select(B.c.id, B.c.account_no, B.c.period_start, B.c.period_end, B.c.units, B.c.estimated)
         .where(B.c.period_end >= since).order_by(B.c.account_no, B.c.period_end))
    out: dict[str, list[PastUsage]] = defaultdict(list)
    wanted = set(numbers)
    if _sqlite(conn):  # straight from the driver: dates are ISO text
        fromiso = date.fromisoformat
        rows = _raw(conn, "SELECT id, account_no, period_start, period_end, units, estimated FROM bills "
                          "WHERE period_end >= ? ORDER BY account_no, period_end", (since.isoformat(),))
        for bid, a, s, e, units, est in rows:
            if a in wanted and bid not in cancelled:
                out[a].append(PastUsage(fromiso(s), fromiso(e), Decimal(units), bool(est)))
        return out
    for bid, a, s, e, units, est in conn.execute(q):
        if a in wanted and bid not in cancelled:
            out[a].append(PastUsage(s, e, Decimal(units), bool(est)))
    return out


def _sqlite(conn) -> bool:
    return conn.dialect.name == "sqlite"


def _raw(conn, sql: str, params: tuple = ()) -> list[tuple]:
    """All rows of a query, straight from the SQLite driver's cursor inside the transaction
    (no per-row result processing: dates come back as ISO text)."""
    return conn.connection.driver_connection.execute(sql, params).fetchall()


def first_billed(conn, numbers: Sequence[str]) -> dict[str, date]:
    """Each account's earliest billed period end (an account with none has had no bill)."""
    from sqlalchemy import func

    B = schema.bills
    wanted = set(numbers)
    return {a: d for a, d in conn.execute(select(B.c.account_no, func.min(B.c.period_end)).group_by(B.c.account_no))
            if a in wanted}


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


# --- posting -------------------------------------------------------------------------------

def existing_bill_keys(conn, keys: Sequence[str]) -> set[str]:
    B = schema.bills
    out: set[str] = set()
    if len(keys) > 5000:
        wanted = set(keys)
        rows = _raw(conn, "SELECT bill_key FROM bills") if _sqlite(conn) else conn.execute(select(B.c.bill_key))
        return {k for (k,) in rows if k in wanted}
    for chunk in _chunks(list(keys)):
        out.update(k for (k,) in conn.execute(select(B.c.bill_key).where(B.c.bill_key.in_(chunk))))
    return out


def post_bills(conn, store, bills: Sequence[ComputedBill], *, job_id: int | None, source_file: str | None,
               source_hash: str | None, lines: bool = True, check_existing: bool = True,
               before_insert: Callable[[int, int], None] | None = None) -> tuple[dict[str, int], int]:
    """Append the bills, their lines, their reads and their bill postings in bulk.

    Returns (bill_key -> new bill id, number already in the store and skipped).
    `lines=False` keeps only totals and fund parts (imported history); `check_existing=False`
    is for a generator that knows the store holds none of these bills or reads yet.
    `before_insert(new, already)` is called once the store has said which bills are new,
    before anything is inserted (the bill run starts writing its workbook then).
    """
    from .store.db import now_iso

    B, BL, P, R = schema.bills, schema.bill_lines, schema.postings, schema.reads
    keys = [b.bill_key for b in bills]
    existing: set[str] = set()
    if check_existing:
        if _sqlite(conn):
            from .bill_run_lookup import existing_bill_keys as stored_keys

            existing = stored_keys(conn, keys)
        else:
            existing = existing_bill_keys(conn, keys)
    new = [(k, b) for k, b in zip(keys, bills) if k not in existing]
    if before_insert is not None:
        before_insert(len(new), len(bills) - len(new))
    if not new:
        return {}, len(bills)
    now = now_iso()
    memo: dict = {}
    clerk = store.clerk
    parts = [new[i:i + POST_CHUNK] for i in range(0, len(new), POST_CHUNK)]  # rows built a part at a time
    if _sqlite(conn):
        ids = _post_sqlite(conn, parts, memo=memo, job_id=job_id, clerk=clerk, source_file=source_file,
                           source_hash=source_hash, now=now, lines=lines, skip_duplicate_reads=check_existing)
        return ids, len(bills) - len(new)
    # reads: one a day and type per account (the unique constraint skips ones already recorded)
    insert_many(conn, R, [read_row(b, source_file=source_file, job_id=job_id, now=now) for _, b in new],
                skip_duplicates=check_existing)
    result = conn.execute(B.insert().returning(B.c.id, B.c.bill_key, sort_by_parameter_order=True),
                          [bill_row(b, job_id=job_id, now=now, memo=memo, key=k) for k, b in new])
    ids = {key: bid for bid, key in result}
    for part in parts:
        if lines:
            insert_many(conn, BL, [row for k, b in part for row in bill_line_rows(b, ids[k], memo)])
        insert_many(conn, P, [bill_posting_row(b, ids[k], job_id=job_id, clerk=clerk, source_file=source_file,
                                               source_hash=source_hash, now=now, memo=memo, key=k)
                              for k, b in part])
    return ids, len(bills) - len(new)


def _post_sqlite(conn, parts, *, memo, job_id, clerk, source_file, source_hash, now, lines: bool,
                 skip_duplicate_reads: bool) -> dict[str, int]:
    """post_bills on SQLite: tuples straight to the driver, dates as ISO text (each distinct
    date converted once). The write lock is held, so the bill ids above the old maximum are
    this run's."""
    texts: dict = {}

    def day(d):
        t = texts.get(d)
        if t is None:
            t = texts[d] = d.isoformat()
        return t

    def insert(table: str, columns: tuple, rows: list, tail: str = "") -> None:
        if rows:
            conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                                 f"({', '.join('?' * len(columns))}){tail}", rows)

    for part in parts:  # reads: one a day and type per account (the unique constraint skips recorded ones)
        insert("reads", READ_COLUMNS, [read_values(b, source_file=source_file, job_id=job_id, now=now, day=day)
                                       for _, b in part], " ON CONFLICT DO NOTHING" if skip_duplicate_reads else "")
    (top,) = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM bills").one()
    for part in parts:
        insert("bills", BILL_COLUMNS, [bill_values(b, job_id=job_id, now=now, memo=memo, key=k, day=day)
                                       for k, b in part])
    ids = {key: bid for bid, key in conn.exec_driver_sql("SELECT id, bill_key FROM bills WHERE id > ?", (top,))}
    for part in parts:
        if lines:
            insert("bill_lines", LINE_COLUMNS, [row for k, b in part for row in line_values(b, ids[k], memo)])
        insert("postings", POSTING_COLUMNS, [posting_values(b, ids[k], job_id=job_id, clerk=clerk,
                                                            source_file=source_file, source_hash=source_hash,
                                                            now=now, memo=memo, key=k, day=day) for k, b in part])
    return ids


# The rows post_bills writes, one function per table, so a bulk writer that assigns bill ids
# itself (the sample-history generator) writes exactly the same rows. `memo`, a dict the
# caller keeps for one batch, computes the figures of a priced bill once for all the bills
# that share it (the vectorized path shares one PricedBill among bills priced alike).

def _priced_facts(b: ComputedBill, memo: dict | None) -> tuple:
    """(total cents, fund parts JSON, months text, wastewater units text, line templates)."""
    p = b.priced
    hit = memo.get(id(p)) if memo is not None else None
    if hit is not None:
        return hit[1]
    from .money import to_cents

    lines = tuple((i, l.code, l.description, l.fund, str(l.quantity), str(l.rate), to_cents(l.amount), l.basis)
                  for i, l in enumerate(p.lines, start=1))
    funds: dict[str, int] = {}
    for line in lines:
        funds[line[3]] = funds.get(line[3], 0) + line[6]
    parts = "{" + ", ".join(f'"{f}": {c}' for f, c in sorted(funds.items())) + "}"  # json.dumps' text
    facts = (sum(funds.values()), parts, str(p.months), str(p.wastewater_units), lines)
    if memo is not None:
        memo[id(p)] = (p, facts)  # the object is kept, so its id is not reused within the batch
    return facts


# Each table's columns, and its row as a tuple in that order (dates as `day` gives them:
# the date itself, or its ISO text for the SQLite driver); the dict builders wrap them.
READ_COLUMNS = ("account_no", "read_date", "reading", "read_type", "source", "job_id", "created_at")
BILL_COLUMNS = ("bill_key", "account_no", "job_id", "kind", "bill_date", "due_date", "period_start", "period_end",
                "previous_reading", "reading", "units", "estimated", "rollover", "regular", "months",
                "winter_average", "wastewater_units", "total_cents", "replaces_bill_id", "created_at")
LINE_COLUMNS = ("bill_id", "seq", "code", "description", "fund", "quantity", "rate", "amount_cents", "basis")
POSTING_COLUMNS = ("account_no", "effective_date", "posted_at", "kind", "amount_cents", "due_date", "bill_id",
                   "reverses_id", "fund", "parts", "ref", "reason_code", "memo", "batch_id", "job_id", "clerk",
                   "source_file", "source_hash", "idem_key")


def _same(d):
    return d


def read_values(b: ComputedBill, *, source_file: str | None, job_id: int | None, now: str, day=_same) -> tuple:
    return (b.account_no, day(b.period.end), int(b.reading), "estimated" if b.estimated else "actual", source_file,
            job_id, now)


def bill_values(b: ComputedBill, *, job_id: int | None, now: str, memo: dict | None = None, key: str | None = None,
                day=_same) -> tuple:
    cents, _, months, ww_units, _ = _priced_facts(b, memo)
    period = b.period
    return (key or b.bill_key, b.account_no, job_id, b.kind, day(b.bill_date), day(b.due_date), day(period.start),
            day(period.end), b.previous_reading, b.reading, str(b.units), b.estimated, b.rollover, b.regular, months,
            str(b.winter.units_per_month) if b.winter else None, ww_units, cents, None, now)


def line_values(b: ComputedBill, bid: int, memo: dict | None = None) -> list[tuple]:
    return [(bid, *line) for line in _priced_facts(b, memo)[4]]


def posting_values(b: ComputedBill, bid: int, *, job_id: int | None, clerk: str, source_file: str | None,
                   source_hash: str | None, now: str, memo: dict | None = None, key: str | None = None,
                   day=_same) -> tuple:
    cents, parts, _, _, _ = _priced_facts(b, memo)
    return (b.account_no, day(b.bill_date), now, "bill", cents, day(b.due_date), bid, None, None, parts, None, None,
            f"{b.kind} bill {b.period}", None, job_id, clerk, source_file, source_hash, f"bill:{key or b.bill_key}")


def read_row(b: ComputedBill, *, source_file: str | None, job_id: int | None, now: str) -> dict:
    return dict(zip(READ_COLUMNS, read_values(b, source_file=source_file, job_id=job_id, now=now)))


def bill_row(b: ComputedBill, *, job_id: int | None, now: str, memo: dict | None = None,
             key: str | None = None) -> dict:
    return dict(zip(BILL_COLUMNS, bill_values(b, job_id=job_id, now=now, memo=memo, key=key)))


def bill_line_rows(b: ComputedBill, bid: int, memo: dict | None = None) -> list[dict]:
    return [dict(zip(LINE_COLUMNS, v)) for v in line_values(b, bid, memo)]


def bill_posting_row(b: ComputedBill, bid: int, *, job_id: int | None, clerk: str, source_file: str | None,
                     source_hash: str | None, now: str, memo: dict | None = None, key: str | None = None) -> dict:
    return dict(zip(POSTING_COLUMNS, posting_values(b, bid, job_id=job_id, clerk=clerk, source_file=source_file,
                                                    source_hash=source_hash, now=now, memo=memo, key=key)))


# --- the job -------------------------------------------------------------------------------

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
    from .bills_workbook import write_bills_workbook

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
                writer.append(Forked(lambda: write_bills_workbook(result, tmp)))

        say(f"posting {len(bills)} bills")
        from .store.repo import start_job

        try:
            with store.write() as conn:
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
