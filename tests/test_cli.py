"""The diaglab command line: ingest, refresh, info; usage errors and exit codes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd

import diaglab as dl
from diaglab.cli import main


def test_ingest_parquet_predictions_then_csv_labels(tmp_path, capsys):
    n = 1200
    rng = np.random.default_rng(0)
    preds = pd.DataFrame(
        {
            "request": [f"r{i}" for i in range(n)],
            "ts": pd.date_range("2026-01-01", periods=n, freq="min", tz="UTC"),
            "p": rng.random(n),
            "age": rng.integers(18, 90, n).astype(float),
            "region": rng.choice(["n", "s"], n),
        }
    )
    preds.to_parquet(tmp_path / "preds.parquet")
    store = tmp_path / "store"
    code = main(
        [
            "ingest",
            str(store),
            str(tmp_path / "preds.parquet"),
            "--model",
            "credit",
            "--id-col",
            "request",
            "--timestamp-col",
            "ts",
            "--prediction-col",
            "p",
            "--chunk-rows",
            "500",
        ]
    )
    assert code == 0
    labels = pd.DataFrame(
        {
            "request": [f"r{i}" for i in range(100)],
            "y": [1] * 100,
            "when": ["2026-02-01 00:00:00"] * 100,
        }
    )
    labels.to_csv(tmp_path / "labels.csv", index=False)
    code = main(
        [
            "ingest",
            str(store),
            str(tmp_path / "labels.csv"),
            "--model",
            "credit",
            "--kind",
            "labels",
            "--id-col",
            "request",
            "--label-col",
            "y",
            "--timestamp-col",
            "when",
            "--assume-utc",
        ]
    )
    assert code == 0
    s = dl.open(store)
    t = s.table("credit")
    assert t.count().execute() == n and t.label.notnull().sum().execute() == 100
    assert s.schema("credit").features.keys() == {"age", "region"}
    s.close()
    assert main(["info", str(store)]) == 0
    assert "credit: binary, 1200 predictions" in capsys.readouterr().out


def test_ingest_errors_name_the_problem_and_exit_non_zero(tmp_path, capsys):
    pd.DataFrame({"x": [1.0]}).to_parquet(tmp_path / "f.parquet")
    code = main(
        [
            "ingest",
            str(tmp_path / "s"),
            str(tmp_path / "f.parquet"),
            "--model",
            "m",
            "--prediction-col",
            "score",
        ]
    )
    assert code == 2
    assert (
        "--prediction-col 'score' is not a column of the file; columns: x"
        in capsys.readouterr().err
    )
    assert main(["ingest", str(tmp_path / "s"), str(tmp_path / "missing.csv"), "--model", "m"]) == 2


def test_usage_errors_exit_2():
    out = subprocess.run(
        [sys.executable, "-m", "diaglab.cli", "ingest"], capture_output=True, text=True
    )
    assert out.returncode == 2 and "usage:" in out.stderr
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "diaglab.cli",
            "ingest",
            "s",
            "f.csv",
            "--model",
            "m",
            "--kind",
            "nope",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "invalid choice" in out.stderr


def test_refresh_and_rebuild(tmp_path, capsys):
    with dl.Logger(tmp_path / "s", model="m") as lg:
        lg.log({"x": 1.0}, 0.5)
    assert main(["refresh", str(tmp_path / "s")]) == 0
    assert "1 predictions" in capsys.readouterr().out
    assert main(["refresh", str(tmp_path / "s"), "--rebuild"]) == 0
    assert "1 predictions" in capsys.readouterr().out
