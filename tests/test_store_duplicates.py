"""One rule for a repeated prediction id, on every path: the copy in the oldest segment (by
segment id, then row) wins: live ingest, refresh, rebuild, read-only views and Spark agree."""

from __future__ import annotations

import pandas as pd
import pytest

import diaglab as dl
from diaglab.errors import DuplicateIdError
from test_spark import spark  # noqa: F401  (the shared local SparkSession fixture)


def _rows(store: dl.Store) -> dict[str, float]:
    t = store.table("m").select("prediction_id", "score").to_pyarrow()
    return dict(zip(t.column(0).to_pylist(), t.column(1).to_pylist(), strict=True))


def _log(store: dl.Store, ids: list[str], score: float) -> None:
    store.log("m", pd.DataFrame({"x": [1.0] * len(ids)}), [score] * len(ids), prediction_ids=ids)


def _produce(root, ids: list[str], score: float) -> None:
    """One segment written by a producer process (a Logger's flush), never checked against
    DuckDB."""
    with dl.Logger(root, model="m", flush_rows=10_000) as logger:
        logger.log(pd.DataFrame({"x": [1.0] * len(ids)}), [score] * len(ids), prediction_id=ids)


def test_a_producers_older_segment_wins_live_and_after_rebuild(tmp_path):
    root = tmp_path / "s"
    notebook = dl.open(root)
    _log(notebook, ["a0"], 0.5)
    _produce(root, ["dup", "p1"], 0.1)  # written first: the older segment
    _log(notebook, ["dup", "n1"], 0.9)  # the notebook does not know the producer's yet
    notebook.refresh()
    live = _rows(notebook)
    assert live["dup"] == 0.1
    assert set(live) == {"a0", "dup", "p1", "n1"}
    assert notebook.rebuild().duplicates == 1
    assert _rows(notebook) == live
    viewer = dl.open(root, read_only=True)
    assert _rows(viewer) == live
    viewer.close()
    notebook.close()


def test_repeats_inside_one_refresh_and_across_refreshes_agree_with_rebuild(tmp_path):
    root = tmp_path / "s"
    writer = dl.open(root)
    for k, score in enumerate([0.1, 0.2, 0.3]):
        _produce(root, ["x", f"u{k}"], score)
    writer.refresh()
    _produce(root, ["x", "y"], 0.4)
    writer.refresh()
    _produce(root, ["y"], 0.6)
    writer.refresh()
    live = _rows(writer)
    assert (live["x"], live["y"]) == (0.1, 0.4)
    writer.rebuild()
    assert _rows(writer) == live
    writer.close()


def test_segments_arriving_around_a_stored_one_keep_the_oldest_copy(tmp_path):
    root = tmp_path / "s"
    notebook = dl.open(root)
    _produce(root, ["a"], 0.1)  # oldest segment, not yet ingested, without "x"
    _log(notebook, ["x"], 0.5)  # ingested at once
    _produce(root, ["x", "c"], 0.9)  # newer than the notebook's: its "x" loses
    notebook.refresh()  # the producers' two segments in one group, around the stored one
    live = _rows(notebook)
    assert live == {"a": 0.1, "x": 0.5, "c": 0.9}
    notebook.rebuild()
    assert _rows(notebook) == live
    notebook.close()


def test_a_notebooks_repeat_of_a_stored_id_is_refused(tmp_path):
    store = dl.open(tmp_path / "s")
    _log(store, ["a"], 0.5)
    with pytest.raises(DuplicateIdError, match="'a'"):
        _log(store, ["a", "b"], 0.7)
    assert _rows(store) == {"a": 0.5}
    store.close()


def test_labels_follow_the_winning_row(tmp_path):
    root = tmp_path / "s"
    notebook = dl.open(root)
    _produce(root, ["dup"], 0.1)
    _log(notebook, ["dup"], 0.9)
    notebook.log_labels("m", ["dup"], [1])
    notebook.refresh()
    t = notebook.table("m").select("prediction_id", "score", "label").to_pyarrow().to_pylist()
    assert t == [{"prediction_id": "dup", "score": 0.1, "label": 1.0}]
    notebook.close()


@pytest.mark.spark
@pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")
@pytest.mark.filterwarnings("ignore:Series.values returning an ndarray")
def test_spark_reads_the_same_winner(tmp_path, spark):  # noqa: F811
    root = tmp_path / "s"
    notebook = dl.open(root)
    _produce(root, ["dup", "p1"], 0.1)
    _log(notebook, ["dup", "n1"], 0.9)
    notebook.refresh()
    live = _rows(notebook)
    notebook.close()
    on_spark = dl.open(root, engine="spark", spark=spark)
    t = on_spark.table("m").select("prediction_id", "score").to_pyarrow()
    assert dict(zip(t.column(0).to_pylist(), t.column(1).to_pylist(), strict=True)) == live
