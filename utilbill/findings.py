"""Business problems as values: a bad row, an unknown account, an unbalanced batch.

A job collects every finding (file, sheet, row, column, reason) so the clerk sees them all at
once; nothing is posted from input that has errors unless the clerk asks to take the good rows.
Bugs and broken invariants raise instead (design.md, example 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in input or in the books."""

    reason: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None  # 1-based, as Excel shows it
    column: str | None = None  # the column's header as the clerk sees it (or its letter)
    value: object = None
    severity: str = "error"  # "error" stops posting of that row; "warning" does not
    account: str | None = None

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        if self.account:
            parts.append(f"account {self.account}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.reason}" if where else self.reason

    def as_row(self) -> dict:
        return {
            "severity": self.severity,
            "file": self.file or "",
            "sheet": self.sheet or "",
            "row": self.row if self.row is not None else "",
            "column": self.column or "",
            "account": self.account or "",
            "value": "" if self.value is None else str(self.value),
            "reason": self.reason,
        }


@dataclass
class FindingsError(Exception):
    """Raised by a job when input is rejected whole; carries every finding."""

    findings: list[Finding] = field(default_factory=list)
    summary: str = "input rejected"

    def __str__(self) -> str:
        lines = [f"{self.summary} ({len(self.findings)} problem(s)):"]
        lines += [f"  - {f}" for f in self.findings[:50]]
        if len(self.findings) > 50:
            lines.append(f"  ... and {len(self.findings) - 50} more")
        return "\n".join(lines)


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]


def in_file_terms(findings: Iterable[Finding], headers: dict[str, str], sheet: str | None) -> list[Finding]:
    """Name each finding's column by its header in the clerk's file (a job checks rows by the
    layout's column names) and its sheet as the file names it."""
    from dataclasses import replace

    out = []
    for f in findings:
        column = f.column
        if column:
            column = headers.get(column, headers.get(column.replace(" ", "_"), column))
        new_sheet = (sheet or f.sheet) if f.sheet else f.sheet
        out.append(replace(f, column=column, sheet=new_sheet) if (column, new_sheet) != (f.column, f.sheet) else f)
    return out
