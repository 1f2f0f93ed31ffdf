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
