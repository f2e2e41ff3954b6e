"""Fairness benchmark (issue 20): ``dl.fairness`` at 10M rows, and against Fairlearn at 1M.

Each size runs in its own process (``python -m bench.fairness SIZE WORKDIR``). The data: a binary
model's scores over 60 days with two sensitive features (sex: 2 groups, race: 5 groups), a
selection gap planted between the sexes, every row labelled. ``dl.fairness`` (both features and
their intersection; six group metrics with intervals and four disparity measures) and
``dl.threshold_analysis`` are timed as the median of 3 runs after one warm-up, each run on a
window one second longer than the last, so that no result comes from the store's memo. At 1M
rows Fairlearn's ``MetricFrame`` (selection rate, TPR, FPR, precision, error) on a pandas frame
of the same rows, per feature and for the intersection, is timed once (no warm-up); reading the rows
into pandas is timed separately (Fairlearn needs them in memory; diaglab does not). Also timed:
``dl.slice_metrics`` deciding ``score >= threshold`` at read time against the same call reading
the class stored at log time (the cost of thresholds that apply to rows already logged).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import diaglab as dl
from bench._common import START, median_time, parse_size

CHUNK = 1_000_000
DAYS = 60


def build(path: Path, n: int) -> None:
    if path.exists():
        shutil.rmtree(path)
    store = dl.open(path)
    rng = np.random.default_rng(0)
    for lo in range(0, n, CHUNK):
        m = min(CHUNK, n - lo)
        sex = rng.choice(np.array(["f", "m"]), m)
        race = rng.choice(np.array(["a", "b", "c", "d", "e"]), m, p=[0.5, 0.2, 0.15, 0.1, 0.05])
        score = np.clip(rng.beta(2, 3, m) + np.where(sex == "m", 0.05, 0.0), 0, 1)
        label = (rng.random(m) < score).astype(float)
        ts = START + pd.to_timedelta(np.linspace(lo, lo + m - 1, m) / n * DAYS * 86400, unit="s")
        ids = [f"r{lo + i}" for i in range(m)]
        store.log(
            "fair",
            pd.DataFrame({"sex": sex, "race": race, "x": rng.normal(size=m)}),
            score,
            prediction_ids=ids,
            timestamps=ts,
        )
        store.log_labels("fair", ids, label)
    store.close()


def _window(i: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    return START, START + pd.Timedelta(days=DAYS + 1, seconds=i)


def case(n: int, workdir: Path) -> dict[str, object]:
    path = workdir / f"fair-{n}"
    t = time.perf_counter()
    build(path, n)
    built = time.perf_counter() - t
    store = dl.open(path)
    calls = iter(range(1000))
    dl.fairness(store, "fair", sensitive=["sex", "race"], window=_window(next(calls)))
    fair_s, fair_runs = median_time(
        lambda: dl.fairness(store, "fair", sensitive=["sex", "race"], window=_window(next(calls)))
    )
    ta_s, _ = median_time(lambda: dl.threshold_analysis(store, "fair", window=_window(next(calls))))
    # what deciding at read time costs: slice_metrics as is, and with the stored class
    # (diaglab.queries.scope.decided replaced by the identity, as before thresholds)
    import diaglab.queries.scope as scope_module

    def sliced() -> object:
        return dl.slice_metrics(
            store, "fair", by="race", metrics=["accuracy", "recall"], window=_window(next(calls))
        )

    decided_s, _ = median_time(sliced)
    real = scope_module.decided
    scope_module.decided = lambda table, schema, threshold=None: table
    try:
        stored_s, _ = median_time(sliced)
    finally:
        scope_module.decided = real
    out: dict[str, object] = {
        "slice_metrics_decided_s": round(decided_s, 3),
        "slice_metrics_stored_class_s": round(stored_s, 3),
        "rows": n,
        "build_s": round(built, 1),
        "fairness_s": round(fair_s, 3),
        "fairness_runs": [round(r, 3) for r in fair_runs],
        "threshold_analysis_s": round(ta_s, 3),
    }
    if n <= 1_000_000:
        from fairlearn.metrics import (
            MetricFrame,
            false_positive_rate,
            selection_rate,
            true_positive_rate,
        )
        from sklearn.metrics import accuracy_score, precision_score

        t = time.perf_counter()
        rows = store.table("fair").select("sex", "race", "score", "label").to_pandas()
        out["to_pandas_s"] = round(time.perf_counter() - t, 3)
        y = rows["label"].to_numpy().astype(int)
        p = (rows["score"] >= 0.5).astype(int).to_numpy()
        metrics = {
            "selection_rate": selection_rate,
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
            "precision": lambda a, b: precision_score(a, b, zero_division=np.nan),
            "error": lambda a, b: 1 - accuracy_score(a, b),
        }

        def fairlearn() -> None:
            for features in (["sex"], ["race"], ["sex", "race"]):
                mf = MetricFrame(
                    metrics=metrics, y_true=y, y_pred=p, sensitive_features=rows[features]
                )
                mf.difference()
                mf.ratio()

        fl_s, _ = median_time(fairlearn, repeat=1)  # one run: it takes minutes at 1M
        out["fairlearn_s"] = round(fl_s, 3)
        out["ratio_diaglab_over_fairlearn"] = round(fair_s / fl_s, 2)
        out["ratio_with_to_pandas"] = round(fair_s / (fl_s + float(out["to_pandas_s"])), 2)
    store.close()
    shutil.rmtree(path)
    return out


if __name__ == "__main__":
    size, workdir = parse_size(sys.argv[1]), Path(sys.argv[2])
    workdir.mkdir(parents=True, exist_ok=True)
    print(json.dumps(case(size, workdir)))
