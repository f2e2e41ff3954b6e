"""What deciding at a threshold costs the diagnostics whose query shape issue 20 changed: the
drift table's ``decision`` row (one more categorical count per side) and ``worst_errors``'s filter
to wrong decisions; ``slice_metrics`` with and without ``threshold=`` beside them.

Usage::

    python -m bench.thresholds build DIR --rows 1000000   # a store: 30 features, scores, labels
    python -m bench.thresholds time DIR                   # medians of 3 after a warm-up, as JSON

Run ``time`` with ``PYTHONPATH`` at this tree and at the baseline's ``src`` alternately: the
same store, the same queries, the two versions of diaglab.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from bench._common import feature_frame, machine, median_time, timestamps


def build(path: Path, rows: int) -> None:
    import diaglab as dl

    rng = np.random.default_rng(0)
    store = dl.open(path)
    chunk = 250_000
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        feats = feature_frame(n, seed=start)
        score = rng.random(n)
        ts = timestamps(rows).iloc[start : start + n].to_numpy()
        ids = store.log("m", feats, score, timestamps=ts)
        store.log_labels("m", ids, (rng.random(n) < score).astype(float))
    ref = feature_frame(50_000, seed=99)
    ref_score = rng.random(50_000)
    store.set_reference(
        "m", ref, labels=(rng.random(50_000) < ref_score).astype(float), predictions=ref_score
    )
    store.refresh(progress=False)
    store.close()


def time_queries(path: Path) -> dict[str, float]:
    import diaglab as dl

    store = dl.open(path)
    cases = {
        "drift": lambda: dl.drift(store, "m"),
        "worst_errors": lambda: dl.worst_errors(store, "m", k=20),
        "slice_metrics": lambda: dl.slice_metrics(store, "m", by="cat_0", metrics=["accuracy"]),
        "slice_metrics threshold=0.3": lambda: dl.slice_metrics(
            store, "m", by="cat_0", metrics=["accuracy"], threshold=0.3
        ),
    }
    out = {}
    for name, fn in cases.items():
        fn()  # warm-up: compile, reference profile

        def uncached(fn=fn):
            store._memo.changed(reference=False)  # what an ingest of predictions does
            fn()

        out[name] = round(median_time(uncached, repeat=3)[0], 4)
    store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.thresholds")
    parser.add_argument("action", choices=("build", "time"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    if args.action == "build":
        build(args.path, args.rows)
        return 0
    result: dict[str, object] = {"machine": machine()}
    result.update(time_queries(args.path))
    result["diaglab"] = sys.modules["diaglab"].__file__
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
