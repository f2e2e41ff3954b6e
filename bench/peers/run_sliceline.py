"""sliceline's Slicefinder on diaglab's binned rows (run by bench/.venv-sliceline's python).

Usage: ``run_sliceline.py DIR K MAX_LEVEL``; DIR holds ``binned.parquet`` (one integer bin code per
feature and the 0/1 ``error``) and ``meta.json`` (features, bin labels, minimum support) written by
``python -m bench.slices sliceline_export``. Prints one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from sliceline.slicefinder import Slicefinder


def main() -> None:
    directory, k, max_l = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    meta = json.loads((directory / "meta.json").read_text())
    t = time.perf_counter()
    frame = pd.read_parquet(directory / "binned.parquet")
    load_s = time.perf_counter() - t
    features = meta["features"]
    x = frame[features].astype(str).to_numpy()
    errors = frame["error"].to_numpy(dtype=float)
    t = time.perf_counter()
    finder = Slicefinder(alpha=0.95, k=k, max_l=max_l, min_sup=meta["min_support"], verbose=False)
    finder.fit(x, errors)
    compute_s = time.perf_counter() - t
    top = []
    for values, stats in zip(finder.top_slices_, finder.top_slices_statistics_, strict=False):
        conds = [
            meta["labels"][f][str(v)]
            for f, v in zip(features, values, strict=True)
            if v is not None and not (isinstance(v, float) and np.isnan(v))
        ]
        top.append(
            {
                "slice": " AND ".join(conds),
                "error": float(stats["slice_average_error"]),
                "size": int(stats["slice_size"]),
                "score": float(stats["slice_score"]),
            }
        )
    print(
        json.dumps(
            {
                "peer": "sliceline",
                "version": metadata.version("sliceline"),
                "load_s": round(load_s, 3),
                "compute_s": round(compute_s, 2),
                "min_support": meta["min_support"],
                "top": top,
            }
        )
    )


if __name__ == "__main__":
    main()
