"""Verifying a bill run made elsewhere, bill by bill and field by field (domain §4).

`verify_run(u, run.xlsx)` reads a Bills workbook (layouts BILLS_OUT and BILL_LINES_OUT: the
CIS's special run, or yesterday's run of our own), recomputes each bill independently with
utilbill.billing from the store's reads and bill history, and lists every field where the run
differs from the recomputation:
- **changed**: a bill field (period, reads, units, flags, winter average, fund totals, total,
  due date) or a charge line (code, quantity, rate, amount) differs;
- **extra**: a bill for an account the store does not know, or with no read in the store at
  its period end (nothing to bill);
- **missing**: a bill of the same bill run in the store (same job as the file's bills) that
  is not in the file.
`previous=OTHER.xlsx` also compares the two runs: bills new in this run, missing from it,
and changed (bills matched by account, in order).

The recomputation uses the read at the period end (a 'corrected' read wins over an actual
one, an actual over an estimate; an estimated read is re-estimated) and the previous read
before it; history is the account's live bills ending on or before the period start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from .findings import Finding, FindingsError
from .money import ZERO

BILL_FIELDS = ("kind", "due_date", "period_start", "days", "previous_reading", "reading", "units", "estimated",
               "rollover", "regular", "winter_average", "wastewater_units", "water", "wastewater", "total")
LINE_FIELDS = ("code", "quantity", "rate", "amount")
READ_PRIORITY = {"corrected": 0, "final": 1, "actual": 1, "initial": 2, "estimated": 3}


@dataclass(frozen=True)
class Difference:
    account: str
    bill_key: str
    what: str  # changed | missing | extra | cannot verify
    field: str = ""
    in_run: object = None
    expected: object = None
    note: str = ""

    def as_row(self) -> dict:
        show = lambda v: "" if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v))
        return dict(account=self.account, bill_key=self.bill_key, what=self.what, field=self.field,
                    in_run=show(self.in_run), expected=show(self.expected), note=self.note)


@dataclass
class VerifyResult:
    run_path: Path
    checked: int = 0
    differences: list[Difference] = field(default_factory=list)
    previous_path: Path | None = None
    against_previous: list[Difference] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def bills_differing(self) -> int:
        return len({(d.account, d.bill_key) for d in self.differences})


def read_run(path: Path) -> tuple[list[dict], dict[str, list[dict]], list[Finding]]:
    """The Bills rows and each bill's Lines rows (by bill_key) of a run workbook."""
    from .layouts import BILL_LINES_OUT, BILLS_OUT
    from .xlio import read_table

    bills = read_table(path, BILLS_OUT)
    if any(f.row is None for f in bills.errors):  # the file itself is unreadable: say it once
        raise FindingsError(bills.errors, summary=f"{path.name} is not a readable Bills workbook")
    lines = read_table(path, BILL_LINES_OUT)
    findings = bills.errors + lines.errors
    if findings:
        raise FindingsError(findings, summary=f"{path.name} is not a readable Bills workbook")
    by_key: dict[str, list[dict]] = {}
    for l in lines.rows:
        by_key.setdefault(l["bill_key"], []).append(l)
    return bills.rows, by_key, []


def _equal(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (Decimal, int)) and isinstance(b, (Decimal, int)) and not isinstance(a, bool):
        return Decimal(a) == Decimal(b)
    return a == b


def expected_fields(bill) -> dict:
    funds = bill.priced.fund_totals()
    return dict(kind=bill.kind, due_date=bill.due_date, period_start=bill.period.start, days=bill.period.days,
                previous_reading=bill.previous_reading, reading=bill.reading, units=bill.units,
                estimated=bill.estimated, rollover=bill.rollover, regular=bill.regular,
                winter_average=bill.winter.units_per_month if bill.winter else None,
                wastewater_units=bill.priced.wastewater_units, water=funds.get("water", ZERO),
                wastewater=funds.get("wastewater", ZERO), total=bill.total)


def compare_bill(row: dict, run_lines: list[dict], bill) -> list[Difference]:
    """Field-by-field and line-by-line differences between a run's bill and the recomputed one."""
    out = []
    key = row.get("bill_key") or ""
    exp = expected_fields(bill)
    for f in BILL_FIELDS:
        if not _equal(row.get(f), exp[f]):
            out.append(Difference(row["account"], key, "changed", f, row.get(f), exp[f]))
    run_sorted = sorted(run_lines, key=lambda l: l["seq"])
    for i in range(max(len(run_sorted), len(bill.lines))):
        got = run_sorted[i] if i < len(run_sorted) else None
        want = bill.lines[i] if i < len(bill.lines) else None
        if got is None:
            out.append(Difference(row["account"], key, "changed", f"line {i + 1}", None,
                                  f"{want.code} {want.amount}", "line missing from the run"))
        elif want is None:
            out.append(Difference(row["account"], key, "changed", f"line {i + 1}", f"{got['code']} {got['amount']}",
                                  None, "line not expected"))
        else:
            for f in LINE_FIELDS:
                if not _equal(got.get(f), getattr(want, f)):
                    out.append(Difference(row["account"], key, "changed", f"line {i + 1} {f}", got.get(f),
                                          getattr(want, f), want.description))
    return out


def recompute(conn, row: dict, u) -> object:
    """The bill the store's reads and history give for a run row, or a Difference saying why not."""
    from .billing import bill_from_read
    from .consumption import PastUsage
    from .store import repo, schema
    from sqlalchemy import select

    acct_no, end = row["account"], row["period_end"]
    account = repo.get_account(conn, acct_no)
    if account is None:
        return Difference(acct_no, row.get("bill_key") or "", "extra", note="account not in the store")
    R = schema.reads
    reads = [dict(r._mapping) for r in conn.execute(select(R).where(R.c.account_no == acct_no))]
    at_end = sorted((r for r in reads if r["read_date"] == end), key=lambda r: (READ_PRIORITY.get(r["read_type"], 5), -r["id"]))
    if not at_end:
        return Difference(acct_no, row.get("bill_key") or "", "extra",
                          note=f"no read in the store on {end}: nothing to bill")
    before = sorted((r for r in reads if r["read_date"] < end),
                    key=lambda r: (r["read_date"], -READ_PRIORITY.get(r["read_type"], 5), r["id"]))
    if not before:
        return Difference(acct_no, row.get("bill_key") or "", "cannot verify", note=f"no read before {end}")
    prev, read = before[-1], at_end[0]
    live = repo.live_bills(conn, acct_no)
    history = [PastUsage(b["period_start"], b["period_end"], Decimal(b["units"]), bool(b["estimated"]))
               for b in live if b["period_end"] <= prev["read_date"]]
    kind = row.get("kind") if row.get("kind") in ("final", "special", "rebill") else None
    estimated = read["read_type"] == "estimated"
    bill = bill_from_read(account, previous_read_date=prev["read_date"], previous_reading=prev["reading"],
                          read_date=end, reading=None if estimated else read["reading"], history=history,
                          policy=u.policy, rates=u.rates, bill_date=row["bill_date"], kind=kind, estimate=estimated)
    if isinstance(bill, Finding):
        return Difference(acct_no, row.get("bill_key") or "", "cannot verify", note=bill.reason)
    return bill


def compare_runs(current: list[dict], previous: list[dict]) -> list[Difference]:
    """Bills new in `current`, missing from it, and changed, matched by account in order."""
    def keyed(rows):
        out, seen = {}, {}
        for r in rows:
            n = seen.get(r["account"], 0)
            seen[r["account"]] = n + 1
            out[(r["account"], n)] = r
        return out

    cur, prev = keyed(current), keyed(previous)
    diffs = []
    for k in sorted(set(cur) | set(prev)):
        a, b = cur.get(k), prev.get(k)
        if b is None:
            diffs.append(Difference(k[0], a.get("bill_key") or "", "extra", note="new in this run"))
        elif a is None:
            diffs.append(Difference(k[0], b.get("bill_key") or "", "missing", note="in the previous run, not in this one"))
        else:
            for f in ("bill_date", "period_end", "bill_key", "previous_reading") + BILL_FIELDS:
                if not _equal(a.get(f), b.get(f)):
                    diffs.append(Difference(k[0], a.get("bill_key") or "", "changed", f, a.get(f), b.get(f),
                                            "expected = the previous run"))
    return diffs


def verify_run(u, run_path: str | Path, previous: str | Path | None = None) -> VerifyResult:
    """Recompute every bill of a run workbook and list the differences (posts nothing)."""
    from sqlalchemy import select

    from .store import repo, schema

    run_path = Path(run_path)
    rows, lines, findings = read_run(run_path)
    result = VerifyResult(run_path, findings=findings)
    B = schema.bills
    with u.store.read() as conn:
        for row in rows:
            got = recompute(conn, row, u)
            result.checked += 1
            if isinstance(got, Difference):
                result.differences.append(got)
            else:
                result.differences += compare_bill(row, lines.get(row.get("bill_key") or "", []), got)
        keys = [r.get("bill_key") for r in rows if r.get("bill_key")]
        jobs = {j for (j,) in conn.execute(select(B.c.job_id).where(B.c.bill_key.in_(keys))) if j is not None}
        if jobs:
            cancelled = repo.cancelled_bill_ids(conn)
            for b in conn.execute(select(B).where(B.c.job_id.in_(jobs)).order_by(B.c.account_no)):
                m = b._mapping
                if m["bill_key"] not in set(keys) and m["id"] not in cancelled:
                    result.differences.append(Difference(m["account_no"], m["bill_key"], "missing",
                                                         note=f"billed by run job {m['job_id']} but not in the file"))
    if previous is not None:
        result.previous_path = Path(previous)
        prev_rows, _, _ = read_run(result.previous_path)
        result.against_previous = compare_runs(rows, prev_rows)
    return result


def write_verify_workbook(result: VerifyResult, path: str | Path) -> Path:
    from openpyxl import Workbook

    from .layouts import VERIFY_DIFFERENCES
    from .xlio import save_workbook, write_table

    wb = Workbook()
    ws = wb.active
    ws.title = VERIFY_DIFFERENCES.sheet
    write_table(ws, VERIFY_DIFFERENCES, [d.as_row() for d in result.differences], table_name="Differences")
    if result.previous_path is not None:
        write_table(wb.create_sheet("Against previous"), VERIFY_DIFFERENCES,
                    [d.as_row() for d in result.against_previous], table_name="AgainstPrevious")
    return save_workbook(wb, path, protect=[result.run_path] + ([result.previous_path] if result.previous_path else []))
