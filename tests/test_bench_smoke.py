"""The benchmark harness works (bench/run.py): the smallest case in quick mode, one
repetition, writes JSON of the documented shape. Speed is never asserted here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_arithmetic_case_writes_the_json_shape(tmp_path):
    out = tmp_path / "bench.json"
    r = subprocess.run([sys.executable, "-m", "bench.run", "--quick", "--cases", "arithmetic", "--sizes", "2000",
                        "--repeats", "1", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["mode"] == "quick" and report["repeats"] == 1
    assert {"cpu", "cores", "memory", "python", "load_at_start", "load_at_end"} <= set(report["machine"])
    [case] = report["cases"]
    assert case["case"] == "arithmetic" and case["size"] == 2000
    assert set(case["variants"]) == {"kernel", "price_columns", "compute_vector"}
    for stats in case["variants"].values():
        for key in ("wall", "cpu", "peak_rss_mb"):
            assert set(stats[key]) == {"median", "min", "max", "samples"} and len(stats[key]["samples"]) == 1
            assert stats[key]["min"] <= stats[key]["median"] <= stats[key]["max"]
    assert {"min", "max"} == set(case["load_1min"])
    names = [r["name"] for r in case["ratios"]]
    assert any("bare numpy kernel" in n for n in names)
    assert all({"name", "value", "target", "met"} == set(r) for r in case["ratios"])
    # the engine's cents equal the bare kernel's on every row, and the Decimal reference on the sample
    assert case["variants"]["price_columns"]["info"]["equal_to_kernel_every_row"] is True
    assert case["variants"]["compute_vector"]["info"]["reference_mismatches"] == 0
    assert "| arithmetic | 2,000 | kernel |" in r.stdout
