"""Crash safety: a posting job killed with SIGKILL (no cleanup, as a power cut or a killed
Excel does) at several moments leaves a store that `utilbill check` passes, with the run
either fully posted or not at all; the output workbook is never half-written under its final
name; the input file is untouched; and the store was backed up before posting, keeping the
newest `store.backups_keep`."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from books import DAY, batch_file, bulk_utility, count, readings_file
from utilbill.home import Utility
from utilbill.integrity import check_store

N = 2000  # accounts billed (the vectorized bill run starts at 2,000)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash")
    u = bulk_utility(root / "utility", N)
    u.store.dispose()
    readings = readings_file(root / "readings.xlsx",
                             [(f"20-{i:05d}", DAY, 1000 + i % 50 + 5 + i % 30, "actual") for i in range(N)])
    batch = batch_file(root / "batch.xlsx", [(f"20-{i:05d}", f"{10 + i % 90}.{i % 100:02d}", "check", str(5000 + i))
                                             for i in range(N)])
    return root, readings, batch


def _copy(template, name: str) -> Utility:
    root = template[0]
    dest = root / name
    shutil.copytree(root / "utility", dest)
    return Utility(dest)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run_and_kill(argv: list[str], u: Utility, trigger: str, delay: float) -> int | None:
    """Start the command in its own process; SIGKILL it `delay` seconds after `trigger`
    ("start", or "backup": once the pre-posting backup file exists). Returns its exit code
    when it finished before the kill, else None."""
    proc = subprocess.Popen([sys.executable, "-m", "utilbill.cli", *argv, "--home", str(u.root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.monotonic()
    while trigger == "backup" and not list((u.root / "backups").glob("utilbill-*.db")):
        if proc.poll() is not None:
            return proc.returncode
        if time.monotonic() - t0 > 120:
            proc.kill()
            raise AssertionError("the job never made its backup")
        time.sleep(0.005)
    time.sleep(delay)
    if proc.poll() is not None:
        return proc.returncode
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return None


def _assert_consistent(u: Utility) -> None:
    report = check_store(u.store, deep=True)
    assert report.ok, [str(f) for f in report.findings[:10]]
    u.store.dispose()


KILLS = [("start", 0.8), ("backup", 0.0), ("backup", 0.3), ("backup", 1.5)]


@pytest.mark.parametrize("trigger,delay", KILLS)
def test_bill_run_killed_is_all_or_nothing_and_leaves_no_half_workbook(template, trigger, delay):
    _, readings, _ = template
    u = _copy(template, f"bill-{trigger}-{delay}")
    before = _sha(readings)
    out = u.root / "output" / "bills" / "Bills-2026-03-16.xlsx"
    code = _run_and_kill(["bill-run", str(readings), "--date", "2026-03-16"], u, trigger, delay)
    assert code in (None, 0)
    _assert_consistent(u)
    bills, postings, jobs = count(u.store_path, "SELECT (SELECT count(*) FROM bills), (SELECT count(*) FROM postings),"
                                                " (SELECT count(*) FROM jobs)")
    assert (bills, postings, jobs) in ((0, 0, 0), (N, N, 1)), (bills, postings, jobs)
    reads = count(u.store_path, "SELECT count(*) FROM reads")[0]
    assert reads == N + (N if bills else 0)  # the run's reads are posted with its bills, or not at all
    assert _sha(readings) == before  # the input is never written
    if out.exists():  # a workbook under its final name is always a whole one
        wb = load_workbook(out, read_only=True)
        assert wb["Bills"].max_row >= N
    if bills == 0:  # killed before the commit: the backup was taken before anything was posted
        assert not out.exists()
    print(f"killed at {trigger}+{delay}s: {'posted' if bills else 'nothing posted'}, exit {code}")
    if (trigger, delay) != ("backup", 0.0):
        return
    # run again to the end: the killed run's bills are posted exactly once
    done = subprocess.run([sys.executable, "-m", "utilbill.cli", "bill-run", str(readings), "--date", "2026-03-16",
                           "--home", str(u.root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert count(u.store_path, "SELECT count(*) FROM bills")[0] == N
    _assert_consistent(u)
    backups = sorted((u.root / "backups").glob("utilbill-*.db"))
    assert backups, "posting runs back the store up first"
    first = backups[0]  # taken before the killed run posted: it holds no bills
    assert count(first, "SELECT count(*) FROM bills")[0] == 0


@pytest.mark.parametrize("delay", [0.0, 0.3])
def test_payment_batch_killed_is_all_or_nothing(template, delay):
    _, _, batch = template
    u = _copy(template, f"pay-{delay}")
    before = _sha(batch)
    code = _run_and_kill(["payments", "post", str(batch), "--source", "mail"], u, "backup", delay)
    assert code in (None, 0)
    _assert_consistent(u)
    batches, payments, items = count(u.store_path, "SELECT (SELECT count(*) FROM payment_batches), "
                                                   "(SELECT count(*) FROM postings), (SELECT count(*) FROM payment_items)")
    assert (batches, payments, items) in ((0, 0, 0), (1, N, N)), (batches, payments, items)
    assert _sha(batch) == before


def test_backups_keep_the_newest_n_and_are_owner_only(template):
    _, readings, _ = template
    u = _copy(template, "keep")
    cfg = u.root / "utility.yaml"
    cfg.write_text(cfg.read_text().replace("backups_keep: 10", "backups_keep: 2"))
    for i in range(4):
        made = Utility(u.root).backup(f"run-{i}")
        assert made.exists()
    kept = sorted((u.root / "backups").glob("utilbill-*.db"))
    assert [p.name.rsplit("-", 1)[-1] for p in kept] == ["2.db", "3.db"]  # the newest two
    for p in [u.store_path, *kept]:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert stat.S_IMODE((u.root / "backups").stat().st_mode) == 0o700
    assert date(2026, 3, 16) == DAY and readings.exists()
