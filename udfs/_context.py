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
import time
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
        try:
            out.append(os.stat(os.path.join(root, name)).st_mtime_ns)
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


# Where the folder is, kept a few seconds per (UTILBILL_HOME, current folder): finding it walks
# up the folder tree and resolves links, which cost ten times a function's own arithmetic when
# done on every cell (bench/: PRORATE went from ~500 us a call to ~60). The configuration and
# rate files' times are still looked at on every call, so a rate change is seen at once.
ROOT_TTL_SECONDS = 2.0
_roots: dict[tuple, tuple[float, Path | None]] = {}


def _find_root() -> Path | None:
    key = (os.environ.get("UTILBILL_HOME") or None, os.getcwd())
    now = time.monotonic()
    hit = _roots.get(key)
    if hit is not None and now - hit[0] < ROOT_TTL_SECONDS:
        return hit[1]
    try:
        root = find_folder(home=key[0]).resolve()
    except NoUtilityFolder:
        root = None
    _roots[key] = (now, root)
    return root


def utility(root: Path | None = None) -> Utility:
    """The utility folder's opened Utility (cached; reopened when its files changed)."""
    root = root or _find_root()
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
        u = utility(root)
        with _lock:
            cached = _cached.get("rules")
            if cached is None or cached[0] is not u:
                cached = _cached["rules"] = (u, Rules(u.policy, u.rates, str(root)))
        return cached[1]
    with _lock:
        if "example" not in _cached:
            _cached["example"] = Rules(example_policy(), example_rates(), "example configuration")
        return _cached["example"]


def forget() -> None:
    """Drop the cached utility (tests switch folders; the next call opens afresh)."""
    with _lock:
        _cached.clear()
        _roots.clear()
