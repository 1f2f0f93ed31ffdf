"""Concurrent clerks: several processes post on the same SQLite store at once (WAL, busy
timeout, BEGIN IMMEDIATE, retries) while a bill run posts too. Nothing is lost and nothing is
doubled: the store holds exactly what each process says it posted, count and sum, and no
process ever sees "database is locked"."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from books import DAY, bulk_utility, count, readings_file
from utilbill.integrity import check_store

CLERK = textwrap.dedent("""
    import json, random, sys
    from datetime import date
    from decimal import Decimal
    from utilbill.home import open_utility
    from utilbill.store import repo

    home, name, transactions, per = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    u = open_utility(home, clerk=name)
    rng = random.Random(name)
    posted, total = 0, 0
    for t in range(transactions):
        with u.store.write() as conn:  # one transaction per little batch, as a clerk's job does
            cents = []
            for k in range(per):
                c = rng.randint(-5000, 5000) or 1
                repo.post(conn, u.store, account_no=f"20-{rng.randrange(ACCOUNTS):05d}", kind="adjustment",
                          amount=Decimal(c) / 100, effective_date=date(2026, 3, 16), reason_code="test",
                          memo=f"{name} {t}/{k}", idem_key=f"{name}:{t}:{k}")
                cents.append(c)
        posted += len(cents)  # counted only once the transaction has committed
        total += sum(cents)
    print(json.dumps({"clerk": name, "posted": posted, "cents": total}))
""")


def test_three_clerks_and_a_bill_run_post_at_once_and_nothing_is_lost_or_doubled(tmp_path):
    n_accounts = 800
    u = bulk_utility(tmp_path / "utility", n_accounts)
    u.store.dispose()
    readings = readings_file(tmp_path / "readings.xlsx",
                             [(f"20-{i:05d}", DAY, 1000 + i % 50 + 7, "actual") for i in range(n_accounts)])
    script = CLERK.replace("ACCOUNTS", str(n_accounts))
    clerks = [subprocess.Popen([sys.executable, "-c", script, str(u.root), name, "30", "25"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for name in ("clerk-a", "clerk-b", "clerk-c")]
    run = subprocess.Popen([sys.executable, "-m", "utilbill.cli", "bill-run", str(readings), "--date", "2026-03-16",
                            "--home", str(u.root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reports = []
    for p in clerks:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        assert "locked" not in err.lower()
        reports.append(json.loads(out.strip().splitlines()[-1]))
    out, err = run.communicate(timeout=600)
    assert run.returncode == 0, err
    assert "locked" not in (out + err).lower()
    for r in reports:  # 30 transactions x 25 postings each
        assert r["posted"] == 750
        n, cents = count(u.store_path, f"SELECT count(*), coalesce(sum(amount_cents), 0) FROM postings "
                                       f"WHERE clerk = '{r['clerk']}' AND kind = 'adjustment'")
        assert (n, cents) == (r["posted"], r["cents"])
        audited = count(u.store_path, f"SELECT count(*) FROM audit_log WHERE clerk = '{r['clerk']}' "
                                      f"AND action = 'post:adjustment'")[0]
        assert audited == r["posted"]  # every posting has its audit entry, none twice
    bills, bill_postings, bill_cents = count(u.store_path, "SELECT (SELECT count(*) FROM bills), count(*), "
                                                           "sum(amount_cents) FROM postings WHERE kind = 'bill'")
    assert bills == bill_postings == n_accounts
    assert bill_cents == count(u.store_path, "SELECT sum(total_cents) FROM bills")[0]
    assert count(u.store_path, "SELECT count(*) FROM postings")[0] == 3 * 750 + n_accounts
    report = check_store(u.store, deep=True)
    assert report.ok, [str(f) for f in report.findings[:10]]
