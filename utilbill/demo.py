"""`utilbill demo`: a sample utility in a fresh folder, and one business day worked in it.

Generates the utility (utilbill.demo_data), then runs the day's steps of every area in
order (utilbill.demo_steps.DAY_ORDER): the bill run and late charges, final bills and a
payoff, review and printed bills, notices and the turn-off list, the day's payment batches
and the daily cash workbook, the Excel templates, and the integrity check. Prints what was
done and which files to open.
"""

from __future__ import annotations

import importlib
import shutil
import time
import traceback
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

from .business_days import BusinessCalendar
from .demo_steps import DAY_ORDER, DemoReport
from .home import init_folder

MARKER = ".utilbill-demo"


def demo_day(calendar: BusinessCalendar, today: date | None = None) -> date:
    """The last business day on or before today."""
    d = today or date.today()
    while not calendar.is_business_day(d):
        d -= timedelta(days=1)
    return d


@dataclass
class DemoResult:
    root: Path
    day: date
    counts: dict
    report: DemoReport
    failures: list[tuple[str, str]] = field(default_factory=list)  # (area, traceback)
    seconds: dict[str, float] = field(default_factory=dict)


def prepare_folder(root: Path, force: bool) -> None:
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise FileExistsError(f"{root} exists and is not a demo folder; choose another --dir")
        if not force:
            raise FileExistsError(f"{root} already holds a demo utility; use --force to build it again")
        shutil.rmtree(root)


def run_demo(root: Path, *, accounts: int = 2000, seed: int = 2026, day: date | None = None,
             force: bool = False, steps: tuple[str, ...] = DAY_ORDER,
             progress: Callable[[str, int, int], None] | None = None,
             status: Callable[[str], None] | None = None) -> DemoResult:
    from .demo_data import generate

    root = Path(root)
    prepare_folder(root, force)
    u = init_folder(root, name="Sample City Water & Wastewater")
    (root / MARKER).write_text("This folder was made by 'utilbill demo'; it may be rebuilt with --force.\n")
    day = day or demo_day(u.policy.calendar)
    say = status or (lambda _m: None)
    t0 = time.perf_counter()
    say(f"generating {accounts:,} accounts with 24 months of history")
    counts = generate(u, accounts=accounts, seed=seed, day=day, progress=progress)
    result = DemoResult(root, day, counts, DemoReport())
    result.seconds["generate"] = time.perf_counter() - t0
    for area in steps:
        try:
            mod = importlib.import_module(f"utilbill.demo_steps.{area}")
        except ModuleNotFoundError as e:
            if e.name == f"utilbill.demo_steps.{area}":
                continue
            raise
        say(f"business day: {area}")
        result.report.area = area
        t = time.perf_counter()
        try:
            mod.run(u, day, result.report)
        except Exception:  # a failed step is reported, and the demo exits non-zero
            result.failures.append((area, traceback.format_exc()))
        result.seconds[area] = time.perf_counter() - t
    return result
