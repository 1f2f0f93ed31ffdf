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


def _stamp(watched: tuple[str, ...]) -> tuple:
    """Modification times of the files a cached utility loaded once (the store needs no
    stamp: every read is its own transaction and sees the latest postings)."""
    out = []
    for path in watched:
        try:
            out.append(os.stat(path).st_mtime_ns)
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


# Where the folder is, kept a few seconds per (UTILBILL_HOME, current folder): finding it walks
# up the folder tree and resolves links, which cost ten times a function's own arithmetic when
# done on every cell (bench/: PRORATE went from ~500 us a call to ~60). The configuration and
# rate files' times are still looked at on every call, so a rate change is seen at once.
ROOT_TTL_SECONDS = 2.0
# (UTILBILL_HOME, current folder) -> (when found, the folder or None, its watched files' paths)
_roots: dict[tuple, tuple[float, Path | None, tuple[str, ...]]] = {}


def _locate() -> tuple[Path | None, tuple[str, ...]]:
    """The utility folder (None when there is none) and the paths of the files to watch."""
    key = (os.environ.get("UTILBILL_HOME") or None, os.getcwd())
    now = time.monotonic()
    hit = _roots.get(key)
    if hit is not None and now - hit[0] < ROOT_TTL_SECONDS:
        return hit[1], hit[2]
    try:
        root = find_folder(home=key[0]).resolve()
    except NoUtilityFolder:
        root = None
    if hit is not None and hit[1] == root:
        root = hit[1]  # the same folder object again: rules() then recognises it by identity
    watched = () if root is None else tuple(os.path.join(root, name) for name in (CONFIG_FILE, RATES_FILE))
    _roots[key] = (now, root, watched)
    return root, watched


def utility(root: Path | None = None) -> Utility:
    """The utility folder's opened Utility (cached; reopened when its files changed)."""
    if root is None:
        root, watched = _locate()
    else:
        watched = tuple(os.path.join(root, name) for name in (CONFIG_FILE, RATES_FILE))
    if root is None:
        raise ExcelArgError("no utility folder: set UTILBILL_HOME (add-in config sheet row or environment)",
                            code="#N/A")
    return _opened(root, _stamp(watched))


def _opened(root: Path, stamp: tuple) -> Utility:
    with _lock:
        cached = _cached.get("utility")
        if cached is not None and cached[0] == root and cached[1] == stamp:
            return cached[2]
        u = Utility(root)
        u.policy, u.rates  # load now: a bad configuration fails here, once
        _cached["utility"] = (root, stamp, u)
        return u


def rules() -> Rules:
    """The utility's policy and rates when a folder is found, else the shipped example's.

    Runs on every cell of PRORATE, ARRANGEMENT_SCHEDULE, ...: when the folder and its files'
    times are those of the last call, the same Rules come back without taking the lock."""
    root, watched = _locate()
    if root is not None:
        stamp = _stamp(watched)
        last = _cached.get("rules")
        if last is not None and (last[0] is root or last[0] == root) and last[1] == stamp:
            return last[2]
        u = _opened(root, stamp)
        with _lock:
            last = _cached.get("rules")
            if last is None or last[0] != root or last[1] != stamp:
                last = _cached["rules"] = (root, stamp, Rules(u.policy, u.rates, str(root)))
        return last[2]
    example = _cached.get("example")
    if example is not None:
        return example
    with _lock:
        if "example" not in _cached:
            _cached["example"] = Rules(example_policy(), example_rates(), "example configuration")
        return _cached["example"]


def forget() -> None:
    """Drop the cached utility (tests switch folders; the next call opens afresh)."""
    with _lock:
        _cached.clear()
        _roots.clear()
