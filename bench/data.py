"""The benchmarks' data, generated once and cached: sample utilities made by the demo
generator (utilbill.demo_data.generate) keyed by (accounts, seed), and the files the cases
read (a readings workbook for every account, the all-Excel formula workbook).

The cache lives in bench/cache/ (or $UTILBILL_BENCH_CACHE). A folder's name carries a short
hash of the generator's source and the example configuration, so a changed generator makes
a new store instead of benchmarking a stale one. Cases that post work on a copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("UTILBILL_BENCH_CACHE") or ROOT / "bench" / "cache")
DAY = date(2026, 11, 25)  # a business day; the history ends the day before
SEED = 2026


def generator_stamp() -> str:
    """A short hash of what decides the generated data: the generator's source and the
    example configuration, less the `store:` section (where the store lives and how it is
    backed up do not change a single generated row)."""
    import yaml

    h = hashlib.sha256()
    h.update((ROOT / "utilbill" / "demo_data.py").read_bytes())
    for p in sorted((ROOT / "utilbill" / "example").glob("*.yaml")):
        doc = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        if isinstance(doc, dict):
            doc.pop("store", None)
        h.update(p.name.encode() + json.dumps(doc, sort_keys=True, default=str).encode())
    return h.hexdigest()[:8]


def store_dir(accounts: int, seed: int = SEED) -> Path:
    return CACHE / f"store-{accounts}-s{seed}-{generator_stamp()}"


def ensure_store(accounts: int, seed: int = SEED, say=print) -> Path:
    """The cached generated utility folder for (accounts, seed); generated when missing."""
    d = store_dir(accounts, seed)
    if (d / "generated.json").exists():
        migrate_cached(d)
        return d
    from utilbill.demo_data import generate
    from utilbill.home import init_folder

    tmp = d.with_name(d.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    say(f"generating a sample utility of {accounts:,} accounts (seed {seed}) into {d} ...")
    t = time.perf_counter()
    c0 = time.process_time()
    u = init_folder(tmp, name="Sample City Water & Wastewater")
    counts = generate(u, accounts=accounts, seed=seed, day=DAY)
    u.store.dispose()
    info = {"accounts": accounts, "seed": seed, "day": DAY.isoformat(), "counts": counts,
            "seconds": round(time.perf_counter() - t, 1), "cpu_seconds": round(time.process_time() - c0, 1),
            "db_bytes": (tmp / "utilbill.db").stat().st_size}
    (tmp / "generated.json").write_text(json.dumps(info, indent=1))
    shutil.rmtree(d, ignore_errors=True)
    tmp.rename(d)
    say(f"generated in {info['seconds']} s ({info['cpu_seconds']} s CPU): {counts}")
    return d


def migrate_cached(folder: Path) -> None:
    """Bring a cached store to the newest schema once, so the copies the cases time do not
    each rebuild an index (a migration at 100,000 accounts takes seconds)."""
    from utilbill.store.db import open_store

    if (folder / "utilbill.db").exists():
        open_store(folder / "utilbill.db").dispose()


def generated_info(accounts: int, seed: int = SEED) -> dict:
    return json.loads((store_dir(accounts, seed) / "generated.json").read_text())


def working_copy(src: Path, dest: Path):
    """A fresh copy of a cached utility folder (without its backups), opened."""
    from utilbill.home import open_utility

    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("backups", "*.xlsx", "*.partial"))
    for extra in ("utilbill.db-wal", "utilbill.db-shm"):
        (dest / extra).unlink(missing_ok=True)
    u = open_utility(dest)
    u.store  # opened (and brought to the newest schema) before any clock starts, as the CLI does
    return u


def scratch(name: str) -> Path:
    d = CACHE / "work" / f"{name}-{os.getpid()}"
    shutil.rmtree(d, ignore_errors=True)
    d.parent.mkdir(parents=True, exist_ok=True)
    return d
