"""Posting a bill run's bills: their reads, bills, lines and bill postings appended in bulk
inside the caller's transaction (utilbill.bill_run.bill_run_rows holds it).

Each table's row is defined once, as a tuple in the table's column order (`read_values`,
`bill_values`, `line_values`, `posting_values`); the dict builders the sample-history
generator and other databases use wrap the same tuples. On SQLite the tuples go straight to
the driver's executemany with dates as ISO text, 20,000 bills at a time.
"""

from __future__ import annotations

from typing import Callable, Sequence

from sqlalchemy import select

from .billing import ComputedBill
from .bill_run_lookup import _sqlite
from .store import schema
from .store.repo import insert_many, iso_dates

POST_CHUNK = 20_000  # bills whose rows are built and inserted together (memory, not speed)


def _chunks(seq: Sequence, n: int = 900):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def existing_bill_keys(conn, keys: Sequence[str]) -> set[str]:
    """Which of these bill keys the store holds (other databases; SQLite asks through an index:
    utilbill.bill_run_lookup.existing_bill_keys)."""
    B = schema.bills
    out: set[str] = set()
    if len(keys) > 5000:
        wanted = set(keys)
        return {k for (k,) in conn.execute(select(B.c.bill_key)) if k in wanted}
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
    day = iso_dates()

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
