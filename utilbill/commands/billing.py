"""Commands of the cycle: import a CIS extract, run bills from readings."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .common import ClerkOpt, HomeOpt, console, friendly_errors, parse_date, print_findings, progress, utility

BILL_RUN_STEPS = 7  # read, check, compute, back up, post, write, done


def register(app: typer.Typer) -> None:
    @app.command("import")
    @friendly_errors
    def import_cmd(kind: str = typer.Argument(..., help="accounts, reads or postings"),
                   file: Path = typer.Argument(..., exists=False, help="The CIS extract (.xlsx or .csv)."),
                   take_good_rows: bool = typer.Option(False, "--take-good-rows",
                                                       help="Import the good rows even when some rows have problems."),
                   home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Import accounts, meter read history or ledger history from a CIS extract."""
        from ..cis_import import import_file

        u = utility(home, clerk)
        res = import_file(u, kind, file, take_good_rows=take_good_rows)
        if res.already_imported_job:
            console.print(f"{file.name} was already imported (job {res.already_imported_job}); nothing new was posted.")
            return
        print_findings(res.findings, title="Rows not imported")
        console.print(f"Imported {res.imported} {kind} row(s) from {file.name}"
                      + (f"; {res.skipped} already in the store" if res.skipped else "") + f" (job {res.job_id}).")

    @app.command("bill-run")
    @friendly_errors
    def bill_run_cmd(readings: Path = typer.Argument(..., help="Readings workbook (.xlsx) or .csv."),
                     run_date: Optional[str] = typer.Option(None, "--date", help="Bill date, YYYY-MM-DD (default today)."),
                     estimate_missing: bool = typer.Option(False, "--estimate-missing",
                                                           help="Estimate blank readings (and, with --cycle, accounts with no row)."),
                     cycle: Optional[str] = typer.Option(None, help="Read cycle whose missing accounts are estimated."),
                     strict: bool = typer.Option(False, help="Post nothing when any row has a problem."),
                     out: Optional[Path] = typer.Option(None, help="Bills workbook to write (default output/bills/)."),
                     engine: str = typer.Option("auto", help="auto, vector or reference."),
                     home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Bill every reading in READINGS: check, compute, post, and write the Bills workbook."""
        from ..bill_run import bill_run

        u = utility(home, clerk)
        with progress("bill run", total=BILL_RUN_STEPS) as advance:
            res = bill_run(u, readings, run_date=parse_date(run_date), estimate_missing=estimate_missing, cycle=cycle,
                           strict=strict, engine=engine, out_path=out, progress=lambda m: advance(1, description=m))
        print_findings(res.findings, title="Rows held out of the run")
        t = Table(title=f"Bill run {res.run_date.isoformat()}")
        t.add_column("what")
        t.add_column("count / amount", justify="right")
        t.add_row("bills computed", str(len(res.bills)))
        t.add_row("posted now", str(res.posted))
        t.add_row("already in the store (not posted again)", str(res.already_posted))
        t.add_row("held out (see Exceptions)", str(len([f for f in res.findings if f.severity == "error"])))
        t.add_row("estimated reads", str(sum(1 for b in res.bills if b.estimated)))
        t.add_row("total billed", f"{res.total:,.2f}")
        console.print(t)
        if res.already_run_job and not res.posted:
            console.print(f"This readings file was already run (job {res.already_run_job}); nothing new was posted.")
        if res.output:
            console.print(f"Bills workbook: {res.output}")

    @app.command("late-charges")
    @friendly_errors
    def late_charges_cmd(as_of: Optional[str] = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today)."),
                         preview: bool = typer.Option(False, "--preview", help="List what would be assessed; post nothing."),
                         home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Assess late charges: 1.5% of each bill still unpaid at the end of its due date, once, the next day."""
        from datetime import date as _date

        from ..late_charges import assess_late_charges

        u = utility(home, clerk)
        day = parse_date(as_of, "--as-of") or _date.today()
        run = assess_late_charges(u, day, post=not preview)
        t = Table(title=f"Late charges as of {day.isoformat()}" + (" (preview, nothing posted)" if preview else ""))
        for col in ("account", "bill", "late charge"):
            t.add_column(col, justify="right" if col == "late charge" else "left")
        for account, bill_id, amount in run.assessed[:50]:
            t.add_row(account, str(bill_id), f"{amount:,.2f}")
        console.print(t)
        more = " (first 50 shown)" if len(run.assessed) > 50 else ""
        console.print(f"{len(run.assessed)} late charge(s) for {run.total:,.2f}{more}; {run.checked} bill(s) checked. "
                      "Bills already charged are not charged again.")
