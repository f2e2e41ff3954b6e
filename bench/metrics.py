"""Metrics-over-time benchmarks (issue 6): ``dl.metrics_over_time`` at 1M and 10M rows, and
NannyML's realized performance + CBPE on the same rows where its venv exists.

Each case runs in its own process (``python -m bench.metrics CASE SIZE WORKDIR``). The data: a
binary model's scores over 60 days (two versions, the second from day 30), labels drawn from the
scores for 70% of the rows and arriving 1-20 days late, a covariate shift from day 40, latency and
1% failed calls. Only four features are logged: the query reads the prediction, score, label,
timestamps and latency, and a column store does not read the rest.

``metrics_over_time`` is timed three ways (median of 3 after one warm-up): ten metrics with
intervals (accuracy, precision, recall, F1, ROC AUC, log loss, Brier, mean score, positive rate,
label coverage) without the label-free estimate; the same ten with CBPE; and every default
metric (18, with latency and label-delay quantiles) with CBPE.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import diaglab as dl
from bench._common import START, emit, parse_size

CHUNK = 1_000_000
DAYS = 60
HERE = Path(__file__).parent
PEER_PYTHON = HERE / ".venv-nannyml" / "bin" / "python"
TEN = [
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "log_loss",
    "brier_score",
    "mean_score",
    "positive_rate",
    "label_coverage",
]


def prepare(n: int, work: Path) -> Path:
    path = work / f"metrics-{n}"
    if (path / "ready").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    store = dl.open(path)
    size = min(n, CHUNK)
    chunks = max(1, n // size)
    for k in range(chunks):
        rng = np.random.default_rng(600 + k)
        # Each chunk covers all 60 days, so every day holds n / 60 rows.
        offsets = np.sort(rng.uniform(0, DAYS * 86400, size))
        ts = START + pd.to_timedelta(offsets, unit="s")
        day = offsets / 86400
        x = rng.normal(0, 1, size) + np.where(day >= 40, 0.6, 0.0)
        p = 1 / (1 + np.exp(-(2.5 * x - 2.0)))
        failed = rng.random(size) < 0.01
        frame = pd.DataFrame(
            {
                "x": x,
                "z": rng.normal(size=size),
                "region": rng.choice(["north", "south", "east"], size),
                "channel": rng.choice(["web", "app"], size),
            }
        )
        for version in ("v1", "v2"):
            part = (day < 30) if version == "v1" else (day >= 30)
            ids = store.log(
                "m",
                frame[part].reset_index(drop=True),
                np.where(failed[part], np.nan, p[part]),
                timestamps=ts[part],
                latency_ms=rng.lognormal(3, 0.4, int(part.sum())),
                errors=np.where(failed[part], "timeout", None),
                model_version=version,
            )
            labelled = (rng.random(len(ids)) < 0.7) & ~failed[part]
            y = (rng.random(len(ids)) < p[part]).astype(int)
            delay = pd.to_timedelta(rng.uniform(1, 20, len(ids)), unit="D")
            keep = np.flatnonzero(labelled)
            store.log_labels(
                "m",
                [ids[i] for i in keep],
                y[keep],
                timestamps=(ts[part][keep] + delay[keep]),
            )
    store.close()
    (path / "ready").touch()
    return path


def _timed(fn, repeat: int = 3) -> tuple[float, list[float], float]:
    """Median wall seconds of ``repeat`` runs after a warm-up (DuckDB's caches, imports, the
    store's memo), the runs, and the median CPU seconds of this process (all its threads): on a
    shared machine the CPU time shows the work when the wall time shows the waiting."""
    fn()
    runs, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        runs.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(runs), runs, statistics.median(cpu)


def diaglab_case(n: int, work: Path) -> dict:
    path = prepare(n, work)
    store = dl.open(path)
    rows = int(store.table("m").count().to_pyarrow().as_py())
    out: dict = {"case": "diaglab", "rows": rows}
    variants = {
        "ten": {"metrics": TEN, "estimate": False},
        "ten_cbpe": {"metrics": [*TEN], "estimate": True},
        "all_cbpe": {"metrics": None, "estimate": True},
    }
    for name, kwargs in variants.items():
        median, runs, cpu = _timed(
            lambda kw=kwargs: dl.metrics_over_time(store, "m", freq="1D", **kw)
        )
        out[f"{name}_s"] = round(median, 3)
        out[f"{name}_runs"] = [round(r, 3) for r in runs]
        out[f"{name}_cpu_s"] = round(cpu, 3)
    result = dl.metrics_over_time(store, "m", freq="1D", metrics=TEN)
    out["windows"] = int(result.windows["window_start"].nunique())
    est = result.metric("accuracy", "estimated").set_index("window_start")["value"]
    real = result.metric("accuracy").set_index("window_start")["value"]
    out["cbpe_abs_gap_median"] = round(float((est - real).abs().median()), 4)
    store.close()
    return out


def export_for_peer(n: int, work: Path) -> Path:
    """The rows NannyML needs, as Parquet: reference = days 0-13, analysis = the rest."""
    path = prepare(n, work)
    out = work / f"metrics-peer-{n}.parquet"
    if out.exists():
        return out
    store = dl.open(path)
    t = store.table("m")
    rows = t.filter(t.score.notnull()).select(
        "timestamp", "score", "prediction", "label", "model_version"
    )
    store.ibis.to_parquet(rows, out)
    store.close()
    return out


def nannyml_case(n: int, work: Path) -> dict:
    if not PEER_PYTHON.exists():
        return {"case": "nannyml", "rows": n, "status": "not installed: bash bench/peers/setup.sh"}
    data = export_for_peer(n, work)
    script = HERE / "peers" / "run_nannyml_metrics.py"
    start = time.perf_counter()
    done = subprocess.run(
        [str(PEER_PYTHON), str(script), str(data)], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        return {"case": "nannyml", "rows": n, "status": f"failed: {done.stderr[-400:]}"}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"case": "nannyml", "rows": n, "process_s": round(wall, 2), **result}


CASES = {
    "prepare": lambda n, w: {"case": "prepare", "path": str(prepare(n, w))},
    "diaglab": diaglab_case,
    "nannyml": nannyml_case,
}


if __name__ == "__main__":
    case, size, workdir = sys.argv[1], parse_size(sys.argv[2]), Path(sys.argv[3])
    workdir.mkdir(parents=True, exist_ok=True)
    emit(CASES[case](size, workdir))
