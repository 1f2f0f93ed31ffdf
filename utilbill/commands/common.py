"""What every command shares: the --home option, opening the utility, printing findings,
progress bars, and turning known errors into a clear message and an exit code."""

from __future__ import annotations

import functools
import sys
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Iterable, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from ..config import ConfigError
from ..findings import Finding, FindingsError
from ..money import MoneyError, to_money
from ..home import NoUtilityFolder, Utility, open_utility
from ..rates import RateFileError

console = Console()
err_console = Console(stderr=True)

HomeOpt = typer.Option(None, "--home", help="Utility folder (default: $UTILBILL_HOME, else the current folder or a parent).")
ClerkOpt = typer.Option(None, "--clerk", help="Clerk id recorded on postings (default: configured clerk_id, else your login).")


def parse_date(text: Optional[str], name: str = "date") -> Optional[date]:
    """A YYYY-MM-DD option value as a date (None stays None)."""
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


def parse_money(text: Optional[str]) -> Optional[Decimal]:
    """An amount option value ($1,234.50 or 1234.5) as money (None stays None)."""
    if text is None:
        return None
    try:
        return to_money(text)
    except MoneyError:
        raise typer.BadParameter(f"{text!r} is not an amount") from None


def utility(home: Optional[Path], clerk: Optional[str] = None) -> Utility:
    return open_utility(home, clerk=clerk)


def friendly_errors(fn):
    """Known problems end the command with a clear message and exit code 2, not a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except FindingsError as e:
            print_findings(e.findings, title=e.summary)
            raise typer.Exit(2)
        except (NoUtilityFolder, ConfigError, RateFileError, FileNotFoundError, FileExistsError) as e:
            err_console.print(f"[bold red]error:[/] {e}")
            raise typer.Exit(2)

    return wrapper


def print_findings(findings: Iterable[Finding], title: str = "Problems found", limit: int = 40) -> None:
    findings = list(findings)
    if not findings:
        return
    t = Table(title=f"{title} ({len(findings)})", show_lines=False)
    for col in ("severity", "where", "reason"):
        t.add_column(col)
    for f in findings[:limit]:
        t.add_row(f.severity, f.where(), f.reason)
    err_console.print(t)
    if len(findings) > limit:
        err_console.print(f"... and {len(findings) - limit} more (see the Exceptions sheet of the output workbook)")


@contextmanager
def progress(description: str, total: int | None = None):
    """A progress bar on stderr; yields `advance(n=1)`. Quiet when not a terminal."""
    p = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                 TimeElapsedColumn(), TimeRemainingColumn(), console=err_console,
                 disable=not sys.stderr.isatty())
    with p:
        task = p.add_task(description, total=total)

        def advance(n: int = 1, total: int | None = None, description: str | None = None):
            if total is not None:
                p.update(task, total=total)
            if description is not None:
                p.update(task, description=description)
            p.advance(task, n)

        yield advance
