"""The `utilbill` command line: one door to every clerk task (the other doors are the
workbooks' ribbon and cell functions, which call the same engine jobs)."""

from __future__ import annotations

import importlib

import typer

from .commands import AREAS

app = typer.Typer(
    name="utilbill",
    help="Billing, collections and daily cash for a city water and wastewater utility.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root() -> None:
    """Billing, collections and daily cash for a city water and wastewater utility.

    Commands find the utility folder from --home, $UTILBILL_HOME, or the current folder.
    """


for _area in AREAS:
    try:
        _mod = importlib.import_module(f"utilbill.commands.{_area}")
    except ModuleNotFoundError as _e:  # an area not installed in this build
        if _e.name != f"utilbill.commands.{_area}":
            raise
        continue
    _mod.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
