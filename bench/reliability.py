"""What issue 16's reliability work costs: refresh of many pending segments (each footer is now
checked before ingest), store.log of a bulk batch (fault points, error translation), and
``diaglab ingest`` of a Parquet file (now read twice: every chunk checked before the first is
written), each beside the same case on the code at 64f1db6 in the same run.

Usage: ``python -m bench.reliability [--baseline-src DIR] [--workdir DIR]``. Without
``--baseline-src`` the 64f1db6 tree is extracted with ``git archive`` into the work directory.
Each case runs in its own process, alternating new and baseline, 3 times; medians are printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).parent
SRC = HERE.parent / "src"
BASE_COMMIT = "64f1db6"

CASES = {
    # 400 segments of 2,500 rows written by a process without the DuckDB file, then one refresh
    "refresh_400_segments": """
        import shutil, sys, time, numpy as np, pandas as pd, diaglab as dl
        root = sys.argv[1] + "/refresh"
        shutil.rmtree(root, ignore_errors=True)
        dl.open(root).close()
        ro = dl.open(root, read_only=True)
        rng = np.random.default_rng(0)
        for k in range(400):
            n = 2500
            ro.log("m", pd.DataFrame({f"f{i}": rng.random(n) for i in range(10)}), rng.random(n))
        ro.close()
        t = time.perf_counter()
        store = dl.open(root)
        print(time.perf_counter() - t)
        assert store.table("m").count().execute() == 1_000_000
    """,
    # one store.log of 1M rows x 30 features (bench._common.feature_frame) into a fresh store
    "log_1M": """
        import shutil, sys, time, numpy as np, diaglab as dl
        sys.path.insert(0, sys.argv[2])
        from bench._common import feature_frame, timestamps
        frame, ts = feature_frame(1_000_000), timestamps(1_000_000)
        scores = np.random.default_rng(1).random(1_000_000)
        root = sys.argv[1] + "/log"
        shutil.rmtree(root, ignore_errors=True)
        store = dl.open(root)
        t = time.perf_counter()
        store.log("m", frame, scores, timestamps=ts)
        print(time.perf_counter() - t)
    """,
    # diaglab ingest of a 1M-row Parquet file (30 features), chunks of 500k rows
    "ingest_1M_parquet": """
        import os, shutil, sys, time, numpy as np
        sys.path.insert(0, sys.argv[2])
        from bench._common import feature_frame
        from diaglab.cli import main
        f = sys.argv[1] + "/ingest.parquet"
        if not os.path.exists(f):
            df = feature_frame(1_000_000)
            df["prediction"] = np.random.default_rng(1).random(1_000_000)
            df.to_parquet(f)
        root = sys.argv[1] + "/ingest"
        shutil.rmtree(root, ignore_errors=True)
        t = time.perf_counter()
        assert main(["ingest", root, f, "--model", "m"]) == 0
        print(time.perf_counter() - t)
    """,
}


def _run(case: str, src: Path, work: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CASES[case]), str(work), str(HERE.parent)],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin", "HOME": str(work)},
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--baseline-src", type=Path)
    p.add_argument("--workdir", type=Path)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="diaglab-bench-rel-"))
    work.mkdir(parents=True, exist_ok=True)
    base = args.baseline_src
    if base is None:
        base = work / "baseline"
        base.mkdir(exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(HERE.parent), "archive", BASE_COMMIT, "src"],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
        base = base / "src"
    results = {}
    for case in CASES:
        runs: dict[str, list[float]] = {"new": [], "baseline": []}
        for _ in range(args.repeat):
            runs["new"].append(_run(case, SRC, work))
            runs["baseline"].append(_run(case, base, work))
        med = {k: statistics.median(v) for k, v in runs.items()}
        results[case] = {
            "runs": runs,
            "median_s": med,
            "ratio_new_to_baseline": med["new"] / med["baseline"],
        }
        print(case, json.dumps(results[case]), flush=True)
    with open("/proc/loadavg") as fh:
        print("load", fh.read().strip())


if __name__ == "__main__":
    main()
