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


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "prediction_id": [f"r{seed}-{i}" for i in range(n)],
            "prediction": rng.random(n),
            "age": rng.integers(18, 90, n),
            "region": rng.choice(["n", "s"], n),
        }
    )


def _ingest(store, file, *extra: str) -> int:
    return main(["ingest", str(store), str(file), "--model", "m", *extra])


def _stored(store) -> int:
    if not (store / "segments" / "predictions").is_dir():
        return 0
    s = dl.open(store)
    try:
        return int(s.table("m").count().execute()) if "m" in s.models() else 0
    finally:
        s.close()


def test_ingest_of_an_empty_csv_or_a_non_parquet_file_is_refused(tmp_path, capsys):
    (tmp_path / "empty.csv").write_bytes(b"")
    assert _ingest(tmp_path / "s", tmp_path / "empty.csv") == 2
    assert "empty.csv is empty" in capsys.readouterr().err
    (tmp_path / "fake.parquet").write_text("prediction_id,prediction\nr1,0.5\n")
    assert _ingest(tmp_path / "s", tmp_path / "fake.parquet") == 2
    assert "fake.parquet is not a readable Parquet file" in capsys.readouterr().err
    assert _stored(tmp_path / "s") == 0


def test_a_bad_value_in_a_later_chunk_stores_nothing_and_names_the_lines(tmp_path, capsys):
    df = _frame(1500)
    df.loc[1234, "prediction"] = 7.5  # chunk 3 of 500-row chunks
    df.to_csv(tmp_path / "p.csv", index=False)
    assert _ingest(tmp_path / "s", tmp_path / "p.csv", "--chunk-rows", "500") == 2
    err = capsys.readouterr().err
    assert "p.csv lines 1002-1501" in err and "nothing was stored" in err
    assert _stored(tmp_path / "s") == 0
    df.loc[1234, "prediction"] = 0.75
    df.to_csv(tmp_path / "p.csv", index=False)
    assert _ingest(tmp_path / "s", tmp_path / "p.csv", "--chunk-rows", "500") == 0
    assert _stored(tmp_path / "s") == 1500


def test_a_csv_column_changing_type_after_the_first_block(tmp_path, capsys, monkeypatch):
    from diaglab.store import file_import

    monkeypatch.setattr(file_import, "CSV_BLOCK_BYTES", 16 << 10)  # 64 MB in production
    df = _frame(3000).astype({"age": object})
    df.loc[2500, "age"] = "unknown"
    df.to_csv(tmp_path / "p.csv", index=False)
    assert _ingest(tmp_path / "s", tmp_path / "p.csv", "--chunk-rows", "1000") == 2
    err = capsys.readouterr().err
    assert "p.csv line 2502, column 'age': 'unknown'" in err
    assert _stored(tmp_path / "s") == 0
    # whole numbers, then a fraction further down: the column is read as numbers throughout
    df.loc[2500, "age"] = 40.5
    df.to_csv(tmp_path / "p.csv", index=False)
    assert _ingest(tmp_path / "s", tmp_path / "p.csv", "--chunk-rows", "1000") == 0
    assert _stored(tmp_path / "s") == 3000


def test_ingest_repeating_an_id_across_chunks_or_the_store_stores_nothing(tmp_path, capsys):
    df = _frame(1000)
    df.loc[900, "prediction_id"] = df.loc[5, "prediction_id"]
    df.to_parquet(tmp_path / "p.parquet")
    assert _ingest(tmp_path / "s", tmp_path / "p.parquet", "--chunk-rows", "300") == 2
    assert "occurs twice in the file" in capsys.readouterr().err
    _frame(10).to_parquet(tmp_path / "first.parquet")
    assert _ingest(tmp_path / "s", tmp_path / "first.parquet") == 0
    again = pd.concat([_frame(600, seed=1), _frame(10)])
    again.to_parquet(tmp_path / "again.parquet")
    assert _ingest(tmp_path / "s", tmp_path / "again.parquet", "--chunk-rows", "300") == 2
    assert "already stored" in capsys.readouterr().err
    assert _stored(tmp_path / "s") == 10


def test_a_reference_file_in_several_chunks_is_one_reference(tmp_path):
    _frame(10).to_parquet(tmp_path / "p.parquet")
    assert _ingest(tmp_path / "s", tmp_path / "p.parquet") == 0
    _frame(1000, seed=3).to_parquet(tmp_path / "ref.parquet")
    code = _ingest(tmp_path / "s", tmp_path / "ref.parquet", "--kind", "reference")
    assert code == 0
    s = dl.open(tmp_path / "s")
    assert s.reference("m").count().execute() == 1000
    s.close()
    code = _ingest(
        tmp_path / "s", tmp_path / "ref.parquet", "--kind", "reference", "--chunk-rows", "300"
    )
    assert code == 0
    s = dl.open(tmp_path / "s")
    assert s.reference("m").count().execute() == 1000
    s.close()


def test_info_and_refresh_refuse_a_path_that_is_not_a_store(tmp_path, capsys):
    for command in (["info"], ["refresh"], ["refresh", "--rebuild"]):
        where = tmp_path / "typo"
        assert main([command[0], str(where), *command[1:]]) == 2
        assert "no store at" in capsys.readouterr().err
        assert not where.exists()
    (tmp_path / "plain").mkdir()
    assert main(["info", str(tmp_path / "plain")]) == 2
    assert "is not a diaglab store" in capsys.readouterr().err
    assert list((tmp_path / "plain").iterdir()) == []


def test_refresh_names_each_kind_of_row(tmp_path, capsys):
    from diaglab.store.spans import spans_table

    root = tmp_path / "s"
    dl.open(root).close()
    ro = dl.open(root, read_only=True)
    ids = ro.log("m", pd.DataFrame({"x": [1.0, 2.0, 3.0]}), [0.1, 0.2, 0.3])
    ro.log_labels("m", ids[:2], [1, 0])
    ro.set_reference("m", pd.DataFrame({"x": [1.0] * 5}))
    ro.log_spans(
        spans_table(
            {
                "trace_id": ["a" * 32] * 4,
                "span_id": [f"{i:016x}" for i in range(4)],
                "name": ["s"] * 4,
                "start_ns": [1, 2, 3, 4],
                "end_ns": [2, 3, 4, 5],
            }
        )
    )
    ro.close()
    assert main(["refresh", str(root)]) == 0
    out = capsys.readouterr().out
    assert "3 predictions, 2 labels, 5 reference rows, 4 spans" in out


def test_bad_input_exits_2_everywhere(tmp_path, capsys):
    assert main(["info", str(tmp_path / "nowhere")]) == 2
    _frame(5).to_parquet(tmp_path / "p.parquet")
    assert _ingest(tmp_path / "s", tmp_path / "p.parquet", "--model-version", "a/../b") == 2
    assert (
        main(["ingest", str(tmp_path / "s"), str(tmp_path / "p.parquet"), "--model", "../x"]) == 2
    )
    assert (
        main(
            [
                "ingest",
                str(tmp_path / "s"),
                str(tmp_path / "p.parquet"),
                "--kind",
                "labels",
                "--model",
                "nosuch",
            ]
        )
        == 2
    )
    capsys.readouterr()
