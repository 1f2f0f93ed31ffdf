"""The utility folder: configuration, rates, the store, outputs and backups in one place.

`utilbill init DIR` creates it; every command finds it the way git finds a repository: the
`--home` option, else the UTILBILL_HOME environment variable, else the current directory and
its parents (the first one holding `utility.yaml`).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Callable

from .config import EXAMPLE_DIR, Policy, load_policy
from .rates import RateBook, load_rates

CONFIG_FILE = "utility.yaml"
RATES_FILE = "rates.yaml"
STORE_FILE = "utilbill.db"
ENV_VAR = "UTILBILL_HOME"


class NoUtilityFolder(RuntimeError):
    pass


@dataclass
class Utility:
    """An opened utility folder."""

    root: Path
    clerk: str | None = None

    @cached_property
    def policy(self) -> Policy:
        return load_policy(self.root / CONFIG_FILE)

    @cached_property
    def rates(self) -> RateBook:
        return load_rates(self.root / RATES_FILE)

    @property
    def store_path(self) -> Path:
        return self.root / STORE_FILE

    @cached_property
    def store(self):
        from .store import create_sqlite_store, open_store

        clerk = self.clerk or os.environ.get("UTILBILL_CLERK") or self.policy.utility.clerk_id
        url = self.policy.store.url
        if url:
            return open_store(url, clerk=clerk)
        if self.store_path.exists():
            return open_store(self.store_path, clerk=clerk)
        return create_sqlite_store(self.store_path, clerk=clerk)

    def out_dir(self, *parts: str) -> Path:
        d = self.root.joinpath("output", *parts)
        d.mkdir(parents=True, exist_ok=True)
        return d

    @property
    def backup_dir(self) -> Path:
        d = self.root / "backups"
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o700)
        return d

    def backup(self, reason: str, *, on_snapshot: Callable[[], None] | None = None) -> Path | None:
        """Back the SQLite store up now (an online backup, safe while clerks work) into
        backups/, keeping the newest `store.backups_keep`. None for a database server."""
        if self.policy.store.url or not self.store_path.exists():
            return None
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in reason)[:40]
        dest = self.store.backup(self.backup_dir / f"utilbill-{stamp}-{safe}.db", on_snapshot=on_snapshot)
        keep = self.policy.store.backups_keep
        backups = sorted(self.backup_dir.glob("utilbill-*.db"))
        for old in backups[:-keep] if keep > 0 else []:
            old.unlink()
        return dest

    def backup_before(self, reason: str, *, bulk: bool,
                      on_snapshot: Callable[[], None] | None = None) -> Path | None:
        """The backup a posting job makes first, as `store:` in utility.yaml says: a bulk job
        (bill run, import, late charges) always, unless `backup_before_bulk` is off; a
        per-transaction job (a payment batch, a final bill, an adjustment) only when the newest
        backup is older than `backup_interval_minutes`: every transaction is all-or-nothing
        anyway, and a 2 GB store takes seconds to copy."""
        cfg = self.policy.store
        if cfg.url or not self.store_path.exists():
            return None
        if bulk and cfg.backup_before_bulk:
            return self.backup(reason, on_snapshot=on_snapshot)
        newest = max((p.stat().st_mtime for p in self.backup_dir.glob("utilbill-*.db")), default=None)
        if newest is not None and time.time() - newest < cfg.backup_interval_minutes * 60:
            return None
        return self.backup(reason, on_snapshot=on_snapshot)

    def backup_in_background(self, reason: str, *, bulk: bool) -> "BackgroundBackup":
        """`backup_before` on a thread, so a job reads and computes while the store is copied
        (SQLite's backup copies a consistent snapshot without holding up writers). The job
        calls `.wait_for_snapshot()` before it starts reading, and `.wait()` before it posts."""
        return BackgroundBackup(lambda on_snapshot: self.backup_before(reason, bulk=bulk, on_snapshot=on_snapshot))


class BackgroundBackup:
    def __init__(self, make):
        import threading

        self.path: Path | None = None
        self._error: BaseException | None = None
        self._snapshot = threading.Event()

        def run():
            try:
                self.path = make(self._snapshot.set)
            except BaseException as e:  # handed to the job by wait()
                self._error = e
            finally:
                self._snapshot.set()

        self._thread = threading.Thread(target=run, name="utilbill-backup", daemon=True)
        self._thread.start()

    def wait_for_snapshot(self, timeout: float = 5.0) -> None:
        """Until the state being copied is fixed (or no backup is being made)."""
        self._snapshot.wait(timeout)

    def wait(self) -> Path | None:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self.path


def init_folder(root: Path, *, name: str | None = None, force: bool = False) -> Utility:
    """Create a utility folder with the example configuration and an empty store."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    cfg = root / CONFIG_FILE
    if cfg.exists() and not force:
        raise FileExistsError(f"{root} is already a utility folder ({cfg} exists)")
    text = (EXAMPLE_DIR / CONFIG_FILE).read_text(encoding="utf-8")
    if name:
        text = text.replace('name: "Sample City Water & Wastewater"', f'name: "{name}"', 1)
    cfg.write_text(text, encoding="utf-8")
    shutil.copyfile(EXAMPLE_DIR / RATES_FILE, root / RATES_FILE)
    for sub in ("input", "output", "backups"):
        (root / sub).mkdir(exist_ok=True)
    os.chmod(root / "backups", 0o700)
    u = Utility(root)
    u.policy  # fail now on a bad config
    u.rates
    u.store
    return u


def find_folder(start: Path | None = None, home: str | Path | None = None) -> Path:
    if home:
        p = Path(home)
        if not (p / CONFIG_FILE).exists():
            raise NoUtilityFolder(f"{p} is not a utility folder (no {CONFIG_FILE}); create one with 'utilbill init {p}'")
        return p
    env = os.environ.get(ENV_VAR)
    if env:
        return find_folder(home=env)
    here = Path(start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / CONFIG_FILE).exists():
            return d
    raise NoUtilityFolder(
        f"no utility folder found from {here} upward; use --home DIR, set {ENV_VAR}, or run 'utilbill init DIR'")


def open_utility(home: str | Path | None = None, *, clerk: str | None = None) -> Utility:
    return Utility(find_folder(home=home), clerk=clerk)
