"""The command line, one module per area; `utilbill.cli` assembles them.

Each module defines `register(app: typer.Typer)` that adds its commands (or sub-apps).
"""

AREAS = ("admin", "billing", "special", "collections", "cash", "excel", "reliability")
