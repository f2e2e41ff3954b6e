"""NannyML 0.13.1 on :mod:`bench.explain_change`'s two periods: what a user would do by hand to
ask "why did the error change" with it.

Run by bench/.venv-nannyml's python: ``run_nannyml_change.py DIR`` with ``DIR/reference.parquet``
and ``DIR/window.parquet`` (features, ``score``, ``prediction``, ``label`` (NULL: unlabelled),
``timestamp``). Three steps, each timed:

1. **realized** performance (``PerformanceCalculator``, accuracy) of the labelled rows, both
   periods as one chunk each: the change;
2. **estimated** performance (``CBPE``, accuracy) fitted on the reference, estimated on the window:
   the label-free view of the change;
3. **drift ranking**: ``UnivariateDriftCalculator`` (its default methods, Jensen-Shannon for
   continuous and categorical columns) of the 30 features, one chunk, ranked by distance.

NannyML gives no split of the change into causes: the ranking says which inputs moved, not how
much of the change each explains. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from importlib import metadata
from pathlib import Path

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")

import nannyml as nml
import pandas as pd
from nannyml.chunk import CountBasedChunker

warnings.filterwarnings("ignore")


def main(directory: Path) -> None:
    t = time.perf_counter()
    ref = pd.read_parquet(directory / "reference.parquet")
    win = pd.read_parquet(directory / "window.parquet")
    for frame in (ref, win):
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True).dt.tz_localize(None)
        frame["prediction"] = frame["prediction"].astype(int)
    features = [c for c in ref.columns if c.startswith(("num_", "cat_"))]
    load_s = time.perf_counter() - t
    one = CountBasedChunker(chunk_number=1)
    common = {
        "y_pred_proba": "score",
        "y_pred": "prediction",
        "y_true": "label",
        "metrics": ["accuracy"],
        "problem_type": "classification_binary",
        "chunker": one,
    }
    ref_lab = ref[ref["label"].notna()].copy()
    win_lab = win[win["label"].notna()].copy()
    for frame in (ref_lab, win_lab):
        frame["label"] = frame["label"].astype(int)

    t = time.perf_counter()
    realized = nml.PerformanceCalculator(**common).fit(ref_lab)
    acc_ref, acc_win = (
        float(
            realized.calculate(rows)
            .filter(period="analysis")
            .to_df()[("accuracy", "value")]
            .iloc[-1]
        )
        for rows in (ref_lab, win_lab)
    )
    realized_s = time.perf_counter() - t

    t = time.perf_counter()
    cbpe = nml.CBPE(**common).fit(ref_lab)
    est = cbpe.estimate(win.drop(columns="label")).filter(period="analysis").to_df()
    est_win = float(est[("accuracy", "value")].iloc[-1])
    cbpe_s = time.perf_counter() - t

    t = time.perf_counter()
    drift = nml.UnivariateDriftCalculator(column_names=features, chunker=one).fit(ref[features])
    frame = drift.calculate(win[features]).filter(period="analysis").to_df()
    values = {
        feature: float(frame[(feature, method, "value")].iloc[-1])
        for feature, method, kind in frame.columns
        if kind == "value" and feature in features
    }
    ranking = sorted(values, key=lambda f: -values[f])
    drift_s = time.perf_counter() - t
    print(
        json.dumps(
            {
                "tool": f"nannyml {metadata.version('nannyml')}",
                "rows": [len(ref), len(win)],
                "load_s": round(load_s, 3),
                "realized_s": round(realized_s, 3),
                "cbpe_s": round(cbpe_s, 3),
                "drift_s": round(drift_s, 3),
                "error_reference": 1 - acc_ref,
                "error_window": 1 - acc_win,
                "cbpe_error_window": 1 - est_win,
                "ranking": ranking[:5],
                "distance": [round(values[f], 4) for f in ranking[:5]],
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
