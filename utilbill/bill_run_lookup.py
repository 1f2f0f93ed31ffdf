"""What a bill run needs to know from the store about the accounts in a readings file,
looked up in bulk (domain §3: the checks before a bill is computed).

For every account on the sheet the run needs: the account itself; its last read before the
sheet's read date (the bill's start), any read already recorded on that date (a re-run, or
a conflicting reading) and the latest read after it (a sheet older than the store); whether
it has been billed before (first bill or regular); and the billed periods its bill looks
at: the winter-month bills that set the winter average, and, where the bill estimates usage
or checks a reading below the previous one, the bills of the estimate's look-back.

On SQLite each of these is one query that walks the readings' accounts (passed as a JSON
array, read by `json_each`) through the store's indexes, so the cost follows the size of
the sheet, not the size of the store: a 100,000-account run against two years of history
reads about a quarter of a million bill rows instead of every read, bill and posting.
Other databases use the whole-table loaders at the end of this module.
"""

from __future__ import annotations

import calendar
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Iterable, Mapping, Sequence

from sqlalchemy import select

from .accounts import Account
from .consumption import PastUsage
from .store import schema
from .store.repo import account_from_row


@dataclass
class ReadFacts:
    """An account's reads around one read date."""

    prior: tuple[date, int, str] | None = None  # the last read before it (date, reading, type)
    same_day: list[int] = field(default_factory=list)  # readings already recorded on it
    latest_later: date | None = None  # the latest read after it


def _raw(conn, sql: str, params: tuple = ()) -> list[tuple]:
    """All rows of a query, straight from the SQLite driver's cursor inside the transaction
    (no per-row result processing: dates come back as ISO text)."""
    return conn.connection.driver_connection.execute(sql, params).fetchall()


ACCOUNT_COLUMNS = ("account_no", "premise_id", "account_class", "status", "customer_name", "customer_role",
                   "service_address", "mailing_address", "meter_size", "service_start", "meter_dials", "meter_id",
                   "service_end", "email", "phone", "notice_delivery", "owner_name", "landlord_name",
                   "landlord_address", "third_party_name", "third_party_address", "flags", "cash_only", "cycle",
                   "winter_average_override")


def _account(row, fromiso=date.fromisoformat) -> Account:
    (no, premise, cls, status, name, role, service, mailing, size, start, dials, meter, end, email, phone,
     delivery, owner, landlord, landlord_address, third, third_address, flags, cash_only, cycle, winter) = row
    return Account(no, premise, cls, status, name, role, service, mailing, size, fromiso(start), dials, meter,
                   fromiso(end) if end else None, email, phone, delivery, owner, landlord, landlord_address,
                   third, third_address, frozenset(f for f in flags.split(",") if f) if flags else frozenset(),
                   bool(cash_only), cycle, Decimal(winter) if winter else None)


def accounts_by_number(conn, numbers: Iterable[str]) -> dict[str, Account]:
    """The accounts with these numbers (unknown numbers are simply absent)."""
    cols = ", ".join(f"a.{c}" for c in ACCOUNT_COLUMNS)
    rows = _raw(conn, f"SELECT {cols} FROM json_each(?) j JOIN accounts a ON a.account_no = j.value",
                (json.dumps(list(numbers)),))
    return {r[0]: _account(r) for r in rows}


def sheet_facts(conn, wanted: Mapping[str, date | None]) -> tuple[dict[str, Account], dict[str, ReadFacts],
                                                                   dict[str, date]]:
    """In one pass over the sheet's accounts (account -> its read date, None when the row has
    none): the accounts, their reads around the date and their first billed period end."""
    cols = ", ".join(f"a.{c}" for c in ACCOUNT_COLUMNS)
    pairs = json.dumps([[a, d.isoformat() if d else None] for a, d in wanted.items()])
    fromiso = date.fromisoformat
    accounts: dict[str, Account] = {}
    facts: dict[str, ReadFacts] = {}
    first: dict[str, date] = {}
    n = len(ACCOUNT_COLUMNS)
    # the last read before the date: the newest by date, then by entry order, as a sorted
    # history's last element
    for row in _raw(conn, f"""
            WITH run(a, d) AS (SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]') FROM json_each(?) j)
            SELECT {cols}, x.read_date, x.reading, x.read_type,
                   (SELECT MIN(b.period_end) FROM bills b WHERE b.account_no = run.a)
            FROM run JOIN accounts a ON a.account_no = run.a
            LEFT JOIN reads x ON x.id = (
                SELECT y.id FROM reads y WHERE y.account_no = run.a AND y.read_date < run.d
                ORDER BY y.read_date DESC, y.id DESC LIMIT 1)""", (pairs,)):
        a = row[0]
        accounts[a] = _account(row[:n])
        d, reading, kind, billed = row[n:]
        facts[a] = ReadFacts(prior=(fromiso(d), reading, kind) if d is not None else None)
        if billed is not None:
            first[a] = fromiso(billed)
    _on_or_after(conn, pairs, wanted, facts)
    return accounts, facts, first


def _on_or_after(conn, pairs: str, wanted: Mapping[str, date | None], out: dict[str, ReadFacts]) -> None:
    """Reads on or after each account's date (none on a normal run) into its ReadFacts."""
    fromiso = date.fromisoformat
    for a, d, reading in _raw(conn, """
            WITH run(a, d) AS (SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]') FROM json_each(?) j)
            SELECT x.account_no, x.read_date, x.reading FROM run
            JOIN reads x ON x.account_no = run.a AND x.read_date >= run.d
            ORDER BY x.account_no, x.read_date, x.id""", (pairs,)):
        f, day = out.setdefault(a, ReadFacts()), fromiso(d)
        if day == wanted[a]:
            f.same_day.append(reading)
        elif f.latest_later is None or day > f.latest_later:
            f.latest_later = day


def winter_ranges(since: date, until: date, months: Iterable[int]) -> list[tuple[date, date]]:
    """The winter months between two dates, as inclusive date ranges (adjacent months merged)."""
    out: list[tuple[date, date]] = []
    for year in range(since.year, until.year + 1):
        for m in sorted(set(months)):
            lo, hi = date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1])
            lo, hi = max(lo, since), min(hi, until)
            if lo > hi:
                continue
            if out and (lo - out[-1][1]).days == 1:
                out[-1] = (out[-1][0], hi)
            else:
                out.append((lo, hi))
    return out


def histories(conn, full: Iterable[str], winter_only: Iterable[str], *, since: date, until: date,
              winter_months: Iterable[int]) -> dict[str, list[PastUsage]]:
    """Live (not cancelled) billed periods ending on or after `since`, in period order: every
    one for the accounts in `full`, only those ending in a winter month for the rest (all the
    winter average reads)."""
    cancelled = {b for (b,) in _raw(conn, """
            SELECT o.bill_id FROM postings p JOIN postings o ON o.id = p.reverses_id
            WHERE p.reverses_id IS NOT NULL AND o.kind = 'bill'""")}
    rows: list[tuple] = []
    full = list(full)
    if full:
        rows += _raw(conn, """
            SELECT b.id, b.account_no, b.period_start, b.period_end, b.units, b.estimated
            FROM json_each(?) j JOIN bills b ON b.account_no = j.value AND b.period_end >= ?""",
                     (json.dumps(full), since.isoformat()))
    others = json.dumps(list(winter_only))
    for lo, hi in winter_ranges(since, until, winter_months):
        rows += _raw(conn, """
            SELECT b.id, b.account_no, b.period_start, b.period_end, b.units, b.estimated
            FROM json_each(?) j JOIN bills b ON b.account_no = j.value AND b.period_end BETWEEN ? AND ?""",
                     (others, lo.isoformat(), hi.isoformat()))
    rows.sort(key=lambda r: (r[1], r[3]))  # account, period end (as the whole-table loader orders)
    days: dict[str, date] = {}
    amounts: dict[str, Decimal] = {}

    def day(text: str) -> date:
        d = days.get(text)
        if d is None:
            d = days[text] = date.fromisoformat(text)
        return d

    out: dict[str, list[PastUsage]] = {}
    for bid, a, s, e, units, est in rows:
        if bid in cancelled:
            continue
        u = amounts.get(units)
        if u is None:
            u = amounts[units] = Decimal(units)
        out.setdefault(a, []).append(PastUsage(day(s), day(e), u, bool(est)))
    return out


def existing_bill_keys(conn, keys: Iterable[str]) -> set[str]:
    """Which of these bill keys the store already holds."""
    return {k for (k,) in _raw(conn, "SELECT b.bill_key FROM json_each(?) j JOIN bills b ON b.bill_key = j.value",
                                (json.dumps(list(keys)),))}


# --- the whole-table loaders: other databases, and callers that want every account --------

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


def first_billed(conn, numbers: Sequence[str]) -> dict[str, date]:
    """Each account's earliest billed period end (an account with none has had no bill)."""
    from sqlalchemy import func

    B = schema.bills
    wanted = set(numbers)
    return {a: d for a, d in conn.execute(select(B.c.account_no, func.min(B.c.period_end)).group_by(B.c.account_no))
            if a in wanted}
