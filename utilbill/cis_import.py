"""Importing a CIS extract: accounts, meter read history and ledger history.

`import_file(u, kind, path)` reads the file with the layout of `layouts.py`, checks every
row (types, unknown accounts, duplicates in the file and against the store), and either
posts everything in one transaction or nothing: a file with any error is rejected whole,
with every problem reported (file, sheet, row, column, reason), unless the clerk asks to
take the good rows (`take_good_rows=True`). The same file twice imports nothing new: the
job is keyed by the file's hash, and each ledger row by file hash and row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from .accounts import FLAGS
from .findings import Finding, FindingsError, errors, in_file_terms
from .home import Utility
from .layouts import ACCOUNTS_IMPORT, POSTINGS_IMPORT, READS_IMPORT
from .money import to_cents
from .rates import normalize_meter_size
from .store import schema
from .store.db import now_iso
from .store.repo import find_job, start_job

LAYOUTS = {"accounts": ACCOUNTS_IMPORT, "reads": READS_IMPORT, "postings": POSTINGS_IMPORT}


@dataclass
class ImportResult:
    kind: str
    path: Path
    imported: int = 0
    skipped: int = 0  # already in the store, identical
    findings: list[Finding] = field(default_factory=list)
    job_id: int | None = None
    already_imported_job: int | None = None


def import_file(u: Utility, kind: str, path: str | Path, *, take_good_rows: bool = False) -> ImportResult:
    from .xlio import read_table

    if kind not in LAYOUTS:
        raise ValueError(f"unknown import kind {kind!r}; use one of {sorted(LAYOUTS)}")
    path = Path(path)
    layout = LAYOUTS[kind]
    rr = read_table(path, layout)
    res = ImportResult(kind, path, findings=list(rr.findings))
    if any(f.row in (None, rr.header_row) and f.severity == "error" for f in rr.findings):
        raise FindingsError(res.findings, summary=f"{path.name} cannot be imported; nothing was posted")
    store = u.store
    job_key = f"import-{kind}:{rr.file_hash}"
    with store.read() as conn:
        prev = find_job(conn, job_key)
        if prev:
            res.already_imported_job = prev["id"]
            return res
        bad_rows = {f.row for f in errors(rr.findings)}
        rows = [r for r in rr.rows if r["_row"] not in bad_rows]
        checker = {"accounts": _check_accounts, "reads": _check_reads, "postings": _check_postings}[kind]
        good, skipped, problems = checker(conn, rows, path.name, layout.sheet)
    res.findings = in_file_terms(res.findings + problems, rr.headers, rr.sheet)
    res.skipped = skipped
    if errors(res.findings) and not take_good_rows:
        raise FindingsError(res.findings, summary=(
            f"{path.name}: {len(errors(res.findings))} problem(s); nothing was imported "
            f"(fix the file, or use --take-good-rows to import the {len(good)} good rows)"))
    u.backup_before(f"import-{kind}", bulk=True)
    with store.write(bulk=True) as conn:
        job_id = start_job(conn, store, kind=f"import-{kind}", job_key=job_key, source_file=str(path),
                           source_hash=rr.file_hash, summary={"rows": len(good), "problems": len(res.findings)})
        writer = {"accounts": _write_accounts, "reads": _write_reads, "postings": _write_postings}[kind]
        writer(conn, store, good, job_id=job_id, path=path, file_hash=rr.file_hash)
        store.audit(conn, f"import-{kind}", entity="job", entity_id=job_id, source_file=str(path),
                    source_hash=rr.file_hash, reason="CIS extract import",
                    details={"imported": len(good), "skipped": skipped, "rejected_rows": len(bad_rows)})
    res.imported, res.job_id = len(good), job_id
    return res


def _known_accounts(conn) -> dict[str, str]:
    A = schema.accounts
    return {a: s for a, s in conn.execute(select(A.c.account_no, A.c.status))}


def _check_accounts(conn, rows, file, sheet):
    known = _known_accounts(conn)
    good, problems, seen = [], [], {}
    for r in rows:
        a = r["account"]
        if a in seen:
            problems.append(Finding(f"account {a} appears again (first on row {seen[a]})", file, sheet, r["_row"],
                                    "account", a, account=a))
            continue
        seen[a] = r["_row"]
        if a in known:
            problems.append(Finding(f"account {a} is already in the store; accounts are imported once",
                                    file, sheet, r["_row"], "account", a, account=a))
            continue
        try:
            r["meter_size"] = normalize_meter_size(r["meter_size"])
        except ValueError as e:
            problems.append(Finding(str(e), file, sheet, r["_row"], "meter_size", r["meter_size"], account=a))
            continue
        flags = [f.strip().lower().replace(" ", "_") for f in (r.get("flags") or "").replace(";", ",").split(",") if f.strip()]
        unknown = [f for f in flags if f not in FLAGS]
        if unknown:
            problems.append(Finding(f"unknown special-handling flag(s) {', '.join(unknown)}; known: {', '.join(FLAGS)}",
                                    file, sheet, r["_row"], "flags", r.get("flags"), account=a))
            continue
        good.append({**r, "flags": flags})
    return good, 0, problems


def _write_accounts(conn, store, rows, *, job_id, path, file_hash):
    now = now_iso()
    conn.execute(schema.accounts.insert(), [dict(
        account_no=r["account"], premise_id=r.get("premise") or r["account"], account_class=r["class"],
        status="active", customer_name=r["customer_name"], customer_role=r.get("customer_role") or "owner",
        service_address=r["service_address"], mailing_address=r.get("mailing_address") or r["service_address"],
        email=r.get("email"), phone=r.get("phone"), notice_delivery=r.get("notice_delivery") or "mail",
        owner_name=r.get("owner_name"), landlord_name=r.get("landlord_name"),
        landlord_address=r.get("landlord_address"), third_party_name=r.get("third_party_name"),
        third_party_address=r.get("third_party_address"), meter_id=r.get("meter_id"),
        meter_size=r["meter_size"], meter_dials=r.get("meter_dials"), flags=",".join(r["flags"]),
        cash_only=False, service_start=r["service_start"], cycle=r.get("cycle"), created_at=now) for r in rows])
    initial = [dict(account_no=r["account"], read_date=r["service_start"], reading=r["initial_reading"],
                    read_type="initial", source=str(path), job_id=job_id, created_at=now)
               for r in rows if r.get("initial_reading") is not None]
    if initial:
        conn.execute(schema.reads.insert(), initial)


def _check_reads(conn, rows, file, sheet):
    known = _known_accounts(conn)
    R = schema.reads
    have = {(a, d, t): v for a, d, t, v in conn.execute(select(R.c.account_no, R.c.read_date, R.c.read_type, R.c.reading))}
    good, problems, skipped, seen = [], [], 0, {}
    for r in rows:
        a, key = r["account"], (r["account"], r["read_date"], r.get("read_type") or "actual")
        if a not in known:
            problems.append(Finding(f"unknown account {a}", file, sheet, r["_row"], "account", a, account=a))
            continue
        if key in seen:
            problems.append(Finding(f"the same read appears again (first on row {seen[key]})", file, sheet,
                                    r["_row"], "read_date", r["read_date"], account=a))
            continue
        seen[key] = r["_row"]
        if key in have:
            if have[key] == r["reading"]:
                skipped += 1
                continue
            problems.append(Finding(f"a different reading ({have[key]}) is already recorded for this date and type",
                                    file, sheet, r["_row"], "reading", r["reading"], account=a))
            continue
        good.append(r)
    return good, skipped, problems


def _write_reads(conn, store, rows, *, job_id, path, file_hash):
    now = now_iso()
    if rows:
        conn.execute(schema.reads.insert(), [dict(
            account_no=r["account"], read_date=r["read_date"], reading=r["reading"],
            read_type=r.get("read_type") or "actual", source=str(path), job_id=job_id, created_at=now) for r in rows])


def _check_postings(conn, rows, file, sheet):
    known = _known_accounts(conn)
    good, problems = [], []
    for r in rows:
        a = r["account"]
        if a not in known:
            problems.append(Finding(f"unknown account {a}", file, sheet, r["_row"], "account", a, account=a))
            continue
        amt: Decimal = r["amount"]
        if r["kind"] in ("bill", "payment", "late_charge", "fee", "deposit") and amt <= 0:
            problems.append(Finding(f"a {r['kind']} amount must be positive (the kind gives the sign)", file, sheet,
                                    r["_row"], "amount", amt, account=a))
            continue
        if r["kind"] == "bill":
            w, ww = r.get("water"), r.get("wastewater")
            if (w is not None or ww is not None) and (w or 0) + (ww or 0) != amt:
                problems.append(Finding(f"water {w} + wastewater {ww} does not equal the bill amount {amt}",
                                        file, sheet, r["_row"], "amount", amt, account=a))
                continue
        good.append(r)
    return good, 0, problems


def _write_postings(conn, store, rows, *, job_id, path, file_hash):
    import json

    now = now_iso()
    postings, deposits = [], []
    for r in rows:
        kind, amt = r["kind"], r["amount"]
        if kind == "deposit":
            deposits.append(dict(account_no=r["account"], received_date=r["date"], amount_cents=to_cents(amt),
                                 kind="held", clerk=store.clerk, memo=r.get("memo") or "imported deposit"))
            continue
        parts = None
        if kind == "bill":
            w, ww = r.get("water"), r.get("wastewater")
            parts = json.dumps({"water": to_cents(w if w is not None else amt - (ww or 0)),
                                "wastewater": to_cents(ww or Decimal(0))})
        sign = -1 if kind == "payment" else 1
        postings.append(dict(
            account_no=r["account"], effective_date=r["date"], posted_at=now, kind=kind,
            amount_cents=sign * to_cents(amt), due_date=r.get("due_date"), parts=parts,
            fund="fees" if kind in ("late_charge", "fee") else None, ref=r.get("reference"), memo=r.get("memo"),
            job_id=job_id, clerk=store.clerk, source_file=str(path), source_hash=file_hash,
            idem_key=f"import:{file_hash}:{r['_row']}"))
    if postings:
        conn.execute(schema.postings.insert(), postings)
    if deposits:
        conn.execute(schema.deposits.insert(), deposits)
