"""Explanation benchmarks (issue 5): a prediction card, a what-if edit, explain_window vs shap.

Each case runs in its own process: ``python -m bench.explain CASE SIZE WORKDIR`` (one JSON line).
The store is the sample scenario (LightGBM v1/v2, 13 features); sizes above its 200k rows repeat
its predictions under new ids (``prepare``). Cases:

- ``card``: open a card for one prediction, model loaded, explanation not cached: explain (row
  query + TreeSHAP + percentiles + the day's drift flags) + 10 reference neighbours; the same
  for other predictions without the drift flags (``drift=False``); then the first cards again,
  cached.
- ``whatif``: one what-if edit of an opened card (new prediction + explanation).
- ``explain_window``: 10k rows, cache empty, vs ``shap.TreeExplainer`` on the same rows.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

import diaglab as dl
from bench._common import emit, parse_size
from diaglab.queries import _explainers

SAMPLE = Path(__file__).parents[1] / "sample_data" / "credit"
CARDS = 5


def prepare(n: int, work: Path) -> Path:
    path = work / f"explain-{n}"
    if (path / "ready").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(SAMPLE, path, ignore=shutil.ignore_patterns("*.duckdb", "*.wal", ".tmp"))
    store = dl.open(path)
    base = store.table("credit").to_pandas()
    features = list(store.schema("credit").features)
    k = 1
    while store.table("credit").count().execute() < n:
        for version, part in base.groupby("model_version"):
            store.log(
                "credit",
                part[features],
                part["score"].to_numpy(),
                prediction_ids=[f"c{k}-{i}" for i in part["prediction_id"]],
                timestamps=part["timestamp"],
                model_version=str(version),
            )
        k += 1
    store.close()
    (path / "ready").touch()
    return path


def _open(n: int, work: Path) -> dl.Store:
    path = prepare(n, work)
    shutil.rmtree(path / "cache", ignore_errors=True)
    return dl.open(path)


def _pids(store: dl.Store, count: int) -> list[str]:
    t = store.table("credit")
    rows = t.order_by(t.prediction_id.hash()).limit(count).select("prediction_id").to_pandas()
    return list(rows["prediction_id"])


def _ms(runs: list[float]) -> dict:
    return {
        "median_ms": round(1000 * statistics.median(runs), 1),
        "runs_ms": [round(1000 * r, 1) for r in runs],
    }


def card(n: int, work: Path) -> dict:
    store = _open(n, work)
    warm, *more = _pids(store, 2 * CARDS + 1)
    pids, others = more[:CARDS], more[CARDS:]
    for v in ("v1", "v2"):
        _explainers.explained(store, "credit", v, trust=False)  # "model already loaded"
    dl.explain(store, "credit", warm)
    dl.neighbors(store, "credit", warm, k=10)

    def open_card(pid: str, drift: bool | None = None) -> float:
        t = time.perf_counter()
        dl.explain(store, "credit", pid, drift=drift)
        dl.neighbors(store, "credit", pid, k=10)
        return time.perf_counter() - t

    cold = [open_card(p) for p in pids]
    # the day's drift flags (dl.drift of the prediction's day) are memoised per day and version
    no_day_drift = [open_card(p, drift=False) for p in others]
    cached = [open_card(p) for p in pids]
    explain_cached = []
    for p in pids:
        t = time.perf_counter()
        dl.explain(store, "credit", p)
        explain_cached.append(time.perf_counter() - t)
    rows = store.table("credit").count().execute()
    store.close()
    return {
        "case": "card",
        "rows": int(rows),
        "uncached": _ms(cold),
        "uncached_without_day_drift": _ms(no_day_drift),
        "cached": _ms(cached),
        "explain_only_cached": _ms(explain_cached),
    }


def whatif(n: int, work: Path) -> dict:
    store = _open(n, work)
    pids = _pids(store, CARDS)
    for p in pids:
        dl.explain(store, "credit", p)
    runs = []
    for i, p in enumerate(pids):
        t = time.perf_counter()
        dl.what_if(store, "credit", p, {"income": 30000.0 + 1000 * i})
        runs.append(time.perf_counter() - t)
    store.close()
    return {"case": "whatif", "rows": n, **_ms(runs)}


def explain_window(n: int, work: Path) -> dict:
    import shap

    store = _open(n, work)
    t = store.table("credit")
    ids = t.order_by(t.prediction_id.hash()).limit(10_000).to_pandas()
    _explainers.explained(store, "credit", "v1", trust=False)
    _explainers.explained(store, "credit", "v2", trust=False)
    start = time.perf_counter()
    got = dl.explain_window(store, "credit", sample=10_000)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    again = dl.explain_window(store, "credit", sample=10_000)
    cached = time.perf_counter() - start
    assert len(got) == len(again) == 10_000
    start = time.perf_counter()
    for version, part in ids.groupby("model_version"):
        loaded = store.load_model("credit", str(version))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.asarray(shap.TreeExplainer(loaded.impl).shap_values(loaded.model_input(part)))
    direct = time.perf_counter() - start
    store.close()
    return {
        "case": "explain_window",
        "rows": n,
        "sample": 10_000,
        "diaglab_s": round(ours, 2),
        "diaglab_cached_s": round(cached, 2),
        "shap_direct_s": round(direct, 2),
    }


CASES = {
    "card": card,
    "whatif": whatif,
    "explain_window": explain_window,
    "prepare": lambda n, w: {"case": "prepare", "path": str(prepare(n, w))},
}


if __name__ == "__main__":
    case, size, workdir = sys.argv[1], parse_size(sys.argv[2]), Path(sys.argv[3])
    workdir.mkdir(parents=True, exist_ok=True)
    emit(CASES[case](size, workdir))
