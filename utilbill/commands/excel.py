"""Commands of the Excel side: build the add-ins, run the xlwings Server, build the workbook
templates. Each parses options and calls one function (utilbill.addin_build.build_all,
utilbill.server.serve, utilbill.templates.build_templates)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..home import NoUtilityFolder
from .common import HomeOpt, console, err_console, friendly_errors, utility


def register(app: typer.Typer) -> None:
    addin = typer.Typer(help="The Excel add-ins: desktop (.xlam) and Office.js (xlwings Server).",
                        no_args_is_help=True)
    books = typer.Typer(help="The workbook templates clerks work in.", no_args_is_help=True)
    app.add_typer(addin, name="addin")
    app.add_typer(books, name="workbooks")

    @addin.command("build")
    @friendly_errors
    def addin_build_cmd(
        out: Path = typer.Argument(..., help="Folder to write the add-ins into."),
        base_url: str = typer.Option("https://localhost:8000", help="Public HTTPS address of `utilbill serve`."),
        template: Optional[Path] = typer.Option(None, help="The .xlam saved on Windows after the VBA import."),
        interpreter_win: Optional[str] = typer.Option(None, help="pythonw.exe on the clerks' PCs."),
        pythonpath: Optional[str] = typer.Option(None, help="Extra folder on sys.path on the clerks' PCs."),
        utilbill_home: Optional[str] = typer.Option(None, help="The utility folder as the clerks' PCs see it."),
        desktop_only: bool = typer.Option(False, help="Skip the Office.js manifest (needs XLWINGS_LICENSE_KEY)."),
    ):
        """Build the desktop add-in (.xlam, its VBA and Python files) and the Office.js manifest."""
        from .. import addin_build as ab
        from ..server import ServerSetupError

        kwargs = {k: v for k, v in dict(interpreter_win=interpreter_win, pythonpath=pythonpath,
                                        utilbill_home=utilbill_home).items() if v}
        try:
            built = ab.build_all(out, base_url=base_url, template=template, office=not desktop_only, **kwargs)
        except ServerSetupError as exc:
            err_console.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(2)
        for what, path in built.paths().items():
            console.print(f"{what:13} {path}")
        console.print("Install: see README.md in that folder (one-time VBA import on Windows).")

    @app.command("serve")
    @friendly_errors
    def serve_cmd(host: str = typer.Option("127.0.0.1", help="Address to listen on."),
                  port: int = typer.Option(8000, help="Port."),
                  ssl_keyfile: Optional[str] = typer.Option(None, help="TLS key (Office.js needs HTTPS)."),
                  ssl_certfile: Optional[str] = typer.Option(None, help="TLS certificate."),
                  home: Optional[Path] = HomeOpt):
        """Run the Office.js add-in's server (xlwings Server): worksheet functions and ribbon tasks."""
        import os

        from ..server import ServerSetupError, serve

        if home is not None:
            os.environ["UTILBILL_HOME"] = str(utility(home).root.resolve())
        try:
            serve(host, port, ssl_keyfile=ssl_keyfile, ssl_certfile=ssl_certfile)
        except ServerSetupError as exc:
            err_console.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(2)

    @books.command("build")
    @friendly_errors
    def workbooks_build_cmd(out: Optional[Path] = typer.Argument(
            None, help="Folder (default: the utility's output/workbooks, else ./workbooks)."),
            example: bool = typer.Option(False, help="Use the shipped example configuration, not the utility's."),
            home: Optional[Path] = HomeOpt):
        """Build the workbook templates (readings entry, calculators, turn-off list, inquiry, daily cash)."""
        from ..templates import build_templates

        policy, default_out = None, Path("workbooks")
        if not example:
            try:
                u = utility(home)
                policy, default_out = u.policy, u.root / "output" / "workbooks"
            except NoUtilityFolder:
                if home is not None:
                    raise
        paths = build_templates(out or default_out, policy)
        for path in paths.values():
            console.print(str(path))
        console.print(f"{len(paths)} templates ({'the utility' if policy else 'example'} configuration).")
