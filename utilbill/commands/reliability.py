"""Looking after the books: `check` (integrity), `audit` (the supervisor's workbook),
`backup` and `restore`. Each command parses options, calls one engine job and prints."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .common import ClerkOpt, HomeOpt, console, err_console, friendly_errors, parse_date, utility


def _date(text: str, name: str) -> date:
    return parse_date(text, name)


def print_report(report, limit: int = 200) -> None:
    """Each finding on one line (check, table and id, account, problem), then the summary."""
    if report.findings:
        for f in report.findings[:limit]:
            err_console.print(str(f), soft_wrap=True, markup=False, highlight=False)
        if report.total > min(limit, len(report.findings)):
            err_console.print(f"... and {report.total - min(limit, len(report.findings))} more", soft_wrap=True)
        err_console.print(f"[bold red]{report.summary()}[/]", soft_wrap=True)
    else:
        console.print(f"[green]OK[/] {report.summary()} in {report.seconds:.1f} s"
                      + (f" (ledger recomputed for {report.deep_accounts:,} accounts)" if report.deep_accounts else ""),
                      soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command("check")
    @friendly_errors
    def check_cmd(deep: bool = typer.Option(False, "--deep", help="Recompute every account's ledger (slower on "
                                                                 "big stores; by default a sample above 60,000 postings)."),
                  home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Check the store's integrity: balances, bills, batches, reversals, notices, arrangements, triggers.

        Exit code 0 when the books are consistent, 1 when any problem is found."""
        from ..integrity import check_store

        u = utility(home, clerk)
        report = check_store(u.store, deep=True if deep else None)
        print_report(report)
        if not report.ok:
            raise typer.Exit(1)

    @app.command("audit")
    @friendly_errors
    def audit_cmd(start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD (UTC, as recorded)."),
                  end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD (inclusive)."),
                  out: Optional[Path] = typer.Option(None, "--out", help="Workbook to write (default output/audit/)."),
                  home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Export who posted what, when, why and from which file, as a workbook for a supervisor."""
        from ..audit_export import audit_trail, write_audit_workbook

        d0, d1 = _date(start, "--from"), _date(end, "--to")
        if d1 < d0:
            raise typer.BadParameter(f"--to {end} is before --from {start}", param_hint="--to")
        u = utility(home, clerk)
        trail = audit_trail(u, d0, d1)
        path = write_audit_workbook(trail, out or u.out_dir("audit") / f"Audit-{d0.isoformat()}-to-{d1.isoformat()}.xlsx")
        console.print(f"{len(trail.postings):,} postings, {len(trail.entries):,} audit entries "
                      f"({len(trail.overrides)} overrides) from {d0} to {d1}")
        console.print(f"Audit workbook: {path}")

    @app.command("backup")
    @friendly_errors
    def backup_cmd(list_only: bool = typer.Option(False, "--list", help="Only list the backups."),
                   home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Back the store up now (safe while others work), then list the backups kept."""
        from ..restore import RestoreRefused, backup_now, list_backups

        u = utility(home, clerk)
        if not list_only:
            try:
                path = backup_now(u)
            except RestoreRefused as e:
                err_console.print(f"[bold red]error:[/] {e}")
                raise typer.Exit(2)
            console.print(f"Backed up the store to {path}")
        t = Table(title=f"Backups in {u.backup_dir} (newest first; the last {u.policy.store.backups_keep} are kept)")
        for c in ("file", "made", "size", "schema"):
            t.add_column(c)
        for b in list_backups(u):
            t.add_row(b.path.name, b.modified.strftime("%Y-%m-%d %H:%M:%S"), f"{b.size:,}",
                      str(b.schema_version) if b.schema_version >= 0 else "unreadable")
        console.print(t)

    @app.command("restore")
    @friendly_errors
    def restore_cmd(backup: Path = typer.Argument(..., help="The backup file (a name in backups/ or a path)."),
                    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
                    home: Optional[Path] = HomeOpt, clerk: Optional[str] = ClerkOpt):
        """Replace the store with BACKUP; the current store is kept in backups/ first.

        Refused while another utilbill process has the store open."""
        from ..restore import RestoreRefused, restore_store

        u = utility(home, clerk)
        if not yes:
            typer.confirm(f"Replace the store of {u.root} with {backup}? (the current store is kept first)",
                          abort=True)
        try:
            res = restore_store(u, backup)
        except RestoreRefused as e:
            err_console.print(f"[bold red]restore refused:[/] {e}")
            raise typer.Exit(2)
        if res.kept_current_as:
            console.print(f"The store as it was is kept in {res.kept_current_as}")
        console.print(f"Restored the store from {res.restored_from} (SHA-256 {res.backup_hash[:12]}...)")
        print_report(res.check)
        if not res.check.ok:
            raise typer.Exit(1)
