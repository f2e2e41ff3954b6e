"""Keyed audit chain (issue 16): what the HMAC key, the head log and ``verify --deep`` cost.

``python -m bench.audit_keyed CASE SIZE WORKDIR [BASELINE_SRC]``; cases:

- ``append``: ``audit.append`` of SIZE small segments (1,000 rows each) in one stream, median
  milliseconds per segment, in a child process running this tree and, alternating, in one running
  the tree at ``BASELINE_SRC`` (e.g. a checkout of 64f1db6: the unkeyed chain), 3 runs each.
- ``deep``: on a store of SIZE prediction rows (segments of 100k rows, labels for half, ingested),
  ``verify`` and ``verify --deep`` (the DuckDB copy compared with every segment), 2 runs each.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench._common import emit, feature_frame, parse_size, timestamps

CHUNK = 100_000
_CHILD = """
import sys, time, shutil, pyarrow as pa, pyarrow.parquet as pq
from pathlib import Path
from diaglab.store import audit
n, root = int(sys.argv[1]), Path(sys.argv[2])
shutil.rmtree(root, ignore_errors=True)
d = root / "segments" / "predictions" / "m"
d.mkdir(parents=True)
table = pa.table({"prediction_id": [str(i) for i in range(1000)], "score": [0.5] * 1000})
times = []
for i in range(n):
    path = d / f"{i:024x}.parquet"
    pq.write_table(table, path)
    t = time.perf_counter()
    audit.append(root, "predictions", "m", path, rows=1000)
    times.append(time.perf_counter() - t)
times.sort()
print(times[len(times) // 2] * 1000)
"""


def append(n: int, work: Path, baseline: str | None) -> dict:
    keys = Path(tempfile.mkdtemp(prefix="bench-audit-keys-"))
    here = str(Path(__file__).parents[1] / "src")
    trees = {"keyed (this tree)": here}
    if baseline:
        trees["unkeyed (baseline)"] = baseline
    runs: dict[str, list[float]] = {k: [] for k in trees}
    try:
        for _ in range(3):
            for label, src in trees.items():
                env = dict(os.environ, PYTHONPATH=src, DIAGLAB_AUDIT_KEY_DIR=str(keys))
                env.pop("DIAGLAB_AUDIT_KEY", None)
                out = subprocess.run(
                    [sys.executable, "-c", _CHILD, str(n), str(work / "append-store")],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                runs[label].append(float(out.strip()))
    finally:
        shutil.rmtree(keys, ignore_errors=True)
        shutil.rmtree(work / "append-store", ignore_errors=True)
    medians = {k: round(statistics.median(v), 3) for k, v in runs.items()}
    result = {"case": "append", "segments": n, "median_ms_per_append": medians, "runs_ms": runs}
    if baseline:
        result["ratio"] = round(medians["keyed (this tree)"] / medians["unkeyed (baseline)"], 2)
    return result


def deep(n: int, work: Path) -> dict:
    import diaglab as dl
    from diaglab.store.audit import verify
    from diaglab.store.audit.duckdb_copy import verify_copy

    path = work / f"deep-{n}"
    shutil.rmtree(path, ignore_errors=True)
    store = dl.open(path)
    chunk = min(n, CHUNK)
    frame = feature_frame(chunk)
    rng = np.random.default_rng(5)
    for i in range(n // chunk):
        ids = [f"p{i}-{j}" for j in range(chunk)]
        store.log("m", frame, rng.random(chunk), timestamps=timestamps(chunk), prediction_ids=ids)
        store.log_labels("m", ids[: chunk // 2], list(rng.integers(0, 2, chunk // 2)))
    store.close()
    shallow, thorough = [], []
    for _ in range(2):
        t = time.perf_counter()
        report = verify(path)
        shallow.append(time.perf_counter() - t)
        t = time.perf_counter()
        checked, problems = verify_copy(path)
        thorough.append(time.perf_counter() - t + shallow[-1])
        assert report.ok and not problems, (str(report), problems)
    shutil.rmtree(path, ignore_errors=True)
    return {
        "case": "deep",
        "rows": n,
        "segments_checked": checked,
        "verify_s": round(min(shallow), 2),
        "verify_deep_s": round(min(thorough), 2),
        "runs_s": {"verify": shallow, "verify --deep": thorough},
    }


def main(argv: list[str]) -> None:
    case, size, work = argv[0], parse_size(argv[1]), Path(argv[2])
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DIAGLAB_AUDIT_KEY_DIR", str(work / "audit-keys"))
    if case == "append":
        emit(append(size, work, argv[3] if len(argv) > 3 else None))
    elif case == "deep":
        emit(deep(size, work))
    else:
        raise SystemExit(f"unknown case {case!r}; known: append, deep")


if __name__ == "__main__":
    main(sys.argv[1:])
