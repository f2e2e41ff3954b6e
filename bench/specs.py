"""The cost of the spec layer: ``dl.<diagnostic>`` (build the spec, run it through the registry,
attach the spec to the result) against the implementation in ``diaglab.queries`` called with the
same arguments, on a copy of the sample store (200k predictions).

Usage: ``python -m bench.specs [--runs 7]``. Each pair alternates (spec, direct, spec, direct, ...)
after one warm-up of each, so the store's caches serve both alike; prints medians and their ratio.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import diaglab as dl
from bench._common import machine
from diaglab.queries.drift import drift
from diaglab.queries.metrics_time import metrics_over_time
from diaglab.queries.slice_search import find_slices
from diaglab.queries.slices import slice_metrics

SAMPLE = Path(__file__).parents[1] / "sample_data" / "credit"
WINDOW = ("2026-02-10", "2026-03-02")


def cases(store: Any) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    return {
        "drift": (
            lambda: dl.drift(store, "credit", window=WINDOW),
            lambda: drift(store, "credit", window=WINDOW),
        ),
        "slice_metrics": (
            lambda: dl.slice_metrics(store, "credit", ["region", "income"], window=WINDOW),
            lambda: slice_metrics(store, "credit", ["region", "income"], window=WINDOW),
        ),
        "find_slices": (
            lambda: dl.find_slices(store, "credit", window=WINDOW, k=10),
            lambda: find_slices(store, "credit", window=WINDOW, k=10),
        ),
        "metrics_over_time": (
            lambda: dl.metrics_over_time(store, "credit", freq="1D", metrics=["accuracy"]),
            lambda: metrics_over_time(store, "credit", freq="1D", metrics=["accuracy"]),
        ),
    }


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "credit"
        shutil.copytree(SAMPLE, path, ignore=shutil.ignore_patterns("*.duckdb*", ".tmp"))
        store = dl.open(path)
        print(machine())
        print("| diagnostic | dl. (spec) median ms | implementation median ms | ratio | runs |")
        print("|---|---|---|---|---|")
        for name, (via_spec, direct) in cases(store).items():
            via_spec(), direct()  # warm-up: compiled SQL and memoised reference profiles
            a: list[float] = []
            b: list[float] = []
            for _ in range(args.runs):
                a.append(timed(via_spec))
                b.append(timed(direct))
            ma, mb = statistics.median(a), statistics.median(b)
            print(f"| {name} | {ma * 1e3:.1f} | {mb * 1e3:.1f} | {ma / mb:.3f} | {args.runs} |")
        n = 2000
        t0 = time.perf_counter()
        for _ in range(n):
            spec = dl.drift.spec("credit", window=WINDOW, where="region = 'north'")
            spec.to_json(), spec.call()
        per = (time.perf_counter() - t0) / n
        print(f"building a drift spec with a slice, its JSON and its call: {per * 1e6:.0f} µs")
        store.close()


if __name__ == "__main__":
    main()
