"""Every diagnostic through ``dl.<diagnostic>``, this tree against a baseline tree, side by side
in one run on private copies of the sample store (200k predictions).

Usage: ``python -m bench.specs --baseline DIR [--runs 5]`` where ``DIR`` is a checkout of the
baseline (e.g. ``git worktree add /tmp/base 0400676``). Two worker processes, one importing each
tree's ``src/``, each open their own copy of the store; every case runs once in each as a warm-up
(compiled SQL, memoised reference profiles, the explanation cache), then the runs alternate
between the trees (this, baseline; baseline, this; ...), so both see the same machine load.
Prints per diagnostic the medians and their ratio (this / baseline), and the cost of building a
spec, its JSON and its call.
"""

from __future__ import annotations

import argparse
import json
import os
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
    """One call per diagnostic, written the same way in both trees (the ``dl.`` API)."""
    import diaglab as dl

    t = store.table("credit")
    row = t.filter(t.label.notnull() & t.trace_id.notnull()).order_by("prediction_id").limit(1)
    first = row.execute().iloc[0]
    pid, tid = str(first.prediction_id), str(first.trace_id)
    return {
        "drift": lambda: dl.drift(store, "credit", window=WINDOW),
        "drift_over_time": lambda: dl.drift_over_time(store, "credit", freq="7D"),
        "domain_classifier": lambda: dl.domain_classifier(
            store, "credit", window=WINDOW, sample=2000
        ),
        "drift_impact": lambda: dl.drift_impact(store, "credit", window=WINDOW, sample=500),
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
        "worst_errors": lambda: dl.worst_errors(store, "credit", window=WINDOW, where=NORTH),
        "neighbors": lambda: dl.neighbors(store, "credit", pid, k=10),
        "what_if": lambda: dl.what_if(store, "credit", pid, {"income": 20000.0}),
        "counterfactual": lambda: dl.counterfactual(store, "credit", pid, max_changes=2),
        "trace": lambda: dl.trace(store, tid),
        "span_stats": lambda: dl.span_stats(store, freq="1D", window=WINDOW),
        "find_traces": lambda: dl.find_traces(store, "slowest", window=WINDOW),
    }


def worker() -> None:
    """Answer ``{"case": name}`` lines on stdin with ``{"seconds": t}`` lines on stdout."""
    import diaglab as dl

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "credit"
        shutil.copytree(SAMPLE, path, ignore=shutil.ignore_patterns("*.duckdb*", ".tmp"))
        store = dl.open(path)
        todo = cases(store)
        print(json.dumps({"ready": dl.__file__}), flush=True)
        for line in sys.stdin:
            name = json.loads(line)["case"]
            t0 = time.perf_counter()
            todo[name]()
            print(json.dumps({"seconds": time.perf_counter() - t0}), flush=True)
        store.close()


class Worker:
    def __init__(self, tree: Path) -> None:
        env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{ROOT}"}
        env["DIAGLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="diaglab-bench-sql-")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.specs", "--worker"],
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

    def time(self, name: str) -> float:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"case": name}) + "\n")
        self.proc.stdin.flush()
        return float(self._read()["seconds"])

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", type=Path, help="a checkout of the baseline commit")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="these diagnostics only")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    if args.baseline is None:
        parser.error("--baseline DIR is required (a checkout of the commit to compare with)")
    from bench._common import machine

    this, base = Worker(ROOT), Worker(args.baseline)
    print(machine())
    print(f"this: {this.source}\nbaseline: {base.source}")
    names = args.only or NAMES
    print("| diagnostic | this median ms | baseline median ms | ratio | runs |")
    print("|---|---|---|---|---|")
    try:
        for name in names:
            this.time(name), base.time(name)  # warm-up
            a: list[float] = []
            b: list[float] = []
            for i in range(args.runs):
                pair = (this, base) if i % 2 == 0 else (base, this)
                for w in pair:
                    (a if w is this else b).append(w.time(name))
            ma, mb = statistics.median(a), statistics.median(b)
            print(f"| {name} | {ma * 1e3:.1f} | {mb * 1e3:.1f} | {ma / mb:.2f} | {args.runs} |")
    finally:
        this.close()
        base.close()
    print(f"building a drift spec with a slice, its JSON and its call: {spec_cost() * 1e6:.0f} µs")


if __name__ == "__main__":
    main()
