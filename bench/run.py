"""Run the benchmarks: `python -m bench.run [--quick] [--cases a,b] [--out bench/results/latest.json]`.

Every timed repetition runs in its own Python process (`--child`), so its peak memory
(ru_maxrss, read with os.wait4) and CPU time are its own; the variants of a case alternate
repetition by repetition, so the ratios compare runs made under the same load. The machine
is shared: the load average (os.getloadavg) is recorded before and after each repetition,
and the JSON has CPU seconds beside the wall seconds. Prints a table; writes JSON. Speed is
never asserted (tests/test_bench_smoke.py checks only the JSON's shape).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench import data
from bench.cases import CASES

REPEATS = {"full": 3, "quick": 2}


def _stats(values: list[float]) -> dict:
    return {"median": round(statistics.median(values), 4), "min": round(min(values), 4),
            "max": round(max(values), 4), "samples": [round(v, 4) for v in values]}


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    lo = ""
    try:
        from utilbill.recalc import soffice_path

        exe = soffice_path()
        if exe:
            lo = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception:  # the version is informative only
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "platform": platform.platform(),
            "python": platform.python_version(), "libreoffice": lo, "load_at_start": os.getloadavg()}


def run_child(args: list[str], timeout: float) -> tuple[dict, dict]:
    """Run `python -m bench.run --child ...`; (its JSON result, its own rusage figures)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    load0 = os.getloadavg()
    cmd = [sys.executable, "-m", "bench.run", "--child", *args, "--result", str(out)]
    proc = subprocess.Popen(cmd, cwd=data.ROOT)
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            raise RuntimeError(f"{' '.join(args)} took more than {timeout:.0f} s")
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    try:
        if proc.returncode != 0:
            raise RuntimeError(f"benchmark child {' '.join(args)} failed (exit {proc.returncode})")
        result = json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)
    own = {"peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "process_cpu": usage.ru_utime + usage.ru_stime,
           "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in os.getloadavg()]}
    return result, own


def child(spec: str, size: int, result_path: Path) -> None:
    """One prepare or one timed repetition, in this process."""
    import resource

    case, _, variant = spec.partition(":")
    mod = importlib.import_module(f"bench.cases.{case}")
    if variant == "prepare":
        getattr(mod, "prepare", lambda s, c: None)(size, {})
        result_path.write_text("{}")
        return
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0 = time.process_time()
    res = mod.VARIANTS[variant](size, {})
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    res["cpu_seconds"] = (time.process_time() - c0 + (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    result_path.write_text(json.dumps(res, default=str))


def run_case(name: str, mode: str, repeats: int, say, sizes: list[int] | None, done: dict) -> list[dict]:
    mod = importlib.import_module(f"bench.cases.{name}")
    out = []
    for size in sizes or mod.SIZES[mode]:
        say(f"[{name} @ {size:,}] preparing (cached after the first run)")
        run_child([f"{name}:prepare", "--size", str(size)], timeout=6 * 3600)
        samples: dict[str, list] = {v: [] for v in mod.VARIANTS}
        loads = []
        for rep in range(repeats):
            for variant in mod.VARIANTS:
                res, own = run_child([f"{name}:{variant}", "--size", str(size)], timeout=3600)
                res.update(own)
                samples[variant].append(res)
                loads += [own["load_before"][0], own["load_after"][0]]
                say(f"[{name} @ {size:,}] {variant} #{rep + 1}: {res['seconds']:.3f} s wall, "
                    f"{res['cpu_seconds']:.2f} s CPU, peak {own['peak_rss_mb']:.0f} MB, load {own['load_before'][0]:.1f}")
        stats = {}
        for variant, rs in samples.items():
            s = {"wall": _stats([r["seconds"] for r in rs]), "cpu": _stats([r["cpu_seconds"] for r in rs]),
                 "peak_rss_mb": _stats([r["peak_rss_mb"] for r in rs]), "info": rs[-1].get("info", {})}
            phases = [r.get("phases") for r in rs if r.get("phases")]
            if phases:
                s["phases_median"] = {k: round(statistics.median(p.get(k, 0.0) for p in phases), 4)
                                      for k in phases[0]}
            calls = [r.get("per_call_us") for r in rs if r.get("per_call_us")]
            if calls:
                s["per_call_us"] = {k: _stats([c[k]["median"] for c in calls]) for k in calls[0]}
            stats[variant] = s
        entry = {"case": name, "title": mod.TITLE, "size": size, "repeats": repeats, "variants": stats,
                 "load_1min": {"min": min(loads), "max": max(loads)}}
        entry["ratios"] = mod.ratios(stats, size, done)
        done.setdefault(name, {})[size] = entry
        out.append(entry)
    return out


def growth(entries: list[dict]) -> list[dict]:
    """How each variant's median time grows with the number of accounts."""
    out = []
    by_case: dict[str, list[dict]] = {}
    for e in entries:
        by_case.setdefault(e["case"], []).append(e)
    for case, es in by_case.items():
        es = sorted(es, key=lambda e: e["size"])
        for a, b in zip(es, es[1:]):
            for v in a["variants"]:
                if v in b["variants"] and a["variants"][v]["wall"]["median"] > 0:
                    t0, t1 = a["variants"][v]["wall"]["median"], b["variants"][v]["wall"]["median"]
                    out.append({"case": case, "variant": v, "from": a["size"], "to": b["size"],
                                "time_ratio": round(t1 / t0, 2), "size_ratio": b["size"] / a["size"],
                                "peak_mb": [a["variants"][v]["peak_rss_mb"]["median"],
                                            b["variants"][v]["peak_rss_mb"]["median"]]})
    return out


def table(report: dict) -> str:
    lines = [f"Machine: {report['machine']['cpu']}, {report['machine']['cores']} cores, "
             f"{report['machine']['memory']}; Python {report['machine']['python']}; load at start "
             f"{report['machine']['load_at_start'][0]:.1f}",
             "",
             "| case | accounts | variant | wall median (min-max) s | CPU median s | peak MB | load |",
             "|---|---:|---|---|---:|---:|---|"]
    for e in report["cases"]:
        for v, s in e["variants"].items():
            w = s["wall"]
            extra = ""
            if "per_call_us" in s:
                extra = "; " + ", ".join(f"{k} {c['median']:.1f} us/call" for k, c in s["per_call_us"].items())
            lines.append(f"| {e['case']} | {e['size']:,} | {v}{extra} | {w['median']:.3f} ({w['min']:.3f}-{w['max']:.3f})"
                         f" | {s['cpu']['median']:.2f} | {s['peak_rss_mb']['median']:.0f} | "
                         f"{e['load_1min']['min']:.1f}-{e['load_1min']['max']:.1f} |")
    lines += ["", "| case | accounts | ratio | value | target | met |", "|---|---:|---|---:|---|---|"]
    for e in report["cases"]:
        for r in e["ratios"]:
            met = "" if r["met"] is None else ("yes" if r["met"] else "**no**")
            lines.append(f"| {e['case']} | {e['size']:,} | {r['name']} | {r['value']} | {r['target']} | {met} |")
    if report["growth"]:
        lines += ["", "| case | variant | accounts | time grows | peak MB |", "|---|---|---|---:|---|"]
        for g in report["growth"]:
            lines.append(f"| {g['case']} | {g['variant']} | {g['from']:,} -> {g['to']:,} (x{g['size_ratio']:.0f}) "
                         f"| x{g['time_ratio']} | {g['peak_mb'][0]:.0f} -> {g['peak_mb'][1]:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="10,000 accounts, fewer repetitions (a smoke run)")
    p.add_argument("--cases", default=",".join(CASES), help=f"comma list of: {', '.join(CASES)}")
    p.add_argument("--sizes", default="", help="comma list of account counts, instead of the case's own")
    p.add_argument("--repeats", type=int, default=0, help="repetitions per variant (default 3, quick 2)")
    p.add_argument("--out", default="bench/results/latest.json", help="where to write the JSON")
    p.add_argument("--report", default="", help="print the table of an existing JSON file and exit")
    p.add_argument("--merge", nargs="+", default=[], help="combine saved runs (e.g. of different cases) into --out")
    p.add_argument("--child", default="", help=argparse.SUPPRESS)
    p.add_argument("--size", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--result", default="", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        child(a.child, a.size, Path(a.result))
        return 0
    if a.report:
        print(table(json.loads(Path(a.report).read_text())))
        return 0
    if a.merge:
        runs = [json.loads(Path(f).read_text()) for f in a.merge]
        report = dict(runs[0], cases=[e for r in runs for e in r["cases"]], merged_from=[
            {"file": f, "started": r["started"], "mode": r["mode"], "load_at_start": r["machine"]["load_at_start"]}
            for f, r in zip(a.merge, runs)])
        report["growth"] = growth(report["cases"])
        Path(a.out).write_text(json.dumps(report, indent=1, default=str))
        print(table(report))
        return 0
    mode = "quick" if a.quick else "full"
    os.environ["UTILBILL_BENCH_MODE"] = mode  # the children size some inputs by it
    repeats = a.repeats or REPEATS[mode]
    names = [c.strip() for c in a.cases.split(",") if c.strip()]
    unknown = [c for c in names if c not in CASES]
    if unknown:
        p.error(f"unknown case(s): {', '.join(unknown)}; cases: {', '.join(CASES)}")
    sizes = [int(s) for s in a.sizes.split(",") if s.strip()] or None
    say = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    report = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "mode": mode,
              "repeats": repeats, "machine": machine(), "cases": [], "growth": []}
    done: dict = {}
    for name in names:
        report["cases"] += run_case(name, mode, repeats, say, sizes, done)
    report["growth"] = growth(report["cases"])
    report["machine"]["load_at_end"] = os.getloadavg()
    report["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1, default=str))
    print(table(report))
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
