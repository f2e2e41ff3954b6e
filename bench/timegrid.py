"""Time buckets (issue 17): ``metrics_over_time`` and ``drift_over_time`` with the calendar buckets
of :mod:`diaglab.queries.timegrid`, beside a baseline commit in the same run.

Usage: ``python -m bench.timegrid --base 64f1db6 --sizes 1M,10M [--workdir DIR] [--rounds 2]``

The store is the metrics suite's (``bench.metrics.prepare``: 60 days, two versions, late labels).
The baseline's ``src/`` is exported with ``git archive`` into the work directory; each round runs
one process per tree (``python -m bench.timegrid case SIZE WORKDIR``, the tree on PYTHONPATH),
the trees alternating, and each process times every call (3 runs after a warm-up): wall seconds,
and CPU seconds of the process (all its threads, DuckDB's included), which on a shared, loaded
machine show the work where the wall time shows the waiting. Calls only this tree understands
(calendar weeks and months, a time zone) have no baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from bench._common import machine, parse_size
from bench.metrics import TEN

HERE = Path(__file__).parent
REFERENCE = ("2026-01-01", "2026-01-15")
SHARED = {  # call name -> (function, kwargs); both trees accept these
    "metrics 10, 1D": ("metrics_over_time", {"freq": "1D", "metrics": TEN, "estimate": False}),
    "metrics all + CBPE, 1D": ("metrics_over_time", {"freq": "1D"}),
    "metrics 10, 7D": ("metrics_over_time", {"freq": "7D", "metrics": TEN, "estimate": False}),
    "drift over time, 1D": ("drift_over_time", {"freq": "1D", "reference": REFERENCE}),
    "drift over time, 7D": ("drift_over_time", {"freq": "7D", "reference": REFERENCE}),
}
NEW_ONLY = {
    "metrics 10, W": ("metrics_over_time", {"freq": "W", "metrics": TEN, "estimate": False}),
    "metrics 10, M": ("metrics_over_time", {"freq": "M", "metrics": TEN, "estimate": False}),
    "metrics 10, 1D Europe/Paris": (
        "metrics_over_time",
        {"freq": "1D", "metrics": TEN, "estimate": False, "tz": "Europe/Paris"},
    ),
    "drift over time, W": ("drift_over_time", {"freq": "W", "reference": REFERENCE}),
}


def case(size: int, work: Path, tree: str) -> dict[str, Any]:
    """Time each call in this process (the tree on PYTHONPATH)."""
    import diaglab as dl

    calls = dict(SHARED) if tree == "base" else {**SHARED, **NEW_ONLY}
    store = dl.open(work / f"metrics-{size}")
    out: dict[str, Any] = {"tree": tree, "size": size}
    for name, (fn, kwargs) in calls.items():
        run = getattr(dl, fn)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # band warnings are not what is timed

            def once(run: Any = run, kwargs: dict[str, Any] = kwargs) -> tuple[float, float]:
                t, c = time.perf_counter(), time.process_time()
                run(store, "m", **kwargs)
                return time.perf_counter() - t, time.process_time() - c

            once()
            runs = [once() for _ in range(3)]
            out[name] = [round(w, 4) for w, _ in runs]
            out[f"{name} cpu"] = [round(c, 4) for _, c in runs]
    store.close()
    return out


def _run(tree_src: Path, tree: str, size: str, work: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{tree_src}{os.pathsep}{HERE.parent}"}
    cmd = [sys.executable, "-m", "bench.timegrid", "case", size, str(work), tree]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{tree} {size} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.timegrid")
    p.add_argument("--base", required=True, help="the baseline commit, e.g. 64f1db6")
    p.add_argument("--sizes", default="1M,10M")
    p.add_argument("--workdir", default=str(HERE / "data"))
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    work = Path(args.workdir)
    base_root = work / f"src-{args.base}"
    if not (base_root / "src" / "diaglab").exists():
        base_root.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(HERE.parent), "archive", args.base, "src"],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(base_root)], input=archive.stdout, check=True)
    trees = {"base": base_root / "src", "new": HERE.parent / "src"}
    m = machine()
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB; load before the "
        f"run {m['load_avg']}; {m['date']}; baseline {args.base}, {args.rounds} rounds "
        "alternating the trees, 3 timed calls per round after a warm-up.",
        "",
        "| size | call | baseline wall s | this tree wall s | wall ratio | baseline CPU s "
        "| this tree CPU s | CPU ratio |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size in args.sizes.split(","):
        subprocess.run(
            [sys.executable, "-m", "bench.metrics", "prepare", size, str(work)],
            env={**os.environ, "PYTHONPATH": f"{trees['new']}{os.pathsep}{HERE.parent}"},
            check=True,
            capture_output=True,
        )
        runs: dict[str, dict[str, list[float]]] = {"base": {}, "new": {}}
        for _ in range(args.rounds):
            for tree in ("base", "new"):
                got = _run(trees[tree], tree, str(parse_size(size)), work)
                print(json.dumps(got), flush=True)
                for name, values in got.items():
                    if isinstance(values, list):
                        runs[tree].setdefault(name, []).extend(values)
        for name in [*SHARED, *NEW_ONLY]:
            new = statistics.median(runs["new"][name])
            new_cpu = statistics.median(runs["new"][f"{name} cpu"])
            if name in runs["base"]:
                base = statistics.median(runs["base"][name])
                base_cpu = statistics.median(runs["base"][f"{name} cpu"])
                lines.append(
                    f"| {size} | {name} | {base:.3f} | {new:.3f} | {new / base:.2f} "
                    f"| {base_cpu:.3f} | {new_cpu:.3f} | {new_cpu / base_cpu:.2f} |"
                )
            else:
                lines.append(
                    f"| {size} | {name} | (not supported) | {new:.3f} | | | {new_cpu:.3f} | |"
                )
    print("\n".join(lines))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "case":
        size, work, tree = int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
        print(json.dumps(case(size, work, tree)))
    else:
        main()
