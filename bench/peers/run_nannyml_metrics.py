"""NannyML 0.13.1 on the metrics benchmark's rows: realized performance and CBPE per day.

Run by bench/.venv-nannyml's python: ``run_nannyml_metrics.py ROWS.parquet``. Reference: the first
14 days (labelled rows); analysis: the rest. Metrics: the ones NannyML's calculators share with
diaglab's ten (accuracy, precision, recall, F1, ROC AUC); CBPE estimates the same five. Prints one
JSON line: load, realized and CBPE seconds.
"""

from __future__ import annotations

import json
import os
import sys
import time
from importlib import metadata

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")

import nannyml as nml
import pandas as pd

METRICS = ["roc_auc", "f1", "precision", "recall", "accuracy"]


def main(path: str) -> None:
    t = time.perf_counter()
    rows = pd.read_parquet(path)
    rows["timestamp"] = pd.to_datetime(rows["timestamp"], utc=True).dt.tz_localize(None)
    start = rows["timestamp"].min().normalize()
    cut = start + pd.Timedelta(days=14)
    reference = rows[(rows["timestamp"] < cut) & rows["label"].notna()].copy()
    analysis = rows[rows["timestamp"] >= cut].copy()
    for frame in (reference, analysis):
        frame["prediction"] = frame["prediction"].astype(int)
    load = time.perf_counter() - t
    common = {
        "y_pred_proba": "score",
        "y_pred": "prediction",
        "y_true": "label",
        "timestamp_column_name": "timestamp",
        "metrics": METRICS,
        "chunk_period": "D",
        "problem_type": "classification_binary",
    }
    t = time.perf_counter()
    realized = nml.PerformanceCalculator(**common).fit(reference)
    realized_result = realized.calculate(analysis)
    realized_s = time.perf_counter() - t
    t = time.perf_counter()
    cbpe = nml.CBPE(**common).fit(reference)
    cbpe_result = cbpe.estimate(analysis)
    cbpe_s = time.perf_counter() - t
    print(
        json.dumps(
            {
                "tool": f"nannyml {metadata.version('nannyml')}",
                "load_s": round(load, 2),
                "realized_s": round(realized_s, 2),
                "cbpe_s": round(cbpe_s, 2),
                "chunks": len(cbpe_result.to_df()),
                "realized_chunks": len(realized_result.to_df()),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
