"""Writing a checked, balanced payment batch to the store: one transaction, bulk inserts.

Implements the posting half of domain §8 for `payments.post_payment_batch`: the job key
(the file's SHA-256) makes a second posting of the same file a no-op; the store's backup,
when one is due, is a snapshot taken first and copied alongside; inside one `store.write()`
transaction the items are classified against the store (unknown account -> suspense,
duplicate or cash-only check -> held), every account payment is distributed to funds by
the ledger's rule (`fund_distribution.distribute_on_rows`, integer
cents) from a bulk read of the part of each affected account's ledger a new payment can touch
(`store.payment_ledgers`: the settled past folded into one opening credit), and the batch,
its postings, items, fund allocations, suspense entries, holds, permit receipts and audit
entries go to the driver in bulk (`repo.insert_many`, no per-row queries). Nothing is written
unless the batch balances.
"""

from __future__ import annotations

import json

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from .fund_distribution import NewPayment, distribute_on_rows
from .money import to_cents
from .store import repo, schema
from .store.db import now_iso
from .store.payment_ledgers import ledger_rows

CHUNK = 500  # accounts per IN (...) query: well under SQLite's bound-parameter limit
S = schema


def post_checked_batch(u, result):
    """Post `result` (a `payments.BatchResult` from `read_batch`) if it has no errors and balances."""
    from .payments import balance_findings

    if result.errors:
        result.findings.extend(balance_findings(result))
        return result
    store = u.store
    job_key = f"payments:{result.file_hash}"
    with store.read() as conn:
        if _already(conn, result, job_key):
            return result
    result.findings.extend(balance_findings(result))
    if not result.balanced:
        return result
    if not result.items:
        from .findings import Finding

        result.findings.append(Finding("the batch has no payments (control count 0); nothing was posted",
                                       file=result.file.name))
        return result
    # the backup (when one is due) is copied while the batch is classified and posted: once
    # its snapshot is fixed this batch's commit cannot reach it
    backup = u.backup_in_background(f"payments-{result.source}", bulk=False)
    backup.wait_for_snapshot()
    try:
        _post(store, result, job_key)
    except BaseException:
        try:
            backup.wait()
        except Exception:
            pass  # the batch's own error is the one to report
        raise
    try:
        result.backup = backup.wait()
    except Exception as e:
        if not result.posted:
            raise
        from .findings import Finding

        result.findings.append(Finding(f"the batch is posted, but the backup made before it could not be written "
                                       f"({e}); run `utilbill backup` now", file=result.file.name, severity="warning"))
    return result


def _post(store, result, job_key: str) -> None:
    from .payments import classify

    with store.write(bulk=True) as conn:  # the log's checkpoint runs on after the commit
        if _already(conn, result, job_key):
            return
        numbers = {i.account_no for i in result.items if i.line_type == "payment" and i.account_no}
        classify(result, _accounts(conn, numbers), _stored_keys(conn, [i for i in result.items if i.line_type == "payment"]))
        payers = [i for i in result.items if i.disposition == "posted"]
        ledgers = ledger_rows(conn, {i.account_no for i in payers},
                              paid_from=min((i.pay_date for i in payers), default=result.batch_date))
        dists = distribute_on_rows(ledgers, [
            NewPayment(key=i.row, account_no=i.account_no, amount=i.amount, pay_date=i.pay_date,
                       ref=i.check_no or "") for i in payers])
        for i in payers:
            i.funds = dists[i.row]
        _write(conn, store, result, job_key)
    result.posted = True


def _already(conn: Connection, result, job_key: str) -> bool:
    job = repo.find_job(conn, job_key)
    if job is None:
        return False
    batch = conn.execute(select(S.payment_batches).where(S.payment_batches.c.file_hash == result.file_hash)).first()
    result.already_posted = True
    if batch is not None:
        result.batch_id = batch.id
    from .findings import Finding
    result.findings.append(Finding(
        f"this file was already posted on {job['started_at'][:10]} by {job['clerk']} "
        f"(batch {result.batch_id}); nothing new was posted", file=result.file.name, severity="warning"))
    return True


def _chunks(values):
    values = sorted(values)
    for k in range(0, len(values), CHUNK):
        yield values[k:k + CHUNK]


def _driver(conn: Connection):
    """SQLite's own connection (its cursor skips SQLAlchemy's per-value processing), else None."""
    return conn.connection.driver_connection if conn.dialect.name == "sqlite" else None


def _accounts(conn: Connection, numbers: set[str]) -> dict[str, bool]:
    """Known account numbers -> cash-only flag."""
    out: dict[str, bool] = {}
    sqlite = _driver(conn)
    for chunk in _chunks(numbers):
        if sqlite is not None:
            rows = sqlite.execute("SELECT account_no, cash_only FROM accounts WHERE account_no IN "
                                  f"({','.join('?' * len(chunk))})", chunk)
        else:
            rows = conn.execute(select(S.accounts.c.account_no, S.accounts.c.cash_only)
                                .where(S.accounts.c.account_no.in_(chunk)))
        for account_no, cash_only in rows:
            out[account_no] = bool(cash_only)
    return out


def _stored_keys(conn: Connection, items) -> dict[tuple, int]:
    """Duplicate keys of the stored items with the same account and date as an item -> item id."""
    PI = S.payment_items
    dates = sorted({i.pay_date for i in items})
    by_text = {d.isoformat(): d for d in dates}
    out: dict[tuple, int] = {}
    sqlite = _driver(conn)
    for chunk in _chunks({i.account_no for i in items if i.account_no}):
        if sqlite is not None:
            rows = sqlite.execute(
                "SELECT id, account_no, amount_cents, check_no, pay_date FROM payment_items WHERE account_no IN "
                f"({','.join('?' * len(chunk))}) AND pay_date IN ({','.join('?' * len(by_text))}) "
                "AND line_type = 'payment'", [*chunk, *by_text])
            rows = [(i, a, c, n, by_text[d]) for i, a, c, n, d in rows]
        else:
            rows = conn.execute(select(PI.c.id, PI.c.account_no, PI.c.amount_cents, PI.c.check_no, PI.c.pay_date)
                                .where(PI.c.account_no.in_(chunk)).where(PI.c.pay_date.in_(dates))
                                .where(PI.c.line_type == "payment"))
        for item_id, account_no, cents, check_no, pay_date in rows:
            out.setdefault((account_no or "", int(cents), (check_no or "").strip(), pay_date), item_id)
    return out


def _write(conn: Connection, store, result, job_key: str) -> None:
    now, clerk = now_iso(), store.clerk
    src, h = str(result.file), result.file_hash
    job_id = repo.start_job(conn, store, kind="payments", job_key=job_key, run_date=result.batch_date,
                            source_file=src, source_hash=h,
                            summary={"source": result.source, "items": result.item_count,
                                     "total": str(result.item_total)})
    batch_id = conn.execute(insert(S.payment_batches).values(
        job_id=job_id, batch_date=result.batch_date, source=result.source, drawer=result.drawer,
        control_count=result.control_count, control_total_cents=to_cents(result.control_total),
        item_count=result.item_count, total_cents=to_cents(result.item_total), source_file=src, file_hash=h,
        status="posted", posted_at=now, clerk=clerk)).inserted_primary_key[0]
    result.batch_id = batch_id
    posted = [i for i in result.items if i.disposition == "posted"]
    sqlite = _driver(conn)
    day = repo.iso_dates() if sqlite is not None else (lambda d: d)  # ISO text as SQLAlchemy stores it
    if sqlite is not None:  # under the write lock every posting after the last one is this batch's
        last_id = sqlite.execute("SELECT COALESCE(MAX(id), 0) FROM postings").fetchone()[0]
    _insert(conn, S.postings, POSTING_COLUMNS, [(
        i.account_no, day(i.pay_date), now, "payment", -to_cents(i.amount), None, None, None, None, None, i.check_no,
        None, f"{result.source} batch {batch_id} row {i.row}", batch_id, job_id, clerk, src, h, f"pay:{h}:{i.row}")
        for i in posted])
    if sqlite is not None:
        posting_ids = {key: pid for pid, key in sqlite.execute(
            "SELECT id, idem_key FROM postings WHERE id > ?", (last_id,))}
    else:
        posting_ids = _posting_ids(conn, [f"pay:{h}:{i.row}" for i in posted])
    if not result.items:  # an empty batch still fails here as before (no rows: SQLAlchemy inserts DEFAULT VALUES)
        conn.execute(insert(S.payment_items), [])
    _insert(conn, S.payment_items, ITEM_COLUMNS, [(
        batch_id, i.row, i.line_type, i.account_no, i.payer, to_cents(i.amount), i.tender, i.check_no,
        day(i.pay_date), i.disposition, posting_ids.get(f"pay:{h}:{i.row}"), i.reason) for i in result.items])
    item_ids = {r.row: r.id for r in conn.execute(
        select(S.payment_items.c.id, S.payment_items.c.row).where(S.payment_items.c.batch_id == batch_id))}
    _insert(conn, S.payment_allocations, ("item_id", "posting_id", "fund", "amount_cents"), [(
        item_ids[i.row], posting_ids.get(f"pay:{h}:{i.row}"), f, to_cents(a))
        for i in result.items for f, a in i.funds.items()])
    _side_tables(conn, result, item_ids)
    _insert(conn, S.audit_log, AUDIT_COLUMNS, [(
        now, clerk, "post:payment", i.account_no, "posting", posting_ids[f"pay:{h}:{i.row}"], None, False, src, h,
        json.dumps({"amount": str(i.amount), "effective_date": i.pay_date.isoformat(), "row": i.row,
                    "funds": {f: str(a) for f, a in i.funds.items()}})) for i in posted])
    store.audit(conn, "post:payment-batch", entity="payment_batch", entity_id=batch_id, source_file=src,
                source_hash=h, details={"source": result.source, "items": result.item_count,
                                        "total": str(result.item_total), "drawer": result.drawer,
                                        "dispositions": _counts(result)})


POSTING_COLUMNS = ("account_no", "effective_date", "posted_at", "kind", "amount_cents", "due_date", "bill_id",
                   "reverses_id", "fund", "parts", "ref", "reason_code", "memo", "batch_id", "job_id", "clerk",
                   "source_file", "source_hash", "idem_key")
ITEM_COLUMNS = ("batch_id", "row", "line_type", "account_no", "payer", "amount_cents", "tender", "check_no",
                "pay_date", "disposition", "posting_id", "reason")
AUDIT_COLUMNS = ("at", "clerk", "action", "account_no", "entity", "entity_id", "reason", "override", "source_file",
                 "source_hash", "details")


def _insert(conn: Connection, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT rows given as tuples in `columns` order: straight to SQLite's driver (no dict a
    row), other databases through repo.insert_many."""
    if not rows:
        return
    sqlite = _driver(conn)
    if sqlite is None:
        repo.insert_many(conn, table, [dict(zip(columns, r)) for r in rows])
        return
    sqlite.executemany(f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                       rows)


def _posting_ids(conn: Connection, keys: list[str]) -> dict[str, int]:
    """Posting ids by idempotency key (its unique index)."""
    out: dict[str, int] = {}
    for chunk in _chunks(keys):
        out.update((r.idem_key, r.id) for r in conn.execute(
            select(S.postings.c.idem_key, S.postings.c.id).where(S.postings.c.idem_key.in_(chunk))))
    return out


def _side_tables(conn: Connection, result, item_ids: dict[int, int]) -> None:
    suspense = [i for i in result.items if i.disposition == "suspense"]
    if suspense:
        conn.execute(insert(S.payment_suspense), [dict(
            item_id=item_ids[i.row], account_no=i.account_no, amount_cents=to_cents(i.amount), status="open")
            for i in suspense])
    held = [i for i in result.items if i.disposition == "held"]
    if held:
        conn.execute(insert(S.payment_holds), [dict(
            item_id=item_ids[i.row], account_no=i.account_no, reason=i.hold_reason, detail=i.reason,
            duplicate_of_item_id=i.duplicate_of_item_id or (item_ids[i.duplicate_of_row] if i.duplicate_of_row else None),
            status="held") for i in held])
    permits = [i for i in result.items if i.disposition == "permit"]
    if permits:
        conn.execute(insert(S.permit_receipts), [dict(
            item_id=item_ids[i.row], permit_no=i.permit_no, payer=i.payer, receipt_date=i.pay_date,
            amount_cents=to_cents(i.amount)) for i in permits])


def _counts(result) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in result.items:
        out[i.disposition] = out.get(i.disposition, 0) + 1
    return out

