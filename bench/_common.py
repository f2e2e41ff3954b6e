"""Shared helpers for the benchmarks: sizes, data, timing, machine description."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SIZES = {"100k": 100_000, "1M": 1_000_000, "10M": 10_000_000}
N_NUMERIC, N_CATEGORICAL = 24, 6
START = pd.Timestamp("2026-01-01", tz="UTC")


def source_tree(rev: str | None, work: Path) -> Path:
    """The ``src`` directory of revision ``rev`` of this repository (``git archive`` into
    ``work``), or this working tree's when ``rev`` is None: what a child process puts first on
    ``PYTHONPATH`` to run another tree's diaglab."""
    root = Path(__file__).resolve().parent.parent
    if rev is None:
        return root / "src"
    out = work / f"src-{rev}"
    if not out.exists():
        out.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(root), "archive", rev, "src"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(out)], input=archive.stdout, check=True)
    return out / "src"


def parse_size(text: str) -> int:
    return SIZES.get(text) or int(float(text))


def feature_frame(n: int, *, seed: int = 0) -> pd.DataFrame:
    """A 30-feature frame like a tabular model's inputs: 24 numeric, 6 categorical."""
    rng = np.random.default_rng(seed)
    cols: dict[str, Any] = {}
    for i in range(N_NUMERIC):
        cols[f"num_{i:02d}"] = rng.normal(50, 10, n).round(2)
    cats = np.array([f"c{i}" for i in range(12)])
    for i in range(N_CATEGORICAL):
        cols[f"cat_{i}"] = pd.Categorical.from_codes(rng.integers(0, 12, n), categories=cats)
    return pd.DataFrame(cols)


def timestamps(n: int, *, days: int = 60) -> pd.Series:
    return pd.Series(START + pd.to_timedelta(np.linspace(0, days * 86400, n), unit="s"))


def median_time(fn: Callable[[], object], *, repeat: int = 3) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs), runs


def machine() -> dict[str, Any]:
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[:3]
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "load_avg": " ".join(load),
        "python": platform.python_version(),
    }


def run_measured(module: str, *args: str) -> dict[str, Any]:
    """Run ``python -m module args`` under /usr/bin/time -v; its JSON result plus peak RSS."""
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", module, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-4000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    for line in out.stderr.splitlines():
        if "Maximum resident set size" in line:
            result["peak_rss_mb"] = round(int(line.split(":")[1]) / 1024, 1)
        if "Elapsed (wall clock)" in line:
            result["wall"] = line.split(": ", 1)[1].strip()
    return result


def emit(result: dict[str, Any]) -> None:
    print(json.dumps(result))
