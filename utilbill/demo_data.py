"""A realistic sample utility, generated: accounts, 24 months of reads, bills and payments.

The demo and the benchmarks need a utility that looks like a real one: residential accounts
billed bimonthly and commercial monthly, meter sizes, owners and tenants with landlords,
special-handling flags, deposits, seasonal use, most customers paying on time, some late,
some partial, a few not at all, late charges assessed by the engine's own rule. Every bill
is priced by the engine (utilbill.bill_run.compute), so the history agrees with the rates.

Only the bills of the last `lines_months` months keep their charge lines (for inquiry and
reprints); older bills keep their totals, fund split and units, as a CIS history extract
would, which keeps a 100,000-account store to a sensible size.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Callable

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, select

from .accounts import Account
from .bill_run import BillRequest, bill_line_rows, bill_posting_row, bill_row, compute, read_row
from .consumption import PastUsage
from .due_dates import late_charge
from .home import Utility
from .money import to_cents
from .store import schema
from .store.db import now_iso
from .store.repo import POSTING_COLUMNS, insert_many

FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
         "Joseph Jessica Thomas Sarah Charles Karen Daniel Lisa Matthew Nancy Anthony Betty Mark Sandra Donald "
         "Ashley Steven Emily Paul Donna Andrew Michelle Joshua Carol Kevin Amanda Brian Melissa George Deborah "
         "Ana Luis Mai Nguyen Omar Fatima Hannah Lars Ingrid").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
        "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
        "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
        "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Schmidt Novak Olsen Hansen").split()
STREETS = ("O St", "P St", "Q St", "R St", "A St", "South St", "Van Dorn St", "Holdrege St", "Vine St",
           "Cornhusker Hwy", "48th St", "27th St", "Sheridan Blvd", "Normal Blvd", "Capitol Pkwy", "Pioneers Blvd",
           "Old Cheney Rd", "Superior St", "Havelock Ave", "Randolph St", "Sumner St", "Garfield St")
BUSINESSES = ("Diner", "Laundromat", "Car Wash", "Dental Clinic", "Hardware", "Bakery", "Apartments LLC",
              "Motel", "Grocery", "Brewing Co", "Fitness Center", "Day Care")
LANDLORDS = [f"{l} Property Management" for l in LAST[:25]] + [f"{f} {l}" for f, l in zip(FIRST[:25], LAST[25:50])]
CITY = "Sample City, NE"


@dataclass
class GenAccount:
    account: Account
    monthly_units: float
    payer: str  # prompt | late | partial | delinquent | autopay
    read_day: int
    parity: int  # residential: read in months where month % 2 == parity
    reading: int = 0
    last_read: date | None = None
    history: list[PastUsage] = field(default_factory=list)
    open_bills: list[list] = field(default_factory=list)  # [bill_id, due, unpaid_cents, late_done]
    credit_cents: int = 0


def make_accounts(n: int, rng: random.Random, start: date) -> list[GenAccount]:
    out = []
    for i in range(n):
        no = f"{10 + i // 10000:02d}-{i % 10000:04d}-{rng.randint(0, 9)}"
        commercial = rng.random() < 0.12
        num = rng.randint(100, 9999)
        street = rng.choice(STREETS)
        svc = f"{num} {street}, {CITY} 685{rng.randint(0, 2)}{rng.randint(0, 9)}"
        if commercial:
            size = rng.choices(["1", "1-1/2", "2", "3", "4", "6"], [30, 25, 25, 10, 7, 3])[0]
            name = f"{rng.choice(LAST)} {rng.choice(BUSINESSES)}"
            units = rng.lognormvariate(3.4, 0.8) * {"1": 0.6, "1-1/2": 1, "2": 1.5, "3": 3, "4": 5, "6": 9}[size]
        else:
            size = rng.choices(["5/8", "3/4", "1"], [70, 25, 5])[0]
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            units = rng.lognormvariate(1.75, 0.45)
        tenant = not commercial and rng.random() < 0.3
        landlord = rng.choice(LANDLORDS) if tenant else None
        flags = set()
        r = rng.random()
        if r < 0.004:
            flags.add("bankruptcy")
        elif r < 0.01:
            flags.add("estate")
        elif r < 0.02:
            flags.add("returned_mail")
        elif r < 0.03:
            flags.add("hold_mail")
        if rng.random() < 0.01:
            flags.add("third_party")
        if tenant and rng.random() < 0.2:
            flags.add("landlord_copy")
        if commercial and size in ("4", "6"):
            flags.add("large_commercial")
        mailing = svc if rng.random() < 0.9 else f"PO Box {rng.randint(100, 9999)}, {CITY} 6850{rng.randint(1, 9)}"
        acct = Account(
            account_no=no, premise_id=f"P{i:06d}", account_class="commercial" if commercial else "residential",
            status="active", customer_name=name, customer_role="tenant" if tenant else "owner",
            service_address=svc, mailing_address=mailing, meter_size=size,
            service_start=start - timedelta(days=rng.randint(0, 3000)),
            meter_dials=None if rng.random() < 0.08 else rng.choice([4, 5, 6]), meter_id=f"M{i:07d}",
            email=f"customer{i}@mail.example" if rng.random() < 0.4 else None,
            phone=f"(402) 555-{rng.randint(0, 9999):04d}",
            notice_delivery="email" if rng.random() < 0.1 else "mail",
            owner_name=landlord if tenant else None, landlord_name=landlord,
            landlord_address=f"{rng.randint(100, 9999)} {rng.choice(STREETS)}, {CITY} 68508" if tenant else None,
            third_party_name=f"{rng.choice(FIRST)} {rng.choice(LAST)} (designee)" if "third_party" in flags else None,
            third_party_address=f"{rng.randint(100, 9999)} {rng.choice(STREETS)}, {CITY} 68510" if "third_party" in flags else None,
            flags=frozenset(flags), cycle=None,
        )
        payer = rng.choices(["prompt", "autopay", "late", "partial", "delinquent"], [62, 20, 10, 5, 3])[0]
        read_day = rng.randint(1, 28)
        g = GenAccount(acct, units, payer, read_day, rng.randint(0, 1))
        object.__setattr__(g.account, "cycle", f"{read_day:02d}")
        g.reading = rng.randint(0, 10 ** (acct.meter_dials or 5) // 2)
        out.append(g)
    return out


def is_read_day(g: GenAccount, d: date) -> bool:
    if d.day != g.read_day:
        return False
    return g.account.account_class == "commercial" or d.month % 2 == g.parity


def season(d: date) -> float:
    return {6: 1.5, 7: 1.8, 8: 1.7, 9: 1.3, 5: 1.2}.get(d.month, 1.0)


def generate(u: Utility, *, accounts: int = 2000, seed: int = 2026, day: date, months: int = 24,
             lines_months: int = 6, progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Fill an empty store with a sample utility whose history ends the day before `day`.

    Returns counts. Reads for `day` itself are not generated: they are the day's work.
    Everything is posted in one transaction: a generation either completes or leaves nothing.
    """
    sim = _Simulation(u, random.Random(seed), day, months, lines_months, progress)
    sim.accounts = make_accounts(accounts, sim.rng, sim.start)
    with u.store.write() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # the indexes of a store this size outgrow SQLite's default 2 MB page cache
            conn.exec_driver_sql("PRAGMA cache_size = -262144")
        sim.run(conn)
        if sqlite:
            conn.exec_driver_sql("PRAGMA cache_size = -2000")
    sim.counts["accounts"] = len(sim.accounts)
    return dict(sim.counts)


class _Simulation:
    """The running state of the generated history: readings, usage, open bills, credits."""

    def __init__(self, u: Utility, rng: random.Random, day: date, months: int, lines_months: int, progress):
        self.u, self.rng, self.day = u, rng, day
        self.start = day - relativedelta(months=months)
        self.lines_from = day - relativedelta(months=lines_months)
        self.say = progress or (lambda *_: None)
        self.now = now_iso()
        self.accounts: list[GenAccount] = []
        self.counts: dict[str, int] = defaultdict(int)
        self.late_checks: dict[date, list] = defaultdict(list)
        self.fees: dict[int, int] = {}
        self.payments: dict[date, list] = defaultdict(list)

    def run(self, conn) -> None:
        rng, store = self.rng, self.u.store
        for g in self.accounts:  # initial reads, up to one cycle before the history starts
            d = self.start - timedelta(days=rng.randint(0, 59))
            while not is_read_day(g, d):
                d -= timedelta(days=1)
            g.last_read = d
            g.account = _with(g.account, service_start=min(g.account.service_start, d))
        conn.execute(schema.accounts.insert(), [_account_row(g.account, self.now) for g in self.accounts])
        conn.execute(schema.reads.insert(), [dict(account_no=g.account.account_no, read_date=g.last_read,
                                                  reading=g.reading, read_type="initial", source="sample history",
                                                  created_at=self.now) for g in self.accounts])
        deposits = [dict(account_no=g.account.account_no, received_date=g.account.service_start,
                         amount_cents=rng.choice([5000, 7500, 10000]), kind="held", clerk=store.clerk,
                         memo="deposit at service start")
                    for g in self.accounts if g.account.customer_role == "tenant" or rng.random() < 0.05]
        if deposits:
            conn.execute(schema.deposits.insert(), deposits)
        self.rows = _BulkRows(conn, store, "sample history")
        by_read_day: dict[int, list[GenAccount]] = defaultdict(list)
        for g in self.accounts:
            by_read_day[g.read_day].append(g)
        total_days = (self.day - self.start).days
        d = self.start
        while d < self.day:
            self.settle_day(conn, d)  # payments and late charges before the day's bills
            todays = [g for g in by_read_day.get(d.day, ()) if is_read_day(g, d)]
            if todays:
                self.bill_day(conn, d, todays)
            self.say("history", (d - self.start).days, total_days)
            d += timedelta(days=1)
        self.rows.flush()

    def bill_day(self, conn, d: date, todays: list[GenAccount]) -> None:
        rng = self.rng
        requests, by_no = [], {}
        for g in todays:
            days = (d - g.last_read).days
            units = max(0, int(round(g.monthly_units * season(d) * days / 30 * rng.uniform(0.7, 1.3))))
            if rng.random() < 0.01:
                units = 0
            reading = g.reading + units
            if g.account.meter_dials:
                reading %= 10 ** g.account.meter_dials
            estimate = rng.random() < 0.02 and bool(g.history)
            requests.append(BillRequest(0, g.account, g.last_read, g.reading, d, None if estimate else reading,
                                        tuple(g.history[-12:]), "regular" if g.history else "first"))
            by_no[g.account.account_no] = g
        bills, problems = compute(requests, self.u.policy, self.u.rates, d, engine="vector")
        self.counts["exceptions"] += len(problems)  # an implausible read: read again next cycle
        posted = self.rows.add_bills(bills, lines=d >= self.lines_from)
        for b, (bid, cents) in zip(bills, posted):
            g = by_no[b.account_no]
            g.reading, g.last_read = b.reading, d
            g.history.append(PastUsage(b.period.start, b.period.end, b.units, b.estimated))
            self.counts["bills"] += 1
            self.plan_payment(g, b, bid, cents)

    def plan_payment(self, g: GenAccount, b, bid: int, cents: int) -> None:
        """How this customer will pay this bill (their habit decides when and how much)."""
        rng = self.rng
        g.open_bills.append([bid, b.due_date, cents, False])
        if g.credit_cents:
            credit, g.credit_cents = g.credit_cents, 0
            _apply(g, credit)
        self.late_checks[b.due_date + timedelta(days=1)].append((g, bid))
        kind = g.payer
        if kind == "prompt":
            when, how = b.bill_date + timedelta(days=rng.randint(4, 19)), "all"
        elif kind == "autopay":
            when, how = b.due_date, "all"
        elif kind == "late":
            when, how = b.due_date + timedelta(days=rng.randint(2, 45)), "all"
        elif kind == "partial":
            when, how = b.due_date + timedelta(days=rng.randint(-5, 25)), "half"
        else:
            if rng.random() > 0.25:
                return
            when, how = b.due_date + timedelta(days=rng.randint(10, 60)), "round"
        if when < self.day:
            self.payments[when].append((g, how))


    def settle_day(self, conn, d: date) -> None:
        """Late charges on bills whose due date was yesterday (unpaid at the end of the due date,
        by the engine's rule), then the day's payments (oldest first, the rule the ledger uses)."""
        rng, store = self.rng, self.u.store
        rows = []
        for g, bid in self.late_checks.pop(d, []):
            for entry in g.open_bills:
                if entry[0] == bid and entry[2] > 0 and not entry[3]:
                    cents = self.late_fee_cents(entry[2])
                    if cents > 0:
                        entry[3] = True
                        rows.append(_posting(account_no=g.account.account_no, effective_date=d, posted_at=self.now,
                                         kind="late_charge", amount_cents=cents, due_date=d, bill_id=bid,
                                         fund="fees", memo="late charge: 1.5% of the bill unpaid after its due date",
                                         clerk=store.clerk, source_file="sample history", idem_key=f"late:{bid}"))
                        g.open_bills.insert(g.open_bills.index(entry), [None, entry[1], cents, True])
                        self.counts["late_charges"] += 1
        for g, how in self.payments.pop(d, []):
            open_cents = sum(x[2] for x in g.open_bills) - g.credit_cents
            if open_cents <= 0:
                continue
            amount = {"all": open_cents, "half": max(100, open_cents // 2),
                      "round": max(1000, (open_cents // 3) // 1000 * 1000)}[how]
            tender, source, _ = rng.choices(TENDERS, cum_weights=TENDER_CUM_WEIGHTS)[0]
            if g.payer == "autopay":
                tender, source = "ach", "telepay"
            ref = f"{rng.randint(1000, 99999)}" if tender == "check" else f"{tender.upper()}-{rng.randint(10**5, 10**6)}"
            rows.append(_posting(account_no=g.account.account_no, effective_date=d, posted_at=self.now, kind="payment",
                             amount_cents=-amount, ref=ref, memo=f"{source} {tender}", clerk=store.clerk,
                             source_file="sample history", idem_key=None))
            _apply(g, amount)
            self.counts["payments"] += 1
        self.rows.add("postings", rows)

    def late_fee_cents(self, unpaid_cents: int) -> int:
        """The engine's late charge (due_dates.late_charge) on an unpaid amount, in cents."""
        fee = self.fees.get(unpaid_cents)
        if fee is None:
            fee = self.fees[unpaid_cents] = to_cents(late_charge(Decimal(unpaid_cents) / 100,
                                                                  self.u.policy.billing))
        return fee


class _BulkRows:
    """The generated reads, bills, lines and postings, inserted a hundred thousand rows at a
    time instead of four small inserts a day. Bill ids are assigned here, in the order the
    store would assign them, so the late charges and payments that refer to a bill can be
    made before its row is written; each row is the one bill_run.post_bills writes."""

    TABLES = ("reads", "bills", "bill_lines", "postings")  # bills before the rows that refer to them

    def __init__(self, conn, store, source: str, batch_rows: int = 100_000):
        self.conn, self.store, self.source, self.batch_rows = conn, store, source, batch_rows
        self.pending: dict[str, list[dict]] = {t: [] for t in self.TABLES}
        self.size = 0
        self.next_bill_id = (conn.execute(select(func.max(schema.bills.c.id))).scalar() or 0) + 1
        self.now = now_iso()

    def add(self, table: str, rows: list[dict]) -> None:
        self.pending[table].extend(rows)
        self.size += len(rows)
        if self.size >= self.batch_rows:
            self.flush()

    def add_bills(self, bills, *, lines: bool) -> list[tuple[int, int]]:
        """The rows of post_bills(..., check_existing=False) for these bills; returns each
        bill's (id, total in cents)."""
        src, now, clerk = self.source, self.now, self.store.clerk
        reads, rows, line_rows, postings = [], [], [], []
        out = []
        memo: dict = {}
        for b in bills:
            bid = self.next_bill_id
            self.next_bill_id += 1
            reads.append(read_row(b, source_file=src, job_id=None, now=now))
            row = bill_row(b, job_id=None, now=now, memo=memo)
            row["id"] = bid
            rows.append(row)
            if lines:
                line_rows.extend(bill_line_rows(b, bid, memo))
            postings.append(bill_posting_row(b, bid, job_id=None, clerk=clerk, source_file=src, source_hash=None,
                                             now=now, memo=memo))
            out.append((bid, row["total_cents"]))
        self.pending["reads"].extend(reads)
        self.pending["bills"].extend(rows)
        self.pending["bill_lines"].extend(line_rows)
        self.add("postings", postings)
        return out

    def flush(self) -> None:
        for name in self.TABLES:
            if self.pending[name]:
                insert_many(self.conn, getattr(schema, name), self.pending[name])
                self.pending[name] = []
        self.size = 0
        if self.conn.dialect.name == "postgresql":  # ids were given explicitly: move the sequence on
            self.conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('bills', 'id'), "
                                      "(SELECT COALESCE(MAX(id), 1) FROM bills))")


def _with(a: Account, **kw) -> Account:
    from dataclasses import replace

    return replace(a, **kw)


def _account_row(a: Account, now: str) -> dict:
    return dict(account_no=a.account_no, premise_id=a.premise_id, account_class=a.account_class, status=a.status,
                customer_name=a.customer_name, customer_role=a.customer_role, service_address=a.service_address,
                mailing_address=a.mailing_address, email=a.email, phone=a.phone, notice_delivery=a.notice_delivery,
                owner_name=a.owner_name, landlord_name=a.landlord_name, landlord_address=a.landlord_address,
                third_party_name=a.third_party_name, third_party_address=a.third_party_address,
                meter_id=a.meter_id, meter_size=a.meter_size, meter_dials=a.meter_dials,
                flags=",".join(sorted(a.flags)), cash_only=False, service_start=a.service_start, cycle=a.cycle,
                created_at=now)


TENDERS = (("check", "mail", 40), ("ach", "telepay", 25), ("check", "walk-in", 8), ("cash", "walk-in", 10),
           ("card", "online", 10), ("check", "bank", 7))
TENDER_CUM_WEIGHTS = list(accumulate(t[2] for t in TENDERS))  # what rng.choices makes of the weights
_BLANK_POSTING = dict.fromkeys(POSTING_COLUMNS)


def _posting(**values) -> dict:
    """A full postings row (repo.posting_values without its key check: the keys are ours)."""
    return {**_BLANK_POSTING, **values}


def _apply(g: GenAccount, amount: int) -> None:
    for entry in g.open_bills:
        if amount <= 0:
            break
        take = min(amount, entry[2])
        entry[2] -= take
        amount -= take
    g.open_bills = [e for e in g.open_bills if e[2] > 0]
    g.credit_cents += amount
