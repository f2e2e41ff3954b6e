"""Explanation benchmarks (issue 5): a prediction card, a what-if edit, explain_window vs shap.

Each case runs in its own process: ``python -m bench.explain CASE SIZE WORKDIR`` (one JSON line).
The store is the sample scenario (LightGBM v1/v2, 13 features); sizes above its 200k rows repeat
its predictions under new ids, logged in time order (``prepare``). Cases:

- ``card``: open a card for one prediction, model loaded (one card of each model version first),
  explanation not cached: explain (row query + TreeSHAP + percentiles + the day's drift flags)
  + 10 reference neighbours; the same
  for other predictions without the drift flags (``drift=False``); then the first cards again,
  cached.
- ``inspector``: the PredictionInspector, from choosing a prediction to its card drawn, and to
  the card filled in (drift flags, neighbours, trace, counterfactual).
- ``whatif``: one what-if edit of an opened card (new prediction + explanation).
- ``explain_window``: 10k rows, cache empty, vs reading the same rows and calling
  ``shap.TreeExplainer`` on them directly (what one would write without diaglab).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import diaglab as dl
from bench._common import emit, parse_size
from diaglab.diagnostics.explain import explainers as _explainers

SAMPLE = Path(__file__).parents[1] / "sample_data" / "credit"
CARDS = 5
WINDOWS = 8
PIECES = 60


def prepare(n: int, work: Path) -> Path:
    """The sample store, then copies of its predictions up to ``n`` rows, logged in time order
    (as a busy service's log arrives): each of ``PIECES`` stretches of time is logged with all its
    copies before the next, under ids that keep the sample's time order (``<id>-c<k>``)."""
    path = work / f"explain-{n}"
    if (path / "ready").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(SAMPLE, path, ignore=shutil.ignore_patterns("*.duckdb", "*.wal", ".tmp"))
    store = dl.open(path)
    base = store.table("credit").to_pandas().sort_values("timestamp", ignore_index=True)
    features = list(store.schema("credit").features)
    copies = -(-max(n - len(base), 0) // len(base))
    for piece in np.array_split(np.arange(len(base)), PIECES if copies else 0):
        rows = base.iloc[piece]
        frame = pd.concat(
            [rows.assign(prediction_id=rows["prediction_id"] + f"-c{k}") for k in range(copies)]
        ).sort_values("timestamp", kind="stable")
        for version, part in frame.groupby("model_version"):
            store.log(
                "credit",
                part[features],
                part["score"].to_numpy(),
                prediction_ids=part["prediction_id"].tolist(),
                timestamps=part["timestamp"],
                model_version=str(version),
            )
    store.close()
    (path / "ready").touch()
    return path


def _open(n: int, work: Path) -> dl.Store:
    path = prepare(n, work)
    shutil.rmtree(path / "cache", ignore_errors=True)
    return dl.open(path)


def _pids(store: dl.Store, count: int, t: Any = None) -> list[str]:
    """``count`` prediction ids spread over the log (the smallest hashes of the id)."""
    t = store.table("credit") if t is None else t
    rows = t.order_by(t.prediction_id.hash()).limit(count)
    return list(rows.select("prediction_id").to_pandas()["prediction_id"])


def _ms(runs: list[float]) -> dict:
    return {
        "median_ms": round(1000 * statistics.median(runs), 1),
        "runs_ms": [round(1000 * r, 1) for r in runs],
    }


def card(n: int, work: Path) -> dict:
    store = _open(n, work)
    t = store.table("credit")
    # "model already loaded": per model version, its model, explainer and reference profile,
    # by one card of that version (the cards timed are others)
    warm = [_pids(store, 1, t.filter(t.model_version == v))[0] for v in ("v1", "v2")]
    for pid in warm:
        dl.explain(store, "credit", pid)
        dl.neighbors(store, "credit", pid, k=10)
    ranked = [p for p in _pids(store, 2 * CARDS + 2) if p not in warm]
    pids, others = ranked[:CARDS], ranked[CARDS : 2 * CARDS]

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


def inspector(n: int, work: Path) -> dict:
    """What a person waits for in ``dl.PredictionInspector``: from choosing a prediction to its
    card drawn (explanation, waterfall and feature table), and to everything filled in (the
    day's drift flags, neighbours, trace and counterfactual, computed on the side lane)."""
    store = _open(n, work)
    warm, *pids = _pids(store, CARDS + 1)
    for v in ("v1", "v2"):
        _explainers.explained(store, "credit", v, trust=False)  # "model already loaded"
    ins = dl.PredictionInspector(store, "credit")
    ins.prediction_id = warm
    ins.wait()
    drawn, filled = [], []
    for pid in pids:
        began = time.perf_counter()
        ins.prediction_id = pid
        while ins.status.value != f"prediction {pid}":  # set once the card is drawn
            time.sleep(0.001)
        drawn.append(time.perf_counter() - began)
        ins.wait()
        filled.append(time.perf_counter() - began)
    store.close()
    return {"case": "inspector", "rows": n, "card_drawn": _ms(drawn), "filled_in": _ms(filled)}


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
    """Eight disjoint windows of 5 days, 10k rows each: diaglab (cache empty for those rows) and
    the same rows read and explained with shap directly (explainers built beforehand for both),
    in alternating order so that both see the same machine load; medians and the median of the
    per-window ratios."""
    import shap

    store = _open(n, work)
    shutil.rmtree(store.path / "cache" / "explanations", ignore_errors=True)  # earlier runs'
    _explainers.clear_memory_cache()
    t = store.table("credit")
    _explainers.explained(store, "credit", "v1", trust=False)
    _explainers.explained(store, "credit", "v2", trust=False)
    explainers = {}  # built once, untimed, as diaglab's are above
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for version in ("v1", "v2"):
            loaded = store.load_model("credit", version)
            explainers[version] = (loaded, shap.TreeExplainer(loaded.impl))
    start = t.timestamp.min().to_pyarrow().as_py()
    ours, direct, ratios = [], [], []

    def by_diaglab(window: dl.Window) -> int:
        return len(dl.explain_window(store, "credit", window=window, sample=10_000).table)

    def by_shap(window: dl.Window) -> int:
        scoped = window.filter(t)
        rows = scoped.order_by(scoped.prediction_id.hash()).limit(10_000).to_pandas()
        for version, part in rows.groupby("model_version"):
            loaded, explainer = explainers[str(version)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                np.asarray(explainer.shap_values(loaded.model_input(part)))
        return len(rows)

    for k in range(WINDOWS):
        window = dl.Window(start + timedelta(days=5 * k), start + timedelta(days=5 * (k + 1)))
        pair = [(ours, by_diaglab), (direct, by_shap)]
        for times, run in pair if k % 2 == 0 else pair[::-1]:  # alternate who goes first
            began = time.perf_counter()
            assert run(window) == 10_000
            times.append(time.perf_counter() - began)
        ratios.append(ours[-1] / direct[-1])
    began = time.perf_counter()
    dl.explain_window(store, "credit", window=window, sample=10_000)
    cached = time.perf_counter() - began
    store.close()
    return {
        "case": "explain_window",
        "rows": n,
        "sample": 10_000,
        "diaglab_s": round(statistics.median(ours), 2),
        "diaglab_cached_s": round(cached, 2),
        "shap_direct_s": round(statistics.median(direct), 2),  # reading the rows, then shap
        "diaglab_over_direct": round(statistics.median(ratios), 3),
        "runs": {"diaglab": [round(x, 2) for x in ours], "direct": [round(x, 2) for x in direct]},
    }


CASES = {
    "card": card,
    "inspector": inspector,
    "whatif": whatif,
    "explain_window": explain_window,
    "prepare": lambda n, w: {"case": "prepare", "path": str(prepare(n, w))},
}


if __name__ == "__main__":
    case, size, workdir = sys.argv[1], parse_size(sys.argv[2]), Path(sys.argv[3])
    workdir.mkdir(parents=True, exist_ok=True)
    emit(CASES[case](size, workdir))
