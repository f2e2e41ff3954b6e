"""Every diagnostic through ``dl.<diagnostic>``, this tree against a baseline tree, side by side
in one run on private copies of one store (default: the sample store, 200k predictions).

Usage: ``python -m bench.specs --baseline DIR [--store PATH] [--runs 5] [--json OUT]`` where
``DIR`` holds the baseline's ``src/`` (e.g. ``git archive 64f1db6 src | tar -x -C DIR``). Two worker
processes, one importing each tree's ``src/``, each open their own copy of the store; every case
runs once in each as a warm-up (compiled SQL, memoised reference profiles, the explanation cache),
then the runs alternate between the trees (this, baseline; baseline, this; ...), so both see the
same machine load.

Each run is measured three ways in its worker: wall time, ``time.process_time()`` and
``resource.getrusage(RUSAGE_SELF)`` user + system time. The two CPU clocks count every thread of
the process, DuckDB's workers included; CPU time is what the code costs, and is far less moved by
other processes on a shared machine than wall time is. Per diagnostic the table gives the medians
of wall and CPU time in each tree, the ratio of the medians (this / baseline) and the median of
the ratios of each alternated pair (the pair's two runs are seconds apart). A baseline before
issue 17 names the period ``current=`` in ``drift`` and ``domain_classifier`` and takes a report
in ``drift_impact``: the calls adapt (:func:`cases`). Also prints the cost of building a spec, its
JSON and its call.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
SAMPLE = ROOT / "sample_data" / "credit"
WINDOW = ("2026-02-10", "2026-03-02")
EARLY = ("2026-01-05", "2026-01-12")
NORTH = "region = 'north'"
NAMES = (
    "drift",
    "drift_over_time",
    "domain_classifier",
    "drift_impact",
    "slice_metrics",
    "find_slices",
    "compare_versions",
    "metrics_over_time",
    "explain",
    "explain_window",
    "explanation_drift",
    "worst_errors",
    "neighbors",
    "what_if",
    "counterfactual",
    "trace",
    "span_stats",
    "find_traces",
)


def cases(store: Any) -> dict[str, Callable[[], Any]]:
    """One call per diagnostic in the ``dl.`` API of the tree imported (the same work in both)."""
    import diaglab as dl

    period = "current" if "current" in inspect.signature(dl.drift).parameters else "window"
    if hasattr(dl, "worst_errors"):
        worst_errors = dl.worst_errors
    else:  # before issue 17 it was not exported, and lived in the layout before diagnostics/
        from diaglab.queries.explain import worst_errors
    t = store.table("credit")
    row = t.filter(t.label.notnull() & t.trace_id.notnull()).order_by("prediction_id").limit(1)
    first = row.execute().iloc[0]
    pid, tid = str(first.prediction_id), str(first.trace_id)
    return {
        "drift": lambda: dl.drift(store, "credit", **{period: WINDOW}),
        "drift_over_time": lambda: dl.drift_over_time(store, "credit", freq="7D"),
        "domain_classifier": lambda: dl.domain_classifier(
            store, "credit", **{period: WINDOW}, sample=2000
        ),
        "drift_impact": (
            (lambda: dl.drift_impact(store, dl.drift(store, "credit", current=WINDOW), sample=500))
            if period == "current"
            else (lambda: dl.drift_impact(store, "credit", window=WINDOW, sample=500))
        ),
        "slice_metrics": lambda: dl.slice_metrics(
            store, "credit", ["region", "income"], window=WINDOW
        ),
        "find_slices": lambda: dl.find_slices(store, "credit", window=WINDOW, k=10),
        "compare_versions": lambda: dl.compare_versions(store, "credit", "v1", "v2"),
        "metrics_over_time": lambda: dl.metrics_over_time(store, "credit", freq="1D"),
        "explain": lambda: dl.explain(store, "credit", pid),
        "explain_window": lambda: dl.explain_window(store, "credit", window=EARLY, sample=500),
        "explanation_drift": lambda: dl.explanation_drift(
            store, "credit", window=EARLY, freq="1D", sample=500
        ),
        "worst_errors": lambda: worst_errors(store, "credit", window=WINDOW, where=NORTH),
        "neighbors": lambda: dl.neighbors(store, "credit", pid, k=10),
        "what_if": lambda: dl.what_if(store, "credit", pid, {"income": 20000.0}),
        "counterfactual": lambda: dl.counterfactual(store, "credit", pid, max_changes=2),
        "trace": lambda: dl.trace(store, tid),
        "span_stats": lambda: dl.span_stats(store, freq="1D", window=WINDOW),
        "find_traces": lambda: dl.find_traces(store, "slowest", window=WINDOW),
    }


def _rusage_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def worker(source: Path) -> None:
    """Answer ``{"case": name}`` lines on stdin with ``{"wall": s, "cpu": s, "rusage": s}``
    lines on stdout."""
    import diaglab as dl

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "credit"
        shutil.copytree(source, path, ignore=shutil.ignore_patterns("*.duckdb*", ".tmp"))
        store = dl.open(path)
        todo = cases(store)
        print(json.dumps({"ready": dl.__file__}), flush=True)
        for line in sys.stdin:
            name = json.loads(line)["case"]
            w0, c0, r0 = time.perf_counter(), time.process_time(), _rusage_cpu()
            todo[name]()
            w1, c1, r1 = time.perf_counter(), time.process_time(), _rusage_cpu()
            print(json.dumps({"wall": w1 - w0, "cpu": c1 - c0, "rusage": r1 - r0}), flush=True)
        store.close()


class Worker:
    def __init__(self, tree: Path, store: Path) -> None:
        env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{ROOT}"}
        env["DIAGLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="diaglab-bench-sql-")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.specs", "--worker", str(store)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        self.source = self._read()["ready"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("a bench worker died (its error is above)")
        out: dict[str, Any] = json.loads(line)
        return out

    def time(self, name: str) -> dict[str, float]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"case": name}) + "\n")
        self.proc.stdin.flush()
        return {k: float(v) for k, v in self._read().items()}

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=120)


def spec_cost(n: int = 2000) -> float:
    import diaglab as dl

    t0 = time.perf_counter()
    for _ in range(n):
        spec = dl.drift.spec("credit", window=WINDOW, where=NORTH)
        spec.to_json(), spec.call()
    return (time.perf_counter() - t0) / n


def compare(this: Worker, base: Worker, name: str, runs: int) -> dict[str, Any]:
    """Warm both up, then ``runs`` alternated pairs; medians and ratios of wall and CPU time."""
    this.time(name), base.time(name)  # warm-up
    a: list[dict[str, float]] = []
    b: list[dict[str, float]] = []
    for i in range(runs):
        if i % 2 == 0:
            a.append(this.time(name))
            b.append(base.time(name))
        else:
            b.append(base.time(name))
            a.append(this.time(name))
    out: dict[str, Any] = {"diagnostic": name, "runs": runs}
    for clock in ("wall", "cpu", "rusage"):
        ma = statistics.median(r[clock] for r in a)
        mb = statistics.median(r[clock] for r in b)
        paired = [x[clock] / y[clock] for x, y in zip(a, b, strict=True) if y[clock] > 0]
        out[clock] = {
            "this": ma,
            "baseline": mb,
            "ratio": ma / mb if mb else float("nan"),
            "paired": statistics.median(paired) if paired else float("nan"),
            "this_runs": [r[clock] for r in a],
            "baseline_runs": [r[clock] for r in b],
        }
    return out


def row(r: dict[str, Any]) -> str:
    w, c = r["wall"], r["cpu"]
    return (
        f"| {r['diagnostic']} | {c['this'] * 1e3:.0f} | {c['baseline'] * 1e3:.0f} | "
        f"{c['ratio']:.2f} | {c['paired']:.2f} | {w['this'] * 1e3:.0f} | "
        f"{w['baseline'] * 1e3:.0f} | {w['ratio']:.2f} | {w['paired']:.2f} | {r['runs']} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, help="a directory holding the baseline's src/")
    parser.add_argument("--store", type=Path, default=SAMPLE, help="the store (copied per tree)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="these diagnostics only")
    parser.add_argument("--json", type=Path, help="append each diagnostic's runs to this file")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    if args.baseline is None:
        parser.error("--baseline DIR is required (a checkout of the commit to compare with)")
    from bench._common import machine

    this, base = Worker(ROOT, args.store), Worker(args.baseline, args.store)
    print(machine())
    print(f"store: {args.store}\nthis: {this.source}\nbaseline: {base.source}")
    print(
        "| diagnostic | CPU this ms | CPU baseline ms | CPU ratio | CPU paired ratio "
        "| wall this ms | wall baseline ms | wall ratio | wall paired ratio | runs |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    try:
        for name in args.only or NAMES:
            r = compare(this, base, name, args.runs)
            r["load_avg"] = Path("/proc/loadavg").read_text().split()[0]
            print(row(r), flush=True)
            if args.json is not None:
                with args.json.open("a") as fh:
                    fh.write(json.dumps(r) + "\n")
    finally:
        this.close()
        base.close()
    print(f"building a drift spec with a slice, its JSON and its call: {spec_cost() * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
