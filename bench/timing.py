"""Small timing helpers shared by the cases: a phase clock and per-call timing."""

from __future__ import annotations

import statistics
import time


class PhaseClock:
    """Seconds between progress messages: pass `clock.mark` as a job's progress callback."""

    def __init__(self):
        self.t0 = self.last = time.perf_counter()
        self.name = "start"
        self.phases: dict[str, float] = {}

    def mark(self, name: str, *_):
        now = time.perf_counter()
        self.phases[self.name] = self.phases.get(self.name, 0.0) + now - self.last
        self.name, self.last = name.split(" ")[0], now  # "computing 100000 bills" -> "computing"

    def stop(self) -> dict[str, float]:
        self.mark("end")
        self.phases.pop("end", None)
        return {k: round(v, 4) for k, v in self.phases.items()}


def per_call(fn, calls: int, *, rounds: int = 5) -> dict:
    """Microseconds per call of fn(): the median, min and max over `rounds` rounds of `calls`."""
    fn()  # warm caches (the utility folder, imports) as Excel's second call would find them
    us = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        us.append((time.perf_counter() - t) / calls * 1e6)
    return {"median": round(statistics.median(us), 2), "min": round(min(us), 2), "max": round(max(us), 2),
            "calls": calls * rounds}
