"""The same jobs on a PostgreSQL store give what they give on SQLite.

A throwaway server (tests/pg_server.py) holds the store of a sample utility; the demo's
business day (bill run, special bills, collections, cash with suspense decisions, Excel
templates, integrity check and audit) runs on it and, from the same seed, on a SQLite store.
Every line the day reports must be the same, and so must the books (postings, bills, notices,
batches). Missing server programs or driver skip this on a developer's machine and fail it
in CI (CI=true), where the test command installs them.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import text

import pg_server
from utilbill.demo import DAY_ORDER, demo_day
from utilbill.demo_data import generate
from utilbill.demo_steps import DemoReport
from utilbill.home import Utility, init_folder

ACCOUNTS = 150


@pytest.fixture(scope="module")
def postgres_url():
    why = pg_server.missing()
    if why:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(why)
        pytest.skip(why)
    with pg_server.server() as url:
        yield url


def _day(root: Path, url: str | None) -> tuple[list[tuple[str, str]], dict]:
    u = init_folder(root, name="Sample City")
    if url:
        cfg = root / "utility.yaml"
        cfg.write_text(cfg.read_text().replace("  url: null", f"  url: '{url}'"))
        u = Utility(root)
    day = demo_day(u.policy.calendar)
    generate(u, accounts=ACCOUNTS, seed=7, day=day)
    report = DemoReport()
    for area in DAY_ORDER:
        report.area = area
        importlib.import_module(f"utilbill.demo_steps.{area}").run(u, day, report)
    with u.store.read() as conn:
        books = {sql: conn.execute(text(sql)).one() for sql in (
            "SELECT count(*), sum(amount_cents), sum(CASE WHEN amount_cents < 0 THEN amount_cents END) FROM postings",
            "SELECT count(*), sum(total_cents) FROM bills",
            "SELECT count(*), sum(amount_cents) FROM notices WHERE status = 'active'",
            "SELECT count(*), sum(total_cents) FROM payment_batches",
            "SELECT count(*), sum(amount_cents) FROM payment_resolutions",
        )}
    u.store.dispose()
    seconds = re.compile(r" in \d+(\.\d+)? s\b")  # how long a step took
    return [(area, seconds.sub(" in <t> s", line.replace(str(root), "<folder>"))) for area, line in report.lines], books


def test_the_demo_day_on_postgresql_reports_and_books_what_sqlite_does(postgres_url, tmp_path):
    pg_lines, pg_books = _day(tmp_path / "pg", postgres_url)
    sq_lines, sq_books = _day(tmp_path / "sqlite", None)
    assert pg_lines == sq_lines
    assert pg_books == sq_books
    assert any("Integrity check passed" in line for _, line in pg_lines)
    assert any("applied to" in line for _, line in pg_lines)  # the suspense decision ran too
