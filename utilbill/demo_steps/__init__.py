"""The demo's business day, one module per area, run in this order.

Each module defines `run(u: Utility, day: date, report: DemoReport) -> None` that does the
area's part of a clerk's day on the sample utility and notes what it did and which files it
wrote (`report.line(...)`, `report.output(path, what)`).
"""

DAY_ORDER = ("billing", "special", "collections", "cash", "excel", "reliability")
