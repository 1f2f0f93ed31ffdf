"""Setting up and looking after a utility folder: init, import, check, audit, backup."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..home import init_folder
from .common import console, friendly_errors


def register(app: typer.Typer) -> None:
    @app.command("init")
    @friendly_errors
    def init(directory: Path = typer.Argument(..., help="Folder to create (it may exist, empty)."),
             name: Optional[str] = typer.Option(None, help="The utility's name for letters and bills."),
             force: bool = typer.Option(False, help="Overwrite an existing configuration.")):
        """Create a utility folder: utility.yaml, rates.yaml and an empty store."""
        u = init_folder(directory, name=name, force=force)
        console.print(f"Created utility folder [bold]{u.root}[/]")
        console.print(f"  configuration: {u.root / 'utility.yaml'}")
        console.print(f"  rates:         {u.root / 'rates.yaml'}")
        console.print(f"  store:         {u.store_path}")


def _register_demo(app: typer.Typer) -> None:
    from datetime import datetime

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from .common import err_console

    @app.command("demo")
    @friendly_errors
    def demo(directory: Path = typer.Option(Path("demo-utility"), "--dir", help="Folder for the sample utility."),
             accounts: int = typer.Option(2000, "--accounts", min=10, help="How many accounts to generate."),
             seed: int = typer.Option(2026, "--seed", help="Random seed (same seed, same utility)."),
             day: Optional[str] = typer.Option(None, "--day", help="The business day to work, YYYY-MM-DD "
                                                                   "(default: the last business day up to today)."),
             force: bool = typer.Option(False, "--force", help="Rebuild an existing demo folder.")):
        """Build a sample utility with 24 months of history and work one business day in it."""
        from ..demo import run_demo

        the_day = datetime.strptime(day, "%Y-%m-%d").date() if day else None
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                      TimeElapsedColumn(), console=err_console) as p:
            task = p.add_task("sample utility", total=None)

            def on_progress(_what, done, total):
                p.update(task, completed=done, total=total)

            res = run_demo(directory, accounts=accounts, seed=seed, day=the_day, force=force,
                           progress=on_progress, status=lambda m: p.update(task, description=m))
        c = res.counts
        console.print(f"\n[bold]Sample utility[/] in {res.root.resolve()}: {c.get('accounts', 0):,} accounts, "
                      f"{c.get('bills', 0):,} bills, {c.get('payments', 0):,} payments and "
                      f"{c.get('late_charges', 0):,} late charges over 24 months "
                      f"({res.seconds.get('generate', 0):.1f} s)")
        console.print(f"[bold]Business day {res.day.isoformat()}[/]")
        for area, text in res.report.lines:
            console.print(f"  [cyan]{area:<12}[/] {text}")
        if res.report.outputs:
            console.print("[bold]Files to open[/]")
            for area, path, what in res.report.outputs:
                try:
                    shown = path.resolve().relative_to(Path.cwd().resolve())
                except ValueError:
                    shown = path
                console.print(f"  [cyan]{area:<12}[/] {shown}\n  {'':<12} [dim]{what}[/]", soft_wrap=True)
        for area, tb in res.failures:
            err_console.print(f"[bold red]The {area} step failed:[/]\n{tb}")
        if res.failures:
            raise typer.Exit(1)


_orig_register = register


def register(app: typer.Typer) -> None:  # noqa: F811 - extends the admin commands with the demo
    _orig_register(app)
    _register_demo(app)
