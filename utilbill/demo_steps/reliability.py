"""The demo day, last step: `utilbill check` over the books the day left, and the day's audit
workbook for the supervisor.

Runs after every other area has posted, so it checks their work together: every balance
equals its postings and the ledger, every bill foots, every batch balances, every reversal
points to a posting, no paid notice is left active, arrangements add up, the append-only
triggers are in place. A failed check raises, which makes `utilbill demo` exit non-zero.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from ..audit_export import audit_trail, write_audit_workbook
from ..home import Utility
from ..integrity import check_store
from . import DemoReport


class IntegrityCheckFailed(RuntimeError):
    pass


def run(u: Utility, day: date, report: DemoReport) -> None:
    result = check_store(u.store)
    if not result.ok:
        listing = "\n".join(f"  {f}" for f in result.findings[:40])
        report.line(f"Integrity check FAILED: {result.summary()}")
        raise IntegrityCheckFailed(f"utilbill check: {result.summary()}\n{listing}")
    report.line(f"Integrity check passed: {result.summary()} in {result.seconds:.1f} s")
    today = datetime.now(timezone.utc).date()  # audit entries are stamped with the real clock
    trail = audit_trail(u, today, today)
    path = write_audit_workbook(trail, u.out_dir("audit") / f"Audit-{day.isoformat()}.xlsx")
    report.line(f"Audit trail: {len(trail.postings):,} postings and {len(trail.entries):,} audit entries "
                f"recorded today, each with clerk, time, reason and source file")
    report.output(path, "audit workbook for the supervisor: who posted what, when, why, from which file")
