"""`utilbill audit --from --to`: who posted what, when, why and from which file, for a supervisor.

Why it exists: postings are append-only and every posting and every override carries who
(the configured clerk id, else the login), when, why (memo or reason code) and the source
file with its SHA-256 (design.md; issue 8). A supervisor reviewing a day or a month wants
that as one workbook, not as SQL: `audit_trail(u, start, end)` collects the postings posted
and the audit-log entries recorded in the date range (by the clock time they were recorded,
UTC), and `write_audit_workbook(trail, path)` writes it (Summary, Postings, Audit log,
Overrides sheets). Text from the store is written as text, never as a formula, and a bank
account number in an entry's details is masked to its last four digits.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from .money import from_cents
from .store import schema
from .xlio import mask_bank_account, write_rows_fast

SENSITIVE_KEY = re.compile(r"bank.?account|account.?number|routing|dfi|iban", re.I)

POSTING_HEADERS = ["Posting", "Posted at (UTC)", "Clerk", "Account", "Kind", "Effective date", "Amount", "Due date",
                   "Why (reason code)", "Why (memo)", "Reference", "Reverses", "Bill", "Batch", "Job", "Source file",
                   "Source SHA-256"]
AUDIT_HEADERS = ["Entry", "At (UTC)", "Clerk", "Action", "Account", "Entity", "Entity id", "Why", "Override",
                 "Source file", "Source SHA-256", "Details"]


@dataclass
class AuditTrail:
    """The postings and audit entries recorded from `start` to `end` (inclusive)."""

    start: date
    end: date
    postings: list[dict] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)

    @property
    def overrides(self) -> list[dict]:
        return [e for e in self.entries if e["Override"] == "yes"]

    def summary_rows(self) -> list[list]:
        rows: list[list] = []
        by_kind: dict[str, list] = {}
        for p in self.postings:
            k = by_kind.setdefault(p["Kind"], [0, Decimal("0.00")])
            k[0] += 1
            k[1] += p["Amount"]
        for kind, (n, total) in sorted(by_kind.items()):
            rows.append(["posting", kind, n, total])
        for (clerk, action), n in sorted(Counter((e["Clerk"], e["Action"]) for e in self.entries).items()):
            rows.append(["audit entry", f"{action} by {clerk}", n, None])
        rows.append(["overrides", "entries marked override", len(self.overrides), None])
        return rows


def mask_details(details: str | None) -> str:
    """An entry's JSON details with any bank account number masked to its last four digits."""
    if not details:
        return ""
    try:
        data = json.loads(details)
    except ValueError:
        return details

    def walk(value, key=""):
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if SENSITIVE_KEY.search(key) and value not in (None, ""):
            return mask_bank_account(value)
        return value

    return json.dumps(walk(data), sort_keys=True, default=str)


def _range(start: date, end: date) -> tuple[str, str]:
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    return start.isoformat(), (end + timedelta(days=1)).isoformat()


def audit_trail(u, start: date, end: date) -> AuditTrail:
    """Everything posted or recorded in the store between `start` and `end`, oldest first."""
    P, L = schema.postings, schema.audit_log
    lo, hi = _range(start, end)
    trail = AuditTrail(start, end)
    with u.store.read() as conn:
        for r in conn.execute(select(P).where(P.c.posted_at >= lo, P.c.posted_at < hi).order_by(P.c.id)):
            m = r._mapping
            trail.postings.append({
                "Posting": m["id"], "Posted at (UTC)": m["posted_at"], "Clerk": m["clerk"],
                "Account": m["account_no"], "Kind": m["kind"], "Effective date": m["effective_date"],
                "Amount": from_cents(m["amount_cents"]), "Due date": m["due_date"],
                "Why (reason code)": m["reason_code"], "Why (memo)": m["memo"], "Reference": m["ref"],
                "Reverses": m["reverses_id"], "Bill": m["bill_id"], "Batch": m["batch_id"], "Job": m["job_id"],
                "Source file": m["source_file"], "Source SHA-256": m["source_hash"]})
        for r in conn.execute(select(L).where(L.c.at >= lo, L.c.at < hi).order_by(L.c.id)):
            m = r._mapping
            trail.entries.append({
                "Entry": m["id"], "At (UTC)": m["at"], "Clerk": m["clerk"], "Action": m["action"],
                "Account": m["account_no"], "Entity": m["entity"], "Entity id": m["entity_id"], "Why": m["reason"],
                "Override": "yes" if m["override"] else "", "Source file": m["source_file"],
                "Source SHA-256": m["source_hash"], "Details": mask_details(m["details"])})
    return trail


def write_audit_workbook(trail: AuditTrail, path, *, protect=()) -> Path:
    """The supervisor's workbook: Summary, Postings, Audit log and Overrides sheets (atomic)."""
    formats = {"Amount": "money", "Effective date": "date", "Due date": "date", "Account": "account",
               "Source SHA-256": "text", "Reference": "text"}
    summary = [["Audit trail", f"{trail.start.isoformat()} to {trail.end.isoformat()} (UTC)", None, None],
               *trail.summary_rows()]
    return write_rows_fast(path, {
        "Summary": (["What", "Which", "Count", "Amount"], summary),
        "Postings": (POSTING_HEADERS, trail.postings),
        "Audit log": (AUDIT_HEADERS, trail.entries),
        "Overrides": (AUDIT_HEADERS, trail.overrides),
    }, formats={**formats, "Amount": "money"}, protect=protect)
