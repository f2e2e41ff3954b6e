"""Findings benchmark (issue 7): ten standard findings on a large store, and their exports.

``python -m bench.findings CASE SIZE WORKDIR``; cases: ``prepare`` (untimed: a store of SIZE
labelled predictions over 60 days, 24 numeric + 6 categorical features, a reference of 200k rows,
drift in ``num_01`` and a worse slice in the last 20 days) and ``export`` (the ten findings of
two ``standard_findings`` windows, then each export format: time and size).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import numpy as np

import diaglab as dl
from bench._common import START, emit, feature_frame, parse_size, timestamps

CHUNK = 1_000_000
MODEL = "m"


def prepare(n: int, work: Path) -> Path:
    path = work / f"findings-{n}"
    if (path / "ready").exists():
        return path
    shutil.rmtree(path, ignore_errors=True)
    store = dl.open(path)
    ref = feature_frame(200_000, seed=999)
    store.set_reference(MODEL, ref, predictions=np.full(len(ref), 0.3), model_version="v1")
    size = min(n, CHUNK)
    chunks = max(1, n // size)
    ts_all = timestamps(size * chunks)
    for k in range(chunks):
        rng = np.random.default_rng(200 + k)
        frame = feature_frame(size, seed=k)
        ts = ts_all.iloc[k * size : (k + 1) * size].reset_index(drop=True)
        late = (ts >= START + np.timedelta64(40, "D")).to_numpy()
        frame.loc[late, "num_01"] += 6.0  # drift in the last 20 days
        z = -1.2 + 0.08 * (frame["num_01"] - 50) - 0.05 * (frame["num_02"] - 50)
        p = 1 / (1 + np.exp(-z.to_numpy()))
        y = (rng.random(size) < p).astype(int)
        worse = late & (frame["cat_0"] == "c3").to_numpy() & (rng.random(size) < 0.5)
        y[worse] = (p[worse] < 0.5).astype(int)
        ids = store.log(model=MODEL, features=frame, predictions=p, timestamps=ts)
        store.log_labels(model=MODEL, prediction_ids=ids, labels=y)
    store.close()
    (path / "ready").touch()
    return path


def export_case(n: int, work: Path) -> dict:
    from diaglab.findings.report import standard_findings

    store = dl.open(prepare(n, work))
    t = time.perf_counter()
    found = []
    for start, end in (("2026-02-10", "2026-03-02"), ("2026-01-20", "2026-02-10")):
        found += standard_findings(store, MODEL, window=dl.Window(start, end))
    compute = time.perf_counter() - t
    store.close()
    out: dict = {"case": "export", "findings": len(found), "findings_s": round(compute, 1)}
    folder = work / f"findings-export-{n}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for suffix in ("html", "md", "json", "parquet"):
        path = folder / f"report.{suffix}"
        t = time.perf_counter()
        dl.export(found, path)
        seconds = time.perf_counter() - t
        size = path.stat().st_size
        if suffix == "md":
            size += sum(p.stat().st_size for p in (folder / "report_files").iterdir())
        out[f"{suffix}_s"] = round(seconds, 2)
        out[f"{suffix}_MB"] = round(size / 1e6, 2)
    return out


CASES = {
    "prepare": lambda n, w: {"case": "prepare", "path": str(prepare(n, w))},
    "export": export_case,
}


if __name__ == "__main__":
    case, size, workdir = sys.argv[1], parse_size(sys.argv[2]), Path(sys.argv[3])
    workdir.mkdir(parents=True, exist_ok=True)
    emit(CASES[case](size, workdir))
