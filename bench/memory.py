"""Peak memory of wide and long drift, slice metrics, slice searches and metrics over time
(issue 16, "Bounded resources"; issue 23, "Wide and long on one machine").

Every case runs in its own process, so its peak RSS (``ru_maxrss`` from ``os.wait4``) is its
own; a watchdog polls the RSS and kills a case past ``BENCH_MEMORY_CAP_GB`` (default 8), which is
then recorded as killed rather than taking the machine down. The same cases run against another
source tree (``--baseline-src``, e.g. 64f1db6's ``src`` unpacked with ``git archive``), so the
table holds both side by side from one run.

Usage::

    python -m bench.memory build DIR FEATURES ROWS        # a store with numeric features
    python -m bench.memory case drift|find_slices|slice_metrics|metrics_over_time DIR
    python -m bench.memory run --work /tmp/b --cases drift:250:20000,find_slices:100:20000 \\
        [--baseline-src /tmp/base/src] [--record]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench._common import START, machine
from bench.drift import _rss_mb

HERE = Path(__file__).parent
CAP_GB = float(os.environ.get("BENCH_MEMORY_CAP_GB", 8))
TIMEOUT = float(os.environ.get("BENCH_MEMORY_TIMEOUT", 3600))
CELLS_PER_BATCH = 10_000_000
"""Values logged per ``store.log`` call while building (80 MB of float64)."""


def build(path: Path, features: int, rows: int, *, seed: int = 0) -> dict[str, Any]:
    """A binary model with ``features`` numeric features (rounded: 2 decimals), a reference of
    ``min(rows, 20,000)`` rows, ``rows`` logged predictions over 60 days and every label; the
    second half's first feature is shifted (so drift has something to find)."""
    import diaglab as dl

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    names = [f"f{i:04d}" for i in range(features)]
    store = dl.open(path)
    n_ref = min(rows, 20_000)
    ref = pd.DataFrame(rng.normal(0, 1, (n_ref, features)).round(2), columns=names)
    store.set_reference(model="m", features=ref, labels=rng.integers(0, 2, n_ref))
    batch = max(1_000, CELLS_PER_BATCH // features)
    for start in range(0, rows, batch):
        n = min(batch, rows - start)
        x = rng.normal(0, 1, (n, features)).round(2)
        x[start + np.arange(n) >= rows // 2, 0] += 0.3
        score = 1 / (1 + np.exp(-(x[:, 0] + rng.normal(0, 1, n))))
        ts = START + pd.to_timedelta((start + np.arange(n)) * (60 * 86400 / rows), unit="s")
        ids = store.log(
            model="m",
            features=pd.DataFrame(x, columns=names),
            predictions=score,
            timestamps=ts,
        )
        store.log_labels(model="m", prediction_ids=ids, labels=(rng.random(n) < score).astype(int))
    store.close()
    return {"built": str(path), "seconds": round(time.perf_counter() - t0, 1)}


def case(kind: str, path: Path) -> dict[str, Any]:
    import diaglab as dl

    store = dl.open(path)
    t0 = time.perf_counter()
    if kind == "drift":
        rep = dl.drift(store, "m")
        detail = f"{len(rep.results)} columns, {len(rep.drifted)} drifted"
    elif kind == "find_slices":
        found_result = dl.find_slices(store, "m")
        found = found_result.table
        detail = f"{found.attrs.get('evaluated', 0):,} slices counted, {len(found)} reported"
    elif kind == "slice_metrics":
        table = dl.slice_metrics(store, "m", by="f0001")
        detail = f"{len(table)} slices of f0001"
    elif kind == "metrics_over_time":
        over = dl.metrics_over_time(store, "m", freq="1D")
        detail = f"{len(over.table)} rows over {len(over.windows)} daily windows"
    else:
        raise SystemExit(
            f"unknown case {kind!r}; known: drift, find_slices, slice_metrics, metrics_over_time"
        )
    seconds = time.perf_counter() - t0
    store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": round(seconds, 1), "detail": detail, "self_peak_mb": round(peak)}


def _watched(cmd: list[str], env: dict[str, str]) -> tuple[int, Any, bytes, bytes, str | None]:
    """Run ``cmd``, killing it past the memory cap or the timeout; its exit code, rusage (from
    ``wait4``, so also when killed), stdout, stderr and why it was killed."""
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(cmd, env=env, stdout=out_file, stderr=err_file)
        killed: list[str] = []
        done = threading.Event()

        def watch() -> None:
            # never proc.poll(): it would reap the child before wait4 reads its rusage
            start = time.perf_counter()
            while not done.wait(0.1):
                rss, elapsed = _rss_mb(proc.pid), time.perf_counter() - start
                if rss > CAP_GB * 1024 or elapsed > TIMEOUT:
                    over = rss > CAP_GB * 1024
                    killed.append(f"killed at {rss / 1024:.1f} GB RSS" if over else "timed out")
                    os.kill(proc.pid, signal.SIGKILL)
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        watcher.join()
        out_file.seek(0)
        err_file.seek(0)
        code = os.waitstatus_to_exitcode(status)
        return code, usage, out_file.read(), err_file.read(), killed[0] if killed else None


def measure(kind: str, path: Path, src: Path) -> dict[str, Any]:
    """Run one case in a child process with ``src`` first on its path; its peak RSS."""
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{HERE.parent}"}
    cmd = [sys.executable, "-m", "bench.memory", "case", kind, str(path)]
    t0 = time.perf_counter()
    code, usage, out, err, killed = _watched(cmd, env)
    result: dict[str, Any] = {
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "wall": round(time.perf_counter() - t0, 1),
    }
    if killed:
        result["outcome"] = killed
    elif code != 0:
        last = err.decode(errors="replace").strip().splitlines()
        result["outcome"] = "failed: " + (last[-1][:200] if last else f"exit {code}")
    else:
        result.update(json.loads(out.decode().strip().splitlines()[-1]))
        result["outcome"] = "ok"
    return result


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    results = []
    for spec in args.cases.split(","):
        kind, features, rows = spec.split(":")
        path = work / f"store-{features}x{rows}"
        if not (path / "diaglab.duckdb").exists():
            print(json.dumps(build(path, int(features), int(rows))), flush=True)
        trees = [("this branch", HERE.parent / "src")]
        if args.baseline_src:
            trees.append(("baseline 64f1db6", Path(args.baseline_src)))
        for label, src in trees:
            r = {"case": kind, "features": int(features), "rows": int(rows), "tree": label}
            r.update(measure(kind, path, src))
            r["load_avg"] = machine()["load_avg"]
            print(json.dumps(r), flush=True)
            results.append(r)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build")
    b.add_argument("dir")
    b.add_argument("features", type=int)
    b.add_argument("rows", type=int)
    c = sub.add_parser("case")
    c.add_argument("kind")
    c.add_argument("dir")
    r = sub.add_parser("run")
    r.add_argument("--work", required=True)
    r.add_argument("--cases", required=True)
    r.add_argument("--baseline-src")
    args = parser.parse_args()
    if args.command == "build":
        print(json.dumps(build(Path(args.dir), args.features, args.rows)))
    elif args.command == "case":
        print(json.dumps(case(args.kind, Path(args.dir))))
    else:
        run(args)


if __name__ == "__main__":
    main()
