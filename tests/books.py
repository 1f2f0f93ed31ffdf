"""Books for the reliability tests: a sample utility (made once per test process, copied per
test), a bulk-made utility of thousands of accounts ready for a first bill run, a snapshot
of every table of a store, the files a clerk would hand in, and a scan of an output
workbook's cells for formulas."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import tempfile
import zipfile
from datetime import date
from pathlib import Path

from openpyxl import Workbook, load_workbook

from utilbill.home import Utility, init_folder
from utilbill.store.db import now_iso

DAY = date(2026, 3, 16)  # a Monday, a business day
INJECTIONS = ('=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|'/C calc'!A0")
_TEMPLATE: dict[str, Path] = {}


def sample_utility(dest: Path, *, accounts: int = 120, months: int = 8) -> Utility:
    """A copy of a generated sample utility (accounts, reads, bills, payments, late charges)."""
    key = f"{accounts}-{months}"
    if key not in _TEMPLATE:
        from utilbill.demo_data import generate

        root = Path(tempfile.mkdtemp(prefix="utilbill-sample-")) / "utility"
        u = init_folder(root)
        generate(u, accounts=accounts, day=DAY, months=months)
        u.store.dispose()
        _TEMPLATE[key] = root
    shutil.copytree(_TEMPLATE[key], dest)
    return Utility(dest)


def bulk_utility(dest: Path, n: int, *, start: date = date(2026, 1, 5), first_read: date = date(2026, 1, 15)) -> Utility:
    """`n` residential accounts with an initial read, inserted in bulk (seconds for thousands)."""
    from utilbill.store import schema

    u = init_folder(dest)
    now = now_iso()
    with u.store.write() as conn:
        conn.execute(schema.accounts.insert(), [dict(
            account_no=f"20-{i:05d}", premise_id=f"P{i:05d}", account_class="residential", status="active",
            customer_name=f"Customer {i}", customer_role="owner", service_address=f"{i} Elm St",
            mailing_address=f"{i} Elm St", meter_size="5/8", flags="", cash_only=False, service_start=start,
            notice_delivery="mail", created_at=now) for i in range(n)])
        conn.execute(schema.reads.insert(), [dict(
            account_no=f"20-{i:05d}", read_date=first_read, reading=1000 + i % 50, read_type="initial",
            created_at=now) for i in range(n)])
    return u


def readings_file(path: Path, rows, header=("Account", "Read Date", "Reading", "Read Type")) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Readings"
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def batch_file(path: Path, rows, *, day: date = DAY, drawer: str | None = None, count=None, total=None) -> Path:
    """A payment batch workbook: the ticket (date, control count and total) above the items
    (account, amount, tender, check_no)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Batch"
    ws.append(["Batch date", day])
    ws.append(["Control count", len(rows) if count is None else count])
    ws.append(["Control total", float(sum(float(r[1]) for r in rows)) if total is None else total])
    if drawer:
        ws.append(["Drawer", drawer])
    ws.append([])
    ws.append(["account", "amount", "tender", "check_no"])
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def snapshot(store_path: Path) -> dict[str, str]:
    """Every table's rows, hashed (table -> SHA-256 of its rows in id order)."""
    con = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out = {}
        for t in tables:
            h = hashlib.sha256()
            for row in con.execute(f'SELECT * FROM "{t}" ORDER BY rowid'):
                h.update(repr(row).encode())
            out[t] = h.hexdigest()
        out["_schema"] = hashlib.sha256(repr(con.execute(
            "SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()).encode()).hexdigest()
        return out
    finally:
        con.close()


def count(store_path: Path, sql: str):
    con = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True)
    try:
        return con.execute(sql).fetchone()
    finally:
        con.close()


def formula_cells(path: Path) -> list[tuple[str, str, str]]:
    """(sheet, cell, formula) of every formula cell of an .xlsx file, read from its XML (so
    nothing is missed whatever wrote it)."""
    found = []
    wb = load_workbook(path, read_only=False, data_only=False)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":  # a text cell "=..." (data type s) is text: Excel shows it, never runs it
                    found.append((ws.title, c.coordinate, str(c.value)))
    with zipfile.ZipFile(path) as zf:  # shared or inline strings are data; <f> elements are formulas
        for name in zf.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                xml = zf.read(name).decode("utf-8", "replace")
                found += [(name, "<f>", f) for f in re.findall(r"<f(?:\s[^>]*)?>([^<]*)</f>", xml)
                          if not any(f in x[2] or x[2].lstrip("=") == f for x in found)]
    return found


def string_cells(path: Path) -> set[str]:
    wb = load_workbook(path, read_only=True, data_only=False)
    out = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            out.update(v for v in row if isinstance(v, str))
    return out
