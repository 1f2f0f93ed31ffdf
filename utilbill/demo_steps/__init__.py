"""The demo's business day, one module per area, run in this order.

Each module defines `run(u: Utility, day: date, report: DemoReport) -> None` that does the
area's part of a clerk's day on the sample utility and notes what it did and which files it
wrote (`report.line(...)`, `report.output(path, what)`).
"""

DAY_ORDER = ("billing", "special", "collections", "cash", "excel", "reliability")

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class DemoReport:
    """What the demo day did, printed at the end: summary lines and output files."""

    lines: list[tuple[str, str]] = field(default_factory=list)  # (area, text)
    outputs: list[tuple[str, Path, str]] = field(default_factory=list)  # (area, path, what)
    area: str = ""

    def line(self, text: str) -> None:
        self.lines.append((self.area, text))

    def output(self, path, what: str) -> None:
        self.outputs.append((self.area, Path(path), what))
