"""Which utility a worksheet function works for, opened once per process.

Excel recalculates cells many times a minute; opening the utility folder (configuration,
rates, the store) for every cell would be slow. This module opens it once per Python
process and keeps it, and opens it again when the configuration or the rate file has changed
since (so a cell never prices on yesterday's rates); the store is read afresh by every
call, so a cell always sees the latest postings.

How the folder is found (docs/excel.md): the ``UTILBILL_HOME`` environment variable (the
desktop add-in copies its config-sheet row ``UTILBILL_HOME`` into it when Excel loads the
add-in; the xlwings Server process has it in its environment), else the current folder
and its parents, as the command line does. Functions that only need the rules
(PRORATE, BILL_LINES, DUE_DATE, ...) fall back to the shipped example configuration when
no folder is found; functions that read accounts need the folder and say so.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from utilbill.config import Policy, example_policy
from utilbill.home import CONFIG_FILE, RATES_FILE, NoUtilityFolder, Utility, find_folder
from utilbill.rates import RateBook, example_rates

from ._convert import ExcelArgError

_lock = threading.Lock()
_cached: dict[str, object] = {}


@dataclass(frozen=True)
class Rules:
    """The policy and rates a function computes with, and where they came from."""

    policy: Policy
    rates: RateBook
    source: str  # the utility folder, or "example configuration"


def _stamp(root: Path) -> tuple:
    """Modification times of the files a cached utility loaded once (the store needs no
    stamp: every read is its own transaction and sees the latest postings)."""
    out = []
    for name in (CONFIG_FILE, RATES_FILE):
        p = root / name
        out.append(p.stat().st_mtime_ns if p.exists() else None)
    return tuple(out)


def _find_root() -> Path | None:
    try:
        return find_folder(home=os.environ.get("UTILBILL_HOME") or None).resolve()
    except NoUtilityFolder:
        return None


def utility() -> Utility:
    """The utility folder's opened Utility (cached; reopened when its files changed)."""
    root = _find_root()
    if root is None:
        raise ExcelArgError("no utility folder: set UTILBILL_HOME (add-in config sheet row or environment)",
                            code="#N/A")
    stamp = _stamp(root)
    with _lock:
        cached = _cached.get("utility")
        if cached is not None and cached[0] == root and cached[1] == stamp:
            return cached[2]
        u = Utility(root)
        u.policy, u.rates  # load now: a bad configuration fails here, once
        _cached["utility"] = (root, stamp, u)
        return u


def rules() -> Rules:
    """The utility's policy and rates when a folder is found, else the shipped example's."""
    root = _find_root()
    if root is not None:
        u = utility()
        return Rules(u.policy, u.rates, str(root))
    with _lock:
        if "example" not in _cached:
            _cached["example"] = Rules(example_policy(), example_rates(), "example configuration")
        return _cached["example"]


def forget() -> None:
    """Drop the cached utility (tests switch folders; the next call opens afresh)."""
    with _lock:
        _cached.clear()
