"""Builders for the special-billing tests: a utility folder with accounts, reads, bills,
payments and deposits made through the store's own repository functions (no test here)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert

from utilbill.billing import bill_from_read
from utilbill.home import init_folder
from utilbill.money import to_cents
from utilbill.store import repo, schema


def make_utility(tmp_path):
    return init_folder(tmp_path / "utility")


def add_account(u, account_no="10-1001", *, account_class="residential", meter_size="5/8", dials=None,
                start=date(2025, 1, 2), initial=1000, flags=(), **kw):
    values = dict(account_no=account_no, premise_id=kw.pop("premise_id", "P" + account_no),
                  account_class=account_class, status="active", customer_name=kw.pop("customer_name", "Pat Doe"),
                  customer_role=kw.pop("customer_role", "owner"),
                  service_address=kw.pop("service_address", "100 Elm St, Sample City, NE 68508"),
                  meter_size=meter_size, meter_dials=dials, service_start=start, flags=set(flags), **kw)
    with u.store.write() as conn:
        repo.insert_account(conn, values)
        repo.add_read(conn, account_no=account_no, read_date=start, reading=initial, read_type="initial")


def bill_reads(u, account_no, reads, *, bill_lag=0, job_id=None):
    """Bill each (read_date, reading) in turn (bill date = read date + bill_lag); returns bill ids."""
    ids = []
    with u.store.write() as conn:
        acct = repo.get_account(conn, account_no)
        for read_date, reading in reads:
            prev = repo.last_read(conn, account_no, before=read_date)
            history = repo.usage_history(conn, account_no)
            b = bill_from_read(acct, previous_read_date=prev["read_date"], previous_reading=prev["reading"],
                               read_date=read_date, reading=reading, history=history, policy=u.policy,
                               rates=u.rates, bill_date=read_date + timedelta(days=bill_lag),
                               estimate=reading is None)
            assert not hasattr(b, "reason"), b
            repo.add_read(conn, account_no=account_no, read_date=read_date, reading=b.reading,
                          read_type="estimated" if b.estimated else "actual", job_id=job_id)
            ids.append(repo.save_bill(conn, u.store, b, job_id=job_id))
    return ids


def pay(u, account_no, day, amount, ref="chk"):
    with u.store.write() as conn:
        return repo.post(conn, u.store, account_no=account_no, kind="payment", amount=-Decimal(amount),
                         effective_date=day, ref=ref)


def hold_deposit(u, account_no, day, amount):
    with u.store.write() as conn:
        conn.execute(insert(schema.deposits).values(account_no=account_no, received_date=day,
                                                     amount_cents=to_cents(Decimal(amount)), kind="held",
                                                     clerk="test", memo="deposit"))


def bimonthly_reads(start: date, first_reading: int, units: list[int], days: int = 61):
    """Reads every `days` days from `start`, using `units` in turn."""
    out, d, r = [], start, first_reading
    for n in units:
        d = d + timedelta(days=days)
        r += n
        out.append((d, r))
    return out
