"""Reading and writing the store's records as engine types (Account, Posting, PastUsage).

Every job goes through these functions, so the conversion between integer cents in the
store and Decimal money in the rules happens in one place.
"""

from __future__ import annotations

import json
from operator import itemgetter
from datetime import date
from decimal import Decimal
from typing import Iterable, Sequence

from sqlalchemy import Date, func, insert, select
from sqlalchemy.engine import Connection

from ..accounts import Account
from ..consumption import PastUsage
from ..ledger import Posting
from ..money import from_cents, to_cents
from . import schema
from .db import Store, now_iso

A, P, B, BL, R = schema.accounts, schema.postings, schema.bills, schema.bill_lines, schema.reads


def account_from_row(r) -> Account:
    m = r._mapping
    return Account(
        account_no=m["account_no"], premise_id=m["premise_id"], account_class=m["account_class"],
        status=m["status"], customer_name=m["customer_name"], customer_role=m["customer_role"],
        service_address=m["service_address"], mailing_address=m["mailing_address"],
        meter_size=m["meter_size"], service_start=m["service_start"], meter_dials=m["meter_dials"],
        meter_id=m["meter_id"], service_end=m["service_end"], email=m["email"], phone=m["phone"],
        notice_delivery=m["notice_delivery"], owner_name=m["owner_name"],
        landlord_name=m["landlord_name"], landlord_address=m["landlord_address"],
        third_party_name=m["third_party_name"], third_party_address=m["third_party_address"],
        flags=frozenset(f for f in (m["flags"] or "").split(",") if f),
        cash_only=bool(m["cash_only"]), cycle=m["cycle"],
        winter_average_override=Decimal(m["winter_average_override"]) if m["winter_average_override"] else None,
    )


def get_account(conn: Connection, account_no: str) -> Account | None:
    r = conn.execute(select(A).where(A.c.account_no == account_no)).first()
    return account_from_row(r) if r else None


def all_accounts(conn: Connection, *, status: str | None = None) -> list[Account]:
    q = select(A).order_by(A.c.account_no)
    if status:
        q = q.where(A.c.status == status)
    return [account_from_row(r) for r in conn.execute(q)]


def insert_account(conn: Connection, values: dict) -> None:
    v = dict(values)
    if isinstance(v.get("flags"), (set, frozenset, list, tuple)):
        v["flags"] = ",".join(sorted(v["flags"]))
    v.setdefault("created_at", now_iso())
    v.setdefault("premise_id", v["account_no"])
    v.setdefault("mailing_address", v.get("service_address"))
    conn.execute(insert(A).values(**v))


def posting_from_row(r) -> Posting:
    m = r._mapping
    parts = ()
    if m["parts"]:
        parts = tuple((f, from_cents(c)) for f, c in json.loads(m["parts"]).items())
    return Posting(
        id=m["id"], date=m["effective_date"], kind=m["kind"], amount=from_cents(m["amount_cents"]),
        due_date=m["due_date"], bill_id=m["bill_id"], reverses=m["reverses_id"], parts=parts,
        fund=m["fund"], ref=m["ref"] or "",
    )


def postings_for(conn: Connection, account_no: str) -> list[Posting]:
    rows = conn.execute(select(P).where(P.c.account_no == account_no).order_by(P.c.id))
    return [posting_from_row(r) for r in rows]


def postings_by_account(conn: Connection, accounts: Iterable[str] | None = None) -> dict[str, list[Posting]]:
    """Every account's postings (or the given accounts'), in bulk, oldest first.

    On SQLite the rows come straight from the driver's cursor (dates as ISO text, fund parts
    parsed once per distinct text): list jobs and batch posting read whole ledgers this way."""
    out: dict[str, list[Posting]] = {}
    if conn.dialect.name != "sqlite":
        q = select(P).order_by(P.c.account_no, P.c.id)
        if accounts is not None:
            q = q.where(P.c.account_no.in_(list(accounts)))
        for r in conn.execute(q):
            out.setdefault(r._mapping["account_no"], []).append(posting_from_row(r))
        return out
    sql = ("SELECT account_no, id, effective_date, kind, amount_cents, due_date, bill_id, reverses_id, parts, fund, ref "
           "FROM postings{} ORDER BY account_no, id")
    cursor = conn.connection.driver_connection
    if accounts is None:
        batches = [cursor.execute(sql.format("")).fetchall()]
    else:
        numbers = list(dict.fromkeys(accounts))
        batches = [cursor.execute(sql.format(f" WHERE account_no IN ({','.join('?' * len(chunk))})"), chunk).fetchall()
                   for chunk in (numbers[i:i + 900] for i in range(0, len(numbers), 900))]
    fromiso, parsed, money = date.fromisoformat, {}, {}

    def cents(c: int) -> Decimal:
        d = money.get(c)
        if d is None:
            d = money[c] = from_cents(c)
        return d

    for rows in batches:
        for acct, pid, day, kind, amount, due, bill, rev, parts, fund, ref in rows:
            split = ()
            if parts:
                split = parsed.get(parts)
                if split is None:
                    split = parsed[parts] = tuple((f, cents(c)) for f, c in json.loads(parts).items())
            out.setdefault(acct, []).append(Posting(
                id=pid, date=fromiso(day), kind=kind, amount=cents(amount), due_date=fromiso(due) if due else None,
                bill_id=bill, reverses=rev, parts=split, fund=fund, ref=ref or ""))
    return out


def post(conn: Connection, store: Store, *, account_no: str, kind: str, amount: Decimal,
         effective_date: date, due_date: date | None = None, bill_id: int | None = None,
         reverses_id: int | None = None, fund: str | None = None,
         parts: Sequence[tuple[str, Decimal]] | None = None, ref: str | None = None,
         reason_code: str | None = None, memo: str | None = None, batch_id: int | None = None,
         job_id: int | None = None, source_file: str | None = None, source_hash: str | None = None,
         idem_key: str | None = None) -> int:
    """Append one posting (and its audit entry). Returns its id."""
    if parts:
        if sum((a for _, a in parts), Decimal(0)) != amount:
            raise ValueError(f"posting parts {parts} do not add up to {amount}")
    res = conn.execute(insert(P).values(
        account_no=account_no, effective_date=effective_date, posted_at=now_iso(), kind=kind,
        amount_cents=to_cents(amount), due_date=due_date, bill_id=bill_id, reverses_id=reverses_id,
        fund=fund, parts=json.dumps({f: to_cents(a) for f, a in parts}) if parts else None,
        ref=ref, reason_code=reason_code, memo=memo, batch_id=batch_id, job_id=job_id,
        clerk=store.clerk, source_file=str(source_file) if source_file else None,
        source_hash=source_hash, idem_key=idem_key,
    ))
    pid = res.inserted_primary_key[0]
    store.audit(conn, f"post:{kind}", account_no=account_no, entity="posting", entity_id=pid,
                reason=reason_code or memo, source_file=source_file, source_hash=source_hash,
                details={"amount": str(amount), "effective_date": effective_date.isoformat()})
    return pid


def posting_exists(conn: Connection, idem_key: str) -> int | None:
    return conn.execute(select(P.c.id).where(P.c.idem_key == idem_key)).scalar()


def balance_cents(conn: Connection, account_no: str, as_of: date | None = None) -> int:
    q = select(func.coalesce(func.sum(P.c.amount_cents), 0)).where(P.c.account_no == account_no)
    if as_of:
        q = q.where(P.c.effective_date <= as_of)
    return int(conn.execute(q).scalar())


def cancelled_bill_ids(conn: Connection, account_no: str | None = None) -> set[int]:
    """Bills whose bill posting has been reversed."""
    orig = P.alias("orig")
    q = select(orig.c.bill_id).select_from(P.join(orig, P.c.reverses_id == orig.c.id)).where(
        orig.c.kind == "bill")
    if account_no:  # a reversal is posted on its original's account: both sides use the account index
        q = q.where(orig.c.account_no == account_no, P.c.account_no == account_no)
    return {r[0] for r in conn.execute(q) if r[0] is not None}


def live_bills(conn: Connection, account_no: str) -> list[dict]:
    """The account's bills that have not been cancelled, oldest first."""
    cancelled = cancelled_bill_ids(conn, account_no)
    rows = conn.execute(select(B).where(B.c.account_no == account_no).order_by(B.c.period_end, B.c.id))
    return [dict(r._mapping) for r in rows if r._mapping["id"] not in cancelled]


def bill_lines_for(conn: Connection, bill_id: int) -> list[dict]:
    return [dict(r._mapping) for r in conn.execute(select(BL).where(BL.c.bill_id == bill_id).order_by(BL.c.seq))]


def usage_history(conn: Connection, account_no: str) -> list[PastUsage]:
    return [PastUsage(b["period_start"], b["period_end"], Decimal(b["units"]), bool(b["estimated"]))
            for b in live_bills(conn, account_no)]


def last_read(conn: Connection, account_no: str, before: date | None = None) -> dict | None:
    q = select(R).where(R.c.account_no == account_no)
    if before:
        q = q.where(R.c.read_date < before)
    r = conn.execute(q.order_by(R.c.read_date.desc(), R.c.id.desc()).limit(1)).first()
    return dict(r._mapping) if r else None


def add_read(conn: Connection, *, account_no: str, read_date: date, reading: int, read_type: str,
             source: str | None = None, job_id: int | None = None) -> int:
    res = conn.execute(insert(R).values(account_no=account_no, read_date=read_date, reading=int(reading),
                                        read_type=read_type, source=source, job_id=job_id, created_at=now_iso()))
    return res.inserted_primary_key[0]


def start_job(conn: Connection, store: Store, *, kind: str, job_key: str, run_date: date | None = None,
              source_file=None, source_hash=None, summary=None) -> int:
    res = conn.execute(insert(schema.jobs).values(
        kind=kind, job_key=job_key, run_date=run_date, started_at=now_iso(), clerk=store.clerk,
        source_file=str(source_file) if source_file else None, source_hash=source_hash,
        summary=json.dumps(summary, default=str) if summary is not None else None))
    return res.inserted_primary_key[0]


def find_job(conn: Connection, job_key: str) -> dict | None:
    r = conn.execute(select(schema.jobs).where(schema.jobs.c.job_key == job_key)).first()
    return dict(r._mapping) if r else None


def save_bill(conn: Connection, store: Store, bill, *, job_id: int | None = None,
              replaces_bill_id: int | None = None, bill_key: str | None = None,
              source_file: str | None = None, source_hash: str | None = None) -> int | None:
    """Insert a computed bill, its lines and its bill posting. Returns the bill id, or None
    when a bill with the same key is already in the store (a re-run posts nothing new)."""
    key = bill_key or bill.bill_key
    if conn.execute(select(B.c.id).where(B.c.bill_key == key)).scalar() is not None:
        return None
    res = conn.execute(insert(B).values(
        bill_key=key, account_no=bill.account_no, job_id=job_id, kind=bill.kind,
        bill_date=bill.bill_date, due_date=bill.due_date, period_start=bill.period.start,
        period_end=bill.period.end, previous_reading=bill.previous_reading, reading=bill.reading,
        units=str(bill.units), estimated=bill.estimated, rollover=bill.rollover, regular=bill.regular,
        months=str(bill.priced.months), winter_average=str(bill.winter.units_per_month) if bill.winter else None,
        wastewater_units=str(bill.priced.wastewater_units), total_cents=to_cents(bill.total),
        replaces_bill_id=replaces_bill_id, created_at=now_iso(),
    ))
    bill_id = res.inserted_primary_key[0]
    conn.execute(insert(BL), [
        dict(bill_id=bill_id, seq=i, code=l.code, description=l.description, fund=l.fund,
             quantity=str(l.quantity), rate=str(l.rate), amount_cents=to_cents(l.amount), basis=l.basis)
        for i, l in enumerate(bill.lines, start=1)
    ])
    funds = bill.priced.fund_totals()
    post(conn, store, account_no=bill.account_no, kind="bill", amount=bill.total,
         effective_date=bill.bill_date, due_date=bill.due_date, bill_id=bill_id,
         parts=sorted(funds.items()), job_id=job_id, source_file=source_file, source_hash=source_hash,
         idem_key=f"bill:{key}", memo=f"{bill.kind} bill {bill.period}")
    return bill_id


POSTING_COLUMNS = [c.name for c in P.columns if c.name != "id"]


def posting_values(**kw) -> dict:
    """A full postings row for bulk inserts (every column present, unset ones None)."""
    unknown = set(kw) - set(POSTING_COLUMNS)
    if unknown:
        raise KeyError(f"not posting columns: {sorted(unknown)}")
    return {c: kw.get(c) for c in POSTING_COLUMNS}


def iso_dates():
    """A converter of dates to the ISO text SQLAlchemy stores them as on SQLite (None stays
    None), remembering each date it has seen: a batch's rows share a handful of dates."""
    texts: dict = {None: None}

    def text(d):
        t = texts.get(d, 0)
        if t == 0:
            t = texts[d] = d.isoformat()
        return t
    return text


def insert_many(conn, table, rows: list[dict], *, skip_duplicates: bool = False) -> None:
    """INSERT the rows (dicts with the same keys). On SQLite the values go straight to the
    driver, dates as the ISO text SQLAlchemy stores: SQLAlchemy's per-value processing
    costs four times what SQLite's insert does. Other databases go through SQLAlchemy.
    `skip_duplicates` leaves out rows a unique constraint already holds (ON CONFLICT DO
    NOTHING, which SQLite and PostgreSQL both understand)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        stmt = table.insert()
        if skip_duplicates:
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(table).on_conflict_do_nothing()
        conn.execute(stmt, rows)
        return
    cols = list(rows[0])
    dates = [i for i, c in enumerate(cols) if isinstance(table.c[c].type, Date)]
    get = itemgetter(*cols)
    if dates:
        text = iso_dates()

        def values(r):
            v = list(get(r))
            for i in dates:
                v[i] = text(v[i])
            return tuple(v)
        params = list(map(values, rows))
    else:
        params = list(map(get, rows))
    tail = " ON CONFLICT DO NOTHING" if skip_duplicates else ""
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}){tail}",
                         params)
